"""The vocabulary of changes the AWS layer knows how to apply.

Actions address "the plan's secret" implicitly (see :class:`Plan`), because until CreateSecret
returns, only its name is known; the applier tracks the ARN.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tokens import AccessToken, TokenFormat


@dataclass(frozen=True)
class SuppliedToken:
    """The token from the template (its repr is masked)."""

    token: AccessToken


@dataclass(frozen=True)
class GeneratedToken:
    token_format: TokenFormat
    length: int


@dataclass(frozen=True)
class ReusedToken:
    """The token already stored in ``secret_id`` at ``version_id`` (the value is read, not moved)."""

    secret_id: str
    version_id: str


TokenSource = SuppliedToken | GeneratedToken | ReusedToken


@dataclass(frozen=True)
class Write:
    """One secret value: where its token comes from, the JSON key(s) it goes under and the
    VersionId it is written as. ``also_keys`` holds the token under earlier JSON keys as well, so
    a source location that still asks for the old ``SecretStringKey`` keeps working until
    CloudFormation updates it (the next write drops them); ``others_from`` names the adopted
    secret whose other JSON keys the document keeps (its AWSCURRENT at that moment)."""

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
    """Change the key and/or description; ``None`` leaves a field alone."""

    kms_key_arn: str | None
    description: str | None


@dataclass(frozen=True)
class PutSecretValue:
    """Write a new version: AWSCURRENT, or with ``stages`` (``("AWSPENDING",)``) the next token,
    staged without moving AWSCURRENT."""

    write: Write
    stages: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        return bool(self.stages)


@dataclass(frozen=True)
class PromoteVersion:
    """Move AWSCURRENT back to a version that already holds the wanted value (rollback)."""

    version_id: str
    from_version_id: str | None


@dataclass(frozen=True)
class UnstagePending:
    """Take AWSPENDING off a version that is not current: nothing is pending any more."""

    version_id: str


@dataclass(frozen=True)
class TagSecret:
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class UntagSecret:
    keys: tuple[str, ...]


@dataclass(frozen=True)
class PutResourcePolicy:
    """Re-applied on every Create and Update so a hand-edited policy is repaired."""


@dataclass(frozen=True)
class ReportTokens:
    """``ReturnAccessToken`` only: the tokens of the versions that carry AWSCURRENT, AWSPENDING
    and AWSPREVIOUS once the plan has run (``None``: no such version). A token this request
    wrote or already read is not read again."""

    current: str | None
    pending: str | None
    previous: str | None


@dataclass(frozen=True)
class DeleteSecret:
    recovery_window_in_days: int | None
    force: bool


# Actions that are one AWS call and change nothing the applier reports.
Call = RestoreSecret | UpdateSecret | UnstagePending | TagSecret | UntagSecret | PutResourcePolicy | DeleteSecret
Action = CreateSecret | PutSecretValue | PromoteVersion | ReportTokens | Call


@dataclass(frozen=True)
class Plan:
    """Actions on one secret, addressed by ``secret_id`` (its ARN, or its name before it
    exists), with what the applier reports for it until an action changes that: its ``name``
    and the VersionId carrying AWSCURRENT."""

    secret_id: str
    actions: tuple[Action, ...]
    note: str = ""
    # The JSON keys a stored token may be under (the wanted one first), for every read.
    token_keys: tuple[str, ...] = ()
    name: str = ""
    current_version: str | None = None

    def summary(self) -> list[str]:
        """Action names for the decision log line (no values, so nothing sensitive)."""
        return [type(action).__name__ for action in self.actions]
