"""The provider through Create, Update and Delete, driven like CloudFormation drives it, with
every assertion made on what the emulator actually stores."""

from __future__ import annotations

import json
import re
import string
import uuid
from typing import Any

from access_token_secret.version import VERSION

from harness.account import make_arn
from harness.cloudformation import Stack
from tests.support.aws import Aws
from tests.support.properties import KEY, resource_props
from tests.support.record import record_of

SUPPLIED = "s3cret-Origin-Token-0001"


def test_create_stores_a_generated_token_under_the_key_arn_with_the_documented_policy(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    response = stack.create("Token", resource_props(kms_key, HeaderName="X-Origin-Token", Description="origin token"))

    assert response.ok, response.reason
    arn = response.physical_id
    secret = aws.secret(arn)
    assert secret["KmsKeyId"] == kms_key
    assert secret["Description"] == "origin token"
    token = aws.token(arn, KEY)
    assert len(token) == 32
    assert set(token) <= set(string.ascii_letters + string.digits)
    assert aws.policy(arn) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "MediaTailorReadsAccessToken",
                "Effect": "Allow",
                "Principal": {"Service": "mediatailor.amazonaws.com"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": arn,
            }
        ],
    }
    assert aws.tags(arn) == {
        "mediatailor-access-token-secret:stack-id": stack.stack_id,
        "mediatailor-access-token-secret:logical-id": "Token",
        "mediatailor-access-token-secret:applied": record_of(response),
    }
    assert response.data == {
        "SecretArn": arn,
        "SecretName": secret["Name"],
        "SecretStringKey": KEY,
        "KmsKeyArn": kms_key,
        "VersionId": next(v for v, s in secret["VersionIdsToStages"].items() if "AWSCURRENT" in s),
        "HeaderName": "X-Origin-Token",
        "ProviderVersion": VERSION,
    }
    assert response.body["NoEcho"] is False
    assert secret["Name"].startswith(f"mediatailor/{stack.name}/Token-")
    assert response.count == 1


def test_create_takes_four_aws_calls(stack: Stack, kms_key: str, proxy_calls: Any) -> None:
    """The name is described before anything is decided (1.2 tried CreateSecret first: 3 calls)."""
    response = stack.create("Token", resource_props(kms_key))

    assert response.ok
    assert proxy_calls.recorder.count() == {
        "DescribeKey": 1,
        "DescribeSecret": 1,
        "CreateSecret": 1,
        "PutResourcePolicy": 1,
    }


def test_an_alias_is_resolved_and_stored_as_the_key_arn(stack: Stack, aws: Aws, kms_key: str) -> None:
    aws.kms.create_alias(AliasName="alias/mediatailor-token", TargetKeyId=kms_key)

    response = stack.create("Token", resource_props("alias/mediatailor-token"))

    assert response.ok, response.reason
    assert aws.secret(response.physical_id)["KmsKeyId"] == kms_key
    assert response.data["KmsKeyArn"] == kms_key


def test_a_supplied_token_is_stored_and_not_returned(stack: Stack, aws: Aws, kms_key: str) -> None:
    response = stack.create("Token", resource_props(kms_key, AccessToken=SUPPLIED))

    assert response.ok
    assert aws.token(response.physical_id, KEY) == SUPPLIED
    assert "AccessToken" not in response.data
    assert SUPPLIED not in json.dumps(response.body)


def test_return_access_token_returns_it_under_no_echo(stack: Stack, aws: Aws, kms_key: str) -> None:
    response = stack.create("Token", resource_props(kms_key, ReturnAccessToken=True, TokenFormat="Uuid"))

    assert response.ok
    stored = aws.token(response.physical_id, KEY)
    assert response.data["AccessToken"] == stored
    assert response.body["NoEcho"] is True
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", stored)


def test_a_redelivered_create_yields_one_secret_and_the_same_answer(
    stack: Stack, aws: Aws, kms_key: str, invoke: Any, listener: Any
) -> None:
    first = stack.create("Token", resource_props(kms_key))
    token = aws.token(first.physical_id, KEY)

    invoke(first.event)  # Lambda retries an asynchronous invocation with the same event
    answers = listener.responses_for(first.event["ResponseURL"])

    assert [a.body["Status"] for a in answers] == ["SUCCESS", "SUCCESS"]
    assert {a.body["PhysicalResourceId"] for a in answers} == {first.physical_id}
    assert len(aws.secret_names()) == 1
    assert aws.token(first.physical_id, KEY) == token


