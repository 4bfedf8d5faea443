"""The resource's properties as a frozen, typed model, built once from the event.

CloudFormation sends every property value as a string, so each field is converted explicitly.
Validation collects every problem and reports them together; a message names the property,
never its value (the value might be the token).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from ..errors import InvalidPropertiesError
from ..tokens import DEFAULT_LENGTH, MAX_LENGTH, MIN_LENGTH, UUID_LENGTH, AccessToken, TokenFormat, is_acceptable_token
from .naming import TAG_PREFIX, name_problem

MIN_RECOVERY_WINDOW: Final = 7  # Secrets Manager's RecoveryWindowInDays range is 7-30
MAX_RECOVERY_WINDOW: Final = 30
MAX_USER_TAGS: Final = 50 - 2  # Secrets Manager allows 50; two carry the owner.
MAX_TAG_KEY: Final = 128  # Secrets Manager's tag limits
MAX_TAG_VALUE: Final = 256
MAX_SECRET_STRING_KEY: Final = 128
MAX_KMS_KEY_ID: Final = 2048  # Secrets Manager's KmsKeyId limit
MAX_ROTATION_ID: Final = 1024  # ours: kept in a version label digest, never sent as is
MAX_HEADER_NAME: Final = 256
# Unknown property names listed in a Reason, and how much of each (they are user input).
LISTED_UNKNOWN: Final = 5
LISTED_NAME_CHARS: Final = 40
_NUMBER = re.compile(r"[+-]?\d{1,6}")
_HTTP_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field-name = token = 1*tchar
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
    tags: tuple[Tag, ...] = ()
    recovery_window_in_days: int = MIN_RECOVERY_WINDOW
    force_delete_without_recovery: bool = False
    return_access_token: bool = False
    adopt_existing_secret: bool = False

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

    recovery_window_in_days: int = MIN_RECOVERY_WINDOW
    force_delete_without_recovery: bool = False


class _PropertyError(ValueError):
    """One property's problem; the message names the property, never its value."""


# A parser gets the property's name, its value (never None: absent is the table's business) and
# the provider's SecretNamePrefix, and returns the converted value, or raises _PropertyError.
Parser = Callable[[str, object, str], object]


def _as_text(raw: object) -> str | None:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw) if isinstance(raw, (str, int)) else None


def _parse_bool(raw: object) -> bool | None:
    text = (_as_text(raw) or "").lower()
    return text == "true" if text in ("true", "false") else None


def in_range(raw: object, low: int, high: int) -> int | None:
    """A whole number from ``low`` to ``high``, or None (absent, unreadable or out of range)."""
    text = None if isinstance(raw, bool) else _as_text(raw)
    number = int(text) if text is not None and _NUMBER.fullmatch(text.strip()) else None
    return number if number is not None and low <= number <= high else None


def _boolean(name: str, value: object, _prefix: str) -> bool:
    parsed = _parse_bool(value)
    if parsed is None:
        raise _PropertyError(f"{name} must be true or false")
    return parsed


def _string(name: str, value: object) -> str:
    text = _as_text(value)
    if text is None:
        raise _PropertyError(f"{name} must be a string")
    return text


def _text(*rules: tuple[Callable[[str], bool], str]) -> Parser:
    """A string that every rule's test accepts; otherwise "<name> must <the rule's words>"."""

    def parse(name: str, value: object, _prefix: str) -> str:
        text = _string(name, value)
        for valid, must in rules:
            if not valid(text):
                raise _PropertyError(f"{name} must {must}")
        return text

    return parse


def _secret_name(name: str, value: object, prefix: str) -> str:
    text = _string(name, value)
    if problem := name_problem(text, prefix):
        raise _PropertyError(problem)
    return text


def _access_token(name: str, value: object, _prefix: str) -> AccessToken:
    if not isinstance(value, str):
        raise _PropertyError(f"{name} must be a string")
    if value.startswith("{{resolve:"):
        raise _PropertyError(
            f"{name}: dynamic references are not resolved in custom resource properties; "
            "pass the token through a NoEcho parameter"
        )
    if not is_acceptable_token(value):
        raise _PropertyError(f"{name} must be {MIN_LENGTH}-{MAX_LENGTH} visible ASCII characters (no spaces)")
    return AccessToken(value)


def _token_format(name: str, value: object, _prefix: str) -> TokenFormat:
    text = value.lower() if isinstance(value, str) else None
    found = next((candidate for candidate in TokenFormat if candidate.value.lower() == text), None)
    if found is None:
        raise _PropertyError(f"{name} must be {' or '.join(candidate.value for candidate in TokenFormat)}")
    return found


