"""The only code that calls boto3. One translator (:mod:`.translate`) turns ``ClientError``
into the provider's own errors, so no other module catches botocore exceptions."""

from __future__ import annotations

__all__: list[str] = []
