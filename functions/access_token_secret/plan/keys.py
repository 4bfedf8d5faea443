"""Whether a KMS key can protect a secret that MediaTailor reads."""

from __future__ import annotations

from ..errors import KmsKeyError
from .naming import arn_region
from .state import KeyFacts


def usable_key_arn(facts: KeyFacts, region: str) -> str:
    """The key ARN to store on the secret, or :class:`KmsKeyError` saying why the key is unfit.

    MediaTailor creates its own KMS grant through the key policy, which an AWS managed key
    (``aws/secretsmanager``) never allows, so only customer managed keys pass. A missing
    ``KeyUsage`` is read as the KMS default ``ENCRYPT_DECRYPT`` (the emulator omits it).
    """
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
