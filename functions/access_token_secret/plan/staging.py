"""Staged rotation: the next token waits under AWSPENDING until RotationId (or AccessToken)
promotes it, so an origin can learn it before MediaTailor sends it.

Secrets Manager's own rotation uses the same labels: AWSPENDING on a version other than
AWSCURRENT means a rotation is under way; on the current version it means none is (Secrets
Manager User Guide, "How rotation works"). Promotion is a move of AWSCURRENT, which leaves
AWSPREVIOUS on the version it left, as Secrets Manager does itself.

A supplied token is never fingerprinted (see :mod:`.versions`), so which supplied token a
version holds is known only through the event's old properties: the current version holds the
old ``AccessToken``, the pending one the old ``NextAccessToken``.
"""

from __future__ import annotations

from dataclasses import replace

from .actions import Action, PromoteVersion, PutSecretValue, ReusedToken, SuppliedToken, TokenSource, UnstagePending
from .desired import Desired, exact_version, fresh_source, same_token_version, written_for
from .properties import SecretProperties
from .state import SecretState
from .versions import VersionContent, content_of, parse_version_id, version_id

PENDING = "AWSPENDING"


def pending_content(props: SecretProperties) -> VersionContent:
    """What the pending version holds: the token for ``NextRotationId`` (or the supplied next token)."""
    return content_of(replace(props, rotation_id=props.next_rotation_id, access_token=props.next_access_token))


def staged_version(state: SecretState) -> str | None:
    """The version a rotation is waiting on: AWSPENDING on a version that is not current."""
    pending = state.version_with_stage(PENDING)
    return pending if pending is not None and pending != state.current_version else None


def supplied_pending_to_promote(desired: Desired, state: SecretState, old: SecretProperties | None) -> str | None:
    """The staged version holding the supplied ``AccessToken`` (the old ``NextAccessToken``)."""
    staged = staged_version(state)
    token = desired.props.access_token
    if staged is None or token is None or old is None or old.next_access_token != token:
        return None
    same_shape = parse_version_id(staged) == content_of(desired.props)
    return staged if same_shape and written_for(staged, desired.kms_key_arn) else None


def _holds_next_token(version: str, desired: Desired, state: SecretState, old: SecretProperties | None) -> bool:
    props = desired.props
    if parse_version_id(version) != pending_content(props) or not written_for(version, desired.kms_key_arn):
        return False
    if props.next_access_token is None:
        return True  # generated: the VersionId says which token it holds
    if old is None:
        return False
    if version == state.current_version:
        return old.access_token == props.next_access_token
    return old.next_access_token == props.next_access_token


def _pending_source(desired: Desired, state: SecretState | None, donor: SecretState | None) -> TokenSource:
    props = desired.props
    if props.next_access_token is not None:
        return SuppliedToken(props.next_access_token)
    content = pending_content(props)
    found = (exact_version(state, content) or same_token_version(state, content)) if state is not None else None
    if state is not None and found is not None:
        return ReusedToken(state.arn, found)
    return fresh_source(replace(desired, props=replace(props, rotation_id=props.next_rotation_id)), content, donor)


def pending_actions(
    desired: Desired,
    state: SecretState | None,
    value: tuple[Action, ...],
    *,
    old: SecretProperties | None,
    donor: SecretState | None,
    others_from: str | None = None,
) -> tuple[tuple[Action, ...], tuple[Action, ...]]:
    """(actions before the current value is written, actions after it).

    ``value`` are the actions that settle AWSCURRENT. AWSPENDING left on the version that stops
    being current is taken off *before* a new current is written: AWS keeps the label on that
    version, the emulator drops it, and either way it must not look like a rotation under way.
    """
    props = desired.props
    promoted = next((a.version_id for a in value if isinstance(a, PromoteVersion)), None)
    written = next((a.version_id for a in value if isinstance(a, PutSecretValue)), None)
    live = state.version_with_stage(PENDING) if state is not None else None
    post_current = promoted or written or (state.current_version if state is not None else None)
    if not props.stages_next_token:
        return ((UnstagePending(live),) if live is not None and live != post_current else ()), ()
    new_pending = version_id(
        pending_content(props),
        desired.kms_key_arn,
        desired.identity.digest("pending"),
        keeps_others=others_from is not None,
    )
    survivor = surviving_pending(state, post_current=post_current, rewritten=written is not None)
    if (
        survivor is not None
        and state is not None
        and (survivor == new_pending or _holds_next_token(survivor, desired, state, old))
    ):
        return (), ()
    source = _pending_source(desired, state, donor)
    return (), (
        PutSecretValue(source, props.secret_string_key, new_pending, stages=(PENDING,), others_from=others_from),
    )


def surviving_pending(state: SecretState | None, *, post_current: str | None, rewritten: bool) -> str | None:
    """The version that will still carry AWSPENDING, apart from the current one, once AWSCURRENT
    is settled. A label on the old current survives a promotion, but not (in the emulator) a
    new write, so it is not counted on then."""
    live = state.version_with_stage(PENDING) if state is not None else None
    if state is None or live is None or live == post_current:
        return None
    return None if live == state.current_version and rewritten else live
