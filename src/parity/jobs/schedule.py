"""Cron expressions for job schedules: validate them and compute the next run (UTC).

Five fields, as in crontab(5): minute, hour, day of month, month, day of week. Each field
is ``*``, a number, a range ``a-b``, a step ``*/n`` or ``a-b/n``, or a comma list of
those; months and weekdays also take names (``jan``, ``mon``), Sunday is 0 or 7, and the
macros ``@hourly @daily @midnight @weekly @monthly @yearly @annually`` are accepted. As
in Vixie cron, when both day fields are restricted a day matches if either does.
Schedules are read in UTC.

>>> schedule = parse_schedule("30 2 * * mon-fri")
>>> schedule.next_after(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))   # a Saturday
datetime.datetime(2026, 11, 30, 2, 30, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["Schedule", "ScheduleError", "parse_schedule"]

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_DAYS = {
    name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day of month", 1, 31, {}),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 7, _DAYS),
)
# Far enough to find any valid date (Feb 29 on a given weekday recurs within 28 years).
_SEARCH_DAYS = 366 * 29


class ScheduleError(ValueError):
    """A cron expression is not valid; the message names the field and the value."""


@dataclass(frozen=True)
class Schedule:
    """A parsed cron expression: the allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return by_weekday
        if self.any_weekday:
            return by_day
        return by_day or by_weekday

    def next_after(self, moment: datetime) -> datetime:
        """The first time strictly after ``moment`` that the schedule fires (UTC)."""
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        hours = sorted(self.hours)
        minutes = sorted(self.minutes)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for hour in hours:
                    for minute in minutes:
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        raise ScheduleError(f"{self.expression!r} never fires")


def _number(text: str, spec: _Field) -> int:
    value = spec.names.get(text.lower())
    if value is not None:
        return value
    if not text.isdigit():
        raise ScheduleError(f"{spec.name}: {text!r} is not a number")
    number = int(text)
    if not spec.low <= number <= spec.high:
        raise ScheduleError(f"{spec.name}: {number} is out of range {spec.low}-{spec.high}")
    return number


def _parse_field(text: str, spec: _Field) -> tuple[frozenset[int], bool]:
    """The values a field allows, and whether it is unrestricted (``*``)."""
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ScheduleError(f"{spec.name}: empty item in {text!r}")
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{spec.name}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            low, high = spec.low, spec.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _number(first, spec), _number(last, spec)
            if low > high:
                raise ScheduleError(f"{spec.name}: range {base!r} runs backwards")
        else:
            low = _number(base, spec)
            high = spec.high if step_text else low
        values.update(range(low, high + 1, step))
    if spec.high == 7:  # day of week: 7 is Sunday too
        values = {0 if v == 7 else v for v in values}
    return frozenset(values), text == "*"


def parse_schedule(expression: str) -> Schedule:
    """Parse and validate a cron expression; raises :class:`ScheduleError` saying why not.

    >>> parse_schedule("*/15 * * * *").minutes == frozenset({0, 15, 30, 45})
    True
    """
    text = " ".join(expression.split())
    fields = _MACROS.get(text.lower(), text).split(" ")
    if len(fields) != 5:
        raise ScheduleError(
            f"{expression!r} has {len(fields)} fields; a cron expression has 5"
            " (minute hour day-of-month month day-of-week) or is a macro such as @daily"
        )
    parsed = [_parse_field(value, spec) for value, spec in zip(fields, _FIELDS, strict=True)]
    schedule = Schedule(
        expression=text,
        minutes=parsed[0][0],
        hours=parsed[1][0],
        days=parsed[2][0],
        months=parsed[3][0],
        weekdays=parsed[4][0],
        any_day=parsed[2][1],
        any_weekday=parsed[4][1],
    )
    if schedule.any_weekday and not _some_month_has_day(schedule):
        raise ScheduleError(f"{expression!r} never fires (no such day in those months)")
    return schedule


def _some_month_has_day(schedule: Schedule) -> bool:
    longest = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30}
    return any(day <= longest.get(month, 31) for month in schedule.months for day in schedule.days)
