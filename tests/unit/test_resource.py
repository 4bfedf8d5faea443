"""crhelper as a library: what the provider gets from it, and the one seam where it reaches in.

``adapter/resource.py`` names the seam: ``_send`` (crhelper's only exit) and ``_sam_local``
(crhelper's switch for its polling clients). The first test pins the seam's assumptions in
crhelper's source; the others pin behaviour, with a sender that records instead of connecting.
"""

from __future__ import annotations

import ast
import inspect
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from access_token_secret.adapter.envelope import parse_envelope
from access_token_secret.adapter.resource import OUT_OF_TIME, ProviderResource
from access_token_secret.logs import metrics
from crhelper import resource_helper

from harness.lambda_context import LambdaContext
from tests.support.events import load_event


@pytest.fixture(autouse=True)
def _no_metrics_left_over() -> Iterator[None]:
    """Each response counts one outcome; nothing here flushes them (the handler's decorator does)."""
    yield
    metrics.clear_metrics()


class Recorder:
    """The request functions and the sender, recording what crhelper did with them."""

    def __init__(self, *, returns: str = "", raises: Exception | None = None, hangs_s: float = 0.0) -> None:
        self.calls: list[tuple[str, dict[str, Any], Any]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._returns = returns
        self._raises = raises
        self._hangs_s = hangs_s

    def _run(self, name: str, event: dict[str, Any], context: Any) -> str:
        self.calls.append((name, event, context))
        time.sleep(self._hangs_s)
        if self._raises is not None:
            raise self._raises
        return self._returns

    def create(self, event: dict[str, Any], context: Any) -> str:
        return self._run("create", event, context)

    def update(self, event: dict[str, Any], context: Any) -> str:
        return self._run("update", event, context)

    def delete(self, event: dict[str, Any], context: Any) -> str:
        return self._run("delete", event, context)

    def failure_physical_id(self) -> str:
        return "failure-id"

    def deliver(self, url: str, body: bytes) -> bool:
        self.sent.append((url, json.loads(body)))
        return True

    def resource(
        self, event: dict[str, Any], *, margin_s: float = 8, cloudformation_waits_s: float | None = None
    ) -> ProviderResource:
        return ProviderResource(
            parse_envelope(event),
            self,
            deliver=self.deliver,
            margin_s=margin_s,
            cloudformation_waits_s=cloudformation_waits_s,
        )


def _functions_calling(name: str) -> set[str]:
    """The CfnResource methods whose body calls ``name`` (as a function or a method)."""
    tree = ast.parse(inspect.getsource(resource_helper))
    [cls] = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "CfnResource"]
    found = set()
    for method in cls.body:
        if isinstance(method, ast.FunctionDef):
            for node in ast.walk(method):
                if isinstance(node, ast.Call):
                    callee = node.func
                    called = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
                    if called == name:
                        found.add(method.name)
    return found


def test_the_seam_is_crhelpers_only_exit_and_builds_no_client() -> None:
    """The seam holds while crhelper's sender is reached from ``_send`` alone, and its
    constructor's polling clients hang on ``_sam_local``. A crhelper upgrade that changes either
    fails here; re-check adapter/resource.py's docstring before changing this test."""
    assert _functions_calling("send_response") == {"_send"}
    assert _functions_calling("_send") == {"__call__", "_crhelper_init", "_cfn_response", "_timeout"}

    resource = Recorder().resource(load_event("create"))

    assert not {"_lambda_client", "_events_client", "_logs_client"} & set(vars(resource))


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_crhelper_dispatches_each_request_type_to_its_function_with_the_event_and_context(request_type: str) -> None:
    recorder = Recorder(returns="the-id")
    event = load_event(request_type.lower())
    context = LambdaContext()

    recorder.resource(event)(event, context)

    assert recorder.calls == [(request_type.lower(), event, context)]


def test_the_response_carries_the_events_fields_the_returned_id_and_the_data() -> None:
    recorder = Recorder()
    event = load_event("update")
    resource = recorder.resource(event)

    @resource.update
    def update(seen: dict[str, Any], context: Any) -> str:
        resource.Data, resource.NoEcho = {"SecretArn": "arn:returned"}, True
        return "arn:returned"

    resource(event, LambdaContext())

    [(url, body)] = recorder.sent
    assert url == event["ResponseURL"]
    assert body == {
        "Status": "SUCCESS",
        "Reason": "",
        "PhysicalResourceId": "arn:returned",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": True,
        "Data": {"SecretArn": "arn:returned"},
    }


