"""crhelper (2.0.12, pinned) as a library: it dispatches on ``RequestType`` and returns ``PhysicalResourceId``.
Its only exit, ``_send``, becomes one answer per request (under a lock, by the bounded sender, with a Reason
that never carries an exception's text); ``_sam_local`` reads as set, so crhelper builds no polling clients."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

from crhelper import FAILED, CfnResource

from ..errors import internal_error_reason
from ..logs import count_outcome, logger
from .response import Deliver, respond

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from .envelope import Envelope

OUT_OF_TIME = "The provider ran out of time waiting for AWS; nothing was lost, retry the stack operation"


class Provider(Protocol):
    """What crhelper calls for each request type, and the ID a FAILED answer names."""

    def create(self, event: dict[str, Any], context: Any) -> str: ...
    def update(self, event: dict[str, Any], context: Any) -> str: ...
    def delete(self, event: dict[str, Any], context: Any) -> str: ...
    def failure_physical_id(self) -> str: ...


class ProviderResource(CfnResource):
    """One instance per request (crhelper keeps the request's state on the instance, and the
    harness runs several requests of one process at once)."""

    def __init__(
        self,
        envelope: Envelope,
        provider: Provider,
        *,
        deliver: Deliver,
        margin_s: float,
        cloudformation_waits_s: float | None = None,
    ) -> None:
        super().__init__(json_logging=False, log_level="INFO", boto_level="WARNING", sleep_on_delete=0)
        self.create(provider.create)
        self.update(provider.update)
        self.delete(provider.delete)
        self._envelope, self._provider, self._deliver = envelope, provider, deliver
        self._margin_s, self._cloudformation_waits_s = margin_s, cloudformation_waits_s
        self._failure_reason: str | None = None
        self._answer_lock = threading.Lock()
        self.sent = False  # the one answer went out (the timer may send it while the request runs)

    # Seam: crhelper's constructor builds polling clients unless this is set.
    _sam_local = property(lambda _self: True, lambda _self, _value: None)

    def fail(self, reason: str) -> None:
        """The answer will be FAILED with ``reason``, which must be safe to show."""
        self._failure_reason, self.Status = reason, FAILED

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> None:
        """crhelper's cycle, inside the provider's deadline timer."""
        remaining_s = context.get_remaining_time_in_millis() / 1000.0
        if self._cloudformation_waits_s is not None:
            remaining_s = min(remaining_s, self._cloudformation_waits_s)
        timer = threading.Timer(max(remaining_s - self._margin_s, 0.0), self._out_of_time)
        timer.daemon = True
        timer.start()
        try:
            super().__call__(event, context)
        finally:
            timer.cancel()

    def _out_of_time(self) -> None:
        logger.error("deadline near: answering FAILED before the Lambda or CloudFormation deadline")
        self._respond(FAILED, OUT_OF_TIME, self._provider.failure_physical_id())

    def _send(self, status: str | None = None, reason: str = "", send_response: object = None) -> None:
        """Seam: crhelper's exit. ``_send()`` reports ``Status``; ``_send(FAILED, text)`` reports
        crhelper's timer or an error whose text is not safe to show."""
        if status is None and self.Status != FAILED:
            self._respond(str(self.Status), "", str(self.PhysicalResourceId))
            return
        if status is None and self._failure_reason is not None:
            safe_reason = self._failure_reason
        elif threading.current_thread() is getattr(self, "_timer", None):  # crhelper's timer
            safe_reason = OUT_OF_TIME
        else:  # an exception escaped a request function or crhelper itself
            safe_reason = internal_error_reason(self._envelope.request_id)
        self._respond(FAILED, safe_reason, self._provider.failure_physical_id())

    def _respond(self, status: str, reason: str, physical_id: str) -> None:
        """The one answer, built from the envelope: the timer may answer before crhelper has
        read the event."""
        with self._answer_lock:
            if self.sent:
                logger.warning("a response was already sent for this request; not sending another")
                return
            self.sent = True
        count_outcome(self._envelope.request_type, status)
        data, no_echo = self.Data, bool(self.NoEcho)
        respond(self._envelope, status, reason, physical_id, deliver=self._deliver, data=data, no_echo=no_echo)
