"""The custom resource request envelope: checked before anything trusts it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

REQUEST_TYPES: Final = ("Create", "Update", "Delete")
_REQUIRED: Final = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId")


@dataclass(frozen=True)
class Envelope:
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


def service_timeout_of(properties: object) -> float | None:
    """``ServiceTimeout`` (1-3600 s): how long CloudFormation waits for this answer.

    An unreadable value is ``None`` here; the properties model reports it as invalid.
    """
    value = properties.get("ServiceTimeout") if isinstance(properties, Mapping) else None
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return float(text) if text.isdigit() and 1 <= int(text) <= 3600 else None


def response_url_of(event: object) -> str:
    return _text(event, "ResponseURL") if isinstance(event, Mapping) else ""


def envelope_problem(event: object) -> str | None:
    """Why the event cannot be processed, in words fit for ``Reason``; ``None`` if it can."""
    if not isinstance(event, Mapping):
        return "Malformed request: the event is not a JSON object"
    missing = [name for name in _REQUIRED if not _text(event, name)]
    if missing:
        return f"Malformed request: missing or empty {', '.join(missing)}"
    if event["RequestType"] not in REQUEST_TYPES:
        return "Malformed request: RequestType must be Create, Update or Delete"
    if event["RequestType"] != "Create" and not _text(event, "PhysicalResourceId"):
        return f"Malformed request: {event['RequestType']} without PhysicalResourceId"
    if not isinstance(event.get("ResourceProperties", {}), Mapping):
        return "Malformed request: ResourceProperties must be an object"
    return None


def parse_envelope(event: Mapping[str, object]) -> Envelope:
    """Only after :func:`envelope_problem` returned ``None``."""
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
