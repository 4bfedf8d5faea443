"""Carry out a :class:`~access_token_secret.plan.actions.Plan`, one AWS call per action; every decision
(which token, which keys, which label) was made in :mod:`access_token_secret.plan`. A created secret is
recorded at once in :class:`~access_token_secret.progress.Progress`, for a request that fails half-way."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import assert_never

from ..errors import NotFoundError
from ..plan import actions
from ..plan.adoption import other_keys
from ..plan.policy import resource_policy
from ..plan.state import PENDING
from ..progress import Progress
from ..tokens import AccessToken, generate_token
from .secretsmanager import SecretsManager, secret_string


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
    """Runs each action with the AWS call it names; a new action type fails the type check here
    (``assert_never``) until it is applied."""

    def __init__(
        self, secrets: SecretsManager, progress: Progress, *, known: dict[str, AccessToken] | None = None
    ) -> None:
        self._secrets = secrets
        self._progress = progress
        # Tokens by VersionId: read while observing, or written by this run (never read twice).
        self._known: dict[str, AccessToken] = dict(known or {})
        self._keys: tuple[str, ...] = ()

    def run(self, plan: actions.Plan) -> Outcome:
        """Apply ``plan`` to its secret (addressed by name until CreateSecret made it)."""
        self._keys = plan.token_keys
        outcome = Outcome(arn=plan.secret_id, name=plan.name, version_id=plan.current_version)
        for action in plan.actions:
            self._apply(action, outcome)
        return outcome

    def _apply(self, action: actions.Action, outcome: Outcome) -> None:
        """The actions whose result the outcome reports; every other one is a plain call."""
        match action:
            case actions.CreateSecret():
                self._create_secret(action, outcome)
            case actions.PutSecretValue():
                self._put_secret_value(action, outcome)
            case actions.PromoteVersion(version_id=version, from_version_id=previous):
                self._secrets.promote(outcome.arn, version_id=version, from_version_id=previous)
                outcome.version_id = version
            case actions.ReportTokens():
                self._report_tokens(action, outcome)
            case _:
                self._call(action, outcome.arn)

    def _call(self, action: actions.Call, arn: str) -> None:
        secrets = self._secrets
        match action:
            case actions.RestoreSecret():
                secrets.restore(arn)
            case actions.UpdateSecret(kms_key_arn=key, description=description):
                secrets.update(arn, kms_key_arn=key, description=description)
            case actions.UnstagePending(version_id=version):
                secrets.unstage(arn, stage=PENDING, version_id=version)
            case actions.TagSecret(tags=tags, secret_id=other):
                secrets.tag(other or arn, tags)
            case actions.UntagSecret(keys=keys):
                secrets.untag(arn, keys)
            case actions.PutResourcePolicy():
                secrets.put_policy(arn, resource_policy(arn))
            case actions.DeleteSecret(recovery_window_in_days=window):
                with contextlib.suppress(NotFoundError):  # gone since DescribeSecret: the goal is reached
                    secrets.delete(arn, recovery_window_in_days=window)
            case _:
                assert_never(action)

    def _token(self, source: actions.TokenSource) -> AccessToken:
        if isinstance(source, actions.SuppliedToken):
            return source.token
        if isinstance(source, actions.GeneratedToken):
            return generate_token(source.token_format, source.length)
        return self._token_of(source.secret_id, source.version_id)

    def _value(self, write: actions.Write) -> tuple[AccessToken, str]:
        """The token of ``write`` and the document it is stored in (an adopted secret's other
        JSON keys as they are now, see :func:`~access_token_secret.plan.adoption.other_keys`)."""
        token = self._token(write.source)
        others: dict[str, object] = {}
        if write.others_from is not None:
            written_keys = (write.secret_string_key, *write.also_keys)
            others = other_keys(self._secrets.read_document(write.others_from), written_keys, self._keys)
        return token, secret_string(write.secret_string_key, token, write.also_keys, others)

    def _create_secret(self, action: actions.CreateSecret, outcome: Outcome) -> None:
        outcome.token, value = self._value(action.write)
        self._known[action.write.version_id] = outcome.token
        outcome.arn, outcome.version_id = self._secrets.create(action, value)
        self._progress.record_secret(outcome.arn, created=True)

    def _put_secret_value(self, action: actions.PutSecretValue, outcome: Outcome) -> None:
        token, value = self._value(action.write)
        written = self._secrets.put_value(
            outcome.arn, value=value, version_id=action.write.version_id, stages=action.stages
        )
        self._known[action.write.version_id] = token
        if action.pending:
            outcome.pending_token = token
        else:
            outcome.token, outcome.version_id = token, written

    def _token_of(self, arn: str, version_id: str) -> AccessToken:
        if version_id not in self._known:
            self._known[version_id] = self._secrets.read_token(arn, version_id=version_id, keys=self._keys)
        return self._known[version_id]

    def _report_tokens(self, action: actions.ReportTokens, outcome: Outcome) -> None:
        if action.current is None:
            outcome.token = self._secrets.read_token(outcome.arn, keys=self._keys)
        else:
            outcome.token = self._token_of(outcome.arn, action.current)
        outcome.pending_token = self._token_of(outcome.arn, action.pending) if action.pending else None
        outcome.previous_token = self._token_of(outcome.arn, action.previous) if action.previous else None
