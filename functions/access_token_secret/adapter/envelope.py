"""The custom resource request envelope: checked before anything trusts it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

REQUEST_TYPES: Final = ("Create", "Update", "Delete")
_REQUIRED: Final = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId")
_ARN = r"arn:(?P<partition>aws[a-z-]*):{service}:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):"
_STACK_ARN = re.compile(_ARN.format(service="cloudformation") + r"stack/[^/]+/.+")
_FUNCTION_ARN = re.compile(_ARN.format(service="lambda") + r"function:[^:]+")
NOT_ADDRESSED: Final = "Request not addressed to this provider"
# Keys of crhelper's polling mode, which it trusts: with CrHelperPoll it would answer SUCCESS with
# no work (no poll function is registered), CrHelperData would become the response's Data.
CRHELPER_KEYS: Final = ("CrHelperPoll", "CrHelperPermission", "CrHelperRule", "CrHelperData")


@dataclass(frozen=True)
class Envelope:
    """The request's fields, read only once :func:`envelope_problem` found nothing wrong."""

    request_type: str
    response_url: str
    stack_id: str
    request_id: str
    logical_id: str
    physical_id: str
    properties: object
    old_properties: object


def _text(event: Mapping[str, object], name: str) -> str:
    value = event.get(name)
    return value if isinstance(value, str) else ""


def response_url_of(event: object) -> str:
    return _text(event, "ResponseURL") if isinstance(event, Mapping) else ""


def envelope_problem(event: object) -> str | None:
    """Why the event cannot be processed, in words fit for ``Reason``; ``None`` if it can."""
    if not isinstance(event, Mapping):
        return "Malformed request: the event is not a JSON object"
    return next(_problems(event), None)


def _problems(event: Mapping[str, object]) -> Iterator[str]:
    """In order; each check may assume the ones before it passed (only the first is taken)."""
    missing = [name for name in _REQUIRED if not _text(event, name)]
    if missing:
        yield f"Malformed request: missing or empty {', '.join(missing)}"
    if any(key in event for key in CRHELPER_KEYS):
        yield "Malformed request: it carries crhelper's polling keys, and this provider does not poll"
    if event["RequestType"] not in REQUEST_TYPES:
        yield "Malformed request: RequestType must be Create, Update or Delete"
    if event["RequestType"] != "Create" and not _text(event, "PhysicalResourceId"):
        yield f"Malformed request: {event['RequestType']} without PhysicalResourceId"
    if not isinstance(event.get("ResourceProperties", {}), Mapping):
        yield "Malformed request: ResourceProperties must be an object"


def destination_problem(event: Mapping[str, object], invoked_function_arn: object) -> str | None:
    """Why a well-formed request was not meant for this function, or ``None``. Anyone allowed to invoke it
    can send any event, so it must name this function (any alias or version) as ``ServiceToken``, and a
    stack of the function's account, Region and partition: ownership tags are compared with that stack."""
    mine = _FUNCTION_ARN.match(invoked_function_arn) if isinstance(invoked_function_arn, str) else None
    theirs = _FUNCTION_ARN.match(_text(event, "ServiceToken"))
    if mine is None or theirs is None or theirs[0] != mine[0]:
        return f"{NOT_ADDRESSED}: its ServiceToken names another function"
    stack = _STACK_ARN.fullmatch(_text(event, "StackId"))
    where = ("partition", "region", "account")
    if stack is None or [stack[part] for part in where] != [mine[part] for part in where]:
        return f"{NOT_ADDRESSED}: its StackId is not a stack of this account and Region"
    return None


def parse_envelope(event: Mapping[str, object]) -> Envelope:
    return Envelope(
        request_type=_text(event, "RequestType"),
        response_url=_text(event, "ResponseURL"),
        stack_id=_text(event, "StackId"),
        request_id=_text(event, "RequestId"),
        logical_id=_text(event, "LogicalResourceId"),
        physical_id=_text(event, "PhysicalResourceId"),
        properties=event.get("ResourceProperties", {}),
        old_properties=event.get("OldResourceProperties", {}),
    )
