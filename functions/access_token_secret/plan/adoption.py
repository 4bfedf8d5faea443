"""Taking over a secret made by hand (MediaTailor's documented procedure), keeping its token.

Anyone who may deploy a stack with the provider's ServiceToken can make it act, and with
``ReturnAccessToken`` an adopted token flows into that stack; so "no owner tags" is not enough.
The secret's owner consents by tagging it ``mediatailor-access-token-secret:adopt`` with the
adopting stack's *name*: only someone allowed to tag that secret can do that. Nothing is read
from a secret before its consent tag has been checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import KmsKeyError, SecretConflictError
from ..tokens import AccessToken, is_acceptable_token
from .context import ResourceIdentity
from .naming import OWNER_STACK_TAG, TAG_PREFIX

ADOPT_TAG = TAG_PREFIX + "adopt"


@dataclass(frozen=True)
class Adoption:
    """An existing secret whose owner consented, as the service found it.

    ``token`` is the value under ``SecretStringKey`` in its AWSCURRENT document, or ``None``
    with ``problem`` saying why it cannot be kept (never the value itself); ``kms_key_arn`` is
    its key, resolved to an ARN (``None``: the AWS managed key).
    """

    kms_key_arn: str | None
    token: AccessToken | None = None
    problem: str = ""


def check_consent(tags: Mapping[str, str], identity: ResourceIdentity, name: str) -> None:
    """Raise unless the consent tag names this stack; the Reason says which tag would allow it."""
    if tags.get(ADOPT_TAG) == identity.stack_name:
        return
    owner = tags.get(OWNER_STACK_TAG)
    owned = f" (its owner tags name stack {ResourceIdentity(owner, '', '').stack_name[:64]})" if owner else ""
    raise SecretConflictError(
        f"Secret {name[:80]} exists{owned} and its owner has not consented to adoption: "
        f"tag it {ADOPT_TAG}={identity.stack_name[:64]} to let this stack adopt it"
    )


def check_key(adoption: Adoption, kms_key_arn: str, name: str) -> None:
    """An adopted secret is never re-keyed: MediaTailor's grant is on the key it has now."""
    if adoption.kms_key_arn is None:
        raise KmsKeyError(
            f"Secret {name[:80]} uses the AWS managed key, which MediaTailor cannot use; "
            "adopt under a new SecretName with a customer managed KmsKeyId"
        )
    if adoption.kms_key_arn != kms_key_arn:
        raise KmsKeyError(
            f"Secret's key {adoption.kms_key_arn[:90]} is not KmsKeyId {kms_key_arn[:90]}; "
            "set KmsKeyId to it or adopt under a new SecretName"
        )


def stored_token(secret_string: str | None, secret_string_key: str) -> tuple[AccessToken | None, str]:
    """The token under ``secret_string_key``, or why there is none usable (without the value)."""
    try:
        document = json.loads(secret_string) if secret_string is not None else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return None, "its SecretString is not a JSON object"
    value = document.get(secret_string_key)
    if value is None:
        return None, f"its SecretString has no value under SecretStringKey {secret_string_key[:40]}"
    if not isinstance(value, str) or not is_acceptable_token(value):
        return None, "the value under SecretStringKey is not 8-128 visible ASCII characters"
    return AccessToken(value), ""


def other_keys(
    document: Mapping[str, object], written_keys: tuple[str, ...], token_keys: tuple[str, ...]
) -> dict[str, object]:
    """What an adopted secret's JSON document keeps besides the token: every key the write does
    not set itself, except those holding the current token (earlier ``SecretStringKey`` values,
    which the next write drops)."""
    current = document.get(token_keys[0]) if token_keys else None
    return {k: v for k, v in document.items() if k not in written_keys and (current is None or v != current)}
