"""Where the rotation stand-in meets the wire (test code): an HTTP front between the fault proxy
and moto that answers RotateSecret and CancelRotateSecret from :class:`~harness.rotation.
RotationService`, puts AWS's rotation fields into DescribeSecret and ListSecrets answers, drops
the versions AWS would have removed from ListSecretVersionIds, and shows the service every
PutSecretValue and UpdateSecret. Everything else (KMS, the other Secrets Manager calls) passes
through untouched.

Why this seam, and not another:

* **Not inside the fault proxy.** The proxy is the network: it counts calls and injects faults.
  Behind it, the stand-in is where Secrets Manager is, so a throttled RotateSecret never reaches
  the rotation service, exactly as in AWS, every call is still counted once at the HTTP level
  (``make bench`` counts stay true), and the proxy (``harness/faults.py``) needs no change.
* **Not a patch of moto.** moto runs as another process (``harness/moto_server.py``); the
  rotation service needs the simulated clock and the rotation functions, which are Python
  callables with real boto3 clients in the test process. Patching moto would need both to cross
  a process boundary.
* **Not a boto3 event hook.** The provider builds its own clients at import, in product code
  that must not know about tests; a hook on them would also skip the HTTP layer that counts and
  faults every call.

So the provider's Lambda and the rotation function reach it unchanged: their clients point at the
proxy (``AWS_ENDPOINT_URL``), the proxy forwards to this front, the front to moto. It is put in
place by pointing the proxy's ``upstream_port`` at it (:func:`rotation_service_behind`) and
taken out again afterwards. Clients straight to moto (the tests' ``aws`` fixture, the service's
own) do not see it: read rotation fields through the proxy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any, Final

from .faults import FaultProxy
from .loopback import ForwardingHandler, LoopbackServer, Reply, forward
from .rotation import RotationService, ServiceError

ANSWERED: Final = ("RotateSecret", "CancelRotateSecret")
WRITES: Final = ("PutSecretValue", "UpdateSecret")


def _json_reply(status: int, document: dict[str, Any], extra: list[tuple[str, str]] | None = None) -> Reply:
    headers = [("Content-Type", "application/x-amz-json-1.1"), *(extra or [])]
    return status, headers, json.dumps(document).encode()


def error_reply(error: ServiceError) -> Reply:
    """An error as Secrets Manager's JSON protocol sends it (botocore reads ``__type``)."""
    document = {"__type": error.code, "message": error.message}
    return _json_reply(400, document, [("x-amzn-ErrorType", error.code)])


class _Handler(ForwardingHandler):
    server: _Server

    def answer(self) -> None:
        body, headers = self.read_request()
        front = self.server.front

        def passed_on() -> Reply:
            return front.forward(self.command, self.path, headers, body)

        service, _, operation = self.headers.get("X-Amz-Target", "").partition(".")
        try:
            reply = front.secretsmanager(operation, body, passed_on) if service == "secretsmanager" else passed_on()
        except Exception as error:  # noqa: BLE001 - a stand-in bug must fail the test, not look like a network error
            front.errors.append(error)
            reply = error_reply(ServiceError("InternalServiceError", "the rotation stand-in failed; see the test"))
            reply = (500, reply[1], reply[2])
        self.reply(*reply)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    front: RotationFront


class RotationFront(LoopbackServer[_Server]):
    def __init__(self, service: RotationService, upstream_port: int) -> None:
        super().__init__(_Server, _Handler)
        self.service = service
        self.upstream_port = upstream_port
        self.errors: list[BaseException] = []  # raised by the stand-in while answering
        self._server.front = self

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        return forward(self.upstream_port, method, path, headers, body)

    def secretsmanager(self, operation: str, body: bytes, forward: Callable[[], Reply]) -> Reply:
        """One Secrets Manager call: answered here, rewritten, watched, or passed through."""
        request = json.loads(body or b"{}")
        if operation in ANSWERED:
            call = self.service.rotate_secret if operation == "RotateSecret" else self.service.cancel_rotate_secret
            try:
                return _json_reply(200, call(request))
            except ServiceError as error:
                return error_reply(error)
        if operation in WRITES:
            snapshot = self.service.before_write(request)
            status, headers, data = forward()
            if status == 200 and snapshot is not None:
                self.service.after_write(snapshot)
            return status, headers, data
        status, headers, data = forward()
        if status != 200:
            return status, headers, data
        if operation == "DescribeSecret":
            data = json.dumps(self.service.describe(json.loads(data))).encode()
        elif operation == "ListSecrets":
            document = json.loads(data)
            document["SecretList"] = [self.service.describe(entry) for entry in document.get("SecretList", [])]
            data = json.dumps(document).encode()
        elif operation == "ListSecretVersionIds":
            data = json.dumps(self.service.list_versions(json.loads(data))).encode()
        return status, headers, data


@contextmanager
def rotation_service_behind(proxy: FaultProxy, service: RotationService) -> Iterator[RotationFront]:
    """Put the stand-in between ``proxy`` and moto for the duration of the ``with`` block; an
    error the stand-in raised while answering (answered as InternalServiceError) is raised again
    at the end."""
    front = RotationFront(service, proxy.upstream_port).start()
    original = proxy.upstream_port
    proxy.upstream_port = front.port
    try:
        yield front
    finally:
        proxy.upstream_port = original
        front.stop()
        service.settle()
    if front.errors:
        raise front.errors[0]
