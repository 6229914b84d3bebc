"""The date conventions of docs/workflow-format.md, one worked example each."""

from __future__ import annotations

import datetime as dt

import pytest

from casejourney import CasejourneyError, due_date
from casejourney.api import Duration
from casejourney.calendar import Unit, WorkingCalendar, add_months, birthday, default_calendar
from casejourney.errors import DurationError

D = dt.date
CAL = default_calendar()


def due(start: dt.date, within: str, calendar: WorkingCalendar = CAL) -> dt.date:
    return calendar.add(start, Duration.parse(within))


# --- Days and working days ---------------------------------------------------------------------


def test_anchor_day_is_day_zero() -> None:
    # "within 1 day of 5 January is due on 6 January"
    assert due(D(2026, 1, 5), "1 day") == D(2026, 1, 6)


def test_fifteen_working_days_over_christmas() -> None:
    # 25 and 28 December 2026 and 1 January 2027 are bank holidays.
    answer = due(D(2026, 12, 18), "15 working days")
    assert answer == D(2027, 1, 13)
    assert answer.strftime("%A") == "Wednesday"


def test_facade_due_date_agrees_and_explains_day_zero() -> None:
    answer = due_date(D(2026, 12, 18), within="15 working days")
    assert answer.due == D(2027, 1, 13)
    assert "day 0" in answer.explanation


@pytest.mark.parametrize(
    ("start", "within", "expected", "why"),
    [
        (D(2026, 1, 9), "1 day", D(2026, 1, 10), "a Friday + 1 day is the Saturday"),
        (D(2026, 1, 9), "1 working day", D(2026, 1, 12), "a Friday + 1 working day is the Monday"),
        (D(2026, 5, 22), "1 working day", D(2026, 5, 26), "bank holiday Monday 25 May: Tuesday"),
        (D(2026, 4, 2), "1 working day", D(2026, 4, 7), "Good Friday and Easter Monday skipped"),
        (
            D(2026, 12, 24),
            "1 working day",
            D(2026, 12, 29),
            "Christmas, weekend, Boxing Day (sub.)",
        ),
        (D(2026, 1, 10), "1 working day", D(2026, 1, 12), "from a Saturday: the Monday"),
        (D(2026, 1, 11), "1 working day", D(2026, 1, 12), "from a Sunday: the Monday"),
        (D(2026, 1, 5), "5 working days", D(2026, 1, 12), "a Monday + 5 working days: next Monday"),
        (D(2026, 1, 5), "1 calendar day", D(2026, 1, 6), "calendar days are days"),
    ],
)
def test_days_versus_working_days(start: dt.date, within: str, expected: dt.date, why: str) -> None:
    assert due(start, within) == expected, why


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 12, 24), True),
        (D(2026, 12, 25), False),  # Christmas Day
        (D(2026, 12, 26), False),  # Saturday (Boxing Day, substituted to Monday)
        (D(2026, 12, 28), False),  # substitute Boxing Day
        (D(2026, 12, 29), True),
        (D(2027, 1, 1), False),  # New Year's Day
        (D(2026, 4, 3), False),  # Good Friday
        (D(2026, 4, 6), False),  # Easter Monday
        (D(2026, 8, 31), False),  # summer bank holiday (England, not Scotland)
        (D(2026, 3, 17), True),  # St Patrick's Day is not a holiday in England
        (D(2026, 1, 10), False),  # Saturday
    ],
)
def test_working_days_are_england_and_wales(day: dt.date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_closure_day_pushes_the_due_date_back() -> None:
    closed = WorkingCalendar([D(2026, 12, 29)])
    assert not closed.is_working_day(D(2026, 12, 29))
    assert due(D(2026, 12, 18), "15 working days", closed) == D(2027, 1, 14)


def test_closure_day_on_a_weekend_changes_nothing() -> None:
    closed = WorkingCalendar([D(2027, 1, 9)])
    assert due(D(2026, 12, 18), "15 working days", closed) == D(2027, 1, 13)


def test_closure_days_do_not_change_calendar_day_durations() -> None:
    closed = WorkingCalendar([D(2026, 1, 6)])
    assert due(D(2026, 1, 5), "1 day", closed) == D(2026, 1, 6)


def test_zero_working_days_is_the_start() -> None:
    assert CAL.add_working_days(D(2026, 12, 25), 0) == D(2026, 12, 25)


def test_lead_time_counts_working_days_back() -> None:
    # "at least 3 working days before Tuesday 5 January 2027": 4 Jan, 31 Dec, 30 Dec.
    assert CAL.subtract(D(2027, 1, 5), Duration.parse("3 working days")) == D(2026, 12, 30)
    assert CAL.subtract_working_days(D(2027, 1, 4), 1) == D(2026, 12, 31)


def test_working_days_between_counts_the_end_not_the_start() -> None:
    assert CAL.working_days_between(D(2026, 12, 18), D(2027, 1, 13)) == 15
    assert CAL.working_days_between(D(2026, 12, 18), D(2026, 12, 18)) == 0


def test_lateness_is_in_the_rules_own_unit() -> None:
    # Due Wednesday 13 January 2027, done Monday 18 January: 3 working days or 5 days late.
    assert CAL.lateness(D(2027, 1, 13), D(2027, 1, 18), Unit.WORKING_DAYS) == 3
    assert CAL.lateness(D(2027, 1, 13), D(2027, 1, 18), Unit.DAYS) == 5
    assert CAL.lateness(D(2027, 1, 13), D(2027, 1, 11), Unit.DAYS) == -2


def test_date_outside_the_calendar_is_a_clear_error() -> None:
    with pytest.raises(DurationError, match="outside the calendar"):
        CAL.add_working_days(D(1999, 12, 31), 1)


# --- Weeks, hours, months, years ---------------------------------------------------------------


def test_weeks_are_seven_calendar_days() -> None:
    assert due(D(2026, 12, 18), "6 weeks") == D(2027, 1, 29)


@pytest.mark.parametrize(
    ("within", "days"),
    [
        ("1 hour", 1),
        ("24 hours", 1),
        ("25 hours", 2),
        ("36 hours", 2),
        ("48 hours", 2),
        ("72 hours", 3),
    ],
)
def test_hours_round_up_to_whole_days(within: str, days: int) -> None:
    start = D(2026, 1, 5)
    assert due(start, within) == start + dt.timedelta(days=days)
    assert CAL.subtract(start, Duration.parse(within)) == start - dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("start", "within", "expected"),
    [
        (D(2026, 11, 30), "3 months", D(2027, 2, 28)),
        (D(2027, 11, 30), "3 months", D(2028, 2, 29)),  # leap year
        (D(2027, 1, 31), "1 month", D(2027, 2, 28)),
        (D(2028, 1, 31), "1 month", D(2028, 2, 29)),
        (D(2026, 8, 31), "1 month", D(2026, 9, 30)),
        (D(2026, 1, 15), "1 month", D(2026, 2, 15)),
        (D(2026, 12, 18), "6 months", D(2027, 6, 18)),
        (D(2028, 2, 29), "1 year", D(2029, 2, 28)),
        (D(2028, 2, 29), "4 years", D(2032, 2, 29)),
    ],
)
def test_months_and_years_clamp_to_the_month_end(
    start: dt.date, within: str, expected: dt.date
) -> None:
    assert due(start, within) == expected


