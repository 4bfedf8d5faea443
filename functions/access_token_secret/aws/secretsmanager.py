"""Secrets Manager calls, one method per API operation, each wrapped by :func:`aws_call`."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from ..errors import AwsCallError, NotFoundError, ProviderError
from ..plan.actions import CreateSecret
from ..plan.state import SecretState, SecretVersion
from ..tokens import AccessToken
from .translate import aws_call

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_secretsmanager.type_defs import ListSecretVersionIdsRequestTypeDef, PutSecretValueRequestTypeDef

POLICY_RETRY_DELAY_S: Final = 2.0


def secret_string(key: str, token: AccessToken, also_keys: tuple[str, ...], others: Mapping[str, object]) -> str:
    """``{"<key>": "<token>"}``, plus the same token under each of ``also_keys``, plus an adopted
    secret's ``others``."""
    return json.dumps({**others, **dict.fromkeys((*also_keys, key), token.reveal())})


def parse_document(text: str) -> dict[str, object]:
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not document:
        raise ProviderError("The stored secret value is not a JSON object; update the resource to rewrite it")
    return document


def token_in(document: Mapping[str, object], keys: Sequence[str] = ()) -> AccessToken:
    """The token under the first of ``keys`` present; otherwise the single token of a
    provider-written document (one token under one or more JSON keys)."""
    for key in keys:
        value = document.get(key)
        if isinstance(value, str):
            return AccessToken(value)
    values = list(document.values())
    if not all(isinstance(value, str) for value in values) or len(set(map(str, values))) != 1:
        raise ProviderError("The stored secret value does not hold one string token; update the resource to rewrite it")
    return AccessToken(str(values[0]))


