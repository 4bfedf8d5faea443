"""Functions over 30 code lines in functions/ (nested functions on their own, docstrings not
counted): ``python scripts/long-functions.py``. Branches are ruff's to count: PLR0912, at most
8 (pyproject.toml)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_LINES = 30


def _code_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = function.body[1:] if ast.get_docstring(function) else function.body
    lines: set[int] = set()
    for statement in body:
        for node in ast.walk(statement):
            if hasattr(node, "lineno") and not isinstance(node, ast.Constant):
                lines.update(range(node.lineno, (getattr(node, "end_lineno", None) or node.lineno) + 1))
    nested = [n for s in body for n in ast.walk(s) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for inner in nested:
        lines -= set(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return len(lines)


def main(root: Path) -> int:
    over = 0
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            lines = _code_lines(node)
            if lines > MAX_LINES:
                over += 1
                print(f"{path}:{node.lineno} {node.name}: {lines} code lines")
    print(f"{over} function(s) over {MAX_LINES} code lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "functions")))