def test_months_back_clamp_too() -> None:
    assert CAL.subtract(D(2027, 3, 31), Duration.parse("1 month")) == D(2027, 2, 28)
    assert add_months(D(2028, 3, 31), -1) == D(2028, 2, 29)
    assert add_months(D(2026, 1, 31), -2) == D(2025, 11, 30)


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (16, D(2024, 2, 29)),  # 2024 is a leap year: the birthday itself
        (17, D(2025, 2, 28)),
        (18, D(2026, 2, 28)),
        (20, D(2028, 2, 29)),
    ],
)
def test_leap_day_birthday_falls_on_28_february(age: int, expected: dt.date) -> None:
    assert birthday(D(2008, 2, 29), age) == expected


def test_ordinary_birthday() -> None:
    assert birthday(D(2010, 6, 3), 16) == D(2026, 6, 3)


# --- Reading durations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("1 hour", 1, Unit.HOURS),
        ("24 hours", 24, Unit.HOURS),
        ("1 day", 1, Unit.DAYS),
        ("3 days", 3, Unit.DAYS),
        ("1 calendar day", 1, Unit.DAYS),
        ("5 calendar days", 5, Unit.DAYS),
        ("1 working day", 1, Unit.WORKING_DAYS),
        ("15 working days", 15, Unit.WORKING_DAYS),
        ("1 working_day", 1, Unit.WORKING_DAYS),
        ("45 working_days", 45, Unit.WORKING_DAYS),
        ("1 week", 1, Unit.WEEKS),
        ("6 weeks", 6, Unit.WEEKS),
        ("1 month", 1, Unit.MONTHS),
        ("3 months", 3, Unit.MONTHS),
        ("1 year", 1, Unit.YEARS),
        ("2 years", 2, Unit.YEARS),
        ("15 Working Days", 15, Unit.WORKING_DAYS),
        ("  15   working    days  ", 15, Unit.WORKING_DAYS),
        ("015 days", 15, Unit.DAYS),
    ],
)
def test_parse_every_unit_spelling(text: str, value: int, unit: Unit) -> None:
    assert Duration.parse(text) == Duration(value=value, unit=unit)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(value=1, unit=Unit.WORKING_DAYS), "1 working day"),
        (Duration(value=15, unit=Unit.WORKING_DAYS), "15 working days"),
        (Duration(value=1, unit=Unit.DAYS), "1 day"),
        (Duration(value=26, unit=Unit.WEEKS), "26 weeks"),
    ],
)
def test_duration_reads_as_written(duration: Duration, text: str) -> None:
    assert str(duration) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2 fortnights", "unknown unit 'fortnights'"),
        ("3 months ago", "unknown unit 'months ago'"),
        ("1 workingday", "unknown unit"),
        ("0 days", "must be above zero"),
        ("0 working days", "must be above zero"),
        ("-1 day", "must be above zero"),
        ("-15 working days", "must be above zero"),
        ("", "write a whole number and a unit"),
        ("soon", "write a whole number and a unit"),
        ("15", "write a whole number and a unit"),
        ("days", "write a whole number and a unit"),
        ("fifteen working days", "write a whole number and a unit"),
        ("1.5 days", "write a whole number and a unit"),
        ("15working days", "write a whole number and a unit"),
        ("within 15 working days", "write a whole number and a unit"),
    ],
)
def test_parse_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DurationError, match=message) as info:
        Duration.parse(text)
    # The CLI prints CasejourneyError as a message; callers may also catch ValueError.
    assert isinstance(info.value, CasejourneyError)
    assert isinstance(info.value, ValueError)
    assert repr(text) in str(info.value)
