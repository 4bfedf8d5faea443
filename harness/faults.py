"""A recording, fault-injecting HTTP proxy in front of the emulator.

The provider's clients point at this proxy (``AWS_ENDPOINT_URL``), so every AWS call is counted
at the HTTP level, retries included, and faults are injected where a real network would put
them: throttling answers, server errors, access denials and hangs, chosen by operation.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

from .loopback import ForwardingHandler, LoopbackServer, forward


@dataclass
class Fault:
    """Answer ``status``/``code`` (or hang ``delay_s``) for matching calls.

    ``operation`` is the X-Amz-Target suffix (``PutResourcePolicy``) or ``*``; ``times`` limits
    how often it fires (``None``: always); ``probability`` fires it on a share of calls.
    """

    operation: str
    code: str = "ThrottlingException"
    status: int = 400
    message: str = "Rate exceeded"
    times: int | None = None
    probability: float = 1.0
    delay_s: float = 0.0


@dataclass
class Recorder:
    calls: list[str] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    secret_strings: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> Counter[str]:
        with self.lock:
            return Counter(self.calls)


class _Handler(ForwardingHandler):
    server: _Server

    def _operation(self) -> str:
        target = self.headers.get("X-Amz-Target", "")
        return target.rsplit(".", 1)[-1] if target else f"{self.command} {urlsplit(self.path).path}"

    def answer(self) -> None:
        body, headers = self.read_request()
        operation = self._operation()
        proxy = self.server.proxy
        proxy.observe(operation, body)
        fault = proxy.pick_fault(operation, body)
        if fault is None:
            self.reply(*forward(proxy.upstream_port, self.command, self.path, headers, body))
            return
        if fault.delay_s:
            time.sleep(fault.delay_s)
        payload = json.dumps({"__type": fault.code, "message": fault.message}).encode()
        error_headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", fault.code)]
        # After a hang the client may have gone (its read timeout passed), as over a real network.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.reply(fault.status, error_headers, payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy


Rule = Callable[[str, bytes], "Fault | None"]


class FaultProxy(LoopbackServer[_Server]):
    def __init__(self, upstream_port: int, *, port: int = 0, seed: int = 7) -> None:
        super().__init__(_Server, _Handler, port=port)
        self.upstream_port = upstream_port
        self.recorder = Recorder()
        self._faults: list[Fault] = []
        self._rules: list[Rule] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server.proxy = self

    @property
    def url(self) -> str:
        return self.base_url

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def add_rule(self, rule: Rule) -> None:
        """``rule(operation, body)`` sees each request before the faults and may answer it with
        a Fault: for AWS behaviour that depends on the state (a quota, a concurrent delete)."""
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._rules.clear()
        with self.recorder.lock:
            self.recorder.calls.clear()
            self.recorder.injected.clear()

    def observe(self, operation: str, body: bytes) -> None:
        secret_string = None
        if body.startswith(b"{"):
            try:
                secret_string = json.loads(body).get("SecretString")
            except ValueError:
                secret_string = None
        with self.recorder.lock:
            self.recorder.calls.append(operation)
            if isinstance(secret_string, str):
                try:
                    document = json.loads(secret_string)
                    values = list(document.values()) if isinstance(document, dict) else [secret_string]
                except ValueError:
                    values = [secret_string]
                self.recorder.secret_strings.update(v for v in values if isinstance(v, str))

    def pick_fault(self, operation: str, body: bytes = b"") -> Fault | None:
        with self._lock:
            rules = list(self._rules)
        for rule in rules:
            ruled = rule(operation, body)
            if ruled is not None:
                with self.recorder.lock:
                    self.recorder.injected[operation] += 1
                return ruled
        with self._lock:
            for fault in self._faults:
                if fault.operation not in ("*", operation) or operation.startswith(("GET ", "POST /moto")):
                    continue
                if fault.times is not None and fault.times <= 0:
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                with self.recorder.lock:
                    self.recorder.injected[operation] += 1
                return fault
        return None
