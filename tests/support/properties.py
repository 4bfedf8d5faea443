"""The resource's ``Properties`` as a stack's template writes them: one builder for the
integration tests that run stacks, so a new required property is added in one place."""

from __future__ import annotations

from typing import Any, Final

# The SecretStringKey the examples and the README use (MediaTailor reads the token under it).
KEY: Final = "MyAccessTokenIdentifier"


def resource_props(kms_key: str, **extra: Any) -> dict[str, Any]:
    """The key and :data:`KEY`, then ``extra`` (which may override either)."""
    return {"KmsKeyId": kms_key, "SecretStringKey": KEY, **extra}
