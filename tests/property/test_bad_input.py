"""Random property maps, types, unicode, oversized and empty values, malformed events and forged
envelopes (ResponseURL, ServiceToken, StackId, and genuine response URLs of other requests
relayed) thrown at the real handler: each request whose ResponseURL is CloudFormation's for that
very request (here: the allowed listener, keyed by StackId|LogicalResourceId|RequestId) gets
exactly one response, no other URL ever receives a connection, the handler never raises, and a
token never appears in a Reason or on stdout/stderr."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from access_token_secret.adapter.handler import lambda_handler
from access_token_secret.plan.properties import KNOWN_PROPERTIES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.account import ACCOUNT, make_arn
from harness.lambda_context import LambdaContext, function_arn
from harness.listener import ResponseListener
from tests.support.network import LOOPBACK_NAMES, connections

STACK_ID = make_arn("cloudformation", "stack/fuzz/11111111-2222-3333-4444-555555555555")
OTHER_STACK_ID = make_arn("cloudformation", "stack/attacker/99999999-2222-3333-4444-555555555555")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.sampled_from(["", "true", "false", "Uuid", "Alphanumeric", "7", "8", "128", "129", "mediatailor/x", "X-Token"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
property_names = st.one_of(st.sampled_from([*KNOWN_PROPERTIES, "ServiceToken"]), st.text(max_size=30))


@st.composite
def token_markers(draw: st.DrawFn) -> str:
    """A token that is unmistakable in output: a unique marker plus arbitrary (maybe invalid) text."""
    return f"TOKMARK{uuid.UUID(int=draw(st.integers(0, 2**128 - 1))).hex}{draw(st.text(max_size=150))}"


def response_urls(genuine: str, relayed: list[str]) -> st.SearchStrategy[str]:
    """Mostly the request's own URL; otherwise forgeries of it, and genuine URLs of other
    requests relayed here (none of which may get a PUT)."""
    rest = genuine.split("://", 1)[1].split("/", 1)[1]
    host = genuine.split("://", 1)[1].split("/", 1)[0]
    bucket = "cloudformation-custom-resource-response-useast1"
    return st.one_of(
        st.just(genuine),
        st.just(genuine),
        st.sampled_from(
            [
                f"http://{host}/{rest}",
                f"https://localhost:{host.split(':')[1]}/{rest}",
                f"https://{bucket}.s3.amazonaws.com@{host}/{rest}",
                f"https://{bucket}.s3.amazonaws.com.evil.example/{rest}",
                f"https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/{rest}",
                f"ftp://{host}/{rest}",
            ]
        ),
        st.sampled_from(relayed),
        st.text(max_size=80),
    )


@st.composite
def events(draw: st.DrawFn, listener: ResponseListener, kms_key: str) -> tuple[dict[str, Any], str, str]:
    """An event, its token marker, and the URL that alone may be answered: the request's own."""
    properties: dict[str, Any] = draw(st.dictionaries(property_names, values, max_size=8))
    if draw(st.booleans()):
        properties.update(KmsKeyId=kms_key, SecretStringKey=draw(st.text(min_size=0, max_size=140)))
    token = draw(token_markers())
    if draw(st.booleans()):
        properties["AccessToken"] = token
    request_type = draw(st.sampled_from(["Create", "Update", "Delete", "Replace", "", None]))
    stack_id = draw(st.sampled_from([STACK_ID, STACK_ID, STACK_ID.replace(ACCOUNT, "999999999999"), "stack"]))
    logical_id = draw(st.sampled_from(["Token", "T" * 255, "Other"]))
    request_id = str(uuid.uuid4())
    genuine = listener.new_url(stack_id, logical_id, request_id)
    relayed = [
        listener.new_url(OTHER_STACK_ID, logical_id, request_id),
        listener.new_url(stack_id, "Relayed", request_id),
        listener.new_url(stack_id, logical_id, str(uuid.uuid4())),
    ]
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": draw(
            st.sampled_from([function_arn(), function_arn(), function_arn(name="other"), function_arn() + ":1", ""])
        ),
        "ResponseURL": draw(response_urls(genuine, relayed)),
        "StackId": stack_id,
        "RequestId": request_id,
        "ResourceType": "Custom::MediaTailorAccessTokenSecret",
        "LogicalResourceId": logical_id,
        "ResourceProperties": draw(st.sampled_from([properties, properties, "not-a-map", None])),
    }
    if request_type in ("Update", "Delete") or draw(st.booleans()):
        event["PhysicalResourceId"] = draw(
            st.sampled_from(
                [
                    make_arn("secretsmanager", "secret:mediatailor/fuzz-AbCdEf"),
                    "mediatailor/fuzz/Token-0123456789",
                    "Token#not-created#x",
                    draw(st.text(max_size=60)),
                ]
            )
        )
    if draw(st.booleans()):
        event["OldResourceProperties"] = draw(st.dictionaries(property_names, values, max_size=4))
    for field in draw(
        st.lists(st.sampled_from(["StackId", "RequestId", "LogicalResourceId", "ResponseURL"]), max_size=2)
    ):
        event.pop(field, None)
    return event, token, genuine


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_event_gets_exactly_one_safe_answer(
    data: st.DataObject, listener: ResponseListener, kms_key: str, capfd: pytest.CaptureFixture[str]
) -> None:
    event, token, url = data.draw(events(listener, kms_key))

    with connections() as attempted:
        lambda_handler(event, LambdaContext(timeout_s=30))  # must not raise

    answers = listener.responses_for(url)
    assert all(host in LOOPBACK_NAMES for host, _ in attempted), "nothing left loopback"
    names_its_request = all(event.get(field) for field in ("StackId", "LogicalResourceId", "RequestId"))
    if event.get("ResponseURL") == url and names_its_request:
        assert len(answers) == 1
        body = answers[0].body
        assert body["Status"] in ("SUCCESS", "FAILED")
        assert body["PhysicalResourceId"]
        assert len(body["Reason"]) < 256
        assert "TOKMARK" not in body["Reason"]
        if body["Status"] == "FAILED":
            assert body["Data"] == {}
    else:
        assert answers == []
        assert [port for _, port in attempted if port == listener.port] == []
    out, err = capfd.readouterr()
    assert token not in out + err
    assert "TOKMARK" not in out + err
