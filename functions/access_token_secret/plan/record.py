"""The last operation applied to a secret, recorded on the secret itself.

Lambda delivers an event at least once and retries a throttled one for up to
``MaximumEventAgeInSeconds`` while CloudFormation sends newer operations: a late Update would
move AWSCURRENT back, a late Create restore a deleted secret. So a request that changes a
secret tags it with its ResponseURL's signing time and RequestId, and a request signed strictly
earlier than a record it meets changes nothing (the same second passes: a rollback may share
it). A URL with no signing time (``sam local``) is neither checked nor recorded.

Two tags, both stored formats (frozen by a golden fixture), each
``<YYYYMMDDTHHMMSSZ> <RequestId>`` (UTC, as SigV4's ``X-Amz-Date`` writes it; the RequestId cut
to the characters a tag value may hold):

================================  ======================================  =====================
tag                               written by                              checked by
================================  ======================================  =====================
``...:applied``                   a Create or Update that changes the     every request that
                                  secret it lands on, and the secret a    lands on the secret
                                  move leaves (key change, rename)        or leaves it
``...:deleted``                   a Delete, just before DeleteSecret      every request that
                                                                          lands on the secret
================================  ======================================  =====================

A request leaving a secret ignores ``deleted``: CloudFormation deletes the secret a replacement
left after the replacement, so a duplicate of the replacement still finds its own record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from ..errors import SecretConflictError
from .actions import (
    Action,
    CreateSecret,
    DeleteSecret,
    PutResourcePolicy,
    ReportTokens,
    RestoreSecret,
    TagSecret,
    UntagSecret,
)
from .context import ResourceIdentity
from .naming import TAG_PREFIX, is_owned_by
from .state import SecretState

APPLIED_TAG: Final = TAG_PREFIX + "applied"
DELETED_TAG: Final = TAG_PREFIX + "deleted"
MAX_TAGS: Final = 50  # a secret holds at most 50 tags (TagResource API reference)
_TIME_FORMAT: Final = "%Y%m%dT%H%M%SZ"
_NOT_IN_A_TAG_VALUE: Final = re.compile(r"[^A-Za-z0-9 +\-=._:/@]")
_MAX_REQUEST_ID: Final = 100
_NOT_CHANGES: Final = (PutResourcePolicy, ReportTokens)  # the policy is the same on every request


@dataclass(frozen=True)
class Applied:
    signed_at: datetime
    request_id: str


def record_value(identity: ResourceIdentity) -> str | None:
    """What this request records (``None`` without a signing time)."""
    if identity.signed_at is None:
        return None
    return f"{identity.signed_at.astimezone(UTC):{_TIME_FORMAT}} {_request_id(identity)}".rstrip()


def _request_id(identity: ResourceIdentity) -> str:
    return _NOT_IN_A_TAG_VALUE.sub("", identity.request_id)[:_MAX_REQUEST_ID]


def recorded(state: SecretState, key: str) -> Applied | None:
    stamp, _, request_id = state.tag_map().get(key, "").partition(" ")
    try:
        return Applied(datetime.strptime(stamp, _TIME_FORMAT).replace(tzinfo=UTC), request_id)
    except ValueError:
        return None


def check_not_superseded(
    identity: ResourceIdentity,
    *,
    landing: SecretState | None,
    leaving: SecretState | None = None,
    deleting: bool = False,
) -> None:
    """Only a secret this resource owns counts (see the table): anyone may tag another."""
    if identity.signed_at is None:
        return
    signed_at = identity.signed_at.replace(microsecond=0)
    met = [(landing, APPLIED_TAG), (landing, DELETED_TAG), (leaving, APPLIED_TAG)]
    records = [recorded(s, key) for s, key in met if s is not None and is_owned_by(s.tag_map(), identity)]
    newer = [r for r in records if r is not None and r.signed_at > signed_at]
    # A secret this very request deleted (an Update that failed and removed what it had made):
    # a copy of the request must not restore it. A copy of a Delete finds it done.
    own = recorded(landing, DELETED_TAG) if landing is not None and is_owned_by(landing.tag_map(), identity) else None
    if own is not None and own.request_id == _request_id(identity) and not deleting:
        newer.append(own)
    if newer:
        last = max(newer, key=lambda applied: applied.signed_at)
        raise SecretConflictError(
            f"A newer operation (request {last.request_id[:80]}, signed {last.signed_at:{_TIME_FORMAT}}) was "
            f"already applied; this late copy of one signed {signed_at:{_TIME_FORMAT}} changed nothing"
        )


def with_record(
    actions: list[Action], identity: ResourceIdentity, present: dict[str, str], *, left: SecretState | None = None
) -> list[Action]:
    """``actions`` with this request's record, first on ``left`` (the live secret a move leaves).
    A request that changes nothing records nothing (a late copy then finds what it asks for); a
    secret with no room for the tag goes unrecorded: the user's tags come first."""
    value = record_value(identity)
    if value is None or all(isinstance(action, _NOT_CHANGES) for action in actions):
        return actions
    key = DELETED_TAG if any(isinstance(action, DeleteSecret) for action in actions) else APPLIED_TAG
    recorded_actions = _recorded(actions, (key, value), present, identity)
    if left is not None and left.deleted_date is None and _room(left.tag_map(), set(), {APPLIED_TAG}):
        return [TagSecret(((APPLIED_TAG, value),), secret_id=left.arn), *recorded_actions]
    return recorded_actions


def _room(present: dict[str, str], untagged: set[str], tagged: set[str]) -> bool:
    return len((present.keys() - untagged) | tagged) <= MAX_TAGS


def _recorded(
    actions: list[Action], pair: tuple[str, str], present: dict[str, str], identity: ResourceIdentity
) -> list[Action]:
    """On a secret this resource owns, the record goes before the first change (after a restore:
    AWS tags no secret scheduled for deletion), so that a crash after any write leaves it behind
    and a redelivery that finds nothing left to do still finds it. On a secret it is about to own
    (an adoption, a reclaim) it joins the TagSecret that makes it the owner: until then no late
    copy of this resource's may touch it. CreateSecret takes it among its tags."""
    joins = [i for i, a in enumerate(actions) if isinstance(a, CreateSecret | TagSecret) and not _elsewhere(a)]
    first = next((i for i, a in enumerate(actions) if not isinstance(a, RestoreSecret) and not _elsewhere(a)), None)
    at = first if is_owned_by(present, identity) or not joins else joins[0]
    at = len(actions) if at is None else at
    joined = actions[at] if at in joins else None
    untagged = {key for action in actions[:at] if isinstance(action, UntagSecret) for key in action.keys}
    tagged = {key for key, _ in joined.tags} if isinstance(joined, TagSecret | CreateSecret) else set()
    if not _room(present, untagged, tagged | {pair[0]}):
        return actions
    if isinstance(joined, TagSecret | CreateSecret):
        return [*actions[:at], replace(joined, tags=(*joined.tags, pair)), *actions[at + 1 :]]
    return [*actions[:at], TagSecret((pair,)), *actions[at:]]


def _elsewhere(action: Action) -> bool:
    return isinstance(action, TagSecret) and action.secret_id is not None
