"""From the event's raw fields to the service's inputs: the resource's own properties, and a secret
reference (or ``None``) instead of a PhysicalResourceId that may be a placeholder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ..errors import InvalidPropertiesError, ProviderConfigurationError
from ..plan.naming import MAX_NAME_LENGTH, NAME_CHARS, SECRET_ARN
from ..plan.properties import SecretProperties, parse_properties

# Added by CloudFormation to every custom resource; the handler refuses an unreadable ServiceTimeout.
CLOUDFORMATION_PROPERTIES: Final = frozenset({"ServiceToken", "ServiceTimeout"})


def properties(raw: object, *, name_prefix: str) -> SecretProperties:
    """The resource's own properties, validated; CloudFormation's are stripped."""
    own = {k: v for k, v in raw.items() if k not in CLOUDFORMATION_PROPERTIES} if isinstance(raw, Mapping) else raw
    return parse_properties(own, name_prefix=name_prefix)


def old_properties(raw: object, *, name_prefix: str) -> SecretProperties | None:
    """The old properties of an Update: useful when valid, ignored when not."""
    try:
        return properties(raw, name_prefix=name_prefix)
    except InvalidPropertiesError:
        return None


def is_secret_reference(physical_id: str) -> bool:
    """A secret ARN, or a valid secret name: the intended name a failed Create answers with, so
    that its rollback Delete can still remove a secret a timed-out call created. Placeholders
    hold ``#``, which no secret name can."""
    if SECRET_ARN.fullmatch(physical_id):
        return True
    return len(physical_id) <= MAX_NAME_LENGTH and bool(NAME_CHARS.fullmatch(physical_id))


def secret_reference(physical_id: str, prefix: str) -> str | None:
    """The SecretId an Update's PhysicalResourceId stands for, ``None`` for a placeholder. Refused outside
    the prefix: the role reaches only ``secret:<SecretNamePrefix>*``, so every call would be denied."""
    if not is_secret_reference(physical_id):
        return None
    name = physical_id.split(":secret:", 1)[1][:-7] if SECRET_ARN.fullmatch(physical_id) else physical_id
    if not name.startswith(prefix):
        raise ProviderConfigurationError(
            f"Secret {name[:80]} is outside the provider's SecretNamePrefix '{prefix}', so its role cannot reach "
            "it; set SecretNamePrefix back to the prefix the secret was made under"
        )
    return physical_id


def deleted_reference(physical_id: str, prefix: str) -> str | None:
    """The SecretId a Delete's PhysicalResourceId stands for; ``None`` when it names no secret
    this provider could have made: a placeholder, or a bare name outside the prefix (a failed
    Create answers with the intended name, always under the prefix; a success with the ARN)."""
    if SECRET_ARN.fullmatch(physical_id) or physical_id.startswith(prefix):
        return secret_reference(physical_id, prefix)
    return None
