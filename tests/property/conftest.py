"""Property tests run the real handler against the emulator, like the integration tests
(fixtures from tests/support/fixtures.py, registered in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_emulator(fresh_emulator: None) -> None:
    """Every property test starts from an empty emulator."""
