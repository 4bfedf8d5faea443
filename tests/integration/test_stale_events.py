"""Requests CloudFormation stopped waiting for are refused unrun (issue 26, "Too old to act on").

Lambda can deliver an event long after CloudFormation sent it (a throttled event waits in the
queue up to ``MaximumEventAgeInSeconds``), while CloudFormation stops waiting ``ServiceTimeout``
seconds (default 3600) after it signed the response URL (AWS::CloudFormation::CustomResource;
the URL's ``X-Amz-Date``). Such a request creates, changes and deletes nothing, gets FAILED, and
is logged and counted as Failed. The listener signs URLs as CloudFormation does (SigV4,
``X-Amz-Expires=7199``); the tests move the signing time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from harness.cloudformation import Response, Stack
from harness.faults import Fault
from harness.lambda_context import LambdaContext
from harness.listener import ResponseListener, wall_clock
from tests.support.aws import Aws
from tests.support.fixtures import FAST_DEADLINE_MARGIN_S, FAST_READ_TIMEOUT_S

STOPPED_WAITING = "CloudFormation stopped waiting for this request"


@pytest.fixture
def properties(kms_key: str) -> dict[str, Any]:
    return {"KmsKeyId": kms_key, "SecretStringKey": "K"}


@contextmanager
def signed(listener: ResponseListener, offset: timedelta) -> Iterator[None]:
    """The URLs handed out meanwhile are signed ``offset`` from now (negative: in the past)."""
    listener.clock = lambda: wall_clock() + offset
    try:
        yield
    finally:
        listener.clock = wall_clock


def send_with_url(stack: Stack, event: dict[str, Any], url: str) -> Response:
    event["ResponseURL"] = url
    return stack.cloud.deliver(event, event["RequestType"], event["LogicalResourceId"], stack.log)


@pytest.mark.parametrize("minutes", [65, 119])
def test_a_create_signed_over_an_hour_ago_creates_nothing(
    minutes: int, stack: Stack, aws: Aws, listener: ResponseListener, properties: dict[str, Any], proxy_calls: Any
) -> None:
    with signed(listener, -timedelta(minutes=minutes)):
        response = stack.send("Create", "Token", properties)

    assert response.status == "FAILED"
    assert response.reason.startswith(STOPPED_WAITING)
    assert len(response.reason) < 256
    assert "#not-created#" in response.physical_id, "names no secret a rollback Delete could remove"
    assert proxy_calls.recorder.calls == [], "no AWS call at all"
    assert aws.secret_names() == []


def test_a_stale_update_changes_nothing(
    stack: Stack, aws: Aws, listener: ResponseListener, properties: dict[str, Any], proxy_calls: Any
) -> None:
    created = stack.create("Token", {**properties, "RotationId": "1"})
    token = aws.token(created.physical_id, "K")
    proxy_calls.clear()

    with signed(listener, -timedelta(minutes=65)):
        response = stack.update("Token", {**properties, "RotationId": "2"})

    assert (response.status, response.physical_id) == ("FAILED", created.physical_id)
    assert response.reason.startswith(STOPPED_WAITING)
    assert proxy_calls.recorder.calls == []
    assert aws.token(created.physical_id, "K") == token


def test_a_stale_delete_deletes_nothing_and_a_fresh_retry_does(
    stack: Stack, aws: Aws, listener: ResponseListener, properties: dict[str, Any], proxy_calls: Any
) -> None:
    created = stack.create("Token", properties)
    proxy_calls.clear()

    with signed(listener, -timedelta(minutes=65)):
        late = stack.send("Delete", "Token", properties, physical_id=created.physical_id)

    assert (late.status, late.physical_id) == ("FAILED", created.physical_id)
    assert proxy_calls.recorder.calls == []
    assert "DeletedDate" not in aws.secret(created.physical_id)
    retried = stack.send("Delete", "Token", properties, physical_id=created.physical_id)
    assert retried.ok, retried.reason
    assert "DeletedDate" in aws.secret(created.physical_id)


def test_a_short_service_timeout_makes_a_ten_minute_old_event_stale(
    stack: Stack, aws: Aws, listener: ResponseListener, properties: dict[str, Any], proxy_calls: Any
) -> None:
    with signed(listener, -timedelta(minutes=10)):
        response = stack.send("Create", "Token", {**properties, "ServiceTimeout": 300})

    assert response.status == "FAILED"
    assert "ServiceTimeout 300 s" in response.reason
    assert proxy_calls.recorder.calls == []
    assert aws.secret_names() == []


def test_an_event_within_its_service_timeout_is_acted_on_and_a_redelivery_answers_the_same(
    stack: Stack, aws: Aws, listener: ResponseListener, properties: dict[str, Any], invoke: Any
) -> None:
    """Lambda delivers at least once: a fresh copy still answers as the first did."""
    with signed(listener, -timedelta(minutes=50)):
        event = stack.event("Create", "Token", properties)

    invoke(event)
    invoke(event)

    first, again = listener.responses_for(event["ResponseURL"])
    assert first.body["Status"] == "SUCCESS", first.body["Reason"]
    assert (again.body["Status"], again.body["PhysicalResourceId"]) == ("SUCCESS", first.body["PhysicalResourceId"])
    assert len(aws.secret_names()) == 1


def test_a_signing_time_in_the_future_counts_as_fresh(
    stack: Stack, aws: Aws, listener: ResponseListener, properties: dict[str, Any]
) -> None:
    """Clock skew between CloudFormation and Lambda must not refuse a request."""
    with signed(listener, timedelta(minutes=10)):
        response = stack.send("Create", "Token", properties)

    assert response.ok, response.reason
    assert len(aws.secret_names()) == 1


def test_a_url_without_a_signing_time_counts_as_fresh(stack: Stack, aws: Aws, properties: dict[str, Any]) -> None:
    """``sam local`` sends a hand-made URL that names no time."""
    event = stack.event("Create", "Token", properties)

    response = send_with_url(stack, event, urlunsplit(urlsplit(event["ResponseURL"])._replace(query="")))

    assert response.ok, response.reason
    assert len(aws.secret_names()) == 1


@pytest.mark.parametrize(("expires_in", "status"), [(timedelta(minutes=-1), "FAILED"), (timedelta(hours=2), "SUCCESS")])
def test_a_sigv2_url_is_stale_once_its_expires_has_passed(
    expires_in: timedelta,
    status: str,
    stack: Stack,
    aws: Aws,
    listener: ResponseListener,
    properties: dict[str, Any],
    proxy_calls: Any,
) -> None:
    event = stack.event("Create", "Token", properties)
    url = listener.new_sigv2_url(
        event["StackId"], event["LogicalResourceId"], event["RequestId"], expires=wall_clock() + expires_in
    )

    response = send_with_url(stack, event, url)

    assert response.status == status, response.reason
    if status == "FAILED":
        assert response.reason.startswith(STOPPED_WAITING)
        assert proxy_calls.recorder.calls == []
    assert len(aws.secret_names()) == (status == "SUCCESS")


def test_a_stale_event_is_logged_as_one_warning_and_counted_as_failed(
    stack: Stack, listener: ResponseListener, properties: dict[str, Any], capfd: Any, caplog: Any
) -> None:
    """The Failed metric by RequestType is what the template's FailureAlarm adds up."""
    capfd.readouterr()

    with signed(listener, -timedelta(minutes=65)):
        stack.send("Create", "Token", properties)

    written = capfd.readouterr()
    lines = [json.loads(line) for line in written.out.splitlines() if line.startswith("{")]
    metrics = [line for line in lines if "_aws" in line]
    assert [(m["RequestType"], "Failed" in m) for m in metrics] == [("Create", True)]
    [warning] = [record for record in caplog.records if record.levelname not in {"DEBUG", "INFO"}]
    assert warning.getMessage().startswith("stale request")
    assert warning.levelname == "WARNING"
    assert (warning.exc_info, warning.exc_text) == (None, None)
    assert "Traceback" not in written.out + written.err, "a refusal is one line, not crhelper's ERROR with NoneType"
    assert warning.service_timeout_s == 3600
    assert warning.age_s >= 65 * 60 - 1