def test_changing_the_supplied_token_updates_in_place_in_six_calls(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    """A supplied token is never fingerprinted, so AWSCURRENT is read once to tell a first
    delivery from one whose twin already wrote or promoted the token (1.1 made 4 calls and
    wrote a second version on a redelivered promotion); the record of the update is the sixth."""
    created = stack.create("Token", resource_props(kms_key, AccessToken=SUPPLIED))
    proxy_calls.clear()

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, AccessToken="another-Token-0002")})

    assert updated[0].ok
    assert updated[0].physical_id == created.physical_id
    assert aws.token(created.physical_id, KEY) == "another-Token-0002"
    assert proxy_calls.recorder.calls == [
        "DescribeKey",
        "DescribeSecret",
        "GetSecretValue",
        "TagResource",
        "PutSecretValue",
        "PutResourcePolicy",
    ]
    assert aws.tags(created.physical_id)["mediatailor-access-token-secret:applied"] == record_of(updated[0])


def test_an_update_that_changes_nothing_writes_nothing_in_four_calls(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    created = stack.create("Token", resource_props(kms_key, AccessToken=SUPPLIED, HeaderName="X-A"))
    version = created.data["VersionId"]
    proxy_calls.clear()

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, AccessToken=SUPPLIED, HeaderName="X-B")})

    assert updated[0].ok
    assert updated[0].data["VersionId"] == version
    assert updated[0].data["HeaderName"] == "X-B"
    # The supplied token is read, not inferred from the old properties (1.2: 3 calls).
    assert proxy_calls.recorder.count() == {
        "DescribeKey": 1,
        "DescribeSecret": 1,
        "GetSecretValue": 1,
        "PutResourcePolicy": 1,
    }


def test_a_new_rotation_id_generates_a_new_token_in_place(stack: Stack, aws: Aws, kms_key: str) -> None:
    created = stack.create("Token", resource_props(kms_key, TokenLength=64))
    before = aws.token(created.physical_id, KEY)

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, TokenLength=64, RotationId="2026-12")})

    after = aws.token(created.physical_id, KEY)
    assert updated[0].ok
    assert updated[0].physical_id == created.physical_id
    assert after != before
    assert len(after) == 64


def test_a_new_secret_string_key_keeps_the_token(stack: Stack, aws: Aws, kms_key: str) -> None:
    created = stack.create("Token", resource_props(kms_key))
    token = aws.token(created.physical_id, KEY)

    updated, _ = stack.update_stack({"Token": {"KmsKeyId": kms_key, "SecretStringKey": "OtherKey"}})

    assert updated[0].ok
    assert aws.token(created.physical_id, "OtherKey") == token
    assert updated[0].data["SecretStringKey"] == "OtherKey"


def test_description_and_tags_follow_the_template(stack: Stack, aws: Aws, kms_key: str) -> None:
    created = stack.create(
        "Token", resource_props(kms_key, Description="one", Tags=[{"Key": "team", "Value": "video"}])
    )

    updated, _ = stack.update_stack(
        {"Token": resource_props(kms_key, Description="two", Tags=[{"Key": "cost-center", "Value": "42"}])}
    )

    assert updated[0].ok
    secret = aws.secret(created.physical_id)
    assert secret["Description"] == "two"
    tags = aws.tags(created.physical_id)
    assert tags["cost-center"] == "42"
    assert "team" not in tags


