"""(desired properties, observed secret) -> actions. No AWS, no mocks: plain values in and out."""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

import pytest
from access_token_secret.errors import SecretConflictError
from access_token_secret.plan.actions import (
    CreateSecret,
    DeleteSecret,
    GeneratedToken,
    PromoteVersion,
    PutSecretValue,
    ReusedToken,
    SuppliedToken,
    TagSecret,
    UntagSecret,
    UpdateSecret,
    Write,
)
from access_token_secret.plan.context import ResourceIdentity
from access_token_secret.plan.keys import key_replaced
from access_token_secret.plan.labels import Request
from access_token_secret.plan.naming import owner_tags
from access_token_secret.plan.observation import AskedDelete, Observation
from access_token_secret.plan.planner import decide_delete, plan_converge
from access_token_secret.plan.properties import DeletionOptions
from access_token_secret.plan.state import SecretState
from access_token_secret.tokens import AccessToken

from harness.account import make_arn
from tests.support.planning import (
    ARN,
    CURRENT,
    EARLIER,
    KEY_ARN,
    ME,
    OTHER_KEY_ARN,
    PENDING,
    PREVIOUS,
    STACK,
    desired,
    props,
    secret,
    written,
)

WHEN = datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC)
# A VersionId as release 1.0 wrote it: mtats1, kind, token, JSON key and request digests.
LEGACY = "mtats1g" + "a" * 48


@pytest.mark.parametrize(
    ("wanted", "observed", "old", "expected"),
    [
        pytest.param(
            desired(),
            None,
            None,
            ["CreateSecret", "PutResourcePolicy"],
            id="nothing there: create and put the policy",
        ),
        pytest.param(
            desired(),
            secret((written(), CURRENT)),
            props(),
            ["PutResourcePolicy"],
            id="generated token unchanged: only the policy",
        ),
        pytest.param(
            desired(AccessToken="same-token-1"),
            replace(
                secret((written(AccessToken="same-token-1"), CURRENT)),
                values=((written(AccessToken="same-token-1"), AccessToken("same-token-1")),),
            ),
            props(AccessToken="same-token-1"),
            ["PutResourcePolicy"],
            id="supplied token unchanged (as read): only the policy",
        ),
        pytest.param(
            desired(AccessToken="new-token-22"),
            secret((written(AccessToken="old-token-11"), CURRENT)),
            props(AccessToken="old-token-11"),
            ["PutSecretValue", "PutResourcePolicy"],
            id="supplied token changed: write it",
        ),
        pytest.param(
            desired(AccessToken="same-token-1"),
            secret(("hand-made-version-id", CURRENT)),
            props(AccessToken="same-token-1"),
            ["PutSecretValue", "PutResourcePolicy"],
            id="value replaced by hand: write it back",
        ),
        pytest.param(
            desired(RotationId="b"),
            secret((written(RotationId="a"), CURRENT)),
            props(RotationId="a"),
            ["PutSecretValue", "PutResourcePolicy"],
            id="new rotation id: write a new token",
        ),
        pytest.param(
            desired(RotationId="a"),
            secret((written(RotationId="b"), CURRENT), (written(RotationId="a"), PREVIOUS)),
            props(RotationId="b"),
            ["PromoteVersion", "PutResourcePolicy"],
            id="rotation rolled back: the earlier version becomes current",
        ),
        pytest.param(
            desired(Description="new"),
            secret((written(), CURRENT), description="old"),
            props(),
            ["UpdateSecret", "PutResourcePolicy"],
            id="description drift",
        ),
        pytest.param(
            desired(Tags=[{"Key": "team", "Value": "video"}]),
            secret((written(), CURRENT)),
            props(),
            ["TagSecret", "PutResourcePolicy"],
            id="new tag",
        ),
        pytest.param(
            desired(ReturnAccessToken=True),
            secret((written(ReturnAccessToken=True), CURRENT)),
            props(ReturnAccessToken=True),
            ["PutResourcePolicy", "ReportTokens"],
            id="token asked for but not written: read it",
        ),
        pytest.param(
            desired(),
            secret((written(), CURRENT), deleted=WHEN),
            props(),
            ["RestoreSecret", "PutResourcePolicy"],
            id="owned secret scheduled for deletion: restore",
        ),
        pytest.param(
            desired(),
            secret((written(ME), CURRENT)),
            None,
            ["PutResourcePolicy"],
            id="redelivered request: its own version is already current",
        ),
    ],
)
def test_converge_plans_the_fewest_actions(
    wanted: Request, observed: SecretState | None, old: Any, expected: list[str]
) -> None:
    assert plan_converge(replace(wanted, old=old), observed).summary() == expected


