"""What the template asks for, resolved."""

from __future__ import annotations

from dataclasses import dataclass

from .context import ResourceIdentity
from .naming import owner_tags
from .properties import SecretProperties


@dataclass(frozen=True)
class Desired:
    """Validated properties plus what the provider resolved for them."""

    props: SecretProperties
    identity: ResourceIdentity
    name: str
    kms_key_arn: str

    def tags(self) -> dict[str, str]:
        return self.props.tag_map() | owner_tags(self.identity)
