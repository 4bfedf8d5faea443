"""``make demo``: the life of ``examples/source-location-generated-token.yaml`` against moto on
127.0.0.1, with the MediaTailor stand-in fetching from a local origin after every single
resource operation. Exits 1 if any step misbehaves.

The provider's JSON logs and metric records go to a file (named at the start), so the console
tells only the story.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from .account import ACCOUNT, DEPLOYER, REGION
from .clock import SimulatedClock
from .cloudformation import CloudFormation, Response
from .cloudfront import WEB_ACL_EXAMPLE, put_behind_cloudfront
from .delivery import Cdn
from .environment import start_local_aws
from .example_stack import CUSTOM, EXAMPLE, Check, ExampleStack
from .lambda_context import LambdaContext
from .mediapackage_stack import V1_EXAMPLE, MediaPackageExample, Step
from .mediatailor import MediaTailor
from .origins import WAF_PROPAGATION_SECONDS, OriginServer
from .templates import resource_properties

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient


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
        self._ticks: list[Check] = []
        example.on_response = self._response
        example.on_check = self._check

    def _response(self, label: str, response: Response) -> None:
        print(f"  {label:<36} provider answered {response.status}; SecretArn ...{_short(response.physical_id)}")
        if response.reason:
            print(f"  {'':<36} Reason: {response.reason}")

    def _check(self, check: Check) -> None:
        if check.after.startswith("waiting"):
            self._ticks.append(check)
            return
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
        _print_fetch(label, check)

    def step(
        self,
        title: str,
        action: Callable[[], object],
        expected: Callable[[], bool],
        *,
        refused: tuple[str, ...] = (),
        why: str = "",
    ) -> None:
        """``refused``: the operations (label prefixes) after which a refused fetch is the point
        of the step, and ``why`` says why it is expected."""
        print(f"\n== {title} ".ljust(STEP_WIDTH, "="))
        self._reset()
        self._ticks = []
        first = len(self.example.checks)
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
        calls = self._calls()
        if self._ticks:
            bad = [t for t in self._ticks if not t.ok]
            print(
                f"  {len(self._ticks)} one-minute ticks, MediaTailor fetching at each: {len(self._ticks) - len(bad)} OK"
            )
            for tick in bad[:1]:
                _print_fetch(f"first refused tick, {tick.after[len('waiting (') : -1]}", tick)
        failed = [check.after for check in self.example.checks[first:] if not check.ok]
        as_refused = all(f.startswith(refused) for f in failed) and bool(failed) == bool(refused)
        verdict = as_refused and expected()
        summary = ", ".join(f"{name} x{count}" for name, count in sorted(calls.items()))
        print(f"  provider's AWS calls: {sum(calls.values())} ({summary}); {elapsed * 1000:.0f} ms")
        if verdict:
            print(f"  -> as expected{': ' + why if failed else ''}")
        else:
            print("  -> NOT AS EXPECTED")
            self.failures.append(title)


def _print_fetch(label: str, check: Check) -> None:
    fetch = check.fetch
    status = fetch.status if fetch.status is not None else "-"
    print(f"  {label:<36} MediaTailor's fetch: {status} {fetch.header_name or '-'}: **** ({fetch.cause})")
    for answer in check.segments:
        print(f"  {'':<36} viewer's segment via the CDN: {answer.status} ({answer.cause})")


@dataclass
class Demo:
    """What every part uses: the local AWS, the stand-ins' servers and the provider's entry."""

    local: Any
    invoke: Callable[[dict[str, Any]], None]
    mediatailor: MediaTailor
    kms: KMSClient
    secretsmanager: SecretsManagerClient
    # One origin stand-in class (harness/origins.py), three servers: a self-managed origin, a
    # CloudFront distribution (or MediaPackage endpoint) and an S3 bucket.
    origin: OriginServer
    distribution: OriginServer
    bucket: OriginServer
    failures: list[str] = field(default_factory=list)

    def calls(self) -> dict[str, int]:
        return dict(self.local.proxy.recorder.count())

    def story(self, example: ExampleStack) -> Story:
        return Story(example, self.kms, self.calls, self.local.proxy.clear)


def _zero_downtime_rotation(demo: Demo) -> None:
    """Part 2: examples/waf-web-acl-cloudfront.yaml. MediaTailor fetches through CloudFront,
    whose web ACL applies the example's rule group as WAF propagates it (5 minutes, the worst case
    docs/origins.md takes), to an S3 bucket only the distribution may read; a viewer fetches
    segments through the same distribution."""
    example_path = WEB_ACL_EXAMPLE.relative_to(WEB_ACL_EXAMPLE.parents[1])
    print(f"\n\nPart 2: zero-downtime rotation behind a web ACL, {example_path}")
    origin, bucket = demo.distribution, demo.bucket
    print(f"CloudFront (web ACL with the example's rule group): {origin.base_url}; S3 bucket: {bucket.base_url}")
    minutes = int(WAF_PROPAGATION_SECONDS // 60)
    print(f"WAF propagates each rule group update for up to {minutes} minutes (on a simulated clock)")
    stack = CloudFormation(demo.invoke, demo.local.listener).new_stack("media-rotating")
    clock = SimulatedClock()
    example = ExampleStack.behind_rule_group(
        stack, demo.mediatailor, origin, demo.kms, template=WEB_ACL_EXAMPLE, clock=clock
    )
    put_behind_cloudfront(example, bucket)
    story = demo.story(example)
    refusals: list[str] = []

    def create_and_try_the_locks() -> None:
        example.create()
        example.wait_for_waf()
        vod_source = resource_properties(example.template, "VodSource", example.parameters)
        vod = str(vod_source["HttpPackageConfigurations"][0]["Path"])
        for who, answer, why in (
            ("a manifest without the token", Cdn(clock, origin.base_url).forward(vod, {}), "the rule group blocks it"),
            ("the bucket itself, token or not", Cdn(clock, bucket.base_url).forward(vod, {}), "only the OAC may read"),
        ):
            print(f"  {who:<36} {answer.status} ({answer.cause}): expected, {why}")
            if answer.status != 403:
                refusals.append(who)

    story.step(
        "7. Create stack; after WAF's 5 minutes a manifest needs the token and the bucket refuses all but CloudFront",
        create_and_try_the_locks,
        lambda: not refusals,
    )
    story.step(
        "8. Stage the next token (NextRotationId 2): MediaTailor still sends the current one",
        lambda: example.update(example.custom_properties(NextRotationId="2")),
        lambda: True,
    )

    def wait_then_promote() -> None:
        example.wait_for_waf()
        example.update(example.custom_properties(RotationId="2", NextRotationId="2"))
        example.wait_for_waf()

    def one_step_rotation() -> None:
        example.update(example.custom_properties(RotationId="3"))
        example.wait_for_waf()

    story.step(
        "9. Wait 5 minutes for WAF, then promote (RotationId 2): every edge already accepts it",
        wait_then_promote,
        lambda: True,
    )
    story.step(
        "10. For contrast, a one-step rotation (RotationId 3): refused until WAF has the new rule",
        one_step_rotation,
        lambda: True,
        refused=("Update OriginAccessToken", "Update OriginTokenCheck", "waiting"),
        why="MediaTailor sends token 3 before the rule group knows it, and WAF then propagates for up to 5 minutes",
    )
    story.step("11. Delete stack", example.delete, lambda: True)
    demo.failures.extend(story.failures)


class _Phases:
    """Part 3's printing: one line per operation (what the provider answered, then whether
    playback works), one-minute ticks summarised, the provider's calls per phase."""

    def __init__(self, demo: Demo, example: MediaPackageExample) -> None:
        self.demo, self.example, self.clock = demo, example, example.clock
        self.shown: list[Step] = []
        self.answered: dict[str, str] = {}
        example.on_step = self.on_step
        example.on_response = self.on_response

    def on_step(self, step: Step) -> None:
        self.shown.append(step)
        if not step.after.startswith("waiting"):
            provider = self.answered.pop(step.after, "")
            said = f"provider answered {provider}; " if provider else ""
            print(f"  {self.clock}  {step.after:<36} {said}then playback: {'plays' if step.ok else 'refused'}")
            _print_playback(step)

    def on_response(self, label: str, response: Response) -> None:
        self.answered[label] = response.status
        if response.status != "SUCCESS" or "Delete" in label:
            print(f"  {self.clock}  {label:<36} provider answered {response.status}")

    def phase(self, title: str, action: Callable[[], object], *, refused: str = "") -> None:
        """``refused``: why refused playback is the point of this phase ("" if it must play)."""
        print(f"\n== {title} ".ljust(STEP_WIDTH, "="))
        self.demo.local.proxy.clear()
        first = len(self.shown)
        action()
        waited = [s for s in self.shown[first:] if s.after.startswith("waiting")]
        if waited:
            bad = [s for s in waited if not s.ok]
            print(f"  {len(waited)} ticks of one minute, a viewer playing at each: {len(waited) - len(bad)} played")
            for step in bad[:1]:
                _print_playback(step)
        counted = self.demo.calls()
        summary = ", ".join(f"{name} x{count}" for name, count in sorted(counted.items())) or "none"
        print(f"  AWS calls by the provider in this phase: {sum(counted.values())} ({summary})")
        if any(not s.ok for s in self.shown[first:]) is not bool(refused):
            self.demo.failures.append(title)
            print("  -> NOT AS EXPECTED")
        else:
            print(f"  -> as expected{': ' + refused if refused else ''}")

    def wait(self, minutes: int) -> Callable[[], None]:
        return lambda: self.example.wait(minutes * 60, tick=60)

    def stage(self, rotation: str, *, after_minutes: int = 0) -> None:
        self.wait(after_minutes)()
        self.example.refresh_right_now()  # the worst moment for MediaPackage to have read its secret
        self.example.deploy(NextRotationId=rotation)

    def promote(self, rotation: str, *, after_minutes: int, then_minutes: int) -> None:
        self.wait(after_minutes)()
        self.example.deploy(RotationId=rotation)
        self.wait(then_minutes)()


