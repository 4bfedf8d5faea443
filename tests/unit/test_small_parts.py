"""Names, version IDs, tokens, keys, the envelope and the response body: one behaviour each."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from access_token_secret.adapter.envelope import envelope_problem
from access_token_secret.adapter.inputs import is_secret_reference
from access_token_secret.adapter.response import MAX_BODY_BYTES, build_body
from access_token_secret.errors import KmsKeyError, shorten
from access_token_secret.plan.context import ResourceIdentity
from access_token_secret.plan.keys import usable_key_arn
from access_token_secret.plan.naming import default_secret_name, name_problem
from access_token_secret.plan.properties import parse_properties
from access_token_secret.plan.state import KeyFacts
from access_token_secret.plan.versions import content_of, parse, version_id
from access_token_secret.tokens import AccessToken, TokenFormat, generate_token

from harness.account import REGION, make_arn

STACK = make_arn("cloudformation", "stack/media-origin/5b6f1a10-7f6e-11ef-9a1b-0affd1a2b3c4")
KEY = make_arn("kms", "key/1111")


def test_default_names_are_readable_stable_and_unique_per_stack_instance() -> None:
    first = default_secret_name(ResourceIdentity(STACK, "Token", "r1"), "mediatailor/")
    again = default_secret_name(ResourceIdentity(STACK, "Token", "r2"), "mediatailor/")
    recreated = default_secret_name(ResourceIdentity(STACK.replace("5b6f", "0000"), "Token", "r1"), "mediatailor/")

    assert first == again
    assert first != recreated
    assert re.fullmatch(r"mediatailor/media-origin/Token-[0-9a-f]{10}", first)
    assert name_problem(first, "mediatailor/") is None


def test_default_names_fit_secrets_manager_even_for_huge_ids() -> None:
    identity = ResourceIdentity(make_arn("cloudformation", f"stack/{'s' * 128}/u", account="1"), "L" * 255, "r")

    assert len(default_secret_name(identity, "p" * 200)) <= 512


@pytest.mark.parametrize(
    ("physical_id", "expected"),
    [
        (make_arn("secretsmanager", "secret:mediatailor/x-AbCdEf"), True),
        ("mediatailor/media/Token-0123456789", True),
        ("Token#not-created#8d1c7f0e", False),
        ("", False),
        ("arn:aws:s3:::bucket", False),
    ],
)
def test_placeholders_are_told_apart_from_secret_references(physical_id: str, expected: bool) -> None:
    assert is_secret_reference(physical_id) is expected


def test_version_ids_record_content_and_fit_secrets_manager() -> None:
    generated = parse_properties({"KmsKeyId": "k", "SecretStringKey": "K", "RotationId": "a"}, name_prefix="m/")
    supplied = parse_properties({"KmsKeyId": "k", "SecretStringKey": "K", "AccessToken": "abcdefgh"}, name_prefix="m/")

    value = version_id(content_of(generated), make_arn("kms", "key/k"), "0123456789abcdef")

    assert 32 <= len(value) <= 64
    parsed = parse(value)
    assert parsed is not None
    assert parsed.content == content_of(generated)
    assert parse(str(uuid.uuid4())) is None
    assert content_of(supplied).token_identity == "0" * 16, "a supplied token must not be fingerprinted"


def test_access_tokens_never_print() -> None:
    token = AccessToken("super-secret-value")

    for shown in (repr(token), str(token), f"{token}", f"{token!r}", repr([token]), json.dumps(str(token))):
        assert "super-secret-value" not in shown
    assert token.reveal() == "super-secret-value"
    assert token == AccessToken("super-secret-value")
    assert token != AccessToken("other")


@pytest.mark.parametrize(
    ("token_format", "length", "pattern"),
    [
        (TokenFormat.ALPHANUMERIC, 8, r"[A-Za-z0-9]{8}"),
        (TokenFormat.ALPHANUMERIC, 128, r"[A-Za-z0-9]{128}"),
        (TokenFormat.UUID, 36, r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ],
)
def test_generated_tokens_have_the_requested_shape_and_differ(
    token_format: TokenFormat, length: int, pattern: str
) -> None:
    tokens = {generate_token(token_format, length).reveal() for _ in range(50)}

    assert len(tokens) == 50
    assert all(re.fullmatch(pattern, token) for token in tokens)


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        (KeyFacts(KEY, "AWS", "Enabled", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), "AWS managed key"),
        (KeyFacts(KEY, "CUSTOMER", "PendingDeletion", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), "PendingDeletion"),
        (KeyFacts(KEY, "CUSTOMER", "Enabled", "RSA_2048", "ENCRYPT_DECRYPT"), "symmetric encryption key"),
        (KeyFacts(KEY, "CUSTOMER", "Enabled", "HMAC_256", "GENERATE_VERIFY_MAC"), "symmetric encryption key"),
        (KeyFacts(KEY.replace(REGION, "eu-west-1"), "CUSTOMER", "Enabled", None, None), f"Region {REGION}"),
    ],
)
def test_keys_mediatailor_cannot_use_are_refused(facts: KeyFacts, message: str) -> None:
    with pytest.raises(KmsKeyError, match=message):
        usable_key_arn(facts, REGION)


def test_a_customer_key_without_key_usage_is_accepted_as_the_kms_default() -> None:
    """moto omits KeyUsage for keys created without it; KMS's default is ENCRYPT_DECRYPT."""
    assert usable_key_arn(KeyFacts(KEY, "CUSTOMER", "Enabled", "SYMMETRIC_DEFAULT", None), REGION) == KEY


