"""The user documentation stays short, says what a product would say, and cannot drift from the
examples, the provider's outputs or what ``make demo`` prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.templates import load_template

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# 230 until 1.3: the README then gained the path from a clone to an origin that refuses requests
# without the token, and a rotation (a snippet, the origin checks, the channel policy, the commands).
README_LINE_LIMIT = 250
# Written for users. CONTRIBUTING.md, docs/development.md and the performance pages are for
# maintainers and may talk about the test machine.
USER_DOCS = [
    README,
    *(
        ROOT / "docs" / name
        for name in ("reference.md", "origins.md", "operating.md", "security.md", "migrating.md", "mediatailor.md")
    ),
]

DEVELOPMENT_WORDING = [
    r"\boffline\b",
    r"\bcan(?:not|'t) (?:be )?run here\b",
    r"\bno AWS account here\b",
    r"\bthis (?:machine|sandbox|environment) (?:does not|doesn't|cannot|has no)\b",
    r"\bcould not (?:be )?(?:confirm|check|verif|test)\w* (?:here|from)\b",
    r"\bnot provable\b",
]


def development_wording(text: str) -> list[str]:
    """Phrases about where the project was developed, which tell a user nothing they can act on."""
    return [m.group(0) for pattern in DEVELOPMENT_WORDING for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def table_rows(body: str) -> list[list[str]]:
    """The cells of each row of the first Markdown table in ``body`` (header and rule skipped)."""
    rows = [line for line in body.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_the_readme_stays_short() -> None:
    lines = README.read_text().count("\n")

    assert lines <= README_LINE_LIMIT, f"README.md has {lines} lines; move maintainer material to docs/development.md"


@pytest.mark.parametrize("path", USER_DOCS, ids=lambda path: path.name)
def test_user_docs_do_not_talk_about_the_development_environment(path: Path) -> None:
    assert development_wording(path.read_text()) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "These steps need an AWS account and cannot run here.",
        "None of these steps can run offline.",
        "This project could not confirm the import list from its offline environment.",
        "| Not provable offline | IAM |",
        "moto needs Docker, which this machine does not have.",
    ],
)
def test_the_wording_check_catches_what_it_is_for(sentence: str) -> None:
    assert development_wording(sentence)


@pytest.mark.parametrize(
    "sentence",
    ["These steps need an AWS account.", "It has not been verified that the type is importable.", "Click here."],
)
def test_the_wording_check_lets_product_wording_pass(sentence: str) -> None:
    assert development_wording(sentence) == []


def _capabilities(path: Path) -> set[str]:
    """What CloudFormation asks to acknowledge: IAM resources (also inside a nested local
    template) and transforms or nested applications (CloudFormation User Guide, "Acknowledging
    IAM resources in CloudFormation templates", CreateStack `Capabilities`)."""
    template = load_template(path)
    needed: set[str] = set()
    if "Transform" in template:
        needed.add("CAPABILITY_AUTO_EXPAND")
    for resource in template.get("Resources", {}).values():
        kind = resource["Type"]
        if kind.startswith("AWS::IAM::"):
            needed.add("CAPABILITY_IAM")
        if kind in ("AWS::Serverless::Application", "AWS::CloudFormation::Stack"):
            needed.add("CAPABILITY_AUTO_EXPAND")
            location = resource["Properties"].get("Location")
            if isinstance(location, str) and not location.startswith("http"):
                needed |= _capabilities((path.parent / location).resolve()) - {"CAPABILITY_AUTO_EXPAND"}
    return needed


def _examples_table() -> dict[str, tuple[set[str], set[str]]]:
    rows = table_rows(section(README.read_text(), "Examples"))
    found: dict[str, tuple[set[str], set[str]]] = {}
    for example, _, parameters, capabilities in rows:
        (name,) = re.findall(r"\[([^\]]+\.yaml)\]\(examples/\1\)", example)
        assert name not in found, f"{name} is listed twice"
        found[name] = (set(re.findall(r"`(\w+)`", parameters)), set(re.findall(r"`(CAPABILITY_\w+)`", capabilities)))
    return found


def test_the_examples_table_lists_every_example() -> None:
    assert set(_examples_table()) == {path.name for path in (ROOT / "examples").glob("*.yaml")}


@pytest.mark.parametrize("example", sorted(path.name for path in (ROOT / "examples").glob("*.yaml")))
def test_the_examples_table_names_every_required_parameter_and_capability(example: str) -> None:
    path = ROOT / "examples" / example
    parameters: dict[str, Any] = load_template(path).get("Parameters", {})
    required = {name for name, spec in parameters.items() if "Default" not in spec}

    listed_parameters, listed_capabilities = _examples_table()[example]

    assert listed_parameters == required
    assert listed_capabilities == _capabilities(path)


def test_the_outputs_list_names_every_output_of_the_provider_and_its_export() -> None:
    outputs: dict[str, Any] = load_template(ROOT / "template.yaml")["Outputs"]
    rows = {
        re.sub(r"`", "", name): value for name, value in table_rows(section(README.read_text(), "Provider outputs"))
    }

    assert set(rows) == set(outputs)
    for name, output in outputs.items():
        export = output.get("Export", {}).get("Name")
        if isinstance(export, dict) and "Fn::Sub" in export:
            assert f"`{export['Fn::Sub'].replace('${AWS::StackName}', '<stack name>')}`" in rows[name]
        elif export is not None:
            assert "`ServiceTokenExportName`" in rows[name]
            default = load_template(ROOT / "template.yaml")["Parameters"]["ServiceTokenExportName"]["Default"]
            assert f"`{default}`" in rows[name]


def _readme_demo_calls() -> dict[int, int]:
    rows = table_rows(section(README.read_text(), "Try it without an AWS account: `make demo`"))
    return {int(step): int(re.match(r"\d+", calls).group(0)) for step, _, calls in rows}  # type: ignore[union-attr]


def test_the_readme_describes_every_step_of_make_demo_with_the_calls_it_prints() -> None:
    """Runs the demo as ``make demo`` does and compares its step headings and call counts with
    the README's table (parts 1 and 2) and its sentence about part 3."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "POWERTOOLS_"))}
    environment.pop("SECRET_NAME_PREFIX", None)
    environment.pop("SSL_CERT_FILE", None)
    environment["PYTHONPATH"] = f"{ROOT / 'functions'}{os.pathsep}{ROOT}"
    done = subprocess.run(
        [sys.executable, "-m", "harness.demo"], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    steps = [int(n) for n in re.findall(r"^== (\d+)\. ", done.stdout, flags=re.MULTILINE)]
    blocks = re.split(r"^== \d+\. ", done.stdout, flags=re.MULTILINE)[1:]
    printed = {
        step: int(calls[0])
        for step, block in zip(steps, blocks, strict=True)
        if (calls := re.findall(r"provider's AWS calls: (\d+)", block))
    }

    assert printed == _readme_demo_calls()
    assert steps == list(range(1, len(steps) + 1))
    assert f"steps {max(printed) + 1}-{max(steps)}" in README.read_text()


def test_the_readme_shows_both_commands_of_a_fresh_clone() -> None:
    """``make demo`` and ``make test`` are the two commands a fresh machine needs."""
    block = section(README.read_text(), "Try it without an AWS account: `make demo`").split("```")[1]

    assert re.search(r"^make demo\b", block, flags=re.MULTILINE)
    assert re.search(r"^make test\b", block, flags=re.MULTILINE)


def test_the_readme_lets_anyone_get_the_channel_manifest_before_it_curls_it() -> None:
    """A channel without a channel policy serves only requests signed with the account's
    credentials (MediaTailor User Guide, channel policies): an unsigned curl of its playback URL
    is refused unless a policy allows ``mediatailor:GetManifest`` first."""
    steps = section(README.read_text(), "Getting started in your AWS account")
    policy = steps.find("put-channel-policy")
    playback = steps.find("PlaybackUrl")

    assert 0 <= policy < playback
    assert "mediatailor:GetManifest" in steps[policy:playback]


def test_the_readme_shows_the_origin_refusing_a_request_without_the_token_and_serving_one_with_it() -> None:
    steps = section(README.read_text(), "Getting started in your AWS account")
    curls = [line for line in steps.splitlines() if line.lstrip().startswith("curl ") and "manifest" in line]

    assert any("-H " not in line and "# 403" in line for line in curls)
    assert any('-H "X-Origin-Token: $token"' in line and "# 200" in line for line in curls)