def test_a_new_secret_name_replaces_the_secret_and_keeps_a_generated_token(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    created = stack.create("Token", resource_props(kms_key, SecretName="mediatailor/origin-a"))
    token = aws.token(created.physical_id, KEY)

    updated, cleanup = stack.update_stack({"Token": resource_props(kms_key, SecretName="mediatailor/origin-b")})

    assert updated[0].ok, updated[0].reason
    new_arn = updated[0].physical_id
    assert new_arn != created.physical_id
    assert aws.secret(new_arn)["Name"] == "mediatailor/origin-b"
    assert aws.token(new_arn, KEY) == token
    assert [r.request_type for r in cleanup] == ["Delete"]
    assert cleanup[0].ok
    assert "DeletedDate" in aws.secret(created.physical_id)


def test_delete_schedules_deletion_with_the_recovery_window(stack: Stack, aws: Aws, kms_key: str) -> None:
    created = stack.create("Token", resource_props(kms_key, RecoveryWindowInDays=10))

    deleted = stack.delete("Token")

    assert deleted.ok
    assert deleted.physical_id == created.physical_id
    secret = aws.secret(created.physical_id)
    assert "DeletedDate" in secret


def test_force_delete_removes_the_secret_at_once(stack: Stack, aws: Aws, kms_key: str) -> None:
    stack.create("Token", resource_props(kms_key, ForceDeleteWithoutRecovery=True))

    deleted = stack.delete("Token")

    assert deleted.ok
    assert aws.secret_names() == []


def test_deleting_a_secret_that_is_already_gone_succeeds(stack: Stack, aws: Aws, kms_key: str) -> None:
    created = stack.create("Token", resource_props(kms_key))
    aws.secretsmanager.delete_secret(SecretId=created.physical_id, ForceDeleteWithoutRecovery=True)

    assert stack.delete("Token").ok


def test_invalid_properties_fail_with_a_reason_and_create_nothing(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    responses = stack.create_stack(
        {
            "Token": resource_props(
                kms_key, HeaderName="x-amz-token", TokenLength="9000", Colour="blue", AccessToken="short"
            )
        }
    )

    created = responses[0]
    assert created.status == "FAILED"
    assert "Unknown properties: Colour" in created.reason
    assert "HeaderName must not start with x-amz-" in created.reason
    assert "TokenLength must be a whole number from 8 to 128" in created.reason
    assert "AccessToken must be 8-128" in created.reason
    assert "short" not in created.reason
    assert len(created.reason) < 256
    assert created.physical_id
    assert aws.secret_names() == []
    assert all(r.ok for r in stack.log[1:]), "the rollback Delete must succeed"
    assert proxy_calls.recorder.count() == {}


def test_a_foreign_secret_with_the_same_name_is_never_touched(stack: Stack, aws: Aws, kms_key: str) -> None:
    foreign = aws.secretsmanager.create_secret(
        Name="mediatailor/taken", SecretString='{"k":"foreign-value-123"}', Tags=[{"Key": "owner", "Value": "ops"}]
    )["ARN"]

    responses = stack.create_stack({"Token": resource_props(kms_key, SecretName="mediatailor/taken")})

    assert responses[0].status == "FAILED"
    assert "already exists and is not managed by this resource" in responses[0].reason
    assert all(r.ok for r in stack.log[1:])
    assert aws.secretsmanager.get_secret_value(SecretId=foreign)["SecretString"] == '{"k":"foreign-value-123"}'
    assert aws.tags(foreign) == {"owner": "ops"}
    assert "DeletedDate" not in aws.secret(foreign)


def test_a_name_outside_the_provider_prefix_is_refused(stack: Stack, kms_key: str) -> None:
    response = stack.create("Token", resource_props(kms_key, SecretName="prod/database-password"))

    assert response.status == "FAILED"
    assert "SecretName must start with the provider's prefix 'mediatailor/'" in response.reason


def test_unusable_keys_are_refused_with_the_reason(stack: Stack, aws: Aws) -> None:
    disabled = aws.new_key()
    aws.kms.disable_key(KeyId=disabled.split("/")[-1])  # moto needs the key ID here, not the ARN
    missing = make_arn("kms", f"key/{uuid.uuid4()}")
    asymmetric = aws.kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]

    reasons = [
        stack.create(f"T{i}", resource_props(key)).reason for i, key in enumerate([disabled, missing, asymmetric])
    ]

    assert "KMS key is Disabled" in reasons[0]
    assert "KmsKeyId was not found" in reasons[1]
    assert "symmetric encryption key" in reasons[2]
    assert aws.secret_names() == []


def test_an_update_repairs_policy_description_and_tags_changed_by_hand(stack: Stack, aws: Aws, kms_key: str) -> None:
    desired = resource_props(kms_key, Description="managed", Tags=[{"Key": "team", "Value": "video"}])
    arn = stack.create("Token", desired).physical_id
    aws.secretsmanager.put_resource_policy(
        SecretId=arn,
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:*", "Resource": "*"}
                ],
            }
        ),
    )
    aws.secretsmanager.update_secret(SecretId=arn, Description="edited by hand")
    aws.secretsmanager.tag_resource(SecretId=arn, Tags=[{"Key": "team", "Value": "someone-else"}])

    updated, _ = stack.update_stack({"Token": {**desired, "HeaderName": "X-Token"}})

    documented = [
        {
            "Sid": "MediaTailorReadsAccessToken",
            "Effect": "Allow",
            "Principal": {"Service": "mediatailor.amazonaws.com"},
            "Action": "secretsmanager:GetSecretValue",
            "Resource": arn,
        }
    ]
    assert updated[0].ok
    assert aws.policy(arn)["Statement"] == documented, "an edited policy is replaced"
    aws.secretsmanager.delete_resource_policy(SecretId=arn)
    again, _ = stack.update_stack({"Token": {**desired, "HeaderName": "X-Other"}})
    assert again[0].ok
    assert aws.policy(arn)["Statement"] == documented, "a removed policy is put back"
    assert aws.secret(arn)["Description"] == "managed"
    assert aws.tags(arn)["team"] == "video"


