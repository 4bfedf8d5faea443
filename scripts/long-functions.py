"""Functions over 30 code lines or 8 branches in functions/ (nested functions on their own,
``match`` cases not counted): ``python scripts/long-functions.py``."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_LINES = 30
MAX_BRANCHES = 8
_BRANCHES = (ast.If, ast.For, ast.While, ast.Try, ast.With, ast.IfExp, ast.BoolOp, ast.comprehension)


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of ``function`` outside its nested functions."""
    found: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


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
            branches = sum(isinstance(n, _BRANCHES) for n in _own_nodes(node))
            lines = _code_lines(node)
            if lines > MAX_LINES or branches > MAX_BRANCHES:
                over += 1
                print(f"{path}:{node.lineno} {node.name}: {lines} lines, {branches} branches")
    print(f"{over} function(s) over {MAX_LINES} code lines or {MAX_BRANCHES} branches")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "functions")))
