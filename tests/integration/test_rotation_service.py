"""The harness's stand-in for Secrets Manager's rotation service (harness/rotation.py), shown
against moto in server mode through the fault proxy, with a rotation function shaped like AWS's
rotation template.

moto's own RotateSecret does none of this (it needs the function in its own Lambda, invokes a
stub, keeps a copy of the current value under AWSPENDING, stores only AutomaticallyAfterDays and
refuses when AWSPENDING sits on the current version); every test below encodes what the Secrets
Manager API reference (RotateSecret, CancelRotateSecret, DescribeSecret, RotationRulesType) and
User Guide ("Rotation by Lambda function", "How rotation works", "Rotation schedules") document,
and each would fail against moto's behaviour.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.account import REGION
from harness.clock import SimulatedClock
from harness.faults import Fault, FaultProxy
from harness.rotation import DEFAULT_EPOCH, PREVIOUS_ROTATION, STEPS, RotationService
from harness.rotation_front import rotation_service_behind
from tests.support.aws import Aws
from tests.support.properties import KEY

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_secretsmanager.type_defs import RotationRulesTypeTypeDef

DAY = 86400.0
HOUR = 3600.0


class TemplateRotation:
    """A toy rotation function that follows AWS's rotation template
    (aws-samples/aws-secrets-manager-rotation-lambdas, SecretsManagerRotationTemplate): every step
    checks that rotation is enabled and that the token names a version labelled AWSPENDING (a
    version already AWSCURRENT means the step is done); createSecret puts the new token when
    reading the AWSPENDING version by token fails; setSecret makes the "origin" accept it;
    testSecret checks the origin accepts it (an empty pending version is the configuration
    test, and passes); finishSecret moves AWSCURRENT, then takes AWSPENDING off.

    ``fail`` makes a step raise at its start that many times. The clients go through the fault
    proxy, as a real function's would, with no retries of their own."""

    def __init__(self, client: SecretsManagerClient) -> None:
        self.client = client
        self.accepted: set[str] = set()  # the tokens the origin accepts
        self.calls: list[tuple[str, str]] = []
        self.tested_empty: list[str] = []
        self.fail: dict[str, int] = {}

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        step, arn, token = event["Step"], event["SecretId"], event["ClientRequestToken"]
        self.calls.append((step, token))
        if self.fail.get(step, 0) > 0:
            self.fail[step] -= 1
            raise RuntimeError(f"{step} failed (injected)")
        metadata = self.client.describe_secret(SecretId=arn)
        if not metadata.get("RotationEnabled"):
            raise ValueError("rotation is not enabled for the secret")
        stages = metadata["VersionIdsToStages"].get(token)
        if stages is None:
            raise ValueError("the token names no version of the secret")
        if "AWSCURRENT" in stages:
            return
        if "AWSPENDING" not in stages:
            raise ValueError("the token's version is not labelled AWSPENDING")
        {
            "createSecret": self.create_secret,
            "setSecret": self.set_secret,
            "testSecret": self.test_secret,
            "finishSecret": self.finish_secret,
        }[step](arn, token)

    def _pending(self, arn: str, token: str) -> str | None:
        try:
            value = self.client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except self.client.exceptions.ResourceNotFoundException:
            return None
        return str(json.loads(value["SecretString"])[KEY])

    def create_secret(self, arn: str, token: str) -> None:
        current = json.loads(self.client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
        if self._pending(arn, token) is None:
            current[KEY] = secrets.token_urlsafe(24)
            self.client.put_secret_value(
                SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current), VersionStages=["AWSPENDING"]
            )

    def set_secret(self, arn: str, token: str) -> None:
        pending = self._pending(arn, token)
        if pending is None:
            raise ValueError("createSecret has not run")
        self.accepted.add(pending)

    def test_secret(self, arn: str, token: str) -> None:
        pending = self._pending(arn, token)
        if pending is None:
            self.tested_empty.append(token)
            return
        if pending not in self.accepted:
            raise ValueError("the origin refuses the pending token")

    def finish_secret(self, arn: str, token: str) -> None:
        versions = self.client.describe_secret(SecretId=arn)["VersionIdsToStages"]
        current = next(version for version, stages in versions.items() if "AWSCURRENT" in stages)
        self.client.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
        )
        self.client.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=token)


# Fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def client(proxy: FaultProxy) -> SecretsManagerClient:
    """Secrets Manager as the provider and the rotation function reach it: through the proxy,
    then the stand-in, then moto. One attempt per call, so an injected fault is an error."""
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    return boto3.session.Session(region_name=REGION).client("secretsmanager", endpoint_url=proxy.url, config=config)


@pytest.fixture
def service(clock: SimulatedClock, aws: Aws, proxy: FaultProxy) -> Iterator[RotationService]:
    rotation = RotationService(clock, aws.secretsmanager)
    with rotation_service_behind(proxy, rotation):
        yield rotation


@pytest.fixture
def function(service: RotationService, client: SecretsManagerClient) -> TemplateRotation:
    return TemplateRotation(client)


@pytest.fixture
def function_arn(service: RotationService, function: TemplateRotation) -> str:
    return service.register("rotate-origin-token", function, timeout_s=10.0)


@pytest.fixture
def arn(aws: Aws, function: TemplateRotation) -> str:
    """A secret with a first token the origin accepts."""
    first = secrets.token_urlsafe(24)
    function.accepted.add(first)
    created = aws.secretsmanager.create_secret(
        Name=f"mediatailor/rotation-{secrets.token_hex(4)}", SecretString=json.dumps({KEY: first, "Other": "kept"})
    )
    return str(created["ARN"])


def stages(client: SecretsManagerClient, arn: str) -> dict[str, list[str]]:
    """Labels by version as DescribeSecret shows them through the stand-in, unlabelled versions
    (which moto still lists) left out."""
    return {v: s for v, s in client.describe_secret(SecretId=arn)["VersionIdsToStages"].items() if s}


def holder(client: SecretsManagerClient, arn: str, stage: str) -> str | None:
    return next((v for v, s in stages(client, arn).items() if stage in s), None)


def token_at(client: SecretsManagerClient, arn: str, stage: str) -> str:
    return str(json.loads(client.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"])[KEY])


def schedule_rotation(client: SecretsManagerClient, arn: str, function_arn: str, days: int) -> str:
    """Rotation every ``days`` days, not started now (``RotateImmediately=False``: the
    configuration is tested first); returns the VersionId RotateSecret names."""
    return client.rotate_secret(
        SecretId=arn,
        RotationLambdaARN=function_arn,
        RotationRules={"AutomaticallyAfterDays": days},
        RotateImmediately=False,
    )["VersionId"]


def at(days: float = 0, hours: float = 0) -> datetime:
    return DEFAULT_EPOCH + timedelta(days=days, hours=hours)


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


# Configuring rotation, and what DescribeSecret shows --------------------------------------------


@pytest.mark.parametrize(
    "rules",
    [
        {"AutomaticallyAfterDays": 30},
        {"ScheduleExpression": "rate(10 days)"},
        {"ScheduleExpression": "cron(0 16 ? * MON *)", "Duration": "2h"},
        {"ScheduleExpression": "rate(4 hours)", "Duration": "1h"},
    ],
)
def test_describe_secret_shows_the_rules_as_written(
    client: SecretsManagerClient, aws: Aws, arn: str, function_arn: str, rules: RotationRulesTypeTypeDef
) -> None:
    """DescribeSecret (API reference): RotationEnabled, RotationLambdaARN, RotationRules; moto
    keeps only AutomaticallyAfterDays."""
    client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn, RotationRules=rules, RotateImmediately=False)

    described = client.describe_secret(SecretId=arn)

    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == function_arn
    assert described["RotationRules"] == rules
    assert "LastRotatedDate" not in described
    assert aws.secret(arn).get("RotationRules") != rules, "moto itself does not keep these rules"


def test_after_a_rotation_on_a_schedule_expression_describe_secret_adds_the_calculated_days(
    client: SecretsManagerClient, service: RotationService, arn: str, function_arn: str
) -> None:
    """RotationRulesType.AutomaticallyAfterDays: "In DescribeSecret and ListSecrets, this value is
    calculated from the rotation schedule after every successful rotation" (the CLI's
    describe-secret example shows it beside the ScheduleExpression). What was written stays."""
    rules: RotationRulesTypeTypeDef = {"ScheduleExpression": "cron(0 16 ? * MON *)", "Duration": "2h"}
    client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn, RotationRules=rules)
    service.run_due()

    described = client.describe_secret(SecretId=arn)

    assert described["RotationRules"] == {**rules, "AutomaticallyAfterDays": 7}
    assert described["LastRotatedDate"] == at()
    # The next window: Monday 2025-01-06 16:00-18:00 UTC (NextRotationDate is "on or before").
    assert described["NextRotationDate"] == at(days=5, hours=18)
    listed = next(s for s in client.list_secrets()["SecretList"] if s["ARN"] == arn)
    assert listed["RotationRules"] == described["RotationRules"]
    assert listed["NextRotationDate"] == described["NextRotationDate"]