class SecretsManager:
    """Thin, typed gateway; decisions belong to the planner, not here."""

    def __init__(self, client: SecretsManagerClient) -> None:
        self._client = client

    def describe(self, secret_id: str) -> SecretState | None:
        try:
            with aws_call("secretsmanager:DescribeSecret"):
                found = self._client.describe_secret(SecretId=secret_id)
        except NotFoundError:
            return None
        return SecretState(
            arn=found["ARN"],
            name=found["Name"],
            kms_key_id=found.get("KmsKeyId"),
            description=found.get("Description", ""),
            tags=tuple((tag["Key"], tag["Value"]) for tag in found.get("Tags", [])),
            versions=tuple(
                SecretVersion(version, tuple(stages)) for version, stages in found.get("VersionIdsToStages", {}).items()
            ),
            deleted_date=found.get("DeletedDate"),
            rotation_enabled=bool(found.get("RotationEnabled")),
            primary_region=found.get("PrimaryRegion"),
            replica_regions=tuple(r["Region"] for r in found.get("ReplicationStatus", []) if r.get("Region")),
        )

    def read_policy(self, secret_id: str) -> str | None:
        """The secret's resource policy as stored, or ``None`` when it has none."""
        with aws_call("secretsmanager:GetResourcePolicy"):
            found = self._client.get_resource_policy(SecretId=secret_id)
        return found.get("ResourcePolicy")

    def unlabelled_versions(self, secret_id: str) -> tuple[str, ...]:
        """Versions that lost every staging label and are not yet pruned (DescribeSecret lists
        only labelled ones)."""
        found: list[str] = []
        request: ListSecretVersionIdsRequestTypeDef = {"SecretId": secret_id, "IncludeDeprecated": True}
        while True:
            with aws_call("secretsmanager:ListSecretVersionIds"):
                page = self._client.list_secret_version_ids(**request)
            found.extend(v["VersionId"] for v in page.get("Versions", []) if not v.get("VersionStages"))
            if not page.get("NextToken"):
                return tuple(found)
            request["NextToken"] = page["NextToken"]

    def create(self, secret: CreateSecret, value: str) -> tuple[str, str]:
        """The new secret's ARN and VersionId."""
        version_id = secret.write.version_id
        with aws_call("secretsmanager:CreateSecret"):
            created = self._client.create_secret(
                Name=secret.name,
                KmsKeyId=secret.kms_key_arn,
                Description=secret.description,
                Tags=[{"Key": key, "Value": tag_value} for key, tag_value in secret.tags],
                SecretString=value,
                ClientRequestToken=version_id,
            )
        return created["ARN"], created.get("VersionId", version_id)

    def restore(self, secret_id: str) -> None:
        with aws_call("secretsmanager:RestoreSecret"):
            self._client.restore_secret(SecretId=secret_id)

    def update(self, secret_id: str, *, kms_key_arn: str | None, description: str | None) -> None:
        given = {"KmsKeyId": kms_key_arn, "Description": description}
        changes = {name: value for name, value in given.items() if value is not None}
        with aws_call("secretsmanager:UpdateSecret"):
            self._client.update_secret(SecretId=secret_id, **changes)

    def put_value(self, secret_id: str, *, value: str, version_id: str, stages: tuple[str, ...] = ()) -> str:
        """A new version; with ``stages`` it gets those labels instead of AWSCURRENT."""
        request: PutSecretValueRequestTypeDef = {
            "SecretId": secret_id,
            "SecretString": value,
            "ClientRequestToken": version_id,
        }
        if stages:
            request["VersionStages"] = list(stages)
        with aws_call("secretsmanager:PutSecretValue"):
            written = self._client.put_secret_value(**request)
        return written.get("VersionId", version_id)

    def unstage(self, secret_id: str, *, stage: str, version_id: str) -> None:
        with aws_call("secretsmanager:UpdateSecretVersionStage"):
            self._client.update_secret_version_stage(
                SecretId=secret_id, VersionStage=stage, RemoveFromVersionId=version_id
            )

    def read_string(self, secret_id: str, *, version_id: str | None = None) -> str | None:
        """The ``SecretString`` of AWSCURRENT (or of ``version_id``)."""
        # AWSCURRENT is AWS's default; naming it also makes moto follow the label after
        # UpdateSecretVersionStage (its default pointer stays on the old version).
        which = {"VersionStage": "AWSCURRENT"} if version_id is None else {"VersionId": version_id}
        with aws_call("secretsmanager:GetSecretValue"):
            found = self._client.get_secret_value(SecretId=secret_id, **which)
        return found.get("SecretString")

    def read_document(self, secret_id: str, *, version_id: str | None = None) -> dict[str, object]:
        return parse_document(self.read_string(secret_id, version_id=version_id) or "")

    def read_token(self, secret_id: str, *, version_id: str | None = None, keys: Sequence[str] = ()) -> AccessToken:
        return token_in(self.read_document(secret_id, version_id=version_id), keys)

    def promote(self, secret_id: str, *, version_id: str, from_version_id: str | None) -> None:
        moved = {} if from_version_id is None else {"RemoveFromVersionId": from_version_id}
        with aws_call("secretsmanager:UpdateSecretVersionStage"):
            self._client.update_secret_version_stage(
                SecretId=secret_id, VersionStage="AWSCURRENT", MoveToVersionId=version_id, **moved
            )

    def tag(self, secret_id: str, tags: tuple[tuple[str, str], ...]) -> None:
        with aws_call("secretsmanager:TagResource"):
            self._client.tag_resource(SecretId=secret_id, Tags=[{"Key": k, "Value": v} for k, v in tags])

    def untag(self, secret_id: str, keys: tuple[str, ...]) -> None:
        with aws_call("secretsmanager:UntagResource"):
            self._client.untag_resource(SecretId=secret_id, TagKeys=list(keys))

    def put_policy(self, secret_id: str, policy: str) -> None:
        """One bounded retry on MalformedPolicyDocumentException: IAM propagation can make a
        principal look unsupported for a moment (Secrets Manager API reference)."""
        for attempt in range(2):
            try:
                with aws_call("secretsmanager:PutResourcePolicy"):
                    self._client.put_resource_policy(SecretId=secret_id, ResourcePolicy=policy, BlockPublicPolicy=True)
                return
            except AwsCallError as error:
                if error.code != "MalformedPolicyDocumentException" or attempt:
                    raise
                time.sleep(POLICY_RETRY_DELAY_S)

    def delete(self, secret_id: str, *, recovery_window_in_days: int | None) -> None:
        with aws_call("secretsmanager:DeleteSecret"):
            if recovery_window_in_days is None:
                self._client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)
            else:
                self._client.delete_secret(SecretId=secret_id, RecoveryWindowInDays=recovery_window_in_days)
