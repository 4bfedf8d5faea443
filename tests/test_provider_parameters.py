"""The provider's optional parameters (`LogGroupKmsKeyArn`, `ReservedConcurrency`) through SAM's
own translator and cfn-lint, and the scanner decisions recorded in the template.

SAM's translator leaves `Fn::If` in place; CloudFormation resolves it at deploy time. The
`deployed` helper below does what CloudFormation documents for that step and nothing more
(CloudFormation User Guide, "Condition functions" and "Pseudo parameters reference":
`Fn::Equals`, `Fn::Not`, `Fn::If` on a named condition, and `AWS::NoValue` removing the
property), so the tests read the resources CloudFormation would create."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.templates import load_template

ROOT = Path(__file__).resolve().parents[1]
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# CloudFormation waits at most this long for a custom resource (User Guide, custom resources,
# ServiceTimeout: 1 to 3600 seconds, 3600 by default).
SERVICE_TIMEOUT_MAX = 3600


def translated(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """template.yaml as `sam package` leaves it (code in S3), translated offline by SAM."""
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    class NoIam:
        def list_policies(self, **_: object) -> dict[str, list[object]]:
            return {"Policies": []}

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    template = load_template(ROOT / "template.yaml")
    template["Resources"]["ProviderFunction"]["Properties"]["CodeUri"] = "s3://bucket/provider.zip"
    return dict(transform(template, {}, ManagedPolicyLoader(NoIam())))


def deployed(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The resources' properties once CloudFormation has resolved the conditions."""

    def value(name: str) -> str:
        return parameters.get(name, str(template["Parameters"][name]["Default"]))

    def condition(expression: Any) -> bool:
        ((function, argument),) = expression.items()
        if function == "Fn::Not":
            return not condition(argument[0])
        if function == "Fn::Equals":
            left, right = (value(side["Ref"]) if isinstance(side, dict) else side for side in argument)
            return bool(left == right)
        if function == "Condition":
            return condition(template["Conditions"][argument])
        raise AssertionError(f"unexpected condition function {function}")

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if list(node) == ["Fn::If"]:
            name, when_true, when_false = node["Fn::If"]
            return resolve(when_true if condition(template["Conditions"][name]) else when_false)
        if node == {"Ref": "AWS::NoValue"}:
            return None
        if list(node) == ["Ref"] and node["Ref"] in template.get("Parameters", {}):
            return value(node["Ref"])
        resolved = {key: resolve(item) for key, item in node.items()}
        return {key: item for key, item in resolved.items() if item is not None}

    return {
        logical_id: resolve(resource.get("Properties", {}))
        for logical_id, resource in template["Resources"].items()
        if "Condition" not in resource or condition({"Condition": resource["Condition"]})
    }


def test_by_default_the_log_group_has_no_kms_key_and_the_function_no_reservation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resources = deployed(translated(monkeypatch), {})

    assert "KmsKeyId" not in resources["ProviderLogGroup"]
    assert "ReservedConcurrentExecutions" not in resources["ProviderFunction"]


def test_a_log_group_key_encrypts_the_provider_log_group_only(monkeypatch: pytest.MonkeyPatch) -> None:
    template = translated(monkeypatch)

    resources = deployed(template, {"LogGroupKmsKeyArn": KEY_ARN})

    assert resources["ProviderLogGroup"]["KmsKeyId"] == KEY_ARN
    assert "ReservedConcurrentExecutions" not in resources["ProviderFunction"]
    assert "KmsKeyArn" not in resources["ProviderFunction"], "the environment keeps Lambda's own key"


def test_a_reserved_concurrency_reaches_the_lambda_function(monkeypatch: pytest.MonkeyPatch) -> None:
    template = translated(monkeypatch)
    assert template["Resources"]["ProviderFunction"]["Type"] == "AWS::Lambda::Function"

    resources = deployed(template, {"ReservedConcurrency": "10"})

    assert resources["ProviderFunction"]["ReservedConcurrentExecutions"] == "10"
    assert "KmsKeyId" not in resources["ProviderLogGroup"]


