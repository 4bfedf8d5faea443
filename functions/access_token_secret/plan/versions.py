"""Secret version IDs that record what they hold, so no value has to be read to compare.

Every version the provider writes gets a ``ClientRequestToken`` (which becomes its VersionId)
of the form ``mtats1`` + kind + token identity + key identity + request digest:

* kind ``g``: a generated token; its identity is a digest of (RotationId, TokenFormat,
  TokenLength), none of which is secret. Rolling back a RotationId change finds the version
  that holds the earlier token by this identity and makes it current again.
* kind ``u``: a token supplied in the template; its identity is *not* derived from the token
  (a digest of a short token could be brute-forced by anyone allowed to DescribeSecret), so
  it is all zeros and supplied tokens are compared through the event's old properties.
* key identity: a digest of ``SecretStringKey``.
* request digest: the same for a redelivered event, so a duplicate request writes nothing new
  (Secrets Manager ignores a repeated token with the same value).

The result is 55 characters; Secrets Manager accepts 32-64.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from .properties import SecretProperties

PREFIX: Final = "mtats1"
_SUPPLIED_IDENTITY: Final = "0" * 16
_LENGTH: Final = len(PREFIX) + 1 + 16 * 3


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


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


def version_id(content: VersionContent, request_digest: str) -> str:
    return f"{PREFIX}{content.kind}{content.token_identity}{content.key_identity}{request_digest}"


def parse_version_id(value: str | None) -> VersionContent | None:
    """The content recorded in a provider-written VersionId; ``None`` for anyone else's."""
    if value is None or len(value) != _LENGTH or not value.startswith(PREFIX):
        return None
    body = value[len(PREFIX) :]
    kind = body[0]
    if kind not in ("g", "u"):
        return None
    return VersionContent(kind, body[1:17], body[17:33])
