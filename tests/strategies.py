"""Hypothesis strategies shared by every property test (one module, as in attrs' test suite).

Dates run from 2020 to 2035 (the window `check` compares timescales over) and are weighted towards
the weeks where working-day arithmetic goes wrong: 15 December to 5 January, and Easter.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from casejourney.calendar import Duration, Unit

FIRST = dt.date(2020, 1, 1)
LAST = dt.date(2035, 12, 31)


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _offset(anchor: st.SearchStrategy[dt.date], low: int, high: int) -> st.SearchStrategy[dt.date]:
    return st.builds(lambda day, n: day + dt.timedelta(days=n), anchor, st.integers(low, high))


#: Any day in the window.
any_dates = st.dates(FIRST, LAST)
#: 15 December to 5 January: Christmas, Boxing Day, substitute days and New Year.
christmas_dates = _offset(st.integers(2020, 2034).map(lambda y: dt.date(y, 12, 15)), 0, 21)
#: The week before Easter to the week after: Good Friday and Easter Monday.
easter_dates = _offset(st.integers(2020, 2035).map(easter_sunday), -8, 8)
#: Dates for calendar properties: a third each from the whole window, Christmas and Easter.
dates = st.one_of(any_dates, christmas_dates, easter_dates)

#: Working-day counts as written in standards (1 working day ... a quarter of a year).
working_day_counts = st.integers(min_value=1, max_value=70)
#: Month counts for calendar-month arithmetic, backwards and forwards.
month_counts = st.integers(min_value=-60, max_value=60)
#: Local closure days, on and around the bank holidays.
closure_days = st.frozensets(dates, max_size=8)

#: Any valid duration.
durations = st.builds(
    Duration, value=st.integers(min_value=1, max_value=400), unit=st.sampled_from(list(Unit))
)
