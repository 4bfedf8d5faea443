"""From (desired properties, observed secret) to the shortest list of actions that converges.

The same :func:`plan_converge` serves Create, in-place Update, replacement, adoption after a
redelivered event and reclaiming a name in its recovery window: they only differ in what was
observed. Every rule that decides whether a secret may be touched lives here.
"""

from __future__ import annotations

from ..errors import SecretConflictError
from .actions import (
    Action,
    CreateSecret,
    DeleteSecret,
    Plan,
    PromoteVersion,
    PutResourcePolicy,
    PutSecretValue,
    ReadCurrentToken,
    ReadStagedTokens,
    RestoreSecret,
    ReusedToken,
    SuppliedToken,
    TagSecret,
    TokenSource,
    UntagSecret,
    UpdateSecret,
)
from .adoption import ADOPT_TAG, Adoption, check_consent, check_key
from .context import ResourceIdentity
from .desired import Desired, exact_version, fresh_source, same_token_version, written_for
from .naming import is_owned_by, is_reclaimable_by
from .properties import DeletionOptions, SecretProperties
from .staging import pending_actions, supplied_pending_to_promote, surviving_pending
from .state import PREVIOUS, SecretState
from .versions import content_of, keeps_other_keys, parse_version_id, version_id


def _value_actions(
    desired: Desired,
    state: SecretState,
    *,
    old: SecretProperties | None,
    key_changed: bool,
    donor: SecretState | None,
    others_from: str | None,
) -> tuple[Action, ...]:
    props = desired.props
    content = content_of(props)
    new_version = version_id(
        content, desired.kms_key_arn, desired.identity.digest("value"), keeps_others=others_from is not None
    )
    current = state.current_version
    if current == new_version:
        return ()  # this very request already wrote it (redelivered event)
    # A source location may still ask for the previous JSON key until CloudFormation updates it.
    also_keys = (old.secret_string_key,) if old is not None and old.secret_string_key != props.secret_string_key else ()
    write_source: TokenSource
    if props.access_token is not None:
        unchanged = parse_version_id(current) == content and old is not None and old.access_token == props.access_token
        if unchanged and not key_changed:
            return ()
        staged = supplied_pending_to_promote(desired, state, old)
        if staged is not None and not key_changed and not also_keys:
            return (PromoteVersion(staged, current),)
        write_source = SuppliedToken(props.access_token)
    else:
        if parse_version_id(current) == content and not key_changed:
            return ()
        exact = exact_version(state, content)
        if exact is not None and not key_changed and not also_keys and written_for(exact, desired.kms_key_arn):
            return (PromoteVersion(exact, current),)
        same_token = exact or same_token_version(state, content)
        write_source = (
            ReusedToken(state.arn, same_token) if same_token is not None else fresh_source(desired, content, donor)
        )
    return (PutSecretValue(write_source, props.secret_string_key, new_version, also_keys, others_from=others_from),)


def _ownership_actions(desired: Desired, state: SecretState, adoption: Adoption | None) -> tuple[Action, ...]:
    """Restore when allowed; raise when the secret belongs to someone else."""
    tags = state.tag_map()
    identity = desired.identity
    if is_owned_by(tags, identity):
        return (RestoreSecret(),) if state.deleted_date is not None else ()
    if adoption is not None:
        check_consent(tags, identity, desired.name)
        check_key(adoption, desired.kms_key_arn, desired.name)
        restore: tuple[Action, ...] = (RestoreSecret(),) if state.deleted_date is not None else ()
        return (*restore, UntagSecret((ADOPT_TAG,)))
    if state.deleted_date is not None:
        if is_reclaimable_by(tags, identity):
            return (RestoreSecret(),)
        day = state.deleted_date.date().isoformat()
        # DeletedDate is "the date the secret is scheduled for deletion" (DescribeSecret): the
        # name frees up then, or when someone restores or force-deletes it sooner.
        raise SecretConflictError(
            f"Secret name {desired.name[:80]} belongs to another owner and is scheduled for deletion on {day}; "
            "choose another SecretName, or restore or force-delete that secret first"
        )
    raise SecretConflictError(
        f"A secret named {desired.name[:80]} already exists and is not managed by this resource; "
        "choose another SecretName (the existing secret was left untouched)"
    )


def _tag_actions(desired: Desired, state: SecretState, old: SecretProperties | None) -> tuple[Action, ...]:
    """Stale tags go first: TagResource appends, and a secret holds at most 50 tags (TagResource
    API reference), so swapping 48 user tags must not pass through 2 + 48 + 48."""
    present = state.tag_map()
    wanted = desired.tags()
    actions: list[Action] = []
    # Only tags this resource managed before are removed: others may belong to tag policies.
    previously = old.tag_map() if old is not None else {}
    stale = tuple(sorted(k for k in previously if k not in wanted and k in present))
    if stale:
        actions.append(UntagSecret(stale))
    changed = tuple(sorted((k, v) for k, v in wanted.items() if present.get(k) != v))
    if changed:
        actions.append(TagSecret(changed))
    return tuple(actions)


