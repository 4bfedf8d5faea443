"""Reading when CloudFormation stops waiting from the response URL, and ServiceTimeout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from access_token_secret.adapter.deadline import (
    DEFAULT_SERVICE_TIMEOUT_S,
    Wait,
    cloudformation_wait,
    service_timeout,
    url_times,
)

from tests.support.events import load_event

NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
HOST = "https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com/key"
MARGIN_S = 8.0


def sigv4(signed: datetime, expires_s: int = 7199) -> str:
    return (
        f"{HOST}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={signed:%Y%m%dT%H%M%SZ}&X-Amz-SignedHeaders=host"
        f"&X-Amz-Expires={expires_s}&X-Amz-Credential=AKIAEXAMPLE%2F20261129%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Signature=00"
    )


def sigv2(expires: datetime) -> str:
    return f"{HOST}?AWSAccessKeyId=AKIAEXAMPLE&Expires={int(expires.timestamp())}&Signature=00%3D"


def test_the_sample_events_signing_time_and_expiry_are_read_from_their_sigv4_query() -> None:
    url = load_event("create")["ResponseURL"]

    assert url_times(url) == (
        datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 29, 14, 0, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://pre-signed-S3-url-for-response",  # sam local generate-event
        f"{HOST}?X-Amz-Date=yesterday&X-Amz-Expires=7199",
        f"{HOST}?X-Amz-Date=20261399T250000Z",
        f"{HOST}?Expires=soon",
        "https://[::1",
    ],
)
def test_a_url_that_names_no_readable_time_has_none(url: str) -> None:
    assert url_times(url) == (None, None)


def test_an_expiry_past_the_year_9999_is_unreadable_not_a_crash() -> None:
    assert url_times(f"{HOST}?X-Amz-Date=20261129T120000Z&X-Amz-Expires=999999999999") == (NOW, None)


def test_a_sigv2_url_has_an_expiry_but_no_signing_time() -> None:
    expires = NOW + timedelta(hours=2)

    assert url_times(sigv2(expires)) == (None, expires)


@pytest.mark.parametrize(
    ("url", "timeout_s", "stale"),
    [
        (sigv4(NOW - timedelta(minutes=65)), 3600, True),
        (sigv4(NOW - timedelta(minutes=119)), 3600, True),
        (sigv4(NOW - timedelta(minutes=10)), 300, True),
        (sigv4(NOW - timedelta(seconds=3600 - 9)), 3600, False),  # 9 s left: the timer can still answer
        (sigv4(NOW - timedelta(seconds=3600 - 8)), 3600, True),  # within the margin: err towards refusing
        (sigv4(NOW - timedelta(minutes=10), expires_s=300), 3600, True),  # the URL itself has expired
        (sigv4(NOW + timedelta(minutes=10)), 3600, False),  # clock skew
        ("http://pre-signed-S3-url-for-response", 3600, False),
        (sigv2(NOW - timedelta(seconds=1)), 3600, True),
        (sigv2(NOW + timedelta(hours=2)), 3600, False),
        (sigv4(NOW), 5, True),  # a ServiceTimeout within the margin can never be answered in time
    ],
)
def test_an_event_is_stale_once_cloudformation_waits_no_longer_than_the_margin(
    url: str, timeout_s: int, stale: bool
) -> None:
    assert cloudformation_wait(url, timeout_s, NOW).stale(MARGIN_S) is stale


def test_what_is_left_counts_service_timeout_from_the_signing_time_and_never_more() -> None:
    assert cloudformation_wait(sigv4(NOW - timedelta(seconds=100)), 300, NOW).seconds_left == 200
    assert cloudformation_wait(sigv4(NOW + timedelta(seconds=100)), 300, NOW).seconds_left == 300
    assert cloudformation_wait("http://pre-signed-S3-url-for-response", 300, NOW).seconds_left == 300
    assert cloudformation_wait(sigv2(NOW + timedelta(seconds=100)), 300, NOW).seconds_left == 100


@pytest.mark.parametrize(
    "wait",
    [
        cloudformation_wait(sigv4(NOW - timedelta(minutes=65)), 3600, NOW),
        cloudformation_wait(sigv2(NOW - timedelta(hours=30)), 3600, NOW),
    ],
)
def test_the_reason_says_cloudformation_stopped_waiting_and_fits(wait: Wait) -> None:
    reason = wait.reason()

    assert reason.startswith("CloudFormation stopped waiting for this request")
    assert "changed nothing" in reason
    assert len(reason) < 256


@pytest.mark.parametrize(
    ("properties", "seconds"),
    [
        ({"ServiceTimeout": "30"}, 30),
        ({"ServiceTimeout": 3600}, 3600),
        ({"ServiceTimeout": " 1 "}, 1),
        ({}, DEFAULT_SERVICE_TIMEOUT_S),
        ("not an object", DEFAULT_SERVICE_TIMEOUT_S),
        ({"ServiceTimeout": "0"}, None),
        ({"ServiceTimeout": "3601"}, None),
        ({"ServiceTimeout": "1.5"}, None),
        ({"ServiceTimeout": True}, None),
        ({"ServiceTimeout": ["30"]}, None),
    ],
)
def test_service_timeout_is_a_whole_number_from_1_to_3600_and_3600_by_default(
    properties: object, seconds: int | None
) -> None:
    assert service_timeout(properties) == seconds
