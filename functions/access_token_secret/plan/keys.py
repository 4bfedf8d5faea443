"""Whether a KMS key can protect a secret that MediaTailor reads."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import KmsKeyError
from .naming import arn_region
from .state import KeyFacts, SecretState
from .versions import kms_digest, parse


def usable_key_arn(facts: KeyFacts, region: str) -> str:
    """MediaTailor creates its own KMS grant, which an AWS managed key never allows. A missing
    ``KeyUsage`` is the KMS default ``ENCRYPT_DECRYPT`` (the emulator omits it)."""
    if facts.key_manager != "CUSTOMER":
        raise KmsKeyError(
            "KmsKeyId is an AWS managed key; MediaTailor needs a customer managed key it can create grants on"
        )
    if facts.key_state != "Enabled":
        raise KmsKeyError(f"KMS key is {facts.key_state or 'not usable'}; enable it or choose another KmsKeyId")
    if (facts.key_spec or "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or (
        facts.key_usage or "ENCRYPT_DECRYPT"
    ) != "ENCRYPT_DECRYPT":
        raise KmsKeyError("KmsKeyId must be a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)")
    if arn_region(facts.arn) != region:
        raise KmsKeyError(f"KMS key must be in the provider's Region {region}")
    return facts.arn


def key_to_describe(kms_key_id: str | None, checked: str) -> str | None:
    """``checked`` (the template's key) is described already; ``alias/aws/`` is AWS managed."""
    if not kms_key_id or kms_key_id.startswith("alias/aws/") or kms_key_id == checked:
        return None
    return kms_key_id


def customer_key_arn(kms_key_id: str | None, checked: str, keys: Mapping[str, KeyFacts]) -> str | None:
    """The ARN of a secret's key when it is customer managed (``None``: AWS managed)."""
    described = key_to_describe(kms_key_id, checked)
    if described is None:  # none, AWS managed, or the template's key (always a customer managed ARN)
        return checked if kms_key_id == checked else None
    facts = keys[described]
    return facts.arn if facts.key_manager == "CUSTOMER" else None


def _judged_by_own_key(secret: SecretState) -> bool:
    """DescribeSecret returns KmsKeyId as it was given; only a secret whose versions record no
    key, and whose KmsKeyId is not an ARN already, needs its key resolved."""
    key_id = secret.kms_key_id
    return key_id is not None and not key_id.startswith("arn:") and recorded_key(secret) is None


def granted_key_to_describe(secret: SecretState, checked: str) -> str | None:
    """The key :func:`key_replaced` needs described."""
    return key_to_describe(secret.kms_key_id, checked) if _judged_by_own_key(secret) else None


def granted_key_arn(secret: SecretState, checked: str, keys: Mapping[str, KeyFacts]) -> str | None:
    return customer_key_arn(secret.kms_key_id, checked, keys) if _judged_by_own_key(secret) else secret.kms_key_id


def key_replaced(desired_key_arn: str, observed: SecretState, observed_key_arn: str | None) -> bool:
    """Whether the template asks for another key than the one MediaTailor was granted.

    MediaTailor creates its KMS grant only when a source location is created or updated
    (MediaTailor user guide, access token authentication), so its secret never changes key in
    place. The reference is the key last written for (:func:`recorded_key`): a key changed by
    hand is drift, put back. With no record (1.0 or by hand), the secret's own key is it.
    """
    recorded = recorded_key(observed)
    if recorded is not None:
        return recorded != kms_digest(desired_key_arn)
    return observed_key_arn != desired_key_arn


def recorded_key(observed: SecretState) -> str | None:
    """The KMS digest of the first labelled version recording one (AWSCURRENT, AWSPREVIOUS, AWSPENDING)."""
    recorded = (parsed.kms_digest for parsed in map(parse, observed.labelled_versions()) if parsed is not None)
    return next((digest for digest in recorded if digest is not None), None)
