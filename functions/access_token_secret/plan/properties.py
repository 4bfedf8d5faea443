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

MIN_RECOVERY_WINDOW: Final = 7  # Secrets Manager's RecoveryWindowInDays range is 7-30
MAX_RECOVERY_WINDOW: Final = 30
DEFAULT_RECOVERY_WINDOW: Final = MIN_RECOVERY_WINDOW
MAX_USER_TAGS: Final = 50 - 2  # Secrets Manager allows 50; two carry the owner.
MAX_TAG_KEY: Final = 128  # Secrets Manager's tag limits
MAX_TAG_VALUE: Final = 256
MAX_DESCRIPTION: Final = 2048  # Secrets Manager's Description limit
MAX_SECRET_STRING_KEY: Final = 128
MAX_KMS_KEY_ID: Final = 2048  # Secrets Manager's KmsKeyId limit
MAX_ROTATION_ID: Final = 1024  # ours: kept in a version label digest, never sent as is
MAX_HEADER_NAME: Final = 256
# Unknown property names listed in a Reason, and how much of each (they are user input).
LISTED_UNKNOWN: Final = 5
LISTED_NAME_CHARS: Final = 40
_NUMBER = re.compile(r"[+-]?\d{1,6}")
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
    """The problems found so far, and what a check needs to know beyond the value."""

    def __init__(self, name_prefix: str = "") -> None:
        self.items: list[str] = []
        self.name_prefix = name_prefix

    def add(self, message: str) -> None:
        self.items.append(message)


# A parser gets the property's name and its value (never None: absent is handled by the
# table) and returns the converted value, or None after adding a problem that names the
# property, never the value.
Parser = Callable[[str, object, _Problems], object]
# A check on a string value: a problem (naming the property, not the value) or None.
Check = Callable[[str, str, _Problems], str | None]


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
    if text is None or not _NUMBER.fullmatch(text.strip()):
        return None
    return int(text)


def in_range(raw: object, low: int, high: int) -> int | None:
    """A whole number from ``low`` to ``high``, or None (absent, unreadable or out of range)."""
    number = _parse_int(raw) if raw is not None else None
    return number if number is not None and low <= number <= high else None


def _whole_number(low: int, high: int) -> Parser:
    def parse(name: str, value: object, problems: _Problems) -> int | None:
        number = in_range(value, low, high)
        if number is None:
            problems.add(f"{name} must be a whole number from {low} to {high}")
        return number

    return parse


def _boolean(name: str, value: object, problems: _Problems) -> bool | None:
    parsed = _parse_bool(value)
    if parsed is None:
        problems.add(f"{name} must be true or false")
    return parsed


def _text(check: Check | None = None) -> Parser:
    def parse(name: str, value: object, problems: _Problems) -> str | None:
        text = _as_text(value)
        if text is None:
            problems.add(f"{name} must be a string")
            return None
        problem = check(name, text, problems) if check is not None else None
        if problem:
            problems.add(problem)
            return None
        return text

    return parse


def _at_most(limit: int) -> Check:
    def check(name: str, text: str, problems: _Problems) -> str | None:
        return None if len(text) <= limit else f"{name} must be at most {limit} characters"

    return check


def _check_kms_key_id(name: str, text: str, problems: _Problems) -> str | None:
    if not 1 <= len(text) <= MAX_KMS_KEY_ID or any(ch.isspace() for ch in text):
        return f"{name} must be a key ID, key ARN, alias name or alias ARN"
    return None


def _check_secret_string_key(name: str, text: str, problems: _Problems) -> str | None:
    if not 1 <= len(text) <= MAX_SECRET_STRING_KEY or not text.isprintable():
        return f"{name} must be 1-{MAX_SECRET_STRING_KEY} printable characters"
    return None


def _check_secret_name(name: str, text: str, problems: _Problems) -> str | None:
    return name_problem(text, problems.name_prefix)


def _check_header_name(name: str, text: str, problems: _Problems) -> str | None:
    if not _HTTP_TOKEN.fullmatch(text) or len(text) > MAX_HEADER_NAME:
        return f"{name} must be a valid HTTP header name (RFC 9110 token, at most {MAX_HEADER_NAME} characters)"
    if text.lower().startswith(_RESERVED_HEADER_PREFIXES):
        return f"{name} must not start with x-amz- or x-amzn- (MediaTailor reserves them)"
    return None


def _access_token(name: str, value: object, problems: _Problems) -> AccessToken | None:
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


def _token_format(name: str, value: object, problems: _Problems) -> TokenFormat | None:
    for candidate in TokenFormat:
        if isinstance(value, str) and value.lower() == candidate.value.lower():
            return candidate
    problems.add(f"{name} must be {' or '.join(candidate.value for candidate in TokenFormat)}")
    return None


