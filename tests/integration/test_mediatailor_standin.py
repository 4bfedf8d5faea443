"""The MediaTailor stand-in can say no: each documented requirement, broken on purpose, is
caught with a cause that names it (a stand-in that always says yes would prove nothing)."""

from __future__ import annotations

import json

import pytest

from harness.account import ACCOUNT, DEPLOYER, REGION, make_arn
from harness.example_stack import ExampleStack
from harness.mediatailor import MediaTailor, SourceLocation, SourceLocationRejectedError
from harness.origins import OriginServer
from tests.support.aws import Aws
from tests.support.example import trust_first_token
from tests.support.properties import KEY

TOKEN = "origin-token-0001"


def hand_made_secret(aws: Aws, name: str, kms_key_id: str | None = None) -> str:
    """A secret made by hand, under ``kms_key_id`` (or Secrets Manager's AWS managed key)."""
    secret_string = json.dumps({KEY: TOKEN})
    if kms_key_id is None:
        created = aws.secretsmanager.create_secret(Name=name, SecretString=secret_string)
    else:
        created = aws.secretsmanager.create_secret(Name=name, SecretString=secret_string, KmsKeyId=kms_key_id)
    arn = str(created["ARN"])
    aws.secretsmanager.put_resource_policy(
        SecretId=arn,
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "mediatailor.amazonaws.com"},
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": arn,
                    }
                ],
            }
        ),
    )
    return arn


def location(origin: OriginServer, arn: str, name: str = "origin") -> SourceLocation:
    return SourceLocation(name, origin.base_url, arn, KEY, "X-Origin-Token")


def test_the_example_key_policy_lets_mediatailor_grant_itself_the_key(
    example: ExampleStack, mediatailor: MediaTailor, origin: OriginServer, aws: Aws
) -> None:
    arn = hand_made_secret(aws, "mediatailor/hand", kms_key_id=example.key_arn)
    origin.accept(header_names=["X-Origin-Token"], tokens=[TOKEN])

    mediatailor.put_source_location(location(origin, arn))
    fetched = mediatailor.fetch("origin")

    grants = aws.kms.list_grants(KeyId=example.key_arn)["Grants"]
    assert [g["Name"] for g in grants] == [f"MediaTailor-SourceLocation-{ACCOUNT}-origin"]
    assert fetched.ok, fetched
    assert fetched.status == 200
    assert origin.last_token() == TOKEN


def test_a_key_policy_without_the_mediatailor_create_grant_statement_is_refused(
    example: ExampleStack, mediatailor: MediaTailor, origin: OriginServer, aws: Aws
) -> None:
    account_admin_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": make_arn("iam", "root", region="")},
                "Action": ["kms:Describe*", "kms:Put*", "kms:Enable*", "kms:ScheduleKeyDeletion"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": DEPLOYER},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}},
            },
        ],
    }
    key = example.new_key(account_admin_only)
    arn = hand_made_secret(aws, "mediatailor/no-grant", kms_key_id=key)

    with pytest.raises(SourceLocationRejectedError, match=r"does not let .*kms:CreateGrant via mediatailor"):
        mediatailor.put_source_location(location(origin, arn))
    assert aws.kms.list_grants(KeyId=key)["Grants"] == []


def test_a_secret_on_the_aws_managed_key_is_refused(mediatailor: MediaTailor, origin: OriginServer, aws: Aws) -> None:
    arn = hand_made_secret(aws, "mediatailor/aws-managed")

    with pytest.raises(SourceLocationRejectedError, match="AWS managed key"):
        mediatailor.put_source_location(location(origin, arn))


def test_a_resource_policy_removed_by_hand_breaks_fetching_until_the_next_update_repairs_it(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    trust_first_token(example, aws, origin, header_names=("X-Origin-Token",))
    arn = example.create()[0].physical_id

    aws.secretsmanager.delete_resource_policy(SecretId=arn)
    broken = example.mediatailor.fetch("token-protected-origin")
    example.update(example.custom_properties(Description="repaired by the next stack update"))

    assert not broken.ok
    assert "resource policy does not allow mediatailor.amazonaws.com" in broken.cause
    assert [check.after for check in example.checks][-1] == "Update OriginAccessToken"
    assert all(check.fetch.ok for check in example.checks), example.checks


def test_a_revoked_grant_breaks_fetching(example: ExampleStack, aws: Aws, origin: OriginServer) -> None:
    arn = example.create()[0].physical_id
    origin.accept(header_names=["X-Origin-Token"], tokens=[aws.token(arn, KEY)])
    assert example.mediatailor.fetch("token-protected-origin").ok

    (grant,) = aws.kms.list_grants(KeyId=example.key_arn)["Grants"]
    aws.kms.revoke_grant(KeyId=example.key_arn, GrantId=grant["GrantId"])
    fetched = example.mediatailor.fetch("token-protected-origin")

    assert not fetched.ok
    assert f"no grant MediaTailor-SourceLocation-{ACCOUNT}-token-protected-origin" in fetched.cause


def test_a_key_moved_in_place_leaves_mediatailor_without_a_grant(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    """The defect the key-change replacement fixes, reproduced by hand: the secret's key moves,
    the source location is not updated, so MediaTailor never grants itself the new key."""
    arn = example.create()[0].physical_id
    origin.accept(header_names=["X-Origin-Token"], tokens=[aws.token(arn, KEY)])

    aws.secretsmanager.update_secret(SecretId=arn, KmsKeyId=example.new_key())
    fetched = example.mediatailor.fetch("token-protected-origin")

    assert not fetched.ok
    assert "no grant" in fetched.cause


def test_the_origin_refuses_a_token_it_does_not_accept(example: ExampleStack, origin: OriginServer) -> None:
    example.create()
    origin.accept(header_names=["X-Origin-Token"], tokens=["some-other-token"])

    fetched = example.mediatailor.fetch("token-protected-origin")

    assert not fetched.ok
    assert fetched.status == 403


def test_a_token_missing_under_the_source_locations_key_is_caught(
    example: ExampleStack, mediatailor: MediaTailor, origin: OriginServer, aws: Aws
) -> None:
    arn = hand_made_secret(aws, "mediatailor/other-key", kms_key_id=example.key_arn)
    mediatailor.put_source_location(SourceLocation("origin", origin.base_url, arn, "AnotherKey", "X-Origin-Token"))

    fetched = mediatailor.fetch("origin")

    assert not fetched.ok
    assert "no token under the source location's SecretStringKey AnotherKey" in fetched.cause
