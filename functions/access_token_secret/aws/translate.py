"""The single place where botocore exceptions become the provider's errors. Reasons never quote request
parameters (botocore's validation messages can echo values, a value could be the token); AWS's own message
is kept, shortened: it says which principal lacked which permission. Lost races are told apart here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from ..errors import AwsCallError, NotFoundError, RaceError, ScheduledForDeletionError, shorten

_ACCESS_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "KMSAccessDeniedException"})
_NOT_FOUND = frozenset({"ResourceNotFoundException", "NotFoundException"})
_THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})
_MESSAGE_ROOM = 120
_SM = "secretsmanager:"
_BAD_PARAMETER = "InvalidParameterException"
_BAD_REQUEST = "InvalidRequestException"


def _scheduled(code: str, message: str) -> bool:
    return code == _BAD_REQUEST and ("scheduled for deletion" in message or "marked for deletion" in message)


def _taken(code: str, message: str) -> bool:
    return code == "ResourceExistsException" or _scheduled(code, message)


_FAILED = "{op} failed ({code}): {msg}"
Matcher = Callable[[str, str, str], bool]  # (operation, code, lowered message)

# (matches, error class, Reason template); the first match wins. The races: CreateSecret finds
# the name taken or in its recovery window; PutSecretValue finds this request's VersionId holding
# another value, or the secret scheduled for deletion; UpdateSecretVersionStage finds the label
# moved off the version the plan saw; DeleteSecret finds the secret already scheduled, and
# TagResource (the record, just before DeleteSecret) finds it scheduled or gone.
_RULES: tuple[tuple[Matcher, type[AwsCallError], str], ...] = (
    (
        lambda _, code, __: code in _ACCESS_DENIED,
        AwsCallError,
        "{op} was denied: give the provider's role {op} "
        "(and kms:Decrypt/GenerateDataKey on the key via Secrets Manager). AWS said: {msg}",
    ),
    (
        lambda op, code, msg: op == _SM + "TagResource" and (code in _NOT_FOUND or _scheduled(code, msg)),
        RaceError,
        _FAILED,
    ),
    (lambda _, code, __: code in _NOT_FOUND, NotFoundError, "{op}: not found ({msg})"),
    (lambda op, code, msg: op == _SM + "CreateSecret" and _taken(code, msg), RaceError, "{op}: the name is taken"),
    (lambda op, code, msg: op == _SM + "PutSecretValue" and _taken(code, msg), RaceError, _FAILED),
    (lambda op, code, _: op == _SM + "UpdateSecretVersionStage" and code == _BAD_PARAMETER, RaceError, _FAILED),
    (lambda op, code, _: op == _SM + "DeleteSecret" and code == _BAD_REQUEST, RaceError, _FAILED),
    (
        lambda _, code, msg: _scheduled(code, msg),
        ScheduledForDeletionError,
        "{op}: the secret is scheduled for deletion",
    ),
    # Secrets Manager: a quota would be exceeded (for example versions per secret), not a rate.
    (
        lambda _, code, __: code == "LimitExceededException",
        AwsCallError,
        "{op} would exceed a Secrets Manager quota (LimitExceededException): {msg}",
    ),
    (
        lambda _, code, __: code in _THROTTLED,
        AwsCallError,
        "{op} was throttled after several retries; retry the stack operation",
    ),
    (lambda _, __, ___: True, AwsCallError, _FAILED),
)


def translate(error: ClientError, operation: str) -> AwsCallError:
    """Map an AWS error code to an error class and a Reason that says what to do."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    message = str(details.get("Message", ""))
    error_class, template = next((c, t) for matches, c, t in _RULES if matches(operation, code, message.lower()))
    reason = template.format(op=operation, code=code, msg=shorten(message, _MESSAGE_ROOM))
    return error_class(reason, operation=operation, code=code)


@contextmanager
def aws_call(operation: str) -> Iterator[None]:
    """Run one AWS call; any botocore failure leaves as an :class:`AwsCallError`."""
    try:
        yield
        return
    except ClientError as error:
        raise translate(error, operation) from None
    except ParamValidationError:
        reason, code = f"{operation} was rejected before sending: a parameter is out of range", "ParamValidation"
    except BotoCoreError as error:
        code = type(error).__name__
        reason = f"{operation} could not be completed ({code}); retry the stack operation"
    raise AwsCallError(reason, operation=operation, code=code) from None
