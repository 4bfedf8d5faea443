"""``make bench``: what the provider costs, against budgets close to the least the job needs.

Prints a table, writes it to docs/performance.md with the machine it ran on, and exits 1 if a
budget is missed. Everything runs on loopback: moto, the recording proxy (which counts AWS calls
at the HTTP level, retries included) and the HTTPS response listener.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "functions")]

from harness.cloudformation import CloudFormation, Stack  # noqa: E402
from harness.environment import REGION, LocalAws, start_local_aws  # noqa: E402
from harness.faults import Fault  # noqa: E402
from harness.lambda_context import LambdaContext  # noqa: E402
from harness.worker import WorkerPool  # noqa: E402

ARTIFACT = ROOT / ".aws-sam" / "build" / "ProviderFunction"
REPEAT = int(os.environ.get("BENCH_REPEAT", "9"))
RUNTIME_PROVIDED = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil", "six.py")


@dataclass
class Row:
    measure: str
    value: str
    budget: str
    ok: bool | None


ROWS: list[Row] = []


def record(measure: str, value: str, budget: str = "", ok: bool | None = None) -> None:
    ROWS.append(Row(measure, value, budget, ok))
    mark = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"{measure:<52} {value:<28} {budget:<14}{mark}", flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- AWS calls and latency ------------------------------------------------------------------


def _props(key: str, **extra: Any) -> dict[str, Any]:
    return {"KmsKeyId": key, "SecretStringKey": "MyAccessTokenIdentifier", **extra}


def measure_calls_and_latency(local: LocalAws, key: str) -> None:
    from access_token_secret.adapter.handler import lambda_handler

    timings: dict[str, list[float]] = {}

    def invoke(event: dict[str, Any]) -> None:
        started = time.perf_counter()
        lambda_handler(event, LambdaContext())
        label = event["RequestType"] + ("" if event["RequestType"] != "Update" else f" {event['_bench']}")
        timings.setdefault(label, []).append(time.perf_counter() - started)

    cloud = CloudFormation(invoke, local.listener, region=REGION)
    calls: dict[str, list[int]] = {}

    def counted(label: str, action: Callable[[], object]) -> None:
        local.proxy.clear()
        action()
        calls.setdefault(label, []).append(len(local.proxy.recorder.calls))

    for run in range(REPEAT):
        stack = cloud.new_stack(f"bench-{run}")
        counted("Create", partial(stack.create, "Token", _props(key, AccessToken="bench-token-0001")))
        for label, props in (
            ("Update (new token)", _props(key, AccessToken="bench-token-0002")),
            ("Update (nothing changed)", _props(key, AccessToken="bench-token-0002", HeaderName="X-Bench")),
        ):
            counted(label, partial(_update, stack, props, label))
        counted("Delete", partial(stack.delete, "Token"))

    budgets = {"Create": 3, "Update (new token)": 4, "Update (nothing changed)": 3, "Delete": 2}
    for label, budget in budgets.items():
        value = median([float(c) for c in calls[label]])
        record(f"AWS calls: {label}", f"{value:.0f}", f"<= {budget}", value <= budget)
    baseline = measure_baseline_latency(local, key)
    for label, base_label in (
        ("Create", "Create"),
        ("Update new token", "Update (new token)"),
        ("Update unchanged", "Update (nothing changed)"),
        ("Delete", "Delete"),
    ):
        ours = median(timings[label])
        base = median(baseline[base_label])
        record(
            f"Latency: {base_label} (handler / direct boto3)",
            f"{ours * 1000:.1f} / {base * 1000:.1f} ms = {ours / base:.2f}x",
            "<= 1.30x",
            ours / base <= 1.30,
        )
    delete_ms = median(timings["Delete"]) * 1000
    record("Latency: Delete answered in", f"{delete_ms:.1f} ms", "< 1000 ms", delete_ms < 1000)


def _update(stack: Stack, props: dict[str, Any], label: str) -> None:
    short = "new token" if "new token" in label else "unchanged"
    stack.send(
        "Update",
        "Token",
        props,
        physical_id=stack.resources["Token"].physical_id,
        old_properties=stack.resources["Token"].properties,
        event_overrides={"_bench": short},
    )
    stack.resources["Token"].properties = props


def measure_baseline_latency(local: LocalAws, key: str) -> dict[str, list[float]]:
    """The same minimal calls made straight with boto3, through the same proxy."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=REGION)
    config = Config(retries={"mode": "standard", "total_max_attempts": 6})
    sm = session.client("secretsmanager", endpoint_url=local.proxy.url, config=config)
    kms = session.client("kms", endpoint_url=local.proxy.url, config=config)
    out: dict[str, list[float]] = {}

    def timed(label: str, work: Callable[[], object]) -> None:
        started = time.perf_counter()
        work()
        out.setdefault(label, []).append(time.perf_counter() - started)

    for run in range(REPEAT):
        name = f"mediatailor/baseline-{run}"
        arn_box: dict[str, str] = {}

        def create(n: str = name, box: dict[str, str] = arn_box) -> None:
            kms.describe_key(KeyId=key)
            box["arn"] = sm.create_secret(Name=n, KmsKeyId=key, SecretString='{"k":"bench-token-0001"}')["ARN"]
            sm.put_resource_policy(SecretId=box["arn"], ResourcePolicy='{"Version":"2012-10-17","Statement":[]}')

        def update(token: str, box: dict[str, str] = arn_box) -> None:
            kms.describe_key(KeyId=key)
            sm.describe_secret(SecretId=box["arn"])
            if token:
                sm.put_secret_value(SecretId=box["arn"], SecretString=json.dumps({"k": token}))
            sm.put_resource_policy(SecretId=box["arn"], ResourcePolicy='{"Version":"2012-10-17","Statement":[]}')

        def delete(box: dict[str, str] = arn_box) -> None:
            sm.describe_secret(SecretId=box["arn"])
            sm.delete_secret(SecretId=box["arn"], RecoveryWindowInDays=7)

        timed("Create", create)
        timed("Update (new token)", lambda: update("bench-token-0002"))
        timed("Update (nothing changed)", lambda: update(""))
        timed("Delete", delete)
    return out


