"""crhelper's request cycle with the parts this provider cannot accept replaced.

crhelper (2.0.12, pinned in ``functions/requirements.txt``) stays a dependency; what of it is
used is a contract, pinned by ``tests/unit/test_resource.py`` (behaviour, and a digest
of the inherited methods' source that fails on any crhelper change with what to re-check).

Inherited, used as is:

* ``__call__``: ``_log_setup``, ``_crhelper_init``, then (polling is never enabled: the
  ``_poll_*_func`` attributes stay ``None``) ``_cfn_response``; any exception becomes
  ``_send(FAILED, str(error))``; the timer is cancelled in ``finally``. On Delete it calls
  ``_wait_for_cwlogs``, which sleeps ``_sleep_on_delete`` (0 here) seconds;
* ``_crhelper_init``: copies ``StackId``, ``RequestId``, ``LogicalResourceId``, ``ResponseURL``
  from the event, sets ``Status`` to SUCCESS, answers an init failure with
  ``_send(FAILED, ...)`` before calling anything, arms ``_set_timeout`` and runs
  ``_wrap_function(_get_func())``;
* ``_get_func``/``_wrap_function``: dispatch on ``RequestType`` to the create/update/delete
  function; its return value becomes ``PhysicalResourceId``; an exception it lets escape
  becomes ``Status`` FAILED with the exception's text as ``Reason`` (the handler's request
  functions therefore catch everything themselves, see ``handler._Request._guarded``);
* ``_cfn_response``: an empty ``PhysicalResourceId`` falls back to the event's, then calls
  ``_send()`` with no arguments.

Replaced, each for a stated reason:

* the constructor: crhelper's builds lambda, events and logs clients used only by its polling
  mode (about a third of a cold start) and sets the root logger to DEBUG, which would print the
  event and the response body; this one sets the same attributes without either, and sets
  ``RequestType`` from the request it is built for (crhelper sets it only in
  ``_crhelper_init``, which the timeout thread and the metric must not depend on);
* ``_log_setup``: the same root-logger reconfiguration, on every request;
* ``_set_timeout``/``_timeout``: fire ``deadline_margin_s`` before the Lambda deadline or the
  request's ``ServiceTimeout``, whichever is first (crhelper: 0.5 s before the Lambda deadline)
  and answer with the right PhysicalResourceId (crhelper: empty on Create, which
  CloudFormation rejects);
* ``_send``: exactly one response per request, a bounded sender, Reasons that never carry an
  exception's text (crhelper's two call shapes: ``_send()`` to report ``Status``/``Reason``,
  ``_send(FAILED, text)`` to report an error whose text is not safe to show), and long Reasons
  cut at the end (crhelper keeps the end).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from crhelper import CfnResource
from crhelper.resource_helper import FAILED

from ..errors import internal_error_reason
from ..logs import count_outcome, logger
from .response import build_body

Deliver = Callable[[str, bytes], bool]
RequestFunction = Callable[[dict[str, Any], Any], str]


class ProviderResource(CfnResource):
    """One instance per invocation: crhelper keeps request state on the instance."""

    def __init__(
        self,
        *,
        create: RequestFunction,
        update: RequestFunction,
        delete: RequestFunction,
        failure_physical_id: Callable[[], str],
        deliver: Deliver,
        request_type: str,
        deadline_margin_s: float,
        service_timeout_s: float | None = None,
        init_failure_reason: str | None = None,
    ) -> None:
        # The attributes CfnResource.__init__ sets (tests/unit/test_resource.py compares them).
        self._sleep_on_delete = 0
        self._create_func: RequestFunction | None = create
        self._update_func: RequestFunction | None = update
        self._delete_func: RequestFunction | None = delete
        self._poll_create_func = None
        self._poll_update_func = None
        self._poll_delete_func = None
        self._timer: threading.Timer | None = None
        self._init_failed: str | None = init_failure_reason
        self._json_logging = False
        self._log_level = "INFO"
        self._boto_level = "WARNING"
        self._send_response = False
        self._polling_interval = 2
        self.Status = ""
        self.Reason = ""
        self.PhysicalResourceId = ""
        self.StackId = ""
        self.RequestId = ""
        self.LogicalResourceId = ""
        self.Data: dict[str, str] = {}
        self.NoEcho = False
        self._event: dict[str, Any] = {}
        self._context: Any = None
        self._response_url = ""
        self._sam_local = os.getenv("AWS_SAM_LOCAL")
        self._region = os.getenv("AWS_REGION")
        self._ssl_verify = None
        # Set here, not only by _crhelper_init: the metric in _respond and crhelper's own
        # Delete check read it, and the timeout thread may answer at any point.
        self.RequestType = request_type
        # This provider's own state.
        self._failure_physical_id = failure_physical_id
        self._deliver = deliver
        self._deadline_margin_s = deadline_margin_s
        self._service_timeout_s = service_timeout_s
        self._send_lock = threading.Lock()
        self.sent = False

    def fail(self, reason: str) -> None:
        """Called by the request functions: the response will be FAILED with ``reason``."""
        self.Status = FAILED
        self.Reason = reason

    def _log_setup(self, event: object, context: object) -> None:
        """Logging is configured once, in :mod:`access_token_secret.logs`."""

    def _set_timeout(self) -> None:
        """Answer before whichever comes first: Lambda stopping the function, or CloudFormation
        giving up waiting (``ServiceTimeout``, counted from now: the request's start is all the
        provider knows). Either way an answer sent later would leave a secret CloudFormation
        never heard of."""
        remaining_s = self._context.get_remaining_time_in_millis() / 1000.0
        if self._service_timeout_s is not None:
            remaining_s = min(remaining_s, self._service_timeout_s)
        self._timer = threading.Timer(max(remaining_s - self._deadline_margin_s, 0.0), self._timeout)
        self._timer.daemon = True
        self._timer.start()

    def _timeout(self) -> None:
        logger.error("deadline near: answering FAILED before Lambda stops the function")
        self._respond(
            status=FAILED,
            reason="The provider ran out of time waiting for AWS; nothing was lost, retry the stack operation",
            physical_id=self._failure_physical_id(),
        )

    def _send(self, status: str | None = None, reason: str = "", send_response: object = None) -> None:
        """crhelper's exit point. With ``status`` it is reporting an error whose text is not
        safe to show (an exception's ``str``), so a fixed Reason replaces it."""
        if status is None:
            self._respond(
                status=self.Status,
                reason=self.Reason,
                physical_id=str(self.PhysicalResourceId or "") or self._failure_physical_id(),
            )
            return
        if self._init_failed is not None:
            safe_reason = self._init_failed
        else:
            safe_reason = internal_error_reason(str(self.RequestId or "unknown"))
        self._respond(status=FAILED, reason=safe_reason, physical_id=self._failure_physical_id())

    def _respond(self, *, status: str, reason: str, physical_id: str) -> None:
        with self._send_lock:
            if self.sent:
                logger.warning("a response was already sent for this request; not sending another")
                return
            self.sent = True
        failed = status == FAILED
        body = build_body(
            {
                "Status": status,
                "Reason": reason if failed else "",
                "PhysicalResourceId": physical_id,
                "StackId": self.StackId,
                "RequestId": self.RequestId,
                "LogicalResourceId": self.LogicalResourceId,
                "NoEcho": bool(self.NoEcho) and not failed,
                "Data": {} if failed else self.Data,
            }
        )
        logger.info(
            "responding",
            extra={"status": status, "reason": reason if failed else "", "physical_resource_id": physical_id},
        )
        count_outcome(self.RequestType, status)
        self._deliver(self._response_url, body)
