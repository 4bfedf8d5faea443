"""Sample events from ``events/`` (what CloudFormation sends), loaded fresh for each test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.listener import response_path

EVENTS = Path(__file__).resolve().parents[2] / "events"
KEY_FIELDS = ("StackId", "LogicalResourceId", "RequestId")


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """The sample event, with ``overrides``; a changed StackId, LogicalResourceId or RequestId
    moves the ResponseURL's key with it, as CloudFormation's URL always names its request."""
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    event.update(overrides)
    if set(KEY_FIELDS) & set(overrides) and "ResponseURL" not in overrides:
        parts = urlsplit(event["ResponseURL"])
        path = response_path(*(str(event[field]) for field in KEY_FIELDS))
        event["ResponseURL"] = urlunsplit(parts._replace(path=path))
    return event
