"""The provider's optional parameters (`LogGroupKmsKeyArn`, `ReservedConcurrency`, the VPC option
`SubnetIds`/`SecurityGroupIds`) and its event age through SAM's own translator, cfn-lint and
cfn-guard with AWS Control Tower's proactive-control rules, and the scanner decisions recorded
in the template.

SAM's translator leaves `Fn::If` in place; CloudFormation resolves it at deploy time. The
`deployed` helper below does what CloudFormation documents for that step and nothing more
(CloudFormation User Guide, "Condition functions", "Fn::Join" and "Pseudo parameters reference":
`Fn::Equals`, `Fn::Not`, `Fn::Join` of a list parameter, `Fn::If` on a named condition, a
`CommaDelimitedList` parameter read as its comma-separated items, and `AWS::NoValue` removing the
property), so the tests read the resources CloudFormation would create. Control Tower's
proactive controls run as CloudFormation hooks on those resources, so cfn-guard reads them too."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from harness.templates import load_template

ROOT = Path(__file__).resolve().parents[1]
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUBNETS = "subnet-0123456789abcdef0,subnet-0fedcba9876543210"
SECURITY_GROUPS = "sg-0123456789abcdef0"
IN_A_VPC = {"SubnetIds": SUBNETS, "SecurityGroupIds": SECURITY_GROUPS}
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


def _parameter(template: dict[str, Any], parameters: dict[str, str], name: str) -> str | int | list[str]:
    """A parameter's value where a template refers to it. The only Number parameter,
    LogRetentionInDays, reaches a property typed Integer (AWS::Logs::LogGroup RetentionInDays)."""
    value = parameters.get(name, str(template["Parameters"][name]["Default"]))
    kind = template["Parameters"][name]["Type"]
    if kind == "CommaDelimitedList":
        return value.split(",")
    return int(value) if kind == "Number" else value


class _Deployment:
    """What CloudFormation does with the template's conditions and parameters."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str]) -> None:
        self.template = template
        self.parameters = parameters

    def value(self, node: Any) -> Any:
        if isinstance(node, dict) and list(node) == ["Ref"]:
            return _parameter(self.template, self.parameters, node["Ref"])
        if isinstance(node, dict) and list(node) == ["Fn::Join"]:
            delimiter, items = node["Fn::Join"]
            return delimiter.join(self.value(items))
        return node

    def condition(self, expression: Any) -> bool:
        ((function, argument),) = expression.items()
        if function == "Fn::Not":
            return not self.condition(argument[0])
        if function == "Fn::Equals":
            left, right = (self.value(side) for side in argument)
            return bool(left == right)
        if function == "Condition":
            return self.condition(self.template["Conditions"][argument])
        raise AssertionError(f"unexpected condition function {function}")

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if list(node) == ["Fn::If"]:
            name, when_true, when_false = node["Fn::If"]
            return self.resolve(when_true if self.condition({"Condition": name}) else when_false)
        if node == {"Ref": "AWS::NoValue"}:
            return None
        if list(node) == ["Ref"] and node["Ref"] in self.template.get("Parameters", {}):
            return self.value(node)
        resolved = {key: self.resolve(item) for key, item in node.items()}
        return {key: item for key, item in resolved.items() if item is not None}


def deployed_template(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The resources (type and properties) CloudFormation creates once it has resolved the
    conditions and the parameters."""
    deployment = _Deployment(template, parameters)
    return {
        "Resources": {
            logical_id: {"Type": resource["Type"], "Properties": deployment.resolve(resource.get("Properties", {}))}
            for logical_id, resource in template["Resources"].items()
            if "Condition" not in resource or deployment.condition({"Condition": resource["Condition"]})
        }
    }


def deployed(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The resources' properties once CloudFormation has resolved the conditions."""
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in deployed_template(template, parameters)["Resources"].items()
    }


