"""crhelper's request cycle, used as a library, with its one exit replaced.

crhelper (2.0.12, pinned in ``functions/requirements.txt``) runs the cycle through its public
surface: the constructor, the ``create``/``update``/``delete`` decorators, ``init_failure``,
``Data``/``NoEcho``/``Status``/``Reason`` and calling the instance. It dispatches on
``RequestType``, turns the function's return value into ``PhysicalResourceId`` and answers an
init failure without calling anything.

What the provider needs beyond that is here, and reaches inside crhelper at one seam, pinned by
``test_the_seam_is_crhelpers_only_exit_and_builds_no_client``:

* ``_send`` is crhelper's only exit (every answer, the timer's and an error's included, goes
  through it; its own sender has no socket timeout and retries forever). Here it becomes exactly
  one answer per request, under a lock, by the bounded sender that checks the response URL, with
  a Reason that never carries an exception's text;
* ``_sam_local`` always reads as set: crhelper builds lambda, events and logs clients for its
  polling mode unless it runs under ``sam local`` (tens of milliseconds per instance, and one
  instance per request). This provider never polls: no ``poll_*`` function is registered, and an
  event that carries crhelper's polling keys is refused before it gets here.

The deadline timer is the provider's own, armed around the cycle: it answers ``margin_s``
before the Lambda deadline or CloudFormation's, whichever is first. crhelper's own timer (0.5 s
before the Lambda deadline) still runs and then finds the request answered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crhelper import FAILED, CfnResource

from ..errors import internal_error_reason
from ..logs import count_outcome, logger
from .response import build_body

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from .envelope import Envelope

Deliver = Callable[[str, bytes], bool]
RequestFunction = Callable[[dict[str, Any], Any], str]
OUT_OF_TIME = "The provider ran out of time waiting for AWS; nothing was lost, retry the stack operation"


class ProviderResource(CfnResource):
    """One instance per request (crhelper keeps the request's state on the instance, and the
    harness runs several requests of one process at once)."""

    def __init__(
        self,
        envelope: Envelope,
        *,
        create: RequestFunction,
        update: RequestFunction,
        delete: RequestFunction,
        failure_physical_id: Callable[[], str],
        deliver: Deliver,
        margin_s: float,
        cloudformation_waits_s: float | None = None,
        refusal: str | None = None,
    ) -> None:
        """``refusal``: answer FAILED with it and run nothing (the provider could not start, or
        CloudFormation stopped waiting); crhelper's init-failure path does exactly that."""
        super().__init__(json_logging=False, log_level="INFO", boto_level="WARNING", sleep_on_delete=0)
        self.create(create)
        self.update(update)
        self.delete(delete)
        self._envelope = envelope
        self._failure_physical_id = failure_physical_id
        self._deliver = deliver
        self._margin_s = margin_s
        self._cloudformation_waits_s = cloudformation_waits_s
        self._refusal_before_running = refusal
        if refusal is not None:
            self.init_failure(refusal)
        self._failure_reason: str | None = None
        self._answer_lock = threading.Lock()
        self._sent = False

    @property
    def _sam_local(self) -> bool:
        """Seam: crhelper's constructor builds its polling clients unless this is set."""
        return True

    @_sam_local.setter
    def _sam_local(self, _value: object) -> None:
        """crhelper's constructor assigns the environment's value; polling stays off anyway."""

    @property
    def sent(self) -> bool:
        """Whether the one answer went out (the timer may have sent it while the request ran)."""
        with self._answer_lock:
            return self._sent

    def fail(self, reason: str) -> None:
        """Called by the request functions: the answer will be FAILED with ``reason``, which
        must be safe to show."""
        self._failure_reason = reason
        self.Status = FAILED
        self.Reason = reason

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> None:
        """crhelper's cycle, inside the provider's deadline timer (none for a refusal: nothing runs)."""
        if self._refusal_before_running is not None:
            super().__call__(event, context)
            return
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
        self._respond(FAILED, OUT_OF_TIME, self._failure_physical_id())

    def _send(self, status: str | None = None, reason: str = "", send_response: object = None) -> None:
        """Seam: crhelper's exit. ``_send()`` reports ``Status``; ``_send(FAILED, text)`` reports
        an init failure, crhelper's timer or an error whose text is not safe to show."""
        if status is None and self.Status != FAILED:
            self._respond(str(self.Status), "", str(self.PhysicalResourceId))
            return
        if status is None and self._failure_reason is not None:
            safe_reason = self._failure_reason
        elif self._refusal_before_running is not None:
            safe_reason = self._refusal_before_running
        elif threading.current_thread() is getattr(self, "_timer", None):  # crhelper's timer
            safe_reason = OUT_OF_TIME
        else:  # an exception escaped a request function or crhelper itself
            safe_reason = internal_error_reason(self._envelope.request_id)
        self._respond(FAILED, safe_reason, self._failure_physical_id())

    def _respond(self, status: str, reason: str, physical_id: str) -> None:
        """The one answer: the fields come from the envelope, not from crhelper's state, because
        the timer may answer before crhelper has read the event."""
        with self._answer_lock:
            if self._sent:
                logger.warning("a response was already sent for this request; not sending another")
                return
            self._sent = True
        envelope, failed = self._envelope, status == FAILED
        body = build_body(
            {
                "Status": status,
                "Reason": reason if failed else "",
                "PhysicalResourceId": physical_id,
                "StackId": envelope.stack_id,
                "RequestId": envelope.request_id,
                "LogicalResourceId": envelope.logical_id,
                "NoEcho": bool(self.NoEcho) and not failed,
                "Data": {} if failed else dict(self.Data),
            }
        )
        logger.info(
            "responding",
            extra={"status": status, "reason": reason if failed else "", "physical_resource_id": physical_id},
        )
        count_outcome(envelope.request_type, status)
        self._deliver(envelope.response_url, body)
