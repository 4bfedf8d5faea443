"""Pure decisions: validated properties plus observed state in, a tuple of actions out.

Nothing in this package performs I/O or imports boto3: every function is deterministic given
its arguments, so each decision can be tested from a table, with no AWS and no mocks.
"""

from __future__ import annotations

__all__: list[str] = []
