"""The record of the last applied operation, as tests read it back from AWS."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from access_token_secret.plan.record import APPLIED_TAG

from harness.cloudformation import Response


def signing_time(event: dict[str, Any]) -> str:
    """The event's ResponseURL's ``X-Amz-Date`` as written there (``YYYYMMDDTHHMMSSZ``)."""
    (signed,) = parse_qs(urlsplit(event["ResponseURL"]).query)["X-Amz-Date"]
    return str(signed)


def record_of(response: Response) -> str:
    """The tag value the request of ``response`` must leave: its URL's ``X-Amz-Date`` and its
    RequestId, computed here from the event, independently of the provider."""
    return f"{signing_time(response.event)} {response.event['RequestId']}"


def without_record(tags: Any) -> Any:
    """Tags as a dict or as a list of {"Key", "Value"}, without the record."""
    if isinstance(tags, dict):
        return {k: v for k, v in tags.items() if k != APPLIED_TAG}
    return [tag for tag in tags if tag["Key"] != APPLIED_TAG]
