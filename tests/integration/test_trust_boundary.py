"""Anyone allowed to invoke the provider can hand it any event: the token only ever travels to
CloudFormation's response bucket, under the key of the request that asked for it (a genuine URL
relayed from another request gets nothing), and events addressed to another function, account
or Region get nowhere (docs/security.md)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from harness.account import make_arn
from harness.cloudformation import CloudFormation, Stack
from harness.environment import provider_environment
from harness.lambda_context import function_arn
from harness.listener import ResponseListener
from harness.run_artifact import invoke_in_process_of_its_own
from tests.support.events import load_event
from tests.support.network import connections

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "cloudformation-custom-resource-response-useast1"


def forged_urls(port: int) -> dict[str, str]:
    path = "/cloudformation-custom-resource-response/forged/request?X-Amz-Signature=abc"
    return {
        "plain http": f"http://127.0.0.1:{port}{path}",
        "another host": f"https://localhost:{port}{path}",
        "another Region's bucket": f"https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com{path}",
        "look-alike host": f"https://{BUCKET}.s3.amazonaws.com.evil.example{path}",
        "userinfo trick": f"https://{BUCKET}.s3.amazonaws.com@127.0.0.1:{port}{path}",
        "IP literal": f"https://2130706433:{port}{path}",
        "bucket on another port": f"https://{BUCKET}.s3.amazonaws.com:{port}{path}",
        "bucket as a path": f"https://s3.amazonaws.com/{BUCKET}{path}",
    }


@pytest.mark.parametrize("kind", list(forged_urls(0)))
def test_a_forged_response_url_receives_nothing_and_nothing_is_done(
    kind: str, stack: Stack, kms_key: str, listener: ResponseListener, proxy_calls: Any, invoke: Any
) -> None:
    url = forged_urls(listener.port)[kind]
    event = stack.event("Create", "Token", {"KmsKeyId": kms_key, "SecretStringKey": "K", "ReturnAccessToken": "true"})
    event["ResponseURL"] = url

    before = len(listener.all_responses())
    with connections() as attempted:
        invoke(event)

    assert len(listener.all_responses()) == before, "nothing reached the listener"
    assert [address for address in attempted if address[1] == listener.port] == []
    assert proxy_calls.recorder.calls == [], "no AWS call for a forged event"


def test_the_harness_widens_the_allow_list_and_the_template_never_does() -> None:
    assert provider_environment("http://127.0.0.1:1", Path("ca.pem"))["RESPONSE_URL_ALLOWED_HOSTS"] == "127.0.0.1"
    assert "RESPONSE_URL_ALLOWED_HOSTS" not in (ROOT / "template.yaml").read_text()


def test_without_the_variable_a_loopback_response_url_is_refused(stack: Stack, listener: ResponseListener) -> None:
    event = stack.event("Delete", "Token", {"KmsKeyId": "k", "SecretStringKey": "K"}, physical_id="Token#x")

    invoke_in_process_of_its_own(ROOT / "functions", event, RESPONSE_URL_ALLOWED_HOSTS="")
    refused = listener.responses_for(event["ResponseURL"])
    invoke_in_process_of_its_own(ROOT / "functions", event)

    assert refused == []
    assert [r.body["Status"] for r in listener.responses_for(event["ResponseURL"])] == ["SUCCESS"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("ServiceToken", function_arn(name="someone-elses-function"), "its ServiceToken names another function"),
        ("ServiceToken", function_arn(account="999999999999"), "its ServiceToken names another function"),
        ("ServiceToken", "", "its ServiceToken names another function"),
        (
            "StackId",
            make_arn("cloudformation", "stack/media/1111", account="999999999999"),
            "its StackId is not a stack of this account and Region",
        ),
        (
            "StackId",
            make_arn("cloudformation", "stack/media/1111", region="eu-west-1"),
            "its StackId is not a stack of this account and Region",
        ),
        ("StackId", "media", "its StackId is not a stack of this account and Region"),
    ],
)
@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_an_event_addressed_to_someone_else_fails_without_an_aws_call(
    field: str, value: str, reason: str, request_type: str, stack: Stack, kms_key: str, proxy_calls: Any
) -> None:
    physical_id = (
        None
        if request_type == "Create"
        else make_arn("secretsmanager", f"secret:mediatailor/{stack.name}/Token-AbCdEf")
    )
    old = {"KmsKeyId": kms_key, "SecretStringKey": "K"} if request_type == "Update" else None

    response = stack.send(
        request_type,
        "Token",
        {"KmsKeyId": kms_key, "SecretStringKey": "K"},
        physical_id=physical_id,
        old_properties=old,
        event_overrides={field: value},
    )

    assert response.status == "FAILED"
    assert response.reason == f"Request not addressed to this provider: {reason}"
    assert response.physical_id
    assert proxy_calls.recorder.calls == []


def test_a_service_token_with_an_alias_or_version_is_this_function(stack: Stack, kms_key: str) -> None:
    response = stack.send(
        "Create",
        "Token",
        {"KmsKeyId": kms_key, "SecretStringKey": "K"},
        event_overrides={"ServiceToken": function_arn() + ":live"},
    )

    assert response.ok, response.reason


RELAYED_TOKEN = "relayed-token-must-stay-home-0123456789"


def relayed_url(kind: str, event: dict[str, Any], attacker: Stack, listener: ResponseListener) -> str:
    """A genuine URL of the listener (the allowed host) whose key names another request: what an
    invoker gets by deploying a stack of their own and taking the URL CloudFormation hands it."""
    stack_id, logical_id, request_id = event["StackId"], event["LogicalResourceId"], event["RequestId"]
    return {
        "another stack": listener.new_url(attacker.stack_id, logical_id, request_id),
        "another logical ID": listener.new_url(stack_id, "AttackerRelay", request_id),
        "another request": listener.new_url(stack_id, logical_id, "7d3f0c8e-1b2a-4c5d-8e9f-0a1b2c3d4e5f"),
        "the attacker's own request": listener.new_url(attacker.stack_id, "AttackerRelay", str(uuid.uuid4())),
    }[kind]


def everything_written(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """stdout, stderr, and every log record with its structured fields."""
    out, err = capfd.readouterr()
    records = [f"{record.getMessage()} {record.__dict__}" for record in caplog.records]
    return "\n".join([out, err, *records])


RELAY_KINDS = ["another stack", "another logical ID", "another request", "the attacker's own request"]


@pytest.mark.parametrize("kind", RELAY_KINDS)
def test_a_relayed_response_url_gets_no_put_and_no_aws_call(
    kind: str,
    stack: Stack,
    cloud: CloudFormation,
    kms_key: str,
    listener: ResponseListener,
    proxy_calls: Any,
    invoke: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN an event whose ResponseURL is on an allowed host but whose key is not the event's
    own StackId|LogicalResourceId|RequestId, WHEN the provider is invoked with it, THEN nothing
    reaches the listener, no AWS call is made, and neither the token nor the URL's signature or
    path is written anywhere: the log names the host only."""
    attacker = cloud.new_stack("attacker")
    properties = {"KmsKeyId": kms_key, "SecretStringKey": "K", "AccessToken": RELAYED_TOKEN, "ReturnAccessToken": True}
    event = stack.event("Create", "Token", properties)
    event["ResponseURL"] = relayed_url(kind, event, attacker, listener)

    before = len(listener.all_responses())
    with connections() as attempted:
        invoke(event)

    assert len(listener.all_responses()) == before, "nothing reached the listener"
    assert [address for address in attempted if address[1] == listener.port] == []
    assert proxy_calls.recorder.calls == [], "no AWS call for a relayed URL"
    written = everything_written(capfd, caplog)
    signature = event["ResponseURL"].rsplit("X-Amz-Signature=", 1)[1]
    assert RELAYED_TOKEN not in written
    assert signature not in written
    assert "AttackerRelay" not in written
    assert "stack/attacker" not in written
    (refusal,) = [r for r in caplog.records if r.getMessage().startswith("response URL refused")]
    assert refusal.getMessage().endswith("its key is not this request's StackId|LogicalResourceId|RequestId")
    assert refusal.__dict__["rejected_host"] == "127.0.0.1"


