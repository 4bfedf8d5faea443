"""CloudFormation's harder sequences: rollbacks, replacements undone, names reused."""

from __future__ import annotations

from typing import Any

from harness.cloudformation import CloudFormation, Stack
from harness.faults import Fault
from tests.support.aws import Aws
from tests.support.properties import KEY, resource_props


def test_a_rolled_back_supplied_token_change_makes_the_old_token_current(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, AccessToken="first-token-001")).physical_id

    updates, rollback = stack.update_stack(
        {"Token": resource_props(kms_key, AccessToken="second-token-02")}, fail_later=True
    )

    assert updates[0].ok
    assert [r.ok for r in rollback] == [True]
    assert aws.token(arn, KEY) == "first-token-001"


def test_a_rolled_back_rotation_makes_the_earlier_generated_token_current_again(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="a")).physical_id
    first = aws.token(arn, KEY)
    updates, _ = stack.update_stack({"Token": resource_props(kms_key, RotationId="b")})
    second = aws.token(arn, KEY)
    proxy_calls.clear()

    updates, rollback = stack.update_stack({"Token": resource_props(kms_key, RotationId="c")}, fail_later=True)

    assert updates[0].ok
    assert rollback[0].ok
    assert aws.token(arn, KEY) == second, "the rollback restores b's token, not a third one"
    assert first != second
    assert "PutSecretValue" not in [c for c in proxy_calls.recorder.calls[-4:]]


def test_a_rolled_back_replacement_adopts_the_old_secret_and_cleans_up_the_new_one(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    a = stack.create("Token", resource_props(kms_key, SecretName="mediatailor/origin-a", AccessToken="token-for-a-001"))

    updates, rollback = stack.update_stack(
        {"Token": resource_props(kms_key, SecretName="mediatailor/origin-b", AccessToken="token-for-a-001")},
        fail_later=True,
    )

    b_arn = updates[0].physical_id
    assert updates[0].ok
    assert b_arn != a.physical_id
    assert [(r.request_type, r.ok) for r in rollback] == [("Update", True), ("Delete", True)]
    assert rollback[0].physical_id == a.physical_id, "the rollback Update returns A's ARN"
    assert rollback[1].physical_id == b_arn, "the cleanup Delete removes B"
    assert "DeletedDate" not in aws.secret(a.physical_id)
    assert "DeletedDate" in aws.secret(b_arn)
    assert aws.token(a.physical_id, KEY) == "token-for-a-001"
    assert stack.resources["Token"].physical_id == a.physical_id


def test_an_update_that_fails_itself_is_rolled_back_to_the_same_state(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, AccessToken="keep-this-token")).physical_id

    updates, rollback = stack.update_stack({"Token": resource_props(kms_key, AccessToken="bad", HeaderName="x-amz-no")})

    assert updates[0].status == "FAILED"
    assert updates[0].physical_id == arn, "a failed Update keeps the event's PhysicalResourceId"
    assert [r.ok for r in rollback] == [True]
    assert aws.token(arn, KEY) == "keep-this-token"


