"""Secret version IDs that record what they hold, so no value has to be read to compare.

Every version the provider writes gets a ``ClientRequestToken`` (which becomes its VersionId)
of the form ``mtats2`` + kind + token identity + JSON-key identity + KMS key identity +
request digest:

* kind ``g``: a generated token; its identity is a digest of (RotationId, TokenFormat,
  TokenLength), none of which is secret. Rolling back a RotationId change finds the version
  that holds the earlier token by this identity and makes it current again.
* kind ``u``: a token supplied in the template; its identity is *not* derived from the token
  (a digest of a short token could be brute-forced by anyone allowed to DescribeSecret), so
  it is all zeros and supplied tokens are compared through the event's old properties.
* the kind in upper case (``G``, ``U``): the secret was adopted, and every write keeps the
  other keys of its JSON document (a hand-made secret may hold more than the token).
* JSON-key identity: a digest of ``SecretStringKey``.
* KMS key identity: 8 hex characters of a digest of the key ARN the template asked for when the
  version was written. This is the key MediaTailor was last told about (see
  :func:`access_token_secret.plan.keys.key_replaced`), and the key a version may be promoted
  under without re-encrypting it.
* request digest: the same for a redelivered event, so a duplicate request writes nothing new
  (Secrets Manager ignores a repeated token with the same value).

The result is 63 characters; Secrets Manager accepts 32-64. Releases before 1.1 wrote
``mtats1`` IDs (55 characters, no KMS key identity); they are still read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from .properties import SecretProperties

PREFIX: Final = "mtats2"
LEGACY_PREFIX: Final = "mtats1"
_SUPPLIED_IDENTITY: Final = "0" * 16
_KMS_DIGEST_LENGTH: Final = 8
_LEGACY_LENGTH: Final = len(LEGACY_PREFIX) + 1 + 16 * 3
_LENGTH: Final = len(PREFIX) + 1 + 16 * 2 + _KMS_DIGEST_LENGTH + 16


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def kms_digest(kms_key_arn: str) -> str:
    return _digest("kms", kms_key_arn)[:_KMS_DIGEST_LENGTH]


@dataclass(frozen=True)
class VersionContent:
    """What a provider-written version holds, as far as can be told without reading it."""

    kind: str
    token_identity: str
    key_identity: str

    @property
    def generated(self) -> bool:
        return self.kind == "g"


def content_of(props: SecretProperties) -> VersionContent:
    key_identity = _digest("key", props.secret_string_key)
    if props.access_token is not None:
        return VersionContent("u", _SUPPLIED_IDENTITY, key_identity)
    token_identity = _digest("gen", props.rotation_id, props.token_format.value, str(props.token_length))
    return VersionContent("g", token_identity, key_identity)


def version_id(content: VersionContent, kms_key_arn: str, request_digest: str, *, keeps_others: bool = False) -> str:
    kind = content.kind.upper() if keeps_others else content.kind
    return f"{PREFIX}{kind}{content.token_identity}{content.key_identity}{kms_digest(kms_key_arn)}{request_digest}"


def parse_version_id(value: str | None) -> VersionContent | None:
    """The content recorded in a provider-written VersionId; ``None`` for anyone else's."""
    if value is None or (value[: len(PREFIX)], len(value)) not in ((PREFIX, _LENGTH), (LEGACY_PREFIX, _LEGACY_LENGTH)):
        return None
    body = value[len(PREFIX) :]
    kind = body[0].lower() if value.startswith(PREFIX) else body[0]
    if kind not in ("g", "u"):
        return None
    return VersionContent(kind, body[1:17], body[17:33])


def keeps_other_keys(value: str | None) -> bool:
    """Written for an adopted secret: later writes keep the other keys of its JSON document."""
    return value is not None and parse_version_id(value) is not None and value[len(PREFIX)].isupper()


def recorded_kms_digest(value: str | None) -> str | None:
    """The KMS key identity a version was written for; ``None`` when it was not recorded
    (an earlier release's version, or one written by hand)."""
    if parse_version_id(value) is None or value is None or not value.startswith(PREFIX):
        return None
    start = len(PREFIX) + 1 + 32
    return value[start : start + _KMS_DIGEST_LENGTH]
