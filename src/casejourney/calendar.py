"""Durations and working-day arithmetic: England & Wales bank holidays plus local closure days.

Consumes durations such as ``"15 working days"``; produces due dates. Conventions (see
docs/workflow-format.md): the anchor's day is day 0; "N working days after D" is the N-th working
day strictly after D; months and years are calendar months clamped to the month end; hours round up
to whole days because the tool works in dates.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import lru_cache

import holidays
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from casejourney.errors import DurationError

#: Holidays are computed for these years; dates outside them raise a clear error.
FIRST_YEAR = 2000
LAST_YEAR = 2060


class Unit(StrEnum):
    """The units a timescale may be written in."""

    HOURS = "hours"
    DAYS = "days"
    WORKING_DAYS = "working_days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


_UNIT_WORDS: dict[str, Unit] = {
    "hour": Unit.HOURS,
    "hours": Unit.HOURS,
    "day": Unit.DAYS,
    "days": Unit.DAYS,
    "calendar day": Unit.DAYS,
    "calendar days": Unit.DAYS,
    "working day": Unit.WORKING_DAYS,
    "working days": Unit.WORKING_DAYS,
    "working_day": Unit.WORKING_DAYS,
    "working_days": Unit.WORKING_DAYS,
    "week": Unit.WEEKS,
    "weeks": Unit.WEEKS,
    "month": Unit.MONTHS,
    "months": Unit.MONTHS,
    "year": Unit.YEARS,
    "years": Unit.YEARS,
}

_DURATION_RE = re.compile(r"^\s*(-?\d+)\s+([a-z_ ]+?)\s*$")


class Duration(BaseModel):
    """A positive length of time in one unit, e.g. 15 working days."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: int = Field(gt=0, description="How many units; a whole number above zero.")
    unit: Unit = Field(description="hours, days, working_days, weeks, months or years.")

    def __str__(self) -> str:
        word = self.unit.value.replace("_", " ")
        return f"{self.value} {word[:-1] if self.value == 1 else word}"

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Read ``"15 working days"``, ``"1 day"``, ``"3 months"``.

        Raises:
            DurationError: the text is not a whole number followed by a known unit, or not positive.

        """
        match = _DURATION_RE.match(text.lower())
        if not match:
            raise DurationError(
                f"cannot read duration {text!r}: write a whole number and a unit, "
                "e.g. '15 working days', '1 day', '6 weeks', '3 months'"
            )
        number, word = int(match.group(1)), " ".join(match.group(2).split())
        unit = _UNIT_WORDS.get(word)
        if unit is None:
            known = "hours, days, working days, weeks, months, years"
            raise DurationError(f"unknown unit {word!r} in {text!r}: use one of {known}")
        if number <= 0:
            raise DurationError(f"duration {text!r} must be above zero")
        return cls(value=number, unit=unit)


def add_months(start: dt.date, months: int) -> dt.date:
    """Add calendar months, clamping to the month end (30 Nov + 3 months = 28/29 Feb)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last = _stdcal.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(start.day, last))


def birthday(date_of_birth: dt.date, age: int) -> dt.date:
    """The day a child reaches ``age``; a 29 February birthday falls on 28 February."""
    return add_months(date_of_birth, 12 * age)


