"""boto3 clients, built once per process and injected everywhere else.

Creating a client reads no network, but it does load the service model, which is most of a
cold start; that is why only the two clients the provider uses are built (crhelper's own
lambda/events/logs clients are never created, see :mod:`access_token_secret.adapter.resource`).
Retries use botocore's *standard* mode: exponential backoff with jitter on throttling
(``ThrottlingException``, HTTP 429) and transient 5xx errors. Timeouts are short because a hung
call must not eat the Lambda deadline before the provider can answer CloudFormation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 6},
    connect_timeout=3,
    read_timeout=10,
    user_agent_extra="mediatailor-access-token-secret",
)


@dataclass(frozen=True)
class AwsClients:
    secretsmanager: SecretsManagerClient
    kms: KMSClient


def build_clients(region: str) -> AwsClients:
    """Clients for ``region``; ``AWS_ENDPOINT_URL`` (read by botocore) points them elsewhere."""
    session = boto3.session.Session(region_name=region)
    return AwsClients(
        secretsmanager=session.client("secretsmanager", config=CLIENT_CONFIG),
        kms=session.client("kms", config=CLIENT_CONFIG),
    )
