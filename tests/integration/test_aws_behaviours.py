"""AWS behaviours the emulator does not show, written into the tests: injected at the HTTP
level, modelled from the template, or asserted on the call order. Each docstring names the
source of the behaviour."""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from harness.account import make_arn
from harness.cloudformation import CloudFormation, Stack
from harness.faults import Fault
from harness.lambda_context import LambdaContext
from harness.lambda_service import AsyncLambda, template_retry_attempts
from harness.listener import ResponseListener
from tests.support.aws import Aws
from tests.support.properties import resource_props

if TYPE_CHECKING:
    from access_token_secret.adapter.handler import Timing


def tags(prefix: str, count: int = 48) -> list[dict[str, str]]:
    return [{"Key": f"{prefix}-{i:02d}", "Value": "v"} for i in range(count)]


# 1. Lambda re-runs a request that was already answered ------------------------------------


def test_the_template_turns_lambdas_retries_off() -> None:
    assert template_retry_attempts() == 0


def _create_that_times_out(
    lam: AsyncLambda, listener: ResponseListener, aws: Aws, kms_key: str, proxy_calls: Any, timing: Timing
) -> Stack:
    """CreateSecret hangs past the Lambda deadline (then fails, inside botocore's read timeout,
    so it is not retried): the timer answers FAILED ``deadline_margin_s`` before the deadline,
    CloudFormation's rollback Delete finds nothing, and the invocation counts as timed out.
    (In production numbers: a 9 s deadline, an 8 s margin, a 10 s read timeout.)"""
    assert lam.timeout_s - timing.deadline_margin_s > 0
    hang_s = lam.timeout_s + 0.1
    assert hang_s < timing.clients.read_timeout_s
    proxy_calls.inject(Fault("CreateSecret", delay_s=hang_s, times=1, code="ValidationException", status=400))
    stack = CloudFormation(lam.invoke, listener).new_stack("media-retry")
    responses = stack.create_stack({"Token": resource_props(kms_key)})
    assert [r.status for r in responses] == ["FAILED"]
    assert [r.request_type for r in stack.log] == ["Create", "Delete"]
    assert stack.log[1].ok, "the rollback Delete found nothing to delete"
    lam.settle()
    assert aws.secret_names() == []
    return stack


# The abandoned invocation and the next one share Powertools' process-wide metrics here; in
# Lambda an execution environment runs one invocation at a time.
OVERLAPPING_INVOCATIONS = pytest.mark.filterwarnings("ignore::UserWarning")


@OVERLAPPING_INVOCATIONS
def test_a_timed_out_create_is_not_run_again_after_its_rollback(
    invoke_handler: Any, listener: ResponseListener, aws: Aws, kms_key: str, proxy_calls: Any, fast_timing: Timing
) -> None:
    """Lambda retries a timed-out asynchronous invocation up to MaximumRetryAttempts times
    (Lambda Developer Guide); the template sets 0, so nothing runs after the rollback."""
    lam = AsyncLambda(invoke_handler, timeout_s=2, max_retry_attempts=template_retry_attempts())

    _create_that_times_out(lam, listener, aws, kms_key, proxy_calls, fast_timing)

    assert lam.invocations == ["timed out", "ok"]
    assert lam.run_retries() == 0
    assert aws.secret_names() == []


@OVERLAPPING_INVOCATIONS
def test_with_lambdas_default_retries_the_same_timeout_would_orphan_a_secret(
    invoke_handler: Any, listener: ResponseListener, aws: Aws, kms_key: str, proxy_calls: Any, fast_timing: Timing
) -> None:
    """Why the setting matters: Lambda's default (2 retries) re-runs the Create after the stack
    rolled back, and the secret it makes belongs to no stack resource."""
    lam = AsyncLambda(invoke_handler, timeout_s=2, max_retry_attempts=2)

    _create_that_times_out(lam, listener, aws, kms_key, proxy_calls, fast_timing)
    lam.run_retries()

    assert len(aws.secret_names(include_planned_deletion=False)) == 1


# 2. ServiceTimeout --------------------------------------------------------------------------


def test_a_service_timeout_shorter_than_the_function_timeout_is_answered_in_time(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any, listener: ResponseListener, fast_timing: Timing
) -> None:
    """ServiceTimeout is how long CloudFormation waits for an answer (AWS::CloudFormation::
    CustomResource). With a ServiceTimeout well under the function timeout, the FAILED answer
    must come ``deadline_margin_s`` before ServiceTimeout, and the rollback Delete by name
    removes what the late call made. (Production numbers: 30 s, a 60 s function, 8 s margin.)"""
    from access_token_secret.adapter.handler import lambda_handler

    service_timeout_s = 2  # the answer is due 1 s in; the late call creates after 3 s
    hang_s = fast_timing.clients.read_timeout_s + 0.2  # the first attempt times out, the retry creates
    proxy_calls.inject(Fault("CreateSecret", delay_s=hang_s, times=1, code="RequestTimeout", status=500))
    properties = resource_props(kms_key, ServiceTimeout=service_timeout_s, ForceDeleteWithoutRecovery=True)
    event = stack.event("Create", "Token", properties)
    started = time.monotonic()
    worker = threading.Thread(target=lambda: lambda_handler(event, LambdaContext(timeout_s=60)), daemon=True)
    worker.start()
    answer = listener.wait_for(event["ResponseURL"], timeout=service_timeout_s)
    answered_after = time.monotonic() - started
    worker.join(timeout=90)

    assert answer.body["Status"] == "FAILED"
    assert "ran out of time" in answer.body["Reason"]
    assert answered_after <= service_timeout_s - fast_timing.deadline_margin_s / 2
    assert len(aws.secret_names()) == 1, "the late call did create the secret"
    rollback = stack.send("Delete", "Token", properties, physical_id=answer.body["PhysicalResourceId"])
    assert rollback.ok
    assert aws.secret_names() == []


