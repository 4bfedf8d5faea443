"""The rotation stand-in's windows (harness/rotation_schedule.py), table-driven and without AWS:
when each schedule's windows open and close, as the Secrets Manager User Guide ("Rotation
schedules") and the API reference (RotationRulesType) describe them. It lives beside the
stand-in's integration tests because it tests the harness, not the provider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from harness.rotation_schedule import RulesError, Schedule

WEDNESDAY = datetime(2025, 1, 1, tzinfo=UTC)


def at(days: float = 0, hours: float = 0) -> datetime:
    return WEDNESDAY + timedelta(days=days, hours=hours)


@pytest.mark.parametrize(
    ("rules", "after", "opens", "closes"),
    [
        # A rate in days: the interval added to the date of the last rotation, from midnight to
        # the end of that UTC day (or Duration).
        ({"AutomaticallyAfterDays": 30}, at(hours=13), at(days=30), at(days=31)),
        ({"ScheduleExpression": "rate(10 days)", "Duration": "3h"}, at(), at(days=10), at(days=10, hours=3)),
        # A rate in hours: windows on the hour from midnight, one hour long by default.
        ({"ScheduleExpression": "rate(6 hours)"}, at(hours=7, days=0), at(hours=12), at(hours=13)),
        # Hour increments reset each day: 4:00, 16:00, then 4:00 the next day.
        ({"ScheduleExpression": "cron(0 4/12 * * ? *)"}, at(hours=16), at(days=1, hours=4), at(days=1, hours=5)),
        # A cron schedule in days: from the hour it names to the end of the UTC day.
        ({"ScheduleExpression": "cron(0 8 ? * MON *)"}, at(), at(days=5, hours=8), at(days=6)),
        # L: the last day of the month; 3#2: the second Tuesday; 6L: the last Friday.
        (
            {"ScheduleExpression": "cron(0 16 L * ? *)", "Duration": "2h"},
            at(),
            at(days=30, hours=16),
            at(days=30, hours=18),
        ),
        ({"ScheduleExpression": "cron(0 0 ? * 3#2 *)"}, at(), at(days=13), at(days=14)),
        ({"ScheduleExpression": "cron(0 0 ? * 6L *)"}, at(), at(days=30), at(days=31)),
        ({"ScheduleExpression": "cron(0 9 1 JAN,JUL ? *)"}, at(hours=10), at(days=181, hours=9), at(days=182)),
    ],
)
def test_windows_open_and_close_as_documented(
    rules: dict[str, Any], after: datetime, opens: datetime, closes: datetime
) -> None:
    window = Schedule.parse(rules, WEDNESDAY).window_after(after)

    assert (window.opens, window.closes) == (opens, closes)


@pytest.mark.parametrize(
    ("rules", "days"),
    [
        ({"ScheduleExpression": "rate(10 days)"}, 10),
        ({"ScheduleExpression": "rate(4 hours)"}, 1),
        ({"ScheduleExpression": "cron(0 16 ? * MON *)"}, 7),
    ],
)
def test_the_calculated_days_are_those_between_two_windows(rules: dict[str, Any], days: int) -> None:
    assert Schedule.parse(rules, WEDNESDAY).interval_days(WEDNESDAY) == days


@pytest.mark.parametrize(
    "rules",
    [
        {"ScheduleExpression": "cron(0 1,22 * * ? *)"},  # 22:00 then 1:00: three hours apart
        {"ScheduleExpression": "cron(0 0 29 2 ? *)"},  # no window within a year of 2025-01-01
        {"ScheduleExpression": "cron(0 0 * * * *)"},  # neither day field is ?
        {"ScheduleExpression": "cron(0 8 * * ?)"},  # five fields
        {"ScheduleExpression": "cron(0 25 * * ? *)"},
        {"ScheduleExpression": "rate(0 days)"},
        {"Duration": "2h"},
    ],
)
def test_rules_the_stand_in_refuses(rules: dict[str, Any]) -> None:
    with pytest.raises(RulesError):
        Schedule.parse(rules, WEDNESDAY)


def test_the_rules_are_kept_as_written() -> None:
    rules = {"ScheduleExpression": "cron(0 16 ? * MON *)", "Duration": "2h"}

    assert Schedule.parse(rules, WEDNESDAY).rules == rules
