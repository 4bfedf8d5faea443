"""The single place where botocore exceptions become the provider's error types.

Reasons never quote request parameters (botocore's parameter validation messages can echo
values, and a value could be the token); AWS's own error message is kept, shortened, because
it says which principal lacked which permission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
_THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})
_MESSAGE_ROOM = 120


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= _MESSAGE_ROOM else message[: _MESSAGE_ROOM - 3] + "..."


def _scheduled(code: str, message: str) -> bool:
    return code == "InvalidRequestException" and (
        "scheduled for deletion" in message or "marked for deletion" in message
    )


# (matches code and lowered message, error class, Reason template); the first match wins.
_RULES: tuple[tuple[Callable[[str, str], bool], type[AwsCallError], str], ...] = (
    (
        lambda code, _: code in _ACCESS_DENIED,
        AccessDeniedError,
        "{op} was denied: give the provider's role {op} "
        "(and kms:Decrypt/GenerateDataKey on the key via Secrets Manager). AWS said: {msg}",
    ),
    (lambda code, _: code in _NOT_FOUND, NotFoundError, "{op}: not found ({msg})"),
    (lambda code, _: code == "ResourceExistsException", AlreadyExistsError, "{op}: the name is taken"),
    (_scheduled, ScheduledForDeletionError, "{op}: the secret is scheduled for deletion"),
    # Secrets Manager: a quota would be exceeded (for example versions per secret), not a rate.
    (
        lambda code, _: code == "LimitExceededException",
        AwsCallError,
        "{op} would exceed a Secrets Manager quota (LimitExceededException): {msg}",
    ),
    (
        lambda code, _: code in _THROTTLED,
        AwsCallError,
        "{op} was throttled after several retries; retry the stack operation",
    ),
)


def translate(error: ClientError, operation: str) -> AwsCallError:
    """Map an AWS error code to an error class and a Reason that says what to do."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    message = str(details.get("Message", ""))
    for matches, error_class, template in _RULES:
        if matches(code, message.lower()):
            return error_class(template.format(op=operation, msg=_short(message)), operation=operation, code=code)
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
