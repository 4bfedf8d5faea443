"""Features used together: each case here broke a documented promise in 1.1 (issue "Features
compose"), reproduced as the stack history a user would run, against moto over HTTP.

The random histories of ``tests/property/test_histories.py`` search the same space; these are
the shortest histories of the eight cases it must never find again.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from harness.cloudformation import Response, Stack
from harness.faults import Fault, FaultProxy
from harness.listener import ResponseListener
from tests.integration.conftest import Aws
from tests.support.properties import KEY, resource_props

T1 = "supplied-token-0001"
T2 = "supplied-token-0002"
# What release 1.0 wrote for a generated token under this JSON key (tests/fixtures/release-1.0-secret.json).
RELEASE_1_0_VERSION = "mtats1gea1db3e8c30bfb0e1608d72ddac3fdc6b43e483bc35f5cd4"


def token_at(aws: Aws, arn: str, stage: str = "AWSCURRENT") -> str:
    return aws.token(arn, KEY, VersionStage=stage)


def update(stack: Stack, properties: dict[str, Any], *, fail_later: bool = False) -> Response:
    responses, _ = stack.update_stack({"Token": properties}, fail_later=fail_later)
    assert responses[0].ok, responses[0].reason
    return responses[0]


def redeliver(response: Response, invoke: Any, listener: ResponseListener) -> dict[str, Any]:
    """Lambda delivers the same event again; the second answer is returned."""
    invoke(response.event)
    answers = listener.responses_for(response.event["ResponseURL"])
    assert len(answers) == 2
    return dict(answers[1].body)


# 1. A supplied token follows the resource back onto an earlier secret ---------------------


@pytest.mark.parametrize(
    "move",
    [
        pytest.param("key", id="key change and back"),
        pytest.param("generated-name", id="rename to an explicit name and back to the generated one"),
        pytest.param("explicit-name", id="rename between explicit names and back"),
    ],
)
def test_a_supplied_token_changed_on_another_secret_follows_the_resource_back(
    move: str, stack: Stack, aws: Aws, kms_key: str
) -> None:
    other_key = aws.new_key()
    start = {"explicit-name": {"SecretName": "mediatailor/compose/first"}}.get(move, {})
    away = {
        "key": {"KmsKeyId": other_key},
        "generated-name": {"SecretName": "mediatailor/compose/second"},
        "explicit-name": {"SecretName": "mediatailor/compose/second"},
    }[move]
    first = stack.create("Token", resource_props(kms_key, AccessToken=T1, **start)).physical_id
    moved = update(stack, resource_props(kms_key, AccessToken=T1, **start) | away).physical_id
    update(stack, resource_props(kms_key, AccessToken=T2, **start) | away)

    back = update(stack, resource_props(kms_key, AccessToken=T2, **start))

    assert moved != first
    assert back.physical_id == first, "the resource moved back onto its first secret"
    assert token_at(aws, first) == T2, "the template's token, not the one the first secret held"


# 2. NextAccessToken names only a token that is pending ------------------------------------


def test_after_unstaging_next_access_token_is_the_current_token_and_a_redelivery_agrees(
    stack: Stack, aws: Aws, kms_key: str, invoke: Any, listener: ResponseListener
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="1", ReturnAccessToken=True)).physical_id
    update(stack, resource_props(kms_key, RotationId="1", NextRotationId="2", ReturnAccessToken=True))

    unstaged = update(stack, resource_props(kms_key, RotationId="1", ReturnAccessToken=True))

    assert unstaged.data["NextAccessToken"] == unstaged.data["AccessToken"] == token_at(aws, arn)
    again = redeliver(unstaged, invoke, listener)
    assert again["Data"] == unstaged.data


def test_switching_from_a_staged_generated_token_to_a_supplied_one_reports_nothing_pending(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    stack.create("Token", resource_props(kms_key, RotationId="1", ReturnAccessToken=True))
    update(stack, resource_props(kms_key, RotationId="1", NextRotationId="2", ReturnAccessToken=True))

    switched = update(stack, resource_props(kms_key, AccessToken=T1, ReturnAccessToken=True))

    assert switched.data["AccessToken"] == switched.data["NextAccessToken"] == T1


def test_a_rolled_back_staging_reports_nothing_pending(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="1", ReturnAccessToken=True)).physical_id

    _, rollback = stack.update_stack(
        {"Token": resource_props(kms_key, RotationId="1", NextRotationId="2", ReturnAccessToken=True)}, fail_later=True
    )

    assert rollback[0].ok, rollback[0].reason
    assert rollback[0].data["NextAccessToken"] == rollback[0].data["AccessToken"] == token_at(aws, arn)


# 3. A rollback of a re-staging brings back the token the origin was told -----------------


def test_a_rolled_back_re_staging_restages_the_token_announced_first(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="1", ReturnAccessToken=True)).physical_id
    announced = update(stack, resource_props(kms_key, RotationId="1", NextRotationId="2", ReturnAccessToken=True))

    _, rollback = stack.update_stack(
        {"Token": resource_props(kms_key, RotationId="1", NextRotationId="3", ReturnAccessToken=True)}, fail_later=True
    )

    assert rollback[0].data["NextAccessToken"] == announced.data["NextAccessToken"]
    assert token_at(aws, arn, "AWSPENDING") == announced.data["NextAccessToken"]
    promoted = update(stack, resource_props(kms_key, RotationId="2", ReturnAccessToken=True))
    assert promoted.data["AccessToken"] == announced.data["NextAccessToken"]


def test_a_rolled_back_un_staging_restages_the_token_announced_first(stack: Stack, aws: Aws, kms_key: str) -> None:
    stack.create("Token", resource_props(kms_key, RotationId="1", ReturnAccessToken=True))
    announced = update(stack, resource_props(kms_key, RotationId="1", NextRotationId="2", ReturnAccessToken=True))

    _, rollback = stack.update_stack(
        {"Token": resource_props(kms_key, RotationId="1", ReturnAccessToken=True)}, fail_later=True
    )

    assert rollback[0].ok, rollback[0].reason
    assert rollback[0].data["NextAccessToken"] == announced.data["NextAccessToken"]


# 4. A redelivered supplied-token promotion writes nothing --------------------------------


def test_a_redelivered_supplied_promotion_writes_nothing_and_answers_the_same(
    stack: Stack, kms_key: str, invoke: Any, listener: ResponseListener, proxy_calls: FaultProxy
) -> None:
    stack.create("Token", resource_props(kms_key, AccessToken=T1, ReturnAccessToken=True))
    update(stack, resource_props(kms_key, AccessToken=T1, NextAccessToken=T2, ReturnAccessToken=True))
    promoted = update(stack, resource_props(kms_key, AccessToken=T2, ReturnAccessToken=True))
    proxy_calls.clear()

    again = redeliver(promoted, invoke, listener)

    assert again["Data"] == promoted.data
    assert promoted.data["PreviousAccessToken"] == T1
    assert "PutSecretValue" not in proxy_calls.recorder.calls
    assert "UpdateSecretVersionStage" not in proxy_calls.recorder.calls


# 5. Delete of an ID that cannot name a secret of this provider ---------------------------


@pytest.mark.parametrize("physical_id", ["could-not-create", "x" * 300, "other-prefix/secret"])
def test_delete_of_an_id_that_names_no_secret_of_ours_succeeds_without_a_call(
    physical_id: str, stack: Stack, kms_key: str, proxy_calls: FaultProxy
) -> None:
    deleted = stack.send("Delete", "Token", resource_props(kms_key), physical_id=physical_id)

    assert deleted.ok, deleted.reason
    assert deleted.physical_id == physical_id
    assert proxy_calls.recorder.calls == []


def test_delete_of_a_secret_arn_outside_the_prefix_is_still_refused(
    stack: Stack, kms_key: str, proxy_calls: FaultProxy
) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:team-b/origin-token-AbCdEf"

    deleted = stack.send("Delete", "Token", resource_props(kms_key), physical_id=arn)

    assert deleted.status == "FAILED"
    assert "outside the provider's SecretNamePrefix" in deleted.reason
    assert proxy_calls.recorder.calls == []


# 6. An alias re-pointed under an AWSCURRENT that records no key ---------------------------


@pytest.mark.parametrize("writer", ["release 1.0", "by hand"])
def test_a_re_pointed_alias_under_an_unrecorded_current_is_a_key_change(
    writer: str, stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy
) -> None:
    aws.kms.create_alias(AliasName="alias/compose-origin", TargetKeyId=kms_key)
    properties = resource_props("alias/compose-origin", Description="origin token")
    arn = stack.create("Token", properties).physical_id
    token = token_at(aws, arn)
    if writer == "release 1.0":
        # 1.0 wrote mtats1 VersionIds, with no key in them; only AWSCURRENT is left labelled.
        aws.secretsmanager.put_secret_value(
            SecretId=arn, SecretString=json.dumps({KEY: token}), ClientRequestToken=RELEASE_1_0_VERSION
        )
        previous = next(v for v, s in aws.secret(arn)["VersionIdsToStages"].items() if "AWSPREVIOUS" in s)
        aws.secretsmanager.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSPREVIOUS", RemoveFromVersionId=previous
        )
    else:
        # The console writes a random VersionId; the provider's version is still AWSPREVIOUS.
        aws.secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps({KEY: token}))
    new_key = aws.new_key()
    aws.kms.update_alias(AliasName="alias/compose-origin", TargetKeyId=new_key)
    proxy_calls.clear()

    changed = update(stack, properties | {"Description": "origin token, described"})

    assert "UpdateSecret" not in proxy_calls.recorder.calls
    assert aws.secret(arn)["KmsKeyId"] == kms_key, "the secret MediaTailor was granted keeps its key"
    assert changed.physical_id != arn, "a new key is a new secret, so the source location is updated"
    assert aws.secret(changed.physical_id)["KmsKeyId"] == new_key
    assert token_at(aws, changed.physical_id) == token


# 7. Two deliveries of one event at the same time ------------------------------------------


def test_the_copy_that_loses_the_write_race_answers_as_its_twin(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy
) -> None:
    """Lambda may run two copies of an event at once (asynchronous invocation is at least once).
    The twin here is played at the HTTP level: just before this copy's PutSecretValue reaches
    Secrets Manager, the twin's write of the same VersionId (another generated token) lands, so
    this copy gets ResourceExistsException, as it would from AWS."""
    arn = stack.create("Token", resource_props(kms_key, RotationId="1", ReturnAccessToken=True)).physical_id
    twin_token = "twin-generated-token-000000000001"
    raced: list[str] = []

    def twin_first(operation: str, body: bytes) -> Fault | None:
        if operation == "PutSecretValue" and not raced:
            request = json.loads(body)
            raced.append(request["ClientRequestToken"])
            aws.secretsmanager.put_secret_value(
                SecretId=arn,
                SecretString=json.dumps({KEY: twin_token}),
                ClientRequestToken=request["ClientRequestToken"],
            )
        return None

    proxy_calls.add_rule(twin_first)

    rotated = update(stack, resource_props(kms_key, RotationId="2", ReturnAccessToken=True))

    assert raced, "the race was played"
    assert rotated.data["AccessToken"] == twin_token == token_at(aws, arn)
    assert rotated.data["VersionId"] == raced[0]


# 8. TokenFormat and TokenLength never rotate by themselves --------------------------------


def test_changing_token_format_or_length_keeps_the_token_until_the_next_rotation(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="1")).physical_id
    token = token_at(aws, arn)
    proxy_calls.clear()

    update(stack, resource_props(kms_key, RotationId="1", TokenLength=64))
    update(stack, resource_props(kms_key, RotationId="1", TokenFormat="Uuid"))

    assert token_at(aws, arn) == token
    assert "PutSecretValue" not in proxy_calls.recorder.calls
    update(stack, resource_props(kms_key, RotationId="1", TokenFormat="Uuid", NextRotationId="2"))
    staged = token_at(aws, arn, "AWSPENDING")
    update(stack, resource_props(kms_key, RotationId="2", TokenFormat="Uuid"))
    assert token_at(aws, arn) == staged
    assert str(uuid.UUID(staged)) == staged, "the new format applies from the next generated token"


# Found by review: the same races and crashes on label moves and on reclaiming a name -------


@pytest.mark.parametrize(
    ("staged", "then"),
    [
        pytest.param({"NextRotationId": "2"}, {"RotationId": "2"}, id="promotion"),
        pytest.param({"NextRotationId": "2"}, {}, id="un-staging"),
    ],
)
def test_the_copy_that_loses_a_label_move_race_answers_as_its_twin(
    staged: dict[str, str], then: dict[str, str], stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy
) -> None:
    """UpdateSecretVersionStage refuses a RemoveFromVersionId that no longer holds the label
    (InvalidParameterException), which is what the slower of two copies gets after its twin
    moved the label: it observes again and finds nothing left to do."""
    arn = stack.create("Token", resource_props(kms_key, RotationId="1", ReturnAccessToken=True)).physical_id
    update(stack, resource_props(kms_key, RotationId="1", ReturnAccessToken=True, **staged))
    raced: list[str] = []

    def twin_first(operation: str, body: bytes) -> Fault | None:
        if operation == "UpdateSecretVersionStage" and not raced:
            raced.append(operation)
            aws.secretsmanager.update_secret_version_stage(**json.loads(body))
        return None

    proxy_calls.add_rule(twin_first)

    moved = update(stack, resource_props(kms_key, ReturnAccessToken=True, **({"RotationId": "1"} | then)))

    assert raced, "the race was played"
    assert moved.data["AccessToken"] == token_at(aws, arn)
    assert moved.data["NextAccessToken"] == moved.data["AccessToken"], "nothing is pending afterwards"


def test_a_reclaiming_create_that_dies_after_the_restore_and_tag_finishes_on_redelivery(
    cloud: Any, aws: Aws, kms_key: str, invoke: Any, listener: ResponseListener, proxy_calls: FaultProxy
) -> None:
    """A re-created stack of the same name reclaims its predecessor's explicit name; the owner
    tags move to the new stack right after RestoreSecret, so a crash one call later is finished
    by the redelivery (1.1 wrote the value first: the live secret still named the dead stack,
    and the redelivery was refused). A crash between the two calls is still that window."""
    named = {"SecretName": "mediatailor/compose/reclaimed"}
    first = cloud.new_stack("reclaiming")
    first.create("Token", resource_props(kms_key, AccessToken=T1, **named))
    first.delete_stack()
    again = cloud.new_stack("reclaiming")
    event = again.event("Create", "Token", resource_props(kms_key, AccessToken=T2, **named))
    seen: list[str] = []

    def crash_one_call_after_the_restore(operation: str, body: bytes) -> Fault | None:
        seen.append(operation)
        if "RestoreSecret" in seen[:-2]:
            return Fault(operation, code="CrashedForTest", status=400, message="the invocation died")
        return None

    proxy_calls.add_rule(crash_one_call_after_the_restore)
    invoke(event)
    proxy_calls.clear()
    invoke(event)
    answer = listener.responses_for(event["ResponseURL"])[-1].body

    assert seen[seen.index("RestoreSecret") + 1] == "TagResource", "the owner tags move first"
    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    owner = {t["Key"]: t["Value"] for t in aws.secret(answer["PhysicalResourceId"])["Tags"]}
    assert owner["mediatailor-access-token-secret:stack-id"] == again.stack_id
    assert token_at(aws, answer["PhysicalResourceId"]) == T2