def test_a_victims_token_cannot_be_relayed_into_the_attackers_stack(
    stack: Stack,
    cloud: CloudFormation,
    kms_key: str,
    aws: Any,
    listener: ResponseListener,
    proxy_calls: Any,
    invoke: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The attack of issue 20: the victim's stack holds a secret; the attacker, allowed to invoke
    the provider, sends an Update naming the victim's StackId and LogicalResourceId (so the
    ownership tags match) with ReturnAccessToken, and the ResponseURL CloudFormation handed a
    custom resource of the attacker's own stack. The body carrying the victim's token would land
    under the attacker's request. It gets no PUT, and the secret is not even read."""
    victim = stack.create("Token", {"KmsKeyId": kms_key, "SecretStringKey": "K"})
    assert victim.ok, victim.reason
    token = aws.token(victim.physical_id, "K")
    attacker = cloud.new_stack("attacker")
    attack = stack.event(
        "Update",
        "Token",
        {"KmsKeyId": kms_key, "SecretStringKey": "K", "ReturnAccessToken": True},
        physical_id=victim.physical_id,
        old_properties={"KmsKeyId": kms_key, "SecretStringKey": "K"},
    )
    attack["ResponseURL"] = listener.new_url(attacker.stack_id, "Relay", str(uuid.uuid4()))
    calls_before = len(proxy_calls.recorder.calls)
    responses_before = len(listener.all_responses())
    caplog.clear()

    with connections() as attempted:
        invoke(attack)

    assert len(listener.all_responses()) == responses_before
    assert [address for address in attempted if address[1] == listener.port] == []
    assert proxy_calls.recorder.calls[calls_before:] == [], "the victim's secret was not read"
    assert token not in everything_written(capfd, caplog)
    assert aws.token(victim.physical_id, "K") == token


