"""What the template asks for, resolved, and which existing version can supply a token."""

from __future__ import annotations

from dataclasses import dataclass

from .actions import GeneratedToken, ReusedToken, SuppliedToken, TokenSource
from .context import ResourceIdentity
from .naming import owner_tags
from .properties import SecretProperties
from .state import SecretState
from .versions import VersionContent, kms_digest, parse_version_id, recorded_kms_digest


@dataclass(frozen=True)
class Desired:
    """Validated properties plus what the provider resolved for them."""

    props: SecretProperties
    identity: ResourceIdentity
    name: str
    kms_key_arn: str

    def tags(self) -> dict[str, str]:
        return self.props.tag_map() | owner_tags(self.identity)


def same_token_version(state: SecretState, content: VersionContent) -> str | None:
    """A labelled version holding the generated token ``content`` asks for (any JSON key)."""
    for candidate in state.labelled_versions():
        found = parse_version_id(candidate)
        if found is not None and found.generated and found.token_identity == content.token_identity:
            return candidate
    return None


def exact_version(state: SecretState, content: VersionContent) -> str | None:
    for candidate in state.labelled_versions():
        if parse_version_id(candidate) == content:
            return candidate
    return None


def fresh_source(desired: Desired, content: VersionContent, donor: SecretState | None) -> TokenSource:
    props = desired.props
    if props.access_token is not None:
        return SuppliedToken(props.access_token)
    if donor is not None:
        # A replacement (new SecretName) keeps the generated token: the origin still expects it.
        reusable = same_token_version(donor, content)
        if reusable is not None:
            return ReusedToken(donor.arn, reusable)
    return GeneratedToken(props.token_format, props.token_length)


def written_for(version: str, kms_key_arn: str) -> bool:
    """Only a version written for the secret's current key may become current again: one
    written under another key may not have been re-encrypted (UpdateSecret re-encrypts only
    when the caller may use both keys), and MediaTailor's grant is on the current key."""
    return recorded_kms_digest(version) == kms_digest(kms_key_arn)