@pytest.mark.parametrize("value", ["0", "3601", "soon", "1.5"])
def test_an_unreadable_service_timeout_is_an_invalid_property(stack: Stack, kms_key: str, value: str) -> None:
    response = stack.create("Token", resource_props(kms_key, ServiceTimeout=value))

    assert response.status == "FAILED"
    assert "ServiceTimeout must be a whole number from 1 to 3600" in response.reason


# 3. Tags: TagResource appends, and a secret holds at most 50 ------------------------------


def test_stale_tags_are_removed_before_new_ones_are_added(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    """TagResource appends to the existing tags and a secret may hold at most 50 (Secrets
    Manager API reference, TagResource). moto has no limit, so the proxy enforces it; which of
    TagResource's documented errors AWS uses is not stated, InvalidParameterException here."""
    arn = stack.create("Token", resource_props(kms_key, Tags=tags("old"))).physical_id

    def at_most_fifty(operation: str, body: bytes) -> Fault | None:
        if operation != "TagResource":
            return None
        present = {tag["Key"] for tag in aws.secret(arn).get("Tags", [])}
        adding = {tag["Key"] for tag in json.loads(body)["Tags"]}
        if len(present | adding) > 50:
            return Fault("TagResource", code="InvalidParameterException", message="too many tags")
        return None

    proxy_calls.clear()
    proxy_calls.add_rule(at_most_fifty)
    updated, _ = stack.update_stack({"Token": resource_props(kms_key, Tags=tags("new"))})

    assert updated[0].ok, updated[0].reason
    calls = proxy_calls.recorder.calls
    assert calls.index("UntagResource") < calls.index("TagResource")
    assert sorted(aws.tags(arn)) == sorted(
        [t["Key"] for t in tags("new")]
        + ["mediatailor-access-token-secret:logical-id", "mediatailor-access-token-secret:stack-id"]
    )


# 5. DeleteSecret on a secret that is already scheduled ---------------------------------------


def test_a_delete_whose_secret_was_scheduled_meanwhile_succeeds(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    """AWS answers InvalidRequestException ("currently marked deleted") to DeleteSecret on a
    secret already scheduled: a retry after a lost response, or a concurrent delete. Injected
    while the secret really is scheduled (the rule schedules it first)."""
    arn = stack.create("Token", resource_props(kms_key)).physical_id

    def deleted_by_someone_else_first(operation: str, _: bytes) -> Fault | None:
        if operation != "DeleteSecret":
            return None
        aws.secretsmanager.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
        return Fault(
            "DeleteSecret",
            code="InvalidRequestException",
            message="You tried to perform the operation on a secret that's currently marked deleted.",
        )

    proxy_calls.add_rule(deleted_by_someone_else_first)
    deleted = stack.delete("Token")

    assert deleted.ok, deleted.reason
    assert "DeletedDate" in aws.secret(arn)
    assert proxy_calls.recorder.calls[-1] == "DescribeSecret"


def test_an_invalid_delete_of_a_live_secret_still_fails(stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any) -> None:
    arn = stack.create("Token", resource_props(kms_key)).physical_id
    proxy_calls.inject(Fault("DeleteSecret", code="InvalidRequestException", message="something else"))

    deleted = stack.delete("Token")

    assert deleted.status == "FAILED"
    assert "secretsmanager:DeleteSecret failed (InvalidRequestException)" in deleted.reason
    assert "DeletedDate" not in aws.secret(arn)


# 6. LimitExceededException is a quota, not throttling -------------------------------------


def test_a_quota_is_named_as_a_quota(stack: Stack, kms_key: str, proxy_calls: Any) -> None:
    """In Secrets Manager LimitExceededException means a quota would be exceeded, such as the
    versions of a secret (Secrets Manager API reference, PutSecretValue)."""
    stack.create("Token", resource_props(kms_key))
    proxy_calls.inject(
        Fault("PutSecretValue", code="LimitExceededException", message="too many versions of this secret")
    )

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, RotationId="2")})

    assert updated[0].status == "FAILED"
    assert "would exceed a Secrets Manager quota (LimitExceededException)" in updated[0].reason
    assert "throttled" not in updated[0].reason


# 7. A changed SecretNamePrefix -------------------------------------------------------------


@pytest.mark.parametrize("request_type", ["Update", "Delete"])
def test_a_secret_outside_the_prefix_is_refused_before_any_call(
    stack: Stack, kms_key: str, proxy_calls: Any, request_type: str
) -> None:
    """The role reaches only secret:<SecretNamePrefix>* (template.yaml), so after a prefix
    change every call on an older secret would be denied; moto evaluates no IAM."""
    outside = make_arn("secretsmanager", "secret:old-prefix/media/Token-AbCdEf")
    proxy_calls.clear()

    old = resource_props(kms_key) if request_type == "Update" else None
    response = stack.send(request_type, "Token", resource_props(kms_key), physical_id=outside, old_properties=old)

    assert response.status == "FAILED"
    assert "outside the provider's SecretNamePrefix 'mediatailor/'" in response.reason
    assert "old-prefix/media/Token" in response.reason
    assert proxy_calls.recorder.calls == []