def test_an_empty_returned_id_falls_back_to_the_events_physical_id() -> None:
    recorder = Recorder(returns="")
    event = load_event("delete")

    recorder.resource(event)(event, LambdaContext())

    assert recorder.sent[0][1]["PhysicalResourceId"] == event["PhysicalResourceId"]


def test_a_refusal_is_answered_with_its_reason_and_the_failure_id_and_no_data() -> None:
    recorder = Recorder()
    event = load_event("create")
    resource = recorder.resource(event)

    @resource.create
    def create(seen: dict[str, Any], context: Any) -> str:
        resource.Data = {"SecretArn": "arn:half-done"}
        resource.fail("KmsKeyId: the key is disabled")
        return "failure-id"

    resource(event, LambdaContext())

    [(_, body)] = recorder.sent
    assert (body["Status"], body["Reason"], body["PhysicalResourceId"]) == (
        "FAILED",
        "KmsKeyId: the key is disabled",
        "failure-id",
    )
    assert (body["Data"], body["NoEcho"]) == ({}, False)


def test_an_exception_escaping_a_request_function_is_answered_without_its_text() -> None:
    """crhelper's ``_wrap_function`` puts ``str(error)`` into ``Reason``; the seam never sends it."""
    recorder = Recorder(raises=RuntimeError("text of the error"))
    event = load_event("create")

    recorder.resource(event)(event, LambdaContext())

    [(_, body)] = recorder.sent
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("Internal error")
    assert "text of the error" not in body["Reason"]
    assert body["PhysicalResourceId"] == "failure-id", "not crhelper's random ID"


def test_an_error_outside_the_functions_is_answered_with_a_safe_reason_not_its_text() -> None:
    """crhelper's ``__call__`` sends ``_send(FAILED, str(error))``; the seam drops the text."""
    recorder = Recorder()
    event = load_event("update")
    resource = recorder.resource(event)
    del event["LogicalResourceId"]  # crhelper's _crhelper_init raises KeyError('LogicalResourceId')

    resource(event, LambdaContext())

    [(_, body)] = recorder.sent
    assert body["Status"] == "FAILED"
    assert "LogicalResourceId" not in body["Reason"]
    assert body["Reason"].startswith("Internal error")
    assert body["LogicalResourceId"] == load_event("update")["LogicalResourceId"], "from the envelope"


def test_the_timer_answers_failed_once_margin_before_the_lambda_deadline() -> None:
    recorder = Recorder(returns="the-id", hangs_s=1.5)
    event = load_event("update")
    started = time.monotonic()
    worker = threading.Thread(target=recorder.resource(event, margin_s=1.5), args=(event, LambdaContext(timeout_s=2)))

    worker.start()
    worker.join(timeout=10)

    [(_, body)] = recorder.sent
    assert (body["Status"], body["Reason"], body["PhysicalResourceId"]) == ("FAILED", OUT_OF_TIME, "failure-id")
    assert time.monotonic() - started < 5


def test_the_timer_counts_cloudformations_wait_when_it_ends_first() -> None:
    recorder = Recorder(returns="the-id", hangs_s=1.0)
    event = load_event("update")

    recorder.resource(event, margin_s=0.5, cloudformation_waits_s=0.6)(event, LambdaContext(timeout_s=600))

    assert [(body["Status"], body["Reason"]) for _, body in recorder.sent] == [("FAILED", OUT_OF_TIME)]


def test_crhelpers_own_timer_answers_as_the_providers_when_it_comes_first() -> None:
    """crhelper arms its own timer 0.5 s before the Lambda deadline; with a smaller margin it fires first."""
    recorder = Recorder(returns="the-id", hangs_s=1.0)
    event = load_event("update")

    recorder.resource(event, margin_s=0.0)(event, LambdaContext(timeout_s=0.8))

    assert [(body["Status"], body["Reason"]) for _, body in recorder.sent] == [("FAILED", OUT_OF_TIME)]


def test_the_timer_is_cancelled_once_the_answer_is_sent() -> None:
    recorder = Recorder(returns="the-id")
    event = load_event("update")
    timers_before = threading.active_count()

    recorder.resource(event, margin_s=0.0)(event, LambdaContext(timeout_s=30))

    assert [body["Status"] for _, body in recorder.sent] == ["SUCCESS"]
    deadline = time.monotonic() + 2
    while threading.active_count() > timers_before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= timers_before, "a cancelled timer thread ends at once"


def test_a_delete_does_not_sleep_for_crhelpers_log_wait() -> None:
    """crhelper sleeps ``sleep_on_delete`` (120 s by default) before answering a Delete."""
    recorder = Recorder()
    event = load_event("delete")
    started = time.monotonic()

    recorder.resource(event)(event, LambdaContext(timeout_s=900))

    assert time.monotonic() - started < 5
