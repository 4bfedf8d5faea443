"""The crhelper contract: what ``ProviderResource`` inherits from crhelper, pinned.

``adapter/resource.py`` lists what it inherits and what it replaces. These tests pin the
inherited behaviour it relies on, by behaviour (dispatch, response fields, the physical-ID
fallback, init failures, the timer) and by a digest of the inherited methods' source, so a
crhelper upgrade that changes any of it fails here first, with what to re-check.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from access_token_secret.adapter.resource import ProviderResource
from access_token_secret.logs import metrics
from crhelper import CfnResource

from harness.lambda_context import LambdaContext
from tests.support.events import load_event

# sha256 (first 16 hex digits) of inspect.getsource of each inherited method, crhelper 2.0.12.
INHERITED_SOURCE_DIGESTS = {
    "__call__": "384927b60a91557a",
    "_crhelper_init": "8c8c8824e5efbe2c",
    "_get_func": "24905fbdbe7284cb",
    "_wrap_function": "87206bfa2b96de7d",
    "_cfn_response": "cb5d3213b05cac67",
    "_poll_enabled": "a7dea3b154245821",
    "_wait_for_cwlogs": "80f473ca08bbeb68",
}
RE_CHECK = (
    "crhelper changed methods ProviderResource inherits: {changed}. Re-check against the list in "
    "adapter/resource.py's docstring: dispatch on RequestType (_get_func), the return value "
    "becoming PhysicalResourceId and exceptions becoming Status/Reason (_wrap_function), the "
    "PhysicalResourceId fallback and the _send() call shape (_cfn_response), the init-failure "
    "path and the timer (_crhelper_init, __call__), the Delete sleep (_wait_for_cwlogs), that "
    "polling stays off (_poll_enabled); then the attributes the constructor copies. Update the "
    "digests here only after that review."
)


@pytest.fixture(autouse=True)
def _no_metrics_left_over() -> Iterator[None]:
    """Each response counts one outcome; nothing here flushes them (the handler's decorator does)."""
    yield
    metrics.clear_metrics()


class Recorder:
    """The request functions and the sender, recording what crhelper did with them."""

    def __init__(self, *, returns: str = "", raises: Exception | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any], Any]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._returns = returns
        self._raises = raises

    def function(self, name: str) -> Any:
        def run(event: dict[str, Any], context: Any) -> str:
            self.calls.append((name, event, context))
            if self._raises is not None:
                raise self._raises
            return self._returns

        return run

    def deliver(self, url: str, body: bytes) -> bool:
        self.sent.append((url, json.loads(body)))
        return True

    def resource(self, request_type: str, *, init_failure: str | None = None, margin_s: float = 8) -> ProviderResource:
        return ProviderResource(
            create=self.function("create"),
            update=self.function("update"),
            delete=self.function("delete"),
            failure_physical_id=lambda: "failure-id",
            deliver=self.deliver,
            request_type=request_type,
            deadline_margin_s=margin_s,
            init_failure_reason=init_failure,
        )


def test_the_inherited_methods_are_the_ones_the_contract_was_written_against() -> None:
    changed = [
        name
        for name, digest in INHERITED_SOURCE_DIGESTS.items()
        if hashlib.sha256(inspect.getsource(getattr(CfnResource, name)).encode()).hexdigest()[:16] != digest
    ]

    assert not changed, RE_CHECK.format(changed=", ".join(changed))


def test_the_subclass_replaces_exactly_the_methods_its_docstring_names() -> None:
    replaced = {name for name in vars(ProviderResource) if callable(getattr(CfnResource, name, None))}

    assert replaced == {"__init__", "_log_setup", "_set_timeout", "_timeout", "_send"}
    assert not set(INHERITED_SOURCE_DIGESTS) & set(vars(ProviderResource))