def _mediapackage_rotation(demo: Demo) -> None:
    """Part 3: examples/mediapackage-cdn-authorization.yaml on the simulated clock. MediaPackage
    v1 caches its secret for 10 minutes: a promotion 5 minutes after staging is refused, one 10
    minutes after plays for MediaTailor and the viewer."""
    print(f"\n\nPart 3: MediaPackage v1 rotation on a simulated clock, {V1_EXAMPLE.relative_to(V1_EXAMPLE.parents[1])}")
    print("MediaPackage caches its secret for 10 minutes; the CDN deploys a change over 5 minutes.")
    example = MediaPackageExample(
        CloudFormation(demo.invoke, demo.local.listener).new_stack("media-package"),
        demo.mediatailor,
        demo.distribution,
        SimulatedClock(),
        demo.kms,
        demo.secretsmanager,
        V1_EXAMPLE,
        {"DeployerPrincipalArn": DEPLOYER, "ChannelId": "live", "SourceLocationName": "mediapackage-demo"},
    )
    phases = _Phases(demo, example)
    phases.phase("12. Create stack: two secrets, endpoint, distribution, source location", example.deploy)
    phases.phase("13. Stage NextRotationId 2: MediaPackage's secret learns it first", lambda: phases.stage("2"))
    phases.phase(
        "14. Promote 5 minutes after staging: refused until MediaPackage's cache expires at t=10:00",
        lambda: phases.promote("2", after_minutes=5, then_minutes=4),
        refused="MediaTailor and the CDN send identifier 2 while MediaPackage's 10-minute cache holds only 1",
    )
    phases.phase("15. From t=10:00 MediaPackage's cache holds the promoted identifier: plays again", phases.wait(2))
    phases.phase(
        "16. Stage NextRotationId 3 once the distribution is deployed", lambda: phases.stage("3", after_minutes=5)
    )
    phases.phase(
        "17. Wait the documented 10 minutes, then promote: MediaTailor and the CDN switch",
        lambda: phases.promote("3", after_minutes=10, then_minutes=5),
    )
    phases.phase("18. Delete stack", example.delete)


