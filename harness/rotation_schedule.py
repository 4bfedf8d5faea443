"""Secrets Manager's rotation rules: what RotateSecret accepts, and when the windows open (test
code, pure: no AWS calls).

Sources, each rule below names its own:

* Secrets Manager API reference, ``RotationRulesType`` ("API ref"): ``AutomaticallyAfterDays``
  1-1000, set with it or with ``ScheduleExpression`` "but not both"; ``Duration`` "for example
  3h", the window "must not extend into the next rotation window or the next UTC day", and by
  default closes after one hour for a schedule in hours, at the end of the UTC day for a schedule
  in days.
* Secrets Manager User Guide, "Rotation schedules" (rotate-secrets_schedule.html, "UG"): UTC;
  windows open on the hour; "as often as every four hours"; ``rate(Value Unit)`` with ``hour``,
  ``hours``, ``day`` or ``days`` and at most 999 days; a rate in days opens at midnight; a window
  "as small as one hour"; for a schedule in hours the window is at most the hours between
  rotations, for a schedule in days start hour plus window is at most 24; ``cron(Minutes Hours
  Day-of-month Month Day-of-week Year)`` with minutes ``0`` and year ``*``, the wildcards
  ``, - * ? / L`` (day of month), ``, - * /`` (month), ``# , - * ? / L`` (day of week, 1-7 or
  SUN-SAT), and hour increments that "reset each day" (``cron(0 4/12 * * ? *)``).
* API ref, ``RotationRulesType.AutomaticallyAfterDays`` and the Troubleshooting page ("I can't
  predict when rotation will start"): with days, the next rotation date is the interval added to
  the date of the last rotation.

What the documents leave open, and what this module chooses (each choice is marked CHOICE in
the code): where the N-hour grid of ``rate(N hours)`` lies when N does not divide 24 (it
continues across days: openings at whole multiples of N hours since 1970-01-01T00:00Z, so for N
dividing 24 the first window of every day opens at midnight as the UG says); that a cron
expression needs ``?`` in one of its two day fields (EventBridge's rule; the UG only calls ``?``
"one or another"); that a cron schedule must open a window within a year of its configuration
(the UG: no schedules "more than a year apart"); that rules with neither
``AutomaticallyAfterDays`` nor ``ScheduleExpression`` are refused; and how DescribeSecret's
calculated ``AutomaticallyAfterDays`` is rounded (days between two consecutive windows, rounded
up, at least 1).
"""

from __future__ import annotations

import calendar
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

HOUR: Final = timedelta(hours=1)
DAY: Final = timedelta(days=1)
MIN_INTERVAL: Final = timedelta(hours=4)  # UG: "as often as every four hours"
MAX_RATE_DAYS: Final = 999  # UG: "The maximum rotation period is 999 days"
MAX_AFTER_DAYS: Final = 1000  # API ref: AutomaticallyAfterDays, 1-1000
LOOKAHEAD_DAYS: Final = 366  # CHOICE: a cron schedule opens a window within a year

_RATE = re.compile(r"rate\((\d+) (hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.*)\)")
_DURATION = re.compile(r"(\d{1,2})h")  # API ref: pattern [0-9]+h, 2-3 characters
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class RulesError(ValueError):
    """Rules Secrets Manager refuses; RotateSecret answers ``InvalidParameterException``."""


@dataclass(frozen=True)
class Window:
    """One rotation window: Secrets Manager rotates "at any time" between these two moments."""

    opens: datetime
    closes: datetime


def midnight(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


# Cron ----------------------------------------------------------------------------------------


def _number(token: str, names: Mapping[str, int], low: int, high: int) -> int:
    value = names.get(token.upper()) if not token.isdigit() else int(token)
    if value is None or not low <= value <= high:
        raise RulesError(f"cron value {token!r} is outside {low}-{high}")
    return value


def _values(field: str, low: int, high: int, names: Mapping[str, int] | None = None) -> frozenset[int]:
    """``*``, ``a``, ``a-b``, ``a/step``, ``a-b/step``, ``*/step``, comma-separated."""
    names = names or {}
    found: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise RulesError(f"cron increment {part!r} is not a positive number")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, names, low, high), _number(last, names, low, high)
        else:
            start = _number(base, names, low, high)
            end = high if step else start
        found.update(range(start, end + 1, step or 1))
    return frozenset(found)


