"""A long-lived process that behaves like one Lambda execution environment.

It imports the handler once (from a built artifact when given, so its cold start is the
artifact's), then reads one event per line on stdin and invokes the handler, answering ``ok``
on stdout. At end of input it prints its peak RSS. :class:`WorkerPool` drives several of them,
like concurrent Lambda environments.
"""

from __future__ import annotations

import json
import os
import queue
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    artifact = sys.argv[1] if len(sys.argv) > 1 else ""
    sys.path.insert(0, artifact or str(ROOT / "functions"))
    from access_token_secret.adapter.handler import lambda_handler

    from harness.lambda_context import LambdaContext

    print("ready", flush=True)
    for line in sys.stdin:
        lambda_handler(json.loads(line), LambdaContext(timeout_s=120))
        print("ok", flush=True)
    print(json.dumps({"max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)


class Worker:
    def __init__(self, artifact: Path | None, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness.worker", str(artifact or "")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert self.process.stdout is not None
        while (line := self.process.stdout.readline()) and line.strip() != "ready":
            pass
        if not line:
            raise RuntimeError("worker exited before it was ready")

    def invoke(self, event: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(event) + "\n")
        self.process.stdin.flush()
        while (line := self.process.stdout.readline()) and line.strip() != "ok":
            pass

    def close(self) -> int:
        """End the worker; its peak RSS in KiB."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        peak = 0
        for line in self.process.stdout:
            if line.startswith('{"max_rss_kb"'):
                peak = int(json.loads(line)["max_rss_kb"])
        self.process.wait(timeout=30)
        return peak


class WorkerPool:
    """``invoke`` runs each event on whichever worker is free (at most ``size`` at once)."""

    def __init__(self, size: int, artifact: Path | None = None) -> None:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        env["PYTHONPATH"] = str(ROOT)
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # Lambda's file system is read-only
        self.workers = [Worker(artifact, env) for _ in range(size)]
        self._free: queue.Queue[Worker] = queue.Queue()
        for worker in self.workers:
            self._free.put(worker)

    def invoke(self, event: dict[str, Any]) -> None:
        worker = self._free.get()
        try:
            worker.invoke(event)
        finally:
            self._free.put(worker)

    def close(self) -> list[int]:
        return [worker.close() for worker in self.workers]


if __name__ == "__main__":
    main()
