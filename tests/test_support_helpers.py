"""Each test helper is defined once: a function in tests/support/ is imported where it is used,
never written again in a test module (issue 28: ``props`` was in 8 modules, ``failures`` in 2).

The check reads the source (``ast``), so it also covers modules that are not imported here."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SUPPORT = TESTS / "support"


def _top_level_defs(source: str) -> set[str]:
    """The module's own functions (a test's local function or a method is its own business)."""
    tree = ast.parse(source)
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def redefinitions(support: dict[str, str], others: dict[str, str]) -> list[str]:
    """``module: name`` for each support helper defined by a second support module or by any
    other module (both given as path -> source)."""
    owners: dict[str, list[str]] = defaultdict(list)
    for path, source in support.items():
        for name in _top_level_defs(source):
            owners[name].append(path)
    found = [f"{path}: {name}" for name, paths in owners.items() if len(paths) > 1 for path in paths[1:]]
    for path, source in others.items():
        found.extend(f"{path}: {name}" for name in sorted(_top_level_defs(source) & owners.keys()))
    return sorted(found)


def _sources(paths: Iterable[Path]) -> dict[str, str]:
    return {str(path.relative_to(TESTS.parent)): path.read_text() for path in sorted(paths)}


def test_no_test_module_defines_a_support_helper_again() -> None:
    support = _sources(SUPPORT.glob("*.py"))
    others = _sources(path for path in TESTS.rglob("*.py") if SUPPORT not in path.parents)

    assert redefinitions(support, others) == [], "import the helper from tests/support/ instead"


def test_the_check_finds_a_copy_in_a_test_module_and_in_a_second_support_module() -> None:
    support = {"support/a.py": "def props(): ...\nX = 1\n", "support/b.py": "def props(): ...\ndef other(): ..."}
    others = {
        "test_x.py": "def test_y():\n    def props(): ...\n\n\ndef other(): ...\n",
        "test_z.py": "props = None\nclass Z:\n    def other(self): ...\n",
    }

    assert redefinitions(support, others) == ["support/b.py: props", "test_x.py: other"]
