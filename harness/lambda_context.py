"""The Lambda context object the runtime passes to a handler (same attributes, real clock).

A Powertools ``LambdaContext``, the type the handler is annotated with; its properties read the
underscored attributes set here."""

from __future__ import annotations

import time
import uuid

from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext

from .account import ACCOUNT, REGION, make_arn

# The provider function as SAM names it (<stack>-<logical id>-<suffix>). CloudFormation invokes
# the function its ServiceToken names, so the harness's ServiceToken is this ARN too.
FUNCTION_NAME = "mediatailor-access-token-secret-ProviderFunction-AbCdEf123456"


def function_arn(region: str = REGION, account: str = ACCOUNT, name: str = FUNCTION_NAME) -> str:
    return make_arn("lambda", f"function:{name}", region=region, account=account)


class LambdaContext(PowertoolsLambdaContext):
    def __init__(self, timeout_s: float = 60.0, function_name: str = FUNCTION_NAME) -> None:
        self._deadline = time.monotonic() + timeout_s
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._memory_limit_in_mb = 128
        self._aws_request_id = str(uuid.uuid4())
        self._invoked_function_arn = function_arn(name=function_name)
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]  # the base's is a static stub
        return max(int((self._deadline - time.monotonic()) * 1000), 0)
