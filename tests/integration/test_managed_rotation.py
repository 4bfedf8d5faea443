"""Staging next to Secrets Manager's own rotation, which uses the same AWSPENDING label.

``RotateSecret`` refuses to start while AWSPENDING sits on a version other than AWSCURRENT, and
a managed rotation's in-flight version carries AWSPENDING until its function finishes (Secrets
Manager User Guide, "How rotation works"; API reference, RotateSecret). So the provider stages
only on a secret without rotation configured, and never takes AWSPENDING off a version it did
not write. The emulator plays a rotation whose function could not run: ``rotate_secret`` with a
function that does not exist leaves ``RotationEnabled`` set and AWSPENDING on a version of its
own, exactly the state of a managed rotation in flight.
"""

from __future__ import annotations

import pytest

from harness.cloudformation import Stack
from tests.integration.conftest import Aws
from tests.support.properties import KEY, resource_props

ROTATION_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:rotate-origin-token"


def start_managed_rotation(aws: Aws, arn: str) -> str:
    """Turn on rotation by hand; returns the in-flight version that carries AWSPENDING."""
    with pytest.raises(aws.secretsmanager.exceptions.ResourceNotFoundException):
        aws.secretsmanager.rotate_secret(
            SecretId=arn, RotationLambdaARN=ROTATION_FUNCTION, RotationRules={"AutomaticallyAfterDays": 30}
        )
    described = aws.secret(arn)
    assert described["RotationEnabled"]
    return str(next(v for v, stages in described["VersionIdsToStages"].items() if "AWSPENDING" in stages))


def test_staging_is_refused_while_rotation_is_configured_and_nothing_changes(
    stack: Stack, aws: Aws, kms_key: str
) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="1")).physical_id
    in_flight = start_managed_rotation(aws, arn)
    before = aws.secret(arn)["VersionIdsToStages"]

    responses, rollback = stack.update_stack({"Token": resource_props(kms_key, RotationId="1", NextRotationId="2")})

    assert responses[0].status == "FAILED"
    assert "rotation configured" in responses[0].reason
    assert rollback[0].ok, rollback[0].reason
    assert aws.secret(arn)["VersionIdsToStages"] == before
    assert "AWSPENDING" in before[in_flight]


def test_an_update_never_takes_awspending_off_a_version_it_did_not_write(stack: Stack, aws: Aws, kms_key: str) -> None:
    arn = stack.create("Token", resource_props(kms_key, RotationId="1")).physical_id
    current = aws.token(arn, KEY)
    in_flight = start_managed_rotation(aws, arn)

    updated, _ = stack.update_stack({"Token": resource_props(kms_key, RotationId="1", Description="described")})

    assert updated[0].ok, updated[0].reason
    assert "AWSPENDING" in aws.secret(arn)["VersionIdsToStages"][in_flight]
    assert aws.token(arn, KEY) == current
