"""Taking over a secret made by hand (MediaTailor's documented procedure), keeping its token.

Anyone who may use the provider's ServiceToken can make it act, so "no owner tags" is not
consent: the owner tags the secret ``mediatailor-access-token-secret:adopt`` with the adopting
stack's *name*, and nothing is read from it before that is checked. Tag permission is often
wider than ``GetSecretValue``, so consent lets a stack *own* the secret, never *read* it, now
or later (:func:`token_return_refusal`). The attempt uses the consent up, whatever its
outcome. Each rule answers its refusal as a value (``None``: passes), so the observation stops
reading there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import MAX_REASON_CHARS, KmsKeyError, ProviderError, SecretConflictError
from ..tokens import AccessToken, is_acceptable_token
from .context import ResourceIdentity
from .labels import Request
from .naming import OWNER_STACK_TAG, TAG_PREFIX, is_owned_by, is_reclaimable_by
from .policy import grants_only_mediatailor
from .properties import SecretProperties
from .state import SecretState, Unreadable
from .versions import keeps_other_keys

ADOPT_TAG = TAG_PREFIX + "adopt"
RETAG = "then tag it again and retry"  # the failed attempt used the consent up


@dataclass(frozen=True)
class Adoption:
    """A consented secret: its key's ARN (``None``: AWS managed), and its token or ``problem``."""

    kms_key_arn: str | None
    token: AccessToken | None = None
    problem: str = ""


def _first_fitting(*reasons: str) -> str:
    """The most informative Reason that CloudFormation shows whole: stack names (up to 128
    characters) are never cut, so the optional details go first when one is long."""
    return next((r for r in reasons if len(r) <= MAX_REASON_CHARS), reasons[-1])


def consent_refusal(
    tags: Mapping[str, str], identity: ResourceIdentity, name: str, *, creating: bool = False
) -> ProviderError | None:
    """Refused unless the consent tag names this stack. A Create's Reason adds that nested and
    StackSet stacks, whose names CloudFormation makes up on creation, adopt in a later Update."""
    if tags.get(ADOPT_TAG) == identity.stack_name:
        return None
    owner = tags.get(OWNER_STACK_TAG)
    owned = f" (its owner tags name stack {ResourceIdentity(owner, '', '').stack_name})" if owner else ""
    tag = f"{ADOPT_TAG}={identity.stack_name}"
    long_hint = "; a nested or StackSet stack adopts through an Update of itself, once its name is known"
    short_hint = "; nested/StackSet stack: adopt in an Update of it"
    if not creating:
        long_hint = short_hint = ""
    return SecretConflictError(
        _first_fitting(
            f"Secret {name[:80]} exists{owned} and has no consent to adoption: tag it {tag}{long_hint}",
            f"Secret {name[:80]} exists{owned} and has no consent to adoption: tag it {tag}{short_hint}",
            f"Secret {name[:80]} has no consent to adoption: tag it {tag}{short_hint}",
            f"No consent to adoption: tag the secret {tag}{short_hint}",
        )
    )


def safety_refusal(found: SecretState, region: str, name: str) -> ProviderError | None:
    """A secret the provider could not own safely (checked before anything is read or written)."""
    primary = found.primary_region
    if primary and primary != region:
        return SecretConflictError(
            f"Cannot adopt {name[:80]}: it is a read-only replica of a secret in {primary[:30]}; adopt the "
            "primary from a stack in that Region, or create a new secret here"
        )
    replicas = tuple(r for r in found.replica_regions if r != region)
    if replicas:
        return SecretConflictError(
            f"Cannot adopt {name[:60]}: it is replicated to {', '.join(replicas)[:30]}, and could not be deleted "
            f"with replicas; remove them (remove-regions-from-replication), {RETAG}"
        )
    if found.rotation_enabled:
        return SecretConflictError(
            f"Cannot adopt {name[:80]}: Secrets Manager rotation would replace the token the origin expects; "
            f"turn it off (cancel-rotate-secret), {RETAG}"
        )
    return None


def policy_refusal(policy: str | Unreadable | None, found: SecretState, name: str) -> ProviderError | None:
    """The provider's own policy replaces the whole document. AWS shows no policy of a secret in
    its recovery window, and restoring it is a write, which no refusal may follow."""
    if isinstance(policy, Unreadable):
        return SecretConflictError(
            f"Cannot adopt {name[:80]}: it is scheduled for deletion, so its resource policy cannot be "
            "checked; restore it (restore-secret), then retry"
        )
    if not grants_only_mediatailor(policy, found.arn):
        return SecretConflictError(
            f"Cannot adopt {name[:80]}: its resource policy grants more than MediaTailor's read, and the "
            f"provider replaces the whole policy; move those grants, {RETAG}"
        )
    return None


def wants_adoption(props: SecretProperties, found: SecretState, identity: ResourceIdentity) -> bool:
    """Asked, and ``found`` is not this resource's (nor reclaimable from its recovery window)."""
    tags = found.tag_map()
    if not props.adopt_existing_secret or is_owned_by(tags, identity):
        return False
    return found.deleted_date is None or not is_reclaimable_by(tags, identity)


def consented(found: SecretState, identity: ResourceIdentity) -> bool:
    return found.tag_map().get(ADOPT_TAG) == identity.stack_name


def adoption_refusal(
    found: SecretState, request: Request, region: str, keys: tuple[str | None, str] | None
) -> ProviderError | None:
    """Consent, then safety, then (once ``keys``, its key and the template's, are known) the key
    and the token return rule: all known before anything is read from ``found``."""
    name = request.name
    refusal = consent_refusal(found.tag_map(), request.identity, name, creating=request.creating)
    refusal = refusal or safety_refusal(found, region, name)
    if keys is not None:
        refusal = refusal or key_refusal(*keys, name) or token_return_refusal(request.props, adopted=True)
    return refusal


def is_adopted(*secrets: SecretState | None) -> bool:
    """Whether any of ``secrets`` was adopted: its AWSCURRENT carries the upper-case kind."""
    return any(s is not None and keeps_other_keys(s.current_version) for s in secrets)


def token_return_refusal(props: SecretProperties, *, adopted: bool) -> ProviderError | None:
    """Tag permission never becomes read permission: a supplied token proves the deployer knows it."""
    if adopted and props.return_access_token and props.access_token is None:
        return SecretConflictError(
            "ReturnAccessToken on an adopted secret needs AccessToken: the provider returns only a token "
            "the template supplies; pass it through a NoEcho parameter, or create a new secret instead of adopting"
        )
    return None


def key_refusal(found_key_arn: str | None, kms_key_arn: str, name: str) -> ProviderError | None:
    """An adopted secret is never re-keyed: MediaTailor's grant is on the key it has now."""
    if found_key_arn is None:
        return KmsKeyError(
            f"Secret {name[:80]} uses the AWS managed key, which MediaTailor cannot use; "
            "adopt under a new SecretName with a customer managed KmsKeyId"
        )
    if found_key_arn != kms_key_arn:
        return KmsKeyError(
            f"Secret's key {found_key_arn[:90]} is not KmsKeyId {kms_key_arn[:90]}; "
            "set KmsKeyId to it or adopt under a new SecretName"
        )
    return None


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
    """An adopted document's other keys, less those holding the current token (earlier
    ``SecretStringKey`` values, which the next write drops)."""
    current = document.get(token_keys[0]) if token_keys else None
    return {k: v for k, v in document.items() if k not in written_keys and (current is None or v != current)}
