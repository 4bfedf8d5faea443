"""Secret version IDs that record what they hold, so no value has to be read to compare.

Each version the provider writes gets a ``ClientRequestToken`` (its VersionId) laid out as
below: a stored format, with its digests and salts frozen (golden fixtures replay each release).

=======  ======  ====  ==============  ===============  ==========  ==============
scheme   length  kind  token identity  JSON-key ident.  KMS digest  request digest
=======  ======  ====  ==============  ===============  ==========  ==============
mtats1   55      1     16 hex          16 hex           (none)      16 hex
mtats2   63      1     16 hex          16 hex           8 hex       16 hex
=======  ======  ====  ==============  ===============  ==========  ==============

* kind ``g``: a generated token, identified by a digest of (RotationId, TokenFormat,
  TokenLength); a version matches its RotationId whatever the format and length, so changing
  those never rotates.
* kind ``u``: a supplied token; its identity is all zeros, since a digest of a short token
  could be brute-forced by anyone allowed to DescribeSecret.
* upper case (``G``, ``U``): adopted; every write keeps the document's other keys. Secrets
  Manager keeps the case (its API reference: VersionId is the ClientRequestToken given).
* KMS digest: of the key ARN asked for when written, the key MediaTailor was last told about.
* request digest: of (stack ID, logical ID, RequestId, purpose), the same on redelivery, so a
  duplicate writes nothing new (Secrets Manager ignores a repeated ClientRequestToken).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Final

from ..tokens import MAX_LENGTH, MIN_LENGTH, UUID_LENGTH, TokenFormat
from .properties import SecretProperties

PREFIX: Final = "mtats2"
LEGACY_PREFIX: Final = "mtats1"
SUPPLIED_IDENTITY: Final = "0" * 16
KMS_DIGEST_LENGTHS: Final = {LEGACY_PREFIX: 0, PREFIX: 8}  # by scheme


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def kms_digest(kms_key_arn: str) -> str:
    return _digest("kms", kms_key_arn)[: KMS_DIGEST_LENGTHS[PREFIX]]


def json_key_identity(secret_string_key: str) -> str:
    return _digest("key", secret_string_key)


def generated_identity(rotation_id: str, token_format: TokenFormat, length: int) -> str:
    return _digest("gen", rotation_id, token_format.value, str(length))


@cache
def generated_identities(rotation_id: str) -> frozenset[str]:
    """Every identity a token generated for ``rotation_id`` may carry, whatever its format."""
    lengths = range(MIN_LENGTH, MAX_LENGTH + 1)
    alphanumeric = (generated_identity(rotation_id, TokenFormat.ALPHANUMERIC, n) for n in lengths)
    return frozenset((*alphanumeric, generated_identity(rotation_id, TokenFormat.UUID, UUID_LENGTH)))


@dataclass(frozen=True)
class VersionContent:
    """What a provider-written version holds, as far as can be told without reading it."""

    kind: str
    token_identity: str
    key_identity: str

    @property
    def generated(self) -> bool:
        return self.kind == "g"


@dataclass(frozen=True)
class ParsedVersion:
    """Every field of a provider-written VersionId."""

    scheme: str
    content: VersionContent
    adopted: bool
    kms_digest: str | None  # None: not recorded (mtats1)
    request_digest: str


def content_of(props: SecretProperties) -> VersionContent:
    """What a version written for ``props``'s current token holds."""
    key_identity = json_key_identity(props.secret_string_key)
    if props.access_token is not None:
        return VersionContent("u", SUPPLIED_IDENTITY, key_identity)
    return VersionContent(
        "g", generated_identity(props.rotation_id, props.token_format, props.token_length), key_identity
    )


def version_id(content: VersionContent, kms_key_arn: str, request_digest: str, *, keeps_others: bool = False) -> str:
    kind = content.kind.upper() if keeps_others else content.kind
    return f"{PREFIX}{kind}{content.token_identity}{content.key_identity}{kms_digest(kms_key_arn)}{request_digest}"


def parse(value: str | None) -> ParsedVersion | None:
    """The fields of a provider-written VersionId; ``None`` for anyone else's."""
    scheme, body = (value[:6], value[6:]) if value else ("", "")
    kms_length = KMS_DIGEST_LENGTHS.get(scheme)
    if kms_length is None or len(body) != 1 + 16 + 16 + kms_length + 16:
        return None
    kind, kms_end = body[0], 33 + kms_length
    if kind.lower() not in ("g", "u") or (scheme == LEGACY_PREFIX and kind.isupper()):
        return None
    return ParsedVersion(
        scheme=scheme,
        content=VersionContent(kind.lower(), body[1:17], body[17:33]),
        adopted=kind.isupper(),
        kms_digest=body[33:kms_end] if kms_length else None,
        request_digest=body[kms_end:],
    )


def keeps_other_keys(value: str | None) -> bool:
    """Written for an adopted secret: later writes keep the other keys of its JSON document."""
    parsed = parse(value)
    return parsed is not None and parsed.adopted