def _tag(item: object) -> Tag:
    if not isinstance(item, dict) or set(item) != {"Key", "Value"}:
        raise _PropertyError("Tags must be a list of {Key, Value}")
    key, value = _as_text(item["Key"]), _as_text(item["Value"])
    if key is None or value is None:
        raise _PropertyError("Tags: Key and Value must be strings")
    if not 1 <= len(key) <= MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
        raise _PropertyError(
            f"Tags: each Key must be 1-{MAX_TAG_KEY} characters and each Value at most {MAX_TAG_VALUE}"
        )
    if key.lower().startswith("aws:"):
        raise _PropertyError("Tags: keys must not start with aws: (reserved by AWS)")
    if key.startswith(TAG_PREFIX):
        raise _PropertyError(f"Tags: keys starting with {TAG_PREFIX} are reserved by this provider")
    if not (_TAG_CHARS.fullmatch(key) and _TAG_CHARS.fullmatch(value)):
        raise _PropertyError("Tags: use letters, digits, spaces and + - = . _ : / @ only")
    return Tag(key, value)


def _tags(name: str, value: object, _prefix: str) -> tuple[Tag, ...]:
    if not isinstance(value, list):
        raise _PropertyError("Tags must be a list of {Key, Value}")
    tags = tuple(_tag(item) for item in value)
    problems = ["Tags: each Key may appear only once"] if len({tag.key for tag in tags}) != len(tags) else []
    if len(tags) > MAX_USER_TAGS:
        problems.append(f"Tags: at most {MAX_USER_TAGS} tags (Secrets Manager allows 50; the provider uses 2)")
    if problems:
        raise _PropertyError("; ".join(problems))
    return tags


NO_INTERRUPTION: Final = "No interruption"
REPLACEMENT: Final = "**Replacement**"


@dataclass(frozen=True)
class Field:
    """One property: how it is read, and its cells in the reference's Properties table."""

    name: str  # as in the template
    parse: Parser
    type: str
    update: str = NO_INTERRUPTION
    required: bool = False

    @property
    def attribute(self) -> str:
        """The name on :class:`SecretProperties`: ``KmsKeyId`` -> ``kms_key_id``."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.name).lower()


def _at_most(name: str, limit: int, parse: Parser | None = None) -> Field:
    parse = parse or _text((lambda text: len(text) <= limit, f"be at most {limit} characters"))
    return Field(name, parse, f"String, at most {limit:,} characters")


def _integer(name: str, low: int, high: int, update: str = NO_INTERRUPTION) -> Field:
    def parse(name: str, value: object, _prefix: str) -> int:
        number = in_range(value, low, high)
        if number is None:
            raise _PropertyError(f"{name} must be a whole number from {low} to {high}")
        return number

    return Field(name, parse, f"Integer {low}-{high}", update)


_TOKEN_TYPE = f"String, {MIN_LENGTH}-{MAX_LENGTH} visible ASCII characters (no spaces)"
_FLAG_TYPE = "`true` \\| `false`"
_NEW_SECRET_UNLESS_NAMED = f"{REPLACEMENT} (generated name); fails with an unchanged explicit `SecretName`"
_FROM_NEXT_TOKEN = f"{NO_INTERRUPTION}; applies from the next generated token (the current one is kept)"
_KMS_KEY_ID = (
    lambda text: 1 <= len(text) <= MAX_KMS_KEY_ID and not any(ch.isspace() for ch in text),
    "be a key ID, key ARN, alias name or alias ARN",
)
_JSON_KEY = (
    lambda text: 1 <= len(text) <= MAX_SECRET_STRING_KEY and text.isprintable(),
    f"be 1-{MAX_SECRET_STRING_KEY} printable characters",
)
_HEADER_NAME = (
    (
        lambda text: bool(_HTTP_TOKEN.fullmatch(text)) and len(text) <= MAX_HEADER_NAME,
        f"be a valid HTTP header name (RFC 9110 token, at most {MAX_HEADER_NAME} characters)",
    ),
    (
        lambda text: not text.lower().startswith(("x-amz-", "x-amzn-")),
        "not start with x-amz- or x-amzn- (MediaTailor reserves them)",
    ),
)

# The properties, in the order their problems are reported.
FIELDS: Final = (
    Field("KmsKeyId", _text(_KMS_KEY_ID), "String", _NEW_SECRET_UNLESS_NAMED, required=True),
    Field(
        "SecretStringKey", _text(_JSON_KEY), f"String, 1-{MAX_SECRET_STRING_KEY} printable characters", required=True
    ),
    Field("AccessToken", _access_token, _TOKEN_TYPE),
    Field("TokenFormat", _token_format, " \\| ".join(f"`{c.value}`" for c in TokenFormat), _FROM_NEXT_TOKEN),
    _integer("TokenLength", MIN_LENGTH, MAX_LENGTH, _FROM_NEXT_TOKEN),
    _at_most("RotationId", MAX_ROTATION_ID),
    _at_most("NextRotationId", MAX_ROTATION_ID),
    Field("NextAccessToken", _access_token, _TOKEN_TYPE),
    Field("SecretName", _secret_name, "String", REPLACEMENT),
    _at_most("HeaderName", MAX_HEADER_NAME, _text(*_HEADER_NAME)),
    _at_most("Description", 2048),  # Secrets Manager's Description limit
    Field("Tags", _tags, "List of `{Key, Value}`"),
    _integer("RecoveryWindowInDays", MIN_RECOVERY_WINDOW, MAX_RECOVERY_WINDOW),
    Field("ForceDeleteWithoutRecovery", _boolean, _FLAG_TYPE),
    Field("ReturnAccessToken", _boolean, _FLAG_TYPE),
    Field("AdoptExistingSecret", _boolean, _FLAG_TYPE),
)
KNOWN_PROPERTIES: Final = tuple(field.name for field in FIELDS)
_GENERATED_ONLY: Final = ("TokenFormat", "TokenLength", "RotationId", "NextRotationId")


def _unknown(raw: Mapping[str, object]) -> list[str]:
    unknown = sorted(set(raw) - set(KNOWN_PROPERTIES))
    if not unknown:
        return []
    listed = ", ".join(name[:LISTED_NAME_CHARS] for name in unknown[:LISTED_UNKNOWN])
    more = f" and {len(unknown) - LISTED_UNKNOWN} more" if len(unknown) > LISTED_UNKNOWN else ""
    return [f"Unknown properties: {listed}{more} (check the spelling)"]


def _read(raw: Mapping[str, object], problems: list[str], name_prefix: str) -> dict[str, object]:
    """The present fields' values, by attribute; a required field that is absent is a problem."""
    values: dict[str, object] = {}
    for item in FIELDS:
        value = raw.get(item.name)
        try:
            if value is not None:
                values[item.attribute] = item.parse(item.name, value, name_prefix)
            elif item.required:
                problems.append(f"{item.name} is required")
        except _PropertyError as problem:
            problems.append(str(problem))
    return values


