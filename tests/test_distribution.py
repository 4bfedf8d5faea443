"""Distribution: one version everywhere, the Serverless Application Repository metadata, nested
use through SAM's own translator, and a reference that cannot drift from the code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from access_token_secret.adapter.handler import response_data
from access_token_secret.adapter.inputs import CLOUDFORMATION_PROPERTIES
from access_token_secret.aws.apply import Outcome
from access_token_secret.plan.properties import (
    FIELDS,
    KNOWN_PROPERTIES,
    Field,
    parse_properties,
)
from access_token_secret.service import Result
from access_token_secret.tokens import AccessToken
from access_token_secret.version import VERSION

from harness.account import REGION
from harness.templates import load_template

ROOT = Path(__file__).resolve().parents[1]


def provider_template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def test_the_version_is_semantic_and_the_same_everywhere() -> None:
    template = provider_template()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(), flags=re.MULTILINE)

    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    assert template["Metadata"]["AWS::ServerlessRepo::Application"]["SemanticVersion"] == VERSION
    assert str(template["Outputs"]["ProviderVersion"]["Value"]) == VERSION
    assert pyproject["project"]["version"] == VERSION
    assert releases[0] == VERSION, "the newest CHANGELOG release is this version"


def test_the_serverless_application_repository_metadata_is_complete() -> None:
    metadata = provider_template()["Metadata"]["AWS::ServerlessRepo::Application"]

    assert {"Name", "Description", "Author", "SpdxLicenseId", "LicenseUrl", "ReadmeUrl", "Labels"} <= set(metadata)
    assert "SemanticVersion" in metadata
    # No placeholder URL: the publisher adds SourceCodeUrl/HomePageUrl (docs/development.md).
    assert not {"SourceCodeUrl", "HomePageUrl"} & set(metadata)
    assert metadata["SpdxLicenseId"] == "MIT"
    assert (ROOT / metadata["LicenseUrl"]).is_file()
    assert (ROOT / metadata["ReadmeUrl"]).is_file()


def test_the_service_token_output_is_unconditional_and_only_its_export_name_depends_on_the_parameter() -> None:
    template = provider_template()
    output = template["Outputs"]["ServiceToken"]

    assert "Condition" not in output
    assert output["Export"]["Name"] == {
        "Fn::If": [
            "ExportServiceToken",
            {"Ref": "ServiceTokenExportName"},
            {"Fn::Sub": "${AWS::StackName}-ServiceToken"},
        ]
    }
    assert template["Parameters"]["ServiceTokenExportName"]["Default"] == "mediatailor-access-token-secret-ServiceToken"


NESTED_PARAMETERS = {
    "nested-provider.yaml": {"ServiceTokenExportName": ""},
    "per-team-provider.yaml": {
        "ServiceTokenExportName": "",
        "SecretNamePrefix": {"Fn::Sub": "${Team}/mediatailor/"},
        "InvokerPrincipalArn": {"Ref": "DeployerPrincipalArn"},
    },
}


def translate(example: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The translator `sam validate` uses (aws-sam-translator), offline: a local Location needs
    no Serverless Application Repository call."""
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    class NoIam:
        def list_policies(self, **_: object) -> dict[str, list[object]]:
            return {"Policies": []}

    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return dict(transform(load_template(ROOT / "examples" / example), {}, ManagedPolicyLoader(NoIam())))