def _tag_problem(key: str, value: str) -> str | None:
    if not 1 <= len(key) <= MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
        return f"Tags: each Key must be 1-{MAX_TAG_KEY} characters and each Value at most {MAX_TAG_VALUE}"
    if key.lower().startswith("aws:"):
        return "Tags: keys must not start with aws: (reserved by AWS)"
    if key.startswith(TAG_PREFIX):
        return f"Tags: keys starting with {TAG_PREFIX} are reserved by this provider"
    if not (_TAG_CHARS.fullmatch(key) and _TAG_CHARS.fullmatch(value)):
        return "Tags: use letters, digits, spaces and + - = . _ : / @ only"
    return None


def _tags(name: str, value: object, problems: _Problems) -> tuple[Tag, ...] | None:
    if not isinstance(value, list):
        problems.add("Tags must be a list of {Key, Value}")
        return None
    tags: list[Tag] = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"Key", "Value"}:
            problems.add("Tags must be a list of {Key, Value}")
            return None
        key, text = _as_text(item["Key"]), _as_text(item["Value"])
        if key is None or text is None:
            problems.add("Tags: Key and Value must be strings")
            return None
        problem = _tag_problem(key, text)
        if problem:
            problems.add(problem)
            return None
        tags.append(Tag(key, text))
    keys = [tag.key for tag in tags]
    if len(set(keys)) != len(keys):
        problems.add("Tags: each Key may appear only once")
    if len(tags) > MAX_USER_TAGS:
        problems.add(f"Tags: at most {MAX_USER_TAGS} tags (Secrets Manager allows 50; the provider uses 2)")
    return tuple(tags)


NO_INTERRUPTION: Final = "No interruption"
REPLACEMENT: Final = "**Replacement**"


@dataclass(frozen=True)
class Field:
    """One property: how it is read, and what docs/reference.md's Properties table says of it
    (``tests/test_distribution.py`` compares the two)."""

    name: str  # as in the template
    attribute: str  # on SecretProperties
    parse: Parser
    type: str  # the reference's Type column
    update: str  # the reference's Update behaviour column
    required: bool = False


_TEXT_AT_MOST = "String, at most {:,} characters"
_TOKEN_TYPE = f"String, {MIN_LENGTH}-{MAX_LENGTH} visible ASCII characters (no spaces)"
_FLAG_TYPE = "`true` \\| `false`"
_FROM_NEXT_TOKEN = f"{NO_INTERRUPTION}; applies from the next generated token (the current one is kept)"

# The properties, in the order their problems are reported.
FIELDS: Final = (
    Field(
        "KmsKeyId",
        "kms_key_id",
        _text(_check_kms_key_id),
        "String",
        f"{REPLACEMENT} (generated name); fails with an unchanged explicit `SecretName`",
        required=True,
    ),
    Field(
        "SecretStringKey",
        "secret_string_key",
        _text(_check_secret_string_key),
        f"String, 1-{MAX_SECRET_STRING_KEY} printable characters",
        NO_INTERRUPTION,
        required=True,
    ),
    Field("AccessToken", "access_token", _access_token, _TOKEN_TYPE, NO_INTERRUPTION),
    Field(
        "TokenFormat",
        "token_format",
        _token_format,
        " \\| ".join(f"`{candidate.value}`" for candidate in TokenFormat),
        _FROM_NEXT_TOKEN,
    ),
    Field(
        "TokenLength",
        "token_length",
        _whole_number(MIN_LENGTH, MAX_LENGTH),
        f"Integer {MIN_LENGTH}-{MAX_LENGTH}",
        _FROM_NEXT_TOKEN,
    ),
    Field(
        "RotationId",
        "rotation_id",
        _text(_at_most(MAX_ROTATION_ID)),
        _TEXT_AT_MOST.format(MAX_ROTATION_ID),
        NO_INTERRUPTION,
    ),
    Field(
        "NextRotationId",
        "next_rotation_id",
        _text(_at_most(MAX_ROTATION_ID)),
        _TEXT_AT_MOST.format(MAX_ROTATION_ID),
        NO_INTERRUPTION,
    ),
    Field("NextAccessToken", "next_access_token", _access_token, _TOKEN_TYPE, NO_INTERRUPTION),
    Field("SecretName", "secret_name", _text(_check_secret_name), "String", REPLACEMENT),
    Field(
        "HeaderName", "header_name", _text(_check_header_name), _TEXT_AT_MOST.format(MAX_HEADER_NAME), NO_INTERRUPTION
    ),
    Field(
        "Description",
        "description",
        _text(_at_most(MAX_DESCRIPTION)),
        _TEXT_AT_MOST.format(MAX_DESCRIPTION),
        NO_INTERRUPTION,
    ),
    Field("Tags", "tags", _tags, "List of `{Key, Value}`", NO_INTERRUPTION),
    Field(
        "RecoveryWindowInDays",
        "recovery_window_in_days",
        _whole_number(MIN_RECOVERY_WINDOW, MAX_RECOVERY_WINDOW),
        f"Integer {MIN_RECOVERY_WINDOW}-{MAX_RECOVERY_WINDOW}",
        NO_INTERRUPTION,
    ),
    Field("ForceDeleteWithoutRecovery", "force_delete_without_recovery", _boolean, _FLAG_TYPE, NO_INTERRUPTION),
    Field("ReturnAccessToken", "return_access_token", _boolean, _FLAG_TYPE, NO_INTERRUPTION),
    Field("AdoptExistingSecret", "adopt_existing_secret", _boolean, _FLAG_TYPE, NO_INTERRUPTION),
)
KNOWN_PROPERTIES: Final = tuple(field.name for field in FIELDS)
_GENERATED_ONLY: Final = ("TokenFormat", "TokenLength", "RotationId", "NextRotationId")