def test_the_subclass_sets_every_attribute_crhelpers_constructor_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a crhelper upgrade adds state to its constructor, this fails before production does."""
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")  # only so this reference instance builds no clients
    reference = set(vars(CfnResource(log_level="WARNING")))

    ours = set(vars(Recorder().resource("Create")))

    assert reference - ours == set()
    assert not {"_lambda_client", "_events_client", "_logs_client"} & ours


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_crhelper_dispatches_each_request_type_to_its_function_with_the_event_and_context(request_type: str) -> None:
    recorder = Recorder(returns="the-id")
    event = load_event(request_type.lower())
    context = LambdaContext()

    recorder.resource(request_type)(event, context)

    assert [(name, seen_event, seen_context) for name, seen_event, seen_context in recorder.calls] == [
        (request_type.lower(), event, context)
    ]


def test_the_response_carries_the_events_fields_the_returned_id_and_the_data() -> None:
    recorder = Recorder(returns="arn:returned")
    event = load_event("update")
    resource = recorder.resource("Update")

    def update(seen: dict[str, Any], context: Any) -> str:
        resource.Data, resource.NoEcho = {"SecretArn": "arn:returned"}, True
        return "arn:returned"

    resource._update_func = update
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

    recorder.resource("Delete")(event, LambdaContext())

    assert recorder.sent[0][1]["PhysicalResourceId"] == event["PhysicalResourceId"]


def test_an_exception_escaping_a_request_function_fails_the_request_with_its_text() -> None:
    """crhelper's ``_wrap_function`` puts ``str(error)`` into the Reason: the reason why every
    request function of the handler catches its own exceptions (``_Request._guarded``)."""
    recorder = Recorder(raises=RuntimeError("text of the error"))

    recorder.resource("Update")(load_event("update"), LambdaContext())

    [(_, body)] = recorder.sent
    assert (body["Status"], body["Reason"]) == ("FAILED", "text of the error")


def test_an_init_failure_is_answered_without_calling_any_function() -> None:
    recorder = Recorder()

    recorder.resource("Create", init_failure="Provider misconfigured: AWS_REGION is not set")(
        load_event("create"), LambdaContext()
    )

    assert recorder.calls == []
    [(_, body)] = recorder.sent
    assert (body["Status"], body["Reason"]) == ("FAILED", "Provider misconfigured: AWS_REGION is not set")
    assert body["PhysicalResourceId"] == "failure-id"


def test_an_error_outside_the_functions_is_answered_with_a_safe_reason_not_its_text() -> None:
    """crhelper's ``__call__`` sends ``_send(FAILED, str(error))``; the replaced ``_send`` drops the text."""
    recorder = Recorder()
    event = load_event("update")
    del event["LogicalResourceId"]  # _crhelper_init raises KeyError('LogicalResourceId')

    recorder.resource("Update")(event, LambdaContext())

    [(_, body)] = recorder.sent
    assert body["Status"] == "FAILED"
    assert "LogicalResourceId" not in body["Reason"]
    assert body["Reason"].startswith("Internal error")


def test_the_timer_is_cancelled_once_the_answer_is_sent() -> None:
    recorder = Recorder(returns="the-id")
    resource = recorder.resource("Update", margin_s=0.0)

    resource(load_event("update"), LambdaContext(timeout_s=30))

    assert resource._timer is not None
    assert resource._timer.finished.is_set()  # set by cancel(); the timer itself fires in 30 s
    assert [body["Status"] for _, body in recorder.sent] == ["SUCCESS"]


def test_a_delete_does_not_sleep_for_crhelpers_log_wait() -> None:
    """crhelper sleeps ``sleep_on_delete`` (120 s by default) before answering a Delete."""
    recorder = Recorder()
    started = time.monotonic()

    recorder.resource("Delete")(load_event("delete"), LambdaContext(timeout_s=900))

    assert time.monotonic() - started < 5


def test_the_request_type_is_known_before_crhelper_reads_the_event() -> None:
    assert Recorder().resource("Delete").RequestType == "Delete"
