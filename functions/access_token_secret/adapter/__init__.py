"""CloudFormation's side: the event envelope, crhelper, the response PUT. The only code that
knows the custom resource request and response formats."""

from __future__ import annotations

__all__: list[str] = []
