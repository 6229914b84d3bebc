"""Properties of working-day and calendar-month arithmetic that every due date relies on."""

from __future__ import annotations

import calendar as stdcal
import datetime as dt
import math

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from casejourney.calendar import (
    DayGrid,
    Duration,
    Unit,
    WorkingCalendar,
    add_months,
    birthday,
    default_calendar,
)
from tests import strategies as s

CAL = default_calendar()
ONE_DAY = dt.timedelta(days=1)


@given(s.dates, s.dates, st.integers(0, 70))
def test_later_start_never_gives_earlier_due_date(a: dt.date, b: dt.date, n: int) -> None:
    early, late = sorted((a, b))
    assert CAL.add_working_days(early, n) <= CAL.add_working_days(late, n)


@given(s.dates, st.integers(0, 70), s.working_day_counts)
def test_more_working_days_is_strictly_later(start: dt.date, n: int, more: int) -> None:
    assert CAL.add_working_days(start, n) < CAL.add_working_days(start, n + more)


@given(s.dates, s.working_day_counts)
def test_due_date_is_a_working_day_strictly_after_the_start(start: dt.date, n: int) -> None:
    result = CAL.add_working_days(start, n)
    assert result > start
    assert CAL.is_working_day(result)


@given(s.dates, s.working_day_counts)
def test_due_date_is_the_nth_working_day_after_the_start(start: dt.date, n: int) -> None:
    # Exactly n working days in (start, due]; and the day before has only n - 1 of them.
    result = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, result) == n
    assert CAL.working_days_between(start, result - ONE_DAY) == n - 1


@given(s.dates, st.integers(0, 40), st.integers(0, 40))
def test_adding_n_then_m_is_adding_n_plus_m(start: dt.date, n: int, m: int) -> None:
    assert CAL.add_working_days(CAL.add_working_days(start, n), m) == CAL.add_working_days(
        start, n + m
    )


@given(s.closure_days, s.dates, s.durations)
def test_closure_days_never_make_a_due_date_earlier(
    closed: frozenset[dt.date], start: dt.date, duration: Duration
) -> None:
    local = WorkingCalendar(closed)
    assert local.add(start, duration) >= CAL.add(start, duration)


@given(s.closure_days, s.dates, s.working_day_counts)
def test_closure_days_are_never_due_dates(
    closed: frozenset[dt.date], start: dt.date, n: int
) -> None:
    assert WorkingCalendar(closed).add_working_days(start, n) not in closed


@given(s.dates, s.working_day_counts)
def test_subtract_undoes_add_from_a_working_day(start: dt.date, n: int) -> None:
    assume(CAL.is_working_day(start))
    assert CAL.subtract_working_days(CAL.add_working_days(start, n), n) == start
    assert CAL.add_working_days(CAL.subtract_working_days(start, n), n) == start


@given(s.dates, s.working_day_counts)
def test_lead_time_is_a_working_day_strictly_before(end: dt.date, n: int) -> None:
    result = CAL.subtract_working_days(end, n)
    assert result < end
    assert CAL.is_working_day(result)
    # ... and the n-th one: n - 1 working days lie strictly between it and the end.
    assert CAL.working_days_between(result, end - ONE_DAY) == n - 1


@given(st.lists(s.dates, min_size=1, max_size=20), s.working_day_counts)
def test_vectorised_due_dates_agree_with_one_at_a_time(starts: list[dt.date], n: int) -> None:
    # `check` compares timescales over whole windows with the vectorised form.
    many = CAL.add_working_days_many(np.array(starts, dtype="datetime64[D]"), n)
    assert [d.astype(dt.date) for d in many] == [CAL.add_working_days(d, n) for d in starts]


@given(s.dates, s.month_counts)
def test_add_months_clamps_to_the_month_end(start: dt.date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    last = stdcal.monthrange(result.year, result.month)[1]
    assert result.day == start.day or result.day == last


@given(s.dates, st.integers(0, 100))
def test_birthday_is_the_same_day_or_28_february(born: dt.date, age: int) -> None:
    result = birthday(born, age)
    assert result.year == born.year + age
    if (born.month, born.day) == (2, 29) and not stdcal.isleap(result.year):
        assert (result.month, result.day) == (2, 28)
    else:
        assert (result.month, result.day) == (born.month, born.day)


@given(s.dates, st.integers(1, 24 * 60))
def test_hours_round_up_to_whole_days(start: dt.date, hours: int) -> None:
    result = CAL.add(start, Duration(value=hours, unit=Unit.HOURS))
    assert result == start + dt.timedelta(days=math.ceil(hours / 24))


@given(s.dates, st.integers(1, 400))
def test_days_are_calendar_days_whatever_the_calendar(start: dt.date, days: int) -> None:
    assert CAL.add(start, Duration(value=days, unit=Unit.DAYS)) == start + dt.timedelta(days=days)


@given(s.dates, s.durations)
def test_every_due_date_is_after_the_start(start: dt.date, duration: Duration) -> None:
    assert CAL.add(start, duration) > start


@given(s.durations)
def test_a_duration_reads_back_as_itself(duration: Duration) -> None:
    assert Duration.parse(str(duration)) == duration


GRID_ORIGIN = dt.date(2020, 1, 1)
GRID = DayGrid(CAL, GRID_ORIGIN, 0, 365 * 20)


@given(s.dates, s.dates)
def test_working_days_between_backwards_is_minus_forwards_as_the_day_grid_counts(
    a: dt.date, b: dt.date
) -> None:
    # tracking counts a breach's lateness with the calendar, the measures with the day grid: a
    # record tracked to a day before a due date (lateness negative) must get one answer from both
    assume(min(a, b) >= GRID_ORIGIN and max(a, b) < GRID_ORIGIN + dt.timedelta(days=365 * 20))
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
    day_a, day_b = GRID.day(a), GRID.day(b)
    assert CAL.working_days_between(a, b) == int(
        GRID.working_days_between(np.array([day_a]), np.array([day_b]))[0]
    )
