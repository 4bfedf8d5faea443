"""Pure decisions: validated properties plus observed state in, a tuple of actions out.

Nothing in this package performs I/O or imports boto3; every function is deterministic given
its arguments, which is what makes the table-driven tests in ``tests/unit`` possible.
"""

from __future__ import annotations

__all__: list[str] = []
