"""How long CloudFormation still waits for an answer. A throttled event may wait in Lambda's queue up to
``MaximumEventAgeInSeconds``, but CloudFormation stops waiting ``ServiceTimeout`` seconds (1-3600, default
3600) after it signed the ``ResponseURL``: SigV4 names the signing time (``X-Amz-Date``) and the validity
(``X-Amz-Expires``; S3 API Reference, "Authenticating Requests: Using Query Parameters"), SigV2 only the
expiry (``Expires``, epoch seconds). A request past either moment is stale: refused without an AWS call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import parse_qs, urlsplit

MIN_SERVICE_TIMEOUT_S, MAX_SERVICE_TIMEOUT_S, DEFAULT_SERVICE_TIMEOUT_S = 1, 3600, 3600
SERVICE_TIMEOUT_PROBLEM: Final = "Invalid properties: ServiceTimeout must be a whole number from 1 to 3600"
_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,12}")
# A signing time further ahead than this is no clock skew: it orders nothing (see ``Wait``).
MAX_CLOCK_SKEW: Final = timedelta(minutes=5)


def _whole(text: str | None) -> int | None:
    return int(text) if text is not None and _WHOLE_NUMBER.fullmatch(text.strip()) else None


def url_times(url: str) -> tuple[datetime | None, datetime | None]:
    """When CloudFormation signed ``url`` and when the URL stops working; ``None`` for what it
    does not say (SigV2 names no signing time; the hand-made URL ``sam local`` sends, neither).
    A repeated query parameter is not CloudFormation's: its first value is read."""
    try:
        query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    except ValueError:
        return None, None
    try:
        signed = datetime.strptime(query.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        signed = None
    valid_s, expires = _whole(query.get("X-Amz-Expires")), _whole(query.get("Expires"))
    try:
        if signed is not None and valid_s is not None:
            return signed, signed + timedelta(seconds=valid_s)
        return signed, datetime.fromtimestamp(expires, UTC) if expires is not None else None
    except (OverflowError, OSError, ValueError):
        return signed, None


def service_timeout(properties: object) -> int | None:
    """``ServiceTimeout``, a whole number from 1 to 3600 as a number or a string (CloudFormation
    passes strings); the default when absent, ``None`` when unreadable."""
    raw = properties.get("ServiceTimeout") if isinstance(properties, Mapping) else None
    if raw is None:
        return DEFAULT_SERVICE_TIMEOUT_S
    number = None if isinstance(raw, bool) else _whole(str(raw)) if isinstance(raw, (int, str)) else None
    return number if number is not None and MIN_SERVICE_TIMEOUT_S <= number <= MAX_SERVICE_TIMEOUT_S else None


@dataclass(frozen=True)
class Wait:
    """What the URL and ``ServiceTimeout`` say about the answer CloudFormation waits for."""

    seconds_left: float
    service_timeout_s: int
    age_s: float | None
    # When CloudFormation signed the request, to order it against the operations recorded on the
    # secret; None when the URL does not say, or says a time too far ahead to be clock skew (a
    # hand-made URL dated 2099 must not block every later operation).
    signed_at: datetime | None = None

    def stale(self, margin_s: float) -> bool:
        """Whether CloudFormation stops waiting before the timer could answer (err towards refusing)."""
        return self.seconds_left <= margin_s

    def reason(self) -> str:
        age = f"signed {self.age_s:.0f} s ago" if self.age_s is not None else "its response URL has expired"
        return (
            f"CloudFormation stopped waiting for this request ({age}, ServiceTimeout "
            f"{self.service_timeout_s} s), so the provider changed nothing"
        )


def cloudformation_wait(url: str, service_timeout_s: int, now: datetime) -> Wait:
    """How long CloudFormation still waits: ``ServiceTimeout`` counted from the signing time, cut
    at the URL's expiry. A signing time in the future (clock skew) counts as now, and a URL
    that names neither time (``sam local``) leaves the whole ``ServiceTimeout``."""
    signed, expires = url_times(url)
    age_s = max((now - signed).total_seconds(), 0.0) if signed is not None else None
    left = float(service_timeout_s) - (age_s or 0.0)
    if expires is not None:
        left = min(left, (expires - now).total_seconds())
    ordered = signed if signed is not None and signed <= now + MAX_CLOCK_SKEW else None
    return Wait(seconds_left=left, service_timeout_s=service_timeout_s, age_s=age_s, signed_at=ordered)
