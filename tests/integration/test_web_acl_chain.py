"""The whole chain of ``examples/waf-web-acl-cloudfront.yaml``: MediaTailor and a viewer through
CloudFront, whose web ACL applies the example's rule group, to an S3 bucket that only the
distribution may read; and what is refused on the way (a manifest without the token, anything
sent to the bucket itself)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.clock import SimulatedClock
from harness.cloudformation import Stack
from harness.cloudfront import WEB_ACL_EXAMPLE, WebAcl, oac_authorization, put_behind_cloudfront
from harness.delivery import Cdn
from harness.example_stack import ExampleStack
from harness.mediatailor import MediaTailor
from harness.origins import OriginServer
from harness.templates import resource_properties
from tests.support.aws import Aws
from tests.support.example import failures

MANIFEST = "/vod/sample/index.m3u8"
SEGMENT = "/vod/sample/segment-00001.ts"


@pytest.fixture(scope="module")
def bucket() -> Iterator[OriginServer]:
    server = OriginServer().start()
    yield server
    server.stop()


@pytest.fixture
def chain(
    stack: Stack,
    mediatailor: MediaTailor,
    origin_server: OriginServer,
    bucket: OriginServer,
    aws: Aws,
    clock: SimulatedClock,
) -> ExampleStack:
    """``origin_server`` plays the distribution, ``bucket`` the content bucket."""
    example = ExampleStack.behind_rule_group(
        stack, mediatailor, origin_server, aws.kms, template=WEB_ACL_EXAMPLE, clock=clock
    )
    put_behind_cloudfront(example, bucket)
    return example


def test_mediatailor_and_a_viewer_play_through_the_web_acl_and_the_bucket_refuses_anyone_else(
    chain: ExampleStack, bucket: OriginServer, aws: Aws
) -> None:
    arn = chain.create(chain.custom_properties())[0].physical_id
    chain.wait_for_waf()
    assert chain.cdn is not None
    token = aws.token(arn, "MyAccessTokenIdentifier")

    manifest_without_token = chain.cdn.forward(MANIFEST, {})
    disguised = chain.cdn.forward("/vod/sample/index.m3u%38", {})
    with_token = chain.cdn.forward(MANIFEST, {"X-Origin-Token": token})
    straight_to_the_bucket = Cdn(chain.clock, bucket.base_url).forward(MANIFEST, {"X-Origin-Token": token})
    forged = Cdn(chain.clock, bucket.base_url).forward(
        SEGMENT, {"Authorization": oac_authorization("arn:aws:cloudfront::123456789012:distribution/OTHER", SEGMENT)}
    )

    assert failures(chain) == [], "MediaTailor's manifest and the viewer's segment after every step"
    assert chain.checks[-1].fetch.cause.endswith("S3 served it to the distribution's origin access control")
    assert [a.status for a in chain.checks[-1].segments] == [200]
    assert manifest_without_token.status == 403
    assert "blocked by WAF rule block-manifests-without-a-known-token" in manifest_without_token.cause
    assert disguised.status == 403
    assert with_token.ok
    assert straight_to_the_bucket.status == 403
    assert "anonymous request" in straight_to_the_bucket.cause
    assert forged.status == 403, "another distribution's signature does not satisfy AWS:SourceArn"


def test_a_staged_rotation_with_the_wait_plays_through_the_chain(chain: ExampleStack) -> None:
    chain.create(chain.custom_properties(RotationId="1"))
    chain.wait_for_waf()

    chain.update(chain.custom_properties(RotationId="1", NextRotationId="2"))
    chain.wait_for_waf()
    chain.update(chain.custom_properties(RotationId="2", NextRotationId="2"))
    chain.wait_for_waf()

    assert failures(chain) == []
    assert len(chain.checks) > 6


def test_a_web_acl_that_only_counts_the_rule_group_lets_a_manifest_through_without_a_token(
    chain: ExampleStack,
) -> None:
    """The stand-in reads the web ACL: ``OverrideAction: Count`` (WAF Developer Guide, "Rule
    group override options") would leave the origin open."""
    chain.create(chain.custom_properties())
    chain.wait_for_waf()
    assert chain.waf is not None
    acl = resource_properties(chain.template, "WebAcl", chain.parameters, chain.attributes)
    counting = {**acl, "Rules": [{**acl["Rules"][0], "OverrideAction": {"Count": {}}}]}
    rule_group = {chain.attributes["OriginTokenCheck.Arn"]: chain.waf}

    assert WebAcl(counting, rule_group)(MANIFEST, {}).ok
    assert WebAcl(acl, rule_group)(MANIFEST, {}).status == 403
