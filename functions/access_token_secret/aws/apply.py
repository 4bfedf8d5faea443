"""Carry out a :class:`~access_token_secret.plan.actions.Plan`, one AWS call per action.

The applier remembers the secret's ARN as soon as it exists (in :class:`Progress`, which the
adapter can read from its timeout thread), so that a request failing half-way still tells
CloudFormation which secret to clean up.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFoundError
from ..plan.actions import (
    Action,
    CreateSecret,
    DeleteSecret,
    GeneratedToken,
    Plan,
    PromoteVersion,
    PutResourcePolicy,
    PutSecretValue,
    ReportTokens,
    RestoreSecret,
    SuppliedToken,
    TagSecret,
    TokenSource,
    UnstagePending,
    UntagSecret,
    UpdateSecret,
)
from ..plan.policy import resource_policy
from ..plan.state import PENDING
from ..tokens import AccessToken, generate_token
from .secretsmanager import SecretsManager, secret_string


@dataclass
class Progress:
    """What exists so far; written by the request thread, read by the timeout thread.

    ``secret_arn`` is the secret the request now stands for (created or adopted);
    ``created_arn`` only one that this request's CreateSecret made, which is the only kind a
    failed Update may remove again.
    """

    secret_arn: str | None = None
    created_arn: str | None = None
    adopting: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def mark_adopting(self) -> None:
        with self._lock:
            self.adopting = True

    def record_secret(self, arn: str, *, created: bool = False) -> None:
        with self._lock:
            self.secret_arn = arn
            if created:
                self.created_arn = arn

    def current_secret(self) -> str | None:
        with self._lock:
            return self.secret_arn

    def created_secret(self) -> str | None:
        with self._lock:
            return self.created_arn


@dataclass
class Outcome:
    """The secret after the plan ran: enough for the response's PhysicalResourceId and Data."""

    arn: str
    name: str
    version_id: str | None
    token: AccessToken | None = None
    pending_token: AccessToken | None = None
    previous_token: AccessToken | None = None


class Applier:
    """Runs each action through the method named after it (``_create_secret`` for CreateSecret)."""

    def __init__(
        self, secrets: SecretsManager, progress: Progress, *, known: dict[str, AccessToken] | None = None
    ) -> None:
        self._secrets = secrets
        self._progress = progress
        # Tokens by VersionId: read while observing, or written by this run (never read twice).
        self._known: dict[str, AccessToken] = dict(known or {})
        self._keys: tuple[str, ...] = ()
        self._steps: dict[type[Action], Callable[[Any, Outcome], None]] = {
            CreateSecret: self._create_secret,
            RestoreSecret: lambda _, out: self._secrets.restore(out.arn),
            UpdateSecret: lambda a, out: self._secrets.update(
                out.arn, kms_key_arn=a.kms_key_arn, description=a.description
            ),
            PutSecretValue: self._put_secret_value,
            PromoteVersion: self._promote_version,
            UnstagePending: lambda a, out: self._secrets.unstage(out.arn, stage=PENDING, version_id=a.version_id),
            TagSecret: lambda a, out: self._secrets.tag(out.arn, a.tags),
            UntagSecret: lambda a, out: self._secrets.untag(out.arn, a.keys),
            PutResourcePolicy: lambda _, out: self._secrets.put_policy(out.arn, resource_policy(out.arn)),
            ReportTokens: self._report_tokens,
            DeleteSecret: self._delete_secret,
        }

    def run(self, plan: Plan, *, arn: str | None, name: str, current_version: str | None) -> Outcome:
        """Apply ``plan`` to the secret ``arn`` (``None`` until CreateSecret made it)."""
        self._keys = plan.token_keys
        outcome = Outcome(arn=arn or plan.secret_id, name=name, version_id=current_version)
        for action in plan.actions:
            self._steps[type(action)](action, outcome)
        return outcome

    def _token(self, source: TokenSource) -> AccessToken:
        if isinstance(source, SuppliedToken):
            return source.token
        if isinstance(source, GeneratedToken):
            return generate_token(source.token_format, source.length)
        return self._secrets.read_token(source.secret_id, version_id=source.version_id, keys=self._keys)

    def _others(self, others_from: str | None, written_keys: tuple[str, ...]) -> dict[str, object]:
        """An adopted secret's JSON keys other than the token's, from its AWSCURRENT."""
        if others_from is None:
            return {}
        document = self._secrets.read_document(others_from)
        current = document.get(self._keys[0]) if self._keys else None
        return {k: v for k, v in document.items() if k not in written_keys and (current is None or v != current)}

    def _create_secret(self, action: CreateSecret, outcome: Outcome) -> None:
        outcome.token = self._token(action.source)
        self._known[action.version_id] = outcome.token
        outcome.arn, outcome.version_id = self._secrets.create(
            name=action.name,
            kms_key_arn=action.kms_key_arn,
            description=action.description,
            tags=action.tags,
            value=secret_string(
                action.secret_string_key,
                outcome.token,
                others=self._others(action.others_from, (action.secret_string_key,)),
            ),
            version_id=action.version_id,
        )
        self._progress.record_secret(outcome.arn, created=True)

    def _put_secret_value(self, action: PutSecretValue, outcome: Outcome) -> None:
        token = self._token(action.source)
        written = self._secrets.put_value(
            outcome.arn,
            value=secret_string(
                action.secret_string_key,
                token,
                action.also_keys,
                self._others(action.others_from, (action.secret_string_key, *action.also_keys)),
            ),
            version_id=action.version_id,
            stages=action.stages,
        )
        self._known[action.version_id] = token
        if action.pending:
            outcome.pending_token = token
        else:
            outcome.token, outcome.version_id = token, written

    def _promote_version(self, action: PromoteVersion, outcome: Outcome) -> None:
        self._secrets.promote(outcome.arn, version_id=action.version_id, from_version_id=action.from_version_id)
        outcome.version_id = action.version_id

    def _token_of(self, arn: str, version_id: str) -> AccessToken:
        if version_id not in self._known:
            self._known[version_id] = self._secrets.read_token(arn, version_id=version_id, keys=self._keys)
        return self._known[version_id]

    def _report_tokens(self, action: ReportTokens, outcome: Outcome) -> None:
        if action.current is None:
            outcome.token = self._secrets.read_token(outcome.arn, keys=self._keys)
        else:
            outcome.token = self._token_of(outcome.arn, action.current)
        outcome.pending_token = self._token_of(outcome.arn, action.pending) if action.pending else None
        outcome.previous_token = self._token_of(outcome.arn, action.previous) if action.previous else None

    def _delete_secret(self, action: DeleteSecret, outcome: Outcome) -> None:
        # Gone between DescribeSecret and now: the goal is reached.
        with contextlib.suppress(NotFoundError):
            self._secrets.delete(
                outcome.arn, recovery_window_in_days=action.recovery_window_in_days, force=action.force
            )