def test_a_key_change_rewrites_the_current_token_under_the_new_key() -> None:
    current = written()
    plan = plan_converge(desired(old=props()), secret((current, CURRENT), kms=OTHER_KEY_ARN))

    assert plan.actions[0] == UpdateSecret(kms_key_arn=KEY_ARN, description=None)
    assert plan.actions[1] == PutSecretValue(Write(ReusedToken(ARN, current), "K", written(ME)))


def test_a_new_secret_string_key_reuses_the_generated_token() -> None:
    current = written()
    plan = plan_converge(desired(SecretStringKey="Other", old=props()), secret((current, CURRENT)))

    put = plan.actions[0]
    assert isinstance(put, PutSecretValue)
    assert put.write.source == ReusedToken(ARN, current)
    assert put.write.secret_string_key == "Other"


def test_a_replacement_carries_the_generated_token_over_from_the_old_secret() -> None:
    old_version = written()
    donor = secret((old_version, CURRENT))

    plan = plan_converge(desired(SecretName="mediatailor/new"), None, donor=donor)

    create = plan.actions[0]
    assert isinstance(create, CreateSecret)
    assert create.write.source == ReusedToken(ARN, old_version)


def test_a_create_generates_with_the_requested_format_and_tags_the_owner() -> None:
    plan = plan_converge(desired(TokenLength="64", Tags=[{"Key": "team", "Value": "v"}]), None)

    create = plan.actions[0]
    assert isinstance(create, CreateSecret)
    assert create.write.source == GeneratedToken(props().token_format, 64)
    assert dict(create.tags) == {"team": "v", **owner_tags(ME)}
    assert create.kms_key_arn == KEY_ARN
    assert create.write.version_id == written(ME, TokenLength="64", Tags=[{"Key": "team", "Value": "v"}])


def test_a_supplied_token_is_carried_masked() -> None:
    plan = plan_converge(desired(AccessToken="do-not-print-me"), None)

    assert plan.actions[0].write.source == SuppliedToken(AccessToken("do-not-print-me"))  # type: ignore[union-attr]
    assert "do-not-print-me" not in repr(plan)


def test_only_tags_this_resource_managed_are_removed() -> None:
    observed = secret((written(), CURRENT), tags={**owner_tags(ME), "team": "v", "added-by-policy": "x"})

    plan = plan_converge(desired(old=props(Tags=[{"Key": "team", "Value": "v"}])), observed)

    assert UntagSecret(("team",)) in plan.actions
    assert not any(isinstance(a, TagSecret) for a in plan.actions)


@pytest.mark.parametrize(
    ("tags", "deleted", "message"),
    [
        ({"owner": "ops"}, None, "already exists and is not managed by this resource"),
        (owner_tags(ResourceIdentity(STACK, "OtherLogicalId", "r")), None, "not managed by this resource"),
        ({"owner": "ops"}, WHEN, "belongs to another owner and is scheduled for deletion on"),
    ],
)
def test_secrets_of_other_owners_are_refused(tags: dict[str, str], deleted: Any, message: str) -> None:
    with pytest.raises(SecretConflictError, match=message):
        plan_converge(desired(), secret((written(), CURRENT), tags=tags, deleted=deleted))


