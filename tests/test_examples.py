"""The examples' custom resource properties pass the provider's own validation, so the
examples cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from access_token_secret.plan.properties import parse_properties
from access_token_secret.tokens import TokenFormat

from harness.cloudformation import as_cloudformation_sends
from harness.templates import custom_resource_properties

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SAMPLE_PARAMETERS = {
    "DeployerPrincipalArn": "arn:aws:iam::123456789012:role/deployer",
    "Team": "video-a",
    "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "AccessToken": "operator-supplied-token-01",
    "ChannelId": "live-channel",
    "ChannelGroupName": "live",
    "ChannelName": "live-channel",
}


def example_properties(name: str) -> dict[str, object]:
    found = custom_resource_properties(EXAMPLES / name, SAMPLE_PARAMETERS)
    assert len(found) == 1, "each example declares one Custom::MediaTailorAccessTokenSecret"
    (properties,) = found.values()
    return as_cloudformation_sends(properties)  # type: ignore[no-any-return]


@pytest.mark.parametrize("template", sorted(path.name for path in EXAMPLES.glob("*.yaml")))
def test_every_example_passes_the_properties_model(template: str) -> None:
    props = parse_properties(example_properties(template), name_prefix="mediatailor/")

    assert props.kms_key_id.startswith("arn:aws:")
    assert props.header_name is not None


def test_the_mediapackage_example_follows_the_cdn_authorization_convention() -> None:
    props = parse_properties(example_properties("mediapackage-cdn-authorization.yaml"), name_prefix="mediatailor/")

    assert props.token_format is TokenFormat.UUID
    assert props.secret_string_key == "MediaPackageCDNIdentifier"
    assert props.header_name == "X-MediaPackage-CDNIdentifier"


def test_the_operator_example_passes_its_no_echo_parameter_as_the_token() -> None:
    props = parse_properties(example_properties("operator-supplied-token.yaml"), name_prefix="mediatailor/")

    assert props.access_token is not None
    assert props.access_token.reveal() == SAMPLE_PARAMETERS["AccessToken"]
    assert not props.generated


def test_the_mediapackage_v2_example_follows_its_cdn_authorization_convention() -> None:
    props = parse_properties(example_properties("mediapackage-v2-cdn-authorization.yaml"), name_prefix="mediatailor/")

    assert props.token_format is TokenFormat.UUID, (
        "36 characters: within MediaPackage v2's 8-256 and MediaTailor's 8-128"
    )
    assert props.secret_string_key == "MediaPackageV2CDNIdentifier"
    assert props.header_name == "X-MediaPackageV2-CDNIdentifier"
