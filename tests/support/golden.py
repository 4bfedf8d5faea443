"""Golden fixtures of what a release stored, and how to put each back into the emulator.

``tests/fixtures/release-<release>-<kind>.json`` record one secret as a release left it after a
short stack history: its name, key, tags, VersionIds, labels and JSON documents, with tokens as
placeholders ``<tokenN>``. Each was captured by running that release against the emulator
seeded with :data:`SEED`, so that its first KMS keys get the ARNs the fixture names. The tests
of each release (``tests/integration/test_upgrade_1_*.py``) share these helpers: a fixture is
read, checked and rebuilt the same way whichever release wrote it.
"""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from access_token_secret.plan.context import ResourceIdentity
from access_token_secret.plan.record import APPLIED_TAG
from access_token_secret.plan.versions import generated_identities, json_key_identity, kms_digest, parse

from harness.cloudformation import CloudFormation, ResourceState, Stack
from harness.emulator import Emulator
from harness.faults import FaultProxy
from tests.support.aws import Aws
from tests.support.record import record_of, without_record

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.type_defs import TagTypeDef

FIXTURES: Final = Path(__file__).resolve().parents[1] / "fixtures"
SEED: Final = 1812
PREFIX: Final = "mediatailor/"
# What changes a secret's value or labels; an Update that keeps the token calls none of them.
TOKEN_WRITES: Final = frozenset({"PutSecretValue", "CreateSecret", "UpdateSecretVersionStage"})
# Creation order that gives each version its label (PutSecretValue moves AWSCURRENT and makes
# the version it leaves AWSPREVIOUS); "" is a version with no label, put in between.
_CREATION_ORDER: Final = ("AWSPREVIOUS", "AWSCURRENT", "", "AWSPENDING")
# The Update that promotes each staged fixture's token, over its recorded properties (``None``
# removes one): the same RotationId in both, or the staged token supplied as the current one.
PROMOTIONS: Final[dict[str, dict[str, str | None]]] = {
    "staged-generated": {"RotationId": "2", "NextRotationId": "2"},
    "staged-supplied": {"AccessToken": "golden-token-0002", "NextAccessToken": None},
}


def fixture(release: str, kind: str) -> dict[str, Any]:
    record = dict(json.loads((FIXTURES / f"release-{release}-{kind}.json").read_text()))
    assert record["Kind"] == kind, "the replays pick tokens and promotions by the record's Kind"
    return record


def identity(record: dict[str, Any]) -> ResourceIdentity:
    return ResourceIdentity(record["StackId"], record["LogicalResourceId"], "")


