"""Session wiring: moto on loopback behind a recording fault proxy, an HTTPS response listener,
and the provider's environment, set before anything imports the handler (which builds its
clients at import, exactly as in Lambda)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.certs import make_tls_files
from harness.emulator import Emulator, free_port
from harness.faults import FaultProxy
from harness.listener import ResponseListener

_WORKDIR = Path(tempfile.mkdtemp(prefix="access-token-secret-tests-"))
TLS = make_tls_files(_WORKDIR / "tls")
PROXY_PORT = free_port()
REGION = "us-east-1"

os.environ.update(
    AWS_REGION=REGION,
    AWS_DEFAULT_REGION=REGION,
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_ENDPOINT_URL=f"http://127.0.0.1:{PROXY_PORT}",
    SSL_CERT_FILE=str(TLS.ca_file),
    SECRET_NAME_PREFIX="mediatailor/",
    POWERTOOLS_SERVICE_NAME="mediatailor-access-token-secret",
    POWERTOOLS_METRICS_NAMESPACE="MediaTailorAccessTokenSecretTests",
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_SESSION_TOKEN", None)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    emulator = Emulator(_WORKDIR / "moto").start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def proxy(emulator: Emulator) -> Iterator[FaultProxy]:
    proxy = FaultProxy(emulator.port, port=PROXY_PORT).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def listener() -> Iterator[ResponseListener]:
    listener = ResponseListener(TLS).start()
    yield listener
    listener.stop()


_LEAK_SOURCES: list[FaultProxy] = []


@pytest.fixture(autouse=True)
def no_token_leaks(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Everything written to stdout, stderr and logging during a test, checked for every token
    that crossed the wire to the emulator during the whole session (root logger at DEBUG, so
    a library that would log a request body is caught too)."""
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capfd.readouterr()
    written = out + err + caplog.text + "".join(str(record.args) for record in caplog.records)
    tokens = set().union(*(source.recorder.secret_strings for source in _LEAK_SOURCES)) if _LEAK_SOURCES else set()
    leaked = [token for token in tokens if len(token) >= 8 and token in written]
    assert not leaked, f"{len(leaked)} access token(s) appeared in output or logs"


@pytest.fixture(scope="session", autouse=False)
def _register_leak_source(proxy: FaultProxy) -> FaultProxy:
    _LEAK_SOURCES.append(proxy)
    return proxy
