"""The invariant users care about: after every single resource operation of a stack operation
(the custom resource's request, the source location's update, each cleanup Delete), MediaTailor
can still fetch from the origin, and the origin accepts the token it sends.

The example stack runs in CloudFormation's order (harness/example_stack.py) against the
MediaTailor stand-in (harness/mediatailor.py); the origin trusts only the token the first secret
held, unless a test says otherwise.
"""

from __future__ import annotations

from harness.account import ACCOUNT
from harness.example_stack import ExampleStack
from harness.origins import OriginServer
from tests.support.aws import Aws
from tests.support.example import failures, trust_first_token
from tests.support.properties import KEY

HEADER = "X-Origin-Token"
LOCATION = "token-protected-origin"


def start(
    example: ExampleStack, aws: Aws, origin: OriginServer, *, headers: tuple[str, ...] = (HEADER,), **props: str
) -> str:
    trust_first_token(example, aws, origin, header_names=headers)
    created = example.create(example.custom_properties(**props))
    assert created[0].ok, created[0].reason
    return created[0].physical_id


def steps(example: ExampleStack) -> list[str]:
    return [check.after for check in example.checks]


def test_create_then_updates_that_change_nothing_mediatailor_reads(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    arn = start(example, aws, origin)

    same = example.update(example.custom_properties())
    described = example.update(example.custom_properties(Description="new description"))
    tagged = example.update(example.custom_properties(Tags=[{"Key": "team", "Value": "video"}]))

    assert [r.physical_id for r in same + described + tagged] == [arn] * 3
    assert steps(example) == ["Create SourceLocation", "Create VodSource"] + ["Update OriginAccessToken"] * 3
    assert failures(example) == []


def test_a_rotation_id_change_sends_the_new_token_after_the_update(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    """An origin that learns each new token as soon as it exists (the window before it learns
    it is what staged rotation removes; see the README)."""
    arn = start(example, aws, origin)
    first = aws.token(arn, KEY)
    accepted = {first}

    def operator_follows_the_secret() -> None:
        accepted.add(aws.token(arn, KEY))
        origin.accept(header_names=[HEADER], tokens=accepted)

    example.before_check = operator_follows_the_secret
    example.update(example.custom_properties(RotationId="2"))

    assert failures(example) == []
    assert origin.last_token() == aws.token(arn, KEY)
    assert origin.last_token() != first


def test_a_key_change_with_a_generated_name_is_a_new_secret_that_mediatailor_is_granted(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    first_arn = start(example, aws, origin)
    new_key = example.new_key()

    responses = example.update(example.custom_properties(KmsKeyId=new_key))

    new_arn = responses[0].physical_id
    assert [(r.request_type, r.ok) for r in responses] == [("Update", True), ("Delete", True)]
    assert new_arn != first_arn, "a new SecretArn makes CloudFormation update the source location"
    assert aws.secret(new_arn)["KmsKeyId"] == new_key
    assert [g["Name"] for g in aws.kms.list_grants(KeyId=new_key)["Grants"]] == [
        f"MediaTailor-SourceLocation-{ACCOUNT}-{LOCATION}"
    ]
    assert steps(example)[2:] == ["Update OriginAccessToken", "Update SourceLocation", "cleanup Delete"]
    assert failures(example) == [], "the origin trusts only the first token: the token was carried over"
    assert "DeletedDate" in aws.secret(first_arn)


def test_a_rolled_back_key_change_returns_to_the_first_secret(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    first_arn = start(example, aws, origin)

    responses = example.update(example.custom_properties(KmsKeyId=example.new_key()), fail_later=True)

    assert [(r.request_type, r.ok) for r in responses] == [("Update", True), ("Update", True), ("Delete", True)]
    assert responses[1].physical_id == first_arn
    assert example.location is not None
    assert example.location.secret_arn == first_arn
    assert steps(example)[2:] == [
        "Update OriginAccessToken",
        "Update SourceLocation",
        "rollback Update OriginAccessToken",
        "rollback Update SourceLocation",
        "rollback cleanup Delete",
    ]
    assert failures(example) == []
    assert "DeletedDate" not in aws.secret(first_arn)
    assert "DeletedDate" in aws.secret(responses[0].physical_id)


def test_a_key_change_under_an_unchanged_explicit_name_fails_before_any_write(
    example: ExampleStack, aws: Aws, origin: OriginServer, proxy_calls: object
) -> None:
    arn = start(example, aws, origin, SecretName="mediatailor/live/origin-token")
    versions = aws.secret(arn)["VersionIdsToStages"]
    new_key = example.new_key()

    responses = example.update(example.custom_properties(SecretName="mediatailor/live/origin-token", KmsKeyId=new_key))

    assert [(r.request_type, r.status) for r in responses] == [("Update", "FAILED"), ("Update", "SUCCESS")]
    assert "KmsKeyId" in responses[0].reason
    assert "SecretName" in responses[0].reason
    assert "change KmsKeyId and SecretName together" in responses[0].reason
    assert aws.secret(arn)["KmsKeyId"] == example.key_arn
    assert aws.secret(arn)["VersionIdsToStages"] == versions
    assert failures(example) == []


def test_changing_an_explicit_name_and_the_key_together_is_an_ordinary_replacement(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    start(example, aws, origin, SecretName="mediatailor/live/origin-token")
    new_key = example.new_key()

    responses = example.update(
        example.custom_properties(SecretName="mediatailor/live/origin-token-2", KmsKeyId=new_key)
    )

    assert [(r.request_type, r.ok) for r in responses] == [("Update", True), ("Delete", True)]
    assert aws.secret(responses[0].physical_id)["Name"] == "mediatailor/live/origin-token-2"
    assert aws.secret(responses[0].physical_id)["KmsKeyId"] == new_key
    assert failures(example) == []


def test_a_secret_name_change_and_its_rollback(example: ExampleStack, aws: Aws, origin: OriginServer) -> None:
    first_arn = start(example, aws, origin)

    renamed = example.update(example.custom_properties(SecretName="mediatailor/renamed"), fail_later=True)
    again = example.update(example.custom_properties(SecretName="mediatailor/renamed"))

    assert [(r.request_type, r.ok) for r in renamed] == [("Update", True), ("Update", True), ("Delete", True)]
    assert renamed[1].physical_id == first_arn
    assert [(r.request_type, r.ok) for r in again] == [("Update", True), ("Delete", True)]
    assert failures(example) == []


def test_a_secret_string_key_change_leaves_no_moment_without_a_token(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    arn = start(example, aws, origin)

    changed = example.update(example.custom_properties(SecretStringKey="NewIdentifier"))
    rolled_back = example.update(example.custom_properties(SecretStringKey="SecondIdentifier"), fail_later=True)

    assert [r.physical_id for r in changed + rolled_back] == [arn] * 3
    assert steps(example)[2:] == [
        "Update OriginAccessToken",
        "Update SourceLocation",
        "Update OriginAccessToken",
        "Update SourceLocation",
        "rollback Update OriginAccessToken",
        "rollback Update SourceLocation",
    ]
    assert failures(example) == []
    assert aws.token(arn, "NewIdentifier") == aws.token(arn, "SecondIdentifier")


def test_a_header_name_change(example: ExampleStack, aws: Aws, origin: OriginServer) -> None:
    start(example, aws, origin, headers=(HEADER, "X-New-Origin-Token"))

    example.update(example.custom_properties(HeaderName="X-New-Origin-Token"))

    assert example.location is not None
    assert example.location.header_name == "X-New-Origin-Token"
    assert failures(example) == []


def test_a_key_changed_by_hand_is_put_back_in_place(example: ExampleStack, aws: Aws, origin: OriginServer) -> None:
    """Drift repair: the template did not change, so the secret keeps its ARN and goes back to
    the key MediaTailor was granted."""
    arn = start(example, aws, origin)
    aws.secretsmanager.update_secret(SecretId=arn, KmsKeyId=example.new_key())
    assert not example.mediatailor.fetch(LOCATION).ok

    responses = example.update(example.custom_properties(Description="any update"))

    assert [r.physical_id for r in responses] == [arn]
    assert aws.secret(arn)["KmsKeyId"] == example.key_arn
    assert failures(example) == []


def test_an_alias_that_now_names_another_key_is_a_key_change(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    aws.kms.create_alias(AliasName="alias/origin-token", TargetKeyId=example.key_arn)
    first_arn = start(example, aws, origin, KmsKeyId="alias/origin-token")
    new_key = example.new_key()
    aws.kms.update_alias(AliasName="alias/origin-token", TargetKeyId=new_key)

    responses = example.update(example.custom_properties(KmsKeyId="alias/origin-token", Description="after"))

    assert responses[0].physical_id != first_arn
    assert aws.secret(responses[0].physical_id)["KmsKeyId"] == new_key
    assert failures(example) == []


def test_a_stack_delete_removes_the_source_location_before_the_secret(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    arn = start(example, aws, origin)

    deleted = example.delete()

    assert [(r.request_type, r.ok) for r in deleted] == [("Delete", True)]
    assert example.mediatailor.source_locations == {}
    after = example.fetch_as_last_configured()
    assert not after.ok
    assert after.cause == "the secret is scheduled for deletion"
    assert "DeletedDate" in aws.secret(arn)


def test_after_a_key_change_a_rolled_back_rename_returns_to_the_secret_of_that_key(
    example: ExampleStack, aws: Aws, origin: OriginServer
) -> None:
    first_arn = start(example, aws, origin)
    new_key = example.new_key()
    keyed = example.update(example.custom_properties(KmsKeyId=new_key))[0].physical_id

    renamed = example.update(example.custom_properties(KmsKeyId=new_key, SecretName="mediatailor/x"), fail_later=True)

    assert keyed != first_arn
    assert renamed[1].physical_id == keyed
    assert aws.secret(keyed)["KmsKeyId"] == new_key
    assert aws.secret(first_arn)["KmsKeyId"] == example.key_arn, "the first secret was not touched"
    assert "DeletedDate" in aws.secret(first_arn)
    assert failures(example) == []
