"""Upgrade safety from 1.2: what release 1.2.0 stored is read by this code as 1.2.0 meant it.

``tests/fixtures/release-1.2-*.json`` were captured by running release 1.2.0 (commit 72bdce7)
against the emulator seeded as the 1.1 capture was (tests/support/golden.py), for the six 1.1
histories and four that only 1.2 stores:

* ``format-changed``: TokenFormat changed without a new RotationId; from 1.2 that keeps the
  token, so AWSCURRENT's identity names a format the template no longer asks for;
* ``unstaged``: a staged token taken off again leaves a version with no label, which 1.2 finds
  again (ListSecretVersionIds) when the same NextRotationId is staged once more;
* ``reclaimed``: a re-created stack reclaimed its predecessor's SecretName from the recovery
  window, and 1.2 moved the owner tags to it at once;
* ``adopted-supplied``: an adoption with ``AccessToken``, the upper-case ``U`` layout.

Two kinds of check, as for 1.1: the format offline (VersionIds, digests, names, owner tags are
what this code computes), and the behaviour against moto (each secret rebuilt exactly, then the
stack's next Update replayed). The coming refactor must change no stored format: these fail
when it does.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from access_token_secret.plan.naming import (
    OWNER_STACK_TAG,
    default_secret_name,
    is_reclaimable_by,
    key_bound_secret_name,
    owner_tags,
)
from access_token_secret.plan.record import APPLIED_TAG
from access_token_secret.plan.versions import generated_identities, generated_identity, parse
from access_token_secret.tokens import DEFAULT_LENGTH, TokenFormat

from harness.cloudformation import CloudFormation
from harness.emulator import Emulator
from harness.faults import FaultProxy
from tests.support.aws import Aws
from tests.support.golden import (
    PREFIX,
    PROMOTIONS,
    check_version_ids,
    fixture,
    golden_stack,
    identity,
    labels,
    provider_versions,
    rebuild,
    replay_promotion,
    replay_unchanged_update,
    seeded_keys,
    stored_tags,
    tokens,
)
from tests.support.record import record_of, without_record

SHARED_WITH_1_1 = ("generated", "supplied", "staged-generated", "staged-supplied", "adopted", "key-changed")
ONLY_1_2 = ("format-changed", "unstaged", "reclaimed", "adopted-supplied")
KINDS = SHARED_WITH_1_1 + ONLY_1_2
GENERATED_NAMES = ("generated", "supplied", "staged-generated", "staged-supplied", "format-changed", "unstaged")
KEY = "MyAccessTokenIdentifier"


# The format, offline ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_1_2_version_id_parses_with_the_digests_this_code_computes(kind: str) -> None:
    check_version_ids(fixture("1.2", kind), adopted=kind.startswith("adopted"))


@pytest.mark.parametrize("kind", SHARED_WITH_1_1)
def test_1_2_stored_what_1_1_stored_for_the_same_history_but_the_request_digests(kind: str) -> None:
    """Same layout, token and JSON-key identities, same labels; only the RequestIds (random per
    request) differ, and the second key of the key change (created at another point)."""

    def layout(record: dict[str, Any]) -> dict[tuple[str, ...], tuple[object, ...]]:
        found: dict[tuple[str, ...], tuple[object, ...]] = {}
        for version, data in provider_versions(record).items():
            parsed = parse(version)
            assert parsed is not None
            found[tuple(data["Stages"])] = (parsed.scheme, parsed.content, parsed.adopted, data["Document"])
        return found

    old, new = fixture("1.1", kind), fixture("1.2", kind)
    assert layout(new) == layout(old)
    assert new["Tags"] == old["Tags"]
    if kind != "key-changed":
        assert (new["Name"], new["KmsKeyArn"]) == (old["Name"], old["KmsKeyArn"])


@pytest.mark.parametrize("kind", GENERATED_NAMES)
def test_a_1_2_generated_name_is_the_name_this_code_generates(kind: str) -> None:
    record = fixture("1.2", kind)
    assert record["Name"] == default_secret_name(identity(record), PREFIX)


def test_a_1_2_key_changed_name_is_the_name_this_code_binds_to_that_key() -> None:
    record = fixture("1.2", "key-changed")
    assert record["Name"] == key_bound_secret_name(identity(record), PREFIX, record["KmsKeyArn"])


def test_a_format_change_kept_the_identity_of_the_format_the_token_was_generated_with() -> None:
    record = fixture("1.2", "format-changed")
    (version,) = record["Versions"]
    parsed = parse(version)
    assert parsed is not None
    assert parsed.content.token_identity == generated_identity("1", TokenFormat.ALPHANUMERIC, DEFAULT_LENGTH)
    assert parsed.content.token_identity != generated_identity("1", TokenFormat.UUID, 36), "no rotation"


def test_an_unstaged_version_keeps_no_label_and_the_identity_of_its_rotation_id() -> None:
    record = fixture("1.2", "unstaged")
    (unlabelled,) = [v for v, d in record["Versions"].items() if d["Stages"] == []]
    parsed = parse(unlabelled)
    assert parsed is not None
    assert parsed.content.token_identity in generated_identities("2")


def test_a_reclaimed_secret_carries_the_owner_tags_of_the_stack_that_reclaimed_it() -> None:
    record = fixture("1.2", "reclaimed")
    tags = {tag["Key"]: tag["Value"] for tag in record["Tags"]}
    predecessor = tags | {OWNER_STACK_TAG: record["PredecessorStackId"]}
    assert owner_tags(identity(record)).items() <= tags.items()
    assert record["PredecessorStackId"] != record["StackId"]
    assert is_reclaimable_by(predecessor, identity(record)), "a stack of the same name reclaims it"


@pytest.mark.parametrize("kind", ["adopted", "adopted-supplied"])
def test_an_adopted_secret_keeps_its_hand_made_version_under_aws_previous(kind: str) -> None:
    record = fixture("1.2", kind)
    hand_made = record["Versions"][record["HandMadeVersionId"]]
    assert parse(record["HandMadeVersionId"]) is None
    assert hand_made["Stages"] == ["AWSPREVIOUS"]
    assert {k for k in hand_made["Document"] if k != KEY} == {"Note"}


# The behaviour, against moto --------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_next_update_keeps_the_1_2_secret_its_labels_and_tags_and_writes_nothing(
    kind: str, cloud: CloudFormation, aws: Aws, emulator: Emulator, proxy_calls: FaultProxy
) -> None:
    replay_unchanged_update(fixture("1.2", kind), cloud, aws, emulator, proxy_calls)


@pytest.mark.parametrize("kind", sorted(PROMOTIONS))
def test_a_token_staged_by_1_2_is_promoted_without_a_new_token(
    kind: str, cloud: CloudFormation, aws: Aws, emulator: Emulator, proxy_calls: FaultProxy
) -> None:
    replay_promotion(fixture("1.2", kind), cloud, aws, emulator, proxy_calls)


def test_a_rotation_after_a_1_2_format_change_generates_the_new_format(
    cloud: CloudFormation, aws: Aws, emulator: Emulator
) -> None:
    record = fixture("1.2", "format-changed")
    seeded_keys(emulator, aws, record["KmsKeyArn"])
    values = tokens("format-changed", 1)
    arn = rebuild(record, aws, values)
    stack = golden_stack(cloud, record, arn)

    updated, _ = stack.update_stack({record["LogicalResourceId"]: {**record["Properties"], "RotationId": "2"}})

    assert updated[0].ok, updated[0].reason
    assert updated[0].physical_id == arn
    rotated = aws.token(arn, KEY)
    assert str(uuid.UUID(rotated)) == rotated, "TokenFormat applies from the next generated token"
    assert aws.token(arn, KEY, VersionStage="AWSPREVIOUS") == values["<token1>"]


def test_restaging_after_a_1_2_unstaging_stages_the_token_of_the_unlabelled_version_again(
    cloud: CloudFormation, aws: Aws, emulator: Emulator
) -> None:
    """The origin may have been told the un-staged token: staging the same NextRotationId again
    finds it in the version that lost its label and writes it again (1.1 generated a new one)."""
    record = fixture("1.2", "unstaged")
    seeded_keys(emulator, aws, record["KmsKeyArn"])
    values = tokens("unstaged", 2)
    arn = rebuild(record, aws, values)
    (unlabelled,) = [v for v, d in record["Versions"].items() if d["Stages"] == []]
    stack = golden_stack(cloud, record, arn)

    updated, _ = stack.update_stack({record["LogicalResourceId"]: {**record["Properties"], "NextRotationId": "2"}})

    assert updated[0].ok, updated[0].reason
    assert aws.token(arn, KEY, VersionStage="AWSPENDING") == values["<token2>"], "the token staged before"
    assert aws.token(arn, KEY) == values["<token1>"], "AWSCURRENT does not move"
    (pending,) = [v for v, s in labels(aws, arn).items() if "AWSPENDING" in s]
    staged, before = parse(pending), parse(unlabelled)
    assert staged is not None
    assert before is not None
    assert staged.content == before.content, "the token keeps the identity it was generated with"


def test_a_re_created_stack_reclaims_the_secret_with_the_tags_1_2_stored(
    cloud: CloudFormation, aws: Aws, emulator: Emulator, proxy_calls: FaultProxy
) -> None:
    """The reclaim itself, replayed: the predecessor's secret in its recovery window, then the
    re-created stack's Create. It ends with the fixture's tags, versions and token."""
    record = fixture("1.2", "reclaimed")
    seeded_keys(emulator, aws, record["KmsKeyArn"])
    values = tokens("reclaimed", 1)
    predecessor = [
        {**tag, "Value": record["PredecessorStackId"]} if tag["Key"] == OWNER_STACK_TAG else tag
        for tag in record["Tags"]
    ]
    arn = rebuild(record, aws, values, tags=predecessor)
    aws.secretsmanager.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    stack = golden_stack(cloud, record)
    proxy_calls.clear()

    created = stack.create_stack({record["LogicalResourceId"]: record["Properties"]})

    assert created[0].ok, created[0].reason
    assert created[0].physical_id == arn
    assert "DeletedDate" not in aws.secret(arn), "restored"
    assert without_record(stored_tags(aws, arn)) == record["Tags"], "the owner tags name the re-created stack"
    assert aws.tags(arn)[APPLIED_TAG] == record_of(created[0])
    assert labels(aws, arn) == {v: d["Stages"] for v, d in record["Versions"].items()}
    assert aws.token(arn, KEY) == values["<token1>"]
    assert "PutSecretValue" not in proxy_calls.recorder.calls, "the token is kept"
    assert aws.secret_names() == [record["Name"]], "no other secret (the name was observed taken)"