@pytest.mark.parametrize(
    ("rules", "why"),
    [
        ({"ScheduleExpression": "rate(2 hours)"}, "at most every four hours"),
        ({"ScheduleExpression": "cron(0 0/2 * * ? *)"}, "at most every four hours"),
        ({"ScheduleExpression": "rate(1000 days)"}, "at most 999 days"),
        ({"AutomaticallyAfterDays": 1001}, "1-1000"),
        ({"AutomaticallyAfterDays": 7, "ScheduleExpression": "rate(7 days)"}, "not both"),
        ({"ScheduleExpression": "cron(30 8 * * ? *)"}, "minutes field"),
        ({"ScheduleExpression": "cron(0 8 * * ? 2026)"}, "year field"),
        ({"ScheduleExpression": "cron(0 20 * * ? *)", "Duration": "6h"}, "next UTC day"),
        ({"ScheduleExpression": "rate(4 hours)", "Duration": "5h"}, "next rotation window"),
        ({"AutomaticallyAfterDays": 7, "Duration": "25h"}, "1h to 24h"),
        ({"ScheduleExpression": "rate(1 week)"}, "rate() or cron()"),
    ],
)
def test_rules_aws_refuses_are_refused_and_configure_nothing(
    client: SecretsManagerClient, arn: str, function_arn: str, rules: RotationRulesTypeTypeDef, why: str
) -> None:
    """RotationRulesType and the User Guide's "Rotation schedules" limits."""
    with pytest.raises(ClientError) as raised:
        client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn, RotationRules=rules)

    assert error_code(raised) == "InvalidParameterException"
    assert why in raised.value.response["Error"]["Message"]
    described = client.describe_secret(SecretId=arn)
    assert "RotationEnabled" not in described
    assert list(stages(client, arn).values()) == [["AWSCURRENT"]]


def test_rotation_needs_a_function_secrets_manager_may_invoke(
    client: SecretsManagerClient, service: RotationService, arn: str
) -> None:
    """RotateSecret without a function ARN stored or given: InvalidRequestException; the UG's
    "Troubleshoot rotation": the function's policy must let secretsmanager.amazonaws.com invoke it."""
    forbidden = service.register("no-permission", lambda event, context: None, invoke_permitted=False)

    with pytest.raises(ClientError) as missing:
        client.rotate_secret(SecretId=arn, RotationRules={"AutomaticallyAfterDays": 7})
    with pytest.raises(ClientError) as denied:
        client.rotate_secret(SecretId=arn, RotationLambdaARN=forbidden, RotationRules={"AutomaticallyAfterDays": 7})

    assert error_code(missing) == "InvalidRequestException"
    assert error_code(denied) == "AccessDeniedException"
    assert "RotationEnabled" not in client.describe_secret(SecretId=arn)


# A rotation: the placeholder, then the four steps --------------------------------------------


