"""``make demo``: the life of ``examples/source-location-generated-token.yaml`` against moto on
127.0.0.1, with the MediaTailor stand-in fetching from a local origin after every single
resource operation. Exits 1 if any step misbehaves.

The provider's JSON logs and metric records go to a file (named at the start), so the console
tells only the story.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from .cloudformation import CloudFormation, Response
from .emulator import FAKE_ACCOUNT
from .environment import REGION, start_local_aws
from .example_stack import CUSTOM, EXAMPLE, Check, ExampleStack
from .lambda_context import LambdaContext
from .mediatailor import MediaTailor, Origin

STAGED = EXAMPLE.with_name("staged-rotation-origin-check.yaml")

STEP_WIDTH = 78
DEPLOYER = f"arn:aws:iam::{FAKE_ACCOUNT}:role/deployer"


def _short(arn: str) -> str:
    return arn.rsplit(":", 1)[-1] if ":secret:" in arn else arn.rsplit("/", 1)[-1]


class Story:
    """Prints each step's heading, then every request and fetch as it happens."""

    def __init__(self, example: ExampleStack, kms: Any, calls: Callable[[], dict[str, int]], reset: Callable[[], None]):
        self.example = example
        self._kms = kms
        self._calls = calls
        self._reset = reset
        self.failures: list[str] = []
        example.on_response = self._response
        example.on_check = self._check

    def _response(self, label: str, response: Response) -> None:
        print(f"  {label:<36} {response.status:<8} SecretArn ...{_short(response.physical_id)}")
        if response.reason:
            print(f"  {'':<36} Reason: {response.reason}")

    def _check(self, check: Check) -> None:
        location = self.example.location
        label = "" if check.after.endswith(("OriginAccessToken", "Delete")) else check.after
        if check.after.endswith("OriginTokenCheck"):
            print(f"  {label:<36} the origin now accepts the previous, current and next token")
            label = ""
        if check.after.endswith("SourceLocation") and location is not None:
            key = str(self.example.mediatailor.describe_secret_key(location.secret_arn))
            granted = any(
                g.get("Constraints", {}).get("EncryptionContextSubset", {}).get("SecretARN") == location.secret_arn
                for g in self._kms.list_grants(KeyId=key)["Grants"]
            )
            print(f"  {label:<36} MediaTailor reads ...{_short(location.secret_arn)}")
            print(f"  {'':<36} its grant on key ...{_short(key)}: {'yes' if granted else 'NO'}")
            label = ""
        fetch = check.fetch
        status = fetch.status if fetch.status is not None else "-"
        print(f"  {label:<36} fetch: {status} {fetch.header_name or '-'}: **** ({fetch.cause})")

    def step(
        self, title: str, action: Callable[[], object], expected: Callable[[], bool], *, refused: tuple[str, ...] = ()
    ) -> None:
        """``refused``: the operations after which a refused fetch is the point of the step."""
        print(f"\n== {title} ".ljust(STEP_WIDTH, "="))
        self._reset()
        first = len(self.example.checks)
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
        calls = self._calls()
        failed = tuple(check.after for check in self.example.checks[first:] if not check.fetch.ok)
        verdict = failed == refused and expected()
        summary = ", ".join(f"{name} x{count}" for name, count in sorted(calls.items()))
        print(f"  provider's AWS calls: {sum(calls.values())} ({summary}); {elapsed * 1000:.0f} ms")
        print(f"  -> {'as expected' if verdict else 'NOT AS EXPECTED'}")
        if not verdict:
            self.failures.append(title)


def _zero_downtime_rotation(
    *,
    local: Any,
    origin: Origin,
    invoke: Callable[[dict[str, Any]], None],
    mediatailor: MediaTailor,
    kms: Any,
    failures: list[str],
) -> None:
    """Part 2: examples/staged-rotation-origin-check.yaml, whose WAF rule group (played by the
    origin) accepts the previous, current and next token from the custom resource."""
    print(f"\n\nPart 2: zero-downtime rotation, {STAGED.relative_to(STAGED.parents[1])}")
    stack = CloudFormation(invoke, local.listener).new_stack("media-rotating")
    example = ExampleStack.with_example_key(
        stack,
        mediatailor,
        origin,
        kms,
        {"DeployerPrincipalArn": DEPLOYER},
        template=STAGED,
        origin_rule="OriginTokenCheck",
    )
    story = Story(example, kms, lambda: dict(local.proxy.recorder.count()), local.proxy.clear)
    story.step("7. Create stack: the origin check learns the token with it", example.create, lambda: True)
    story.step(
        "8. Stage the next token (NextRotationId 2): MediaTailor still sends the current one",
        lambda: example.update(example.custom_properties(NextRotationId="2")),
        lambda: True,
    )
    story.step(
        "9. Promote it (RotationId 2): the origin already accepts it",
        lambda: example.update(example.custom_properties(RotationId="2", NextRotationId="2")),
        lambda: True,
    )
    story.step(
        "10. For contrast, a one-step rotation (RotationId 3): refused until the check catches up",
        lambda: example.update(example.custom_properties(RotationId="3")),
        lambda: True,
        refused=("Update OriginAccessToken",),
    )
    story.step("11. Delete stack", example.delete, lambda: True)
    failures.extend(story.failures)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="access-token-secret-demo-"))
    local = start_local_aws(workdir)
    origin = Origin().start()
    log_path = workdir / "provider-output.jsonl"
    try:
        with open(log_path, "w") as provider_output:
            return _run(local, origin, provider_output, log_path)
    finally:
        origin.stop()
        local.stop()