def test_a_recreated_stack_of_the_same_name_reclaims_its_deleted_secret() -> None:
    old_stack = ResourceIdentity(make_arn("cloudformation", "stack/media/old-uuid"), "Token", "r")
    observed = secret((written(), CURRENT), tags=owner_tags(old_stack), deleted=WHEN)

    plan = plan_converge(desired(), observed)

    assert plan.summary()[:2] == ["RestoreSecret", "TagSecret"], "the owner tags move right after the restore"
    assert TagSecret((("mediatailor-access-token-secret:stack-id", STACK),)) in plan.actions
    assert plan.summary().count("TagSecret") == 1


def test_a_live_secret_of_a_deleted_stack_with_the_same_name_is_not_adopted() -> None:
    old_stack = ResourceIdentity(make_arn("cloudformation", "stack/media/old-uuid"), "Token", "r")

    with pytest.raises(SecretConflictError):
        plan_converge(desired(), secret((written(), CURRENT), tags=owner_tags(old_stack)))


@pytest.mark.parametrize(
    ("observed", "options", "expected", "note"),
    [
        (None, DeletionOptions(), [], "already gone"),
        (secret(tags={"owner": "ops"}), DeletionOptions(), [], "not owned by this resource; left untouched"),
        (secret(deleted=WHEN), DeletionOptions(), [], "already scheduled for deletion"),
        (secret(), DeletionOptions(10, False), [DeleteSecret(10)], "delete"),
        (secret(), DeletionOptions(7, True), [DeleteSecret(None)], "delete"),
    ],
)
def test_delete_only_touches_owned_live_secrets(
    observed: SecretState | None, options: DeletionOptions, expected: list[DeleteSecret], note: str
) -> None:
    plan = decide_delete(AskedDelete(ME, ARN, options), Observation(secrets={ARN: observed}))

    assert list(plan.actions) == expected
    assert plan.note == note


def test_rollback_after_a_key_change_promotes_nothing_and_rewrites() -> None:
    """Promoting an old version would leave it under whichever key it was written with."""
    old = written()
    observed = secret((written(RotationId="x"), CURRENT), (old, PREVIOUS), kms=OTHER_KEY_ARN)

    plan = plan_converge(desired(old=props(RotationId="x")), observed)

    assert not any(isinstance(a, PromoteVersion) for a in plan.actions)
    assert PutSecretValue(Write(ReusedToken(ARN, old), "K", written(ME))) in plan.actions


@pytest.mark.parametrize(
    ("versions", "secret_key", "replaced"),
    [
        pytest.param(((written(kms=KEY_ARN), CURRENT),), KEY_ARN, False, id="same key"),
        pytest.param(((written(kms=KEY_ARN), CURRENT),), OTHER_KEY_ARN, False, id="key moved by hand: drift"),
        pytest.param(((written(kms=OTHER_KEY_ARN), CURRENT),), OTHER_KEY_ARN, True, id="alias now names another"),
        pytest.param(((LEGACY, CURRENT),), KEY_ARN, False, id="1.0 version, same key"),
        pytest.param(((LEGACY, CURRENT),), OTHER_KEY_ARN, True, id="1.0 version, alias re-pointed"),
        pytest.param((("hand-made", CURRENT),), OTHER_KEY_ARN, True, id="hand-written value, another key"),
        pytest.param((("hand-made", CURRENT),), KEY_ARN, False, id="hand-written value, same key"),
        pytest.param(
            (("hand-made", CURRENT), (written(kms=KEY_ARN), PREVIOUS)),
            OTHER_KEY_ARN,
            False,
            id="hand-written value over a recorded key: the record decides",
        ),
    ],
)
def test_a_key_change_is_judged_against_the_key_mediatailor_was_granted(
    versions: tuple[tuple[str, tuple[str, ...]], ...], secret_key: str, replaced: bool
) -> None:
    observed = secret(*versions, kms=secret_key)

    assert key_replaced(KEY_ARN, observed, secret_key) is replaced


def test_a_new_secret_string_key_keeps_the_old_one_until_the_next_write() -> None:
    plan = plan_converge(desired(SecretStringKey="New", old=props()), secret((written(), CURRENT)))

    put = plan.actions[0]
    assert isinstance(put, PutSecretValue)
    assert put.write.secret_string_key == "New"
    assert put.write.also_keys == ("K",)


