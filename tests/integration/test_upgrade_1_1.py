"""Upgrade safety from 1.1: what release 1.1 stored is read by this release as 1.1 meant it.

``tests/fixtures/release-1.1-*.json`` were captured by running release 1.1 (commit ca9c44a)
against the emulator, seeded so that its first KMS key has a known ARN, for six histories: a
generated token rotated once, a supplied token changed once, a staged generated token, a staged
supplied token, an adopted hand-made secret, and a secret after a key change. Two kinds of check:

* the format, offline: every VersionId parses, and its digests (token, JSON key, KMS key) and
  the generated names are what this release computes from the same inputs. Changing a salt or
  a layout fails here, before it could make every 1.1 secret look key-changed or rotated;
* the behaviour, against moto: each secret is rebuilt exactly (name, key, tags, VersionIds,
  labels, JSON documents) and the stack's next Update is replayed.
"""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path
from typing import Any

import pytest
from access_token_secret.plan.context import ResourceIdentity
from access_token_secret.plan.naming import default_secret_name, key_bound_secret_name
from access_token_secret.plan.versions import (
    generated_identities,
    json_key_identity,
    kms_digest,
    parse,
)

from harness.cloudformation import CloudFormation, ResourceState
from harness.emulator import Emulator
from harness.faults import FaultProxy
from tests.integration.conftest import Aws

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KINDS = ("generated", "supplied", "staged-generated", "staged-supplied", "adopted", "key-changed")
SEED = 1812
PREFIX = "mediatailor/"


def fixture(kind: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"release-1.1-{kind}.json").read_text()))


def identity(record: dict[str, Any]) -> ResourceIdentity:
    return ResourceIdentity(record["StackId"], record["LogicalResourceId"], "")


# The format, offline ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_1_1_version_id_parses_with_the_digests_this_release_computes(kind: str) -> None:
    record = fixture(kind)
    props = record["Properties"]
    provider_written = {v: d for v, d in record["Versions"].items() if v.startswith("mtats")}
    assert provider_written, "each history stored at least one provider VersionId"
    for version in provider_written:
        parsed = parse(version)
        assert parsed is not None, version
        assert parsed.scheme == "mtats2"
        assert parsed.kms_digest == kms_digest(record["KmsKeyArn"]), "the KMS digest's salt is frozen"
        assert parsed.content.key_identity == json_key_identity(props["SecretStringKey"])
        assert parsed.adopted is (kind == "adopted")
        if parsed.content.generated:
            rotations = {props.get("RotationId", ""), props.get("NextRotationId", ""), "1", "2"}
            assert any(parsed.content.token_identity in generated_identities(r) for r in rotations)
        else:
            assert parsed.content.token_identity == "0" * 16, "a supplied token is never fingerprinted"


@pytest.mark.parametrize("kind", ["generated", "supplied", "staged-generated", "staged-supplied"])
def test_a_1_1_generated_name_is_the_name_this_release_generates(kind: str) -> None:
    record = fixture(kind)
    assert record["Name"] == default_secret_name(identity(record), PREFIX)


def test_a_1_1_key_changed_name_is_the_name_this_release_binds_to_that_key() -> None:
    record = fixture("key-changed")
    assert record["Name"] == key_bound_secret_name(identity(record), PREFIX, record["KmsKeyArn"])


# The behaviour, against moto --------------------------------------------------------------


def _seeded_key(emulator: Emulator, aws: Aws, expected_arn: str) -> str:
    emulator.seed(SEED)
    arn = aws.new_key(Description="golden key")
    assert arn == expected_arn, "moto's seeded key IDs changed: re-capture the fixtures (see their _comment)"
    return arn


def _tokens(kind: str, count: int) -> dict[str, str]:
    if kind.endswith("supplied"):
        return {f"<token{n}>": f"golden-token-000{n}" for n in range(1, count + 1)}
    alphabet = string.ascii_letters + string.digits
    return {f"<token{n}>": "".join(secrets.choice(alphabet) for _ in range(32)) for n in range(1, count + 1)}