def test_long_reasons_keep_their_beginning() -> None:
    reason = "KmsKeyId was not found. " + "x" * 500 + " END"

    short = shorten(reason)

    assert len(short) <= 255
    assert short.startswith("KmsKeyId was not found.")
    assert short.endswith("...")


def test_the_body_always_fits_4096_bytes() -> None:
    body = build_body({"Status": "FAILED", "Reason": "é" * 5000, "PhysicalResourceId": "p" * 1024, "Data": {}})

    assert len(body) <= MAX_BODY_BYTES
    assert json.loads(body)["Status"] == "FAILED"


def test_oversized_data_turns_into_a_failure_rather_than_a_rejected_response() -> None:
    body = json.loads(build_body({"Status": "SUCCESS", "Reason": "", "Data": {"x": "y" * 5000}}))

    assert body["Status"] == "FAILED"
    assert body["Data"] == {}


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ("text", "not a JSON object"),
        ({"RequestType": "Create"}, "missing or empty ResponseURL, StackId, RequestId, LogicalResourceId"),
        (
            {"RequestType": "Replace", "ResponseURL": "u", "StackId": "s", "RequestId": "r", "LogicalResourceId": "l"},
            "RequestType must be Create, Update or Delete",
        ),
        (
            {"RequestType": "Delete", "ResponseURL": "u", "StackId": "s", "RequestId": "r", "LogicalResourceId": "l"},
            "Delete without PhysicalResourceId",
        ),
    ],
)
def test_malformed_envelopes_are_described(event: object, problem: str) -> None:
    found = envelope_problem(event)
    assert found is not None
    assert problem in found


def test_the_provider_runs_with_the_production_timing_unless_a_test_replaces_it() -> None:
    """The real values tests elsewhere scale down: 6 attempts, 3 s to connect, 10 s to read,
    an answer 8 s before the deadline (docs/reference.md, ServiceTimeout)."""
    from access_token_secret.adapter.handler import DEADLINE_MARGIN_S, Timing
    from access_token_secret.aws.clients import CLIENT_TIMING, ClientTiming

    assert Timing() == Timing(deadline_margin_s=8.0, clients=ClientTiming(6, 3, 10))
    assert DEADLINE_MARGIN_S == 8.0
    settings = vars(CLIENT_TIMING.config())  # botocore's Config has no typed attributes
    assert settings["retries"] == {"mode": "standard", "total_max_attempts": 6}
    assert (settings["connect_timeout"], settings["read_timeout"]) == (3, 10)
