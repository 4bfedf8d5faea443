"""The Lambda context object the runtime passes to a handler (same attributes, real clock)."""

from __future__ import annotations

import time
import uuid

from .account import ACCOUNT, REGION, make_arn

# The provider function as SAM names it (<stack>-<logical id>-<suffix>). CloudFormation invokes
# the function its ServiceToken names, so the harness's ServiceToken is this ARN too.
FUNCTION_NAME = "mediatailor-access-token-secret-ProviderFunction-AbCdEf123456"


def function_arn(region: str = REGION, account: str = ACCOUNT, name: str = FUNCTION_NAME) -> str:
    return make_arn("lambda", f"function:{name}", region=region, account=account)


class LambdaContext:
    def __init__(self, timeout_s: float = 60.0, function_name: str = FUNCTION_NAME) -> None:
        self._deadline = time.monotonic() + timeout_s
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = function_arn(name=function_name)
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)
