"""From one observation to the plan: every decision of a request, made once.

Create, Update, replacement, adoption, a redelivery and a reclaim differ only in what was
observed. The checks run in order, each once: the key, a key change under an unchanged
SecretName, adoption (or the token return rule), ownership, then the label tables.
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
from .adoption import (
    ADOPT_TAG,
    Adoption,
    adoption_refusal,
    consented,
    is_adopted,
    policy_refusal,
    stored_token,
    token_return_refusal,
)
from .keys import usable_key_arn
from .labels import EMPTY, VALUE, Lands, Request, Settled, settle
from .naming import check_key_change_renames, is_owned_by, is_reclaimable_by, owner_tags
from .observation import Asked, AskedDelete, Observation, Where, adopted_key, where
from .record import check_not_superseded, with_record
from .state import SecretState


def decide(asked: Asked, seen: Observation) -> Plan:
    """The plan for a Create or Update, from its complete observation (see :mod:`.observation`)."""
    found = where(asked, seen)
    assert found is not None, "decide() needs a complete observation"
    check_not_superseded(asked.identity, landing=found.landing, leaving=found.leaving)
    usable_key_arn(seen.keys[asked.props.kms_key_id], asked.settings.region)
    leaving = found.leaving
    if leaving is not None and is_owned_by(leaving.tag_map(), asked.identity):
        check_key_change_renames(asked.props.secret_name, leaving.name, replaced=found.replaced)
    adoption = _adoption(asked, found, seen)
    refusal = None if adoption else token_return_refusal(asked.props, adopted=is_adopted(found.landing, found.donor))
    if refusal is not None:
        raise refusal
    return plan_converge(found.request(asked), found.landing, donor=found.donor, adoption=adoption)


def _adoption(asked: Asked, found: Where, seen: Observation) -> Adoption | None:
    """What adopting the landing secret keeps, when the template asks to adopt it."""
    adoptee = found.adoptee(asked)
    if adoptee is None:
        return None
    key_arn = adopted_key(found, seen)
    refusal = adoption_refusal(adoptee, found.request(asked), asked.settings.region, (key_arn, found.key_arn))
    refusal = refusal or policy_refusal(seen.policies[adoptee.arn], adoptee, found.name)
    if refusal is not None:
        raise refusal
    if asked.props.access_token is not None:
        return Adoption(kms_key_arn=key_arn)  # the template supplies the token
    token, problem = stored_token(seen.stored[adoptee.arn], asked.props.secret_string_key)
    return Adoption(kms_key_arn=key_arn, token=token, problem=problem)


def consent_used(asked: Asked, seen: Observation) -> str | None:
    """The secret whose consent this request checked and so used up (removed on any outcome)."""
    found = where(asked, seen)
    adoptee = found.adoptee(asked) if found is not None else None
    return adoptee.arn if adoptee is not None and consented(adoptee, asked.identity) else None


def moved(before: Plan, after: Plan) -> bool:
    """After a write refused as a race: the secret moved (a new plan), or the refusal is real."""
    return before != after


def _ownership_actions(request: Request, state: SecretState, adoption: Adoption | None) -> tuple[Action, ...]:
    """Restore when allowed; raise when the secret belongs to someone else."""
    tags, identity = state.tag_map(), request.identity
    if is_owned_by(tags, identity) or adoption is not None:  # an adoption: its consent and key were checked
        return (RestoreSecret(),) if state.deleted_date is not None else ()
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
            f"Secret name {request.name[:80]} belongs to another owner and is scheduled for deletion on {day}; "
            "choose another SecretName, or restore or force-delete that secret first"
        )
    raise SecretConflictError(
        f"A secret named {request.name[:80]} already exists and is not managed by this resource; "
        "choose another SecretName (the existing secret was left untouched)"
    )


def _tag_actions(request: Request, state: SecretState) -> tuple[Action, ...]:
    """Stale tags go first: TagResource appends, and a secret holds at most 50 tags (TagResource
    API reference), so swapping 48 user tags must not pass through 2 + 48 + 48."""
    present, wanted = state.tag_map(), request.tags()
    # Only tags this resource managed before are removed: others may belong to tag policies.
    previously = request.old.tag_map() if request.old is not None else {}
    stale = tuple(sorted(k for k in previously if k not in wanted and k in present))
    changed = tuple(sorted((k, v) for k, v in wanted.items() if present.get(k) != v))
    untag: tuple[Action, ...] = (UntagSecret(stale),) if stale else ()
    return (*untag, TagSecret(changed)) if changed else untag


def plan_converge(
    request: Request,
    observed: SecretState | None,
    *,
    donor: SecretState | None = None,
    adoption: Adoption | None = None,
) -> Plan:
    """Actions that make ``observed`` (``None``: a Create) match ``request``; ``donor`` is the
    secret being left, whose tokens are read again, never moved."""
    token_keys = (request.props.secret_string_key, *request.also_keys)
    state = observed or EMPTY
    marked = observed or donor or EMPTY
    adopted = adoption is not None or is_adopted(marked)
    lands = Lands(request, state, donor, others_from=marked.arn if adopted else None)
    settled = settle(lands, _adopted_value(lands, adoption) if adoption is not None else None)
    actions = _create(request, settled) if observed is None else _update(request, observed, adoption, settled)
    left = donor if donor is not None and donor.arn != state.arn else None
    actions = with_record(actions, request.identity, state.tag_map(), left=left)
    if request.props.return_access_token:
        supplied_only = adopted or is_adopted(donor)
        actions.append(_report(settled, supplied_only=supplied_only, staged=request.pending is not None))
    note = "create" if observed is None else "adopt" if adoption else "converge"
    name, current = state.name or request.name, state.current_version
    return Plan(state.arn or request.name, tuple(actions), note, token_keys, name, current)


def _create(request: Request, settled: Settled) -> list[Action]:
    """The AWSCURRENT write becomes CreateSecret, which takes the key, tags and description."""
    first, *rest = settled.actions
    assert isinstance(first, PutSecretValue)
    assert not first.pending
    write = replace(first.write, also_keys=())
    tags = tuple(sorted(request.tags().items()))
    create = CreateSecret(request.name, request.kms_key_arn, request.props.description, tags, write)
    return [create, *rest, PutResourcePolicy()]


def _update(request: Request, observed: SecretState, adoption: Adoption | None, settled: Settled) -> list[Action]:
    props = request.props
    ownership = _ownership_actions(request, observed, adoption)
    actions: list[Action] = list(ownership)
    key = request.kms_key_arn if observed.kms_key_id != request.kms_key_arn else None
    description = props.description if observed.description != props.description else None
    if key is not None or description is not None:
        actions.append(UpdateSecret(kms_key_arn=key, description=description))
    actions.extend(settled.actions)
    # The tags a reclaim already moved (see _ownership_actions) are not tagged twice.
    moved_tags = dict(next((a.tags for a in ownership if isinstance(a, TagSecret)), ()))
    retagged = replace(observed, tags=tuple((observed.tag_map() | moved_tags).items()))
    actions.extend(_tag_actions(request, retagged))
    if adoption is not None:
        # Only now that the value is written and the owner tags are on: at every moment the
        # secret carries the consent or the owner tags, so a concurrent copy of this event
        # answers as this one does (adopting, or converging a secret it owns).
        actions.append(UntagSecret((ADOPT_TAG,)))
    actions.append(PutResourcePolicy())
    return actions


def _adopted_value(lands: Lands, adoption: Adoption) -> tuple[Action, ...]:
    """The adoptee's token (or ``AccessToken``), written once under a VersionId marking it adopted."""
    request = lands.request
    token = request.props.access_token or adoption.token
    if token is None:
        raise SecretConflictError(
            f"Cannot adopt {request.name[:80]}: {adoption.problem}; supply AccessToken (through a NoEcho "
            "parameter) so that the origin keeps working, as no token is generated for an adopted secret"
        )
    fresh = Lands(lands.request, EMPTY, None, others_from=lands.state.arn)  # nothing is reused
    write = replace(fresh.write(lands.request.current, VALUE), source=SuppliedToken(token))
    return () if lands.state.current_version == write.version_id else (PutSecretValue(write),)


