"""cfn-lint on every template in the repository (the provider's and the examples)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted([ROOT / "template.yaml", *(ROOT / "examples").glob("*.yaml")])


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_template_passes_cfn_lint(template: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--", str(template)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_provider_template_names_no_account_region_or_partition() -> None:
    text = (ROOT / "template.yaml").read_text()
    for literal in ("arn:aws:", "us-east-1", "123456789012"):
        assert literal not in text
