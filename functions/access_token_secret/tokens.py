"""The access token as a value that cannot leak by accident (``repr``/``str``/f-strings/logging show a mask,
so anything carrying one can be logged), and how new ones are made. Only :meth:`AccessToken.reveal` gives
the value, where it must go to AWS or (with ``ReturnAccessToken``) to CloudFormation."""

from __future__ import annotations

import secrets
import string
import uuid
from enum import Enum
from typing import Final

MIN_LENGTH: Final = 8
MAX_LENGTH: Final = 128
DEFAULT_LENGTH: Final = 32
UUID_LENGTH: Final = 36  # a UUID in its canonical text form
_ALPHANUMERIC: Final = string.ascii_letters + string.digits


class TokenFormat(Enum):
    ALPHANUMERIC = "Alphanumeric"
    UUID = "Uuid"


class AccessToken:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "AccessToken(****)"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AccessToken):
            return NotImplemented
        return secrets.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("AccessToken", self._value))


def is_acceptable_token(value: str) -> bool:
    """MediaTailor sends the token as an HTTP header value: 8-128 visible ASCII characters."""
    return MIN_LENGTH <= len(value) <= MAX_LENGTH and all("!" <= ch <= "~" for ch in value)


def generate_token(token_format: TokenFormat, length: int = DEFAULT_LENGTH) -> AccessToken:
    """A fresh token from the operating system's CSPRNG (the ``secrets`` module)."""
    if token_format is TokenFormat.UUID:
        return AccessToken(str(uuid.UUID(bytes=secrets.token_bytes(16), version=4)))
    return AccessToken("".join(secrets.choice(_ALPHANUMERIC) for _ in range(length)))