def test_an_immediate_rotation_makes_an_empty_pending_version_then_runs_the_four_steps_in_order(
    client: SecretsManagerClient, service: RotationService, function: TemplateRotation, arn: str, function_arn: str
) -> None:
    first = token_at(client, arn, "AWSCURRENT")

    answer = client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn)
    token = answer["VersionId"]

    # GIVEN the asynchronous rotation has not run yet: the placeholder, with no value.
    assert stages(client, arn)[token] == ["AWSPENDING"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
    assert function.calls == []
    assert token_at(client, arn, "AWSCURRENT") == first

    # WHEN it runs
    [attempt] = service.run_due()

    # THEN four invocations with one token, and the new token is current, other keys kept.
    assert attempt.ok
    assert attempt.reason == "immediate"
    assert function.calls == [(step, token) for step in STEPS]
    assert holder(client, arn, "AWSCURRENT") == token
    assert token_at(client, arn, "AWSCURRENT") != first
    assert token_at(client, arn, "AWSPREVIOUS") == first
    assert json.loads(client.get_secret_value(SecretId=arn)["SecretString"])["Other"] == "kept"
    assert holder(client, arn, "AWSPENDING") is None
    assert client.describe_secret(SecretId=arn)["LastRotatedDate"] == at()
    assert [event.name for event in service.events] == ["RotationStarted", "RotationSucceeded"]


def test_the_event_is_the_one_aws_documents(client: SecretsManagerClient, service: RotationService, arn: str) -> None:
    """UG, "Rotation by Lambda function": Step, SecretId (the ARN), ClientRequestToken and
    RotationToken."""
    events: list[dict[str, Any]] = []
    recorder = service.register("records-events", lambda event, context: events.append(event))

    token = client.rotate_secret(SecretId=arn, RotationLambdaARN=recorder)["VersionId"]
    service.run_due()

    assert [sorted(event) for event in events] == [["ClientRequestToken", "RotationToken", "SecretId", "Step"]] * 4
    assert {(event["SecretId"], event["ClientRequestToken"]) for event in events} == {(arn, token)}


def test_rotate_immediately_false_runs_only_test_secret_on_an_empty_version_then_removes_it(
    client: SecretsManagerClient, service: RotationService, function: TemplateRotation, arn: str, function_arn: str
) -> None:
    """RotateSecret, RotateImmediately: "Secrets Manager tests the rotation configuration by
    running the testSecret step ... The test creates an AWSPENDING version of the secret and then
    removes it." (moto instead copies the current value into an AWSPENDING version it keeps.)"""
    first = token_at(client, arn, "AWSCURRENT")

    token = schedule_rotation(client, arn, function_arn, 30)
    [attempt] = service.run_due()

    assert attempt.ok
    assert attempt.reason == "test"
    assert function.calls == [("testSecret", token)]
    assert function.tested_empty == [token]
    assert token not in client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    assert token not in [v["VersionId"] for v in client.list_secret_version_ids(SecretId=arn)["Versions"]]
    assert list(stages(client, arn).values()) == [["AWSCURRENT"]]
    assert token_at(client, arn, "AWSCURRENT") == first
    described = client.describe_secret(SecretId=arn)
    assert "LastRotatedDate" not in described
    assert described["NextRotationDate"] == at(days=31), "30 days on, to the end of that UTC day"
    # Nothing is left in flight: the next RotateSecret is accepted.
    client.rotate_secret(SecretId=arn)


# Schedules on the clock ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "openings", "window"),
    [
        # A rate in days opens at midnight and closes at the end of the UTC day.
        ({"AutomaticallyAfterDays": 10}, [at(days=10), at(days=20), at(days=30)], timedelta(days=1)),
        # A rate in hours: one hour by default.
        ({"ScheduleExpression": "rate(4 hours)"}, [at(hours=4), at(hours=8), at(hours=12)], timedelta(hours=1)),
        # 2025-01-01 is a Wednesday: the next three Mondays at 16:00 UTC, for two hours.
        (
            {"ScheduleExpression": "cron(0 16 ? * MON *)", "Duration": "2h"},
            [at(days=5, hours=16), at(days=12, hours=16), at(days=19, hours=16)],
            timedelta(hours=2),
        ),
    ],
)
def test_three_scheduled_rotations_run_as_their_windows_open(
    client: SecretsManagerClient,
    service: RotationService,
    function: TemplateRotation,
    arn: str,
    function_arn: str,
    rules: RotationRulesTypeTypeDef,
    openings: list[datetime],
    window: timedelta,
) -> None:
    """UG, "Rotation schedules"; DescribeSecret.NextRotationDate: "on or before this date" (the
    window's close). Each rotation starts as its window opens (the stand-in's pick of "any time
    during the window")."""
    client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn, RotationRules=rules, RotateImmediately=False)
    service.run_due()  # the configuration test
    tokens = [token_at(client, arn, "AWSCURRENT")]

    ran = []
    for opening in openings:
        assert client.describe_secret(SecretId=arn)["NextRotationDate"] == opening + window
        ran += service.advance(service.at(opening) - service.clock.now)
        tokens.append(token_at(client, arn, "AWSCURRENT"))

    assert [(attempt.started, attempt.reason, attempt.ok) for attempt in ran] == [
        (opening, "scheduled", True) for opening in openings
    ]
    assert len(set(tokens)) == 4, "every rotation makes a new token"
    assert token_at(client, arn, "AWSPREVIOUS") == tokens[-2]
    assert client.describe_secret(SecretId=arn)["LastRotatedDate"] == openings[-1]
    assert [step for step, _ in function.calls[1:]] == list(STEPS) * 3