class WorkingCalendar:
    """Working days: Monday to Friday, less England & Wales bank holidays and closure days."""

    def __init__(self, closure_days: Iterable[dt.date] = ()) -> None:
        self.closure_days = frozenset(closure_days)
        self.bank_holidays = _bank_holidays()
        days_off = sorted(self.bank_holidays | self.closure_days)
        self._busdaycal = np.busdaycalendar(
            weekmask="1111100", holidays=np.array(days_off, dtype="datetime64[D]")
        )

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day."""
        _check_range(day)
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._busdaycal))

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day strictly after ``start`` (``n`` ≥ 0; 0 returns ``start``)."""
        if n == 0:
            return start
        _check_range(start)
        # Rolling a non-working start back to the previous working day leaves the count unchanged:
        # there is no working day between that day and ``start``.
        result = np.busday_offset(
            np.datetime64(start, "D"), n, roll="backward", busdaycal=self._busdaycal
        )
        return _to_date(result)

    def subtract_working_days(self, end: dt.date, n: int) -> dt.date:
        """The ``n``-th working day strictly before ``end`` (for lead times)."""
        if n == 0:
            return end
        _check_range(end)
        result = np.busday_offset(
            np.datetime64(end, "D"), -n, roll="forward", busdaycal=self._busdaycal
        )
        return _to_date(result)

    def subtract(self, end: dt.date, duration: Duration) -> dt.date:
        """The latest date that is at least ``duration`` before ``end``."""
        value, unit = duration.value, duration.unit
        if unit is Unit.WORKING_DAYS:
            return self.subtract_working_days(end, value)
        if unit is Unit.DAYS:
            return end - dt.timedelta(days=value)
        if unit is Unit.HOURS:
            return end - dt.timedelta(days=math.ceil(value / 24))
        if unit is Unit.WEEKS:
            return end - dt.timedelta(weeks=value)
        months = value if unit is Unit.MONTHS else 12 * value
        return add_months(end, -months)

    def add_working_days_many(self, starts: np.ndarray, n: int) -> np.ndarray:
        """Vectorised :meth:`add_working_days` over an array of ``datetime64[D]``."""
        if n == 0:
            return starts
        return np.busday_offset(starts, n, roll="backward", busdaycal=self._busdaycal)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in ``(start, end]``: how many working days ``end`` is after ``start``."""
        return int(
            np.busday_count(
                np.datetime64(start, "D") + 1,
                np.datetime64(end, "D") + 1,
                busdaycal=self._busdaycal,
            )
        )

    def add(self, start: dt.date, duration: Duration) -> dt.date:
        """The due date: ``duration`` after ``start`` under this calendar's conventions."""
        value, unit = duration.value, duration.unit
        if unit is Unit.WORKING_DAYS:
            return self.add_working_days(start, value)
        if unit is Unit.DAYS:
            return start + dt.timedelta(days=value)
        if unit is Unit.HOURS:
            return start + dt.timedelta(days=math.ceil(value / 24))
        if unit is Unit.WEEKS:
            return start + dt.timedelta(weeks=value)
        if unit is Unit.MONTHS:
            return add_months(start, value)
        return add_months(start, 12 * value)

    def lateness(self, due: dt.date, done: dt.date, unit: Unit) -> int:
        """How late ``done`` is against ``due``, in working days for working-day rules, else days."""
        if unit is Unit.WORKING_DAYS:
            return self.working_days_between(due, done)
        return (done - due).days


def _to_date(value: np.datetime64) -> dt.date:
    result = value.astype("datetime64[D]").astype(dt.date)
    assert isinstance(result, dt.date)
    return result


