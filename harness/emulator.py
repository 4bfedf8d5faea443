"""moto in server mode, as a child process on 127.0.0.1: real HTTP for real boto3 clients
(started through :mod:`harness.moto_server`, which corrects one documented divergence)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .account import ACCOUNT as FAKE_ACCOUNT  # noqa: F401 - the name older tests import

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Emulator:
    def __init__(self, workdir: Path | None = None) -> None:
        self.port = free_port()
        self._workdir = workdir or Path(tempfile.mkdtemp(prefix="moto-"))
        self._workdir.mkdir(parents=True, exist_ok=True)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Emulator:
        env = dict(os.environ)
        env["MOTO_RECORDER_FILEPATH"] = str(self._workdir / "moto-recording.jsonl")
        log = open(self._workdir / "moto.log", "wb")  # noqa: SIM115 - lives as long as the child
        self._process = subprocess.Popen(
            [sys.executable, "-m", "harness.moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,  # harness.moto_server is imported from here
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto server exited; see {self._workdir / 'moto.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start in time")

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def seed(self, value: int) -> None:
        """Seed moto's random IDs: after a reset, its first KMS key then always gets one ARN."""
        request = urllib.request.Request(f"{self.url}/moto-api/seed?a={value}", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
