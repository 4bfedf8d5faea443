"""Upgrade safety: a secret that release 1.0 created keeps its name, ARN and token when its
stack is updated after the provider is upgraded (main is released software).

The state comes from tests/fixtures/release-1.0-secret.json, captured by running release 1.0
on ``events/create.json``; the stored Create event is replayed as the Update CloudFormation
would send next.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.aws import Aws
from tests.support.events import load_event

RELEASED = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "release-1.0-secret.json").read_text())
TOKEN_1_0 = "Released1x0TokenReleased1x0TokenReleased1x0Token"


@pytest.fixture
def released_secret(aws: Aws, kms_key: str) -> str:
    aws.kms.create_alias(AliasName="alias/mediatailor-access-token", TargetKeyId=kms_key)
    created = aws.secretsmanager.create_secret(
        Name=RELEASED["Name"],
        KmsKeyId=kms_key,
        Description=RELEASED["Description"],
        Tags=RELEASED["Tags"],
        SecretString=json.dumps({RELEASED["SecretStringKey"]: TOKEN_1_0}),
        ClientRequestToken=RELEASED["VersionId"],
    )
    return str(created["ARN"])


def update_event(arn: str, listener: Any, **properties: Any) -> dict[str, Any]:
    created = load_event("create")
    event = {
        **created,
        "RequestType": "Update",
        "RequestId": str(uuid.uuid4()),
        "PhysicalResourceId": arn,
        "OldResourceProperties": created["ResourceProperties"],
        "ResourceProperties": {**created["ResourceProperties"], **properties},
    }
    event["ResponseURL"] = listener.url_for(event)
    return event


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({}, id="same properties"),
        pytest.param({"Description": "changed after the upgrade"}, id="description"),
        pytest.param({"Tags": [{"Key": "team", "Value": "live"}]}, id="tags"),
        pytest.param({"HeaderName": "X-Other-Token"}, id="header name"),
    ],
)
def test_an_update_after_the_upgrade_keeps_the_released_secret_and_its_token(
    change: dict[str, Any], released_secret: str, aws: Aws, invoke: Any, listener: Any, proxy_calls: Any
) -> None:
    event = update_event(released_secret, listener, **change)

    invoke(event)
    body = listener.wait_for(event["ResponseURL"]).body

    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == released_secret
    assert aws.secret(released_secret)["Name"] == RELEASED["Name"]
    assert aws.token(released_secret, RELEASED["SecretStringKey"]) == TOKEN_1_0
    assert "PutSecretValue" not in proxy_calls.recorder.calls
    assert "CreateSecret" not in proxy_calls.recorder.calls


def test_a_key_change_after_the_upgrade_moves_the_released_token_to_a_new_secret(
    released_secret: str, aws: Aws, invoke: Any, listener: Any
) -> None:
    new_key = aws.new_key()
    event = update_event(released_secret, listener, KmsKeyId=new_key)

    invoke(event)
    body = listener.wait_for(event["ResponseURL"]).body

    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] != released_secret
    assert aws.token(body["PhysicalResourceId"], RELEASED["SecretStringKey"]) == TOKEN_1_0
    assert aws.token(released_secret, RELEASED["SecretStringKey"]) == TOKEN_1_0
