"""Zero-downtime rotation: the next token waits under AWSPENDING until it is promoted.

The timeline tests run ``examples/staged-rotation-origin-check.yaml`` with the MediaTailor
stand-in; the origin decides every request with the example's own WAF rule group (resolved with
the stack's current tokens), updated after the custom resource as CloudFormation orders
dependents, and a viewer requests a segment through a CDN at every step. The semantics tests
assert on what the emulator stores.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.cloudformation import Stack
from harness.example_stack import ExampleStack
from tests.support.aws import Aws
from tests.support.example import failures
from tests.support.properties import KEY, resource_props


@pytest.fixture
def staged(waf_example: ExampleStack) -> ExampleStack:
    return waf_example


def stages(aws: Aws, arn: str) -> dict[str, list[str]]:
    """Staging labels by version, without the unlabelled versions the emulator still lists."""
    return {v: s for v, s in aws.secret(arn)["VersionIdsToStages"].items() if s}


def token_at(aws: Aws, arn: str, stage: str) -> str:
    return aws.token(arn, KEY, VersionStage=stage)


# The timeline, with MediaTailor and the origin in the loop ---------------------------------


def operations(example: ExampleStack) -> list[str]:
    return [c.after for c in example.checks if not c.after.startswith("waiting")]


def test_staging_then_promotion_never_leaves_the_origin_refusing_the_token(staged: ExampleStack, aws: Aws) -> None:
    """The documented order: stage, wait for WAF to propagate the staged token (5 minutes, the
    worst case the examples take), promote."""
    arn = staged.create(staged.custom_properties(RotationId="1"))[0].physical_id
    first = token_at(aws, arn, "AWSCURRENT")
    staged.wait_for_waf()

    staging = staged.update(staged.custom_properties(RotationId="1", NextRotationId="2"))
    pending = token_at(aws, arn, "AWSPENDING")
    staged.wait_for_waf()
    promotion = staged.update(staged.custom_properties(RotationId="2", NextRotationId="2"))
    staged.wait_for_waf()

    assert operations(staged) == [
        "Create SourceLocation",
        "Create VodSource",
        "Update OriginAccessToken",
        "Update OriginTokenCheck",
        "Update OriginAccessToken",
        "Update OriginTokenCheck",
    ]
    assert len(staged.checks) == 6 + 3 * 5, "MediaTailor fetched at every minute of the three waits"
    assert failures(staged) == []
    assert staging[0].data["AccessToken"] == first, "staging leaves AWSCURRENT alone"
    assert staging[0].data["NextAccessToken"] == pending != first
    assert promotion[0].data["AccessToken"] == pending, "the staged token is promoted, not a new one"
    assert promotion[0].data["PreviousAccessToken"] == first
    assert token_at(aws, arn, "AWSCURRENT") == pending
    assert all(len(check.segments) == 1 for check in staged.checks), "a viewer's segment request every step"
    assert staging[0].data["PreviousAccessToken"] == first
    assert promotion[0].body["NoEcho"] is True


def test_a_promotion_before_waf_has_propagated_the_staged_token_is_refused(staged: ExampleStack) -> None:
    """WAF Developer Guide, "Temporary inconsistencies during updates": until the staging's
    update has reached every edge, some still judge by the rule group before it."""
    staged.create(staged.custom_properties(RotationId="1"))
    staged.wait_for_waf()
    staged.update(staged.custom_properties(RotationId="1", NextRotationId="2"))
    staged.wait(240)

    staged.update(staged.custom_properties(RotationId="2", NextRotationId="2"))

    refused = [c for c in staged.checks if not c.ok]
    assert [c.after for c in refused] == ["Update OriginAccessToken", "Update OriginTokenCheck"]
    assert "as before its last update (WAF propagates for 5 min)" in refused[0].fetch.cause
    staged.wait(60)
    assert staged.checks[-1].ok, "5 minutes after staging the staged token is accepted"


def test_a_one_step_rotation_leaves_a_window_where_the_origin_refuses_the_token(staged: ExampleStack, aws: Aws) -> None:
    """Why staged rotation exists: with one step, MediaTailor sends the new token before the
    origin check (which depends on the custom resource) has learnt it, and WAF then takes up to
    its propagation time to apply what it learnt."""
    staged.create(staged.custom_properties(RotationId="1"))
    staged.wait_for_waf()

    staged.update(staged.custom_properties(RotationId="2"))
    staged.wait_for_waf()

    refused = [(c.after, c.fetch.status) for c in staged.checks if not c.ok]
    assert refused[:2] == [("Update OriginAccessToken", 403), ("Update OriginTokenCheck", 403)]
    assert len(refused) == 2 + 4, "and at every minute until the update has propagated"
    assert "blocked by WAF rule block-manifests-without-a-known-token" in staged.checks[-7].fetch.cause
    assert all(answer.ok for c in staged.checks for answer in c.segments), "segments pass all along"
    assert staged.checks[-1].ok


# Semantics --------------------------------------------------------------------------------


def test_staging_writes_only_a_pending_version_and_the_record_in_six_calls(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    """Before generating a token, the versions that lost every label are listed: a rollback of
    a re-staging or an un-staging must find the token the origin was told (1.1: 4 calls)."""
    arn = stack.create("Token", resource_props(kms_key, RotationId="a")).physical_id
    current = token_at(aws, arn, "AWSCURRENT")
    proxy_calls.clear()

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, RotationId="a", NextRotationId="b")})

    assert updated[0].ok, updated[0].reason
    assert sorted(proxy_calls.recorder.calls) == [
        "DescribeKey",
        "DescribeSecret",
        "ListSecretVersionIds",
        "PutResourcePolicy",
        "PutSecretValue",
        "TagResource",
    ]
    assert token_at(aws, arn, "AWSCURRENT") == current
    assert token_at(aws, arn, "AWSPENDING") != current
    assert sorted(s for labels in stages(aws, arn).values() for s in labels) == ["AWSCURRENT", "AWSPENDING"]


def test_promotion_moves_awscurrent_and_writes_only_the_record(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="a")).physical_id
    first = token_at(aws, arn, "AWSCURRENT")
    stack.update_stack({"Token": resource_props(kms_key, RotationId="a", NextRotationId="b")})
    pending = token_at(aws, arn, "AWSPENDING")
    proxy_calls.clear()

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, RotationId="b")})

    assert updated[0].ok, updated[0].reason
    assert sorted(proxy_calls.recorder.calls) == [
        "DescribeKey",
        "DescribeSecret",
        "PutResourcePolicy",
        "TagResource",
        "UpdateSecretVersionStage",
    ]
    assert token_at(aws, arn, "AWSCURRENT") == pending
    assert token_at(aws, arn, "AWSPREVIOUS") == first


def test_a_rolled_back_staging_removes_the_pending_label_and_keeps_the_current_token(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="a")).physical_id
    current = token_at(aws, arn, "AWSCURRENT")

    updates, rollback = stack.update_stack(
        {"Token": resource_props(kms_key, RotationId="a", NextRotationId="b")}, fail_later=True
    )

    assert updates[0].ok
    assert rollback[0].ok, rollback[0].reason
    assert token_at(aws, arn, "AWSCURRENT") == current
    assert [s for labels in stages(aws, arn).values() for s in labels] == ["AWSCURRENT"]


def test_a_rolled_back_promotion_makes_the_earlier_token_current_and_the_promoted_one_pending(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="a")).physical_id
    first = token_at(aws, arn, "AWSCURRENT")
    stack.update_stack({"Token": resource_props(kms_key, RotationId="a", NextRotationId="b")})
    second = token_at(aws, arn, "AWSPENDING")
    proxy_calls.clear()

    updates, rollback = stack.update_stack({"Token": resource_props(kms_key, RotationId="b")}, fail_later=True)

    assert updates[0].ok
    assert rollback[0].ok, rollback[0].reason
    assert token_at(aws, arn, "AWSCURRENT") == first
    assert token_at(aws, arn, "AWSPENDING") == second
    assert "PutSecretValue" not in proxy_calls.recorder.calls, "no third token"


def test_a_redelivered_staging_event_writes_nothing_more(
    stack: Stack, aws: Aws, kms_key: str, invoke: Any, listener: Any, proxy_calls: Any
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="a")).physical_id
    event = stack.event(
        "Update",
        "Token",
        resource_props(kms_key, RotationId="a", NextRotationId="b"),
        physical_id=arn,
        old_properties=resource_props(kms_key, RotationId="a"),
    )
    invoke(event)
    pending = token_at(aws, arn, "AWSPENDING")
    proxy_calls.clear()

    invoke(event)

    assert [r.body["Status"] for r in listener.responses_for(event["ResponseURL"])] == ["SUCCESS", "SUCCESS"]
    assert "PutSecretValue" not in proxy_calls.recorder.calls
    assert token_at(aws, arn, "AWSPENDING") == pending


def test_a_new_next_rotation_id_replaces_the_pending_token_only(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="a")).physical_id
    current = token_at(aws, arn, "AWSCURRENT")
    stack.update_stack({"Token": resource_props(kms_key, RotationId="a", NextRotationId="b")})
    b = token_at(aws, arn, "AWSPENDING")

    stack.update_stack({"Token": resource_props(kms_key, RotationId="a", NextRotationId="c")})

    assert token_at(aws, arn, "AWSCURRENT") == current
    assert token_at(aws, arn, "AWSPENDING") not in (b, current)


def test_a_rotation_id_that_was_never_staged_rotates_in_one_step(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="a")).physical_id
    stack.update_stack({"Token": resource_props(kms_key, RotationId="a", NextRotationId="b")})
    staged_token = token_at(aws, arn, "AWSPENDING")

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, RotationId="z")})

    assert updated[0].ok
    assert token_at(aws, arn, "AWSCURRENT") != staged_token
    assert [s for labels in stages(aws, arn).values() for s in labels if s == "AWSPENDING"] == []


def test_a_rename_carries_the_current_and_the_pending_token(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="a", NextRotationId="b")).physical_id
    current, pending = token_at(aws, arn, "AWSCURRENT"), token_at(aws, arn, "AWSPENDING")

    updated, _ = stack.update_stack(
        {"Token": resource_props(kms_key, RotationId="a", NextRotationId="b", SecretName="mediatailor/renamed")}
    )

    new_arn = updated[0].physical_id
    assert new_arn != arn
    assert token_at(aws, new_arn, "AWSCURRENT") == current
    assert token_at(aws, new_arn, "AWSPENDING") == pending


def test_supplied_tokens_are_staged_and_promoted_the_same_way(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, AccessToken="current-token-1")).physical_id

    staged, _ = stack.update_stack(
        {"Token": resource_props(kms_key, AccessToken="current-token-1", NextAccessToken="next-token-002")}
    )
    assert token_at(aws, arn, "AWSCURRENT") == "current-token-1"
    assert token_at(aws, arn, "AWSPENDING") == "next-token-002"
    pending_version = next(v for v, s in stages(aws, arn).items() if "AWSPENDING" in s)

    promoted, _ = stack.update_stack({"Token": resource_props(kms_key, AccessToken="next-token-002")})

    assert staged[0].ok
    assert promoted[0].ok, promoted[0].reason
    assert promoted[0].data["VersionId"] == pending_version, "the staged version was promoted, not rewritten"
    assert token_at(aws, arn, "AWSCURRENT") == "next-token-002"
    assert token_at(aws, arn, "AWSPREVIOUS") == "current-token-1"


def test_with_return_access_token_the_three_attributes_are_always_present(stack: Stack, aws: Aws, kms_key: str) -> None:
    created = stack.create("Token", resource_props(kms_key, ReturnAccessToken=True))
    first = created.data["AccessToken"]
    staged, _ = stack.update_stack({"Token": resource_props(kms_key, ReturnAccessToken=True, NextRotationId="n")})

    assert created.data["NextAccessToken"] == created.data["PreviousAccessToken"] == first
    assert staged[0].data["AccessToken"] == first
    assert staged[0].data["PreviousAccessToken"] == first, "nothing was current before"
    assert staged[0].data["NextAccessToken"] == token_at(aws, created.physical_id, "AWSPENDING")
    assert json.loads(staged[0].event["ResourceProperties"]["ReturnAccessToken"]) is True
