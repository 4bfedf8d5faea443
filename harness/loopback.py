"""The one way a local server runs here: a threading HTTP server bound to 127.0.0.1 (nothing
listens beyond loopback), served from a daemon thread, HTTPS when given a TLS context.

The response listener, the origins and the fault proxy subclass :class:`LoopbackServer`; each
keeps its own request handler and the state that handler reads from its server. The two servers
that sit in front of another (the fault proxy, the rotation front) read and answer requests with
:class:`ForwardingHandler` and pass them on with :func:`forward`.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final, Self

LOOPBACK = "127.0.0.1"

# Status, headers and body of an answer.
Reply = tuple[int, list[tuple[str, str]], bytes]
# Headers a server in front sets itself rather than copies: the connection's own (hop-by-hop)
# and those it computes for the answer it sends (RFC 9110, "Connection").
_NOT_FORWARDED: Final = ("host", "connection")
_NOT_COPIED: Final = ("content-length", "connection", "transfer-encoding", "server", "date")


def forward(port: int, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
    """The request sent on to the server on loopback ``port``, and its answer, read whole."""
    upstream = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
    try:
        upstream.request(method, path, body=body, headers=headers)
        answer = upstream.getresponse()
        return answer.status, answer.getheaders(), answer.read()
    finally:
        upstream.close()


class ForwardingHandler(BaseHTTPRequestHandler):
    """The handler of a server in front of another: each request is read whole
    (:meth:`read_request`) and handed to :meth:`answer`, which replies with :meth:`reply`."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def read_request(self) -> tuple[bytes, dict[str, str]]:
        """The body, and the headers to forward."""
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        return body, {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}

    def reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in _NOT_COPIED:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def answer(self) -> None:
        raise NotImplementedError

    def _dispatch(self) -> None:
        self.answer()

    do_POST = _dispatch
    do_GET = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch


class LoopbackServer[ServerT: ThreadingHTTPServer]:
    """Binds ``server_class`` with ``handler`` on loopback; :meth:`start` serves, :meth:`stop` closes."""

    def __init__(
        self,
        server_class: type[ServerT],
        handler: type[BaseHTTPRequestHandler],
        *,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._server: ServerT = server_class((LOOPBACK, port), handler)
        self._server.daemon_threads = True  # a hung request never holds up the test run's exit
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"{self._scheme}://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
