"""Cron expressions for job schedules: validation and the next run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parity.jobs import ScheduleError, parse_schedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/15 * * * *", "2026-11-26 10:07", "2026-11-26 10:15"),
        ("0 3 * * *", "2026-11-26 03:00", "2026-11-27 03:00"),
        ("30 2 * * mon-fri", "2026-11-28 12:00", "2026-11-30 02:30"),  # Sat -> Mon
        ("0 0 1 jan *", "2026-11-26 00:00", "2027-01-01 00:00"),
        ("@hourly", "2026-11-26 10:59", "2026-11-26 11:00"),
        ("@weekly", "2026-11-26 00:00", "2026-11-29 00:00"),  # Sunday
        ("0 12 29 2 *", "2026-03-01 00:00", "2028-02-29 12:00"),
        ("0 0 * * 7", "2026-11-26 00:00", "2026-11-29 00:00"),  # 7 is Sunday too
        ("5-10/5 1,2 * * *", "2026-11-26 01:06", "2026-11-26 01:10"),
    ],
)
def test_next_run_is_the_first_matching_minute_after(
    expression: str, after: str, expected: str
) -> None:
    assert parse_schedule(expression).next_after(at(after)) == at(expected)


def test_both_day_fields_restricted_match_either_like_vixie_cron() -> None:
    schedule = parse_schedule("0 0 13 * fri")
    # 2026-11-27 is a Friday, before the 13th of December.
    assert schedule.next_after(at("2026-11-26 00:00")) == at("2026-11-27 00:00")
    assert schedule.next_after(at("2026-12-12 00:00")) == at("2026-12-13 00:00")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "has 4 fields"),
        ("60 * * * *", "minute: 60 is out of range 0-59"),
        ("* 24 * * *", "hour: 24 is out of range 0-23"),
        ("* * 0 * *", "day of month: 0 is out of range 1-31"),
        ("* * * 13 *", "month: 13 is out of range 1-12"),
        ("* * * * 8", "day of week: 8 is out of range 0-7"),
        ("*/0 * * * *", "step '0' must be a positive number"),
        ("5-1 * * * *", "range '5-1' runs backwards"),
        ("x * * * *", "minute: 'x' is not a number"),
        ("0 0 31 2 *", "never fires"),
        ("@reboot", "has 1 fields"),
        ("1,,2 * * * *", "empty item"),
    ],
)
def test_invalid_expressions_say_which_field_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message.replace("(", r"\(")):
        parse_schedule(expression)


def test_names_are_case_insensitive_and_spaces_are_normalised() -> None:
    schedule = parse_schedule("  0  6 * JAN,Feb  MON ")
    assert schedule.expression == "0 6 * JAN,Feb MON"
    assert schedule.months == frozenset({1, 2})
    assert schedule.weekdays == frozenset({1})
