"""``make demo``: a stack's whole life with one Custom::MediaTailorAccessTokenSecret, against
moto on 127.0.0.1, told the way CloudFormation would see it. Exits 1 if any step misbehaves."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from .cloudformation import CloudFormation, Response, Stack
from .environment import REGION, start_local_aws
from .lambda_context import LambdaContext
from .templates import custom_resource_properties

STEP_WIDTH = 72
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "source-location-generated-token.yaml"


def _mask(data: dict[str, str]) -> dict[str, str]:
    return {key: ("****" if key == "AccessToken" else value) for key, value in data.items()}


class Story:
    def __init__(self, stack: Stack, calls: Callable[[], dict[str, int]], reset: Callable[[], None]) -> None:
        self.stack = stack
        self._calls = calls
        self._reset = reset
        self.failures: list[str] = []

    def step(
        self, title: str, action: Callable[[], list[Response]], check: Callable[[list[Response]], bool]
    ) -> list[Response]:
        self._reset()
        started = time.perf_counter()
        responses = action()
        elapsed = time.perf_counter() - started
        calls = self._calls()
        verdict = check(responses)
        print(f"\n== {title} ".ljust(STEP_WIDTH, "="))
        for response in responses:
            print(f"  {response.request_type:<7} {response.status:<8} PhysicalResourceId={response.physical_id}")
            if response.reason:
                print(f"          Reason: {response.reason}")
            if response.data:
                print(f"          Data: {json.dumps(_mask(response.data))}  NoEcho={response.body.get('NoEcho')}")
        summary = ", ".join(f"{name} x{count}" for name, count in sorted(calls.items()))
        print(f"  AWS calls: {sum(calls.values())} ({summary})")
        print(f"  time: {elapsed * 1000:.0f} ms   -> {'as expected' if verdict else 'NOT AS EXPECTED'}")
        if not verdict:
            self.failures.append(title)
        return responses


def _final_state(secretsmanager: Any, arn: str) -> None:
    print("\n== Final state of the secret ".ljust(STEP_WIDTH, "="))
    described = secretsmanager.describe_secret(SecretId=arn)
    value = json.loads(secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
    policy = json.loads(secretsmanager.get_resource_policy(SecretId=arn)["ResourcePolicy"])
    print(f"  Name:      {described['Name']}")
    print(f"  KmsKeyId:  {described['KmsKeyId']}")
    print(f"  Value:     {json.dumps({key: '****' for key in value})} (token masked)")
    print(f"  Policy:    {json.dumps(policy['Statement'][0])}")
    print(f"  Tags:      {json.dumps({t['Key']: t['Value'] for t in described.get('Tags', [])})}")
    print(f"  Deleted:   {described.get('DeletedDate', 'no')}")


def main() -> int:
    logging.disable(logging.CRITICAL)  # the story is the output; the provider's JSON logs are not
    local = start_local_aws()
    try:
        from access_token_secret.adapter import handler as provider
        from access_token_secret.logs import logger

        logger.setLevel(logging.CRITICAL)
        direct = boto3.session.Session(region_name=REGION)
        kms = direct.client("kms", endpoint_url=local.emulator.url)
        secretsmanager = direct.client("secretsmanager", endpoint_url=local.emulator.url)
        key = kms.create_key(Description="MediaTailor access token", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName="alias/mediatailor-access-token", TargetKeyId=key)
        other_key = kms.create_key(Description="second key", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]

        cloud = CloudFormation(lambda event: provider.lambda_handler(event, LambdaContext()), local.listener)
        stack = cloud.new_stack("media-origin")
        story = Story(stack, lambda: dict(local.proxy.recorder.count()), local.proxy.clear)
        # The example stack's own custom resource, with this emulator's key in place of its KMS key.
        example = custom_resource_properties(
            EXAMPLE,
            {"DeployerPrincipalArn": "arn:aws:iam::123456789012:role/deployer"},
            {"AccessTokenKey.Arn": key},
        )["OriginAccessToken"]
        example.pop("ServiceToken")
        # ReturnAccessToken lets each step check the token; it is printed masked.
        base = {**example, "ReturnAccessToken": True}
        print(f"Emulator: moto on {local.emulator.url}; responses to https://127.0.0.1:{local.listener.port}")
        print(f"KMS key: {key}")
        print(f"Custom resource properties: OriginAccessToken in {EXAMPLE.relative_to(EXAMPLE.parents[1])}")

        created = story.step(
            "1. Create stack (generated token)",
            lambda: stack.create_stack({"Origin": base}),
            lambda r: r[0].ok and r[0].data["KmsKeyArn"] == key and len(r[0].data["AccessToken"]) == 48,
        )
        first_arn = created[0].physical_id
        rotated = story.step(
            "2. Rotate the token (RotationId)",
            lambda: [stack.update_stack({"Origin": {**base, "RotationId": "2"}})[0][0]],
            lambda r: (
                r[0].ok and r[0].physical_id == first_arn and r[0].data["AccessToken"] != created[0].data["AccessToken"]
            ),
        )
        renamed = story.step(
            "3. Rename the secret (replacement, then cleanup of the old one)",
            lambda: [
                item
                for part in stack.update_stack(
                    {"Origin": {**base, "RotationId": "2", "SecretName": "mediatailor/media-origin/token"}}
                )
                for item in part
            ],
            lambda r: (
                r[0].ok
                and r[0].physical_id != first_arn
                and r[1].request_type == "Delete"
                and r[1].ok
                and r[0].data["AccessToken"] == rotated[0].data["AccessToken"]
            ),
        )
        arn = renamed[0].physical_id
        before = renamed[0].data["AccessToken"]
        story.step(
            "4. Update (new key, new RotationId) that fails later in the stack: rolled back",
            lambda: [
                item
                for part in stack.update_stack(
                    {
                        "Origin": {
                            **base,
                            "KmsKeyId": other_key,
                            "RotationId": "2027-01",
                            "SecretName": "mediatailor/media-origin/token",
                        }
                    },
                    fail_later=True,
                )
                for item in part
            ],
            lambda r: all(x.ok for x in r) and r[-1].data["AccessToken"] == before and r[-1].data["KmsKeyArn"] == key,
        )
        _final_state(secretsmanager, arn)
        story.step(
            "5. Delete stack",
            stack.delete_stack,
            lambda r: r[0].ok and "DeletedDate" in secretsmanager.describe_secret(SecretId=arn),
        )
        leftovers = secretsmanager.list_secrets(IncludePlannedDeletion=False)["SecretList"]
        print(f"\nSecrets left that are not scheduled for deletion: {len(leftovers)}")
        if leftovers:
            story.failures.append("leftover secrets")
        if story.failures:
            print(f"FAILED steps: {', '.join(story.failures)}")
            return 1
        print("Every step did what it says.")
        return 0
    finally:
        local.stop()


if __name__ == "__main__":
    sys.exit(main())