def test_a_rotation_outside_the_windows_moves_the_next_date_of_a_rate_in_days(
    client: SecretsManagerClient, service: RotationService, arn: str, function_arn: str
) -> None:
    """RotationRulesType.AutomaticallyAfterDays: the next date is "based on the previous
    rotation"; Troubleshooting: "adding the rotation interval ... to the actual date of the last
    rotation"."""
    schedule_rotation(client, arn, function_arn, 10)
    service.advance(3 * DAY + 5 * HOUR)

    client.rotate_secret(SecretId=arn)  # immediately, with the stored configuration
    service.run_due()

    assert client.describe_secret(SecretId=arn)["NextRotationDate"] == at(days=14)
    [scheduled] = service.advance(11 * DAY)
    assert scheduled.started == at(days=13)


# Failures and retries ------------------------------------------------------------------------


def test_a_failed_step_leaves_awscurrent_in_place_and_the_retry_recovers(
    client: SecretsManagerClient, service: RotationService, function: TemplateRotation, arn: str, function_arn: str
) -> None:
    """RotateSecret: "When rotation is unsuccessful, the AWSPENDING staging label might be
    attached to an empty secret version"; UG: Secrets Manager "retries the entire rotation
    process"; DescribeSecret.NextRotationDate: "If rotation is unsuccessful, this date may be in
    the past". When and with which token it retries is not documented: the stand-in retries an
    hour later with the same token (ClientRequestToken "prevent[s] the accidental creation of
    duplicate versions if there are failures and retries during rotation")."""
    schedule_rotation(client, arn, function_arn, 1)
    service.run_due()
    first = token_at(client, arn, "AWSCURRENT")
    function.fail["setSecret"] = 1

    [failed] = service.advance(DAY)

    assert (failed.outcome, failed.steps, failed.error) == ("failed", ["createSecret", "setSecret"], "RuntimeError")
    assert token_at(client, arn, "AWSCURRENT") == first
    assert stages(client, arn)[failed.token] == ["AWSPENDING"]
    described = client.describe_secret(SecretId=arn)
    assert described["NextRotationDate"] == at(days=2)
    assert "LastRotatedDate" not in described

    [retry] = service.advance(HOUR)

    assert (retry.reason, retry.token, retry.ok) == ("retry", failed.token, True)
    assert retry.steps == list(STEPS)
    assert holder(client, arn, "AWSCURRENT") == failed.token
    assert token_at(client, arn, "AWSPREVIOUS") == first
    assert client.describe_secret(SecretId=arn)["LastRotatedDate"] == at(days=1, hours=1)
    assert len([v for v in client.describe_secret(SecretId=arn)["VersionIdsToStages"]]) == 2, "no duplicate version"


