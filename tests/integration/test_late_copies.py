"""Late copies of earlier operations change nothing (issue 26, "Older than what was applied").

Lambda delivers an event at least once, and a throttled one late. A copy of an operation signed
strictly earlier than the last one applied to the resource must not undo it: it gets FAILED
naming the newer operation, and AWS is left as the newer operation made it. The same second
counts as newer (a rollback). Fresh duplicates keep answering the same. Also here: a Create
that lands on its own earlier secret reuses its token only in the shape it asks for, and two
copies of one adoption at once both answer as one adoption did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from access_token_secret.plan.record import APPLIED_TAG

from harness.cloudformation import Stack
from harness.faults import Fault, FaultProxy
from harness.listener import ResponseListener, wall_clock
from tests.integration.test_compose import redeliver
from tests.support.adoption import ADOPTING, CONSENT, NAME, TOKEN, hand_made
from tests.support.aws import Aws
from tests.support.golden import labels
from tests.support.properties import KEY, resource_props
from tests.support.record import record_of

WRITES = frozenset(
    {"CreateSecret", "PutSecretValue", "UpdateSecretVersionStage", "TagResource", "UntagResource", "DeleteSecret"}
)


@contextmanager
def signed_earlier(listener: ResponseListener, minutes: int) -> Iterator[None]:
    """URLs handed out meanwhile are signed ``minutes`` ago (well within ServiceTimeout)."""
    listener.clock = lambda: wall_clock() - timedelta(minutes=minutes)
    try:
        yield
    finally:
        listener.clock = wall_clock


def token_at(aws: Aws, arn: str, stage: str) -> str:
    return aws.token(arn, KEY, VersionStage=stage)


def test_a_late_copy_of_an_earlier_rotation_leaves_the_newer_token_current(
    stack: Stack, aws: Aws, kms_key: str, listener: ResponseListener, invoke: Any, proxy_calls: FaultProxy
) -> None:
    with signed_earlier(listener, 10):
        arn = stack.create("Token", resource_props(kms_key, RotationId="1")).physical_id
    with signed_earlier(listener, 2):
        earlier = stack.update("Token", resource_props(kms_key, RotationId="2"))
    stack.resources["Token"].properties = resource_props(kms_key, RotationId="2")
    newer = stack.update("Token", resource_props(kms_key, RotationId="3"))
    assert earlier.ok
    assert newer.ok
    token_3, before = token_at(aws, arn, "AWSCURRENT"), labels(aws, arn)
    proxy_calls.clear()

    late = redeliver(earlier, invoke, listener)

    assert late["Status"] == "FAILED"
    assert newer.event["RequestId"] in late["Reason"], "names the newer operation"
    assert "changed nothing" in late["Reason"]
    assert len(late["Reason"]) < 256
    assert not WRITES & set(proxy_calls.recorder.calls)
    assert token_at(aws, arn, "AWSCURRENT") == token_3
    assert labels(aws, arn) == before
    assert aws.tags(arn)[APPLIED_TAG] == record_of(newer)


def test_a_late_copy_of_an_earlier_staging_leaves_the_promotion_alone(
    stack: Stack, aws: Aws, kms_key: str, listener: ResponseListener, invoke: Any
) -> None:
    with signed_earlier(listener, 10):
        arn = stack.create("Token", resource_props(kms_key, RotationId="1")).physical_id
    with signed_earlier(listener, 3):
        staged = stack.update("Token", resource_props(kms_key, RotationId="1", NextRotationId="2"))
    stack.resources["Token"].properties = resource_props(kms_key, RotationId="1", NextRotationId="2")
    with signed_earlier(listener, 1):
        promoted = stack.update("Token", resource_props(kms_key, RotationId="2"))
    stack.resources["Token"].properties = resource_props(kms_key, RotationId="2")
    unstaged = stack.update("Token", resource_props(kms_key, RotationId="2", Description="after"))
    assert staged.ok
    assert promoted.ok
    assert unstaged.ok
    before = labels(aws, arn)

    late = redeliver(staged, invoke, listener)

    assert late["Status"] == "FAILED"
    assert unstaged.event["RequestId"] in late["Reason"]
    assert labels(aws, arn) == before


def test_an_operation_signed_in_the_same_second_counts_as_newer(
    stack: Stack, aws: Aws, kms_key: str, listener: ResponseListener
) -> None:
    """A rollback may be signed in the second of the operation it undoes."""
    arn = stack.create("Token", resource_props(kms_key, RotationId="1")).physical_id
    first = token_at(aws, arn, "AWSCURRENT")
    moment = wall_clock()
    listener.clock = lambda: moment
    try:
        rotated = stack.update("Token", resource_props(kms_key, RotationId="2"))
        rollback = stack.send(
            "Update",
            "Token",
            resource_props(kms_key, RotationId="1"),
            physical_id=arn,
            old_properties=resource_props(kms_key, RotationId="2"),
        )
    finally:
        listener.clock = wall_clock

    assert rotated.ok
    assert rollback.ok, rollback.reason
    assert token_at(aws, arn, "AWSCURRENT") == first
    assert aws.tags(arn)[APPLIED_TAG] == record_of(rollback)


def test_a_fresh_duplicate_answers_the_same_and_writes_nothing_more(
    stack: Stack, aws: Aws, kms_key: str, listener: ResponseListener, invoke: Any, proxy_calls: FaultProxy
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="1")).physical_id
    rotated = stack.update("Token", resource_props(kms_key, RotationId="2", ReturnAccessToken=True))
    proxy_calls.clear()

    again = redeliver(rotated, invoke, listener)

    assert again["Status"] == "SUCCESS"
    assert again["Data"] == rotated.body["Data"]
    assert not WRITES & set(proxy_calls.recorder.calls)
    assert aws.tags(arn)[APPLIED_TAG] == record_of(rotated)


def test_a_late_delete_signed_before_the_last_update_deletes_nothing(
    stack: Stack, aws: Aws, kms_key: str, listener: ResponseListener
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="1")).physical_id
    with signed_earlier(listener, 2):
        event = stack.event("Delete", "Token", resource_props(kms_key, RotationId="1"), physical_id=arn)
    rotated = stack.update("Token", resource_props(kms_key, RotationId="2"))
    assert rotated.ok

    late = stack.cloud.deliver(event, "Delete", "Token", stack.log)

    assert late.status == "FAILED"
    assert rotated.event["RequestId"] in late.reason
    assert "DeletedDate" not in aws.secret(arn)


def test_without_a_signing_time_nothing_is_checked_or_recorded(
    stack: Stack, aws: Aws, kms_key: str, listener: ResponseListener
) -> None:
    """``sam local`` sends a hand-made URL: no X-Amz-Date."""
    event = stack.event("Create", "Token", resource_props(kms_key))
    event["ResponseURL"] = event["ResponseURL"].split("?")[0]

    created = stack.cloud.deliver(event, "Create", "Token", stack.log)

    assert created.ok, created.reason
    assert APPLIED_TAG not in aws.tags(created.physical_id)


def test_a_full_set_of_user_tags_leaves_no_room_for_the_record_and_still_works(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    tags = [{"Key": f"t{n:02}", "Value": "v"} for n in range(48)]

    created = stack.create("Token", resource_props(kms_key, Tags=tags))
    rotated = stack.update("Token", resource_props(kms_key, Tags=tags, RotationId="2"))

    assert created.ok
    assert rotated.ok, rotated.reason
    assert len(aws.tags(created.physical_id)) == 50
    assert APPLIED_TAG not in aws.tags(created.physical_id)


# A Create that lands on its own earlier secret ----------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "reused"),
    [
        pytest.param({}, True, id="the same shape: reused"),
        pytest.param({"TokenLength": 64}, False, id="TokenLength 64: generated"),
        pytest.param({"TokenFormat": "Uuid"}, False, id="TokenFormat Uuid: generated"),
    ],
)
def test_a_create_reuses_its_earlier_token_only_in_the_shape_it_asks_for(
    shape: dict[str, Any], reused: bool, stack: Stack, aws: Aws, kms_key: str
) -> None:
    """After a timed-out Create whose rollback Delete named no secret, the stack creates the
    resource again and lands on the secret the first Create made (its name is the same)."""
    first = stack.create("Token", resource_props(kms_key))
    earlier = token_at(aws, first.physical_id, "AWSCURRENT")
    stack.resources.pop("Token")  # CloudFormation never learnt of it

    again = stack.create("Token", resource_props(kms_key, **shape))

    assert again.ok, again.reason
    assert again.physical_id == first.physical_id
    token = token_at(aws, first.physical_id, "AWSCURRENT")
    assert (token == earlier) is reused
    if "TokenLength" in shape:
        assert len(token) == 64
    if "TokenFormat" in shape:
        assert len(token) == 36
        assert token.count("-") == 4


def test_an_update_keeps_the_token_whatever_its_shape(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key)).physical_id
    token = token_at(aws, arn, "AWSCURRENT")

    changed = stack.update("Token", resource_props(kms_key, TokenLength=64))

    assert changed.ok
    assert token_at(aws, arn, "AWSCURRENT") == token


# Two copies of one adoption at once --------------------------------------------------------------


@pytest.mark.parametrize("before", ["TagResource", "UntagResource", "PutResourcePolicy"])
def test_two_copies_of_one_adoption_both_answer_as_one_adoption_did(
    before: str, stack: Stack, aws: Aws, kms_key: str, invoke: Any, listener: ResponseListener, proxy_calls: FaultProxy
) -> None:
    """The twin runs to its end just before this copy's ``before`` call reaches AWS."""
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    event = stack.event("Create", "Token", resource_props(kms_key, **ADOPTING))
    played: list[str] = []

    def twin_first(operation: str, body: bytes) -> Fault | None:
        if operation == before and not played:
            played.append(operation)
            invoke(dict(event))
        return None

    proxy_calls.add_rule(twin_first)

    first = stack.cloud.deliver(event, "Create", "Token", stack.log)
    answers = [received.body for received in listener.responses_for(event["ResponseURL"])]

    assert played, "the twin ran"
    assert len(answers) == 2
    assert [a["Status"] for a in answers] == ["SUCCESS", "SUCCESS"], [a.get("Reason") for a in answers]
    assert answers[0]["PhysicalResourceId"] == answers[1]["PhysicalResourceId"] == arn
    assert answers[0]["Data"] == answers[1]["Data"]
    assert first.ok
    assert aws.token(arn, KEY) == TOKEN
    assert CONSENT not in aws.tags(arn)
    assert aws.secret_names() == [NAME]


