"""What the adoption consent allows, and what it does not (issue 20, part 3).

* Tag permission never becomes read permission: whoever may tag a secret and deploy a stack can
  make that stack own it, but the provider returns an adopted secret's tokens only when the
  template supplies them; ``ReturnAccessToken`` without ``AccessToken`` is refused before
  anything is read, on the adoption and on every later Update.
* The consent is single-use: a failed attempt uses it up too, so a consent left behind cannot be
  taken up by the next stack of the same (reusable) name.
* A secret the provider could not own safely is refused before anything is read or written:
  rotation on, replicated, a replica, a resource policy that grants anyone but MediaTailor.

Each refusal leaves the secret as it was, except that the consent is gone once it was checked.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from harness.cloudformation import CloudFormation, Stack
from harness.emulator import Emulator
from harness.faults import Fault, FaultProxy
from tests.integration.conftest import Aws
from tests.integration.test_managed_rotation import start_managed_rotation
from tests.support.adoption import ADOPTING, CONSENT, NAME, TOKEN, hand_made, state, without_consent
from tests.support.properties import KEY, resource_props

SUPPLIED = "supplied-by-the-template-01"
# Calls that change a secret. A Create first tries CreateSecret, which the taken name refuses.
WRITES = frozenset({"PutSecretValue", "TagResource", "PutResourcePolicy", "RestoreSecret", "UpdateSecret"})


def no_token_in(body: dict[str, Any], *tokens: str) -> None:
    text = json.dumps(body)
    for token in tokens:
        assert token not in text


# Tag permission never becomes read permission -------------------------------------------------


def test_adopting_with_return_access_token_but_no_access_token_is_refused_before_any_read(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy
) -> None:
    """The principal who may only tag the secret (and deploy a stack) gets nothing to read."""
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    before = state(aws, arn)

    created = stack.create("Token", resource_props(kms_key, **ADOPTING, ReturnAccessToken=True))

    assert created.status == "FAILED"
    assert "ReturnAccessToken on an adopted secret needs AccessToken" in created.reason
    assert "NoEcho parameter" in created.reason
    assert "create a new secret instead of adopting" in created.reason
    assert "GetSecretValue" not in proxy_calls.recorder.calls
    assert not WRITES & set(proxy_calls.recorder.calls)
    no_token_in(created.body, TOKEN)
    assert state(aws, arn) == without_consent(before)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({}, id="nothing-else"),
        pytest.param({"RotationId": "2"}, id="a-new-generated-token"),
        pytest.param({"SecretName": NAME + "-renamed"}, id="a-rename-onto-a-new-secret"),
    ],
)
def test_a_later_update_with_return_access_token_on_an_adopted_secret_is_refused_before_any_read(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy, change: dict[str, str]
) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    assert stack.create("Token", resource_props(kms_key, **ADOPTING)).ok
    before = state(aws, arn)
    proxy_calls.clear()

    wanted = resource_props(kms_key, **(ADOPTING | change), ReturnAccessToken=True)
    updated = stack.update("Token", wanted)
    calls = list(proxy_calls.recorder.calls)
    rollback = stack.send(
        "Update", "Token", resource_props(kms_key, **ADOPTING), physical_id=arn, old_properties=wanted
    )

    assert updated.status == "FAILED"
    assert "ReturnAccessToken on an adopted secret needs AccessToken" in updated.reason
    assert "GetSecretValue" not in calls
    assert not WRITES & set(calls)
    no_token_in(updated.body, TOKEN)
    assert rollback.ok, rollback.reason
    assert state(aws, arn) == before
    assert NAME + "-renamed" not in aws.secret_names()


def test_an_adoption_that_supplies_access_token_returns_only_the_template_s_tokens(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    """On 1.1 PreviousAccessToken carried the hand-made token the deployer never supplied."""
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})

    created = stack.create("Token", resource_props(kms_key, **ADOPTING, AccessToken=SUPPLIED, ReturnAccessToken=True))

    assert created.ok, created.reason
    assert created.data["AccessToken"] == SUPPLIED
    assert created.data["PreviousAccessToken"] == SUPPLIED
    assert created.data["NextAccessToken"] == SUPPLIED
    no_token_in(created.body, TOKEN)
    assert aws.token(arn, KEY) == SUPPLIED


def test_a_later_update_that_supplies_the_tokens_returns_only_those(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    assert stack.create("Token", resource_props(kms_key, **ADOPTING)).ok  # keeps the hand-made token

    updated, _ = stack.update_stack(
        {
            "Token": resource_props(
                kms_key,
                **ADOPTING,
                AccessToken=SUPPLIED,
                NextAccessToken="supplied-next-token-02",
                ReturnAccessToken=True,
            )
        }
    )

    assert updated[0].ok, updated[0].reason
    assert updated[0].data["AccessToken"] == SUPPLIED
    assert updated[0].data["NextAccessToken"] == "supplied-next-token-02"
    assert updated[0].data["PreviousAccessToken"] == SUPPLIED, "AWSPREVIOUS holds the hand-made token"
    no_token_in(updated[0].body, TOKEN)
    assert aws.token(arn, KEY, VersionStage="AWSPREVIOUS") == TOKEN


# The consent is single-use ----------------------------------------------------------------------


def test_a_failed_adoption_uses_up_the_consent_so_the_next_stack_of_that_name_cannot_adopt(
    cloud: CloudFormation, aws: Aws, kms_key: str
) -> None:
    arn = hand_made(aws, kms_key, value={KEY: "short", "Comment": "c"}, tags={CONSENT: "origin", "team": "video"})
    before = state(aws, arn)
    first = cloud.new_stack("origin")

    failed = first.create("Token", resource_props(kms_key, **ADOPTING))
    assert first.send("Delete", "Token", resource_props(kms_key, **ADOPTING), physical_id=failed.physical_id).ok
    after_failure = state(aws, arn)
    second = cloud.new_stack("origin")
    refused = second.create("Token", resource_props(kms_key, **ADOPTING, AccessToken=SUPPLIED))

    assert failed.status == "FAILED"
    assert "supply AccessToken" in failed.reason
    assert after_failure == without_consent(before), "only the consent tag is gone"
    assert refused.status == "FAILED"
    assert f"has no consent to adoption: tag it {CONSENT}=origin" in refused.reason
    assert state(aws, arn) == after_failure


def test_when_the_consent_cannot_be_removed_the_failure_still_goes_out_once(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    arn = hand_made(aws, kms_key, value={KEY: "short"}, tags={CONSENT: stack.name})
    before = state(aws, arn)
    proxy_calls.inject(Fault("UntagResource", code="AccessDeniedException", message="not allowed"))

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.status == "FAILED"
    assert created.count == 1
    assert "supply AccessToken" in created.reason, "the adoption's Reason, not the untag's"
    assert "could not remove the adoption consent" in caplog.text  # the warning says what is left
    assert state(aws, arn) == before


# Secrets the provider could not own safely --------------------------------------------------------


def grant(principal: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
        **extra,
    }


MEDIATAILOR = {"Service": "mediatailor.amazonaws.com"}
APP_ROLE = {"AWS": "arn:aws:iam::123456789012:role/origin-app"}


@pytest.mark.parametrize(
    "statements",
    [
        pytest.param([grant(APP_ROLE)], id="another-principal-reads-it"),
        pytest.param([grant(MEDIATAILOR), grant(APP_ROLE)], id="mediatailor-and-another"),
        pytest.param([{**grant(APP_ROLE), "Effect": "Deny", "Action": "*"}], id="a-deny-would-be-dropped"),
        pytest.param(
            [grant(MEDIATAILOR, Condition={"StringEquals": {"aws:SourceAccount": "123456789012"}})],
            id="a-condition-would-be-dropped",
        ),
        pytest.param([{**grant(MEDIATAILOR), "Action": "secretsmanager:*"}], id="more-than-read"),
    ],
)
def test_a_secret_whose_policy_grants_more_than_mediatailor_s_read_is_refused_before_the_value_is_read(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy, statements: list[dict[str, Any]]
) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    aws.secretsmanager.put_resource_policy(
        SecretId=arn, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": statements})
    )
    before = state(aws, arn)

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.status == "FAILED"
    assert "its resource policy grants more than MediaTailor's read" in created.reason
    assert "tag it again" in created.reason
    assert "GetSecretValue" not in proxy_calls.recorder.calls
    assert not WRITES & set(proxy_calls.recorder.calls)
    assert state(aws, arn) == without_consent(before)


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(None, id="no-policy"),
        pytest.param({"Version": "2012-10-17", "Statement": []}, id="no-statement"),
        pytest.param(
            {"Version": "2012-10-17", "Statement": [{**grant(MEDIATAILOR), "Sid": "AllowMediaTailor"}]},
            id="mediatailor-s-documented-read",
        ),
    ],
)
def test_a_secret_whose_policy_only_lets_mediatailor_read_it_is_adopted(
    stack: Stack, aws: Aws, kms_key: str, policy: dict[str, Any] | None
) -> None:
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    if policy is None:
        aws.secretsmanager.delete_resource_policy(SecretId=arn)
    else:
        aws.secretsmanager.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(policy))

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.ok, created.reason
    assert aws.policy(arn)["Statement"][0]["Principal"] == MEDIATAILOR


def test_a_secret_with_rotation_on_is_refused_before_anything_is_read(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy
) -> None:
    """A managed rotation would replace the token the origin expects, and the provider's drift
    repair would put the old one back (Secrets Manager User Guide, "How rotation works")."""
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    start_managed_rotation(aws, arn)
    before = state(aws, arn)

    created = stack.create("Token", resource_props(kms_key, **ADOPTING, AccessToken=SUPPLIED))

    assert created.status == "FAILED"
    assert "Secrets Manager rotation would replace the token" in created.reason
    assert "cancel-rotate-secret" in created.reason
    assert not {"GetSecretValue", "GetResourcePolicy"} & set(proxy_calls.recorder.calls)
    assert not WRITES & set(proxy_calls.recorder.calls)
    assert state(aws, arn) == without_consent(before)


def test_a_replicated_secret_is_refused_as_it_could_never_be_deleted(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy
) -> None:
    """DeleteSecret fails while replicas exist (Secrets Manager API reference, DeleteSecret)."""
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    aws.secretsmanager.replicate_secret_to_regions(SecretId=arn, AddReplicaRegions=[{"Region": "eu-west-1"}])
    before = state(aws, arn)

    created = stack.create("Token", resource_props(kms_key, **ADOPTING, AccessToken=SUPPLIED))

    assert created.status == "FAILED"
    assert "it is replicated to eu-west-1" in created.reason
    assert "remove-regions-from-replication" in created.reason
    assert not {"GetSecretValue", "GetResourcePolicy"} & set(proxy_calls.recorder.calls)
    assert not WRITES & set(proxy_calls.recorder.calls)
    assert state(aws, arn) == without_consent(before)


def test_a_replica_is_refused_as_it_is_read_only(
    stack: Stack, aws: Aws, emulator: Emulator, kms_key: str, proxy_calls: FaultProxy
) -> None:
    """A replica takes no write; its primary's Region is DescribeSecret's PrimaryRegion
    (Secrets Manager User Guide, "Replicate secrets across Regions"). The consent tag, replicated
    from the primary, cannot be removed here either (UntagResource is a write), so the replica is
    left exactly as it was. The resource moves onto it in an Update, which describes the name
    first: moto answers a Create's CreateSecret on a replica's name with InvalidParameterException
    ("Operation not permitted on a replica secret"), so a Create never gets to see it there."""
    assert stack.create("Token", resource_props(kms_key)).ok
    primary_region = boto3.session.Session(region_name="eu-west-1").client("secretsmanager", endpoint_url=emulator.url)
    primary = primary_region.create_secret(
        Name=NAME, SecretString=json.dumps({KEY: TOKEN}), Tags=[{"Key": CONSENT, "Value": stack.name}]
    )["ARN"]
    primary_region.replicate_secret_to_regions(
        SecretId=primary, AddReplicaRegions=[{"Region": "us-east-1", "KmsKeyId": kms_key}]
    )
    replica = aws.secret(NAME)["ARN"]
    before = state(aws, replica, replica=True)
    proxy_calls.clear()

    updated = stack.update("Token", resource_props(kms_key, **ADOPTING, AccessToken=SUPPLIED))

    assert updated.status == "FAILED"
    assert "it is a read-only replica of a secret in eu-west-1" in updated.reason
    assert not {"GetSecretValue", "GetResourcePolicy"} & set(proxy_calls.recorder.calls)
    assert not WRITES & set(proxy_calls.recorder.calls)
    assert state(aws, replica, replica=True) == before


def test_a_secret_in_its_recovery_window_whose_policy_aws_will_not_show_is_refused_without_restoring_it(
    stack: Stack, aws: Aws, kms_key: str, proxy_calls: FaultProxy
) -> None:
    """AWS answers calls on a secret scheduled for deletion with InvalidRequestException ("...
    because it was marked for deletion"); moto answers GetResourcePolicy, so AWS's answer is
    injected. Restoring first would be a write, and no refusal may follow a write."""
    arn = hand_made(aws, kms_key, tags={CONSENT: stack.name})
    aws.secretsmanager.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    proxy_calls.inject(
        Fault(
            "GetResourcePolicy",
            code="InvalidRequestException",
            message="You can't perform this operation on the secret because it was marked for deletion.",
        )
    )

    created = stack.create("Token", resource_props(kms_key, **ADOPTING))

    assert created.status == "FAILED"
    assert "it is scheduled for deletion, so its resource policy cannot be checked" in created.reason
    assert "restore-secret" in created.reason
    assert not WRITES & set(proxy_calls.recorder.calls)
    assert "DeletedDate" in aws.secret(arn)


# Long names ---------------------------------------------------------------------------------------


def test_a_128_character_stack_name_is_never_cut_and_the_reason_says_how_nested_stacks_adopt(
    cloud: CloudFormation, aws: Aws, kms_key: str
) -> None:
    """Stack names are up to 128 characters (CloudFormation API reference, CreateStack); 1.1 cut
    them at 64, naming a tag that would not have worked."""
    long_stack = cloud.new_stack("s" + "-nested-child-ABCDEFGHIJ" * 5 + "x" * 7)
    assert len(long_stack.name) == 128
    name = "mediatailor/" + "n" * 300
    aws.secretsmanager.create_secret(
        Name=name,
        SecretString=json.dumps({KEY: TOKEN}),
        KmsKeyId=kms_key,
        Tags=[
            {
                "Key": "mediatailor-access-token-secret:stack-id",
                "Value": f"arn:aws:cloudformation:us-east-1:1:stack/{'o' * 128}/1",
            }
        ],
    )

    created = long_stack.create("Token", {**resource_props(kms_key, **ADOPTING), "SecretName": name})

    assert created.status == "FAILED"
    assert len(created.reason) <= 255
    assert not created.reason.endswith("...")
    assert f"{CONSENT}={long_stack.name}" in created.reason
    assert "nested/StackSet stack: adopt in an Update of it" in created.reason
