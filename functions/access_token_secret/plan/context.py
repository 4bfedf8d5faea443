"""Who is asking: the identity of the resource a request is about, and the provider's settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ResourceIdentity:
    """The CloudFormation resource a request is about (from the event envelope)."""

    stack_id: str
    logical_id: str
    request_id: str
    # When CloudFormation signed the request's ResponseURL (None: the URL does not say).
    signed_at: datetime | None = None

    @property
    def stack_name(self) -> str:
        """``arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`` -> ``<name>``."""
        parts = self.stack_id.split("/")
        return parts[1] if len(parts) >= 3 else self.stack_id

    def digest(self, purpose: str) -> str:
        """16 hex characters unique to this request and purpose, stable across redelivery."""
        material = f"{self.stack_id}\0{self.logical_id}\0{self.request_id}\0{purpose}"
        return hashlib.sha256(material.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ProviderSettings:
    """Deployment-time settings of the provider function (from its environment)."""

    region: str
    name_prefix: str
