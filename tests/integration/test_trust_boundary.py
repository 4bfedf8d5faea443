"""Anyone allowed to invoke the provider can hand it any event: the token only ever travels to
CloudFormation's response bucket, and events addressed to another function, account or Region
get nowhere (docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.cloudformation import Stack
from harness.environment import provider_environment
from harness.lambda_context import function_arn
from harness.listener import ResponseListener
from harness.run_artifact import invoke_in_process_of_its_own
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
            "arn:aws:cloudformation:us-east-1:999999999999:stack/media/1111",
            "its StackId is not a stack of this account and Region",
        ),
        (
            "StackId",
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/media/1111",
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
        else f"arn:aws:secretsmanager:us-east-1:123456789012:secret:mediatailor/{stack.name}/Token-AbCdEf"
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
