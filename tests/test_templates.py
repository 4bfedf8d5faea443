"""cfn-lint on every template in the repository (the provider's and the examples)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.account import ACCOUNT, PARTITION, REGION
from harness.templates import load_template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted([ROOT / "template.yaml", *(ROOT / "examples").glob("*.yaml")])


@pytest.fixture(scope="module")
def cfn_lint_findings() -> dict[str, list[dict[str, Any]]]:
    """One cfn-lint run over every template (its start-up is most of its time), findings of
    every level by file. Output that is not cfn-lint's JSON fails every template's test."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "json", "--", *map(str, TEMPLATES)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings: dict[str, list[dict[str, Any]]] = {}
    for finding in json.loads(done.stdout or "null") or _no_json(done):
        findings.setdefault(str(Path(finding["Filename"]).resolve()), []).append(finding)
    return findings


def _no_json(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert done.returncode == 0, done.stdout + done.stderr
    return []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_template_passes_cfn_lint(template: Path, cfn_lint_findings: dict[str, list[dict[str, Any]]]) -> None:
    found = cfn_lint_findings.get(str(template.resolve()), [])

    assert found == [], "\n".join(
        f"{f['Rule']['Id']} line {f['Location']['Start']['LineNumber']}: {f['Message']}" for f in found
    )


def test_the_provider_template_names_no_account_region_or_partition() -> None:
    text = (ROOT / "template.yaml").read_text()
    for literal in (f"arn:{PARTITION}:", REGION, ACCOUNT):
        assert literal not in text


def _provider() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def _role_statements() -> list[dict[str, Any]]:
    policies = _provider()["Resources"]["ProviderRole"]["Properties"]["Policies"]
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def test_the_role_may_encrypt_only_through_secrets_manager() -> None:
    """UpdateSecret re-encrypts existing versions under a new key only with kms:Encrypt,
    kms:Decrypt and kms:GenerateDataKey (Secrets Manager API reference, UpdateSecret)."""
    (statement,) = [s for s in _role_statements() if "kms:Encrypt" in s["Action"]]

    assert set(statement["Action"]) == {"kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"}
    assert list(statement["Condition"]["StringEquals"]) == ["kms:ViaService"]


def test_the_role_reaches_only_secrets_under_the_prefix() -> None:
    """Why a changed SecretNamePrefix strands older secrets (the provider refuses them)."""
    resources = [s["Resource"] for s in _role_statements() if any("secretsmanager:" in a for a in s["Action"])]

    assert resources == [
        {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${SecretNamePrefix}*"}
    ]


def test_log_level_reaches_lambdas_application_log_filter() -> None:
    """With LogFormat JSON, Lambda drops application logs below ApplicationLogLevel (INFO when
    unset), and spells WARNING as WARN (Lambda Developer Guide, advanced logging controls)."""
    template = _provider()
    logging = template["Resources"]["ProviderFunction"]["Properties"]["LoggingConfig"]
    levels = template["Mappings"]["LambdaLogLevel"]

    assert logging["ApplicationLogLevel"] == {"Fn::FindInMap": ["LambdaLogLevel", {"Ref": "LogLevel"}, "Level"]}
    assert {name: levels[name]["Level"] for name in template["Parameters"]["LogLevel"]["AllowedValues"]} == {
        "DEBUG": "DEBUG",
        "INFO": "INFO",
        "WARNING": "WARN",
        "ERROR": "ERROR",
    }
    assert template["Outputs"]["ProviderLogGroupName"]["Value"] == {"Ref": "ProviderLogGroup"}


def test_every_example_bounds_how_long_cloudformation_waits() -> None:
    for path in (ROOT / "examples").glob("*.yaml"):
        resources = load_template(path)["Resources"].values()
        custom = [r for r in resources if r["Type"] == "Custom::MediaTailorAccessTokenSecret"]
        assert custom, path.name
        assert {int(r["Properties"]["ServiceTimeout"]) for r in custom} == {150}, path.name


def test_the_optional_failure_alarm_watches_the_metric_the_provider_emits() -> None:
    template = _provider()
    alarm = template["Resources"]["FailureAlarm"]
    environment = template["Resources"]["ProviderFunction"]["Properties"]["Environment"]["Variables"]
    metrics = [m["MetricStat"]["Metric"] for m in alarm["Properties"]["Metrics"] if "MetricStat" in m]
    stats = [m for m in metrics if m["Namespace"] != "AWS/Lambda"]
    (dropped,) = [m for m in metrics if m["Namespace"] == "AWS/Lambda"]

    assert alarm["Condition"] == "AlarmOnFailures"
    # Requests Lambda discarded unrun: what a dead-letter queue would hold, without the payload
    # (Lambda Developer Guide, asynchronous invocation metrics).
    assert dropped == {
        "Namespace": "AWS/Lambda",
        "MetricName": "AsyncEventsDropped",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "ProviderFunction"}}],
    }
    ids = [m["Id"] for m in alarm["Properties"]["Metrics"] if "MetricStat" in m]
    (expression,) = [m["Expression"] for m in alarm["Properties"]["Metrics"] if "Expression" in m]
    assert expression == f"SUM([{', '.join(ids)}])"
    assert template["Parameters"]["FailureAlarmTopicArn"]["Default"] == ""
    assert {s["Namespace"] for s in stats} == {environment["POWERTOOLS_METRICS_NAMESPACE"]}
    assert {s["MetricName"] for s in stats} == {"Failed"}
    assert {d["Value"] for s in stats for d in s["Dimensions"] if d["Name"] == "service"} == {
        environment["POWERTOOLS_SERVICE_NAME"]
    }
    assert sorted(d["Value"] for s in stats for d in s["Dimensions"] if d["Name"] == "RequestType") == [
        "Create",
        "Delete",
        "Unprocessed",
        "Update",
    ]