def _report(settled: Settled, *, supplied_only: bool, staged: bool) -> ReportTokens:
    """From an adopted secret only supplied tokens (AWSCURRENT, and AWSPENDING when ``staged``):
    AWSPREVIOUS, or an unasked AWSPENDING, may hold the hand-made token nobody showed the
    deployer, so those read as the current token."""
    pending = settled.pending if settled.pending != settled.current else None
    if supplied_only:
        return ReportTokens(current=settled.current, pending=pending if staged else None, previous=None)
    return ReportTokens(current=settled.current, pending=pending, previous=settled.previous)


def decide_delete(asked: AskedDelete, seen: Observation) -> Plan:
    """Schedule deletion of an owned secret (recorded first); anything else touches nothing."""
    if asked.reference is None:
        return Plan("", (), note="the PhysicalResourceId names no secret this provider made")
    observed, identity, options = seen.secrets[asked.reference], asked.identity, asked.options
    if observed is None:
        return Plan("", (), note="already gone")
    check_not_superseded(identity, landing=observed, deleting=True)
    if not is_owned_by(observed.tag_map(), identity):
        return Plan(observed.arn, (), note="not owned by this resource; left untouched")
    if observed.deleted_date is not None:
        return Plan(observed.arn, (), note="already scheduled for deletion")
    force = options.force_delete_without_recovery
    action = DeleteSecret(recovery_window_in_days=None if force else options.recovery_window_in_days)
    actions = with_record([action], identity, observed.tag_map())
    return Plan(observed.arn, tuple(actions), note="delete", name=observed.name)
