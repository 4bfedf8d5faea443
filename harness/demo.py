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
from typing import TYPE_CHECKING, Any

import boto3

from .account import ACCOUNT, DEPLOYER, REGION
from .clock import SimulatedClock
from .cloudformation import CloudFormation, Response
from .delivery import Cdn
from .environment import start_local_aws
from .example_stack import CUSTOM, EXAMPLE, Check, ExampleStack
from .lambda_context import LambdaContext
from .mediapackage_stack import V1_EXAMPLE, MediaPackageExample, Step
from .mediatailor import MediaTailor, Origin
from .origins import OriginServer

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient


STAGED = EXAMPLE.with_name("staged-rotation-origin-check.yaml")

STEP_WIDTH = 78


def _short(arn: str) -> str:
    return arn.rsplit(":", 1)[-1] if ":secret:" in arn else arn.rsplit("/", 1)[-1]


class Story:
    """Prints each step's heading, then every request and fetch as it happens."""

    def __init__(
        self, example: ExampleStack, kms: KMSClient, calls: Callable[[], dict[str, int]], reset: Callable[[], None]
    ):
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
            print(f"  {label:<36} WAF: manifests need the previous, current or next token; segments pass")
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
        for answer in check.segments:
            print(f"  {'':<36} viewer's segment via the CDN: {answer.status} ({answer.cause})")

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
        failed = tuple(check.after for check in self.example.checks[first:] if not check.ok)
        verdict = failed == refused and expected()
        summary = ", ".join(f"{name} x{count}" for name, count in sorted(calls.items()))
        print(f"  provider's AWS calls: {sum(calls.values())} ({summary}); {elapsed * 1000:.0f} ms")
        print(f"  -> {'as expected' if verdict else 'NOT AS EXPECTED'}")
        if not verdict:
            self.failures.append(title)


def _zero_downtime_rotation(
    *,
    local: Any,
    origin: OriginServer,
    invoke: Callable[[dict[str, Any]], None],
    mediatailor: MediaTailor,
    kms: KMSClient,
    failures: list[str],
) -> None:
    """Part 2: examples/staged-rotation-origin-check.yaml, whose WAF rule group (evaluated by the
    origin stand-in, with the stack's current tokens) checks MediaTailor's manifest requests,
    while a viewer fetches segments through a CDN."""
    print(f"\n\nPart 2: zero-downtime rotation, {STAGED.relative_to(STAGED.parents[1])}")
    print(f"Origin: {origin.base_url} behind the example's WAF rule group; a viewer plays through a CDN")
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
    example.cdn = Cdn(SimulatedClock(), origin.base_url)
    example.cdn.configure({})
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


