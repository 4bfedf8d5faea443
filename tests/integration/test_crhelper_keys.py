"""crhelper's polling keys are refused: the provider never polls, and crhelper would trust them.

With ``CrHelperPoll`` crhelper routes a request to its poll function; none is registered, so it
would answer SUCCESS without the provider running (1.2 did). ``CrHelperData`` would become the
response's Data. An event carrying any of crhelper's keys gets FAILED and no AWS call at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.account import make_arn
from harness.cloudformation import Stack
from tests.support.aws import Aws

POLL_EVENT_KEYS = {
    "CrHelperPoll": True,
    "CrHelperPermission": "TokenAbCdEf12",
    "CrHelperRule": make_arn("events", "rule/TokenAbCdEf12"),
    "CrHelperData": {"PhysicalResourceId": "anything"},
}


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_an_event_with_crhelper_poll_fails_and_writes_nothing(
    request_type: str, stack: Stack, aws: Aws, kms_key: str, proxy_calls: Any
) -> None:
    properties = {"KmsKeyId": kms_key, "SecretStringKey": "K"}
    physical_id = (
        None
        if request_type == "Create"
        else make_arn("secretsmanager", f"secret:mediatailor/{stack.name}/Token-AbCdEf")
    )

    response = stack.send(
        request_type,
        "Token",
        properties,
        physical_id=physical_id,
        old_properties=properties if request_type == "Update" else None,
        event_overrides={"CrHelperPoll": True},
    )

    assert response.status == "FAILED"
    assert "crhelper" in response.reason
    assert proxy_calls.recorder.calls == [], "no AWS call at all"
    assert aws.secret_names() == []


@pytest.mark.parametrize("key", sorted(POLL_EVENT_KEYS))
def test_each_of_crhelpers_keys_is_refused_on_its_own(key: str, stack: Stack, kms_key: str, proxy_calls: Any) -> None:
    response = stack.send(
        "Create", "Token", {"KmsKeyId": kms_key, "SecretStringKey": "K"}, event_overrides={key: POLL_EVENT_KEYS[key]}
    )

    assert (response.status, response.data) == ("FAILED", {})
    assert proxy_calls.recorder.calls == []


def test_the_same_event_without_the_key_creates_the_secret(stack: Stack, aws: Aws, kms_key: str) -> None:
    """The refusal is the key's doing: the properties alone are fine."""
    response = stack.send("Create", "Token", {"KmsKeyId": kms_key, "SecretStringKey": "K"})

    assert response.status == "SUCCESS", response.reason
    assert len(aws.secret_names()) == 1
