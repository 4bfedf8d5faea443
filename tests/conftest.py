"""Session wiring: moto on loopback behind a recording fault proxy, an HTTPS response listener,
and the provider's environment, set before anything imports the handler (which builds its
clients at import, exactly as in Lambda). Under ``pytest -n`` (``make test``) each worker is its
own process with its own emulator, proxy, listener and ports: nothing is shared between them."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff

from harness.certs import make_tls_files
from harness.emulator import Emulator, free_port
from harness.environment import provider_environment
from harness.faults import FaultProxy
from harness.listener import ResponseListener

# Fixtures shared by the integration and property tests (pytest reads this only here, at the root).
pytest_plugins = ("tests.support.fixtures",)

_WORKDIR = Path(tempfile.mkdtemp(prefix="access-token-secret-tests-"))
TLS = make_tls_files(_WORKDIR / "tls")
PROXY_PORT = free_port()

os.environ.update(
    provider_environment(f"http://127.0.0.1:{PROXY_PORT}", TLS.ca_file),
    POWERTOOLS_METRICS_NAMESPACE="MediaTailorAccessTokenSecretTests",
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_SESSION_TOKEN", None)

# The provider's logging configuration, in force as it is in Lambda from the first import on.
import access_token_secret.logs  # noqa: E402, F401

# botocore's standard-mode backoff (up to 1+2+4+8+16 s of jittered sleep over 6 attempts) is
# botocore's, not the provider's; scaled down, a throttling test keeps every attempt and the
# order of its calls and loses the sleep. Attempts and timeouts are the provider's own
# (aws/clients.py) and are not changed here.
BACKOFF_SCALE = 0.02


@pytest.fixture(scope="session", autouse=True)
def _scaled_botocore_backoff() -> Iterator[None]:
    original = ExponentialBackoff.delay_amount

    def scaled(self: ExponentialBackoff, context: Any) -> float:
        return float(original(self, context)) * BACKOFF_SCALE

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ExponentialBackoff, "delay_amount", scaled)
        yield


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


def _wire_tokens() -> set[str]:
    """Every token value that went to the emulator in a SecretString during this session."""
    return {token for source in _LEAK_SOURCES for token in source.recorder.secret_strings if len(token) >= 8}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Fail any test phase whose captured stdout, stderr or log records (root logger at DEBUG,
    see ``log_level`` in pyproject.toml) contain a token that crossed the wire."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    written = "".join(content for _, content in report.sections)
    leaked = [token for token in _wire_tokens() if token in written]
    if leaked:
        report.outcome = "failed"
        report.longrepr = f"{len(leaked)} access token(s) appeared in captured output or logs ({report.when})"


@pytest.fixture(scope="session", autouse=False)
def _register_leak_source(proxy: FaultProxy) -> FaultProxy:
    _LEAK_SOURCES.append(proxy)
    return proxy