def _print_playback(step: Step) -> None:
    manifest = step.playback.manifest
    print(f"  {'':<44} MediaTailor's manifest request: {manifest.status} ({manifest.cause})")
    for answer in step.playback.segments:
        print(f"  {'':<44} viewer's segment via the CDN: {answer.status} ({answer.cause})")


def main() -> int:
    """Everything runs on 127.0.0.1; the temporary folder (the emulator's state, the listener's
    TLS key, the provider's logs) is removed at exit."""
    workdir = Path(tempfile.mkdtemp(prefix="access-token-secret-demo-"))
    try:
        local = start_local_aws(workdir)
        servers = [OriginServer().start() for _ in range(3)]
        log_path = workdir / "provider-output.jsonl"
        try:
            with open(log_path, "w") as provider_output:
                return _run(local, servers, provider_output, log_path)
        finally:
            for server in servers:
                server.stop()
            local.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(local: Any, servers: list[OriginServer], provider_output: Any, log_path: Path) -> int:
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
    origin, distribution, bucket = servers
    demo = Demo(local, invoke, mediatailor, kms, secretsmanager, origin, distribution, bucket)
    print(
        f"Emulator: moto on {local.emulator.url}; CloudFormation responses to https://127.0.0.1:{local.listener.port}"
    )
    print(f"Provider logs and metric records: {log_path} (removed at exit, with the listener's TLS key)")
    _lifecycle(demo)
    _zero_downtime_rotation(demo)
    _mediapackage_rotation(demo)
    leftovers = secretsmanager.list_secrets(IncludePlannedDeletion=False)["SecretList"]
    print(f"\nSecrets left that are not scheduled for deletion: {len(leftovers)}")
    if leftovers:
        demo.failures.append("leftover secrets")
    if demo.failures:
        print(f"FAILED steps: {', '.join(demo.failures)}")
        return 1
    print("Every step did what it says: MediaTailor could fetch and viewers could play after every resource")
    print("operation, except where a step shows on purpose the window that staging and the documented waits")
    print("remove: step 2 (the origin learns a token only once it exists), step 10 (a one-step rotation behind")
    print("WAF) and step 14 (a promotion inside MediaPackage's 10-minute cache).")
    return 0


