"""The record of the last applied operation: its stored format and the rule it serves."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from access_token_secret.errors import SecretConflictError
from access_token_secret.plan.actions import (
    Action,
    DeleteSecret,
    PutResourcePolicy,
    PutSecretValue,
    ReportTokens,
    RestoreSecret,
    SuppliedToken,
    TagSecret,
    UntagSecret,
    Write,
)
from access_token_secret.plan.context import ResourceIdentity
from access_token_secret.plan.naming import owner_tags
from access_token_secret.plan.record import (
    APPLIED_TAG,
    DELETED_TAG,
    check_not_superseded,
    record_value,
    recorded,
    with_record,
)
from access_token_secret.plan.state import SecretState
from access_token_secret.tokens import AccessToken

WRITE = Write(SuppliedToken(AccessToken("a-supplied-token-01")), "K", "mtats2-version")
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "applied-record.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text())["Cases"]
STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/0f4c1a2b-5d6e-4f70-8a9b-c0d1e2f3a4b5"
T0 = datetime(2026, 12, 3, 6, 0, 0, tzinfo=UTC)


def parsed(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def who(signed_at: datetime | None, request_id: str = "req-2") -> ResourceIdentity:
    return ResourceIdentity(STACK, "Token", request_id, signed_at)


def record(key: str, signed_at: datetime, request_id: str) -> dict[str, str]:
    return {key: str(record_value(who(signed_at, request_id)))}


def secret_with(record: dict[str, str], *, owned: bool = True) -> SecretState:
    tags = (owner_tags(who(None)) if owned else {}) | record
    return SecretState("arn:aws:secretsmanager:us-east-1:123456789012:secret:n-AbCdEf", "n", tags=tuple(tags.items()))


@pytest.mark.parametrize("case", CASES, ids=[c["RequestId"] for c in CASES])
def test_the_record_is_written_and_read_as_the_golden_fixture_says(case: dict[str, Any]) -> None:
    identity = who(parsed(case["SignedAt"]), case["RequestId"])

    assert record_value(identity) == case["Tag"]["Value"]
    found = recorded(secret_with({case["Tag"]["Key"]: case["Tag"]["Value"]}), case["Tag"]["Key"])
    assert found is not None
    assert found.signed_at == parsed(case["SignedAt"])


@pytest.mark.parametrize(
    ("offset_s", "refused"),
    [(-1, True), (-3600, True), (0, False), (1, False)],
    ids=["a second earlier", "an hour earlier", "the same second", "later"],
)
def test_only_a_request_signed_strictly_earlier_than_the_record_is_refused(offset_s: int, refused: bool) -> None:
    secret = secret_with(record(APPLIED_TAG, T0, "req-1"))
    late = who(T0 + timedelta(seconds=offset_s, milliseconds=400))

    if refused:
        with pytest.raises(SecretConflictError, match="req-1"):
            check_not_superseded(late, landing=secret)
    else:
        check_not_superseded(late, landing=secret)


@pytest.mark.parametrize(
    ("where", "key", "refused"),
    [
        ("landing", APPLIED_TAG, True),
        ("landing", DELETED_TAG, True),
        ("leaving", APPLIED_TAG, True),
        ("leaving", DELETED_TAG, False),
    ],
)
def test_a_secret_left_behind_counts_only_with_what_was_applied_to_it(where: str, key: str, refused: bool) -> None:
    """CloudFormation deletes what a replacement left only after the replacement: a duplicate of
    the replacement must still pass."""
    secret = secret_with(record(key, T0, "req-1"))
    late = who(T0 - timedelta(minutes=1))
    check = {"landing": secret} if where == "landing" else {"landing": None, "leaving": secret}

    if refused:
        with pytest.raises(SecretConflictError):
            check_not_superseded(late, **check)
    else:
        check_not_superseded(late, **check)


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(secret_with(record(APPLIED_TAG, T0, "req-1"), owned=False), id="another owner's record"),
        pytest.param(secret_with({APPLIED_TAG: "not a time"}), id="an unreadable record"),
        pytest.param(None, id="no secret"),
    ],
)
def test_what_is_not_this_resource_s_record_refuses_nothing(secret: SecretState | None) -> None:
    check_not_superseded(who(T0 - timedelta(days=1)), landing=secret)


def test_a_request_without_a_signing_time_is_neither_checked_nor_recorded() -> None:
    check_not_superseded(who(None), landing=secret_with(record(APPLIED_TAG, T0, "req-1")))
    actions: list[Action] = [TagSecret((("team", "a"),)), PutResourcePolicy()]
    assert with_record(actions, who(None), {}) == [
        TagSecret((("team", "a"),)),
        PutResourcePolicy(),
    ]


def test_the_record_goes_before_the_first_change_and_is_left_out_when_nothing_changes() -> None:
    """Before any write on an owned secret, so that a crash after a write leaves it behind (a
    redelivery that finds nothing left to do records nothing)."""
    identity = who(T0)
    owned = owner_tags(identity)
    pair = (APPLIED_TAG, str(record_value(identity)))
    nothing: list[Action] = [PutResourcePolicy(), ReportTokens(None, None, None)]
    untag: list[Action] = [UntagSecret(("old",)), PutResourcePolicy()]
    retag: list[Action] = [TagSecret((("team", "a"),)), PutResourcePolicy()]
    restore: list[Action] = [RestoreSecret(), UntagSecret(("old",)), PutResourcePolicy()]
    delete: list[Action] = [DeleteSecret(recovery_window_in_days=7)]

    assert with_record(nothing, identity, owned) == nothing
    assert with_record(untag, identity, owned) == [TagSecret((pair,)), UntagSecret(("old",)), PutResourcePolicy()]
    assert with_record(retag, identity, owned) == [TagSecret((("team", "a"), pair)), PutResourcePolicy()]
    assert with_record(restore, identity, owned)[:2] == [RestoreSecret(), TagSecret((pair,))], (
        "AWS tags no deleted secret"
    )
    deleted = (DELETED_TAG, pair[1])
    assert with_record(delete, identity, owned) == [TagSecret((deleted,)), *delete], "AWS tags no deleted secret"


def test_on_a_secret_about_to_be_owned_the_record_joins_the_owner_tags() -> None:
    identity = who(T0)
    pair = (APPLIED_TAG, str(record_value(identity)))
    owner = TagSecret(tuple(owner_tags(identity).items()))
    adoption: list[Action] = [PutSecretValue(WRITE), owner, UntagSecret(("consent",)), PutResourcePolicy()]

    assert with_record(adoption, identity, {"consent": "s"})[1] == TagSecret((*owner.tags, pair))


def test_a_move_records_first_on_the_live_secret_it_leaves() -> None:
    identity = who(T0)
    left = secret_with({})
    actions: list[Action] = [TagSecret((("team", "a"),)), PutResourcePolicy()]

    recorded_actions = with_record(actions, identity, {}, left=left)

    assert recorded_actions[0] == TagSecret(((APPLIED_TAG, str(record_value(identity))),), secret_id=left.arn)
    assert with_record(actions, identity, {}, left=replace(left, deleted_date=T0))[0] != recorded_actions[0]


def test_no_room_for_the_record_leaves_it_out() -> None:
    """Room is counted where the record goes: before the first change, nothing is removed yet."""
    identity = who(T0)
    present = {f"t{n}": "v" for n in range(48)} | owner_tags(identity)
    actions: list[Action] = [UntagSecret(("t1",)), PutResourcePolicy()]

    assert with_record(actions, identity, present) == actions
    room: list[Action] = [UntagSecret(("t1",)), PutResourcePolicy()]
    assert isinstance(with_record(room, identity, dict(list(present.items())[1:]))[0], TagSecret)


def test_a_copy_of_the_request_that_deleted_the_secret_does_not_restore_it() -> None:
    """An Update that failed removes the secret it made, recording its own RequestId; a late copy
    of it, signed in that very second, must not bring the secret back."""
    deleted = secret_with(record(DELETED_TAG, T0, "req-1"))

    with pytest.raises(SecretConflictError):
        check_not_superseded(who(T0, "req-1"), landing=deleted)
    check_not_superseded(who(T0, "req-2"), landing=deleted)


def test_room_for_the_record_is_counted_where_it_joins_not_after_a_later_untag() -> None:
    """An adoption removes the consent tag after the TagSecret the record joins: at that moment
    the secret still holds it, so 50 tags leave no room."""
    identity = who(T0)
    present = {f"t{n}": "v" for n in range(49)} | {"mediatailor-access-token-secret:adopt": "s"}
    actions: list[Action] = [TagSecret((("t1", "w"),)), UntagSecret(("mediatailor-access-token-secret:adopt",))]

    assert with_record(actions, identity, present) == actions
    earlier: list[Action] = [UntagSecret(("t2",)), TagSecret((("t1", "w"),))]
    assert with_record(earlier, identity, present)[1] == TagSecret(
        (("t1", "w"), (APPLIED_TAG, str(record_value(identity))))
    )
