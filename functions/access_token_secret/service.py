"""The provider's use cases: properties -> observe -> plan -> apply, with no CloudFormation
format and no boto3 in sight (the adapter and the AWS layer own those).

This module only observes and applies; every decision is a function in :mod:`.plan` of what
was observed. An observation is DescribeSecret, plus what the planner asks for on top
(:func:`~.plan.labels.reads_needed`, :func:`~.plan.labels.listing_needed`). When a write finds
its name or its VersionId already taken (a redelivered or concurrent copy of the event), the
secret is observed a second time and the plan made again from that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Final

from .aws.apply import Applier, Outcome
from .aws.kms import Kms
from .aws.secretsmanager import SecretsManager
from .errors import (
    AlreadyExistsError,
    AwsCallError,
    ProviderConfigurationError,
    ProviderError,
    ScheduledForDeletionError,
    SecretConflictError,
)
from .logs import logger
from .plan.actions import Plan
from .plan.adoption import (
    ADOPT_TAG,
    Adoption,
    check_adoptable,
    check_consent,
    check_key,
    check_policy,
    check_token_return,
    is_adopted,
    stored_token,
)
from .plan.context import ProviderSettings, ResourceIdentity
from .plan.desired import Desired
from .plan.keys import key_replaced, recorded_key, usable_key_arn
from .plan.labels import Request, listing_needed, reads_needed
from .plan.naming import (
    cannot_be_ours,
    default_secret_name,
    is_owned_by,
    is_reclaimable_by,
    is_secret_reference,
    outside_prefix_problem,
    secret_name_after_update,
)
from .plan.planner import plan_converge, plan_delete
from .plan.properties import (
    SecretProperties,
    parse_deletion_options,
    parse_properties,
    try_parse_properties,
)
from .plan.state import SecretState
from .progress import Progress

_Describe = Callable[[str], "SecretState | None"]
# A plan is made at most this often per request: first observation, then once after each race.
MAX_OBSERVATIONS: Final = 3


@dataclass(frozen=True)
class Result:
    """What CloudFormation gets back: the secret plus the properties that shaped it."""

    outcome: Outcome
    props: SecretProperties
    kms_key_arn: str


def _raced(error: AwsCallError, *, created: bool) -> bool:
    """A write refused because another copy of this event (Lambda delivers at least once, and
    two copies can run at once) or a retried call already did it: the name or this request's
    VersionId is taken, or a label is no longer where the plan saw it (UpdateSecretVersionStage
    refuses a ``RemoveFromVersionId`` that does not hold the label). Observing again tells."""
    if isinstance(error, (AlreadyExistsError, ScheduledForDeletionError)):
        return created or error.operation == "secretsmanager:PutSecretValue"
    return error.operation == "secretsmanager:UpdateSecretVersionStage" and error.code == "InvalidParameterException"


def secret_reference(physical_id: str) -> str | None:
    """The SecretId a PhysicalResourceId stands for, or ``None`` for a placeholder.

    Successful requests return the secret ARN; a Create that failed before the secret surely
    existed returns the intended *name* (so the rollback Delete can still remove a secret that a
    timed-out call created) or a marker containing ``#``, which no secret name can hold.
    """
    return physical_id if is_secret_reference(physical_id) else None


@dataclass(frozen=True)
class _Target:
    """The secret a request converges and what it knows about it."""

    observed: SecretState | None
    donor: SecretState | None = None
    same_secret: bool = False
    creating: bool = False


class AccessTokenSecretService:
    def __init__(self, *, secrets: SecretsManager, kms: Kms, settings: ProviderSettings) -> None:
        self._secrets = secrets
        self._kms = kms
        self._settings = settings

    def _reachable_reference(self, physical_id: str) -> str | None:
        reference = secret_reference(physical_id)
        problem = outside_prefix_problem(reference, self._settings.name_prefix) if reference else None
        if problem:
            raise ProviderConfigurationError(problem)
        return reference

    def properties(self, raw: object) -> SecretProperties:
        return parse_properties(raw, name_prefix=self._settings.name_prefix)

    def desired_name(self, props: SecretProperties, identity: ResourceIdentity) -> str:
        return props.secret_name or default_secret_name(identity, self._settings.name_prefix)

    def _desired(self, props: SecretProperties, identity: ResourceIdentity) -> Desired:
        key_arn = usable_key_arn(self._kms.describe(props.kms_key_id), self._settings.region)
        return Desired(props=props, identity=identity, name=self.desired_name(props, identity), kms_key_arn=key_arn)

    # Observation ------------------------------------------------------------------------

    def _learn(self, request: Request, observed: SecretState, donor: SecretState | None) -> SecretState:
        """What the planner needs beyond DescribeSecret. A secret in its recovery window answers
        no read; the planner then treats what it cannot know as not there (a write)."""
        if observed.deleted_date is not None:
            return observed
        keys = (request.props.secret_string_key, *request.also_keys)
        values = tuple(
            (version, self._secrets.read_token(observed.arn, version_id=version, keys=keys))
            for version in reads_needed(request, observed)
        )
        listed = listing_needed(request, observed, donor)
        unlabelled = self._secrets.unlabelled_versions(observed.arn) if listed else None
        return replace(observed, values=values or observed.values, unlabelled=unlabelled)

    def _adoption(
        self, desired: Desired, found: SecretState, *, creating: bool, consumed: list[str]
    ) -> tuple[Adoption | None, SecretState]:
        """What adopting ``found`` needs, when the template asks for it and the secret is not
        already this resource's. Consent is checked first (the secret's ARN then joins
        ``consumed``: the attempt uses it up, see :meth:`_converge`); then what makes a secret
        impossible to own safely, its key, and whether the template may have its token; only then
        is anything read (its policy, its value). A secret in its recovery window is restored
        before its value is read."""
        identity, props = desired.identity, desired.props
        tags = found.tag_map()
        if not props.adopt_existing_secret or is_owned_by(tags, identity):
            return None, found
        if found.deleted_date is not None and is_reclaimable_by(tags, identity):
            return None, found  # the reclaim rule needs no consent
        check_consent(tags, identity, desired.name, creating=creating)
        consumed.append(found.arn)
        check_adoptable(found, self._settings.region, desired.name)
        adoption = Adoption(kms_key_arn=self._customer_key_arn(found.kms_key_id, checked=desired.kms_key_arn))
        check_key(adoption, desired.kms_key_arn, desired.name)
        check_token_return(props, adopted=True)
        check_policy(self._policy_of(found, desired.name), found, desired.name)
        if props.access_token is not None:
            return adoption, found  # the template supplies the token
        if found.deleted_date is not None:
            self._secrets.restore(found.arn)
            found = replace(found, deleted_date=None)
        token, problem = stored_token(self._secrets.read_string(found.arn), props.secret_string_key)
        return replace(adoption, token=token, problem=problem), found

    def _policy_of(self, found: SecretState, name: str) -> str | None:
        """GetResourcePolicy; AWS answers it for no secret in its recovery window ("marked for
        deletion"), and restoring is a write, which no refusal may follow."""
        try:
            return self._secrets.read_policy(found.arn)
        except ScheduledForDeletionError:
            raise SecretConflictError(
                f"Cannot adopt {name[:80]}: it is scheduled for deletion, so its resource policy cannot be "
                "checked; restore it (restore-secret), then retry"
            ) from None

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

    def _customer_key_arn(self, kms_key_id: str | None, *, checked: str) -> str | None:
        """The ARN of a secret's key when it is customer managed (``None``: AWS managed).
        ``checked`` is the template's key, already described and found usable."""
        if not kms_key_id or kms_key_id.startswith("alias/aws/"):
            return None
        if kms_key_id == checked:
            return checked
        facts = self._kms.describe(kms_key_id)
        return facts.arn if facts.key_manager == "CUSTOMER" else None

    # Converging ---------------------------------------------------------------------------

    def _converge(self, desired: Desired, progress: Progress, target: _Target, old: SecretProperties | None) -> Result:
        """Observe, plan, apply; after a race (the name or the VersionId taken), observe again.

        Consent to adoption is single-use: once it was checked, a failure of the attempt for any
        reason removes the consent tag (a success removes it in its plan), so a consent left
        behind cannot be taken up later by another stack of the same, reusable, name."""
        consumed: list[str] = []
        try:
            return self._converge_consenting(desired, progress, target, old, consumed)
        except Exception:
            if consumed:
                progress.mark_adopting()  # the rollback Delete must leave the secret alone
            for arn in dict.fromkeys(consumed):
                self._withdraw_consent(arn)
            raise

    def _converge_consenting(
        self, desired: Desired, progress: Progress, target: _Target, old: SecretProperties | None, consumed: list[str]
    ) -> Result:
        observed = target.observed
        for _ in range(MAX_OBSERVATIONS):
            adoption = None
            if observed is not None:
                adoption, observed = self._adoption(desired, observed, creating=target.creating, consumed=consumed)
            # Before anything is read from an adopted secret (the planner checks it again).
            check_token_return(desired.props, adopted=adoption is not None or is_adopted(observed, target.donor))
            if observed is not None and adoption is None:  # an adoption keeps the token it found
                request = Request(desired, old=old, same_secret=target.same_secret)
                observed = self._learn(request, observed, target.donor)
            if adoption is not None:
                # A failed adoption must not hand CloudFormation's rollback Delete a secret that
                # existed before this stack: the failure names nothing (see the adapter).
                progress.mark_adopting()
            plan = plan_converge(
                desired, observed, old=old, donor=target.donor, adoption=adoption, same_secret=target.same_secret
            )
            try:
                return self._apply(plan, desired, observed, progress)
            except AwsCallError as error:
                if not _raced(error, created=observed is None):
                    raise
                logger.info("observing again", extra={"after": error.operation, "code": error.code})
                again = self._observe_again(desired, observed, progress)
                if observed is not None and again.versions == observed.versions:
                    raise  # nothing moved meanwhile: not a race, a real refusal
                observed = again
        raise AlreadyExistsError(
            f"Secret {desired.name[:80]} kept changing while this request ran; retry the stack operation",
            operation="secretsmanager:DescribeSecret",
            code="Conflict",
        )

    def _observe_again(self, desired: Desired, observed: SecretState | None, progress: Progress) -> SecretState:
        # The name is taken: a redelivered event, a name in its recovery window, or a foreign
        # secret; or a concurrent copy of this event wrote this request's VersionId first.
        # Only now is the secret described, which keeps the common Create at 3 calls.
        found = self._secrets.describe(observed.arn if observed is not None else desired.name)
        if found is None:
            raise AlreadyExistsError(
                f"Secret name {desired.name[:80]} is taken but cannot be described; retry the stack operation",
                operation="secretsmanager:CreateSecret",
                code="ResourceExistsException",
            )
        if observed is None and is_owned_by(found.tag_map(), desired.identity):
            progress.record_secret(found.arn)
        return found if observed is None else replace(found, values=observed.values)

    def _apply(self, plan: Plan, desired: Desired, observed: SecretState | None, progress: Progress) -> Result:
        logger.info("plan", extra={"actions": plan.summary(), "note": plan.note, "secret_name": desired.name})
        outcome = Applier(self._secrets, progress, known=dict(observed.values) if observed else {}).run(
            plan,
            arn=observed.arn if observed else None,
            name=observed.name if observed else desired.name,
            current_version=observed.current_version if observed else None,
        )
        return Result(outcome=outcome, props=desired.props, kms_key_arn=desired.kms_key_arn)

    # Requests -------------------------------------------------------------------------------

    def create(self, identity: ResourceIdentity, raw_props: object, progress: Progress) -> Result:
        desired = self._desired(self.properties(raw_props), identity)
        return self._converge(desired, progress, _Target(observed=None, creating=True), old=None)

    def update(
        self,
        identity: ResourceIdentity,
        physical_id: str,
        raw_props: object,
        raw_old_props: object,
        progress: Progress,
    ) -> Result:
        reference = self._reachable_reference(physical_id)
        props = self.properties(raw_props)
        old = try_parse_properties(raw_old_props, name_prefix=self._settings.name_prefix)
        desired = self._desired(props, identity)
        described: dict[str, SecretState | None] = {}

        def describe(secret_id: str) -> SecretState | None:
            if secret_id not in described:
                described[secret_id] = self._secrets.describe(secret_id)
            return described[secret_id]

        current = describe(reference) if reference else None
        donor = current if current is not None and is_owned_by(current.tag_map(), identity) else None
        if donor is not None:
            desired = replace(desired, name=self._name_after_update(desired, donor, describe))
        if current is not None and current.name == desired.name:
            return self._converge(desired, progress, _Target(current, same_secret=old is not None), old)
        # A new name (replacement), or the secret vanished: converge the secret of that name.
        # CloudFormation deletes the old PhysicalResourceId afterwards when the ARN changes.
        target = describe(desired.name)
        if target is not None and is_owned_by(target.tag_map(), identity):
            progress.record_secret(target.arn)
        return self._converge(desired, progress, _Target(target, donor=donor), old)

    def _name_after_update(self, desired: Desired, current: SecretState, describe: _Describe) -> str:
        identity, key = desired.identity, desired.kms_key_arn
        prefix = self._settings.name_prefix

        def first() -> tuple[str | None, Mapping[str, str]] | None:
            found = describe(default_secret_name(identity, prefix))
            return (found.kms_key_id, found.tag_map()) if found is not None else None

        replaced = key_replaced(key, current, self._key_arn_of(current, checked=key))
        if replaced:
            logger.info("key change: the secret is replaced", extra={"kms_key_arn": key})
        return secret_name_after_update(
            wanted=desired.props.secret_name,
            identity=identity,
            prefix=prefix,
            kms_key_arn=key,
            current_name=current.name,
            replaced=replaced,
            first=first,
        )

    def _key_arn_of(self, secret: SecretState, *, checked: str) -> str | None:
        """The secret's key as an ARN (DescribeSecret returns KmsKeyId as it was given), looked
        up only when no version records the key the provider wrote for (see ``key_replaced``)."""
        key_id = secret.kms_key_id
        if key_id is None or key_id.startswith("arn:") or recorded_key(secret) is not None:
            return key_id
        return self._customer_key_arn(key_id, checked=checked)

    def delete(self, identity: ResourceIdentity, physical_id: str, raw_props: object) -> Plan:
        if cannot_be_ours(physical_id, self._settings.name_prefix):
            plan = Plan("", (), note="the PhysicalResourceId names no secret this provider made")
            logger.info("plan", extra={"actions": [], "note": plan.note})
            return plan
        observed = self._secrets.describe(self._reachable_reference(physical_id) or physical_id)
        plan = plan_delete(identity, parse_deletion_options(raw_props), observed)
        logger.info("plan", extra={"actions": plan.summary(), "note": plan.note})
        try:
            Applier(self._secrets, Progress()).run(
                plan, arn=plan.secret_id or None, name=observed.name if observed else "", current_version=None
            )
        except AwsCallError as error:
            # AWS answers InvalidRequestException ("currently marked deleted") when the secret
            # was scheduled meanwhile: a DeleteSecret retried after its response was lost, or
            # a concurrent delete. The goal is reached if it is now scheduled.
            if error.code != "InvalidRequestException" or not self._scheduled(plan.secret_id):
                raise
            logger.info("the secret was scheduled for deletion meanwhile")
        return plan

    def _scheduled(self, secret_id: str) -> bool:
        again = self._secrets.describe(secret_id) if secret_id else None
        return again is None or again.deleted_date is not None
