"""Lambda's asynchronous invocation, the way CloudFormation invokes custom resources (test code).

Lambda retries an asynchronous invocation that returns an error or runs past its timeout (a
timeout counts as an error), up to ``MaximumRetryAttempts`` times, 2 unless the function's event
invoke configuration says otherwise; the retries come about one and then two minutes later
(AWS Lambda Developer Guide, "Error handling and automatic retries": asynchronous invocation).
By then CloudFormation has long acted on the FAILED answer the provider's timer sent. Here the
retries run when the test calls :meth:`AsyncLambda.run_retries`, after the stack operation.

The retry count is read from ``template.yaml``, so the test fails if the template stops saying 0.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lambda_context import LambdaContext
from .templates import load_template

LAMBDA_DEFAULT_RETRY_ATTEMPTS = 2
TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


def template_retry_attempts(template: Path = TEMPLATE, function: str = "ProviderFunction") -> int:
    """``EventInvokeConfig.MaximumRetryAttempts`` of the SAM function, or Lambda's default."""
    properties = load_template(template)["Resources"][function]["Properties"]
    return int(properties.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", LAMBDA_DEFAULT_RETRY_ATTEMPTS))


@dataclass
class AsyncLambda:
    handler: Callable[[dict[str, Any], Any], None]
    timeout_s: float
    max_retry_attempts: int
    invocations: list[str] = field(default_factory=list)
    _pending: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    _running: list[threading.Thread] = field(default_factory=list)

    def invoke(self, event: dict[str, Any], attempt: int = 0) -> None:
        """One invocation; returns when the handler returned or the timeout passed (then the
        handler's thread is left running, as a frozen environment would be)."""
        errors: list[BaseException] = []

        def run() -> None:
            try:
                self.handler(event, LambdaContext(timeout_s=self.timeout_s))
            except Exception as error:  # noqa: BLE001 - an error is what Lambda retries on
                errors.append(error)

        thread = threading.Thread(target=run, daemon=True)
        started = time.monotonic()
        thread.start()
        thread.join(self.timeout_s)
        self._running.append(thread)
        timed_out = thread.is_alive() or time.monotonic() - started > self.timeout_s
        self.invocations.append("timed out" if timed_out else "error" if errors else "ok")
        if (timed_out or errors) and attempt < self.max_retry_attempts:
            self._pending.append((event, attempt + 1))

    def settle(self, timeout_s: float = 60.0) -> None:
        """Wait for handlers that outlived their invocation (a test must not leave them behind)."""
        for thread in self._running:
            thread.join(timeout_s)

    def run_retries(self) -> int:
        """Lambda's retries of failed invocations ("minutes later"); how many ran."""
        ran = 0
        while self._pending:
            event, attempt = self._pending.pop(0)
            self.invoke(event, attempt)
            ran += 1
        self.settle()
        return ran
