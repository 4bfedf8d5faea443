"""Properties as CloudFormation sends them (strings) -> the typed model, or a Reason."""

from __future__ import annotations

from typing import Any

import pytest
from access_token_secret.adapter.inputs import properties
from access_token_secret.errors import InvalidPropertiesError
from access_token_secret.plan.properties import DeletionOptions, Tag, parse_deletion_options, parse_properties
from access_token_secret.tokens import AccessToken, TokenFormat

BASE = {
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
    "KmsKeyId": "alias/k",
    "SecretStringKey": "K",
}
PREFIX = "mediatailor/"


def parse(**extra: Any) -> Any:
    """As the adapter reads them: CloudFormation's own properties are stripped first."""
    return properties({**BASE, **extra}, name_prefix=PREFIX)


def test_minimal_properties_get_the_documented_defaults() -> None:
    props = parse()

    assert props.kms_key_id == "alias/k"
    assert props.secret_string_key == "K"
    assert props.access_token is None
    assert props.token_format is TokenFormat.ALPHANUMERIC
    assert props.token_length == 32
    assert props.recovery_window_in_days == 7
    assert (props.force_delete_without_recovery, props.return_access_token) == (False, False)
    assert props.secret_name is None
    assert props.header_name is None
    assert props.tags == ()


@pytest.mark.parametrize(
    ("raw", "field", "expected"),
    [
        ({"TokenLength": "64"}, "token_length", 64),
        ({"TokenLength": 8}, "token_length", 8),
        ({"TokenFormat": "Uuid"}, "token_length", 36),
        ({"TokenFormat": "uuid"}, "token_format", TokenFormat.UUID),
        ({"RecoveryWindowInDays": "30"}, "recovery_window_in_days", 30),
        ({"ForceDeleteWithoutRecovery": "true"}, "force_delete_without_recovery", True),
        ({"ForceDeleteWithoutRecovery": "False"}, "force_delete_without_recovery", False),
        ({"ReturnAccessToken": True}, "return_access_token", True),
        ({"HeaderName": "X-MediaPackage-CDNIdentifier"}, "header_name", "X-MediaPackage-CDNIdentifier"),
        ({"SecretName": "mediatailor/origin/token"}, "secret_name", "mediatailor/origin/token"),
        ({"Tags": [{"Key": "team", "Value": "video"}]}, "tags", (Tag("team", "video"),)),
        ({"Tags": [{"Key": "empty", "Value": ""}]}, "tags", (Tag("empty", ""),)),
        ({"RotationId": "2026-11"}, "rotation_id", "2026-11"),
        ({"AccessToken": "abcdefgh"}, "access_token", AccessToken("abcdefgh")),
        ({"AccessToken": "~" * 128}, "access_token", AccessToken("~" * 128)),
    ],
)
def test_string_values_are_converted(raw: dict[str, Any], field: str, expected: object) -> None:
    assert getattr(parse(**raw), field) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"KmsKeyId": None}, "KmsKeyId is required"),
        ({"SecretStringKey": ""}, "SecretStringKey must be 1-128 printable characters"),
        ({"SecretStringKey": "k" * 129}, "SecretStringKey must be 1-128"),
        ({"AccessToken": "seven77"}, "AccessToken must be 8-128 visible ASCII characters"),
        ({"AccessToken": "has a space"}, "AccessToken must be 8-128 visible ASCII characters"),
        ({"AccessToken": "x" * 129}, "AccessToken must be 8-128"),
        ({"AccessToken": "tökenwithumlaut"}, "AccessToken must be 8-128"),
        ({"AccessToken": "{{resolve:secretsmanager:x}}"}, "dynamic references are not resolved"),
        ({"TokenFormat": "Hex"}, "TokenFormat must be Alphanumeric or Uuid"),
        ({"TokenLength": "7"}, "TokenLength must be a whole number from 8 to 128"),
        ({"TokenLength": "12.5"}, "TokenLength must be a whole number"),
        ({"TokenLength": "12", "TokenFormat": "Uuid"}, "TokenLength does not apply to TokenFormat Uuid"),
        (
            {"AccessToken": "abcdefgh", "RotationId": "2"},
            "RotationId applies only to generated tokens; remove it or AccessToken",
        ),
        (
            {"AccessToken": "abcdefgh", "RotationId": "2", "TokenLength": "9"},
            "TokenLength, RotationId apply only to generated tokens",
        ),
        ({"NextAccessToken": "abcdefgh"}, "NextAccessToken stages the next supplied token; it needs AccessToken"),
        ({"AccessToken": "abcdefgh", "NextRotationId": "2"}, "NextRotationId applies only to generated tokens"),
        ({"AccessToken": "abcdefgh", "NextAccessToken": "short"}, "NextAccessToken must be 8-128 visible ASCII"),
        ({"SecretName": "other/name"}, "must start with the provider's prefix 'mediatailor/'"),
        ({"SecretName": "mediatailor/bad name"}, "may only use ASCII letters"),
        ({"SecretName": "mediatailor/token-AbCdEf"}, "must not end with a hyphen and six characters"),
        ({"HeaderName": "X-Amz-Token"}, "must not start with x-amz- or x-amzn-"),
        ({"HeaderName": "x-amzn-trace"}, "must not start with x-amz- or x-amzn-"),
        ({"HeaderName": "Bad Header"}, "HeaderName must be a valid HTTP header name"),
        ({"HeaderName": "Bad:Header"}, "HeaderName must be a valid HTTP header name"),
        ({"Description": "d" * 2049}, "Description must be at most 2048 characters"),
        ({"Tags": "team=video"}, "Tags must be a list of {Key, Value}"),
        ({"Tags": [{"Key": "aws:x", "Value": "v"}]}, "keys must not start with aws:"),
        ({"Tags": [{"Key": "mediatailor-access-token-secret:stack-id", "Value": "v"}]}, "reserved by this provider"),
        ({"Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}, "each Key may appear only once"),
        ({"Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(49)]}, "at most 48 tags"),
        ({"Tags": [{"Key": "k", "Value": "v" * 257}]}, "each Key must be 1-128 characters"),
        ({"RecoveryWindowInDays": "6"}, "RecoveryWindowInDays must be a whole number from 7 to 30"),
        ({"RecoveryWindowInDays": "8", "ForceDeleteWithoutRecovery": "true"}, "not both"),
        ({"ForceDeleteWithoutRecovery": "yes"}, "ForceDeleteWithoutRecovery must be true or false"),
        ({"ReturnAccessToken": "1"}, "ReturnAccessToken must be true or false"),
        ({"SecretStringkey": "typo"}, "Unknown properties: SecretStringkey (check the spelling)"),
    ],
)
def test_bad_values_are_named_in_the_reason(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidPropertiesError) as raised:
        parse(**raw)

    assert message in raised.value.reason


def test_the_reason_never_repeats_a_token() -> None:
    with pytest.raises(InvalidPropertiesError) as raised:
        parse(AccessToken="leaky token value", TokenFormat="weird")

    assert "leaky" not in raised.value.reason
    assert "leaky" not in str(raised.value)


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(InvalidPropertiesError) as raised:
        parse_properties({"Colour": "x", "TokenLength": "3"}, name_prefix=PREFIX)

    reason = raised.value.reason
    for fragment in (
        "Unknown properties: Colour",
        "KmsKeyId is required",
        "SecretStringKey is required",
        "TokenLength",
    ):
        assert fragment in reason


def test_properties_that_are_not_an_object_are_refused() -> None:
    with pytest.raises(InvalidPropertiesError, match="must be an object"):
        parse_properties(["KmsKeyId"], name_prefix=PREFIX)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, DeletionOptions(7, False)),
        ({"RecoveryWindowInDays": "21"}, DeletionOptions(21, False)),
        ({"RecoveryWindowInDays": "400"}, DeletionOptions(7, False)),
        ({"ForceDeleteWithoutRecovery": "true", "Colour": "x"}, DeletionOptions(7, True)),
        ("not an object", DeletionOptions(7, False)),
    ],
)
def test_delete_reads_its_options_leniently(raw: object, expected: DeletionOptions) -> None:
    assert parse_deletion_options(raw) == expected
