"""An HTTPS endpoint on 127.0.0.1 that receives CloudFormation responses the way the pre-signed
S3 URL does: PUT only, the signed-for empty Content-Type only, at most 4,096 bytes."""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, urlsplit

from .certs import TlsFiles
from .loopback import LoopbackServer

MAX_BODY = 4096


def response_path(stack_id: str, logical_id: str, request_id: str) -> str:
    """The path of CloudFormation's response URL for a request: ``/`` and the object key
    ``<StackId>|<LogicalResourceId>|<RequestId>``, percent-encoded the way CloudFormation
    sends it (``:`` as ``%3A``, ``|`` as ``%7C``, the stack ARN's slashes kept; Lambda Developer
    Guide, "Using AWS Lambda with CloudFormation", sample event). The provider answers no URL
    whose key names another request."""
    return "/" + quote(f"{stack_id}|{logical_id}|{request_id}", safe="/")


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    raw: bytes


@dataclass
class _Store:
    responses: dict[str, list[Received]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)
    fail_next: list[int] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _reply(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:
        store = self.server.store
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        path = urlsplit(self.path).path
        content_type = self.headers.get("Content-Type")
        with store.condition:
            if store.fail_next:
                self._reply(store.fail_next.pop(0))
                return
            if content_type not in (None, ""):
                store.violations.append(f"{path}: non-empty Content-Type {content_type!r}")
                self._reply(403)  # S3: SignatureDoesNotMatch
                return
            if len(raw) > MAX_BODY:
                store.violations.append(f"{path}: body of {len(raw)} bytes")
                self._reply(400)
                return
            try:
                body = json.loads(raw)
            except ValueError:
                store.violations.append(f"{path}: body is not JSON")
                self._reply(400)
                return
            store.responses.setdefault(path, []).append(Received(path, body, raw))
            store.condition.notify_all()
        self._reply(200)

    def do_POST(self) -> None:
        self._reply(405)

    do_GET = do_POST


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    store: _Store


class ResponseListener(LoopbackServer[_Server]):
    """Start with :meth:`start`; every request gets its own URL from :meth:`new_url`."""

    def __init__(self, tls: TlsFiles) -> None:
        self._tls = tls
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
        super().__init__(_Server, _Handler, tls=context)
        self._server.store = _Store()

    @property
    def store(self) -> _Store:
        return self._server.store

    def new_url(self, stack_id: str, logical_id: str, request_id: str) -> str:
        """A pre-signed-style URL on this listener for that request (its key names it)."""
        signature = uuid.uuid4().hex
        return (
            f"{self.base_url}{response_path(stack_id, logical_id, request_id)}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature={signature}"
        )

    def url_for(self, event: Mapping[str, Any]) -> str:
        """:meth:`new_url` for the request ``event`` describes."""
        return self.new_url(str(event["StackId"]), str(event["LogicalResourceId"]), str(event["RequestId"]))

    def responses_for(self, url: str) -> list[Received]:
        with self.store.condition:
            return list(self.store.responses.get(urlsplit(url).path, []))

    def wait_for(self, url: str, timeout: float = 30.0) -> Received:
        """The first response for ``url``; AssertionError if none arrives in time."""
        path = urlsplit(url).path
        deadline = time.monotonic() + timeout
        with self.store.condition:
            while not self.store.responses.get(path):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no response arrived for {path}")
                self.store.condition.wait(left)
            return self.store.responses[path][0]

    def all_responses(self) -> list[Received]:
        with self.store.condition:
            return [item for items in self.store.responses.values() for item in items]