def test_lambda_drops_an_event_older_than_cloudformation_waits_for_and_never_retries_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A throttled asynchronous event waits in Lambda's queue for up to MaximumEventAgeInSeconds
    (60 to 21600, 21600 when unset), whatever MaximumRetryAttempts says (Lambda Developer Guide,
    "Asynchronous invocation", "Configuring error handling"). Past the longest ServiceTimeout an
    event can only be refused, so Lambda drops it; every example's resources are still waited for
    when Lambda delivers their events."""
    resources = translated(monkeypatch)["Resources"]

    (config,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"]

    assert config["FunctionName"] == {"Ref": "ProviderFunction"}
    assert config["Qualifier"] == "$LATEST"
    assert config["MaximumRetryAttempts"] == 0
    assert config["MaximumEventAgeInSeconds"] == SERVICE_TIMEOUT_MAX
    for path in (ROOT / "examples").glob("*.yaml"):
        for resource in load_template(path)["Resources"].values():
            if resource["Type"] == "Custom::MediaTailorAccessTokenSecret":
                assert int(resource["Properties"]["ServiceTimeout"]) <= config["MaximumEventAgeInSeconds"], path.name


def test_the_translated_template_with_its_options_passes_cfn_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "provider.translated.json"
    path.write_text(json.dumps(translated(monkeypatch)))

    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--", str(path)], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stdout + done.stderr


def _accepts(parameter: str, candidate: str) -> bool:
    """CloudFormation matches AllowedPattern against the whole value (User Guide, Parameters)."""
    pattern = load_template(ROOT / "template.yaml")["Parameters"][parameter]["AllowedPattern"]
    return re.fullmatch(pattern, candidate) is not None


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        KEY_ARN,
        "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
    ],
)
def test_the_log_group_key_accepts_key_arns(candidate: str) -> None:
    assert _accepts("LogGroupKmsKeyArn", candidate)


@pytest.mark.parametrize(
    "candidate",
    [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "alias/provider-logs",
        "arn:aws:kms:eu-west-1:123456789012:alias/provider-logs",
        KEY_ARN + " ",
    ],
)
def test_the_log_group_key_refuses_what_is_not_a_key_arn(candidate: str) -> None:
    """AWS::Logs::LogGroup KmsKeyId takes the key's ARN (CloudFormation resource reference)."""
    assert not _accepts("LogGroupKmsKeyArn", candidate)


@pytest.mark.parametrize(
    ("candidate", "accepted"),
    [("", True), ("1", True), ("9999", True), ("0", False), ("01", False), ("-1", False), ("10000", False)],
)
def test_reserved_concurrency_is_empty_or_at_least_one(candidate: str, accepted: bool) -> None:
    """Zero would stop every request: Lambda runs none and, without a dead-letter queue, keeps
    none (Lambda Developer Guide, "Capturing records of Lambda asynchronous invocations")."""
    assert _accepts("ReservedConcurrency", candidate) is accepted


def _skips() -> dict[str, str]:
    function = load_template(ROOT / "template.yaml")["Resources"]["ProviderFunction"]
    return {skip["id"]: skip["comment"] for skip in function["Metadata"]["checkov"]["skip"]}


def test_every_scanner_skip_gives_its_reason_and_is_in_the_security_decisions_table() -> None:
    security = (ROOT / "docs" / "security.md").read_text()
    table = security.split("## Scanner findings and decisions\n", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (CKV_AWS_\d+) [^|]*\| ([^|]+) \|", table, flags=re.MULTILINE))

    assert set(_skips()) == {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"}
    assert all(len(comment) > 40 for comment in _skips().values())
    assert {check for check, decision in rows.items() if decision.strip().startswith("Skipped")} == set(_skips())
    assert {"CKV_AWS_115", "CKV_AWS_158"} <= set(rows)


def test_the_scanner_skips_survive_sams_translation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Teams that scan the packaged, translated template see the same decisions."""
    function = translated(monkeypatch)["Resources"]["ProviderFunction"]

    assert {skip["id"] for skip in function["Metadata"]["checkov"]["skip"]} == set(_skips())