def plan_converge(
    desired: Desired,
    observed: SecretState | None,
    *,
    old: SecretProperties | None = None,
    donor: SecretState | None = None,
    adoption: Adoption | None = None,
) -> Plan:
    """Actions that make the secret named ``desired.name`` match ``desired``.

    ``observed`` is that secret as described (``None``: assumed absent), ``old`` the previous
    properties of an Update, ``donor`` the secret being replaced (to carry a generated token
    over to the new name), ``adoption`` what the service found in a secret whose owner
    consented to this resource taking it over.
    """
    props = desired.props
    content = content_of(props)
    token_keys = (props.secret_string_key, *(_old_key(props, old)))
    others_from: str | None
    if observed is None:
        others_from = donor.arn if donor is not None and keeps_other_keys(donor.current_version) else None
        create = CreateSecret(
            name=desired.name,
            kms_key_arn=desired.kms_key_arn,
            description=props.description,
            tags=tuple(sorted(desired.tags().items())),
            source=fresh_source(desired, content, donor),
            secret_string_key=props.secret_string_key,
            version_id=version_id(
                content, desired.kms_key_arn, desired.identity.digest("value"), keeps_others=others_from is not None
            ),
            others_from=others_from,
        )
        _, staging = pending_actions(desired, None, (create,), old=old, donor=donor, others_from=others_from)
        return Plan(desired.name, (create, *staging, PutResourcePolicy()), note="create", token_keys=token_keys)
    actions: list[Action] = list(_ownership_actions(desired, observed, adoption))
    key_changed = observed.kms_key_id != desired.kms_key_arn
    description_changed = observed.description != props.description
    if key_changed or description_changed:
        actions.append(
            UpdateSecret(
                kms_key_arn=desired.kms_key_arn if key_changed else None,
                description=props.description if description_changed else None,
            )
        )
    if adoption is not None:
        value = _adopted_value(desired, observed, adoption)
        others_from = observed.arn
    else:
        others_from = observed.arn if keeps_other_keys(observed.current_version) else None
        value = _value_actions(
            desired, observed, old=old, key_changed=key_changed, donor=donor, others_from=others_from
        )
    unstage, staging = pending_actions(desired, observed, value, old=old, donor=donor, others_from=others_from)
    actions.extend((*unstage, *value, *staging))
    actions.extend(_tag_actions(desired, observed, old))
    actions.append(PutResourcePolicy())
    if props.return_access_token:
        actions.extend(_reads(observed, value, staging))
    return Plan(observed.arn, tuple(actions), note="adopt" if adoption else "converge", token_keys=token_keys)


def _old_key(props: SecretProperties, old: SecretProperties | None) -> tuple[str, ...]:
    return (old.secret_string_key,) if old is not None and old.secret_string_key != props.secret_string_key else ()


def _adopted_value(desired: Desired, state: SecretState, adoption: Adoption) -> tuple[Action, ...]:
    """The token the secret holds (or the template's ``AccessToken``), written once under a
    provider VersionId that marks the secret as adopted; its other JSON keys are kept."""
    props = desired.props
    token = props.access_token or adoption.token
    if token is None:
        raise SecretConflictError(
            f"Cannot adopt {desired.name[:80]}: {adoption.problem}; supply AccessToken (through a NoEcho "
            "parameter) so that the origin keeps working, as no token is generated for an adopted secret"
        )
    written = version_id(content_of(props), desired.kms_key_arn, desired.identity.digest("value"), keeps_others=True)
    if state.current_version == written:
        return ()
    return (PutSecretValue(SuppliedToken(token), props.secret_string_key, written, others_from=state.arn),)


def _reads(state: SecretState, value: tuple[Action, ...], staging: tuple[Action, ...]) -> tuple[Action, ...]:
    """``ReturnAccessToken``: read what this request does not write, as AWSCURRENT, AWSPENDING
    and AWSPREVIOUS will be after the writes (``value`` is at most one action)."""
    rewritten = any(isinstance(a, PutSecretValue) for a in value)
    reads: list[Action] = [] if rewritten else [ReadCurrentToken()]
    post_current = next((a.version_id for a in value if isinstance(a, (PutSecretValue, PromoteVersion))), None)
    pending = (
        None
        if staging
        else surviving_pending(state, post_current=post_current or state.current_version, rewritten=rewritten)
    )
    previous = state.current_version if value else state.version_with_stage(PREVIOUS)
    if pending is not None or previous is not None:
        reads.append(ReadStagedTokens(pending_version=pending, previous_version=previous))
    return tuple(reads)


def plan_delete(identity: ResourceIdentity, options: DeletionOptions, observed: SecretState | None) -> Plan:
    """Schedule deletion of an owned secret; anything else is answered without touching AWS."""
    if observed is None:
        return Plan("", (), note="already gone")
    if not is_owned_by(observed.tag_map(), identity):
        return Plan(observed.arn, (), note="not owned by this resource; left untouched")
    if observed.deleted_date is not None:
        return Plan(observed.arn, (), note="already scheduled for deletion")
    if options.force_delete_without_recovery:
        action = DeleteSecret(recovery_window_in_days=None, force=True)
    else:
        action = DeleteSecret(recovery_window_in_days=options.recovery_window_in_days, force=False)
    return Plan(observed.arn, (action,), note="delete")
