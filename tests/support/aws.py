"""Clients straight to the emulator, for setting up and asserting (never the provider's)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient


@dataclass
class Aws:
    """Clients straight to the emulator (not through the proxy): setup and assertions only."""

    secretsmanager: SecretsManagerClient
    kms: KMSClient

    def secret(self, secret_id: str) -> dict[str, Any]:
        return dict(self.secretsmanager.describe_secret(SecretId=secret_id))

    def token(self, secret_id: str, key: str, **selector: str) -> str:
        """The token in AWSCURRENT unless told otherwise. The stage is named because moto's
        GetSecretValue without one does not follow AWSCURRENT after UpdateSecretVersionStage
        (AWS does); MediaTailor reads AWSCURRENT."""
        selector = selector or {"VersionStage": "AWSCURRENT"}
        value = self.secretsmanager.get_secret_value(SecretId=secret_id, **selector)["SecretString"]
        return str(json.loads(value)[key])

    def policy(self, secret_id: str) -> dict[str, Any]:
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
