"""The examples' custom resource properties pass the provider's own validation, so the
examples cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from access_token_secret.plan.properties import parse_properties
from access_token_secret.tokens import TokenFormat

from harness.account import make_arn
from harness.cloudformation import as_cloudformation_sends
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
    assert not props.generated


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