def _mediapackage_rotation(
    *,
    local: Any,
    origin: OriginServer,
    invoke: Callable[[dict[str, Any]], None],
    mediatailor: MediaTailor,
    kms: KMSClient,
    secretsmanager: SecretsManagerClient,
    failures: list[str],
) -> None:
    """Part 3: examples/mediapackage-cdn-authorization.yaml on the simulated clock. MediaPackage
    v1 caches its secret for 10 minutes: a promotion 5 minutes after staging is refused, one 10
    minutes after plays for MediaTailor and the viewer."""
    print(f"\n\nPart 3: MediaPackage v1 rotation on a simulated clock, {V1_EXAMPLE.relative_to(V1_EXAMPLE.parents[1])}")
    print("MediaPackage caches its secret for 10 minutes; the CDN deploys a change over 5 minutes.")
    clock = SimulatedClock()
    example = MediaPackageExample(
        CloudFormation(invoke, local.listener).new_stack("media-package"),
        mediatailor,
        origin,
        clock,
        kms,
        secretsmanager,
        V1_EXAMPLE,
        {"DeployerPrincipalArn": DEPLOYER, "ChannelId": "live", "SourceLocationName": "mediapackage-demo"},
    )
    shown: list[Step] = []

    def on_step(step: Step) -> None:
        shown.append(step)
        if not step.after.startswith("waiting"):
            print(f"  {clock}  {step.after:<36} {'plays' if step.ok else 'REFUSED'}")
            _print_playback(step)

    example.on_step = on_step
    example.on_response = lambda label, r: print(f"  {clock}  {label:<36} {r.status}")

    def phase(title: str, action: Callable[[], object], *, refused: bool) -> None:
        print(f"\n== {title} ".ljust(STEP_WIDTH, "="))
        first = len(shown)
        action()
        waited = [s for s in shown[first:] if s.after.startswith("waiting")]
        if waited:
            bad = [s for s in waited if not s.ok]
            print(f"  {len(waited)} ticks of one minute, a viewer playing at each: {len(waited) - len(bad)} played")
            for step in bad[:1]:
                _print_playback(step)
        if any(not s.ok for s in shown[first:]) is not refused:
            failures.append(title)
        print(f"  -> {'as expected' if (any(not s.ok for s in shown[first:]) is refused) else 'NOT AS EXPECTED'}")

    def wait(minutes: int) -> Callable[[], None]:
        return lambda: example.wait(minutes * 60, tick=60)

    def stage(rotation: str, *, after_minutes: int = 0) -> None:
        wait(after_minutes)()
        example.refresh_right_now()  # the worst moment for MediaPackage to have read its secret
        example.deploy(NextRotationId=rotation)

    phase("12. Create stack: two secrets, endpoint, distribution, source location", example.deploy, refused=False)
    phase(
        "13. Stage NextRotationId 2: MediaPackage's secret learns it first",
        lambda: stage("2"),
        refused=False,
    )
    phase(
        "14. Promote 5 minutes after staging: refused until MediaPackage's cache expires at t=10:00",
        lambda: (wait(5)(), example.deploy(RotationId="2"), wait(4)()),
        refused=True,
    )
    phase("15. From t=10:00 MediaPackage's cache holds the promoted identifier: plays again", wait(2), refused=False)
    phase(
        "16. Stage NextRotationId 3 once the distribution is deployed",
        lambda: stage("3", after_minutes=5),
        refused=False,
    )
    phase(
        "17. Wait the documented 10 minutes, then promote: MediaTailor and the CDN switch",
        lambda: (wait(10)(), example.deploy(RotationId="3"), wait(5)()),
        refused=False,
    )
    phase("18. Delete stack", example.delete, refused=False)


def _print_playback(step: Step) -> None:
    manifest = step.playback.manifest
    print(f"  {'':<44} MediaTailor's manifest request: {manifest.status} ({manifest.cause})")
    for answer in step.playback.segments:
        print(f"  {'':<44} viewer's segment via the CDN: {answer.status} ({answer.cause})")


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="access-token-secret-demo-"))
    local = start_local_aws(workdir)
    origin = Origin().start()
    stand_in = OriginServer().start()
    log_path = workdir / "provider-output.jsonl"
    try:
        with open(log_path, "w") as provider_output:
            return _run(local, origin, stand_in, provider_output, log_path)
    finally:
        stand_in.stop()
        origin.stop()
        local.stop()


def _run(local: Any, origin: Origin, stand_in: OriginServer, provider_output: Any, log_path: Path) -> int:
    from access_token_secret.logs import logger

    # Routed before the handler is imported: it logs "provider starting" once, at import.
    logger.registered_handler.setStream(provider_output)  # type: ignore[attr-defined]
    from access_token_secret.adapter import handler as provider

    def invoke(event: dict[str, Any]) -> None:
        with contextlib.redirect_stdout(provider_output):  # EMF metric records are printed
            provider.lambda_handler(event, LambdaContext())

    direct = boto3.session.Session(region_name=REGION)
    kms = direct.client("kms", endpoint_url=local.emulator.url)
    secretsmanager = direct.client("secretsmanager", endpoint_url=local.emulator.url)
    mediatailor = MediaTailor(secretsmanager, kms, region=REGION, account=ACCOUNT, deployer_principal_arn=DEPLOYER)
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
        local=local, origin=stand_in, invoke=invoke, mediatailor=mediatailor, kms=kms, failures=story.failures
    )
    _mediapackage_rotation(
        local=local,
        origin=stand_in,
        invoke=invoke,
        mediatailor=mediatailor,
        kms=kms,
        secretsmanager=secretsmanager,
        failures=story.failures,
    )
    leftovers = secretsmanager.list_secrets(IncludePlannedDeletion=False)["SecretList"]
    print(f"\nSecrets left that are not scheduled for deletion: {len(leftovers)}")
    if leftovers:
        story.failures.append("leftover secrets")
    if story.failures:
        print(f"FAILED steps: {', '.join(story.failures)}")
        return 1
    print("Every step did what it says: MediaTailor could fetch and viewers could play after every resource")
    print("operation, except in step 10 (a one-step rotation) and step 14 (a promotion inside MediaPackage's")
    print("10-minute cache), which show on purpose the windows that staging and the documented wait remove.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