def test_a_key_change_is_a_new_secret_and_its_rollback_returns_to_the_first(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    other = aws.new_key()
    arn = stack.create("Token", resource_props(kms_key)).physical_id
    token = aws.token(arn, KEY)

    updates, rollback = stack.update_stack({"Token": resource_props(other)}, fail_later=True)

    assert updates[0].ok
    assert updates[0].physical_id != arn
    assert updates[0].data["KmsKeyArn"] == other
    assert [(r.request_type, r.ok) for r in rollback] == [("Update", True), ("Delete", True)]
    assert rollback[0].physical_id == arn
    assert rollback[0].data["KmsKeyArn"] == kms_key
    assert rollback[1].physical_id == updates[0].physical_id
    assert aws.secret(arn)["KmsKeyId"] == kms_key
    assert aws.token(arn, KEY) == token


def test_a_stack_recreated_with_the_same_secret_name_restores_its_secret(
    cloud: CloudFormation, aws: Aws, kms_key: str
) -> None:
    first = cloud.new_stack("media-live")
    arn = first.create(
        "Token", resource_props(kms_key, SecretName="mediatailor/live", AccessToken="live-token-0001")
    ).physical_id
    first.delete_stack()
    assert "DeletedDate" in aws.secret(arn)

    second = cloud.new_stack("media-live")
    created = second.create(
        "Token", resource_props(kms_key, SecretName="mediatailor/live", AccessToken="live-token-0002")
    )

    assert created.ok, created.reason
    assert created.physical_id == arn
    assert "DeletedDate" not in aws.secret(arn)
    assert aws.tags(arn)["mediatailor-access-token-secret:stack-id"] == second.stack_id
    assert aws.token(arn, KEY) == "live-token-0002"


def test_a_name_in_another_owners_recovery_window_fails_with_the_date(
    cloud: CloudFormation, aws: Aws, kms_key: str
) -> None:
    first = cloud.new_stack("media-one")
    arn = first.create("Token", resource_props(kms_key, SecretName="mediatailor/shared")).physical_id
    first.delete_stack()

    other = cloud.new_stack("media-two").create("Token", resource_props(kms_key, SecretName="mediatailor/shared"))

    assert other.status == "FAILED"
    assert "belongs to another owner and is scheduled for deletion on" in other.reason
    assert aws.secret(arn)["DeletedDate"].date().isoformat() in other.reason
    assert "DeletedDate" in aws.secret(arn), "the other owner's secret stays scheduled"


def test_aws_wording_for_a_name_scheduled_for_deletion_is_handled_too(
    stack: Stack, cloud: CloudFormation, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    """moto answers ResourceExistsException here; AWS answers InvalidRequestException "You can't
    create this secret because a secret with this name is already scheduled for deletion." The
    AWS answer is injected at the HTTP level; the provider must take the same path for both. The
    name is described first, so the race is played: it is free when described, scheduled when
    created."""
    arn = stack.create("Token", resource_props(kms_key, SecretName="mediatailor/aws-wording")).physical_id
    stack.delete_stack()
    proxy_calls.inject(Fault("DescribeSecret", code="ResourceNotFoundException", message="not found", times=1))
    proxy_calls.inject(
        Fault(
            "CreateSecret",
            code="InvalidRequestException",
            message="You can't create this secret because a secret with this name is already scheduled for deletion.",
            times=1,
        )
    )

    again = cloud.new_stack(stack.name).create("Token", resource_props(kms_key, SecretName="mediatailor/aws-wording"))

    assert again.ok, again.reason
    assert again.physical_id == arn
    assert proxy_calls.recorder.injected["CreateSecret"] == 1


def test_renaming_back_within_the_recovery_window_restores_the_first_secret(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    a = stack.create("Token", resource_props(kms_key, SecretName="mediatailor/back-a")).physical_id
    stack.update_stack({"Token": resource_props(kms_key, SecretName="mediatailor/back-b")})
    assert "DeletedDate" in aws.secret(a)

    updates, cleanup = stack.update_stack({"Token": resource_props(kms_key, SecretName="mediatailor/back-a")})

    assert updates[0].ok, updates[0].reason
    assert updates[0].physical_id == a
    assert "DeletedDate" not in aws.secret(a)
    assert [c.ok for c in cleanup] == [True]


def test_a_create_failing_after_the_secret_exists_leaves_nothing_behind(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    proxy_calls.inject(Fault("PutResourcePolicy", code="AccessDeniedException", message="not allowed", times=1))

    responses = stack.create_stack({"Token": resource_props(kms_key, ForceDeleteWithoutRecovery=True)})

    assert responses[0].status == "FAILED"
    assert responses[0].physical_id.startswith("arn:aws:secretsmanager:"), "FAILED carries the secret's ARN"
    assert "secretsmanager:PutResourcePolicy was denied" in responses[0].reason
    rollback = stack.log[-1]
    assert (rollback.request_type, rollback.ok, rollback.physical_id) == ("Delete", True, responses[0].physical_id)
    assert aws.secret_names() == []


def test_a_failed_replacement_removes_the_secret_it_created(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    """CloudFormation keeps the old PhysicalResourceId after a failed Update and never asks to
    delete the new secret, so the provider removes it (through the recovery window)."""
    a = stack.create("Token", resource_props(kms_key, SecretName="mediatailor/keep-a")).physical_id
    proxy_calls.inject(Fault("PutResourcePolicy", code="AccessDeniedException", message="denied", times=1))

    updates, rollback = stack.update_stack({"Token": resource_props(kms_key, SecretName="mediatailor/new-b")})

    assert updates[0].status == "FAILED"
    assert updates[0].physical_id == a
    b = aws.secret("mediatailor/new-b")
    assert "DeletedDate" in b, "the half-made replacement is scheduled for deletion"
    assert [r.ok for r in rollback] == [True]
    assert "DeletedDate" not in aws.secret(a)
    assert aws.secret_names(include_planned_deletion=False) == ["mediatailor/keep-a"]

    retried, _ = stack.update_stack({"Token": resource_props(kms_key, SecretName="mediatailor/new-b")})

    assert retried[0].ok, retried[0].reason
    assert retried[0].physical_id == b["ARN"], "a retry restores the secret it made before"


def test_a_rotation_after_a_rolled_back_rotation_leaves_one_current_version(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    """AWS moves AWSCURRENT from whichever version holds it (PutSecretValue). moto does not
    after UpdateSecretVersionStage; harness/moto_server.py corrects that, and this test shows it."""
    arn = stack.create("Token", resource_props(kms_key, RotationId="a")).physical_id
    first = aws.token(arn, KEY)
    stack.update_stack({"Token": resource_props(kms_key, RotationId="b")}, fail_later=True)

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, RotationId="c")})

    labelled = aws.secret(arn)["VersionIdsToStages"]
    assert sum("AWSCURRENT" in s for s in labelled.values()) == 1
    assert [v for v, s in labelled.items() if "AWSCURRENT" in s] == [updated[0].data["VersionId"]]
    assert aws.token(arn, KEY) != first
