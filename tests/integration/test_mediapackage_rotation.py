"""The invariant for MediaPackage origins: through every operation of the MediaPackage examples,
MediaTailor's manifest request and a viewer's segment request both succeed, after every resource
operation and at every tick of the documented waits; doing the steps faster fails, and the
failure names the cache and the token.

MediaPackage v1 caches its secret for about 10 minutes, v2 for 5 ("Rotating the CDN header
value" in each user guide); the examples' secret for MediaPackage leads by one step, so a
rotation is staging, a wait of at least that cache time, then promotion. The CDN deploys a
change over ``PROPAGATION`` seconds, during which edges send the old or the new header.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.account import DEPLOYER
from harness.clock import SimulatedClock
from harness.cloudformation import Stack
from harness.mediapackage_stack import V1_EXAMPLE, V2_EXAMPLE, MediaPackageExample
from harness.mediatailor import MediaTailor
from harness.origins import OriginServer
from tests.support.aws import Aws

PROPAGATION = 300.0
TICK = 60.0
CACHE = {V1_EXAMPLE.name: 600.0, V2_EXAMPLE.name: 300.0}
PARAMETERS = {
    "DeployerPrincipalArn": DEPLOYER,
    "ChannelId": "live",
    "ChannelGroupName": "live",
    "ChannelName": "channel",
}


@pytest.fixture(params=[V1_EXAMPLE, V2_EXAMPLE], ids=["v1", "v2"])
def example(
    request: pytest.FixtureRequest,
    stack: Stack,
    mediatailor: MediaTailor,
    origin_server: OriginServer,
    aws: Aws,
    clock: SimulatedClock,
) -> MediaPackageExample:
    template: Path = request.param
    return MediaPackageExample(
        stack,
        mediatailor,
        origin_server,
        clock,
        aws.kms,
        aws.secretsmanager,
        template,
        dict(PARAMETERS),
        cdn_propagation_seconds=PROPAGATION,
    )


def cache_of(example: MediaPackageExample) -> float:
    return CACHE[example.template.name]


def rotate(example: MediaPackageExample, to: str, *, wait: float) -> None:
    """The documented rotation: stage, wait, promote, and let the CDN deploy."""
    example.refresh_right_now()
    example.deploy(NextRotationId=to)
    example.wait(wait, tick=TICK)
    example.deploy(RotationId=to)
    example.wait(PROPAGATION, tick=TICK)


def test_create_plays_for_mediatailor_and_the_viewer(example: MediaPackageExample, aws: Aws) -> None:
    responses = example.deploy()

    assert [(r.request_type, r.ok) for r in responses] == [("Create", True), ("Create", True)]
    assert example.failures() == []
    assert [s.after for s in example.steps] == ["Create SourceLocation"]
    assert example.steps[-1].playback.manifest.status == 200
    assert [a.status for a in example.steps[-1].playback.segments] == [200]
    mediatailors, mediapackages = (r.physical_id for r in responses)
    assert aws.token(mediatailors, example.version.json_key) == aws.token(mediapackages, example.version.json_key)


def test_staged_rotations_with_the_documented_wait_never_stop_playback(example: MediaPackageExample, aws: Aws) -> None:
    example.deploy()
    first = example.attributes["CdnIdentifier.AccessToken"]

    rotate(example, "2", wait=cache_of(example))
    rotate(example, "3", wait=cache_of(example))

    assert example.failures() == []
    ticks = [s for s in example.steps if s.after.startswith("waiting")]
    assert len(ticks) == 2 * int((cache_of(example) + PROPAGATION) / TICK)
    assert any(len(s.playback.segments) == 2 for s in example.steps), "edges sent both headers at some tick"
    third = example.attributes["CdnIdentifier.AccessToken"]
    assert third != first
    assert example.cdn.headers_in_flight() == [{example.version.header: third}]


def test_a_promotion_before_the_cache_time_is_refused_naming_the_cache(example: MediaPackageExample) -> None:
    example.deploy()
    example.refresh_right_now()
    example.deploy(NextRotationId="2")
    example.wait(cache_of(example) - TICK, tick=TICK)

    example.deploy(RotationId="2")

    refused = [s for s in example.steps if not s.ok]
    assert refused, "promoting inside MediaPackage's cache window must fail"
    first = refused[0]
    assert first.after == "Update CdnIdentifier"
    assert first.playback.manifest.status == 403
    minutes = int(cache_of(example) // 60)
    assert f"{example.version.name} caches" in first.playback.manifest.cause
    assert f"for {minutes} minutes" in first.playback.manifest.cause
    assert "neither AWSCURRENT nor AWSPREVIOUS" in first.playback.manifest.cause
    example.wait(TICK, tick=TICK)
    assert example.steps[-1].ok, "once the cache time has passed since staging, it plays again"


def test_a_one_step_rotation_leaves_mediatailor_refused_until_mediapackage_rereads(
    example: MediaPackageExample,
) -> None:
    """Why the examples stage: a RotationId that was never staged makes MediaTailor send a
    token MediaPackage's cache does not hold yet."""
    example.deploy()
    example.refresh_right_now()

    example.deploy(RotationId="2")
    example.wait(cache_of(example), tick=TICK)

    refused = [s.after for s in example.steps if not s.ok]
    assert refused[0] == "Update CdnIdentifier"
    assert "Update Distribution" in refused, "edges that already send the new header are refused too"
    viewers = [a.cause for s in example.steps for a in s.playback.segments if not a.ok]
    assert viewers
    assert all("neither AWSCURRENT nor AWSPREVIOUS" in cause for cause in viewers)
    assert example.steps[-1].ok


