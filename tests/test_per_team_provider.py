"""Teams stay apart: the per-team provider (examples/per-team-provider.yaml) gives each team a
role that reaches only that team's secrets and a function whose own resource policy names only
that team's deploy principal (docs/security.md, "Teams stay apart")."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from harness.account import make_arn
from harness.templates import PSEUDO, load_template

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = PSEUDO["AWS::AccountId"]


def provider() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def per_team_example() -> dict[str, Any]:
    return load_template(ROOT / "examples" / "per-team-provider.yaml")


def team_prefix(team: str) -> str:
    """The SecretNamePrefix the example gives the nested provider, for ``team``."""
    template = per_team_example()
    sub = template["Resources"]["Provider"]["Properties"]["Parameters"]["SecretNamePrefix"]["Fn::Sub"]
    assert re.fullmatch(template["Parameters"]["Team"]["AllowedPattern"], team)
    return str(sub).replace("${Team}", team)


def role_secret_resources(prefix: str) -> list[str]:
    """The Secrets Manager resources the provider's role may act on, with ``prefix`` filled in."""
    values = {**PSEUDO, "SecretNamePrefix": prefix}
    resources = []
    for policy in provider()["Resources"]["ProviderRole"]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if any(action.startswith("secretsmanager:") for action in statement["Action"]):
                resources.append(re.sub(r"\$\{([^}]+)\}", lambda m: values[m[1]], statement["Resource"]["Fn::Sub"]))
    return resources


def secret_arn(name: str) -> str:
    return make_arn("secretsmanager", f"secret:{name}-AbCdEf", account=ACCOUNT)


def iam_matches(pattern: str, arn: str) -> bool:
    """IAM resource matching: ``*`` is any run of characters (slashes included), ``?`` one
    character, case-sensitive (IAM User Guide, "IAM JSON policy elements: Resource")."""
    return fnmatchcase(arn, pattern.replace("[", "[[]"))


@pytest.mark.parametrize(
    ("name", "reached"),
    [
        ("video-a/mediatailor/media-origin/Token-0123456789", True),
        ("video-b/mediatailor/media-origin/Token-0123456789", False),
        ("video-a-ops/mediatailor/media-origin/Token-0123456789", False),
        ("video/mediatailor/media-origin/Token-0123456789", False),
        ("mediatailor/media-origin/Token-0123456789", False),
        ("video-a/other/Token", False),
    ],
)
def test_a_teams_provider_role_reaches_only_that_teams_secrets(name: str, reached: bool) -> None:
    (resource,) = role_secret_resources(team_prefix("video-a"))

    assert iam_matches(resource, secret_arn(name)) is reached


def test_the_role_check_can_fail() -> None:
    """The default prefix reaches every team's secrets when they are nested under it: why the
    example puts the team first."""
    (resource,) = role_secret_resources("mediatailor/")

    assert iam_matches(resource, secret_arn("mediatailor/video-a/media-origin/Token-0123456789"))


def test_only_the_named_principal_is_granted_invocation_and_only_when_named() -> None:
    template = provider()
    permissions = {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Permission"}
    function = template["Resources"]["ProviderFunction"]["Properties"]

    assert list(permissions) == ["InvokerPermission"]
    permission = permissions["InvokerPermission"]
    assert permission["Condition"] == "GrantInvoker"
    assert template["Conditions"]["GrantInvoker"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "InvokerPrincipalArn"}, ""]}]}
    assert template["Parameters"]["InvokerPrincipalArn"]["Default"] == ""
    assert permission["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": ["ProviderFunction", "Arn"]},
        "Principal": {"Ref": "InvokerPrincipalArn"},
    }
    assert "Events" not in function, "SAM would add a permission for each event source"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        (f"arn:aws:iam::{ACCOUNT}:role/video-a-deploy", True),
        (f"arn:aws-us-gov:iam::{ACCOUNT}:role/path/video-a-cfn-service-role", True),
        (f"arn:aws:iam::{ACCOUNT}:user/video-a-ci", True),
        ("*", False),
        (ACCOUNT, False),
        (f"arn:aws:iam::{ACCOUNT}:root", False),
        ("cloudformation.amazonaws.com", False),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/video-a-deploy/session", False),
    ],
)
def test_the_invoker_must_be_one_iam_role_or_user(value: str, accepted: bool) -> None:
    """An account, a service or a wildcard as Principal would let far more than one team in."""
    pattern = provider()["Parameters"]["InvokerPrincipalArn"]["AllowedPattern"]

    assert bool(re.fullmatch(pattern, value)) is accepted


def test_the_per_team_example_grants_its_deployer_and_exports_a_team_scoped_service_token() -> None:
    template = per_team_example()
    parameters = template["Resources"]["Provider"]["Properties"]["Parameters"]

    assert parameters["InvokerPrincipalArn"] == {"Ref": "DeployerPrincipalArn"}
    assert parameters["ServiceTokenExportName"] == ""
    assert template["Outputs"]["ServiceToken"]["Export"]["Name"] == {
        "Fn::Sub": "${Team}-mediatailor-access-token-secret-ServiceToken"
    }