def test_a_value_overwritten_by_hand_is_restored_on_update(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, AccessToken=SUPPLIED)).physical_id
    aws.secretsmanager.put_secret_value(SecretId=arn, SecretString='{"x":"hand-made-value"}')

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, AccessToken=SUPPLIED, Description="d")})

    assert updated[0].ok
    assert aws.token(arn, KEY) == SUPPLIED


def test_an_update_recreates_a_secret_deleted_by_hand(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, AccessToken=SUPPLIED)).physical_id
    aws.secretsmanager.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)

    updated, cleanup = stack.update_stack({"Token": resource_props(kms_key, AccessToken=SUPPLIED, Description="again")})

    assert updated[0].ok, updated[0].reason
    assert updated[0].physical_id != arn
    assert aws.token(updated[0].physical_id, KEY) == SUPPLIED
    assert [c.ok for c in cleanup] == [True]


def test_the_sample_events_drive_the_handler_through_create_update_and_delete(
    aws: Aws, kms_key: str, invoke: Any, listener: Any
) -> None:
    from tests.support.events import load_event

    aws.kms.create_alias(AliasName="alias/mediatailor-access-token", TargetKeyId=kms_key)

    def send(name: str, **overrides: Any) -> dict[str, Any]:
        event = load_event(name, **overrides)
        event["ResponseURL"] = listener.url_for(event)
        invoke(event)
        return dict(listener.wait_for(event["ResponseURL"]).body)

    created = send("create")
    arn = created["PhysicalResourceId"]
    first = aws.token(arn, "MyAccessTokenIdentifier")
    updated = send("update", PhysicalResourceId=arn)
    second = aws.token(arn, "MyAccessTokenIdentifier")
    deleted = send("delete", PhysicalResourceId=arn)

    assert [b["Status"] for b in (created, updated, deleted)] == ["SUCCESS"] * 3
    assert len(first) == 48
    assert len(second) == 48
    assert first != second, "the update event sets a new RotationId"
    assert created["Data"]["HeaderName"] == "X-Origin-Token"
    assert aws.tags(arn)["team"] == "video-platform"
    assert "DeletedDate" in aws.secret(arn)


def test_each_request_emits_one_outcome_metric(stack: Stack, kms_key: str, capfd: Any) -> None:
    capfd.readouterr()

    stack.create("Token", resource_props(kms_key))
    stack.create("Broken", resource_props(kms_key, HeaderName="x-amz-bad"))
    stack.delete("Token")

    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    outcomes = [(m["RequestType"], next(k for k in ("Succeeded", "Failed") if k in m)) for m in lines]
    assert outcomes == [("Create", "Succeeded"), ("Create", "Failed"), ("Delete", "Succeeded")]
    assert all(m["_aws"]["CloudWatchMetrics"][0]["Namespace"] for m in lines)


def test_a_key_change_with_a_generated_name_takes_seven_aws_calls_and_its_cleanup_three(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    """DescribeKey; DescribeSecret of the current secret and of the new name; GetSecretValue to
    carry the generated token over; the record on the secret left behind (TagResource);
    CreateSecret under the new key (with the record among its tags); PutResourcePolicy. The
    cleanup Delete records itself before DeleteSecret."""
    created = stack.create("Token", resource_props(kms_key))
    proxy_calls.clear()

    updated, cleanup = stack.update_stack({"Token": resource_props(aws.new_key())})
    update_calls = proxy_calls.recorder.calls[: len(proxy_calls.recorder.calls) - 3]

    assert updated[0].ok
    assert sorted(update_calls) == sorted(
        [
            "DescribeKey",
            "DescribeSecret",
            "DescribeSecret",
            "GetSecretValue",
            "TagResource",
            "CreateSecret",
            "PutResourcePolicy",
        ]
    )
    assert [c.ok for c in cleanup] == [True]
    assert proxy_calls.recorder.calls[-3:] == ["DescribeSecret", "TagResource", "DeleteSecret"]
    left = aws.tags(created.physical_id)
    assert left["mediatailor-access-token-secret:applied"] == record_of(updated[0])
    assert left["mediatailor-access-token-secret:deleted"] == record_of(cleanup[0])
