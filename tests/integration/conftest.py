"""Integration fixtures: the real handler, in this process, against moto over HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from access_token_secret.adapter.handler import Timing
from access_token_secret.aws.clients import ClientTiming

from harness.clock import SimulatedClock
from harness.cloudformation import CloudFormation, Stack
from harness.emulator import FAKE_ACCOUNT, Emulator
from harness.environment import REGION
from harness.example_stack import ExampleStack
from harness.faults import FaultProxy
from harness.lambda_context import LambdaContext
from harness.listener import ResponseListener
from harness.mediatailor import MediaTailor, Origin
from harness.origins import OriginServer, open_gate

DEPLOYER = f"arn:aws:iam::{FAKE_ACCOUNT}:role/deployer"


@dataclass
class Aws:
    """Clients straight to the emulator (not through the proxy): setup and assertions only."""

    secretsmanager: Any
    kms: Any

    def secret(self, secret_id: str) -> dict[str, Any]:
        return dict(self.secretsmanager.describe_secret(SecretId=secret_id))

    def token(self, secret_id: str, key: str, **selector: str) -> str:
        """The token in AWSCURRENT unless told otherwise. The stage is named because moto's
        GetSecretValue without one does not follow AWSCURRENT after UpdateSecretVersionStage
        (AWS does); MediaTailor reads AWSCURRENT."""
        import json

        selector = selector or {"VersionStage": "AWSCURRENT"}
        value = self.secretsmanager.get_secret_value(SecretId=secret_id, **selector)["SecretString"]
        return str(json.loads(value)[key])

    def policy(self, secret_id: str) -> dict[str, Any]:
        import json

        return dict(json.loads(self.secretsmanager.get_resource_policy(SecretId=secret_id)["ResourcePolicy"]))

    def tags(self, secret_id: str) -> dict[str, str]:
        return {tag["Key"]: tag["Value"] for tag in self.secret(secret_id).get("Tags", [])}

    def secret_names(self, *, include_planned_deletion: bool = True) -> list[str]:
        pages = self.secretsmanager.get_paginator("list_secrets").paginate(
            IncludePlannedDeletion=include_planned_deletion
        )
        return sorted(item["Name"] for page in pages for item in page["SecretList"])

    def new_key(self, **options: Any) -> str:
        return str(
            self.kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT", **options)["KeyMetadata"][
                "Arn"
            ]
        )


@pytest.fixture(scope="session")
def aws(emulator: Emulator) -> Aws:
    session = boto3.session.Session(region_name=REGION)
    return Aws(
        secretsmanager=session.client("secretsmanager", endpoint_url=emulator.url),
        kms=session.client("kms", endpoint_url=emulator.url),
    )


@pytest.fixture(autouse=True)
def fresh_emulator(emulator: Emulator, _register_leak_source: FaultProxy) -> Iterator[None]:
    emulator.reset()
    _register_leak_source.clear()
    yield
    _register_leak_source.clear()


# The provider's time budget, scaled down (production: 8 s margin, 10 s read timeout): the
# timeout tests keep their proportions and take a second or two. One test per real value keeps
# the production numbers (test_faults.py, marked slow).
FAST = Timing(deadline_margin_s=1.0, clients=ClientTiming(connect_timeout_s=1.0, read_timeout_s=3.0))


@pytest.fixture
def fast_timing(monkeypatch: pytest.MonkeyPatch) -> Timing:
    """The in-process handler with :data:`FAST` timing: its deadline margin, and a service whose
    clients time out after ``FAST.clients.read_timeout_s``."""
    from access_token_secret.adapter import handler

    monkeypatch.setattr(handler, "TIMING", FAST)
    monkeypatch.setattr(handler, "_SERVICE", handler.build_service(os.environ, FAST.clients))
    return FAST


@pytest.fixture(scope="session")
def invoke() -> Any:
    from access_token_secret.adapter.handler import lambda_handler

    def run(event: dict[str, Any], timeout_s: float = 60.0) -> None:
        lambda_handler(event, LambdaContext(timeout_s=timeout_s))

    return run


@pytest.fixture(scope="session")
def invoke_handler() -> Any:
    """The handler itself, for harnesses that build their own Lambda context."""
    from access_token_secret.adapter.handler import lambda_handler

    return lambda_handler


@pytest.fixture
def cloud(invoke: Any, listener: ResponseListener) -> CloudFormation:
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


@pytest.fixture(scope="session")
def origin() -> Iterator[Origin]:
    origin = Origin().start()
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
    return MediaTailor(
        aws.secretsmanager, aws.kms, region=REGION, account=FAKE_ACCOUNT, deployer_principal_arn=DEPLOYER
    )


@pytest.fixture
def example(stack: Stack, mediatailor: MediaTailor, origin: Origin, aws: Aws) -> ExampleStack:
    """The generated-token example stack, its KMS key made from the example's key policy."""
    origin.accept(header_names=(), tokens=())
    return ExampleStack.with_example_key(stack, mediatailor, origin, aws.kms, {"DeployerPrincipalArn": DEPLOYER})


def trust_first_token(example: ExampleStack, aws: Aws, origin: Origin, *, header_names: tuple[str, ...]) -> None:
    """The operator configures the origin once, with the token the stack's first secret holds
    (read from the emulator before the first fetch), and never again: a later step that sent
    any other token would be refused."""
    trusted: list[str] = []

    def configure() -> None:
        if not trusted and example.location is not None:
            trusted.append(aws.token(example.location.secret_arn, example.location.secret_string_key))
            origin.accept(header_names=header_names, tokens=trusted)

    example.before_check = configure