def provider_versions(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The versions the provider wrote (a hand-made version keeps the VersionId AWS gave it)."""
    return {version: data for version, data in record["Versions"].items() if version.startswith("mtats")}


def check_version_ids(record: dict[str, Any], *, adopted: bool) -> None:
    """Every provider VersionId parses as ``mtats2``, with the KMS digest of the fixture's key,
    the JSON-key identity of its ``SecretStringKey``, and a token identity this release computes
    (a generated token's from one of the history's RotationIds, a supplied token's all zeros)."""
    props = record["Properties"]
    written = provider_versions(record)
    assert written, "each history stored at least one provider VersionId"
    for version in written:
        parsed = parse(version)
        assert parsed is not None, version
        assert parsed.scheme == "mtats2"
        assert parsed.kms_digest == kms_digest(record["KmsKeyArn"]), "the KMS digest's salt is frozen"
        assert parsed.content.key_identity == json_key_identity(props["SecretStringKey"])
        assert parsed.adopted is adopted
        if parsed.content.generated:
            rotations = {props.get("RotationId", ""), props.get("NextRotationId", ""), "1", "2"}
            assert any(parsed.content.token_identity in generated_identities(r) for r in rotations)
        else:
            assert parsed.content.token_identity == "0" * 16, "a supplied token is never fingerprinted"


def keys_of(record: dict[str, Any]) -> tuple[str, ...]:
    """The keys the capture created after seeding, in order (a key change made two)."""
    return tuple(arn for arn in (record.get("FirstKmsKeyArn"), record["KmsKeyArn"]) if arn is not None)


def seeded_keys(emulator: Emulator, aws: Aws, *expected_arns: str) -> None:
    """Seed the emulator and create one key per ARN, in order: the ARNs the capture saw."""
    emulator.seed(SEED)
    for number, expected in enumerate(expected_arns, start=1):
        arn = aws.new_key(Description=f"golden key {number}")
        assert arn == expected, "moto's seeded key IDs changed: re-capture the fixtures (see their _comment)"


def tokens(kind: str, count: int) -> dict[str, str]:
    """Values for the placeholders: ``golden-token-000N`` where the template supplied them (the
    fixture's Properties name them), random 32-character tokens where the provider generated."""
    if kind.endswith("supplied"):
        return {f"<token{n}>": f"golden-token-000{n}" for n in range(1, count + 1)}
    alphabet = string.ascii_letters + string.digits
    return {f"<token{n}>": "".join(secrets.choice(alphabet) for _ in range(32)) for n in range(1, count + 1)}


def labels(aws: Aws, arn: str) -> dict[str, list[str]]:
    """Every version of the secret and its labels, the unlabelled ones too (``[]``)."""
    listed = aws.secretsmanager.list_secret_version_ids(SecretId=arn, IncludeDeprecated=True)["Versions"]
    return {v["VersionId"]: sorted(v.get("VersionStages", [])) for v in listed}


def stored_tags(aws: Aws, arn: str) -> list[dict[str, str]]:
    """The secret's tags as the fixtures record them: sorted by key."""
    return sorted(aws.secret(arn).get("Tags", []), key=lambda tag: tag["Key"])


def rebuild(
    record: dict[str, Any], aws: Aws, values: dict[str, str], *, tags: list[dict[str, str]] | None = None
) -> str:
    """The secret exactly as the release left it: the same name, key, description, tags (or
    ``tags``), VersionIds, labels and JSON documents, the placeholders replaced by ``values``.

    Versions are written in the order that gives each its label: AWSPREVIOUS, AWSCURRENT, then
    each unlabelled version (written as AWSPENDING, the label then taken off again, as
    un-staging leaves it), then AWSPENDING."""

    def document(version: str) -> str:
        stored = record["Versions"][version]["Document"]
        return json.dumps({k: values.get(v, v) for k, v in stored.items()})

    def rank(version: str) -> int:
        stages = record["Versions"][version]["Stages"]
        return _CREATION_ORDER.index(stages[0] if stages else "")

    first, *rest = sorted(record["Versions"], key=rank)
    assert record["Versions"][first]["Stages"], "a secret's first version is AWSCURRENT"
    arn = str(
        aws.secretsmanager.create_secret(
            Name=record["Name"],
            KmsKeyId=record["KmsKeyId"],
            Description=record["Description"],
            Tags=cast("list[TagTypeDef]", record["Tags"] if tags is None else tags),
            SecretString=document(first),
            ClientRequestToken=first,
        )["ARN"]
    )
    for version in rest:
        stages = record["Versions"][version]["Stages"]
        if stages in (["AWSPENDING"], []):
            aws.secretsmanager.put_secret_value(
                SecretId=arn, SecretString=document(version), ClientRequestToken=version, VersionStages=["AWSPENDING"]
            )
        else:
            aws.secretsmanager.put_secret_value(
                SecretId=arn, SecretString=document(version), ClientRequestToken=version
            )
        if not stages:
            aws.secretsmanager.update_secret_version_stage(
                SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=version
            )
    assert labels(aws, arn) == {v: d["Stages"] for v, d in record["Versions"].items()}
    return arn


def golden_stack(cloud: CloudFormation, record: dict[str, Any], physical_id: str | None = None) -> Stack:
    """The fixture's stack (its StackId), holding the resource on ``physical_id`` when given."""
    stack = cloud.new_stack(identity(record).stack_name)
    stack.stack_id = record["StackId"]
    if physical_id is not None:
        stack.resources[record["LogicalResourceId"]] = ResourceState(physical_id, dict(record["Properties"]))
    return stack


def current(aws: Aws, arn: str) -> str:
    """The JSON document under AWSCURRENT, as stored."""
    return str(aws.secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])


def replay_unchanged_update(
    record: dict[str, Any], cloud: CloudFormation, aws: Aws, emulator: Emulator, proxy_calls: FaultProxy
) -> None:
    """The secret rebuilt, then the stack's next Update, which changes only the Description: the
    same secret keeps its token, labels and tags, and nothing that holds a token is written."""
    seeded_keys(emulator, aws, *keys_of(record))
    arn = rebuild(record, aws, tokens(record["Kind"], 2))
    before = current(aws, arn)
    stack = golden_stack(cloud, record, arn)
    proxy_calls.clear()

    updated, _ = stack.update_stack(
        {record["LogicalResourceId"]: {**record["Properties"], "Description": "after the upgrade"}}
    )

    assert updated[0].ok, updated[0].reason
    assert updated[0].physical_id == arn, "no rename"
    assert current(aws, arn) == before, "no new token"
    assert labels(aws, arn) == {v: d["Stages"] for v, d in record["Versions"].items()}
    assert without_record(stored_tags(aws, arn)) == record["Tags"]
    assert aws.tags(arn)[APPLIED_TAG] == record_of(updated[0]), "the only new tag: this release's record"
    written = TOKEN_WRITES & set(proxy_calls.recorder.calls)
    assert written == set(), f"nothing is written for an unchanged token: {written}"


def replay_promotion(
    record: dict[str, Any], cloud: CloudFormation, aws: Aws, emulator: Emulator, proxy_calls: FaultProxy
) -> None:
    """The staged secret rebuilt, then the Update that promotes it (:data:`PROMOTIONS`): the
    staged version itself becomes AWSCURRENT, the one it replaces AWSPREVIOUS, and no new token
    is written."""
    seeded_keys(emulator, aws, record["KmsKeyArn"])
    values = tokens(record["Kind"], 2)
    arn = rebuild(record, aws, values)
    (staged,) = [v for v, d in record["Versions"].items() if d["Stages"] == ["AWSPENDING"]]
    (was_current,) = [v for v, d in record["Versions"].items() if d["Stages"] == ["AWSCURRENT"]]
    stack = golden_stack(cloud, record, arn)
    promoted = {**record["Properties"], **PROMOTIONS[record["Kind"]]}
    properties = {k: v for k, v in promoted.items() if v is not None}
    proxy_calls.clear()

    updated, _ = stack.update_stack({record["LogicalResourceId"]: properties})

    assert updated[0].ok, updated[0].reason
    key = record["Properties"]["SecretStringKey"]
    assert aws.token(arn, key) == values["<token2>"], "the staged token, not a new one"
    after = labels(aws, arn)
    assert "AWSCURRENT" in after[staged], "the staged version itself is promoted (AWSPENDING may stay on it)"
    assert after[was_current] == ["AWSPREVIOUS"]
    assert "PutSecretValue" not in proxy_calls.recorder.calls
