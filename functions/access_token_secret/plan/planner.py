"""From (desired properties, observed secret) to the shortest list of actions that converges.

The same :func:`plan_converge` serves Create, in-place Update, replacement, adoption after a
redelivered event and reclaiming a name in its recovery window: they only differ in what was
observed. Every rule that decides whether a secret may be touched lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SecretConflictError
from .actions import (
    Action,
    CreateSecret,
    DeleteSecret,
    GeneratedToken,
    Plan,
    PromoteVersion,
    PutResourcePolicy,
    PutSecretValue,
    ReadCurrentToken,
    RestoreSecret,
    ReusedToken,
    SuppliedToken,
    TagSecret,
    TokenSource,
    UntagSecret,
    UpdateSecret,
)
from .context import ResourceIdentity
from .naming import is_owned_by, is_reclaimable_by, owner_tags
from .properties import DeletionOptions, SecretProperties
from .state import SecretState
from .versions import VersionContent, content_of, kms_digest, parse_version_id, recorded_kms_digest, version_id


@dataclass(frozen=True)
class Desired:
    """Validated properties plus what the provider resolved for them."""

    props: SecretProperties
    identity: ResourceIdentity
    name: str
    kms_key_arn: str

    def tags(self) -> dict[str, str]:
        return self.props.tag_map() | owner_tags(self.identity)


def _same_token_version(state: SecretState, content: VersionContent) -> str | None:
    """A labelled version holding the generated token ``content`` asks for (any JSON key)."""
    for candidate in state.labelled_versions():
        found = parse_version_id(candidate)
        if found is not None and found.generated and found.token_identity == content.token_identity:
            return candidate
    return None


def _exact_version(state: SecretState, content: VersionContent) -> str | None:
    for candidate in state.labelled_versions():
        if parse_version_id(candidate) == content:
            return candidate
    return None


def _fresh_source(desired: Desired, content: VersionContent, donor: SecretState | None) -> TokenSource:
    props = desired.props
    if props.access_token is not None:
        return SuppliedToken(props.access_token)
    if donor is not None:
        # A replacement (new SecretName) keeps the generated token: the origin still expects it.
        reusable = _same_token_version(donor, content)
        if reusable is not None:
            return ReusedToken(donor.arn, reusable)
    return GeneratedToken(props.token_format, props.token_length)


def _value_actions(
    desired: Desired,
    state: SecretState,
    *,
    old: SecretProperties | None,
    key_changed: bool,
    donor: SecretState | None,
) -> tuple[Action, ...]:
    props = desired.props
    content = content_of(props)
    new_version = version_id(content, desired.kms_key_arn, desired.identity.digest("value"))
    current = state.current_version
    if current == new_version:
        return ()  # this very request already wrote it (redelivered event)
    # A source location may still ask for the previous JSON key until CloudFormation updates it.
    also_keys = (old.secret_string_key,) if old is not None and old.secret_string_key != props.secret_string_key else ()
    write_source: TokenSource
    if props.access_token is not None:
        unchanged = parse_version_id(current) == content and old is not None and old.access_token == props.access_token
        if unchanged and not key_changed:
            return ()
        write_source = SuppliedToken(props.access_token)
    else:
        if parse_version_id(current) == content and not key_changed:
            return ()
        exact = _exact_version(state, content)
        if exact is not None and not key_changed and not also_keys and _written_for(exact, desired.kms_key_arn):
            return (PromoteVersion(exact, current),)
        same_token = exact or _same_token_version(state, content)
        write_source = (
            ReusedToken(state.arn, same_token) if same_token is not None else _fresh_source(desired, content, donor)
        )
    return (PutSecretValue(write_source, props.secret_string_key, new_version, also_keys),)


def _written_for(version: str, kms_key_arn: str) -> bool:
    """Only a version written for the secret's current key may become current again: one
    written under another key may not have been re-encrypted (UpdateSecret re-encrypts only
    when the caller may use both keys), and MediaTailor's grant is on the current key."""
    return recorded_kms_digest(version) == kms_digest(kms_key_arn)


