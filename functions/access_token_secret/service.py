"""The provider's use cases: perform the reads the planner asks for, decide once, apply. After a lost race
(:class:`~.errors.RaceError`: a redelivered or concurrent copy of the event got there first) the secret is
observed again, and :func:`~.plan.planner.moved` says whether that changes anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from .aws.apply import Applier, Outcome
from .aws.kms import Kms
from .aws.secretsmanager import SecretsManager
from .errors import AwsCallError, ProviderError, RaceError, ScheduledForDeletionError
from .logs import logger
from .plan.actions import Plan
from .plan.adoption import ADOPT_TAG
from .plan.context import ProviderSettings, ResourceIdentity
from .plan.naming import is_owned_by
from .plan.observation import (
    Asked,
    AskedDelete,
    DescribeKey,
    DescribeSecret,
    ListVersions,
    Observation,
    Read,
    ReadPolicy,
    ReadStored,
    ReadValue,
    Restore,
    next_delete_read,
    next_read,
    where,
)
from .plan.planner import consent_used, decide, decide_delete, moved
from .plan.properties import DeletionOptions, SecretProperties
from .plan.state import Unreadable
from .progress import Progress

# A plan is made at most this often per request: first observation, then once after each race.
MAX_OBSERVATIONS: Final = 3


@dataclass(frozen=True)
class Result:
    """What CloudFormation gets back: the secret plus the properties that shaped it."""

    outcome: Outcome
    props: SecretProperties
    kms_key_arn: str


class AccessTokenSecretService:
    def __init__(self, *, secrets: SecretsManager, kms: Kms, settings: ProviderSettings) -> None:
        self._secrets = secrets
        self._kms = kms
        self.settings = settings

    def _perform(self, read: Read, keys: tuple[str, ...]) -> object:
        secrets = self._secrets
        result: object = None
        match read:
            case DescribeKey(key_id=key_id):
                result = self._kms.describe(key_id)
            case DescribeSecret(secret_id=secret_id):
                result = secrets.describe(secret_id)
            case ReadValue(arn=arn, version_id=version):
                result = secrets.read_token(arn, version_id=version, keys=keys)
            case ListVersions(arn=arn):
                result = secrets.unlabelled_versions(arn)
            case ReadPolicy(arn=arn):
                try:
                    result = secrets.read_policy(arn)
                except ScheduledForDeletionError:
                    result = Unreadable()
            case ReadStored(arn=arn):
                result = secrets.read_string(arn)
            case Restore(arn=arn):
                secrets.restore(arn)
        return result

    def _observe(self, seen: Observation, next_of: Callable[[Observation], Read | None], keys: tuple[str, ...]) -> None:
        while (read := next_of(seen)) is not None:
            seen.record(read, self._perform(read, keys))

    def _converge(self, asked: Asked, progress: Progress) -> Result:
        """Consent to adoption is single-use: a failed attempt removes the consent tag it checked (a
        success removes it in its plan), so no other stack of the same reusable name can take it up."""
        consumed: dict[str, None] = {}
        try:
            return self._converge_consenting(asked, progress, consumed)
        except Exception:
            for arn in consumed:
                self._withdraw_consent(arn)
            raise

    def _converge_consenting(self, asked: Asked, progress: Progress, consumed: dict[str, None]) -> Result:
        keys = (asked.props.secret_string_key, *(() if asked.old is None else (asked.old.secret_string_key,)))
        before: tuple[Plan, RaceError] | None = None
        for _ in range(MAX_OBSERVATIONS):
            seen = Observation()
            try:
                self._observe(seen, lambda seen: next_read(asked, seen), keys)
            finally:
                self._note_progress(asked, seen, progress, consumed)
            plan = decide(asked, seen)
            if before is not None and not moved(before[0], plan):
                raise before[1]  # nothing moved meanwhile: not a race, a real refusal
            found = where(asked, seen)
            known = dict(found.landing.values) if found is not None and found.landing is not None else {}
            logger.info("plan", extra={"actions": plan.summary(), "note": plan.note, "secret_name": plan.name})
            try:
                outcome = Applier(self._secrets, progress, known=known).run(plan)
                return Result(outcome=outcome, props=asked.props, kms_key_arn=seen.keys[asked.props.kms_key_id].arn)
            except RaceError as race:
                logger.info("observing again", extra={"after": race.operation, "code": race.code})
                before = (plan, race)
        raise AwsCallError(
            f"Secret {plan.name[:80]} kept changing while this request ran; retry the stack operation",
            operation="secretsmanager:DescribeSecret",
            code="Conflict",
        )

    def _note_progress(self, asked: Asked, seen: Observation, progress: Progress, consumed: dict[str, None]) -> None:
        """What the adapter must know even if the request fails from here: the owned secret the
        request now stands for, and whether it is adopting (the rollback Delete must then leave
        the secret alone)."""
        found = where(asked, seen)
        landing = found.landing if found is not None and found.landing is not found.leaving else None
        if landing is not None and is_owned_by(landing.tag_map(), asked.identity):
            progress.record_secret(landing.arn)
        arn = consent_used(asked, seen)
        if arn is not None:
            consumed[arn] = None
            progress.adopting = True

    def _withdraw_consent(self, arn: str) -> None:
        """Best effort: the FAILED answer matters more, and goes out once either way."""
        try:
            self._secrets.untag(arn, (ADOPT_TAG,))
            logger.info("adoption consent used up by the failed attempt", extra={"secret_arn": arn})
        except ProviderError as error:
            logger.warning(
                "could not remove the adoption consent after a failed adoption",
                extra={"secret_arn": arn, "reason": error.reason},
            )

    def create(self, identity: ResourceIdentity, props: SecretProperties, progress: Progress) -> Result:
        return self._converge(Asked(identity, self.settings, props, creating=True), progress)

    def update(
        self,
        identity: ResourceIdentity,
        reference: str | None,
        props: SecretProperties,
        old: SecretProperties | None,
        progress: Progress,
    ) -> Result:
        """``reference``: the secret the PhysicalResourceId names (``None``: a placeholder)."""
        return self._converge(Asked(identity, self.settings, props, old=old, reference=reference), progress)

    def delete(self, identity: ResourceIdentity, reference: str | None, options: DeletionOptions) -> Plan:
        """``reference``: ``None`` when the PhysicalResourceId names no secret this provider made."""
        asked = AskedDelete(identity, reference, options)
        before: tuple[Plan, RaceError] | None = None
        for _ in range(MAX_OBSERVATIONS):
            seen = Observation()
            self._observe(seen, lambda seen: next_delete_read(asked, seen), ())
            plan = decide_delete(asked, seen)
            if before is not None and not moved(before[0], plan):
                raise before[1]
            logger.info("plan", extra={"actions": plan.summary(), "note": plan.note})
            try:
                Applier(self._secrets, Progress()).run(plan)
                return plan
            except RaceError as race:  # scheduled meanwhile: a retried or concurrent delete
                logger.info("observing again", extra={"after": race.operation, "code": race.code})
                before = (plan, race)
        return plan
