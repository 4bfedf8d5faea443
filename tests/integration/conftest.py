"""Integration fixtures: the real handler, in this process, against moto over HTTP.

The fixtures the property tests share live in tests/support/fixtures.py (``pytest_plugins`` in
tests/conftest.py); the ones here play MediaTailor, the origins and the example stacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.account import ACCOUNT, DEPLOYER, REGION
from harness.clock import SimulatedClock
from harness.cloudformation import Stack
from harness.example_stack import ExampleStack
from harness.mediatailor import MediaTailor
from harness.origins import OriginServer, open_gate
from tests.support.aws import Aws

__all__ = ["STAGED_EXAMPLE", "Aws"]  # Aws: older tests import it from here

STAGED_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "staged-rotation-origin-check.yaml"


@pytest.fixture(autouse=True)
def _fresh_emulator(fresh_emulator: None) -> None:
    """Every integration test starts from an empty emulator (tests/support/fixtures.py)."""


@pytest.fixture(scope="session")
def origin() -> Iterator[OriginServer]:
    origin = OriginServer().start()
    yield origin
    origin.stop()


@pytest.fixture(scope="session")
def _origin_server() -> Iterator[OriginServer]:
    server = OriginServer().start()
    yield server
    server.stop()


@pytest.fixture
def origin_server(_origin_server: OriginServer) -> OriginServer:
    """A stand-in origin on 127.0.0.1 that checks nothing until a test gives it a gate."""
    _origin_server.gate = open_gate
    _origin_server.seen.clear()
    return _origin_server


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def mediatailor(aws: Aws) -> MediaTailor:
    return MediaTailor(aws.secretsmanager, aws.kms, region=REGION, account=ACCOUNT, deployer_principal_arn=DEPLOYER)


@pytest.fixture
def example(stack: Stack, mediatailor: MediaTailor, origin: OriginServer, aws: Aws) -> ExampleStack:
    """The generated-token example stack, its KMS key made from the example's key policy."""
    origin.gate = open_gate  # forget the tokens an earlier test's origin received
    origin.accept(header_names=(), tokens=())
    return ExampleStack.with_example_key(stack, mediatailor, origin, aws.kms, {"DeployerPrincipalArn": DEPLOYER})


@pytest.fixture
def waf_example(
    stack: Stack, mediatailor: MediaTailor, origin_server: OriginServer, aws: Aws, clock: SimulatedClock
) -> ExampleStack:
    """The staged-rotation example behind its own WAF rule group (the origin stand-in evaluates
    the template's rule statements), a CDN in front."""
    return ExampleStack.behind_rule_group(
        stack, mediatailor, origin_server, aws.kms, template=STAGED_EXAMPLE, clock=clock
    )