def test_a_fault_on_the_wire_fails_finish_secret_and_the_next_attempt_recovers(
    client: SecretsManagerClient, service: RotationService, proxy: FaultProxy, arn: str, function_arn: str
) -> None:
    """The rotation function's calls cross the fault proxy like the provider's: a throttled
    label move in finishSecret fails the rotation without moving AWSCURRENT."""
    first = token_at(client, arn, "AWSCURRENT")
    token = client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn)["VersionId"]
    proxy.inject(Fault("UpdateSecretVersionStage", times=1))

    [failed] = service.run_due()

    assert (failed.outcome, failed.steps[-1], failed.error) == (
        "failed",
        "finishSecret",
        "ClientError ThrottlingException",
    )
    assert token_at(client, arn, "AWSCURRENT") == first
    [retry] = service.advance(HOUR)
    assert retry.ok
    assert holder(client, arn, "AWSCURRENT") == token


def test_a_rotation_that_keeps_failing_is_reattempted_at_the_next_window(
    client: SecretsManagerClient, service: RotationService, function: TemplateRotation, arn: str, function_arn: str
) -> None:
    """The AWSPENDING rule's error says "That rotation will be reattempted"; the stand-in's
    next window reattempts the rotation in progress (``stuck_pending="reattempt"``)."""
    schedule_rotation(client, arn, function_arn, 1)
    service.run_due()
    first = token_at(client, arn, "AWSCURRENT")
    function.fail["testSecret"] = 3  # the window's attempt and both retries

    attempts = service.advance(DAY + 3 * HOUR)

    assert [(a.reason, a.outcome, a.token) for a in attempts] == [
        ("scheduled", "failed", attempts[0].token),
        ("retry", "failed", attempts[0].token),
        ("retry", "failed", attempts[0].token),
    ]
    assert token_at(client, arn, "AWSCURRENT") == first

    [recovered] = service.advance(DAY)

    assert (recovered.reason, recovered.token, recovered.ok) == ("scheduled", attempts[0].token, True)
    assert recovered.started == at(days=2)
    assert holder(client, arn, "AWSCURRENT") == attempts[0].token


def test_a_step_that_outlives_the_function_timeout_fails(
    client: SecretsManagerClient, service: RotationService, arn: str
) -> None:
    """Lambda ends an invocation at its timeout; the step counts as failed."""
    slow = service.register("slow", lambda event, context: time.sleep(0.5), timeout_s=0.1)

    client.rotate_secret(SecretId=arn, RotationLambdaARN=slow)
    [attempt] = service.run_due()

    assert (attempt.outcome, attempt.steps, attempt.error) == ("failed", ["createSecret"], "timed out")


# The AWSPENDING rule -------------------------------------------------------------------------


def test_rotate_secret_is_refused_while_awspending_sits_on_another_version(
    client: SecretsManagerClient, aws: Aws, arn: str, function_arn: str
) -> None:
    """RotateSecret: "If the AWSPENDING staging label is present but not attached to the same
    version as AWSCURRENT, then any later invocation of RotateSecret assumes that a previous
    rotation request is still in progress and returns an error." A refused call configures
    nothing."""
    aws.secretsmanager.put_secret_value(
        SecretId=arn, SecretString=json.dumps({KEY: secrets.token_urlsafe(24)}), VersionStages=["AWSPENDING"]
    )
    before = stages(client, arn)

    with pytest.raises(ClientError) as raised:
        client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn, RotationRules={"AutomaticallyAfterDays": 7})

    assert (error_code(raised), raised.value.response["Error"]["Message"]) == (
        "InvalidRequestException",
        PREVIOUS_ROTATION,
    )
    assert stages(client, arn) == before
    assert "RotationEnabled" not in client.describe_secret(SecretId=arn)


def test_awspending_on_the_current_version_does_not_block_a_rotation(
    client: SecretsManagerClient, aws: Aws, service: RotationService, arn: str, function_arn: str
) -> None:
    """The state a finished rotation may leave (RotateSecret: AWSPENDING "might be attached to the
    same version as the AWSCURRENT version"); moto refuses RotateSecret here, AWS does not."""
    current = holder(client, arn, "AWSCURRENT")
    assert current is not None
    aws.secretsmanager.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING", MoveToVersionId=current)

    token = client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn)["VersionId"]
    [attempt] = service.run_due()

    assert attempt.ok
    assert holder(client, arn, "AWSCURRENT") == token