def _run(local: Any, origin: Origin, provider_output: Any, log_path: Path) -> int:
    from access_token_secret.adapter import handler as provider
    from access_token_secret.logs import logger

    logger.registered_handler.setStream(provider_output)  # type: ignore[attr-defined]

    def invoke(event: dict[str, Any]) -> None:
        with contextlib.redirect_stdout(provider_output):  # EMF metric records are printed
            provider.lambda_handler(event, LambdaContext())

    direct = boto3.session.Session(region_name=REGION)
    kms = direct.client("kms", endpoint_url=local.emulator.url)
    secretsmanager = direct.client("secretsmanager", endpoint_url=local.emulator.url)
    mediatailor = MediaTailor(secretsmanager, kms, region=REGION, account=FAKE_ACCOUNT, deployer_principal_arn=DEPLOYER)
    stack = CloudFormation(invoke, local.listener).new_stack("media-origin")
    example = ExampleStack.with_example_key(stack, mediatailor, origin, kms, {"DeployerPrincipalArn": DEPLOYER})
    story = Story(example, kms, lambda: dict(local.proxy.recorder.count()), local.proxy.clear)

    accepted: set[str] = set()

    def operator_follows_the_secret() -> None:
        """The origin's operator adds each token the secret holds, as soon as it exists."""
        if example.location is not None:
            accepted.add(read_token(example.location.secret_arn, example.location.secret_string_key))
            origin.accept(header_names=[example.location.header_name], tokens=accepted)

    def read_token(arn: str, key: str) -> str:
        value = secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
        return str(json.loads(value)[key])

    print(
        f"Emulator: moto on {local.emulator.url}; CloudFormation responses to https://127.0.0.1:{local.listener.port}"
    )
    print(f"Origin: {origin.base_url} (accepts only the tokens its operator added)")
    print(f"Stack: {EXAMPLE.relative_to(EXAMPLE.parents[1])}, its KMS key made with the example's key policy")
    print(f"Provider logs and metric records: {log_path}")

    def arn() -> str:
        return example.stack.resources[CUSTOM].physical_id

    example.before_check = operator_follows_the_secret
    story.step(
        "1. Create stack: secret, source location (MediaTailor's grant), VOD source", example.create, lambda: True
    )
    first_arn, first_token = arn(), set(accepted)

    story.step(
        "2. Rotate the token (RotationId 1 -> 2); the operator adds the new token at once",
        lambda: example.update(example.custom_properties(RotationId="2")),
        lambda: arn() == first_arn and origin.last_token() not in first_token,
    )
    example.before_check = None  # from here on the origin accepts no new token: none may be sent
    new_key = example.new_key()
    story.step(
        "3. Change the KMS key: a new secret, so MediaTailor grants itself the new key",
        lambda: example.update(example.custom_properties(RotationId="2", KmsKeyId=new_key)),
        lambda: arn() != first_arn and mediatailor.describe_secret_key(arn()) == new_key,
    )
    keyed_arn = arn()
    story.step(
        "4. Rename the secret, and a later resource fails: CloudFormation rolls back",
        lambda: example.update(
            example.custom_properties(RotationId="2", KmsKeyId=new_key, SecretName="mediatailor/media-origin/token"),
            fail_later=True,
        ),
        lambda: arn() == keyed_arn,
    )
    story.step(
        "5. Change SecretStringKey: the token stays readable under both keys until the next write",
        lambda: example.update(example.custom_properties(RotationId="2", KmsKeyId=new_key, SecretStringKey="Token2")),
        lambda: arn() == keyed_arn,
    )
    story.step(
        "6. Delete stack: the source location first, then the secret",
        example.delete,
        lambda: example.fetch_as_last_configured().cause == "the secret is scheduled for deletion",
    )
    print(f"  fetch with the last configuration: {example.fetch_as_last_configured()}")
    _zero_downtime_rotation(
        local=local, origin=origin, invoke=invoke, mediatailor=mediatailor, kms=kms, failures=story.failures
    )
    leftovers = secretsmanager.list_secrets(IncludePlannedDeletion=False)["SecretList"]
    print(f"\nSecrets left that are not scheduled for deletion: {len(leftovers)}")
    if leftovers:
        story.failures.append("leftover secrets")
    if story.failures:
        print(f"FAILED steps: {', '.join(story.failures)}")
        return 1
    print("Every step did what it says: MediaTailor could fetch after every resource operation, except in")
    print("the one-step rotation of step 10, which shows on purpose the window that staged rotation removes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