@pytest.mark.parametrize("example", sorted(NESTED_PARAMETERS))
def test_the_nested_examples_translate_with_sam_and_pass_cfn_lint(
    example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    translated = translate(example, monkeypatch)
    # Laid out as in the repository, so cfn-lint finds the nested template at ../template.yaml.
    (tmp_path / "examples").mkdir()
    (tmp_path / "template.yaml").write_text((ROOT / "template.yaml").read_text())
    path = tmp_path / "examples" / example.replace(".yaml", ".translated.json")
    path.write_text(json.dumps(translated))
    done = subprocess.run(
        # W3002: a local Location is meant for `sam package`/`sam deploy`, which upload it.
        [str(Path(sys.executable).parent / "cfn-lint"), "--ignore-checks", "W3002", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    provider = translated["Resources"]["Provider"]
    assert provider["Type"] == "AWS::CloudFormation::Stack"
    assert provider["Properties"]["Parameters"] == NESTED_PARAMETERS[example]
    assert translated["Resources"]["OriginAccessToken"]["Properties"]["ServiceToken"] == {
        "Fn::GetAtt": ["Provider", "Outputs.ServiceToken"]
    }
    assert done.returncode == 0, done.stdout + done.stderr


def _table_names(section: str) -> set[str]:
    """The back-quoted names in the first column of the table under ``## <section>``."""
    text = (ROOT / "docs" / "reference.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z]+)` \|", body, flags=re.MULTILINE))


def test_every_property_the_code_accepts_is_in_the_reference_and_nothing_else() -> None:
    assert _table_names("Properties") == set(KNOWN_PROPERTIES)
    reference = (ROOT / "docs" / "reference.md").read_text()
    assert all(f"`{name}`" in reference for name in CLOUDFORMATION_PROPERTIES)


def _table_rows(section: str) -> dict[str, list[str]]:
    """The cells of each row of the table under ``## <section>``, by the row's back-quoted name."""
    text = (ROOT / "docs" / "reference.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in body.splitlines():
        match = re.match(r"^\| `([A-Za-z]+)` \|(.*)\|$", line)
        if match:
            # A cell may hold an escaped pipe (`a` \| `b`).
            rows[match[1]] = [cell.strip() for cell in re.split(r"(?<!\\)\|", match[2])]
    return rows


@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.name)
def test_the_reference_states_each_propertys_requirement_type_limits_and_update_behaviour(field: Field) -> None:
    """docs/reference.md's Properties table against the one table the code reads them from."""
    required, type_, _default, update, _meaning = _table_rows("Properties")[field.name]

    assert required == ("yes" if field.required else "no")
    assert type_ == field.type
    assert update == field.update


def test_every_attribute_the_code_returns_is_in_the_reference_and_nothing_else() -> None:
    props = parse_properties(
        {"KmsKeyId": "k", "SecretStringKey": "K", "HeaderName": "X-Token", "ReturnAccessToken": "true"},
        name_prefix="mediatailor/",
    )
    token = AccessToken("documented-token")
    outcome = Outcome("arn", "name", "version", token=token, pending_token=token, previous_token=token)

    data, _ = response_data(Result(outcome=outcome, props=props, kms_key_arn="key"))

    assert _table_names("Return values") == set(data)


def test_the_repository_links_nowhere_outside_itself_but_public_documentation() -> None:
    for path in [ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").glob("*.md")]:
        text = path.read_text()
        assert "../shared" not in text, path.name
        for target in re.findall(r"\]\(([^)#]+)", text):
            if target.startswith("http"):
                continue
            assert (path.parent / target).exists(), f"{path.name} links to {target}"


def test_every_environment_variable_the_template_sets_or_the_code_reads_is_in_the_reference() -> None:
    from access_token_secret.adapter import response

    text = (ROOT / "docs" / "reference.md").read_text()
    body = text.split("## Provider environment variables\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", body, flags=re.MULTILINE))
    variables = provider_template()["Resources"]["ProviderFunction"]["Properties"]["Environment"]["Variables"]

    assert documented == set(variables) | {response.ALLOWED_HOSTS_VARIABLE}
    assert variables[response.DNS_SUFFIX_VARIABLE] == {"Ref": "AWS::URLSuffix"}


def test_make_deploy_reads_the_repository_s_samconfig_with_the_built_template() -> None:
    """SAM looks for samconfig.toml beside the template it deploys (the built one, in
    .aws-sam/build); without --config-file it would lose the stack name, the capabilities and
    the change-set confirmation, and stop at "Missing option '--stack-name'"."""
    dry = subprocess.run(
        ["make", "-n", "deploy", "REGION=eu-west-1", "SAM=sam"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    commands = dry.stdout.replace("\\\n", " ").splitlines()
    (deploy,) = [line for line in commands if " deploy --region eu-west-1" in line]
    assert f"--config-file {ROOT}/samconfig.toml" in deploy
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())["default"]
    assert config["global"]["parameters"]["stack_name"] == "mediatailor-access-token-secret"
    assert {"capabilities", "confirm_changeset", "resolve_s3"} <= set(config["deploy"]["parameters"])
