"""KMS: resolve ``KmsKeyId`` (ID, ARN, alias or alias ARN) to the facts the planner checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import KmsKeyError, NotFoundError
from ..plan.state import KeyFacts
from .translate import aws_call

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


class Kms:
    """Thin, typed gateway to KMS, like :class:`~.secretsmanager.SecretsManager`: the service
    sees :class:`~access_token_secret.plan.state.KeyFacts`, never a boto3 type."""

    def __init__(self, client: KMSClient) -> None:
        self._client = client

    def describe(self, key_id: str) -> KeyFacts:
        try:
            with aws_call("kms:DescribeKey"):
                metadata = self._client.describe_key(KeyId=key_id)["KeyMetadata"]
        except NotFoundError:
            raise KmsKeyError(
                "KmsKeyId was not found in the provider's Region; use a key ID, key ARN or alias of an existing key"
            ) from None
        return KeyFacts(
            arn=metadata["Arn"],
            key_manager=metadata.get("KeyManager"),
            key_state=metadata.get("KeyState"),
            key_spec=metadata.get("KeySpec"),
            key_usage=metadata.get("KeyUsage"),
        )
