"""Every outbound connection this test process makes, seen through Python's audit hooks.

``sys.audit`` raises ``socket.getaddrinfo`` and ``socket.connect`` events for every name lookup
and connection, whoever makes them (http.client, urllib3). While a :class:`ConnectionLog` is
active it records them, and it refuses any name that is not loopback, so a forged response URL
can never make the test suite reach beyond this machine. Audit hooks cannot be removed, so one
hook is installed for the session and switched on and off.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


class _State:
    lock = threading.Lock()
    active: ClassVar[list[list[tuple[str, int]]]] = []
    installed = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in ("socket.getaddrinfo", "socket.connect") or not _State.active:
        return
    if event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
        if host not in LOOPBACK_NAMES:
            with _State.lock:
                for log in _State.active:
                    log.append((host, int(args[1] or 0)))
            raise OSError(f"test network guard: lookup of {host[:60]} refused")
        return
    address = args[1]
    if isinstance(address, tuple) and len(address) >= 2:
        with _State.lock:
            for log in _State.active:
                log.append((str(address[0]), int(address[1])))


@contextmanager
def connections() -> Iterator[list[tuple[str, int]]]:
    """The (host, port) of every connection attempted inside the block."""
    if not _State.installed:
        sys.addaudithook(_hook)
        _State.installed = True
    log: list[tuple[str, int]] = []
    with _State.lock:
        _State.active.append(log)
    try:
        yield log
    finally:
        with _State.lock:
            _State.active.remove(log)