def test_rolled_back_staging_and_promotion_keep_playing(example: MediaPackageExample) -> None:
    """CloudFormation rolls MediaPackage's secret back to the token it had (its old properties),
    and the CDN's header back to the current token; staging again after that still works."""
    example.deploy()
    first = example.attributes["CdnIdentifier.AccessToken"]
    example.refresh_right_now()

    example.deploy(NextRotationId="2", fail_later=True)
    example.wait(cache_of(example), tick=TICK)
    example.deploy(NextRotationId="2")
    example.wait(cache_of(example), tick=TICK)
    example.deploy(RotationId="2", fail_later=True)
    example.wait(PROPAGATION, tick=TICK)

    assert example.failures() == []
    assert example.attributes["CdnIdentifier.AccessToken"] == first
    assert example.cdn.headers_in_flight() == [{example.version.header: first}]


def test_a_key_change_and_a_rename_keep_playing(example: MediaPackageExample, aws: Aws) -> None:
    example.deploy()
    first = {name: example.stack.resources[name].physical_id for name in ("CdnIdentifier", "MediaPackageCdnIdentifier")}
    new_key = example.new_key()
    example.attributes["CdnIdentifierKey.Arn"] = new_key

    keyed = example.deploy()
    example.wait(cache_of(example), tick=TICK)
    example.overrides["CdnIdentifier"] = {"SecretName": f"mediatailor/{example.stack.name}/renamed"}
    renamed = example.deploy(fail_later=True)
    example.wait(cache_of(example), tick=TICK)

    assert [(r.request_type, r.ok) for r in keyed] == [("Update", True)] * 2 + [("Delete", True)] * 2
    for name, arn in first.items():
        assert example.stack.resources[name].physical_id != arn
        assert "DeletedDate" in aws.secret(arn)
    assert [(r.request_type, r.ok) for r in renamed] == [("Update", True), ("Update", True), ("Delete", True)]
    assert example.failures() == []


def test_delete_removes_everything_in_reverse(example: MediaPackageExample, aws: Aws) -> None:
    example.deploy()
    arns = [example.stack.resources[name].physical_id for name in ("CdnIdentifier", "MediaPackageCdnIdentifier")]

    deleted = example.delete()

    assert [(r.request_type, r.ok) for r in deleted] == [("Delete", True), ("Delete", True)]
    assert example.mediatailor.source_locations == {}
    assert all("DeletedDate" in aws.secret(arn) for arn in arns)
    assert example.failures() == []


def test_a_request_straight_to_the_endpoint_without_the_header_is_refused(example: MediaPackageExample) -> None:
    """Anyone who learns the endpoint's URL may try it without the CDN. v1 refuses what lacks
    the header once CDN authorization is on; v2 only when the endpoint policy's Allow carries
    ``mediapackagev2:RequestHasMatchingCdnAuthHeader`` (MediaPackage v2 UG, "Configure
    MediaPackage CDN authorization setup", step 4). A public Allow serves anyone."""
    example.deploy()
    segment = "/out/v1/live/channel/endpoint/segment-00001.ts"
    header = example.version.header
    sent = example.attributes["CdnIdentifier.AccessToken"]

    bare = example.cdn.forward(segment, {})
    wrong = example.cdn.forward(segment, {header: "not-the-cdn-identifier"})
    right = example.cdn.forward(segment, {header: sent})

    assert (bare.status, wrong.status, right.status) == (403, 403, 200), (bare, wrong, right)
