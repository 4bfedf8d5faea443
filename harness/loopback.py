"""The one way a local server runs here: a threading HTTP server bound to 127.0.0.1 (nothing
listens beyond loopback), served from a daemon thread, HTTPS when given a TLS context.

The response listener, the origins and the fault proxy subclass :class:`LoopbackServer`; each
keeps its own request handler and the state that handler reads from its server.
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

LOOPBACK = "127.0.0.1"


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