def test_rolling_back_a_secret_string_key_change_writes_both_keys_instead_of_promoting() -> None:
    """The source location still asks for the newer key until CloudFormation rolls it back."""
    observed = secret((written(SecretStringKey="New"), CURRENT), (written(), PREVIOUS))

    plan = plan_converge(desired(old=props(SecretStringKey="New")), observed)

    assert plan.summary() == ["PutSecretValue", "PutResourcePolicy"]
    assert plan.actions[0].write.also_keys == ("New",)  # type: ignore[union-attr]


def test_a_version_written_for_another_key_is_not_promoted() -> None:
    observed = secret((written(RotationId="b"), CURRENT), (written(kms=OTHER_KEY_ARN, RotationId="a"), PREVIOUS))

    plan = plan_converge(desired(RotationId="a", old=props(RotationId="b")), observed)

    assert plan.summary() == ["PutSecretValue", "PutResourcePolicy"]


def pending(identity: ResourceIdentity = EARLIER, **extra: Any) -> str:
    """The VersionId of a staged next token (RotationId=NextRotationId's content)."""
    return written(identity, purpose="pending", **extra)


@pytest.mark.parametrize(
    ("wanted", "observed", "old", "expected"),
    [
        pytest.param(
            desired(RotationId="a", NextRotationId="b"),
            secret((written(RotationId="a"), CURRENT)),
            props(RotationId="a"),
            ["PutSecretValue", "PutResourcePolicy"],
            id="stage the next token",
        ),
        pytest.param(
            desired(RotationId="a", NextRotationId="b"),
            secret((written(RotationId="a"), CURRENT), (pending(RotationId="b"), PENDING)),
            props(RotationId="a", NextRotationId="b"),
            ["PutResourcePolicy"],
            id="staged already",
        ),
        pytest.param(
            desired(RotationId="b"),
            secret((written(RotationId="a"), CURRENT), (pending(RotationId="b"), PENDING)),
            props(RotationId="a", NextRotationId="b"),
            ["PromoteVersion", "PutResourcePolicy"],
            id="promote: RotationId takes the staged value",
        ),
        pytest.param(
            desired(RotationId="a"),
            secret((written(RotationId="a"), CURRENT), (pending(RotationId="b"), PENDING)),
            props(RotationId="a", NextRotationId="b"),
            ["UnstagePending", "PutResourcePolicy"],
            id="staging rolled back: the label goes",
        ),
        pytest.param(
            desired(RotationId="a", NextRotationId="b"),
            secret((pending(RotationId="b"), CURRENT + PENDING), (written(RotationId="a"), PREVIOUS)),
            props(RotationId="b"),
            ["PromoteVersion", "PutResourcePolicy"],
            id="promotion rolled back: the promoted version is pending again",
        ),
        pytest.param(
            desired(RotationId="c"),
            secret((pending(RotationId="b"), CURRENT + PENDING), (written(RotationId="a"), PREVIOUS)),
            props(RotationId="b"),
            ["UnstagePending", "PutSecretValue", "PutResourcePolicy"],
            id="one step after a promotion: the old label goes first",
        ),
        pytest.param(
            desired(RotationId="a", NextRotationId="c"),
            secret((written(RotationId="a"), CURRENT), (pending(RotationId="b"), PENDING)),
            props(RotationId="a", NextRotationId="b"),
            ["PutSecretValue", "PutResourcePolicy"],
            id="another next token replaces the pending one",
        ),
    ],
)
def test_staged_rotation_plans(wanted: Request, observed: SecretState, old: Any, expected: list[str]) -> None:
    plan = plan_converge(replace(wanted, old=old), observed)

    assert plan.summary() == expected
    writes = [a for a in plan.actions if isinstance(a, PutSecretValue)]
    if expected == ["PutSecretValue", "PutResourcePolicy"]:
        assert writes[0].stages == ("AWSPENDING",), "staging never moves AWSCURRENT"
