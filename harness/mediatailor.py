"""A stand-in for AWS Elemental MediaTailor's side of access token authentication (test code).

No emulator of MediaTailor exists, so this encodes what the MediaTailor User Guide documents
and nothing more ("Working with Secrets Manager access token authentication" and "How
MediaTailor Secrets Manager access token authentication works"):

* Only when a source location is **created or updated** does MediaTailor call DescribeSecret
  to learn the secret's KMS key, and then create a grant on that key named
  ``MediaTailor-SourceLocation-<account ID>-<source location name>`` that lets it decrypt that
  one secret. The principal creating the source location needs ``kms:CreateGrant`` on the key
  through ``kms:ViaService = mediatailor.<region>.amazonaws.com``; the AWS managed key
  ``aws/secretsmanager`` never allows that.
* To fetch from the origin it reads AWSCURRENT with ``GetSecretValue`` (the secret's resource
  policy must allow ``mediatailor.amazonaws.com``), decrypts it through its grant, takes the
  token under the source location's ``SecretStringKey`` (8-128 characters) and sends it in the
  header named ``HeaderName``.

It reads AWS through its own clients straight to the emulator, so the provider's call counts
are not disturbed. It never prints a token: results carry the header name and the status only.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient


MEDIATAILOR_SERVICE = "mediatailor.amazonaws.com"
MIN_TOKEN, MAX_TOKEN = 8, 128  # UG: the token is 8-128 characters


class SourceLocationRejectedError(Exception):
    """CreateSourceLocation/UpdateSourceLocation would fail; ``str()`` names the cause."""


@dataclass(frozen=True)
class SourceLocation:
    name: str
    base_url: str
    secret_arn: str
    secret_string_key: str
    header_name: str

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any]) -> SourceLocation:
        """The resolved properties of an ``AWS::MediaTailor::SourceLocation`` with access-token
        authentication, as MediaTailor reads them."""
        config = properties["AccessConfiguration"]["SecretsManagerAccessTokenConfiguration"]
        return cls(
            name=properties["SourceLocationName"],
            base_url=properties["HttpConfiguration"]["BaseUrl"],
            secret_arn=config["SecretArn"],
            secret_string_key=config["SecretStringKey"],
            header_name=config["HeaderName"],
        )


@dataclass(frozen=True)
class Fetch:
    """One manifest request through MediaTailor: ``ok`` when the origin answered 200."""

    ok: bool
    cause: str
    header_name: str = ""
    status: int | None = None

    def __str__(self) -> str:
        if self.status is None:
            return f"FAILED before any request to the origin: {self.cause}"
        verdict = "OK" if self.ok else "FAILED"
        return f"{verdict}: origin HTTP {self.status} with {self.header_name}: ****; {self.cause}"


def _listed(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else [s for s in statements if isinstance(s, Mapping)]


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    """IAM action patterns are case-insensitive and may use ``*`` and ``?``."""
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in _listed(statement.get("Action")))


def _principal_matches(statement: Mapping[str, Any], *, aws: Iterable[str] = (), service: str = "") -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if service and service in _listed(principal.get("Service")):
        return True
    named = _listed(principal.get("AWS"))
    return "*" in named or any(candidate in named for candidate in aws)


class MediaTailor:
    """Source locations and manifest fetches for one account and Region."""

    def __init__(
        self,
        secretsmanager: SecretsManagerClient,
        kms: KMSClient,
        *,
        region: str,
        account: str,
        deployer_principal_arn: str,
    ) -> None:
        self._sm = secretsmanager
        self._kms = kms
        self.region = region
        self.account = account
        self.deployer_principal_arn = deployer_principal_arn
        self.source_locations: dict[str, SourceLocation] = {}

    def describe_secret_key(self, secret_arn: str) -> str | None:
        """The KMS key the secret names now (what DescribeSecret tells MediaTailor)."""
        key = self._sm.describe_secret(SecretId=secret_arn).get("KmsKeyId")
        return str(key) if key else None

    def grant_name(self, source_location_name: str) -> str:
        return f"MediaTailor-SourceLocation-{self.account}-{source_location_name}"

    # Source locations: the only moment MediaTailor looks at the key -------------------------

    def put_source_location(self, location: SourceLocation) -> None:
        """CreateSourceLocation or UpdateSourceLocation with SECRETS_MANAGER_ACCESS_TOKEN."""
        if location.header_name.lower().startswith(("x-amz-", "x-amzn-")):
            raise SourceLocationRejectedError("HeaderName must not start with x-amz- or x-amzn-")
        try:
            described = self._sm.describe_secret(SecretId=location.secret_arn)
        except ClientError as error:
            raise SourceLocationRejectedError(f"DescribeSecret failed: {error.response['Error']['Code']}") from None
        key_arn = self._customer_managed_key(described.get("KmsKeyId"))
        policy = json.loads(self._kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
        if not self._deployer_may_grant(policy):
            raise SourceLocationRejectedError(
                f"the key policy of {key_arn} does not let {self.deployer_principal_arn} call kms:CreateGrant "
                f"via mediatailor.{self.region}.amazonaws.com"
            )
        self._kms.create_grant(
            KeyId=key_arn,
            GranteePrincipal=MEDIATAILOR_SERVICE,
            Operations=["Decrypt"],
            Name=self.grant_name(location.name),
            Constraints={"EncryptionContextSubset": {"SecretARN": described["ARN"]}},
        )
        self.source_locations[location.name] = location

    def delete_source_location(self, name: str) -> None:
        self.source_locations.pop(name)

    def _customer_managed_key(self, kms_key_id: str | None) -> str:
        if not kms_key_id or kms_key_id.startswith("alias/aws/"):
            raise SourceLocationRejectedError(
                "the secret is encrypted with the AWS managed key aws/secretsmanager; "
                "MediaTailor needs a customer managed key"
            )
        try:
            metadata = self._kms.describe_key(KeyId=kms_key_id)["KeyMetadata"]
        except ClientError as error:
            raise SourceLocationRejectedError(f"DescribeKey failed: {error.response['Error']['Code']}") from None
        if metadata.get("KeyManager") != "CUSTOMER":
            raise SourceLocationRejectedError(
                "the secret's key is AWS managed; MediaTailor needs a customer managed key"
            )
        return str(metadata["Arn"])

    def _deployer_may_grant(self, policy: Mapping[str, Any]) -> bool:
        """Some Allow statement grants kms:CreateGrant to the deployer (or its account root)
        with ``kms:ViaService`` naming MediaTailor in this Region, or with no condition. With
        the account root, IAM decides the rest; the stand-in assumes the deployer's IAM policy
        allows it (moto evaluates no IAM). An unconditional Deny wins."""
        principals = (self.deployer_principal_arn, f"arn:aws:iam::{self.account}:root", self.account)
        matching = [
            s
            for s in _statements(policy)
            if _principal_matches(s, aws=principals) and _action_matches(s, "kms:CreateGrant")
        ]
        if any(s.get("Effect") == "Deny" and not s.get("Condition") for s in matching):
            return False
        return any(s.get("Effect") == "Allow" and self._via_mediatailor(s.get("Condition")) for s in matching)

    def _via_mediatailor(self, condition: object) -> bool:
        if not condition:
            return True
        if not isinstance(condition, Mapping):
            return False
        service = f"mediatailor.{self.region}.amazonaws.com"
        for operator, clauses in condition.items():
            if operator not in ("StringEquals", "StringLike") or not isinstance(clauses, Mapping):
                return False  # a condition the stand-in cannot evaluate proves nothing
            for key, value in clauses.items():
                wanted = {"kms:viaservice": service, "kms:calleraccount": self.account}.get(str(key).lower())
                if wanted is None:
                    return False
                match = fnmatch.fnmatchcase if operator == "StringLike" else str.__eq__
                if not any(match(wanted, candidate) for candidate in _listed(value)):
                    return False
        return True

    # Fetching: what happens on every manifest request ---------------------------------------

    def fetch(self, name: str, path: str = "/vod/sample/index.m3u8") -> Fetch:
        location = self.source_locations.get(name)
        if location is None:
            return Fetch(False, f"source location {name} does not exist")
        return self.fetch_with(location, path)

    def fetch_with(self, location: SourceLocation, path: str = "/vod/sample/index.m3u8") -> Fetch:
        """Every documented step, in order; the first that does not hold is the cause."""
        try:
            described = self._sm.describe_secret(SecretId=location.secret_arn)
        except ClientError:
            return Fetch(False, "the secret does not exist")
        if described.get("DeletedDate") is not None:
            return Fetch(False, "the secret is scheduled for deletion")
        if not self._policy_admits_mediatailor(described["ARN"]):
            return Fetch(False, "the secret's resource policy does not allow mediatailor.amazonaws.com GetSecretValue")
        key_id = described.get("KmsKeyId")
        if not key_id or not self._has_grant(str(key_id), location.name, described["ARN"]):
            return Fetch(
                False,
                f"no grant {self.grant_name(location.name)} on the secret's key {key_id} "
                "(MediaTailor only creates one when the source location is created or updated)",
            )
        token, problem = self._token(described["ARN"], location.secret_string_key)
        if token is None:
            return Fetch(False, problem)
        status, said = _get(location.base_url, path, {location.header_name: token})
        cause = "the origin accepted the token" if status == 200 else "the origin refused the token"
        return Fetch(status == 200, f"{cause}: {said}" if said else cause, location.header_name, status)

    def _policy_admits_mediatailor(self, secret_arn: str) -> bool:
        try:
            text = self._sm.get_resource_policy(SecretId=secret_arn).get("ResourcePolicy")
        except ClientError:
            return False
        try:
            policy = json.loads(text) if text else {}
        except ValueError:
            return False

        def applies(statement: Mapping[str, Any]) -> bool:
            return (
                _principal_matches(statement, service=MEDIATAILOR_SERVICE)
                and _action_matches(statement, "secretsmanager:GetSecretValue")
                and any(resource in (secret_arn, "*") for resource in _listed(statement.get("Resource")))
            )

        statements = [s for s in _statements(policy) if applies(s)]
        if any(s.get("Effect") == "Deny" for s in statements):
            return False
        return any(s.get("Effect") == "Allow" and not s.get("Condition") for s in statements)

    def _has_grant(self, key_id: str, name: str, secret_arn: str) -> bool:
        try:
            grants = self._kms.list_grants(KeyId=key_id)["Grants"]
        except ClientError:
            return False
        return any(
            grant.get("Name") == self.grant_name(name)
            and "Decrypt" in grant.get("Operations", [])
            and grant.get("Constraints", {}).get("EncryptionContextSubset", {}).get("SecretARN") == secret_arn
            for grant in grants
        )

    def _token(self, secret_arn: str, json_key: str) -> tuple[str | None, str]:
        try:
            text = self._sm.get_secret_value(SecretId=secret_arn, VersionStage="AWSCURRENT").get("SecretString", "")
            document = json.loads(text)
        except (ClientError, ValueError):
            return None, "AWSCURRENT is not a JSON object"
        if not isinstance(document, dict):
            return None, "AWSCURRENT is not a JSON object"
        token = document.get(json_key)
        if not isinstance(token, str):
            return None, f"AWSCURRENT holds no token under the source location's SecretStringKey {json_key}"
        if not MIN_TOKEN <= len(token) <= MAX_TOKEN:
            return None, "the token is not 8-128 characters"
        return token, ""


def _get(base_url: str, path: str, headers: Mapping[str, str]) -> tuple[int, str]:
    """GET over plain HTTP to the stand-in origin on loopback (the scheme of ``base_url`` is
    ignored: an example's ``https://`` origin is played by a local HTTP server). Returns the
    status and the cause a stand-in origin gives in ``X-Stand-In-Cause``, if any."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        connection.request("GET", path, headers=dict(headers))
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("X-Stand-In-Cause") or ""
    finally:
        connection.close()