def _aws_weekday(day: date) -> int:
    """1 = Sunday ... 7 = Saturday (UG: Day-of-week 1-7 or SUN-SAT)."""
    return (day.weekday() + 1) % 7 + 1


def _day_of_month_rule(field: str) -> Callable[[date], bool]:
    if field == "L":  # the last day of the month
        return lambda day: day.day == calendar.monthrange(day.year, day.month)[1]
    days = _values(field, 1, 31)
    return lambda day: day.day in days


def _day_of_week_rule(field: str) -> Callable[[date], bool]:
    if field == "L":  # the last day of the week: Saturday
        return lambda day: _aws_weekday(day) == 7
    if field.endswith("L"):  # 5L: the last Thursday of the month
        weekday = _number(field[:-1], _WEEKDAYS, 1, 7)
        return lambda day: _aws_weekday(day) == weekday and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    if "#" in field:  # 3#2: the second Tuesday of the month
        weekday_text, _, nth_text = field.partition("#")
        weekday, nth = _number(weekday_text, _WEEKDAYS, 1, 7), _number(nth_text, {}, 1, 5)
        return lambda day: _aws_weekday(day) == weekday and (day.day - 1) // 7 + 1 == nth
    weekdays = _values(field, 1, 7, _WEEKDAYS)
    return lambda day: _aws_weekday(day) in weekdays


@dataclass(frozen=True)
class Cron:
    """A Secrets Manager cron expression (UG, "Cron expressions"), read once."""

    hours: tuple[int, ...]
    months: frozenset[int]
    day: Callable[[date], bool]

    @classmethod
    def parse(cls, body: str) -> Cron:
        fields = body.split()
        if len(fields) != 6:
            raise RulesError("a cron expression has six fields")
        minutes, hours, day_of_month, month, day_of_week, year = fields
        if minutes != "0":
            raise RulesError("the minutes field of a cron expression must be 0 (windows open on the hour)")
        if year != "*":
            raise RulesError("the year field of a cron expression must be *")
        if (day_of_month == "?") == (day_of_week == "?"):
            raise RulesError("a cron expression needs ? in exactly one of its two day fields")  # CHOICE
        day = _day_of_month_rule(day_of_month) if day_of_week == "?" else _day_of_week_rule(day_of_week)
        return cls(tuple(sorted(_values(hours, 0, 23))), _values(month, 1, 12, _MONTHS), day)

    def openings(self, after: datetime) -> Iterator[datetime]:
        """Every opening strictly after ``after``, for the next :data:`LOOKAHEAD_DAYS` days."""
        start = midnight(after)
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = start + offset * DAY
            if day.month not in self.months or not self.day(day.date()):
                continue
            for hour in self.hours:
                opening = day + hour * HOUR
                if opening > after:
                    yield opening


