"""Fixtures shared by the integration and property tests (registered once, by ``pytest_plugins``
in tests/conftest.py): the provider's handler in this process, the emulator reset between
tests, clients straight to the emulator, and CloudFormation playing stacks.

``fresh_emulator`` is not autouse here (unit tests need no emulator); the integration and
property conftests make it autouse for their tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from harness.account import REGION
from harness.cloudformation import CloudFormation, Stack
from harness.emulator import Emulator
from harness.faults import FaultProxy
from harness.lambda_context import LambdaContext
from harness.listener import ResponseListener
from tests.support.aws import Aws

if TYPE_CHECKING:
    from access_token_secret.adapter.handler import Timing

Handler = Callable[[dict[str, Any], Any], None]
Invoke = Callable[..., None]

# The provider's time budget, scaled down (production: 8 s margin, 10 s read timeout): the
# timeout tests keep their proportions and take a second or two. One test per real value keeps
# the production numbers (test_faults.py, marked slow).
FAST_DEADLINE_MARGIN_S = 1.0
FAST_CONNECT_TIMEOUT_S = 1.0
FAST_READ_TIMEOUT_S = 3.0


@pytest.fixture(scope="session")
def aws(emulator: Emulator) -> Aws:
    session = boto3.session.Session(region_name=REGION)
    return Aws(
        secretsmanager=session.client("secretsmanager", endpoint_url=emulator.url),
        kms=session.client("kms", endpoint_url=emulator.url),
    )


@pytest.fixture
def fresh_emulator(emulator: Emulator, _register_leak_source: FaultProxy) -> Iterator[None]:
    emulator.reset()
    _register_leak_source.clear()
    yield
    _register_leak_source.clear()


@pytest.fixture
def fast_timing(monkeypatch: pytest.MonkeyPatch) -> Timing:
    """The in-process handler with the fast timing above: its deadline margin, and a service
    whose clients time out after ``FAST_READ_TIMEOUT_S``. Imported here, not at the top: the
    handler builds its clients at import, once the session has set the environment."""
    from access_token_secret.adapter import handler
    from access_token_secret.aws.clients import ClientTiming

    fast = handler.Timing(
        deadline_margin_s=FAST_DEADLINE_MARGIN_S,
        clients=ClientTiming(connect_timeout_s=FAST_CONNECT_TIMEOUT_S, read_timeout_s=FAST_READ_TIMEOUT_S),
    )
    monkeypatch.setattr(handler, "TIMING", fast)
    monkeypatch.setattr(handler, "_SERVICE", handler.build_service(os.environ, fast.clients))
    return fast


@pytest.fixture(scope="session")
def invoke_handler() -> Handler:
    """The handler itself, for harnesses that build their own Lambda context."""
    from access_token_secret.adapter.handler import lambda_handler

    return lambda_handler


@pytest.fixture(scope="session")
def invoke(invoke_handler: Handler) -> Invoke:
    def run(event: dict[str, Any], timeout_s: float = 60.0) -> None:
        invoke_handler(event, LambdaContext(timeout_s=timeout_s))

    return run


@pytest.fixture
def cloud(invoke: Invoke, listener: ResponseListener) -> CloudFormation:
    return CloudFormation(invoke, listener, region=REGION)


@pytest.fixture
def stack(cloud: CloudFormation) -> Stack:
    return cloud.new_stack(f"media-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def kms_key(aws: Aws) -> str:
    return aws.new_key(Description="access token key")


@pytest.fixture
def proxy_calls(_register_leak_source: FaultProxy) -> FaultProxy:
    return _register_leak_source
