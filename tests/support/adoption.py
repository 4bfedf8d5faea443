"""A secret made by hand, as MediaTailor's documented procedure makes it, and what a refused
adoption must leave alone: shared by the adoption tests (tests/integration/test_adoption*.py)."""

from __future__ import annotations

import json
from typing import Any, Final

from tests.support.aws import Aws
from tests.support.properties import KEY

TOKEN: Final = "hand-made-token-0001"
NAME: Final = "mediatailor/hand-made/origin-token"
CONSENT: Final = "mediatailor-access-token-secret:adopt"
OWNER_STACK: Final = "mediatailor-access-token-secret:stack-id"
# The properties of a stack that adopts the hand-made secret (with resource_props).
ADOPTING: Final = {"SecretName": NAME, "AdoptExistingSecret": True}


def hand_made(aws: Aws, kms_key: str | None, *, value: object = None, tags: dict[str, str] | None = None) -> str:
    """The secret NAME holding TOKEN under KEY beside other keys (or ``value``), with ``tags``
    and an empty resource policy."""
    document = {KEY: TOKEN, "Comment": "kept by hand", "Port": 8443} if value is None else value
    options: dict[str, Any] = {"KmsKeyId": kms_key} if kms_key else {}
    created = aws.secretsmanager.create_secret(
        Name=NAME,
        SecretString=document if isinstance(document, str) else json.dumps(document),
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        **options,
    )
    aws.secretsmanager.put_resource_policy(
        SecretId=created["ARN"], ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": []})
    )
    return str(created["ARN"])


def state(aws: Aws, arn: str, *, replica: bool = False) -> dict[str, Any]:
    """Everything a refusal must leave alone. A replica answers no GetResourcePolicy (read-only:
    Secrets Manager User Guide, "Replicate secrets across Regions"); its policy is the primary's."""
    described = aws.secret(arn)
    return {
        "KmsKeyId": described.get("KmsKeyId"),
        "Tags": sorted((t["Key"], t["Value"]) for t in described.get("Tags", [])),
        "Versions": described["VersionIdsToStages"],
        "Deleted": described.get("DeletedDate"),
        "Rotation": described.get("RotationEnabled"),
        "Replication": described.get("ReplicationStatus"),
        "Value": None
        if "DeletedDate" in described
        else aws.secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"],
        "Policy": None if replica else aws.secretsmanager.get_resource_policy(SecretId=arn).get("ResourcePolicy"),
    }


def without_consent(state: dict[str, Any]) -> dict[str, Any]:
    """A state as a failed adoption leaves it: the same, but the consent used up."""
    return {**state, "Tags": [t for t in state["Tags"] if t[0] != CONSENT]}
