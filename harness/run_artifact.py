"""Invoke the handler of a built Lambda artifact, the way the Lambda runtime would.

Usage: ``python -m harness.run_artifact <artifact dir>`` with the event as JSON on stdin.
The artifact directory goes first on ``sys.path`` (as ``/var/task`` does in Lambda); boto3
comes from the interpreter, as the Lambda runtime provides it. Prints the handler module's
file so the caller can check which code ran.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.lambda_context import LambdaContext


def main() -> None:
    artifact = sys.argv[1]
    sys.path.insert(0, artifact)
    handler_module = importlib.import_module("access_token_secret.adapter.handler")
    event = json.load(sys.stdin)
    handler_module.lambda_handler(event, LambdaContext(timeout_s=float(sys.argv[2]) if len(sys.argv) > 2 else 60.0))
    print(json.dumps({"handler_file": handler_module.__file__}), file=sys.stderr)


def invoke_in_process_of_its_own(code_dir: Path, event: dict[str, Any], **environment: str) -> str:
    """Run the handler found in ``code_dir`` in a fresh interpreter, like a cold Lambda
    environment; returns the file the handler module was loaded from."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"} | environment
    done = subprocess.run(
        [sys.executable, "-m", "harness.run_artifact", str(code_dir)],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        timeout=120,
        check=True,
    )
    return str(json.loads(done.stderr.strip().splitlines()[-1])["handler_file"])


if __name__ == "__main__":
    main()
