"""The provider's use cases: properties -> observe -> plan -> apply, with no CloudFormation
format and no boto3 in sight (the adapter and the AWS layer own those)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .aws.apply import Applier, Outcome, Progress
from .aws.kms import describe_key
from .aws.secretsmanager import SecretsManager
from .errors import (
    AlreadyExistsError,
    AwsCallError,
    KmsKeyError,
    ProviderConfigurationError,
    ScheduledForDeletionError,
)
from .logs import logger
from .plan.actions import Plan
from .plan.adoption import Adoption, check_consent, check_key, stored_token
from .plan.context import ProviderSettings, ResourceIdentity
from .plan.desired import Desired
from .plan.keys import key_replaced, usable_key_arn
from .plan.naming import (
    default_secret_name,
    is_owned_by,
    is_reclaimable_by,
    is_secret_reference,
    key_bound_secret_name,
    outside_prefix_problem,
)
from .plan.planner import plan_converge, plan_delete
from .plan.properties import (
    SecretProperties,
    parse_deletion_options,
    parse_properties,
    try_parse_properties,
)
from .plan.state import SecretState

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


@dataclass(frozen=True)
class Result:
    """What CloudFormation gets back: the secret plus the properties that shaped it."""

    outcome: Outcome
    props: SecretProperties
    kms_key_arn: str


def secret_reference(physical_id: str) -> str | None:
    """The SecretId a PhysicalResourceId stands for, or ``None`` for a placeholder.

    Successful requests return the secret ARN; a Create that failed before the secret surely
    existed returns the intended *name* (so the rollback Delete can still remove a secret that a
    timed-out call created) or a marker containing ``#``, which no secret name can hold.
    """
    return physical_id if is_secret_reference(physical_id) else None


class AccessTokenSecretService:
    def __init__(self, *, secrets: SecretsManager, kms: KMSClient, settings: ProviderSettings) -> None:
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
        key_arn = usable_key_arn(describe_key(self._kms, props.kms_key_id), self._settings.region)
        return Desired(props=props, identity=identity, name=self.desired_name(props, identity), kms_key_arn=key_arn)

    def _apply(self, plan: Plan, desired: Desired, observed: SecretState | None, progress: Progress) -> Result:
        logger.info("plan", extra={"actions": plan.summary(), "note": plan.note, "secret_name": desired.name})
        outcome = Applier(self._secrets, progress).run(
            plan,
            arn=observed.arn if observed else None,
            name=observed.name if observed else desired.name,
            current_version=observed.current_version if observed else None,
        )
        return Result(outcome=outcome, props=desired.props, kms_key_arn=desired.kms_key_arn)

    def _converge(
        self,
        desired: Desired,
        progress: Progress,
        *,
        observed: SecretState | None,
        old: SecretProperties | None = None,
        donor: SecretState | None = None,
    ) -> Result:
        """Plan and apply; if CreateSecret finds the name taken, look at it and plan again."""
        adoption = None
        if observed is not None:
            adoption, observed = self._adoption(desired, observed)
        if adoption is not None:
            # A failed adoption must not hand CloudFormation's rollback Delete a secret that
            # existed before this stack: the failure names nothing (see the adapter).
            progress.mark_adopting()
        plan = plan_converge(desired, observed, old=old, donor=donor, adoption=adoption)
        try:
            return self._apply(plan, desired, observed, progress)
        except (AlreadyExistsError, ScheduledForDeletionError):
            if observed is not None:
                raise
        # The name is taken: a redelivered event, a name in its recovery window, or a foreign
        # secret. Only now is the secret described, which keeps the common Create at 3 calls.
        found = self._secrets.describe(desired.name)
        if found is None:
            raise AlreadyExistsError(
                f"Secret name {desired.name[:80]} is taken but cannot be described; retry the stack operation",
                operation="secretsmanager:CreateSecret",
                code="ResourceExistsException",
            )
        if is_owned_by(found.tag_map(), desired.identity):
            progress.record_secret(found.arn)
        return self._converge(desired, progress, observed=found, old=old, donor=donor)

    def _adoption(self, desired: Desired, found: SecretState) -> tuple[Adoption | None, SecretState]:
        """What adopting ``found`` needs, when the template asks for it and the secret is not
        already this resource's. Consent and the key are checked before anything is read or
        written; a secret in its recovery window is restored first, as its token must be read."""
        identity, props = desired.identity, desired.props
        tags = found.tag_map()
        if not props.adopt_existing_secret or is_owned_by(tags, identity):
            return None, found
        if found.deleted_date is not None and is_reclaimable_by(tags, identity):
            return None, found  # the reclaim rule needs no consent
        check_consent(tags, identity, desired.name)
        adoption = Adoption(kms_key_arn=self._customer_key_arn(found.kms_key_id, checked=desired.kms_key_arn))
        check_key(adoption, desired.kms_key_arn, desired.name)
        if props.access_token is not None:
            return adoption, found  # the template supplies the token
        if found.deleted_date is not None:
            self._secrets.restore(found.arn)
            found = replace(found, deleted_date=None)
        token, problem = stored_token(self._secrets.read_string(found.arn), props.secret_string_key)
        return replace(adoption, token=token, problem=problem), found

    def _customer_key_arn(self, kms_key_id: str | None, *, checked: str) -> str | None:
        """The ARN of a secret's key when it is customer managed (``None``: AWS managed).
        ``checked`` is the template's key, already described and found usable."""
        if not kms_key_id or kms_key_id.startswith("alias/aws/"):
            return None
        if kms_key_id == checked:
            return checked
        facts = describe_key(self._kms, kms_key_id)
        return facts.arn if facts.key_manager == "CUSTOMER" else None

    def create(self, identity: ResourceIdentity, raw_props: object, progress: Progress) -> Result:
        desired = self._desired(self.properties(raw_props), identity)
        return self._converge(desired, progress, observed=None)

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
            desired = replace(desired, name=self._name_after_update(desired, donor, old, describe))
        if current is not None and current.name == desired.name:
            return self._converge(desired, progress, observed=current, old=old)
        # A new name (replacement), or the secret vanished: converge the secret of that name.
        # CloudFormation deletes the old PhysicalResourceId afterwards when the ARN changes.
        target = describe(desired.name)
        if target is not None and is_owned_by(target.tag_map(), identity):
            progress.record_secret(target.arn)
        return self._converge(desired, progress, observed=target, old=old, donor=donor)

    def _name_after_update(
        self,
        desired: Desired,
        current: SecretState,
        old: SecretProperties | None,
        describe: Callable[[str], SecretState | None],
    ) -> str:
        """The name of the secret this Update converges, given the owned secret it replaces.

        A new key means a new secret (see :func:`key_replaced`): its new ARN is what makes
        CloudFormation update the source location, and MediaTailor then grants itself the new
        key. Every other update keeps the name, so secrets made by earlier releases keep theirs.
        """
        props, identity, key = desired.props, desired.identity, desired.kms_key_arn
        replaced = key_replaced(key, current, props=props, old=old)
        if props.secret_name is not None:
            if replaced and current.name == props.secret_name:
                raise KmsKeyError(
                    f"KmsKeyId changed but SecretName stayed {props.secret_name[:80]}: MediaTailor only picks up "
                    "a new key through a new secret; change KmsKeyId and SecretName together"
                )
            return desired.name
        prefix = self._settings.name_prefix
        first = default_secret_name(identity, prefix)
        keyed = key_bound_secret_name(identity, prefix, key)
        if not replaced and current.name in (first, keyed):
            return current.name
        # The first secret (Create's name) when it is free or still holds this key (a rollback,
        # a change undone); otherwise the secret named for this key.
        if current.name != first:
            found = describe(first)
            if found is None or (found.kms_key_id == key and is_reclaimable_by(found.tag_map(), identity)):
                return first
        if replaced:
            logger.info("key change: the secret is replaced", extra={"kms_key_arn": key})
        return keyed

    def delete(self, identity: ResourceIdentity, physical_id: str, raw_props: object) -> Plan:
        reference = self._reachable_reference(physical_id)
        if reference is None:
            plan = Plan("", (), note="placeholder PhysicalResourceId; nothing was created")
            logger.info("plan", extra={"actions": [], "note": plan.note})
            return plan
        observed = self._secrets.describe(reference)
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