def _check_range(day: dt.date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR - 1:
        raise DurationError(
            f"date {day.isoformat()} is outside the calendar ({FIRST_YEAR}–{LAST_YEAR - 1})"
        )


@lru_cache(maxsize=1)
def _bank_holidays() -> frozenset[dt.date]:
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    return frozenset(days.keys())


@lru_cache(maxsize=8)
def default_calendar(closure_days: tuple[dt.date, ...] = ()) -> WorkingCalendar:
    """A shared calendar for the given closure days (building one costs a few milliseconds)."""
    return WorkingCalendar(closure_days)


class DayGrid:
    """Days as integers (day 0 = ``origin``) with working-day and month arithmetic precomputed.

    Simulations and metrics add durations to millions of days: here every convention of
    :meth:`WorkingCalendar.add` and :meth:`WorkingCalendar.subtract` is a table look-up, vectorised
    over numpy arrays (``add``, ``subtract``) or one day at a time through plain lists (``shift``).
    Days are exact inside ``[first, last]``; an answer that would fall outside is clamped to the
    nearest end, so make the grid wider than anything you ask about.
    """

    def __init__(self, calendar: WorkingCalendar, origin: dt.date, first: int, last: int) -> None:
        if last < first:
            raise ValueError("last must not be before first")
        _check_range(origin + dt.timedelta(days=first))
        _check_range(origin + dt.timedelta(days=last))
        self.calendar = calendar
        self.origin = origin
        self.first = first
        self.last = last
        days = np.datetime64(origin, "D") + np.arange(first, last + 1)
        self.working: np.ndarray = np.is_busday(days, busdaycal=calendar._busdaycal)
        #: working days in [first, d], indexed by d - first
        self.cum: np.ndarray = np.cumsum(self.working, dtype=np.int64)
        #: the working days, in order, as day numbers
        self.working_days: np.ndarray = np.flatnonzero(self.working).astype(np.int64) + first
        months = days.astype("datetime64[M]")
        self._month: np.ndarray = months.astype(np.int64)  # months since 1970-01
        self._dom: np.ndarray = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
        self._m0 = int(self._month[0])
        span = np.arange(self._m0, int(self._month[-1]) + 2).astype("datetime64[M]")
        starts = (span.astype("datetime64[D]") - np.datetime64(origin, "D")).astype(np.int64)
        self._mstart: np.ndarray = starts[:-1]
        self._mlen: np.ndarray = np.diff(starts)
        # Plain lists for one-at-a-time look-ups in simulation hot paths.
        self.cum_list: list[int] = self.cum.tolist()
        self.working_list: list[int] = self.working_days.tolist()
        self.is_working_list: list[bool] = self.working.tolist()
        self._month_list: list[int] = self._month.tolist()
        self._dom_list: list[int] = self._dom.tolist()
        self._mstart_list: list[int] = self._mstart.tolist()
        self._mlen_list: list[int] = self._mlen.tolist()

    def day(self, date: dt.date) -> int:
        """The day number of ``date``."""
        return (date - self.origin).days

    def date(self, day: int) -> dt.date:
        """The date of day number ``day``."""
        return self.origin + dt.timedelta(days=int(day))

    def dates(self, days: np.ndarray) -> np.ndarray:
        """Day numbers as ``datetime64[D]``."""
        return np.datetime64(self.origin, "D") + np.asarray(days, dtype=np.int64)

    def _clip(self, days: np.ndarray) -> np.ndarray:
        clipped: np.ndarray = np.clip(days, self.first, self.last)
        return clipped

    def add(self, days: np.ndarray, duration: Duration) -> np.ndarray:
        """``duration`` after each day, as :meth:`WorkingCalendar.add` (vectorised)."""
        return self.add_units(days, duration.unit, duration.value)

    def subtract(self, days: np.ndarray, duration: Duration) -> np.ndarray:
        """The latest day at least ``duration`` before each day, as :meth:`WorkingCalendar.subtract`."""
        return self.add_units(days, duration.unit, -duration.value)

    def add_units(self, days: np.ndarray, unit: Unit, n: int | np.ndarray) -> np.ndarray:
        """``n`` units after (``n`` < 0: before) each day, under the calendar's conventions.

        Working days forward: the n-th working day strictly after the day (a non-working day counts
        from the working day before it); backward: the n-th working day strictly before (counting
        from the working day after). Hours round up to whole days; months clamp to the month end.
        """
        d = self._clip(np.asarray(days, dtype=np.int64))
        steps = np.asarray(n, dtype=np.int64)
        if unit is Unit.WORKING_DAYS:
            index = d - self.first
            forward = self.cum[index] + steps - 1
            backward = self.cum[index] - self.working[index] + steps
            pick = np.where(steps > 0, forward, backward)
            top = len(self.working_days) - 1
            found = self.working_days[np.clip(pick, 0, top)]
            found = np.where(pick > top, self.last, np.where(pick < 0, self.first, found))
            return np.where(steps == 0, d, found)
        if unit is Unit.DAYS:
            return self._clip(d + steps)
        if unit is Unit.HOURS:
            whole = np.where(steps >= 0, -(-steps // 24), -((-steps + 23) // 24))
            return self._clip(d + whole)
        if unit is Unit.WEEKS:
            return self._clip(d + 7 * steps)
        months = steps if unit is Unit.MONTHS else 12 * steps
        index = d - self.first
        target = self._month[index] + months - self._m0
        inside = (target >= 0) & (target < len(self._mstart))
        safe = np.clip(target, 0, len(self._mstart) - 1)
        found = self._mstart[safe] + np.minimum(self._dom[index], self._mlen[safe]) - 1
        found = np.where(inside, found, np.where(target < 0, self.first, self.last))
        return self._clip(found)

    def working_days_between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working days in ``(start, end]`` (negative when ``end`` is before ``start``)."""
        a = self._clip(np.asarray(start, dtype=np.int64)) - self.first
        b = self._clip(np.asarray(end, dtype=np.int64)) - self.first
        between: np.ndarray = self.cum[b] - self.cum[a]
        return between

    def shift(self, day: int, unit: Unit, n: int) -> int:
        """One day moved by ``n`` units (as :meth:`add_units`), with list look-ups only."""
        if unit is Unit.DAYS or unit is Unit.WEEKS or unit is Unit.HOURS:
            if unit is Unit.WEEKS:
                n *= 7
            elif unit is Unit.HOURS:
                n = -(-n // 24) if n >= 0 else -((-n + 23) // 24)
            return min(max(day + n, self.first), self.last)
        day = min(max(day, self.first), self.last)
        index = day - self.first
        if unit is Unit.WORKING_DAYS:
            if n == 0:
                return day
            if n > 0:
                pick = self.cum_list[index] + n - 1
            else:
                pick = self.cum_list[index] - self.is_working_list[index] + n
            if pick >= len(self.working_list):
                return self.last
            return self.working_list[pick] if pick >= 0 else self.first
        months = n if unit is Unit.MONTHS else 12 * n
        target = self._month_list[index] + months - self._m0
        if target < 0:
            return self.first
        if target >= len(self._mstart_list):
            return self.last
        found = self._mstart_list[target] + min(self._dom_list[index], self._mlen_list[target]) - 1
        return min(max(found, self.first), self.last)

    def shifter(self, unit: Unit) -> Callable[[int, int], int]:
        """A function ``(day, n) -> day`` equal to ``shift(day, unit, n)``, specialised for speed."""
        first, last = self.first, self.last
        if unit is Unit.WORKING_DAYS:
            cum, working, is_working = self.cum_list, self.working_list, self.is_working_list
            top = len(working) - 1

            def working_days(day: int, n: int) -> int:
                if day < first or day > last:
                    day = first if day < first else last
                if n == 0:
                    return day
                index = day - first
                pick = cum[index] + n - 1 if n > 0 else cum[index] - is_working[index] + n
                if pick > top:
                    return last
                return working[pick] if pick >= 0 else first

            return working_days
        if unit is Unit.DAYS or unit is Unit.WEEKS:
            step = 7 if unit is Unit.WEEKS else 1

            def days(day: int, n: int) -> int:
                found = day + step * n
                return first if found < first else (last if found > last else found)

            return days
        if unit is Unit.HOURS:
            return lambda day, n: self.shift(day, unit, n)
        months_list, dom, mstart, mlen = (
            self._month_list,
            self._dom_list,
            self._mstart_list,
            self._mlen_list,
        )
        m0, per = self._m0, (1 if unit is Unit.MONTHS else 12)
        top_month = len(mstart)

        def months(day: int, n: int) -> int:
            if day < first or day > last:
                day = first if day < first else last
            index = day - first
            target = months_list[index] + per * n - m0
            if target < 0:
                return first
            if target >= top_month:
                return last
            found = mstart[target] + min(dom[index], mlen[target]) - 1
            return first if found < first else (last if found > last else found)

        return months