# Schedules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """Validated rules, kept as written, and the windows they open.

    ``every`` is the interval of ``AutomaticallyAfterDays`` and ``rate()``; ``cron`` the parsed
    expression otherwise. ``in_hours`` is what the documents call "a schedule in hours".
    """

    rules: Mapping[str, Any]
    every: timedelta | None
    cron: Cron | None
    duration: timedelta | None

    @property
    def in_hours(self) -> bool:
        if self.cron is not None:
            return len(self.cron.hours) > 1
        return self.every is not None and self.every % DAY != timedelta(0)

    def next_opening(self, after: datetime) -> datetime:
        """The first window that opens strictly after ``after``."""
        if self.cron is not None:
            for opening in self.cron.openings(after):
                return opening
            raise RulesError("the cron expression opens no window within a year")  # CHOICE
        assert self.every is not None
        if not self.in_hours:
            # API ref / Troubleshooting: the interval added to the date of the last rotation; a
            # rate in days opens at midnight (UG).
            return midnight(after) + self.every
        # CHOICE: the N-hour grid since 1970-01-01T00:00Z (see the module docstring).
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        steps = math.floor((after - epoch) / self.every) + 1
        return epoch + steps * self.every

    def window_after(self, after: datetime) -> Window:
        return self.window_at(self.next_opening(after))

    def window_at(self, opens: datetime) -> Window:
        if self.duration is not None:
            return Window(opens, opens + self.duration)
        # API ref, Duration: by default one hour for a schedule in hours, the end of the UTC day
        # for a schedule in days.
        return Window(opens, opens + HOUR if self.in_hours else midnight(opens) + DAY)

    def interval_days(self, after: datetime) -> int:
        """DescribeSecret's calculated ``AutomaticallyAfterDays`` (API ref: "calculated from the
        rotation schedule after every successful rotation"; the rounding is a CHOICE)."""
        first = self.next_opening(after)
        second = self.next_opening(first)
        return max(1, math.ceil((second - first) / DAY))

    @classmethod
    def parse(cls, rules: Mapping[str, Any], configured_at: datetime) -> Schedule:
        after_days = rules.get("AutomaticallyAfterDays")
        expression = rules.get("ScheduleExpression")
        if after_days is not None and expression is not None:
            raise RulesError("set AutomaticallyAfterDays or ScheduleExpression, not both")
        duration = _duration(rules.get("Duration"))
        if after_days is not None:
            if not isinstance(after_days, int) or not 1 <= after_days <= MAX_AFTER_DAYS:
                raise RulesError(f"AutomaticallyAfterDays must be 1-{MAX_AFTER_DAYS}")
            schedule = cls(dict(rules), after_days * DAY, None, duration)
        elif isinstance(expression, str):
            schedule = cls(dict(rules), *_expression(expression), duration)
        else:
            raise RulesError("RotationRules needs AutomaticallyAfterDays or ScheduleExpression")  # CHOICE
        schedule._check_windows(configured_at)
        return schedule

    def _check_windows(self, configured_at: datetime) -> None:
        """UG: no more often than every four hours; a schedule in hours keeps its window within
        the hours between rotations, a schedule in days within the UTC day."""
        openings = self._openings_for_a_year(configured_at)
        for opening, following in itertools.pairwise(openings):
            if following - opening < MIN_INTERVAL:
                raise RulesError("Secrets Manager rotates a secret at most every four hours")
            if self.in_hours and self.window_at(opening).closes > following:
                raise RulesError("the rotation window reaches into the next rotation window")
        if not self.in_hours:
            for opening in openings:
                if self.window_at(opening).closes > midnight(opening) + DAY:
                    raise RulesError("the rotation window reaches into the next UTC day")

    def _openings_for_a_year(self, start: datetime) -> list[datetime]:
        openings = [self.next_opening(start)]  # raises when a cron expression opens none
        limit = start + LOOKAHEAD_DAYS * DAY
        if self.cron is not None:
            return [opening for opening in self.cron.openings(start) if opening <= limit]
        while openings[-1] < limit and self.in_hours:
            openings.append(self.next_opening(openings[-1]))
        return openings


def _duration(text: Any) -> timedelta | None:
    if text is None:
        return None
    match = _DURATION.fullmatch(str(text))
    if match is None or not 1 <= int(match.group(1)) <= 24:
        raise RulesError("Duration is a number of hours from 1h to 24h, for example 3h")
    return int(match.group(1)) * HOUR


def _expression(expression: str) -> tuple[timedelta | None, Cron | None]:
    rate = _RATE.fullmatch(expression)
    if rate is not None:
        value, unit = int(rate.group(1)), rate.group(2)
        every = value * (HOUR if unit.startswith("hour") else DAY)
        if every < MIN_INTERVAL:
            raise RulesError("Secrets Manager rotates a secret at most every four hours")
        if every > MAX_RATE_DAYS * DAY:
            raise RulesError(f"a rate is at most {MAX_RATE_DAYS} days")
        return every, None
    cron = _CRON.fullmatch(expression)
    if cron is not None:
        return None, Cron.parse(cron.group(1))
    raise RulesError("ScheduleExpression is a rate() or cron() expression")
