"""The provider's one version string (semantic versioning); ``template.yaml``, ``pyproject.toml``
and ``CHANGELOG.md`` repeat it, and a test fails when any of them disagrees."""

from __future__ import annotations

from typing import Final

VERSION: Final = "1.3.0"
