"""The resource's properties as a frozen, typed model, built once from the event.

CloudFormation sends every property value as a string, so each field is converted explicitly.
Validation collects every problem and reports them together; a message names the property,
never its value (the value might be the token).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from ..errors import InvalidPropertiesError
from ..tokens import (
    DEFAULT_LENGTH,
    MAX_LENGTH,
    MIN_LENGTH,
    UUID_LENGTH,
    AccessToken,
    TokenFormat,
    is_acceptable_token,
)
from .naming import TAG_PREFIX, name_problem

# Properties CloudFormation itself adds to every custom resource; not ours to validate.
CLOUDFORMATION_PROPERTIES: Final = frozenset({"ServiceToken", "ServiceTimeout"})
KNOWN_PROPERTIES: Final = (
    "KmsKeyId",
    "SecretStringKey",
    "AccessToken",
    "TokenFormat",
    "TokenLength",
    "RotationId",
    "NextRotationId",
    "NextAccessToken",
    "SecretName",
    "HeaderName",
    "Description",
    "Tags",
    "RecoveryWindowInDays",
    "ForceDeleteWithoutRecovery",
    "ReturnAccessToken",
    "AdoptExistingSecret",
)
MAX_SERVICE_TIMEOUT: Final = 3600  # CloudFormation's range for ServiceTimeout is 1-3600 s
MAX_USER_TAGS: Final = 50 - 2  # Secrets Manager allows 50; two carry the owner.
MAX_DESCRIPTION: Final = 2048
MAX_SECRET_STRING_KEY: Final = 128
DEFAULT_RECOVERY_WINDOW: Final = 7
# RFC 9110 field-name = token = 1*tchar
_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_RESERVED_HEADER_PREFIXES: Final = ("x-amz-", "x-amzn-")
# Secrets Manager tag characters: letters, digits, white space and + - = . _ : / @
_TAG_CHARS = re.compile(r"[\w\s+\-=.:/@]*")


@dataclass(frozen=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True)
class SecretProperties:
    """Validated properties. ``access_token`` is ``None`` when the provider generates one."""

    kms_key_id: str
    secret_string_key: str
    access_token: AccessToken | None = None
    token_format: TokenFormat = TokenFormat.ALPHANUMERIC
    token_length: int = DEFAULT_LENGTH
    rotation_id: str = ""
    # Staged rotation: the next token is kept under AWSPENDING until it is promoted.
    next_rotation_id: str = ""
    next_access_token: AccessToken | None = None
    secret_name: str | None = None
    header_name: str | None = None
    description: str = ""
    tags: tuple[Tag, ...] = field(default=())
    recovery_window_in_days: int = DEFAULT_RECOVERY_WINDOW
    force_delete_without_recovery: bool = False
    return_access_token: bool = False
    adopt_existing_secret: bool = False

    @property
    def generated(self) -> bool:
        return self.access_token is None

    @property
    def stages_next_token(self) -> bool:
        """A next token differs from the current one, so it is kept pending."""
        if self.access_token is not None:
            return self.next_access_token is not None and self.next_access_token != self.access_token
        return bool(self.next_rotation_id) and self.next_rotation_id != self.rotation_id

    def tag_map(self) -> dict[str, str]:
        return {tag.key: tag.value for tag in self.tags}


@dataclass(frozen=True)
class DeletionOptions:
    """What Delete needs; read leniently because Delete must never fail on bad properties."""

    recovery_window_in_days: int = DEFAULT_RECOVERY_WINDOW
    force_delete_without_recovery: bool = False


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)


def _as_text(raw: object) -> str | None:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (str, int)):
        return str(raw)
    return None


def _parse_bool(raw: object) -> bool | None:
    text = _as_text(raw)
    if text is None or text.lower() not in ("true", "false"):
        return None
    return text.lower() == "true"


def _parse_int(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    text = _as_text(raw)
    if text is None or not re.fullmatch(r"[+-]?\d{1,6}", text.strip()):
        return None
    return int(text)


def _bounded_int(
    raw: Mapping[str, object], name: str, problems: _Problems, *, low: int, high: int, default: int
) -> int:
    value = raw.get(name)
    if value is None:
        return default
    number = _parse_int(value)
    if number is None or not low <= number <= high:
        problems.add(f"{name} must be a whole number from {low} to {high}")
        return default
    return number


def _flag(raw: Mapping[str, object], name: str, problems: _Problems) -> bool:
    value = raw.get(name)
    if value is None:
        return False
    parsed = _parse_bool(value)
    if parsed is None:
        problems.add(f"{name} must be true or false")
        return False
    return parsed


def _text(
    raw: Mapping[str, object],
    name: str,
    problems: _Problems,
    *,
    check: Callable[[str], str | None] = lambda _: None,
) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    text = _as_text(value)
    if text is None:
        problems.add(f"{name} must be a string")
        return None
    problem = check(text)
    if problem:
        problems.add(problem)
        return None
    return text


def _check_kms_key_id(text: str) -> str | None:
    if not 1 <= len(text) <= 2048 or any(ch.isspace() for ch in text):
        return "KmsKeyId must be a key ID, key ARN, alias name or alias ARN"
    return None


def _check_secret_string_key(text: str) -> str | None:
    if not 1 <= len(text) <= MAX_SECRET_STRING_KEY or not text.isprintable():
        return f"SecretStringKey must be 1-{MAX_SECRET_STRING_KEY} printable characters"
    return None


def _check_header_name(text: str) -> str | None:
    if not _HTTP_TOKEN.fullmatch(text) or len(text) > 256:
        return "HeaderName must be a valid HTTP header name (RFC 9110 token, at most 256 characters)"
    if text.lower().startswith(_RESERVED_HEADER_PREFIXES):
        return "HeaderName must not start with x-amz- or x-amzn- (MediaTailor reserves them)"
    return None


def _check_description(text: str) -> str | None:
    return None if len(text) <= MAX_DESCRIPTION else f"Description must be at most {MAX_DESCRIPTION} characters"


def _check_rotation_id(text: str) -> str | None:
    return None if len(text) <= 1024 else "RotationId must be at most 1024 characters"


def _check_next_rotation_id(text: str) -> str | None:
    return None if len(text) <= 1024 else "NextRotationId must be at most 1024 characters"


def _access_token(raw: Mapping[str, object], problems: _Problems, name: str = "AccessToken") -> AccessToken | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(f"{name} must be a string")
        return None
    if value.startswith("{{resolve:"):
        problems.add(
            f"{name}: dynamic references are not resolved in custom resource properties; "
            "pass the token through a NoEcho parameter"
        )
        return None
    if not is_acceptable_token(value):
        problems.add(f"{name} must be {MIN_LENGTH}-{MAX_LENGTH} visible ASCII characters (no spaces)")
        return None
    return AccessToken(value)


def _token_format(raw: Mapping[str, object], problems: _Problems) -> TokenFormat:
    value = raw.get("TokenFormat")
    if value is None:
        return TokenFormat.ALPHANUMERIC
    for candidate in TokenFormat:
        if isinstance(value, str) and value.lower() == candidate.value.lower():
            return candidate
    problems.add("TokenFormat must be Alphanumeric or Uuid")
    return TokenFormat.ALPHANUMERIC


def _tag_problem(key: str, value: str) -> str | None:
    if not 1 <= len(key) <= 128 or len(value) > 256:
        return "Tags: each Key must be 1-128 characters and each Value at most 256"
    if key.lower().startswith("aws:"):
        return "Tags: keys must not start with aws: (reserved by AWS)"
    if key.startswith(TAG_PREFIX):
        return f"Tags: keys starting with {TAG_PREFIX} are reserved by this provider"
    if not (_TAG_CHARS.fullmatch(key) and _TAG_CHARS.fullmatch(value)):
        return "Tags: use letters, digits, spaces and + - = . _ : / @ only"
    return None


def _tags(raw: Mapping[str, object], problems: _Problems) -> tuple[Tag, ...]:
    value = raw.get("Tags")
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add("Tags must be a list of {Key, Value}")
        return ()
    tags: list[Tag] = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"Key", "Value"}:
            problems.add("Tags must be a list of {Key, Value}")
            return ()
        key, text = _as_text(item["Key"]), _as_text(item["Value"])
        if key is None or text is None:
            problems.add("Tags: Key and Value must be strings")
            return ()
        problem = _tag_problem(key, text)
        if problem:
            problems.add(problem)
            return ()
        tags.append(Tag(key, text))
    keys = [tag.key for tag in tags]
    if len(set(keys)) != len(keys):
        problems.add("Tags: each Key may appear only once")
    if len(tags) > MAX_USER_TAGS:
        problems.add(f"Tags: at most {MAX_USER_TAGS} tags (Secrets Manager allows 50; the provider uses 2)")
    return tuple(tags)


def _unknown(raw: Mapping[str, object], problems: _Problems) -> None:
    unknown = sorted(set(raw) - set(KNOWN_PROPERTIES) - CLOUDFORMATION_PROPERTIES)
    if unknown:
        listed = ", ".join(name[:40] for name in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        problems.add(f"Unknown properties: {listed}{more} (check the spelling)")


def _combinations(raw: Mapping[str, object], problems: _Problems) -> None:
    if raw.get("AccessToken") is not None:
        given = [
            name for name in ("TokenFormat", "TokenLength", "RotationId", "NextRotationId") if raw.get(name) is not None
        ]
        if len(given) == 1:
            problems.add(f"{given[0]} applies only to generated tokens; remove it or AccessToken")
        elif given:
            problems.add(f"{', '.join(given)} apply only to generated tokens; remove them or AccessToken")
    elif raw.get("NextAccessToken") is not None:
        problems.add("NextAccessToken stages the next supplied token; it needs AccessToken (or use NextRotationId)")
    if raw.get("TokenLength") is not None and str(raw.get("TokenFormat", "")).lower() == "uuid":
        problems.add("TokenLength does not apply to TokenFormat Uuid (always 36 characters)")
    if raw.get("RecoveryWindowInDays") is not None and _parse_bool(raw.get("ForceDeleteWithoutRecovery")):
        problems.add("Set RecoveryWindowInDays or ForceDeleteWithoutRecovery: true, not both")


def _reason(problems: list[str]) -> str:
    return "Invalid properties: " + "; ".join(problems)


def parse_properties(raw: object, *, name_prefix: str) -> SecretProperties:
    """Validate ``ResourceProperties``; raise :class:`InvalidPropertiesError` listing all problems."""
    if not isinstance(raw, Mapping):
        raise InvalidPropertiesError("Invalid properties: ResourceProperties must be an object")
    problems = _Problems()
    _unknown(raw, problems)
    kms_key_id = _text(raw, "KmsKeyId", problems, check=_check_kms_key_id)
    if raw.get("KmsKeyId") is None:
        problems.add("KmsKeyId is required")
    secret_string_key = _text(raw, "SecretStringKey", problems, check=_check_secret_string_key)
    if raw.get("SecretStringKey") is None:
        problems.add("SecretStringKey is required")
    access_token = _access_token(raw, problems)
    token_format = _token_format(raw, problems)
    token_length = _bounded_int(raw, "TokenLength", problems, low=MIN_LENGTH, high=MAX_LENGTH, default=DEFAULT_LENGTH)
    rotation_id = _text(raw, "RotationId", problems, check=_check_rotation_id) or ""
    next_rotation_id = _text(raw, "NextRotationId", problems, check=_check_next_rotation_id) or ""
    next_access_token = _access_token(raw, problems, "NextAccessToken")
    secret_name = _text(raw, "SecretName", problems, check=lambda name: name_problem(name, name_prefix))
    header_name = _text(raw, "HeaderName", problems, check=_check_header_name)
    description = _text(raw, "Description", problems, check=_check_description) or ""
    tags = _tags(raw, problems)
    window = _bounded_int(raw, "RecoveryWindowInDays", problems, low=7, high=30, default=DEFAULT_RECOVERY_WINDOW)
    force = _flag(raw, "ForceDeleteWithoutRecovery", problems)
    return_token = _flag(raw, "ReturnAccessToken", problems)
    adopt = _flag(raw, "AdoptExistingSecret", problems)
    if adopt and raw.get("SecretName") is None:
        problems.add("AdoptExistingSecret needs SecretName: the name of the secret to adopt")
    # CloudFormation's own property; the adapter's timer reads it (see adapter.envelope).
    _bounded_int(raw, "ServiceTimeout", problems, low=1, high=MAX_SERVICE_TIMEOUT, default=MAX_SERVICE_TIMEOUT)
    _combinations(raw, problems)
    if problems.items or kms_key_id is None or secret_string_key is None:
        raise InvalidPropertiesError(_reason(problems.items))
    return SecretProperties(
        kms_key_id=kms_key_id,
        secret_string_key=secret_string_key,
        access_token=access_token,
        token_format=token_format,
        token_length=UUID_LENGTH if token_format is TokenFormat.UUID else token_length,
        rotation_id=rotation_id,
        next_rotation_id=next_rotation_id,
        next_access_token=next_access_token,
        secret_name=secret_name,
        header_name=header_name,
        description=description,
        tags=tags,
        recovery_window_in_days=window,
        force_delete_without_recovery=force,
        return_access_token=return_token,
        adopt_existing_secret=adopt,
    )


def try_parse_properties(raw: object, *, name_prefix: str) -> SecretProperties | None:
    """The old properties of an Update: useful when valid, ignored when not."""
    try:
        return parse_properties(raw, name_prefix=name_prefix)
    except InvalidPropertiesError:
        return None


def service_timeout(raw: object) -> int | None:
    """CloudFormation's ``ServiceTimeout`` (1-3600 s), read the way the model validates it;
    ``None`` when absent or unreadable (the model then reports it). The adapter arms its timer
    with it before the rest of the properties are checked."""
    value = raw.get("ServiceTimeout") if isinstance(raw, Mapping) else None
    seconds = _parse_int(value) if value is not None else None
    return seconds if seconds is not None and 1 <= seconds <= MAX_SERVICE_TIMEOUT else None


def parse_deletion_options(raw: object) -> DeletionOptions:
    """Best effort: an unreadable value falls back to the safe default (7-day recovery)."""
    if not isinstance(raw, Mapping):
        return DeletionOptions()
    force = _parse_bool(raw.get("ForceDeleteWithoutRecovery")) or False
    window = _parse_int(raw.get("RecoveryWindowInDays")) if raw.get("RecoveryWindowInDays") is not None else None
    if window is None or not 7 <= window <= 30:
        window = DEFAULT_RECOVERY_WINDOW
    return DeletionOptions(recovery_window_in_days=window, force_delete_without_recovery=force)