def test_a_second_rotate_secret_is_refused_while_the_first_is_in_flight(
    client: SecretsManagerClient, service: RotationService, arn: str, function_arn: str
) -> None:
    client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn)

    with pytest.raises(ClientError) as raised:
        client.rotate_secret(SecretId=arn)

    assert raised.value.response["Error"]["Message"] == PREVIOUS_ROTATION
    assert len(service.run_due()) == 1


# Cancelling, and writes by hand ----------------------------------------------------------------


def test_cancel_rotate_secret_stops_the_rotation_and_may_leave_awspending_behind(
    client: SecretsManagerClient, service: RotationService, function: TemplateRotation, arn: str, function_arn: str
) -> None:
    """CancelRotateSecret: rotation off, the rotation in progress cancelled, the labels "in an
    unexpected state"; its VersionId names the version to clean up, which otherwise blocks later
    rotations."""
    first = token_at(client, arn, "AWSCURRENT")
    token = client.rotate_secret(
        SecretId=arn, RotationLambdaARN=function_arn, RotationRules={"AutomaticallyAfterDays": 1}
    )["VersionId"]

    answer = client.cancel_rotate_secret(SecretId=arn)

    assert answer["VersionId"] == token
    assert service.advance(3 * DAY) == []
    assert function.calls == []
    described = client.describe_secret(SecretId=arn)
    assert described["RotationEnabled"] is False
    assert "NextRotationDate" not in described
    assert "LastRotatedDate" not in described
    assert stages(client, arn)[token] == ["AWSPENDING"]
    assert token_at(client, arn, "AWSCURRENT") == first
    with pytest.raises(ClientError):
        client.rotate_secret(SecretId=arn)

    client.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=token)
    client.rotate_secret(SecretId=arn)  # the stored function and rules turn rotation on again
    assert [a.ok for a in service.run_due()] == [True]
    assert client.describe_secret(SecretId=arn)["RotationEnabled"] is True


def test_cancel_rotate_secret_on_a_secret_without_rotation_is_refused(client: SecretsManagerClient, arn: str) -> None:
    with pytest.raises(ClientError) as raised:
        client.cancel_rotate_secret(SecretId=arn)

    assert error_code(raised) == "InvalidRequestException"


def test_a_new_version_written_during_a_rotation_abandons_it(
    client: SecretsManagerClient, service: RotationService, function: TemplateRotation, arn: str, function_arn: str
) -> None:
    """UG, CloudTrail entries: RotationAbandoned, "When you manually create a new version of a
    secret ... Secrets Manager removes the AWSPENDING label to allow future rotations to
    succeed"; UG, "Rotation by Lambda function": the manual update "is considered a valid
    rotation when it calculates the next rotation date"."""
    schedule_rotation(client, arn, function_arn, 10)
    service.run_due()
    function.fail["setSecret"] = 1
    [failed] = service.advance(10 * DAY)
    service.clock.advance(10 * 60)

    client.put_secret_value(SecretId=arn, SecretString=json.dumps({KEY: secrets.token_urlsafe(24)}))

    assert holder(client, arn, "AWSPENDING") is None
    assert "RotationAbandoned" in [event.name for event in service.events if event.token == failed.token]
    assert service.advance(2 * HOUR) == [], "the abandoned rotation is not retried"
    assert client.describe_secret(SecretId=arn)["NextRotationDate"] == at(days=21)
    client.rotate_secret(SecretId=arn)


def test_the_proxy_still_counts_and_faults_the_calls_the_stand_in_answers(
    client: SecretsManagerClient, proxy: FaultProxy, arn: str, function_arn: str
) -> None:
    """The stand-in sits behind the fault proxy, where Secrets Manager is: a throttled
    RotateSecret never reaches it, and every call is counted once."""
    proxy.inject(Fault("RotateSecret", times=1))

    with pytest.raises(ClientError) as raised:
        client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn)
    client.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn)

    assert error_code(raised) == "ThrottlingException"
    assert proxy.recorder.count()["RotateSecret"] == 2
    assert len([s for s in stages(client, arn).values() if "AWSPENDING" in s]) == 1