def _ownership_actions(desired: Desired, state: SecretState) -> tuple[Action, ...]:
    """Restore when allowed; raise when the secret belongs to someone else."""
    tags = state.tag_map()
    identity = desired.identity
    if is_owned_by(tags, identity):
        return (RestoreSecret(),) if state.deleted_date is not None else ()
    if state.deleted_date is not None:
        if is_reclaimable_by(tags, identity):
            return (RestoreSecret(),)
        day = state.deleted_date.date().isoformat()
        # DeletedDate is "the date the secret is scheduled for deletion" (DescribeSecret): the
        # name frees up then, or when someone restores or force-deletes it sooner.
        raise SecretConflictError(
            f"Secret name {desired.name[:80]} belongs to another owner and is scheduled for deletion on {day}; "
            "choose another SecretName, or restore or force-delete that secret first"
        )
    raise SecretConflictError(
        f"A secret named {desired.name[:80]} already exists and is not managed by this resource; "
        "choose another SecretName (the existing secret was left untouched)"
    )


def _tag_actions(desired: Desired, state: SecretState, old: SecretProperties | None) -> tuple[Action, ...]:
    """Stale tags go first: TagResource appends, and a secret holds at most 50 tags (TagResource
    API reference), so swapping 48 user tags must not pass through 2 + 48 + 48."""
    present = state.tag_map()
    wanted = desired.tags()
    actions: list[Action] = []
    # Only tags this resource managed before are removed: others may belong to tag policies.
    previously = old.tag_map() if old is not None else {}
    stale = tuple(sorted(k for k in previously if k not in wanted and k in present))
    if stale:
        actions.append(UntagSecret(stale))
    changed = tuple(sorted((k, v) for k, v in wanted.items() if present.get(k) != v))
    if changed:
        actions.append(TagSecret(changed))
    return tuple(actions)


def plan_converge(
    desired: Desired,
    observed: SecretState | None,
    *,
    old: SecretProperties | None = None,
    donor: SecretState | None = None,
) -> Plan:
    """Actions that make the secret named ``desired.name`` match ``desired``.

    ``observed`` is that secret as described (``None``: assumed absent), ``old`` the previous
    properties of an Update, ``donor`` the secret being replaced (to carry a generated token
    over to the new name).
    """
    props = desired.props
    content = content_of(props)
    if observed is None:
        create = CreateSecret(
            name=desired.name,
            kms_key_arn=desired.kms_key_arn,
            description=props.description,
            tags=tuple(sorted(desired.tags().items())),
            source=_fresh_source(desired, content, donor),
            secret_string_key=props.secret_string_key,
            version_id=version_id(content, desired.kms_key_arn, desired.identity.digest("value")),
        )
        return Plan(desired.name, (create, PutResourcePolicy()), note="create")
    actions: list[Action] = list(_ownership_actions(desired, observed))
    key_changed = observed.kms_key_id != desired.kms_key_arn
    description_changed = observed.description != props.description
    if key_changed or description_changed:
        actions.append(
            UpdateSecret(
                kms_key_arn=desired.kms_key_arn if key_changed else None,
                description=props.description if description_changed else None,
            )
        )
    value = _value_actions(desired, observed, old=old, key_changed=key_changed, donor=donor)
    actions.extend(value)
    actions.extend(_tag_actions(desired, observed, old))
    actions.append(PutResourcePolicy())
    if props.return_access_token and not any(isinstance(a, PutSecretValue) for a in value):
        actions.append(ReadCurrentToken())
    return Plan(observed.arn, tuple(actions), note="converge")


def plan_delete(identity: ResourceIdentity, options: DeletionOptions, observed: SecretState | None) -> Plan:
    """Schedule deletion of an owned secret; anything else is answered without touching AWS."""
    if observed is None:
        return Plan("", (), note="already gone")
    if not is_owned_by(observed.tag_map(), identity):
        return Plan(observed.arn, (), note="not owned by this resource; left untouched")
    if observed.deleted_date is not None:
        return Plan(observed.arn, (), note="already scheduled for deletion")
    if options.force_delete_without_recovery:
        action = DeleteSecret(recovery_window_in_days=None, force=True)
    else:
        action = DeleteSecret(recovery_window_in_days=options.recovery_window_in_days, force=False)
    return Plan(observed.arn, (action,), note="delete")