def rebuild(record: dict[str, Any], aws: Aws, tokens: dict[str, str]) -> str:
    """The secret exactly as 1.1 left it: versions in label order (AWSPREVIOUS, AWSCURRENT, then
    AWSPENDING), the same VersionIds, labels and JSON documents."""

    def document(version: str) -> str:
        stored = record["Versions"][version]["Document"]
        return json.dumps({k: tokens.get(v, v) for k, v in stored.items()})

    order = sorted(
        record["Versions"],
        key=lambda v: ["AWSPREVIOUS", "AWSCURRENT", "AWSPENDING"].index(record["Versions"][v]["Stages"][0]),
    )
    first, *rest = order
    arn = str(
        aws.secretsmanager.create_secret(
            Name=record["Name"],
            KmsKeyId=record["KmsKeyId"],
            Description=record["Description"],
            Tags=record["Tags"],
            SecretString=document(first),
            ClientRequestToken=first,
        )["ARN"]
    )
    for version in rest:
        stages = record["Versions"][version]["Stages"]
        options = {"VersionStages": stages} if stages == ["AWSPENDING"] else {}
        aws.secretsmanager.put_secret_value(
            SecretId=arn, SecretString=document(version), ClientRequestToken=version, **options
        )
    labels = {v: sorted(s) for v, s in aws.secret(arn)["VersionIdsToStages"].items() if s}
    assert labels == {v: d["Stages"] for v, d in record["Versions"].items()}
    return arn


@pytest.mark.parametrize("kind", ["generated", "supplied", "staged-generated", "staged-supplied", "adopted"])
def test_the_next_update_after_the_upgrade_keeps_the_1_1_secret_and_writes_nothing(
    kind: str, cloud: CloudFormation, aws: Aws, emulator: Emulator, proxy_calls: FaultProxy
) -> None:
    record = fixture(kind)
    _seeded_key(emulator, aws, record["KmsKeyArn"])
    tokens = _tokens(kind, 2)
    arn = rebuild(record, aws, tokens)
    before = aws.secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
    stack = cloud.new_stack("golden-media")
    stack.stack_id = record["StackId"]
    stack.resources[record["LogicalResourceId"]] = ResourceState(arn, dict(record["Properties"]))
    proxy_calls.clear()

    updated, _ = stack.update_stack(
        {record["LogicalResourceId"]: {**record["Properties"], "Description": "after the upgrade"}}
    )

    assert updated[0].ok, updated[0].reason
    assert updated[0].physical_id == arn
    assert aws.secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"] == before
    written = {"PutSecretValue", "CreateSecret", "UpdateSecretVersionStage"} & set(proxy_calls.recorder.calls)
    assert written == set(), f"nothing is written for an unchanged token: {written}"


@pytest.mark.parametrize(
    ("kind", "promotion"),
    [
        pytest.param("staged-generated", {"RotationId": "2", "NextRotationId": "2"}, id="generated"),
        pytest.param("staged-supplied", {"AccessToken": "golden-token-0002", "NextAccessToken": None}, id="supplied"),
    ],
)
def test_a_token_staged_by_1_1_is_promoted_by_this_release_without_a_new_token(
    kind: str, promotion: dict[str, Any], cloud: CloudFormation, aws: Aws, emulator: Emulator, proxy_calls: FaultProxy
) -> None:
    record = fixture(kind)
    _seeded_key(emulator, aws, record["KmsKeyArn"])
    tokens = _tokens(kind, 2)
    arn = rebuild(record, aws, tokens)
    stack = cloud.new_stack("golden-media")
    stack.stack_id = record["StackId"]
    stack.resources[record["LogicalResourceId"]] = ResourceState(arn, dict(record["Properties"]))
    properties = {k: v for k, v in {**record["Properties"], **promotion}.items() if v is not None}
    proxy_calls.clear()

    updated, _ = stack.update_stack({record["LogicalResourceId"]: properties})

    assert updated[0].ok, updated[0].reason
    assert aws.token(arn, "MyAccessTokenIdentifier") == tokens["<token2>"], "the staged token, not a new one"
    assert "PutSecretValue" not in proxy_calls.recorder.calls
