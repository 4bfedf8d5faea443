"""The planner tests' shared preamble: one resource, its key and secret, VersionIds as the
provider writes them, and :func:`decided`, which runs the planner's own observation loop over
plain values (no AWS, no mocks: each read is answered from the secrets given)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from access_token_secret.adapter.inputs import properties
from access_token_secret.plan.actions import Plan
from access_token_secret.plan.context import ProviderSettings, ResourceIdentity
from access_token_secret.plan.labels import Request
from access_token_secret.plan.naming import owner_tags
from access_token_secret.plan.observation import (
    Asked,
    DescribeKey,
    DescribeSecret,
    ListVersions,
    Observation,
    ReadPolicy,
    ReadStored,
    ReadValue,
    Restore,
    next_read,
)
from access_token_secret.plan.planner import decide
from access_token_secret.plan.properties import SecretProperties
from access_token_secret.plan.state import KeyFacts, SecretState, SecretVersion
from access_token_secret.plan.versions import content_of, version_id

from harness.account import REGION, make_arn

KEY_ARN = make_arn("kms", "key/1111")
OTHER_KEY_ARN = make_arn("kms", "key/2222")
STACK = make_arn("cloudformation", "stack/media/aaaa")
ME = ResourceIdentity(STACK, "Token", "request-2")
EARLIER = ResourceIdentity(STACK, "Token", "request-1")
ARN = make_arn("secretsmanager", "secret:mediatailor/media/Token-AbCdEf")
NAME = "mediatailor/media/Token"
PREFIX = "mediatailor/"
SETTINGS = ProviderSettings(region=REGION, name_prefix=PREFIX)
CURRENT, PREVIOUS, PENDING = ("AWSCURRENT",), ("AWSPREVIOUS",), ("AWSPENDING",)


def props(**extra: Any) -> Any:
    return properties({"KmsKeyId": "alias/k", "SecretStringKey": "K", **extra}, name_prefix=PREFIX)


def desired(old: SecretProperties | None = None, **extra: Any) -> Request:
    """The request for these properties (``old``: those an Update replaces)."""
    return Request(props(**extra), ME, NAME, KEY_ARN, old)


def written(identity: ResourceIdentity = EARLIER, kms: str = KEY_ARN, purpose: str = "value", **extra: Any) -> str:
    """The VersionId the provider writes for these properties on behalf of ``identity``."""
    return version_id(content_of(props(**extra)), kms, identity.digest(purpose))


def secret(
    *versions: tuple[str, tuple[str, ...]],
    tags: dict[str, str] | None = None,
    kms: str = KEY_ARN,
    deleted: datetime | None = None,
    **fields: Any,
) -> SecretState:
    """The secret ARN/NAME with ``versions`` (VersionId, labels), owned by ME unless ``tags``
    say otherwise, under ``kms``, scheduled for deletion at ``deleted``."""
    return SecretState(
        arn=ARN,
        name=NAME,
        kms_key_id=kms,
        tags=tuple((owner_tags(ME) if tags is None else tags).items()),
        versions=tuple(SecretVersion(v, s) for v, s in versions),
        deleted_date=deleted,
        **fields,
    )


def decided(asked: Asked, *secrets: SecretState, stored: str | None = None) -> tuple[Plan, Observation]:
    """The plan for ``asked`` when AWS holds ``secrets`` (by name and ARN) under the key
    KEY_ARN (any other key is an AWS managed one), and every value read is ``stored``."""
    by_id = {s.name: s for s in secrets} | {s.arn: s for s in secrets}
    seen = Observation()
    while (read := next_read(asked, seen)) is not None:
        match read:
            case DescribeKey(key_id=key_id):
                manager = "CUSTOMER" if key_id in ("alias/k", KEY_ARN) else "AWS"
                arn = KEY_ARN if manager == "CUSTOMER" else key_id
                seen.record(read, KeyFacts(arn, manager, "Enabled", None, None))
            case DescribeSecret(secret_id=secret_id):
                seen.record(read, by_id.get(secret_id))
            case ListVersions():
                seen.record(read, ())
            case ReadPolicy() | ReadStored() | Restore():
                seen.record(read, stored if isinstance(read, ReadStored) else None)
            case ReadValue():
                raise AssertionError(f"pass the token read as a value of the secret: {read}")
    return decide(asked, seen), seen
