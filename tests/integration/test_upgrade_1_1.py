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

The helpers are shared with the later releases' fixtures (tests/support/golden.py).
"""

from __future__ import annotations

import pytest
from access_token_secret.plan.naming import default_secret_name, key_bound_secret_name

from harness.cloudformation import CloudFormation
from harness.emulator import Emulator
from harness.faults import FaultProxy
from tests.support.aws import Aws
from tests.support.golden import (
    PREFIX,
    PROMOTIONS,
    check_version_ids,
    fixture,
    identity,
    replay_promotion,
    replay_unchanged_update,
)

KINDS = ("generated", "supplied", "staged-generated", "staged-supplied", "adopted", "key-changed")


# The format, offline ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_1_1_version_id_parses_with_the_digests_this_release_computes(kind: str) -> None:
    check_version_ids(fixture("1.1", kind), adopted=kind == "adopted")


@pytest.mark.parametrize("kind", ["generated", "supplied", "staged-generated", "staged-supplied"])
def test_a_1_1_generated_name_is_the_name_this_release_generates(kind: str) -> None:
    record = fixture("1.1", kind)
    assert record["Name"] == default_secret_name(identity(record), PREFIX)


def test_a_1_1_key_changed_name_is_the_name_this_release_binds_to_that_key() -> None:
    record = fixture("1.1", "key-changed")
    assert record["Name"] == key_bound_secret_name(identity(record), PREFIX, record["KmsKeyArn"])


# The behaviour, against moto --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["generated", "supplied", "staged-generated", "staged-supplied", "adopted"])
def test_the_next_update_after_the_upgrade_keeps_the_1_1_secret_and_writes_nothing(
    kind: str, cloud: CloudFormation, aws: Aws, emulator: Emulator, proxy_calls: FaultProxy
) -> None:
    replay_unchanged_update(fixture("1.1", kind), cloud, aws, emulator, proxy_calls)


@pytest.mark.parametrize("kind", sorted(PROMOTIONS))
def test_a_token_staged_by_1_1_is_promoted_by_this_release_without_a_new_token(
    kind: str, cloud: CloudFormation, aws: Aws, emulator: Emulator, proxy_calls: FaultProxy
) -> None:
    replay_promotion(fixture("1.1", kind), cloud, aws, emulator, proxy_calls)
