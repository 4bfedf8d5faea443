"""Invoke the handler of a built Lambda artifact, the way the Lambda runtime would.

Usage: ``python -m harness.run_artifact <artifact dir>`` with the event as JSON on stdin.
The artifact directory goes first on ``sys.path`` (as ``/var/task`` does in Lambda); boto3
comes from the interpreter, as the Lambda runtime provides it. Prints the handler module's
file so the caller can check which code ran.
"""

from __future__ import annotations

import importlib
import json
import sys

from harness.lambda_context import LambdaContext


def main() -> None:
    artifact = sys.argv[1]
    sys.path.insert(0, artifact)
    handler_module = importlib.import_module("access_token_secret.adapter.handler")
    event = json.load(sys.stdin)
    handler_module.lambda_handler(event, LambdaContext(timeout_s=float(sys.argv[2]) if len(sys.argv) > 2 else 60.0))
    print(json.dumps({"handler_file": handler_module.__file__}), file=sys.stderr)


if __name__ == "__main__":
    main()
