"""Adopting a secret made by hand (MediaTailor's documented procedure), keeping its token, only
with its owner's consent: the tag mediatailor-access-token-secret:adopt=<stack name>.

Every refusal is checked to leave the secret exactly as it was: value, key, tags, policy; once
the consent was checked, the failed attempt uses it up (the tag is gone, nothing else changed).
The consent's limits (no token returned, single use, secrets that cannot be owned safely) are
in test_adoption_consent.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.account import make_arn
from harness.cloudformation import CloudFormation, Stack
from tests.support.adoption import ADOPTING, CONSENT, NAME, OWNER_STACK, TOKEN, hand_made, state, without_consent
from tests.support.aws import Aws
from tests.support.properties import KEY, resource_props


def test_a_consented_secret_is_adopted_with_its_token_and_other_keys(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name, "team": "video"})

    created = stack.create("Token", resource_props(kms_key, **ADOPTING, Tags=[{"Key": "team", "Value": "video"}]))

    assert created.ok, created.reason
    assert created.physical_id == arn
    assert json.loads(aws.secretsmanager.get_secret_value(SecretId=arn)["SecretString"]) == {
        KEY: TOKEN,
        "Comment": "kept by hand",
        "Port": 8443,
    }
    tags = aws.tags(arn)
    assert CONSENT not in tags
    assert tags[OWNER_STACK] == stack.stack_id
    assert tags["team"] == "video"
    assert aws.policy(arn)["Statement"][0]["Principal"] == {"Service": "mediatailor.amazonaws.com"}


def test_later_writes_to_an_adopted_secret_keep_its_other_keys(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    stack.create("Token", resource_props(kms_key, **ADOPTING))

    stack.update_stack({"Token": resource_props(kms_key, **ADOPTING, RotationId="2")})
    stack.update_stack({"Token": resource_props(kms_key, **ADOPTING, RotationId="2", NextRotationId="3")})

    current = json.loads(aws.secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
    pending = json.loads(aws.secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSPENDING")["SecretString"])
    assert current[KEY] != TOKEN, "the rotation wrote a new token"
    assert {k: v for k, v in current.items() if k != KEY} == {"Comment": "kept by hand", "Port": 8443}
    assert {k: v for k, v in pending.items() if k != KEY} == {"Comment": "kept by hand", "Port": 8443}


def test_a_supplied_token_replaces_the_stored_one_and_keeps_the_other_keys(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    arn = hand_made(aws, kms_key, value={KEY: "short", "Comment": "c"}, tags={CONSENT: stack.name})

    created = stack.create("Token", resource_props(kms_key, **ADOPTING, AccessToken="supplied-token-01"))

    assert created.ok, created.reason
    assert json.loads(aws.secretsmanager.get_secret_value(SecretId=arn)["SecretString"]) == {
        KEY: "supplied-token-01",
        "Comment": "c",
    }


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({}, f"has no consent to adoption: tag it {CONSENT}="),
        ({CONSENT: "another-stack"}, f"has no consent to adoption: tag it {CONSENT}="),
        (
            {OWNER_STACK: make_arn("cloudformation", "stack/origin-owner/1111")},
            "its owner tags name stack origin-owner",
        ),
    ],
)
def test_without_consent_nothing_is_read_or_written(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any, tags: dict[str, str], reason: str
) -> None:
    arn = hand_made(aws, kms_key, tags=tags)
    before = state(aws, arn)

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.status == "FAILED"
    assert reason in created.reason
    assert f"={stack.name}" in created.reason
    assert "GetSecretValue" not in proxy_calls.recorder.calls
    assert state(aws, arn) == before
    rollback = stack.send("Delete", "Token", resource_props(kms_key, **ADOPTING), physical_id=created.physical_id)
    assert rollback.ok
    assert state(aws, arn) == before, "CloudFormation's rollback Delete leaves it alone too"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"SomethingElse": TOKEN}, "has no value under SecretStringKey MyAccessTokenIdentifier"),
        ("not json at all", "its SecretString is not a JSON object"),
        ({KEY: "short"}, "the value under SecretStringKey is not 8-128 visible ASCII characters"),
    ],
)
def test_a_value_that_cannot_be_kept_fails_before_any_write(
    stack: Stack, aws: Aws, kms_key: str, value: object, problem: str
) -> None:
    arn = hand_made(aws, kms_key, value=value, tags={CONSENT: stack.name})
    before = state(aws, arn)

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.status == "FAILED"
    assert problem in created.reason
    assert "supply AccessToken" in created.reason
    assert "short" not in created.reason
    assert state(aws, arn) == without_consent(before)


def test_a_secret_under_another_key_is_not_re_keyed(stack: Stack, aws: Aws, kms_key: str) -> None:
    other = aws.new_key()
    arn = hand_made(aws, other, tags={CONSENT: stack.name})
    before = state(aws, arn)

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.status == "FAILED"
    assert other in created.reason
    assert kms_key in created.reason
    assert "set KmsKeyId to it or adopt under a new SecretName" in created.reason
    assert state(aws, arn) == without_consent(before)


def test_a_secret_on_the_aws_managed_key_cannot_be_adopted(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = hand_made(aws, None, tags={CONSENT: stack.name})
    before = state(aws, arn)

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.status == "FAILED"
    assert "uses the AWS managed key" in created.reason
    assert state(aws, arn) == without_consent(before)


def test_a_key_id_on_the_secret_is_the_same_key_as_its_arn(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = hand_made(aws, kms_key.rsplit("/", 1)[1], tags={CONSENT: stack.name})

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.ok, created.reason
    assert aws.secret(arn)["KmsKeyId"] == kms_key, "stored as the key ARN, which MediaTailor reads"


def test_a_transfer_between_stacks_leaves_the_former_owner_unable_to_touch_it(
    cloud: CloudFormation, aws: Aws, kms_key: str
) -> None:
    former = cloud.new_stack("origin-old")
    arn = former.create(
        "Token", resource_props(kms_key, SecretName=NAME, AccessToken="transferred-token", AdoptExistingSecret=False)
    ).physical_id
    new = cloud.new_stack("origin-new")
    aws.secretsmanager.tag_resource(SecretId=arn, Tags=[{"Key": CONSENT, "Value": "origin-new"}])

    adopted = new.create("Token", resource_props(kms_key, **ADOPTING))
    former_update, _ = former.update_stack(
        {
            "Token": resource_props(
                kms_key, SecretName=NAME, AccessToken="transferred-token", AdoptExistingSecret=False, Description="x"
            )
        }
    )
    former_delete = former.delete("Token")

    assert adopted.ok, adopted.reason
    assert aws.token(arn, KEY) == "transferred-token"
    assert former_update[0].status == "FAILED"
    assert "not managed by this resource" in former_update[0].reason
    assert former_delete.ok
    assert "DeletedDate" not in aws.secret(arn)
    assert aws.tags(arn)[OWNER_STACK] == new.stack_id


def test_a_secret_retained_from_a_deleted_stack_of_the_same_name_is_adopted_with_consent(
    cloud: CloudFormation, aws: Aws, kms_key: str
) -> None:
    first = cloud.new_stack("origin")
    arn = first.create("Token", resource_props(kms_key, SecretName=NAME, AdoptExistingSecret=False)).physical_id
    token = aws.token(arn, KEY)
    first.delete_stack(retain=("Token",))
    second = cloud.new_stack("origin")

    refused = second.create("Token", resource_props(kms_key, **ADOPTING))
    aws.secretsmanager.tag_resource(SecretId=arn, Tags=[{"Key": CONSENT, "Value": "origin"}])
    adopted = second.create("Token", resource_props(kms_key, **ADOPTING))

    assert refused.status == "FAILED"
    assert "its owner tags name stack origin" in refused.reason
    assert adopted.ok, adopted.reason
    assert aws.token(arn, KEY) == token


def test_a_consented_secret_scheduled_for_deletion_is_restored_and_adopted(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    aws.secretsmanager.delete_secret(SecretId=arn, RecoveryWindowInDays=7)

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.ok, created.reason
    assert "DeletedDate" not in aws.secret(arn)
    assert aws.token(arn, KEY) == TOKEN


def test_a_redelivered_adoption_gives_the_same_answer_and_writes_nothing_more(
    stack: Stack, aws: Aws, kms_key: str, invoke: Any, listener: Any, proxy_calls: Any
) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    event = stack.event("Create", "Token", resource_props(kms_key, **ADOPTING))
    invoke(event)
    after_first = state(aws, arn)
    proxy_calls.clear()

    invoke(event)

    first, second = (r.body for r in listener.responses_for(event["ResponseURL"]))
    assert first == second
    assert not {"PutSecretValue", "TagResource", "UntagResource"} & set(proxy_calls.recorder.calls)
    assert state(aws, arn) == after_first


def test_retain_keeps_an_adopted_secret_as_it_was_when_the_stack_goes(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    stack.create("Token", resource_props(kms_key, **ADOPTING))
    before = state(aws, arn)

    responses = stack.delete_stack(retain=("Token",))

    assert responses == [], "CloudFormation sends no Delete for a retained resource"
    assert state(aws, arn) == before


def test_without_adopt_existing_secret_a_name_collision_still_fails(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    before = state(aws, arn)

    created = stack.create("Token", resource_props(kms_key, SecretName=NAME, AdoptExistingSecret=False))

    assert created.status == "FAILED"
    assert "already exists and is not managed by this resource" in created.reason
    assert state(aws, arn) == before


def test_adopt_existing_secret_needs_a_secret_name(stack: Stack, kms_key: str) -> None:
    created = stack.create("Token", resource_props(kms_key, AdoptExistingSecret="true"))

    assert created.status == "FAILED"
    assert "AdoptExistingSecret needs SecretName" in created.reason


def test_an_update_can_move_a_resource_onto_a_consented_secret(stack: Stack, aws: Aws, kms_key: str) -> None:
    first = stack.create("Token", resource_props(kms_key)).physical_id
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})

    updated, cleanup = stack.update_stack({"Token": resource_props(kms_key, **ADOPTING)})

    assert updated[0].ok, updated[0].reason
    assert updated[0].physical_id == arn
    assert aws.token(arn, KEY) == TOKEN, "the adopted secret keeps its own token"
    assert [(c.request_type, c.ok) for c in cleanup] == [("Delete", True)]
    assert "DeletedDate" in aws.secret(first)