# --- Cold start --------------------------------------------------------------------------------

_COLD_BASELINE = (
    "import time; t=time.perf_counter(); import boto3; s=boto3.session.Session(region_name='us-east-1'); "
    "s.client('secretsmanager'); s.client('kms'); print(time.perf_counter()-t)"
)
_COLD_HANDLER = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); t=time.perf_counter(); "
    "import access_token_secret.adapter.handler; print(time.perf_counter()-t)"
)


def measure_cold_start() -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    base, ours = [], []
    for _ in range(REPEAT):  # interleaved, so drift on a shared machine hits both alike
        base.append(float(subprocess.check_output([sys.executable, "-c", _COLD_BASELINE], env=env, text=True)))
        ours.append(
            float(subprocess.check_output([sys.executable, "-c", _COLD_HANDLER, str(ARTIFACT)], env=env, text=True))
        )
    ratio = median(ours) / median(base)
    record(
        "Cold start: handler import / boto3 + 2 clients",
        f"{median(ours) * 1000:.0f} / {median(base) * 1000:.0f} ms = {ratio:.2f}x",
        "<= 1.20x",
        ratio <= 1.20,
    )


# --- Memory and package --------------------------------------------------------------------------


def measure_memory(local: LocalAws, key: str) -> None:
    pool = WorkerPool(1, ARTIFACT)
    stack = CloudFormation(pool.invoke, local.listener, region=REGION).new_stack("bench-memory")
    for index in range(20):
        stack.create(f"Token{index}", _props(key, ReturnAccessToken=True))
    stack.update_stack({f"Token{i}": _props(key, RotationId="2", ReturnAccessToken=True) for i in range(20)})
    stack.delete_stack()
    peak_mb = pool.close()[0] / 1024
    record("Memory: peak RSS, 20 resources' full lifecycle", f"{peak_mb:.1f} MB", "<= 100 MB", peak_mb <= 100)