def _unknown(raw: Mapping[str, object], problems: _Problems) -> None:
    unknown = sorted(set(raw) - set(KNOWN_PROPERTIES))
    if unknown:
        listed = ", ".join(name[:LISTED_NAME_CHARS] for name in unknown[:LISTED_UNKNOWN])
        more = f" and {len(unknown) - LISTED_UNKNOWN} more" if len(unknown) > LISTED_UNKNOWN else ""
        problems.add(f"Unknown properties: {listed}{more} (check the spelling)")


def _read(fields: tuple[Field, ...], raw: Mapping[str, object], problems: _Problems) -> dict[str, object]:
    """The present fields' values, by attribute; a required field that is absent is a problem."""
    values: dict[str, object] = {}
    for item in fields:
        value = raw.get(item.name)
        if value is None:
            if item.required:
                problems.add(f"{item.name} is required")
            continue
        parsed = item.parse(item.name, value, problems)
        if parsed is not None:
            values[item.attribute] = parsed
    return values


def _combinations(raw: Mapping[str, object], values: Mapping[str, object], problems: _Problems) -> None:
    """Rules between fields, on the values already read (presence is the raw property's)."""
    if raw.get("AccessToken") is not None:
        given = [name for name in _GENERATED_ONLY if raw.get(name) is not None]
        if len(given) == 1:
            problems.add(f"{given[0]} applies only to generated tokens; remove it or AccessToken")
        elif given:
            problems.add(f"{', '.join(given)} apply only to generated tokens; remove them or AccessToken")
    elif raw.get("NextAccessToken") is not None:
        problems.add("NextAccessToken stages the next supplied token; it needs AccessToken (or use NextRotationId)")
    if raw.get("TokenLength") is not None and values.get("token_format") is TokenFormat.UUID:
        problems.add(f"TokenLength does not apply to TokenFormat Uuid (always {UUID_LENGTH} characters)")
    if raw.get("RecoveryWindowInDays") is not None and values.get("force_delete_without_recovery") is True:
        problems.add("Set RecoveryWindowInDays or ForceDeleteWithoutRecovery: true, not both")


def _reason(problems: list[str]) -> str:
    return "Invalid properties: " + "; ".join(problems)


def parse_properties(raw: object, *, name_prefix: str, also: tuple[str, ...] = ()) -> SecretProperties:
    """Validate the resource's own properties (the adapter strips CloudFormation's and passes
    its problems with them as ``also``); raise :class:`InvalidPropertiesError` listing all."""
    if not isinstance(raw, Mapping):
        raise InvalidPropertiesError("Invalid properties: ResourceProperties must be an object")
    problems = _Problems(name_prefix)
    _unknown(raw, problems)
    values = _read(FIELDS, raw, problems)
    if values.get("adopt_existing_secret") is True and raw.get("SecretName") is None:
        problems.add("AdoptExistingSecret needs SecretName: the name of the secret to adopt")
    problems.items.extend(also)
    _combinations(raw, values, problems)
    if problems.items:
        raise InvalidPropertiesError(_reason(problems.items))
    if values.get("token_format") is TokenFormat.UUID:
        values["token_length"] = UUID_LENGTH
    return SecretProperties(**values)  # type: ignore[arg-type]  # the table's parsers give each attribute its type


def parse_deletion_options(raw: object) -> DeletionOptions:
    """Best effort: an unreadable value falls back to the safe default (7-day recovery)."""
    if not isinstance(raw, Mapping):
        return DeletionOptions()
    force = _parse_bool(raw.get("ForceDeleteWithoutRecovery")) or False
    window = in_range(raw.get("RecoveryWindowInDays"), MIN_RECOVERY_WINDOW, MAX_RECOVERY_WINDOW)
    return DeletionOptions(
        recovery_window_in_days=window or DEFAULT_RECOVERY_WINDOW, force_delete_without_recovery=force
    )
