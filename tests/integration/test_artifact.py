"""The `sam build` output, not the source tree, through a whole lifecycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.account import REGION
from harness.cloudformation import CloudFormation
from harness.run_artifact import invoke_in_process_of_its_own
from tests.support.aws import Aws

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / ".aws-sam" / "build" / "ProviderFunction"


@pytest.mark.artifact
def test_the_built_artifact_runs_the_whole_lifecycle(aws: Aws, kms_key: str, listener: Any) -> None:
    assert (ARTIFACT / "access_token_secret" / "adapter" / "handler.py").exists(), "run `make build` first"
    assert not (ARTIFACT / "boto3").exists(), "boto3 comes with the Lambda runtime and must not be bundled"
    ran_from: list[str] = []

    def invoke(event: dict[str, Any]) -> None:
        ran_from.append(invoke_in_process_of_its_own(ARTIFACT, event))

    stack = CloudFormation(invoke, listener, region=REGION).new_stack("artifact")
    created = stack.create("Token", {"KmsKeyId": kms_key, "SecretStringKey": "Key", "ReturnAccessToken": "true"})
    updated, _ = stack.update_stack(
        {"Token": {"KmsKeyId": kms_key, "SecretStringKey": "Key", "ReturnAccessToken": "true", "RotationId": "2"}}
    )
    deleted = stack.delete_stack()

    assert created.ok
    assert updated[0].ok
    assert deleted[0].ok
    assert created.data["AccessToken"] != updated[0].data["AccessToken"]
    assert "DeletedDate" in aws.secret(created.physical_id)
    assert ran_from
    assert all(path.startswith(str(ARTIFACT)) for path in ran_from)
