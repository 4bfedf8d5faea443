"""The vocabulary of changes the AWS layer knows how to apply.

Actions address "the plan's secret" implicitly (see :class:`Plan`), because until CreateSecret
returns, only its name is known; the applier tracks the ARN.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tokens import AccessToken, TokenFormat


@dataclass(frozen=True)
class SuppliedToken:
    token: AccessToken  # masked in every repr


@dataclass(frozen=True)
class GeneratedToken:
    token_format: TokenFormat
    length: int


@dataclass(frozen=True)
class ReusedToken:
    """The token stored in ``secret_id`` at ``version_id``: read and written again, never moved."""

    secret_id: str
    version_id: str


TokenSource = SuppliedToken | GeneratedToken | ReusedToken


@dataclass(frozen=True)
class Write:
    """One secret value. ``also_keys``: earlier JSON keys that also hold the token (see
    :attr:`~.labels.Request.also_keys`); ``others_from``: the adoptee whose other keys stay."""

    source: TokenSource
    secret_string_key: str
    version_id: str
    also_keys: tuple[str, ...] = ()
    others_from: str | None = None


@dataclass(frozen=True)
class CreateSecret:
    name: str
    kms_key_arn: str
    description: str
    tags: tuple[tuple[str, str], ...]
    write: Write


@dataclass(frozen=True)
class RestoreSecret:
    """Cancel a scheduled deletion (the secret is owned, or reclaimable by this resource)."""


@dataclass(frozen=True)
class UpdateSecret:
    """``None`` leaves a field alone."""

    kms_key_arn: str | None
    description: str | None


@dataclass(frozen=True)
class PutSecretValue:
    """A new version: AWSCURRENT, or with ``stages`` (``("AWSPENDING",)``) the next token."""

    write: Write
    stages: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        return bool(self.stages)


@dataclass(frozen=True)
class PromoteVersion:
    """Move AWSCURRENT to a version that already holds the wanted value (a rollback)."""

    version_id: str
    from_version_id: str | None


@dataclass(frozen=True)
class UnstagePending:
    version_id: str


@dataclass(frozen=True)
class TagSecret:
    tags: tuple[tuple[str, str], ...]
    secret_id: str | None = None  # None: the plan's secret; else the secret a move leaves


@dataclass(frozen=True)
class UntagSecret:
    keys: tuple[str, ...]


@dataclass(frozen=True)
class PutResourcePolicy:
    """On every Create and Update, so that a hand-edited policy is repaired."""


@dataclass(frozen=True)
class ReportTokens:
    """``ReturnAccessToken``: the tokens of the versions carrying AWSCURRENT, AWSPENDING and
    AWSPREVIOUS once the plan has run (``None``: no such version)."""

    current: str | None
    pending: str | None
    previous: str | None


@dataclass(frozen=True)
class DeleteSecret:
    recovery_window_in_days: int | None  # None: delete without recovery


# Actions that are one AWS call and change nothing the applier reports.
Call = RestoreSecret | UpdateSecret | UnstagePending | TagSecret | UntagSecret | PutResourcePolicy | DeleteSecret
Action = CreateSecret | PutSecretValue | PromoteVersion | ReportTokens | Call


@dataclass(frozen=True)
class Plan:
    """Actions on ``secret_id`` (its ARN, or its name before it exists); ``name`` and
    ``current_version`` are reported until an action changes them; ``token_keys``: the JSON
    keys a stored token may be under, the wanted first."""

    secret_id: str
    actions: tuple[Action, ...]
    note: str = ""
    token_keys: tuple[str, ...] = ()
    name: str = ""
    current_version: str | None = None

    def summary(self) -> list[str]:
        """Action names for the decision log line (no values, so nothing sensitive)."""
        return [type(action).__name__ for action in self.actions]
