"""The adoption rules as pure functions: which policies the provider may replace, which secrets it
refuses, which tokens it returns from an adopted secret, and Reasons that CloudFormation shows
whole (at most 255 characters, stack names never cut). No AWS, no mocks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from access_token_secret.errors import MAX_REASON_CHARS, SecretConflictError
from access_token_secret.plan.actions import ReportTokens
from access_token_secret.plan.adoption import (
    ADOPT_TAG,
    Adoption,
    consent_refusal,
    policy_refusal,
    safety_refusal,
    token_return_refusal,
)
from access_token_secret.plan.context import ResourceIdentity
from access_token_secret.plan.naming import OWNER_STACK_TAG, owner_tags
from access_token_secret.plan.observation import Asked, DescribeKey, DescribeSecret, Observation, next_read
from access_token_secret.plan.planner import plan_converge
from access_token_secret.plan.policy import grants_only_mediatailor, resource_policy
from access_token_secret.plan.state import KeyFacts, SecretState, SecretVersion
from access_token_secret.plan.versions import VersionContent, json_key_identity, version_id

from tests.support.planning import ARN, KEY_ARN, ME, SETTINGS, decided, desired, props

LONG_STACK = "s" * 128  # CloudFormation allows stack names of up to 128 characters
LONG_NAME = "mediatailor/" + "n" * 500  # Secrets Manager allows 512
REGION = "us-east-1"
HAND_MADE = "11111111-2222-3333-4444-555555555555"


def stack_identity(stack_name: str) -> ResourceIdentity:
    return ResourceIdentity(f"arn:aws:cloudformation:{REGION}:123456789012:stack/{stack_name}/1", "Token", "r")


def refusal(check: Any, *args: Any, **kwargs: Any) -> str:
    """The Reason of the refusal ``check`` answers, or raises (as the planner does)."""
    try:
        answer = check(*args, **kwargs)
    except SecretConflictError as raised:
        return raised.reason
    assert isinstance(answer, SecretConflictError), answer
    return answer.reason


# Reasons --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("creating", [True, False])
@pytest.mark.parametrize("owner", [None, "o" * 128, "origin-owner"])
@pytest.mark.parametrize("stack_name", [LONG_STACK, "media"])
@pytest.mark.parametrize("name", [LONG_NAME, "mediatailor/live/origin-token"])
def test_a_consent_reason_names_the_whole_stack_name_and_fits(
    creating: bool, owner: str | None, stack_name: str, name: str
) -> None:
    tags = {OWNER_STACK_TAG: stack_identity(owner).stack_id} if owner else {}

    reason = refusal(consent_refusal, tags, stack_identity(stack_name), name, creating=creating)

    assert len(reason) <= MAX_REASON_CHARS
    assert f"{ADOPT_TAG}={stack_name}" in reason
    assert ("nested/StackSet" in reason or "nested or StackSet" in reason) is creating
    if owner == "origin-owner" and stack_name == "media" and len(name) < 80:
        assert "its owner tags name stack origin-owner" in reason


def test_the_consent_of_this_stack_passes() -> None:
    assert consent_refusal({ADOPT_TAG: LONG_STACK}, stack_identity(LONG_STACK), LONG_NAME, creating=True) is None


def long_secret(**extra: Any) -> SecretState:
    return SecretState(arn=ARN, name=LONG_NAME, **extra)


@pytest.mark.parametrize(
    ("found", "says"),
    [
        (long_secret(rotation_enabled=True), "rotation would replace the token"),
        (long_secret(primary_region="ap-southeast-2"), "read-only replica of a secret in ap-southeast-2"),
        (long_secret(replica_regions=("eu-west-1", "eu-central-1") * 10), "it is replicated to eu-west-1"),
        (long_secret(primary_region=REGION, replica_regions=(REGION, "eu-west-1")), "it is replicated to eu-west-1"),
    ],
)
def test_secrets_the_provider_cannot_own_safely_are_refused_with_a_reason_that_fits(
    found: SecretState, says: str
) -> None:
    reason = refusal(safety_refusal, found, REGION, LONG_NAME)

    assert says in reason
    assert len(reason) <= MAX_REASON_CHARS


def test_a_plain_secret_of_this_region_is_adoptable() -> None:
    assert safety_refusal(long_secret(primary_region=REGION), REGION, LONG_NAME) is None


def test_the_policy_and_token_reasons_fit() -> None:
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
    reasons = [
        refusal(policy_refusal, policy, long_secret(), LONG_NAME),
        refusal(token_return_refusal, props(ReturnAccessToken=True), adopted=True),
    ]

    assert all(len(reason) <= MAX_REASON_CHARS for reason in reasons)


# Which policies may be replaced -----------------------------------------------------------------------

MEDIATAILOR = {"Service": "mediatailor.amazonaws.com"}
READ = "secretsmanager:GetSecretValue"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def statement(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": MEDIATAILOR, "Action": READ, "Resource": ARN, **fields}


@pytest.mark.parametrize(
    ("text", "replaceable"),
    [
        (None, True),
        ("", True),
        (policy(), True),
        (json.dumps({"Version": "2012-10-17", "Statement": statement()}), True),  # one statement, not a list
        (resource_policy(ARN), True),  # the provider's own
        (policy(statement(Sid="AnyName")), True),
        (policy(statement(Resource="*")), True),  # in a secret's policy * is the secret itself
        (policy(statement(Action=[READ], Principal={"Service": ["mediatailor.amazonaws.com"]})), True),
        (policy(statement(), statement(Sid="again")), True),
        (policy(statement(Resource=ARN + "-other")), False),
        (policy(statement(Principal={"AWS": "arn:aws:iam::123456789012:role/app"})), False),
        (policy(statement(Principal="*")), False),
        (policy(statement(Principal={"Service": ["mediatailor.amazonaws.com", "lambda.amazonaws.com"]})), False),
        (policy(statement(Action="secretsmanager:*")), False),
        (policy(statement(Action=[READ, "secretsmanager:PutSecretValue"])), False),
        (policy(statement(Effect="Deny")), False),
        (policy(statement(Condition={"StringEquals": {"aws:SourceAccount": "123456789012"}})), False),
        (policy({"Effect": "Allow", "NotPrincipal": MEDIATAILOR, "Action": READ, "Resource": "*"}), False),
        (policy(statement(), {"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*"}), False),
        ("not json", False),
        (json.dumps(["a list"]), False),
    ],
)
def test_only_a_policy_that_lets_mediatailor_read_and_nothing_else_may_be_replaced(
    text: str | None, replaceable: bool
) -> None:
    assert grants_only_mediatailor(text, ARN) is replaceable


# Which tokens an adopted secret returns -----------------------------------------------------------------


def adopted_version(kind: str, digest: str) -> str:
    return version_id(VersionContent(kind, "0" * 16, json_key_identity("K")), KEY_ARN, digest, keeps_others=True)


def consented(*versions: tuple[str, tuple[str, ...]], tags: dict[str, str] | None = None) -> SecretState:
    return SecretState(
        arn=ARN,
        name="mediatailor/media/Token",
        kms_key_id=KEY_ARN,
        tags=tuple((tags if tags is not None else {ADOPT_TAG: "media"}).items()),
        versions=tuple(SecretVersion(v, s) for v, s in versions),
    )


def test_adopting_with_return_access_token_but_no_access_token_is_refused_before_any_read() -> None:
    found = consented((HAND_MADE, ("AWSCURRENT",)))
    adopt = props(ReturnAccessToken=True, AdoptExistingSecret=True, SecretName=found.name)
    seen: list[Observation] = []

    reason = refusal(lambda: seen.append(decided(Asked(ME, SETTINGS, adopt, creating=True), found)[1]))

    assert "needs AccessToken" in reason
    assert not seen  # refused by decide(); and the loop asked for no read of the secret's value:
    observation = Observation()
    while (read := next_read(Asked(ME, SETTINGS, adopt, creating=True), observation)) is not None:
        assert isinstance(read, (DescribeKey, DescribeSecret)), read
        observation.record(
            read, found if isinstance(read, DescribeSecret) else KeyFacts(KEY_ARN, "CUSTOMER", "Enabled", None, None)
        )


def test_an_update_of_an_adopted_secret_with_return_access_token_but_no_access_token_is_refused() -> None:
    found = consented((adopted_version("g", "e" * 16), ("AWSCURRENT",)), tags=owner_tags(ME))
    asked = Asked(ME, SETTINGS, props(ReturnAccessToken=True, RotationId="2"), old=props(), reference=ARN)

    assert "needs AccessToken" in refusal(decided, asked, found)


def test_a_move_away_from_an_adopted_secret_with_return_access_token_but_no_access_token_is_refused() -> None:
    donor = consented((adopted_version("g", "e" * 16), ("AWSCURRENT",)), tags=owner_tags(ME))
    asked = Asked(ME, SETTINGS, props(ReturnAccessToken=True, SecretName="mediatailor/elsewhere"), reference=ARN)

    assert "needs AccessToken" in refusal(decided, asked, donor)


def test_an_adoption_that_supplies_the_token_reports_neither_the_hand_made_previous_nor_a_foreign_pending() -> None:
    """1.1 reported AWSPREVIOUS (the hand-made token) and an AWSPENDING left by hand."""
    found = consented((HAND_MADE, ("AWSCURRENT",)), ("66666666-2222-3333-4444-555555555555", ("AWSPENDING",)))

    plan = plan_converge(
        desired(ReturnAccessToken=True, AccessToken="supplied-token-01"),
        found,
        adoption=Adoption(kms_key_arn=KEY_ARN),
    )

    report = next(a for a in plan.actions if isinstance(a, ReportTokens))
    assert report.previous is None
    assert report.pending is None
    assert report.current is not None
    assert report.current != HAND_MADE


def test_a_supplied_next_token_on_an_adopted_secret_is_reported() -> None:
    found = consented((adopted_version("g", "e" * 16), ("AWSCURRENT",)), tags=owner_tags(ME))

    plan = plan_converge(
        desired(ReturnAccessToken=True, AccessToken="supplied-token-01", NextAccessToken="supplied-token-02"),
        found,
    )

    report = next(a for a in plan.actions if isinstance(a, ReportTokens))
    assert report.previous is None
    assert report.pending is not None
