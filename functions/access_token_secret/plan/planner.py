"""From (desired properties, observed secret) to the shortest list of actions that converges.

The same :func:`plan_converge` serves Create, in-place Update, replacement, adoption after a
redelivered event and reclaiming a name in its recovery window: they only differ in what was
observed. Every rule that decides whether a secret may be touched lives here.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import SecretConflictError
from .actions import (
    Action,
    CreateSecret,
    DeleteSecret,
    Plan,
    PutResourcePolicy,
    PutSecretValue,
    ReportTokens,
    RestoreSecret,
    SuppliedToken,
    TagSecret,
    UntagSecret,
    UpdateSecret,
)
from .adoption import ADOPT_TAG, Adoption, check_consent, check_key, check_token_return, is_adopted
from .context import ResourceIdentity
from .desired import Desired
from .labels import NEXT, VALUE, Request, Settled, new_version, settle, settle_current
from .naming import is_owned_by, is_reclaimable_by, owner_tags
from .properties import DeletionOptions, SecretProperties
from .state import PENDING, SecretState
from .versions import keeps_other_keys


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
            # The owner tags move to this stack at once: a redelivery after a crash here finds
            # a live secret that names a stack of another ID, which it could not tell from a
            # foreign one (only a scheduled secret is reclaimed: AWS refuses tags on those).
            moved = tuple(sorted((k, v) for k, v in owner_tags(identity).items() if tags.get(k) != v))
            return (RestoreSecret(), TagSecret(moved))
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
    same_secret: bool = False,
) -> Plan:
    """Actions that make the secret named ``desired.name`` match ``desired``.

    ``observed`` is that secret as described (``None``: assumed absent), ``old`` the previous
    properties of an Update, ``donor`` the secret being left (its tokens are carried over, read,
    never moved), ``adoption`` what the service found in a secret whose owner consented to this
    resource taking it over, ``same_secret`` whether ``observed`` is the secret the event's
    PhysicalResourceId names (see :class:`~.labels.Request`). Token decisions: :mod:`.labels`.
    """
    props = desired.props
    request = Request(desired, old=old, same_secret=same_secret and observed is not None)
    token_keys = (props.secret_string_key, *request.also_keys)
    check_token_return(props, adopted=adoption is not None or is_adopted(observed, donor))
    if observed is None:
        return _plan_create(request, donor, token_keys)
    ownership = _ownership_actions(desired, observed, adoption)
    actions: list[Action] = list(ownership)
    key_changed = observed.kms_key_id != desired.kms_key_arn
    description_changed = observed.description != props.description
    if key_changed or description_changed:
        actions.append(
            UpdateSecret(
                kms_key_arn=desired.kms_key_arn if key_changed else None,
                description=props.description if description_changed else None,
            )
        )
    adopted = adoption is not None or keeps_other_keys(observed.current_version)
    others_from = observed.arn if adopted else None
    if adoption is not None:
        value = _adopted_value(request, observed, adoption)
    else:
        value = settle_current(request, observed, donor, adopted=adopted, others_from=others_from)
    settled = settle(request, observed, donor, value=value, adopted=adopted, others_from=others_from)
    actions.extend(settled.actions)
    # The tags a reclaim already moved (see _ownership_actions) are not tagged twice.
    moved = dict(next((a.tags for a in ownership if isinstance(a, TagSecret)), ()))
    actions.extend(_tag_actions(desired, replace(observed, tags=tuple((observed.tag_map() | moved).items())), old))
    actions.append(PutResourcePolicy())
    if props.return_access_token:
        actions.append(_report(settled, supplied_only=adopted or is_adopted(donor), staged=request.pending is not None))
    return Plan(observed.arn, tuple(actions), note="adopt" if adoption else "converge", token_keys=token_keys)


def _plan_create(request: Request, donor: SecretState | None, token_keys: tuple[str, ...]) -> Plan:
    desired = request.desired
    props = desired.props
    adopted = donor is not None and keeps_other_keys(donor.current_version)
    others_from = donor.arn if donor is not None and adopted else None
    source, written = new_version(request.current, request, None, donor, purpose=VALUE, adopted=adopted)
    actions: list[Action] = [
        CreateSecret(
            name=desired.name,
            kms_key_arn=desired.kms_key_arn,
            description=props.description,
            tags=tuple(sorted(desired.tags().items())),
            source=source,
            secret_string_key=props.secret_string_key,
            version_id=written,
            others_from=others_from,
        )
    ]
    pending = None
    if request.pending is not None:
        next_source, pending = new_version(request.pending, request, None, donor, purpose=NEXT, adopted=adopted)
        actions.append(
            PutSecretValue(next_source, props.secret_string_key, pending, stages=(PENDING,), others_from=others_from)
        )
    actions.append(PutResourcePolicy())
    if props.return_access_token:
        actions.append(ReportTokens(current=written, pending=pending, previous=None))
    return Plan(desired.name, tuple(actions), note="create", token_keys=token_keys)


def _adopted_value(request: Request, state: SecretState, adoption: Adoption) -> tuple[Action, ...]:
    """The token the secret holds (or the template's ``AccessToken``), written once under a
    provider VersionId that marks the secret as adopted; its other JSON keys are kept."""
    desired = request.desired
    props = desired.props
    token = props.access_token or adoption.token
    if token is None:
        raise SecretConflictError(
            f"Cannot adopt {desired.name[:80]}: {adoption.problem}; supply AccessToken (through a NoEcho "
            "parameter) so that the origin keeps working, as no token is generated for an adopted secret"
        )
    _, written = new_version(request.current, request, None, None, purpose=VALUE, adopted=True)
    if state.current_version == written:
        return ()
    return (PutSecretValue(SuppliedToken(token), props.secret_string_key, written, others_from=state.arn),)


def _report(settled: Settled, *, supplied_only: bool, staged: bool) -> ReportTokens:
    """The tokens the response carries. From an adopted secret only those the template supplies
    (``AccessToken``, and ``NextAccessToken`` when ``staged``; :func:`~.adoption.check_token_return`
    requires a supplied AccessToken, so AWSCURRENT holds it). AWSPREVIOUS, or an AWSPENDING the
    template did not ask for, may hold the hand-made token, which the deployer was never shown:
    those read as the current token."""
    pending = settled.pending if settled.pending != settled.current else None
    if supplied_only:
        return ReportTokens(current=settled.current, pending=pending if staged else None, previous=None)
    return ReportTokens(current=settled.current, pending=pending, previous=settled.previous)


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
