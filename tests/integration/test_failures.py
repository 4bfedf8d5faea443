"""Every request gets one answer, even when the provider itself is broken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.account import make_arn
from harness.cloudformation import Stack
from harness.listener import ResponseListener
from harness.run_artifact import invoke_in_process_of_its_own

ROOT = Path(__file__).resolve().parents[2]


def _event(stack: Stack, request_type: str = "Create", **extra: Any) -> dict[str, Any]:
    physical_id = extra.pop("PhysicalResourceId", None)
    event = stack.event(request_type, "Token", {"KmsKeyId": "alias/k", "SecretStringKey": "K"}, physical_id=physical_id)
    return event | extra


@pytest.mark.parametrize(
    ("environment", "reason"),
    [
        ({"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, "Provider misconfigured: AWS_REGION is not set"),
        ({"SECRET_NAME_PREFIX": "bad prefix!"}, "Provider misconfigured: SecretNamePrefix must be"),
    ],
)
@pytest.mark.parametrize("request_type", ["Create", "Delete"])
def test_a_misconfigured_provider_still_answers_every_request(
    listener: ResponseListener, stack: Stack, environment: dict[str, str], reason: str, request_type: str
) -> None:
    extra = {"PhysicalResourceId": make_arn("secretsmanager", "secret:x-AbCdEf")}
    event = _event(stack, request_type, **(extra if request_type == "Delete" else {}))

    invoke_in_process_of_its_own(ROOT / "functions", event, **environment)

    (answer,) = listener.responses_for(event["ResponseURL"])
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"].startswith(reason)
    assert answer.body["PhysicalResourceId"]
    if request_type == "Delete":
        assert answer.body["PhysicalResourceId"] == extra["PhysicalResourceId"]


def test_an_unexpected_exception_becomes_a_generic_reason(
    listener: ResponseListener, stack: Stack, kms_key: str, monkeypatch: pytest.MonkeyPatch, invoke: Any
) -> None:
    """Fault injection: the service raises something no one planned for, whose text must not
    reach CloudFormation (it could hold anything)."""
    from access_token_secret.adapter import handler

    def explode(*args: object, **kwargs: object) -> object:
        raise RuntimeError("internal detail that must not leak")

    assert handler._SERVICE is not None
    monkeypatch.setattr(handler._SERVICE, "create", explode)
    event = _event(stack, ResourceProperties={"KmsKeyId": kms_key, "SecretStringKey": "K"})

    invoke(event)

    (answer,) = listener.responses_for(event["ResponseURL"])
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"] == f"Internal error; see the provider's logs for request {event['RequestId']}"
    assert answer.body["PhysicalResourceId"].startswith(f"mediatailor/{stack.name}/Token-")


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [
        ({"RequestType": "Replace"}, "Malformed request: RequestType must be Create, Update or Delete"),
        ({"RequestType": "Update"}, "Malformed request: Update without PhysicalResourceId"),
        ({"ResourceProperties": ["x"]}, "Malformed request: ResourceProperties must be an object"),
    ],
)
def test_malformed_events_are_answered_with_what_is_wrong(
    listener: ResponseListener, stack: Stack, invoke: Any, mutation: dict[str, Any], reason: str
) -> None:
    event = _event(stack) | mutation

    invoke(event)

    (answer,) = listener.responses_for(event["ResponseURL"])
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"] == reason
    assert answer.body["PhysicalResourceId"]


@pytest.mark.parametrize("field", ["StackId", "LogicalResourceId", "RequestId"])
def test_an_event_missing_a_part_of_its_request_key_gets_no_answer(
    listener: ResponseListener, stack: Stack, invoke: Any, proxy_calls: Any, field: str
) -> None:
    """Every response URL's key is the request's StackId|LogicalResourceId|RequestId; without one
    of them no URL can be shown to be this request's, so nothing is sent (1.1 answered FAILED)."""
    event = _event(stack) | {field: ""}

    invoke(event)

    assert listener.responses_for(event["ResponseURL"]) == []
    assert proxy_calls.recorder.calls == []