def _lifecycle(demo: Demo) -> None:
    """Part 1: examples/source-location-generated-token.yaml before a self-managed origin whose
    operator adds each token once it exists."""
    origin, mediatailor = demo.origin, demo.mediatailor
    stack = CloudFormation(demo.invoke, demo.local.listener).new_stack("media-origin")
    example = ExampleStack.with_example_key(stack, mediatailor, origin, demo.kms, {"DeployerPrincipalArn": DEPLOYER})
    story = demo.story(example)
    accepted: set[str] = set()

    def operator_follows_the_secret() -> None:
        """The origin's operator adds the token the secret holds now."""
        if example.location is not None:
            accepted.add(demo_token(demo, example.location.secret_arn, example.location.secret_string_key))
            origin.accept(header_names=[example.location.header_name], tokens=accepted)

    print(f"\nPart 1: Origin: {origin.base_url} (accepts only the tokens its operator added)")
    print(f"Stack: {EXAMPLE.relative_to(EXAMPLE.parents[1])}, its KMS key made with the example's key policy")

    def arn() -> str:
        return example.stack.resources[CUSTOM].physical_id

    example.before_check = operator_follows_the_secret
    story.step(
        "1. Create stack: secret, source location (MediaTailor's grant), VOD source", example.create, lambda: True
    )
    first_arn, first_token = arn(), set(accepted)

    example.before_check = None  # from here on the operator acts only when the demo says so

    def rotate_then_the_operator_adds_the_token() -> None:
        example.update(example.custom_properties(RotationId="2"))
        operator_follows_the_secret()  # token 2 exists only now: the operator can add it
        example.check_now("the operator adds token 2 to the origin")

    story.step(
        "2. Rotate the token (RotationId 1 -> 2): refused until the operator adds the new token",
        rotate_then_the_operator_adds_the_token,
        lambda: arn() == first_arn and origin.last_token() not in first_token,
        refused=("Update OriginAccessToken",),
        why="MediaTailor sends token 2 before the origin's operator could know it (staging removes this window)",
    )
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
    demo.failures.extend(story.failures)


def demo_token(demo: Demo, arn: str, key: str) -> str:
    value = demo.secretsmanager.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
    return str(json.loads(value)[key])


if __name__ == "__main__":
    sys.exit(main())
