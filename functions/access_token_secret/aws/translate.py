"""The single place where botocore exceptions become the provider's error types.

Reasons never quote request parameters (botocore's parameter validation messages can echo
values, and a value could be the token); AWS's own error message is kept, shortened, because
it says which principal lacked which permission.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from ..errors import (
    AccessDeniedError,
    AlreadyExistsError,
    AwsCallError,
    NotFoundError,
    ScheduledForDeletionError,
)

_ACCESS_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "KMSAccessDeniedException"})
_NOT_FOUND = frozenset({"ResourceNotFoundException", "NotFoundException"})
_THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "LimitExceededException"})
_MESSAGE_ROOM = 120


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= _MESSAGE_ROOM else message[: _MESSAGE_ROOM - 3] + "..."


def translate(error: ClientError, operation: str) -> AwsCallError:
    """Map an AWS error code to an error class and a Reason that says what to do."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    message = str(details.get("Message", ""))
    lowered = message.lower()
    if code in _ACCESS_DENIED:
        return AccessDeniedError(
            f"{operation} was denied: give the provider's role {operation} "
            f"(and kms:Decrypt/GenerateDataKey on the key via Secrets Manager). AWS said: {_short(message)}",
            operation=operation,
            code=code,
        )
    if code in _NOT_FOUND:
        return NotFoundError(f"{operation}: not found ({_short(message)})", operation=operation, code=code)
    if code == "ResourceExistsException":
        return AlreadyExistsError(f"{operation}: the name is taken", operation=operation, code=code)
    if code == "InvalidRequestException" and ("scheduled for deletion" in lowered or "marked for deletion" in lowered):
        return ScheduledForDeletionError(
            f"{operation}: the secret is scheduled for deletion", operation=operation, code=code
        )
    if code in _THROTTLED:
        return AwsCallError(
            f"{operation} was throttled after several retries; retry the stack operation",
            operation=operation,
            code=code,
        )
    return AwsCallError(f"{operation} failed ({code}): {_short(message)}", operation=operation, code=code)


@contextmanager
def aws_call(operation: str) -> Iterator[None]:
    """Run one AWS call; any botocore failure leaves as an :class:`AwsCallError`."""
    try:
        yield
    except ClientError as error:
        raise translate(error, operation) from None
    except ParamValidationError:
        raise AwsCallError(
            f"{operation} was rejected before sending: a parameter is out of range",
            operation=operation,
            code="ParamValidation",
        ) from None
    except BotoCoreError as error:
        raise AwsCallError(
            f"{operation} could not be completed ({type(error).__name__}); retry the stack operation",
            operation=operation,
            code=type(error).__name__,
        ) from None
