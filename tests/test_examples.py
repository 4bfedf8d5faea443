"""The examples' custom resource properties pass the provider's own validation, so the
examples cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from access_token_secret.adapter.inputs import properties as parse_properties
from access_token_secret.tokens import TokenFormat

from harness.account import make_arn
from harness.cloudformation import as_cloudformation_sends
from harness.origins import WafRuleGroup
from harness.templates import custom_resource_properties, load_template, resource_properties

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SAMPLE_PARAMETERS = {
    "DeployerPrincipalArn": make_arn("iam", "role/deployer", region=""),
    "Team": "video-a",
    "KmsKeyArn": make_arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    "AccessToken": "operator-supplied-token-01",
    "ChannelId": "live-channel",
    "ChannelGroupName": "live",
    "ChannelName": "live-channel",
}


# A sample token for GetAtt attributes that feed another custom resource's AccessToken.
SAMPLE_ATTRIBUTES = {"CdnIdentifier.NextAccessToken": "9ceebbe7-9607-4552-8764-876e47032660"}


def every_example_properties(name: str) -> dict[str, dict[str, object]]:
    found = custom_resource_properties(EXAMPLES / name, SAMPLE_PARAMETERS, SAMPLE_ATTRIBUTES)
    assert found, "each example declares a Custom::MediaTailorAccessTokenSecret"
    return {logical_id: as_cloudformation_sends(properties) for logical_id, properties in found.items()}


def example_properties(name: str, logical_id: str | None = None) -> dict[str, object]:
    found = every_example_properties(name)
    return found[logical_id] if logical_id else next(iter(found.values()))


@pytest.mark.parametrize("template", sorted(path.name for path in EXAMPLES.glob("*.yaml")))
def test_every_example_passes_the_properties_model(template: str) -> None:
    for properties in every_example_properties(template).values():
        props = parse_properties(properties, name_prefix="mediatailor/")

        assert props.kms_key_id.startswith("arn:aws:")
        assert props.header_name is not None


@pytest.mark.parametrize(
    ("template", "key", "header"),
    [
        ("mediapackage-cdn-authorization.yaml", "MediaPackageCDNIdentifier", "X-MediaPackage-CDNIdentifier"),
        ("mediapackage-v2-cdn-authorization.yaml", "MediaPackageV2CDNIdentifier", "X-MediaPackageV2-CDNIdentifier"),
    ],
)
def test_the_mediapackage_examples_follow_the_cdn_authorization_convention(
    template: str, key: str, header: str
) -> None:
    """MediaPackage UG (v1 "CDN authorization in AWS Elemental MediaPackage"; v2 "Troubleshoot
    MediaPackage CDN authorization errors"): the JSON key and header each version reads. Both
    secrets use them: MediaTailor sends one, MediaPackage reads the other."""
    found = every_example_properties(template)
    mediatailors = parse_properties(found["CdnIdentifier"], name_prefix="mediatailor/")
    mediapackages = parse_properties(found["MediaPackageCdnIdentifier"], name_prefix="mediatailor/")

    assert mediatailors.token_format is TokenFormat.UUID, "36 characters: within 8-128 (v1, MediaTailor) and 8-256 (v2)"
    assert mediatailors.secret_string_key == mediapackages.secret_string_key == key
    assert mediatailors.header_name == mediapackages.header_name == header
    assert mediatailors.return_access_token, "its tokens feed MediaPackage's secret and the CDN's header"
    assert mediapackages.access_token is not None
    assert mediapackages.access_token.reveal() == SAMPLE_ATTRIBUTES["CdnIdentifier.NextAccessToken"]


def test_the_operator_example_passes_its_no_echo_parameter_as_the_token() -> None:
    props = parse_properties(example_properties("operator-supplied-token.yaml"), name_prefix="mediatailor/")

    assert props.access_token is not None
    assert props.access_token.reveal() == SAMPLE_PARAMETERS["AccessToken"]


def _parameters(template: str) -> dict[str, dict[str, object]]:
    return dict(load_template(EXAMPLES / template).get("Parameters", {}))


@pytest.mark.parametrize("template", sorted(path.name for path in EXAMPLES.glob("*.yaml")))
def test_every_example_parameter_says_what_it_is_for(template: str) -> None:
    """A user copies the examples into a console or a CLI: each parameter explains itself."""
    undescribed = [name for name, spec in _parameters(template).items() if len(str(spec.get("Description", ""))) < 20]

    assert undescribed == []


@pytest.mark.parametrize(
    "template",
    ["source-location-generated-token.yaml", "staged-rotation-origin-check.yaml", "operator-supplied-token.yaml"],
)
@pytest.mark.parametrize(
    ("origin_url", "accepted"),
    [
        ("https://origin.example.com", True),
        ("https://origin.example.com:8443", True),
        ("https://origin.example.com/media/vod", True),
        ("http://10.0.0.5/base", True),
        ("https://origin.example.com/", False),
        ("https://origin.example.com/media/", False),
        ("origin.example.com", False),
        ("https://origin.example.com/media?x=1", False),
    ],
)
def test_origin_url_takes_a_host_and_an_optional_base_path_without_a_trailing_slash(
    template: str, origin_url: str, accepted: bool
) -> None:
    """MediaTailor appends each source's path (which starts with a slash) to the source
    location's base URL, so a trailing slash would double it."""
    pattern = str(_parameters(template)["OriginUrl"]["AllowedPattern"])

    assert bool(re.fullmatch(pattern, origin_url)) is accepted


def test_the_basic_example_takes_its_vod_source_and_rotation_ids_as_parameters() -> None:
    properties = custom_resource_properties(
        EXAMPLES / "source-location-generated-token.yaml",
        {**SAMPLE_PARAMETERS, "RotationId": "7", "NextRotationId": "8"},
    )["OriginAccessToken"]
    vod = resource_properties(
        EXAMPLES / "source-location-generated-token.yaml",
        "VodSource",
        {**SAMPLE_PARAMETERS, "VodSourceName": "film", "VodSourcePath": "/films/one/index.m3u8"},
    )

    assert (properties["RotationId"], properties["NextRotationId"]) == ("7", "8")
    assert vod["VodSourceName"] == "film"
    assert vod["HttpPackageConfigurations"][0]["Path"] == "/films/one/index.m3u8"


# AWS WAF rule groups ------------------------------------------------------------------------

# WAF Developer Guide, "String match rule statement": the base cost by positional constraint;
# "for each Text transformation that you apply, add 10 WCUs". NONE is counted too: the sum is
# then an upper bound (WAF may also charge a shared transformation once, "Web ACL capacity units").
BYTE_MATCH_WCUS = {"EXACTLY": 2, "STARTS_WITH": 2, "ENDS_WITH": 2, "CONTAINS": 10, "CONTAINS_WORD": 10}
TRANSFORMATION_WCUS = 10
LOGICAL = {"AndStatement": "Statements", "OrStatement": "Statements"}


def statement_wcus(statement: dict[str, Any]) -> int:
    """WCUs of one statement; logical statements cost what their nested statements cost (WAF
    Developer Guide, "Using logical rule statements"). Any other statement fails the test, so
    that a new kind is priced from the guide before it ships."""
    ((kind, body),) = statement.items()
    if kind == "ByteMatchStatement":
        return BYTE_MATCH_WCUS[body["PositionalConstraint"]] + TRANSFORMATION_WCUS * len(body["TextTransformations"])
    if kind in LOGICAL:
        return sum(statement_wcus(nested) for nested in body[LOGICAL[kind]])
    if kind == "NotStatement":
        return statement_wcus(body["Statement"])
    raise AssertionError(f"no WCU price in this test for {kind}")


def rule_groups() -> list[Any]:
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for logical_id, resource in load_template(path).get("Resources", {}).items():
            if resource["Type"] == "AWS::WAFv2::RuleGroup":
                properties = resource_properties(path, logical_id, SAMPLE_PARAMETERS)
                found.append(pytest.param(path.name, logical_id, properties, id=f"{path.name}:{logical_id}"))
    return found


@pytest.mark.parametrize(("template", "logical_id", "properties"), rule_groups())
def test_every_rule_group_has_the_capacity_its_rules_need_with_headroom(
    template: str, logical_id: str, properties: dict[str, Any]
) -> None:
    """A rule group's Capacity is fixed at creation (WAF API reference, ``CreateRuleGroup``): a
    rule that needs more is refused, and a new Capacity replaces the rule group."""
    needed = sum(statement_wcus(rule["Statement"]) for rule in properties["Rules"])

    assert properties["Capacity"] >= needed, f"{template} {logical_id}: Capacity {properties['Capacity']} < {needed}"
    assert properties["Capacity"] >= needed * 1.25, "headroom for one more token statement"


def test_the_wcu_count_prices_what_the_guide_prices() -> None:
    manifests = {
        "ByteMatchStatement": {
            "PositionalConstraint": "ENDS_WITH",
            "TextTransformations": [{"Type": "URL_DECODE"}, {"Type": "LOWERCASE"}],
        }
    }
    header = {"ByteMatchStatement": {"PositionalConstraint": "CONTAINS", "TextTransformations": [{"Type": "NONE"}]}}

    assert statement_wcus({"AndStatement": {"Statements": [manifests, {"NotStatement": {"Statement": header}}]}}) == 42


STAGED_ATTRIBUTES = {
    "OriginAccessToken.PreviousAccessToken": "token-previous-0001",
    "OriginAccessToken.AccessToken": "token-current-00002",
    "OriginAccessToken.NextAccessToken": "token-next-0000003",
}
# What an S3-style origin serves as the manifest /vod/sample/index.m3u8: it decodes the path
# (and a web server resolves dot segments), so WAF must see these as manifests too.
DISGUISED_MANIFESTS = [
    "/vod/sample/index.m3u8",
    "/vod/sample/INDEX.M3U8",
    "/vod/sample/index.m3u%38",
    "/vod/sample/index%2Em3u8",
    "/vod/sample/index%2em3u8",
    "/vod/sample/index.m3u8/x/..",
    "/vod/sample/index.mp%64",
]


@pytest.mark.parametrize("path", DISGUISED_MANIFESTS)
@pytest.mark.parametrize("template", ["staged-rotation-origin-check.yaml"])
def test_the_waf_rule_refuses_an_encoded_manifest_path_without_a_token_and_serves_it_with_one(
    template: str, path: str
) -> None:
    """The rule matches the URI path after its own text transformations only (WAF API
    reference, ``TextTransformation``); without URL_DECODE, ``%38`` is not an ``8``."""
    properties = resource_properties(EXAMPLES / template, "OriginTokenCheck", SAMPLE_PARAMETERS, STAGED_ATTRIBUTES)
    rule = WafRuleGroup(properties)

    without = rule(path, {})
    with_token = rule(path, {"x-origin-token": STAGED_ATTRIBUTES["OriginAccessToken.AccessToken"]})

    assert (without.status, with_token.status) == (403, 200), (without, with_token)
    assert rule("/vod/sample/segment-00001.ts", {}).ok, "segments still pass without a token"


def test_the_web_acl_example_checks_with_the_very_rule_of_the_staged_example() -> None:
    """Two copies of one rule would drift; the web ACL example is the staged one's rule group put
    in front of CloudFront, so its rules must stay equal."""

    def rules(template: str) -> object:
        return load_template(EXAMPLES / template)["Resources"]["OriginTokenCheck"]["Properties"]["Rules"]

    assert rules("waf-web-acl-cloudfront.yaml") == rules("staged-rotation-origin-check.yaml")


def test_the_web_acl_example_puts_the_rule_group_on_the_distribution_and_locks_the_bucket_to_it() -> None:
    resources = load_template(EXAMPLES / "waf-web-acl-cloudfront.yaml")["Resources"]
    acl = resources["WebAcl"]["Properties"]
    distribution = resources["Distribution"]["Properties"]["DistributionConfig"]
    bucket_policy = resources["ContentBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]

    assert acl["Scope"] == resources["OriginTokenCheck"]["Properties"]["Scope"] == "CLOUDFRONT"
    assert acl["Rules"][0]["Statement"]["RuleGroupReferenceStatement"]["Arn"] == {
        "Fn::GetAtt": ["OriginTokenCheck", "Arn"]
    }
    assert acl["Rules"][0]["OverrideAction"] == {"None": {}}, "Count would let every request through"
    assert distribution["WebACLId"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    assert distribution["Origins"][0]["OriginAccessControlId"] == {"Fn::GetAtt": ["OriginAccessControl", "Id"]}
    allows = [s for s in bucket_policy if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    assert "AWS:SourceArn" in allows[0]["Condition"]["StringEquals"]
    assert all(resources["ContentBucket"]["Properties"]["PublicAccessBlockConfiguration"].values())