def test_a_delete_whose_twin_scheduled_the_secret_first_answers_success(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy
) -> None:
    """Just before this copy's record (TagResource, then DeleteSecret) reaches AWS, its twin has
    scheduled the secret: AWS refuses tags on it, and the copy observes again."""
    arn = stack.create("Token", resource_props(kms_key)).physical_id
    played: list[str] = []

    def twin_first(operation: str, body: bytes) -> Fault | None:
        if operation == "TagResource" and not played:
            played.append(operation)
            aws.secretsmanager.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
        return None

    proxy_calls.add_rule(twin_first)

    deleted = stack.delete("Token")

    assert played
    assert deleted.ok, deleted.reason
    assert "DeletedDate" in aws.secret(arn)


def test_a_signing_time_far_in_the_future_orders_nothing(
    stack: Stack, aws: Aws, kms_key: str, listener: ResponseListener
) -> None:
    """A hand-made URL dated 2099 is no clock skew: the request is neither checked nor recorded,
    so it cannot block the operations that follow."""
    arn = stack.create("Token", resource_props(kms_key, RotationId="1")).physical_id
    listener.clock = lambda: wall_clock().replace(year=2099)
    try:
        future = stack.update("Token", resource_props(kms_key, RotationId="2"))
    finally:
        listener.clock = wall_clock
    stack.resources["Token"].properties = resource_props(kms_key, RotationId="2")

    rotated = stack.update("Token", resource_props(kms_key, RotationId="3"))

    assert future.ok, future.reason
    assert rotated.ok, rotated.reason
    assert aws.tags(arn)[APPLIED_TAG] == record_of(rotated)
