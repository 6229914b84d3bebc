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
from collections.abc import Iterable
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