def rules_accept(template: dict[str, Any], parameters: dict[str, str]) -> bool:
    """Whether every assertion of the template's `Rules` holds for these parameters, as
    CloudFormation checks them before it creates or changes anything (User Guide, "Rules syntax"
    and "Rule functions": `Fn::And`, `Fn::Or`, `Fn::Not`, `Fn::Contains` (the string is one of
    the list's items), `Fn::EachMemberEquals` (every item is the string))."""

    def holds(expression: Any) -> bool:
        ((function, argument),) = expression.items()
        if function == "Fn::And":
            return all(holds(item) for item in argument)
        if function == "Fn::Or":
            return any(holds(item) for item in argument)
        if function == "Fn::Not":
            return not holds(argument[0])
        items, string = argument
        listed = _parameter(template, parameters, items["Ref"])
        assert isinstance(listed, list), "rule functions here read list parameters"
        if function == "Fn::Contains":
            return string in listed
        if function == "Fn::EachMemberEquals":
            return all(item == string for item in listed)
        raise AssertionError(f"unexpected rule function {function}")

    return all(
        holds(assertion["Assert"]) for rule in template.get("Rules", {}).values() for assertion in rule["Assertions"]
    )


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


def _functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {logical_id: r for logical_id, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}


def test_by_default_no_function_is_in_a_vpc_and_no_role_may_make_network_interfaces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    template = translated(monkeypatch)
    resources = deployed_template(template, {})["Resources"]

    assert _functions(resources)
    assert all("VpcConfig" not in f["Properties"] for f in _functions(resources).values())
    assert "VpcNetworkInterfaces" not in resources
    assert all("ManagedPolicyArns" not in r["Properties"] for r in resources.values() if r["Type"] == "AWS::IAM::Role")
    assert rules_accept(template, {})