def _combinations(raw: Mapping[str, object], values: Mapping[str, object]) -> list[str]:
    """Rules between fields, on the values read (presence is the raw property's)."""
    problems = []
    given = [name for name in _GENERATED_ONLY if raw.get(name) is not None]
    supplied = raw.get("AccessToken") is not None
    if supplied and given:
        verb, them = ("applies", "it") if len(given) == 1 else ("apply", "them")
        problems.append(f"{', '.join(given)} {verb} only to generated tokens; remove {them} or AccessToken")
    if not supplied and raw.get("NextAccessToken") is not None:
        problems.append("NextAccessToken stages the next supplied token; it needs AccessToken (or use NextRotationId)")
    if raw.get("TokenLength") is not None and values.get("token_format") is TokenFormat.UUID:
        problems.append(f"TokenLength does not apply to TokenFormat Uuid (always {UUID_LENGTH} characters)")
    if raw.get("RecoveryWindowInDays") is not None and values.get("force_delete_without_recovery") is True:
        problems.append("Set RecoveryWindowInDays or ForceDeleteWithoutRecovery: true, not both")
    return problems


def parse_properties(raw: object, *, name_prefix: str) -> SecretProperties:
    """Validate the resource's own properties (the adapter strips CloudFormation's); raise
    :class:`InvalidPropertiesError` listing every problem."""
    if not isinstance(raw, Mapping):
        raise InvalidPropertiesError("Invalid properties: ResourceProperties must be an object")
    problems = _unknown(raw)
    values = _read(raw, problems, name_prefix)
    if values.get("adopt_existing_secret") is True and raw.get("SecretName") is None:
        problems.append("AdoptExistingSecret needs SecretName: the name of the secret to adopt")
    problems += _combinations(raw, values)
    if problems:
        raise InvalidPropertiesError("Invalid properties: " + "; ".join(problems))
    if values.get("token_format") is TokenFormat.UUID:
        values["token_length"] = UUID_LENGTH
    return SecretProperties(**values)  # type: ignore[arg-type]  # the table's parsers give each attribute its type


def parse_deletion_options(raw: object) -> DeletionOptions:
    """Best effort: an unreadable value falls back to the safe default (7-day recovery)."""
    if not isinstance(raw, Mapping):
        return DeletionOptions()
    force = _parse_bool(raw.get("ForceDeleteWithoutRecovery")) or False
    window = in_range(raw.get("RecoveryWindowInDays"), MIN_RECOVERY_WINDOW, MAX_RECOVERY_WINDOW)
    return DeletionOptions(window or MIN_RECOVERY_WINDOW, force)
