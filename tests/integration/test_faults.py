"""Faults injected at the HTTP level between the provider and AWS, and at the response URL."""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from harness.account import make_arn
from harness.cloudformation import Stack
from harness.faults import Fault
from harness.lambda_context import LambdaContext
from tests.support.aws import Aws
from tests.support.properties import resource_props

if TYPE_CHECKING:
    from access_token_secret.adapter.handler import Timing

OPERATIONS = ("DescribeKey", "CreateSecret", "DescribeSecret", "PutSecretValue", "PutResourcePolicy", "DeleteSecret")


def test_throttling_on_every_call_is_retried_and_the_lifecycle_still_succeeds(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    proxy_calls.inject(*(Fault(op, times=2) for op in OPERATIONS))
    proxy_calls.inject(Fault("*", code="ServiceUnavailable", status=503, message="busy", times=1))
    proxy_calls.inject(Fault("*", code="TooManyRequestsException", status=429, message="slow down", times=1))

    created = stack.create("Token", resource_props(kms_key))
    updated, _ = stack.update_stack({"Token": resource_props(kms_key, RotationId="2")})
    deleted = stack.delete("Token")

    assert (created.ok, updated[0].ok, deleted.ok) == (True, True, True)
    assert all(proxy_calls.recorder.injected[op] >= 2 for op in OPERATIONS)
    assert sum(proxy_calls.recorder.injected.values()) == 2 * len(OPERATIONS) + 2
    assert "DeletedDate" in aws.secret(created.physical_id)


def test_persistent_access_denied_fails_with_the_missing_permission(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    proxy_calls.inject(
        Fault(
            "CreateSecret",
            code="AccessDeniedException",
            message=f"User: {make_arn('sts', 'assumed-role/provider', region='')} is not authorized to perform: "
            "secretsmanager:CreateSecret",
        )
    )

    response = stack.create("Token", resource_props(kms_key))

    assert response.status == "FAILED"
    assert response.reason.startswith("secretsmanager:CreateSecret was denied: give the provider's role")
    assert len(response.reason) < 256
    assert aws.secret_names() == []


@pytest.mark.slow  # production retry count (botocore's backoff is scaled down in tests/conftest.py)
def test_a_persistent_server_error_names_the_operation(stack: Stack, kms_key: str, proxy_calls: Any) -> None:
    proxy_calls.inject(Fault("DescribeKey", code="InternalFailure", status=500, message="boom"))

    response = stack.create("Token", resource_props(kms_key))

    assert response.status == "FAILED"
    assert "kms:DescribeKey" in response.reason
    assert proxy_calls.recorder.injected["DescribeKey"] == 6, "botocore standard mode, 6 attempts in all"


def test_the_response_is_retried_after_a_server_error_and_sent_once(stack: Stack, kms_key: str, listener: Any) -> None:
    listener.store.fail_next.extend([500, 503])

    response = stack.create("Token", resource_props(kms_key))

    assert response.ok
    assert response.count == 1


def test_a_refused_response_url_is_final_and_not_retried(
    stack: Stack, kms_key: str, listener: Any, invoke: Any
) -> None:
    """S3 answers 403 to an expired or altered pre-signed URL; retrying cannot help."""
    listener.store.fail_next.extend([403, 403, 403])
    event = stack.event("Create", "Token", resource_props(kms_key))
    url = event["ResponseURL"]
    started = time.monotonic()

    invoke(event)

    assert time.monotonic() - started < 5
    assert listener.store.fail_next == [403, 403], "exactly one attempt was made"
    listener.store.fail_next.clear()
    assert listener.responses_for(url) == []


@pytest.mark.slow  # production timing: DEADLINE_MARGIN_S and the 10 s read timeout
def test_a_hanging_aws_call_gets_a_failed_answer_well_before_the_deadline(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any, listener: Any
) -> None:
    """CreateSecret hangs past botocore's read timeout. With a 12 s Lambda deadline the provider
    must answer FAILED at least 5 s before it, naming the secret it may have created, and the
    rollback Delete must then remove that secret."""
    from access_token_secret.adapter.handler import DEADLINE_MARGIN_S, TIMING, Timing, lambda_handler

    assert Timing() == TIMING, "this test keeps the production timing"
    assert DEADLINE_MARGIN_S >= 5
    proxy_calls.inject(Fault("CreateSecret", delay_s=11, times=1, code="RequestTimeout", status=500))
    event = stack.event("Create", "Token", resource_props(kms_key, ForceDeleteWithoutRecovery=True))

    def run() -> None:
        lambda_handler(event, LambdaContext(timeout_s=12))

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    answer = listener.wait_for(event["ResponseURL"], timeout=12)
    answered_after = time.monotonic() - started
    worker.join(timeout=30)

    assert answer.body["Status"] == "FAILED"
    assert answered_after <= 12 - 5
    assert "ran out of time" in answer.body["Reason"]
    physical_id = answer.body["PhysicalResourceId"]
    assert physical_id.startswith(f"mediatailor/{stack.name}/Token-")
    assert len(listener.responses_for(event["ResponseURL"])) == 1, "the late finish sends nothing more"
    rollback = stack.send(
        "Delete", "Token", resource_props(kms_key, ForceDeleteWithoutRecovery=True), physical_id=physical_id
    )
    assert rollback.ok
    assert aws.secret_names() == []


def test_an_update_that_runs_out_of_time_keeps_the_events_physical_id(
    stack: Stack, kms_key: str, proxy_calls: Any, listener: Any, fast_timing: Timing
) -> None:
    from access_token_secret.adapter.handler import lambda_handler

    created = stack.create("Token", resource_props(kms_key))
    hang_s = fast_timing.clients.read_timeout_s + 0.2
    proxy_calls.inject(Fault("DescribeSecret", delay_s=hang_s, times=1, code="RequestTimeout", status=500))
    event = stack.event(
        "Update",
        "Token",
        resource_props(kms_key, RotationId="2"),
        physical_id=created.physical_id,
        old_properties=resource_props(kms_key),
    )
    url = event["ResponseURL"]
    deadline_s = fast_timing.deadline_margin_s + 1  # the answer comes 1 s in, the hang ends later
    worker = threading.Thread(target=lambda: lambda_handler(event, LambdaContext(timeout_s=deadline_s)), daemon=True)
    worker.start()
    answer = listener.wait_for(url, timeout=deadline_s)
    worker.join(timeout=30)

    assert answer.body["Status"] == "FAILED"
    assert answer.body["PhysicalResourceId"] == created.physical_id
    assert len(listener.responses_for(url)) == 1
    assert json.loads(answer.raw)["Data"] == {}


def test_a_policy_rejected_once_as_malformed_is_put_again(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    """IAM propagation can make a principal look unsupported for a moment; one retry."""
    proxy_calls.inject(
        Fault("PutResourcePolicy", code="MalformedPolicyDocumentException", message="unsupported principal", times=1)
    )

    created = stack.create("Token", resource_props(kms_key))

    assert created.ok, created.reason
    assert proxy_calls.recorder.count()["PutResourcePolicy"] == 2
    assert aws.policy(created.physical_id)["Statement"][0]["Principal"] == {"Service": "mediatailor.amazonaws.com"}
