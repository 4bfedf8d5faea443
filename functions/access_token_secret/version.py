"""The provider's one version string (semantic versioning).

``template.yaml`` (the Serverless Application Repository metadata and the ``ProviderVersion``
output), ``pyproject.toml`` and ``CHANGELOG.md`` repeat it; ``tests/test_distribution.py`` fails
when any of them disagrees.
"""

from __future__ import annotations

from typing import Final

VERSION: Final = "1.2.0"