def test_the_harness_builds_response_urls_with_the_requests_key(stack: Stack) -> None:
    """Test tooling answers only under the real key, so its URLs must carry it like
    CloudFormation's (``:`` as ``%3A``, ``|`` as ``%7C``, the stack ARN's slashes kept)."""
    event = stack.event("Create", "Token", {"KmsKeyId": "k", "SecretStringKey": "K"})
    path = urlsplit(event["ResponseURL"]).path

    assert path == "/" + event["StackId"].replace(":", "%3A") + f"%7CToken%7C{event['RequestId']}"
    assert unquote(path[1:]) == f"{event['StackId']}|Token|{event['RequestId']}"


@pytest.mark.parametrize("name", ["create", "update", "delete"])
def test_the_sample_events_urls_name_their_own_request(name: str) -> None:
    event = load_event(name)
    moved = load_event(name, RequestId="0f0e0d0c-0b0a-4909-8807-060504030201")

    for sample in (event, moved):
        key = unquote(urlsplit(sample["ResponseURL"]).path[1:])
        assert key == f"{sample['StackId']}|{sample['LogicalResourceId']}|{sample['RequestId']}"


def test_a_forged_event_at_another_teams_provider_cannot_touch_this_teams_secret(
    stack: Stack, kms_key: str, aws: Any, listener: ResponseListener, proxy_calls: Any
) -> None:
    """Per-team providers (examples/per-team-provider.yaml): team B may invoke its own provider
    with team A's StackId, LogicalResourceId and secret ARN; that provider refuses before any AWS
    call, because the secret is outside its SecretNamePrefix (and its role could not reach it)."""
    properties = {"KmsKeyId": kms_key, "SecretStringKey": "K"}
    create = stack.event("Create", "Token", properties)
    invoke_in_process_of_its_own(ROOT / "functions", create, SECRET_NAME_PREFIX="video-a/mediatailor/")
    team_a_secret = listener.wait_for(create["ResponseURL"]).body["PhysicalResourceId"]
    assert aws.secret(team_a_secret)["Name"].startswith("video-a/mediatailor/")
    token = aws.token(team_a_secret, "K")
    forged = stack.event("Delete", "Token", properties, physical_id=team_a_secret)
    calls_before = len(proxy_calls.recorder.calls)
    assert calls_before > 0, "the provider's calls in its own process go through the recording proxy"

    invoke_in_process_of_its_own(ROOT / "functions", forged, SECRET_NAME_PREFIX="video-b/mediatailor/")

    answer = listener.wait_for(forged["ResponseURL"]).body
    assert answer["Status"] == "FAILED"
    assert "outside the provider's SecretNamePrefix 'video-b/mediatailor/'" in answer["Reason"]
    assert proxy_calls.recorder.calls[calls_before:] == []
    assert "DeletedDate" not in aws.secret(team_a_secret)
    assert aws.token(team_a_secret, "K") == token