def test_the_timer_counts_service_timeout_from_the_signing_time(
    stack: Stack, listener: ResponseListener, properties: dict[str, Any], proxy_calls: Any, fast_timing: Any
) -> None:
    """ServiceTimeout 7 s, signed about 5 s ago: CloudFormation waits 2-3 s more, so the timer
    answers FAILED within 2 s (margin 1 s), while CreateSecret hangs past the read timeout; from
    the function's start it would have waited 6 s and the retried call would have succeeded."""
    from access_token_secret.adapter.handler import lambda_handler

    assert fast_timing.deadline_margin_s == FAST_DEADLINE_MARGIN_S
    proxy_calls.inject(
        Fault("CreateSecret", delay_s=FAST_READ_TIMEOUT_S + 0.2, times=1, code="RequestTimeout", status=500)
    )
    with signed(listener, -timedelta(seconds=5)):
        event = stack.event("Create", "Token", {**properties, "ServiceTimeout": 7, "ForceDeleteWithoutRecovery": True})
    worker = threading.Thread(target=lambda: lambda_handler(event, LambdaContext(timeout_s=60)), daemon=True)

    started = time.monotonic()
    worker.start()
    answer = listener.wait_for(event["ResponseURL"], timeout=10)
    answered_after = time.monotonic() - started
    worker.join(timeout=30)

    assert answer.body["Status"] == "FAILED"
    assert "ran out of time" in answer.body["Reason"]
    assert answered_after < 2.5
    assert len(listener.responses_for(event["ResponseURL"])) == 1
