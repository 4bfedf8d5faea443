"""boto3 clients, built once per process and injected. Loading a service model is most of a cold start:
only the two the provider uses are built (never crhelper's own). botocore's *standard* retry mode backs off
with jitter on throttling and transient 5xx errors; short timeouts keep a hung call from eating the Lambda
deadline before the provider can answer CloudFormation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient


@dataclass(frozen=True)
class ClientTiming:
    """How long one AWS call may take and how often it is tried (the defaults: production's)."""

    max_attempts: int = 6  # botocore's standard mode: the first try and 5 retries
    connect_timeout_s: float = 3
    read_timeout_s: float = 10

    def config(self) -> Config:
        return Config(
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            user_agent_extra="mediatailor-access-token-secret",
        )


CLIENT_TIMING: Final = ClientTiming()


def build_clients(region: str, timing: ClientTiming = CLIENT_TIMING) -> tuple[SecretsManagerClient, KMSClient]:
    """Clients for ``region``; ``AWS_ENDPOINT_URL`` (read by botocore) points them elsewhere."""
    session, config = boto3.session.Session(region_name=region), timing.config()
    return session.client("secretsmanager", config=config), session.client("kms", config=config)
