"""Secret names and ownership tags.

Owner tags (stack ID, logical ID) keep the provider off secrets it does not own: a name
collision with a hand-made secret fails. The stack *name* inside the stack ID lets a
re-created stack reclaim its secret while it is in its recovery window.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Final

from ..errors import KmsKeyError
from .context import ResourceIdentity
from .state import SecretState

TAG_PREFIX: Final = "mediatailor-access-token-secret:"
OWNER_STACK_TAG: Final = TAG_PREFIX + "stack-id"
OWNER_LOGICAL_ID_TAG: Final = TAG_PREFIX + "logical-id"

MAX_NAME_LENGTH: Final = 512
NAME_CHARS = re.compile(r"[A-Za-z0-9/_+=.@-]+")
# AWS appends "-XXXXXX" to the ARN; a name that already ends like that confuses ARN lookups.
_ARN_LIKE_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def name_problem(name: str, prefix: str) -> str | None:
    """Why ``name`` cannot be used as an explicit ``SecretName``, or ``None`` if it can."""
    if not name or len(name) > MAX_NAME_LENGTH:
        return f"SecretName must be 1-{MAX_NAME_LENGTH} characters"
    if not NAME_CHARS.fullmatch(name):
        return "SecretName may only use ASCII letters, digits and /_+=.@-"
    if not name.startswith(prefix) or name == prefix:
        return f"SecretName must start with the provider's prefix '{prefix}'"
    if _ARN_LIKE_SUFFIX.search(name):
        return "SecretName must not end with a hyphen and six characters (AWS reserves that ARN suffix)"
    return None


def prefix_problem(prefix: str) -> str | None:
    """Why the provider's ``SecretNamePrefix`` is unusable, or ``None``."""
    if len(prefix) > 256 or (prefix and not NAME_CHARS.fullmatch(prefix)):
        return "SecretNamePrefix must be at most 256 of the characters A-Z a-z 0-9 /_+=.@-"
    return None


def default_secret_name(identity: ResourceIdentity, prefix: str) -> str:
    """Create's name, ``<prefix><stack name>/<logical id>-<10 hex>``: readable, unique per
    resource, stable. The digest covers the stack ID (which holds a UUID), so a stack deleted
    and created again under the same name never collides with the old secret's recovery window.
    """
    return _generated_name(identity, prefix)


def key_bound_secret_name(identity: ResourceIdentity, prefix: str, kms_key_arn: str) -> str:
    """The name of the secret that replaces this resource's secret under another key: a key
    change is a new secret (a new ``SecretArn`` makes CloudFormation update the source
    location), and changing back to a key finds that key's secret again."""
    return _generated_name(identity, prefix, kms_key_arn)


def _generated_name(identity: ResourceIdentity, prefix: str, *extra: str) -> str:
    material = "\0".join((identity.stack_id, identity.logical_id, *extra))
    digest = hashlib.sha256(material.encode()).hexdigest()[:10]
    room = MAX_NAME_LENGTH - len(prefix) - len(digest) - 2
    stack = identity.stack_name[: room // 2]
    logical = identity.logical_id[: room - len(stack)]
    return f"{prefix}{stack}/{logical}-{digest}"


def owner_tags(identity: ResourceIdentity) -> dict[str, str]:
    return {OWNER_STACK_TAG: identity.stack_id, OWNER_LOGICAL_ID_TAG: identity.logical_id}


def is_owned_by(tags: Mapping[str, str], identity: ResourceIdentity) -> bool:
    """Created for exactly this stack (ID, not name) and logical resource."""
    return tags.get(OWNER_STACK_TAG) == identity.stack_id and tags.get(OWNER_LOGICAL_ID_TAG) == identity.logical_id


def is_reclaimable_by(tags: Mapping[str, str], identity: ResourceIdentity) -> bool:
    """Created for a stack of the same *name* and the same logical ID (possibly deleted since)."""
    owner_stack = tags.get(OWNER_STACK_TAG)
    if owner_stack is None or tags.get(OWNER_LOGICAL_ID_TAG) != identity.logical_id:
        return False
    return ResourceIdentity(owner_stack, identity.logical_id, "").stack_name == identity.stack_name


SECRET_ARN = re.compile(r"arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+")


def arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


def secret_name_after_update(
    wanted: str | None, identity: ResourceIdentity, prefix: str, kms_key_arn: str, *, current_name: str, replaced: bool
) -> tuple[str, str]:
    """The name an Update converges, leaving the owned secret ``current_name``, and the name it
    takes instead when the first is Create's name and :func:`first_is_free` says no.

    ============================================  =====================================
    situation                                     name
    ============================================  =====================================
    SecretName given                              SecretName
    key kept, on Create's name or the key's name  the name it has
    the first secret is free, or holds this key   Create's name (a change undone, or a
    and is this resource's                        rollback)
    otherwise                                     the name bound to this key
    ============================================  =====================================

    Only a new key (:func:`~.keys.key_replaced`) gets a new secret, so earlier releases'
    secrets keep their names.
    """
    if wanted is not None:
        return wanted, wanted
    first_name = default_secret_name(identity, prefix)
    keyed = key_bound_secret_name(identity, prefix, kms_key_arn)
    if not replaced and current_name in (first_name, keyed):
        return current_name, current_name
    return (keyed if current_name == first_name else first_name), keyed


def first_is_free(first: SecretState | None, identity: ResourceIdentity, kms_key_arn: str) -> bool:
    return first is None or (first.kms_key_id == kms_key_arn and is_reclaimable_by(first.tag_map(), identity))


def check_key_change_renames(wanted: str | None, current_name: str, *, replaced: bool) -> None:
    """A new key needs a new secret: an explicit SecretName must change with KmsKeyId."""
    if wanted is not None and replaced and current_name == wanted:
        raise KmsKeyError(
            f"KmsKeyId changed but SecretName stayed {wanted[:80]}: MediaTailor only picks up "
            "a new key through a new secret; change KmsKeyId and SecretName together"
        )