def measure_package() -> None:
    files = [path for path in ARTIFACT.rglob("*") if path.is_file()]
    size = sum(path.stat().st_size for path in files)
    with tempfile.TemporaryDirectory() as directory:
        archive = Path(directory) / "artifact.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in files:
                bundle.write(path, path.relative_to(ARTIFACT))
        zipped = archive.stat().st_size
    top = sorted(path.name for path in ARTIFACT.iterdir() if not path.name.endswith(".dist-info"))
    bundled_runtime = [name for name in top if name.startswith(RUNTIME_PROVIDED)]
    record("Package: built artifact", f"{size / 1e6:.1f} MB, zipped {zipped / 1e6:.1f} MB", "", None)
    record("Package: contents", ", ".join(top), "", None)
    record(
        "Package: runtime-provided packages bundled", ", ".join(bundled_runtime) or "none", "none", not bundled_runtime
    )


# --- Scale ---------------------------------------------------------------------------------------


def measure_scale(local: LocalAws, key: str, throttle: float) -> None:
    pool = WorkerPool(20, ARTIFACT)
    try:
        local.proxy.clear()
        if throttle:
            local.proxy.inject(Fault("*", probability=throttle))
        stack = CloudFormation(pool.invoke, local.listener, region=REGION).new_stack(
            f"bench-scale-{int(throttle * 100)}"
        )
        started = time.perf_counter()
        created = stack.create_stack({f"T{i:03d}": _props(key) for i in range(200)}, concurrency=20)
        create_s = time.perf_counter() - started
        started = time.perf_counter()
        deleted = stack.delete_stack(concurrency=20)
        delete_s = time.perf_counter() - started
        calls = len(local.proxy.recorder.calls)
        retries = sum(local.proxy.recorder.injected.values())
        ok = sum(r.ok for r in created) == 200 and all(r.ok for r in deleted)
        record(
            f"Scale: 200 resources, 20 workers, {int(throttle * 100)}% throttled",
            f"create {create_s:.1f} s, delete {delete_s:.1f} s",
            "all succeed",
            ok,
        )
        record(f"Scale: AWS calls / throttled answers ({int(throttle * 100)}%)", f"{calls} / {retries}", "", None)
    finally:
        local.proxy.clear()
        pool.close()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {system}"


def write_report(path: Path) -> None:
    lines = [
        "# Performance",
        "",
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}: {machine()}.",
        f"Medians of {REPEAT} repetitions, against moto on 127.0.0.1 (calls counted at the HTTP level).",
        "",
        "| Measure | Value | Budget | Met |",
        "|---|---|---|---|",
    ]
    for row in ROWS:
        met = "" if row.ok is None else ("yes" if row.ok else "**no**")
        lines.append(f"| {row.measure} | {row.value} | {row.budget} | {met} |")
    lines += ["", (ROOT / "docs" / "performance-notes.md").read_text().rstrip(), ""]
    path.write_text("\n".join(lines))


def main() -> int:
    if not (ARTIFACT / "access_token_secret").exists():
        print("run `make build` first", file=sys.stderr)
        return 2
    local = start_local_aws()
    try:
        import boto3

        kms = boto3.session.Session(region_name=REGION).client("kms", endpoint_url=local.emulator.url)
        key = kms.create_key(KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
        print(f"{'measure':<52} {'value':<28} {'budget':<14}")
        measure_calls_and_latency(local, key)
        measure_cold_start()
        measure_memory(local, key)
        measure_package()
        measure_scale(local, key, 0.0)
        measure_scale(local, key, 0.10)
    finally:
        local.stop()
    write_report(ROOT / "docs" / "performance.md")
    missed = [row.measure for row in ROWS if row.ok is False]
    print(f"\n{len(missed)} budget(s) missed" + (f": {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