def test_subnets_and_security_groups_put_every_function_in_the_vpc_and_its_role_gets_the_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every function SAM makes from this template (the Globals section), today ProviderFunction,
    with the role that runs it attaching VpcNetworkInterfaces: Lambda creates the function's
    network interfaces with its execution role and checks that role when the function is created
    (Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon VPC")."""
    template = translated(monkeypatch)
    resources = deployed_template(template, IN_A_VPC)["Resources"]

    for function in _functions(resources).values():
        assert function["Properties"]["VpcConfig"] == {
            "SubnetIds": SUBNETS.split(","),
            "SecurityGroupIds": SECURITY_GROUPS.split(","),
        }
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        assert resources[role]["Properties"]["ManagedPolicyArns"] == [{"Ref": "VpcNetworkInterfaces"}]
    assert resources["VpcNetworkInterfaces"]["Type"] == "AWS::IAM::ManagedPolicy"
    assert "ReservedConcurrentExecutions" not in resources["ProviderFunction"]["Properties"]
    assert rules_accept(template, IN_A_VPC)


# The EC2 actions of the AWS managed policy AWSLambdaVPCAccessExecutionRole, version 3 (AWS Managed
# Policy Reference); its CloudWatch Logs actions are in the provider role's own "logs" policy.
LAMBDA_VPC_ACCESS_EC2_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def test_the_network_interface_policy_grants_the_managed_policy_s_actions_within_the_region() -> None:
    """Only the Describe actions, which EC2 authorizes on all resources alone, name every
    resource; DeleteNetworkInterface keeps the form the Lambda Developer Guide gives (every
    resource of the account in the Region), since a narrower one can cut the function off."""
    policy = load_template(ROOT / "template.yaml")["Resources"]["VpcNetworkInterfaces"]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    in_region = "arn:${AWS::Partition}:ec2:${AWS::Region}:"

    assert policy["Condition"] == "AttachToVpc"
    assert {s["Effect"] for s in statements} == {"Allow"}
    assert {a for s in statements for a in _actions(s)} == LAMBDA_VPC_ACCESS_EC2_ACTIONS
    for statement in statements:
        if set(_actions(statement)) <= {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}:
            assert statement["Resource"] == "*"
        else:
            assert all(r["Fn::Sub"].startswith(in_region) for r in _resources(statement)), statement["Sid"]
    (delete,) = [s for s in statements if "ec2:DeleteNetworkInterface" in _actions(s)]
    assert delete["Resource"] == {"Fn::Sub": in_region + "${AWS::AccountId}:*/*"}


@pytest.mark.parametrize(
    ("subnets", "security_groups", "accepted"),
    [
        ("", "", True),
        (SUBNETS, SECURITY_GROUPS, True),
        ("subnet-0123456789abcdef0", "sg-0123456789abcdef0,sg-0fedcba9876543210", True),
        (SUBNETS, "", False),
        ("", SECURITY_GROUPS, False),
        (SUBNETS + ",", SECURITY_GROUPS, False),
        (SUBNETS, "," + SECURITY_GROUPS, False),
    ],
)
def test_subnets_and_security_groups_are_given_together_or_not_at_all(
    subnets: str, security_groups: str, accepted: bool
) -> None:
    """Lambda needs both to attach a function to a VPC (Lambda API reference, VpcConfig); a
    list with an empty item would reach Lambda as a subnet or group named ''."""
    template = load_template(ROOT / "template.yaml")

    assert rules_accept(template, {"SubnetIds": subnets, "SecurityGroupIds": security_groups}) is accepted


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


@pytest.mark.parametrize(
    ("parameter", "item", "accepted"),
    [
        ("SubnetIds", "", True),
        ("SubnetIds", "subnet-0123456789abcdef0", True),
        ("SubnetIds", "subnet-12345678", True),
        ("SubnetIds", "sg-0123456789abcdef0", False),
        ("SubnetIds", " subnet-0123456789abcdef0", False),
        ("SubnetIds", "subnet-0123456789ABCDEF0", False),
        ("SecurityGroupIds", "", True),
        ("SecurityGroupIds", "sg-0123456789abcdef0", True),
        ("SecurityGroupIds", "subnet-0123456789abcdef0", False),
        ("SecurityGroupIds", "default", False),
    ],
)
def test_the_vpc_parameters_accept_only_ids_of_their_kind(parameter: str, item: str, accepted: bool) -> None:
    """For a CommaDelimitedList, CloudFormation matches AllowedPattern against each item (User
    Guide, Parameters); the empty default is one empty item."""
    assert _accepts(parameter, item) is accepted


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


# cfn-guard and AWS Control Tower's proactive-control rules, from the npm package the Makefile
# installs (`make guard`): cfn-guard is not on PyPI, and the rules ship only with it.
GUARD_HOME = ROOT / ".cfn-guard" / "node_modules" / "@cdklabs" / "cdk-validator-cfnguard"
CONTROL_TOWER_RULES = GUARD_HOME / "rules" / "control-tower" / "cfn-guard"
# Every optional parameter set: what the table in docs/security.md calls "with an option".
INVOKER = "arn:aws:iam::123456789012:role/deploy"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:provider-failures"
EVERY_OPTION = {
    **IN_A_VPC,
    "LogGroupKmsKeyArn": KEY_ARN,
    "LogRetentionInDays": "365",
    "ReservedConcurrency": "10",
    "InvokerPrincipalArn": INVOKER,
    "FailureAlarmTopicArn": TOPIC,
}


@pytest.fixture(scope="module")
def cfn_guard() -> Path:
    system = "macos" if platform.system() == "Darwin" else "ubuntu"
    machine = {"arm64": "aarch64", "AMD64": "x86_64"}.get(platform.machine(), platform.machine())
    binary = GUARD_HOME / "bin" / system / machine / "cfn-guard"
    if not binary.is_file():
        if os.environ.get("CFN_GUARD_REQUIRED"):
            pytest.fail(f"cfn-guard is not at {binary.relative_to(ROOT)}: run `make guard`")
        pytest.skip("cfn-guard is not installed: `make guard` installs it and runs these tests")
    return binary


@cache
def _control_ids() -> dict[str, str]:
    """cfn-guard reports a rule by the name of the first rule in its file; the file is named
    after the control (ct-lambda-pr-3.guard is CT.LAMBDA.PR.3)."""
    ids = {}
    for path in CONTROL_TOWER_RULES.rglob("*.guard"):
        first = re.search(r"^rule\s+(\w+)", path.read_text(), flags=re.MULTILINE)
        assert first, path.name
        ids[first.group(1)] = path.stem.upper().replace("-", ".")
    return ids


@cache
def _translated_once() -> str:
    with pytest.MonkeyPatch.context() as patch:
        return json.dumps(translated(patch))


def control_tower(cfn_guard: Path, parameters: dict[str, str], directory: Path) -> dict[str, set[str]]:
    """``{"FAIL"|"PASS"|"SKIP": control IDs}`` of every Control Tower rule over the resources
    CloudFormation creates from the provider template with these parameters."""
    data = directory / "deployed.json"
    data.write_text(json.dumps(deployed_template(json.loads(_translated_once()), parameters)))
    command = [str(cfn_guard), "validate", "--rules", str(CONTROL_TOWER_RULES), "--data", str(data)]
    done = subprocess.run(
        [*command, "--output-format", "json", "--structured", "--show-summary", "none"],
        capture_output=True,
        text=True,
        check=False,
    )
    # 0: every rule passed or was skipped; 19: a rule failed. Anything else is cfn-guard's error.
    assert done.returncode in (0, 19), done.stderr[-2000:]
    (report,) = json.loads(done.stdout)
    ids = _control_ids()
    return {
        "FAIL": {ids[r["Rule"]["name"]] for r in report["not_compliant"]},
        "PASS": {ids[name] for name in report["compliant"]},
        "SKIP": {ids[name] for name in report["not_applicable"]},
    }


def test_control_tower_by_default_fails_only_the_three_controls_the_options_meet(
    cfn_guard: Path, tmp_path: Path
) -> None:
    found = control_tower(cfn_guard, {}, tmp_path)

    assert found["FAIL"] == {"CT.LAMBDA.PR.3", "CT.CLOUDWATCH.PR.2", "CT.CLOUDWATCH.PR.3"}
    assert found["FAIL"] == documented_failures()
    assert {"CT.IAM.PR.1", "CT.IAM.PR.5"} <= found["PASS"]
    assert len((found["PASS"] | found["SKIP"]) - found["FAIL"]) == documented_others()


def _controls_table() -> list[list[str]]:
    text = (ROOT / "docs" / "security.md").read_text()
    section = text.split("## Security Hub and Control Tower controls", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[1:]]


def documented_failures() -> set[str]:
    """The Control Tower controls docs/security.md says fail by default."""
    return {row[0].split()[0] for row in _controls_table() if row[1] == "Fails" and row[0].startswith("CT.")}


def documented_others() -> int:
    """The Control Tower rules the table calls passing or not applying by default: its count of
    "the other" rules plus each control it names that does not fail."""
    table = _controls_table()
    (count,) = [int(re.findall(r"\d+", row[0])[0]) for row in table if row[0].startswith("The other")]
    named = {found for row in table if row[1] != "Fails" for found in re.findall(r"CT\.[A-Z]+\.PR\.\d+", row[0])}
    return count + len(named)


def test_control_tower_controls_the_table_says_an_option_meets_do_pass_with_every_option(
    cfn_guard: Path, tmp_path: Path
) -> None:
    named = {found for row in _controls_table() for found in re.findall(r"CT\.[A-Z]+\.PR\.\d+", row[0])}
    found = control_tower(cfn_guard, EVERY_OPTION, tmp_path)

    assert named <= found["PASS"]


@pytest.mark.parametrize(
    ("parameters", "control"),
    [
        (IN_A_VPC, "CT.LAMBDA.PR.3"),
        ({"LogGroupKmsKeyArn": KEY_ARN}, "CT.CLOUDWATCH.PR.3"),
        ({"LogRetentionInDays": "365"}, "CT.CLOUDWATCH.PR.2"),
    ],
    ids=["vpc", "log-group-key", "retention"],
)
def test_control_tower_each_option_meets_its_control(
    cfn_guard: Path, tmp_path: Path, parameters: dict[str, str], control: str
) -> None:
    found = control_tower(cfn_guard, parameters, tmp_path)

    assert control in found["PASS"]
    assert control not in found["FAIL"]


def test_control_tower_with_every_option_fails_no_control(cfn_guard: Path, tmp_path: Path) -> None:
    """Including the rules of the resources only options create: the managed policy
    (CT.IAM.PR.2, CT.IAM.PR.3), the invoker's permission (CT.LAMBDA.PR.2), the alarm."""
    found = control_tower(cfn_guard, EVERY_OPTION, tmp_path)

    assert found["FAIL"] == set()
    assert {"CT.IAM.PR.2", "CT.IAM.PR.3", "CT.LAMBDA.PR.2", "CT.CLOUDWATCH.PR.4"} <= found["PASS"]
