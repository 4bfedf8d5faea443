"""An HTTPS endpoint on 127.0.0.1 that receives CloudFormation responses the way the pre-signed
S3 URL does: PUT only, the signed-for empty Content-Type only, at most 4,096 bytes."""

from __future__ import annotations

import json
import math
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, urlsplit

from .certs import TlsFiles
from .loopback import LoopbackServer

MAX_BODY = 4096
# CloudFormation's pre-signed response URLs are valid for 7,199 or 7,200 seconds (both seen in
# published events; the Knowledge Center's sample and CloudFormation's own cn-north-1 sample).
URL_VALIDITY_S = 7199
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # the documentation's example key ID


def wall_clock() -> datetime:
    """Now, rounded up to the whole second: ``X-Amz-Date`` has seconds, and an event must never
    look older than the test meant (a signing time up to a second ahead counts as now)."""
    return datetime.fromtimestamp(math.ceil(time.time()), UTC)


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
        self.clock: Callable[[], datetime] = wall_clock  # when the URLs it hands out are signed

    @property
    def store(self) -> _Store:
        return self._server.store

    def new_url(
        self, stack_id: str, logical_id: str, request_id: str, *, signed_at: datetime | None = None, region: str = ""
    ) -> str:
        """A URL on this listener for that request (its key names it), shaped as CloudFormation's
        SigV4 pre-signed URL: signed at ``signed_at`` (default: :attr:`clock`'s now), valid for
        :data:`URL_VALIDITY_S` (the signature itself is random: nothing checks it)."""
        signed = (signed_at or self.clock()).astimezone(UTC)
        region = region or (stack_id.split(":")[3] if stack_id.count(":") >= 5 else "us-east-1")
        credential = f"{ACCESS_KEY_ID}/{signed:%Y%m%d}/{region}/s3/aws4_request".replace("/", "%2F")
        return (
            f"{self.base_url}{response_path(stack_id, logical_id, request_id)}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={signed:%Y%m%dT%H%M%SZ}&X-Amz-SignedHeaders=host"
            f"&X-Amz-Expires={URL_VALIDITY_S}&X-Amz-Credential={credential}"
            f"&X-Amz-Signature={uuid.uuid4().hex}{uuid.uuid4().hex}"
        )

    def new_sigv2_url(self, stack_id: str, logical_id: str, request_id: str, *, expires: datetime) -> str:
        """The older SigV2 form (Lambda Developer Guide's sample event): only ``Expires`` says when."""
        return (
            f"{self.base_url}{response_path(stack_id, logical_id, request_id)}"
            f"?AWSAccessKeyId={ACCESS_KEY_ID}&Expires={int(expires.timestamp())}&Signature={uuid.uuid4().hex}%3D"
        )

    def url_for(self, event: Mapping[str, Any], *, signed_at: datetime | None = None) -> str:
        """:meth:`new_url` for the request ``event`` describes."""
        return self.new_url(
            str(event["StackId"]), str(event["LogicalResourceId"]), str(event["RequestId"]), signed_at=signed_at
        )

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
