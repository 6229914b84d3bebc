"""Durations and working-day arithmetic: England & Wales bank holidays plus local closure days.

Consumes durations such as ``"15 working days"`` and a school-terms file; produces due dates.
Conventions (see docs/workflow-format.md): the anchor's day is day 0; "N working days after D" is
the N-th working day strictly after D, and "N school days after D" the N-th school day (a working
day inside a term, outside its half-term break); "N terms after D" is the last day of the N-th
term to begin after D, and "N school years after D" the 31 August ending the N-th school year to
begin after D; months and years are calendar months clamped to the month end; hours round up to
whole days because the tool works in dates.
"""

from __future__ import annotations

import calendar as _stdcal
import csv
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import holidays
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from casejourney.errors import DurationError, TermDatesError

#: Holidays are computed for these years; dates outside them raise a clear error.
FIRST_YEAR = 2000
LAST_YEAR = 2060


class Unit(StrEnum):
    """The units a timescale may be written in."""

    HOURS = "hours"
    DAYS = "days"
    WORKING_DAYS = "working_days"
    SCHOOL_DAYS = "school_days"
    WEEKS = "weeks"
    TERMS = "terms"
    MONTHS = "months"
    YEARS = "years"
    SCHOOL_YEARS = "school_years"


#: Units counted on the school calendar (they need term dates).
SCHOOL_UNITS = frozenset({Unit.SCHOOL_DAYS, Unit.TERMS, Unit.SCHOOL_YEARS})


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
    "school day": Unit.SCHOOL_DAYS,
    "school days": Unit.SCHOOL_DAYS,
    "school_day": Unit.SCHOOL_DAYS,
    "school_days": Unit.SCHOOL_DAYS,
    "term": Unit.TERMS,
    "terms": Unit.TERMS,
    "school year": Unit.SCHOOL_YEARS,
    "school years": Unit.SCHOOL_YEARS,
    "school_year": Unit.SCHOOL_YEARS,
    "school_years": Unit.SCHOOL_YEARS,
    "week": Unit.WEEKS,
    "weeks": Unit.WEEKS,
    "month": Unit.MONTHS,
    "months": Unit.MONTHS,
    "year": Unit.YEARS,
    "years": Unit.YEARS,
}

_DURATION_RE = re.compile(r"^\s*(-?\d+)\s+([a-z_ ]+?)\s*$")


class Duration(BaseModel):
    """A length of time in one unit, e.g. 15 working days.

    Above zero, but for a lead time of ``0 days`` ("before it, on the same day"): the workflow
    format allows zero there and nowhere else (``spec.models.LeadField``); ``parse`` refuses it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: int = Field(ge=0, description="How many units; a whole number above zero.")
    unit: Unit = Field(
        description="hours, days, working_days, school_days, weeks, terms, months, years or "
        "school_years."
    )

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
            known = (
                "hours, days, working days, school days, weeks, terms, months, years, school years"
            )
            raise DurationError(f"unknown unit {word!r} in {text!r}: use one of {known}")
        if number <= 0:
            raise DurationError(f"duration {text!r} must be above zero")
        return cls(value=number, unit=unit)


#: The shipped England term dates (see the file's header for its sources).
ENGLAND_TERMS = Path(__file__).with_name("school_terms_england.csv")

#: School years (by the calendar year they begin) for which terms are known: listed or moved.
_TERMS_UNTIL = 2300

#: A term-dates file is three lines a school year; anything far larger is refused unread.
_TERMS_MAX_BYTES = 1_000_000

_TERM_COLUMNS = ("academic_year", "term", "starts", "ends", "half_term_starts", "half_term_ends")
_TERM_NAMES = ("autumn", "spring", "summer")


@dataclass(frozen=True)
class Term:
    """One school term: open to pupils from ``starts`` to ``ends``, less its half-term break."""

    academic_year: int  # the calendar year in which the school year begins (2025 for 2025/26)
    name: str
    starts: dt.date
    ends: dt.date
    half_term: tuple[dt.date, dt.date] | None

    def moved(self, days: int, academic_year: int) -> Term:
        """The same term ``days`` later, labelled with another school year."""
        step = dt.timedelta(days=days)
        half = (
            None if self.half_term is None else (self.half_term[0] + step, self.half_term[1] + step)
        )
        return Term(academic_year, self.name, self.starts + step, self.ends + step, half)


class SchoolTerms:
    """School terms for every school year the calendar covers.

    ``listed`` are the terms a file gives; a school year it does not list takes the nearest listed
    year's terms moved by whole weeks, so each date keeps its weekday and stays within three days
    of its calendar date (Easter is not followed).
    """

    def __init__(self, listed: Sequence[Term], source: str) -> None:
        if not listed:
            raise TermDatesError(source, 0, "no terms listed")
        self.source = source
        self.listed = tuple(sorted(listed, key=lambda t: t.starts))
        by_year: dict[int, list[Term]] = {}
        for term in self.listed:
            by_year.setdefault(term.academic_year, []).append(term)
        years = sorted(by_year)
        terms: list[Term] = []
        # Far beyond the holiday years, so a long count of terms from any date has an answer.
        for year in range(FIRST_YEAR - 1, _TERMS_UNTIL):
            if year in by_year:
                terms.extend(by_year[year])
                continue
            nearest = min(years, key=lambda y: (abs(y - year), -y))
            gap = (dt.date(year, 9, 1) - dt.date(nearest, 9, 1)).days
            terms.extend(t.moved(7 * round(gap / 7), year) for t in by_year[nearest])
        self.terms = tuple(terms)
        self.starts = np.array([t.starts for t in terms], dtype="datetime64[D]")
        self.ends = np.array([t.ends for t in terms], dtype="datetime64[D]")

    def closed_days(self) -> np.ndarray:
        """Every day outside a term or inside a half-term break, as ``datetime64[D]``."""
        first = dt.date(FIRST_YEAR, 1, 1)
        size = (dt.date(LAST_YEAR + 1, 1, 1) - first).days
        open_ = np.zeros(size, dtype=bool)
        for term in self.terms:
            a, b = (term.starts - first).days, (term.ends - first).days
            open_[max(a, 0) : max(b + 1, 0)] = True
            if term.half_term is not None:
                h0, h1 = (term.half_term[0] - first).days, (term.half_term[1] - first).days
                open_[max(h0, 0) : max(h1 + 1, 0)] = False
        closed: np.ndarray = np.datetime64(first, "D") + np.flatnonzero(~open_)
        return closed

    def end_after(self, day: dt.date, n: int) -> dt.date:
        """The last day of the ``n``-th term to begin after ``day`` (``n`` ≥ 1)."""
        k = int(np.searchsorted(self.starts, np.datetime64(day, "D"), side="right")) + n - 1
        return self.terms[_term_index(k, len(self.terms), day)].ends

    def start_before(self, day: dt.date, n: int) -> dt.date:
        """The first day of the ``n``-th term to end before ``day`` (``n`` ≥ 1)."""
        k = int(np.searchsorted(self.ends, np.datetime64(day, "D"), side="left")) - n
        return self.terms[_term_index(k, len(self.terms), day)].starts


def _term_index(k: int, count: int, day: dt.date) -> int:
    if not 0 <= k < count:
        raise DurationError(f"date {day.isoformat()} is outside the school terms known")
    return k


def school_year_end_after(day: dt.date, n: int) -> dt.date:
    """The 31 August ending the ``n``-th school year to begin (on 1 September) after ``day``."""
    first = day.year if (day.month, day.day) < (9, 1) else day.year + 1
    return dt.date(first + n, 8, 31)


def school_year_start_before(day: dt.date, n: int) -> dt.date:
    """The 1 September beginning the ``n``-th school year to end (on 31 August) before ``day``."""
    last = day.year if (day.month, day.day) > (8, 31) else day.year - 1
    return dt.date(last - n, 9, 1)


def read_terms(path: Path) -> SchoolTerms:
    """Read a term-dates file (CSV with ``_TERM_COLUMNS``; ``#`` lines are comments).

    Raises:
        DurationError: naming the file, the line and the fix, for any row that is not a term.

    """
    try:
        if path.stat().st_size > _TERMS_MAX_BYTES:
            raise TermDatesError(
                str(path),
                0,
                f"over {_TERMS_MAX_BYTES:,} bytes: a term-dates file is a few lines a year",
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TermDatesError(str(path), 0, f"cannot read term dates ({error})") from None
    rows = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not _skip(line)]
    if not rows:
        raise TermDatesError(
            str(path), 0, f"no header; the first line must be {','.join(_TERM_COLUMNS)}"
        )
    header_line, header = rows[0]
    if tuple(c.strip() for c in header.split(",")) != _TERM_COLUMNS:
        raise TermDatesError(
            str(path), header_line, f"the header must be {','.join(_TERM_COLUMNS)}, not {header!r}"
        )
    terms: list[Term] = []
    for number, line in rows[1:]:
        terms.append(_read_term(path, number, line))
        if len(terms) > 1 and terms[-1].starts <= terms[-2].ends:
            raise TermDatesError(
                str(path),
                number,
                f"this term starts on {terms[-1].starts}, before the one above "
                f"ends ({terms[-2].ends}); list terms in order, without overlaps",
            )
    seen: dict[int, list[str]] = {}
    for term in terms:
        seen.setdefault(term.academic_year, []).append(term.name)
    for year, names in seen.items():
        if tuple(names) != _TERM_NAMES:
            where = next(
                n for (n, _), t in zip(rows[1:], terms, strict=True) if t.academic_year == year
            )
            raise TermDatesError(
                str(path),
                where,
                f"school year {year}/{(year + 1) % 100:02d} lists {', '.join(names)}; "
                "give its autumn, spring and summer terms, in that order",
            )
    return SchoolTerms(terms, str(path))


def _skip(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _read_term(path: Path, number: int, line: str) -> Term:
    cells = [c.strip() for c in next(csv.reader([line]))]
    where = (str(path), number)
    if len(cells) != len(_TERM_COLUMNS):
        raise TermDatesError(
            *where,
            f"{len(cells)} values; a term is {len(_TERM_COLUMNS)}: "
            f"{','.join(_TERM_COLUMNS)} (leave both half-term cells empty if there is none)",
        )
    label, name = cells[0], cells[1]
    match = re.fullmatch(r"(\d{4})/(\d{2})", label)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise TermDatesError(*where, f"academic year {label!r} must be written like 2025/26")
    if name not in _TERM_NAMES:
        raise TermDatesError(*where, f"term {name!r} must be one of {', '.join(_TERM_NAMES)}")
    dates: list[dt.date | None] = []
    for column, cell in zip(_TERM_COLUMNS[2:], cells[2:], strict=True):
        if not cell and column.startswith("half_term"):
            dates.append(None)
            continue
        try:
            dates.append(dt.date.fromisoformat(cell))
        except ValueError:
            raise TermDatesError(
                *where, f"{column} {cell!r} is not a date; write it as YYYY-MM-DD"
            ) from None
    starts, ends, half_start, half_end = dates
    assert starts is not None and ends is not None
    year = int(match.group(1))
    if not dt.date(year, 8, 1) <= starts <= ends <= dt.date(year + 1, 8, 31):
        raise TermDatesError(
            *where,
            f"a {label} term runs from August {year} to August {year + 1}, with its "
            f"start no later than its end ({starts} to {ends})",
        )
    if (half_start is None) != (half_end is None):
        raise TermDatesError(*where, "give both half-term dates, or neither")
    half = None
    if half_start is not None and half_end is not None:
        if not starts < half_start <= half_end < ends:
            raise TermDatesError(
                *where,
                f"the half-term break ({half_start} to {half_end}) must fall inside "
                f"the term ({starts} to {ends})",
            )
        half = (half_start, half_end)
    return Term(year, name, starts, ends, half)


@lru_cache(maxsize=8)
def load_terms(path: Path = ENGLAND_TERMS) -> SchoolTerms:
    """The school terms in ``path`` (read once per path)."""
    return read_terms(path)


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
    """Working days: Monday to Friday, less England & Wales bank holidays and closure days.

    School days are the working days inside a school term (``terms``: England's shipped dates
    unless an authority names its own) and outside its half-term break.
    """

    def __init__(
        self, closure_days: Iterable[dt.date] = (), terms: SchoolTerms | None = None
    ) -> None:
        self.closure_days = frozenset(closure_days)
        self.bank_holidays = _bank_holidays()
        self.terms = terms if terms is not None else load_terms()
        days_off = np.array(sorted(self.bank_holidays | self.closure_days), dtype="datetime64[D]")
        self._busdaycal = np.busdaycalendar(weekmask="1111100", holidays=days_off)
        self._schoolcal = np.busdaycalendar(
            weekmask="1111100",
            holidays=np.union1d(days_off, self.terms.closed_days()),
        )

    def _counting(self, unit: Unit) -> np.busdaycalendar:
        return self._schoolcal if unit is Unit.SCHOOL_DAYS else self._busdaycal

    def is_school_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a school day (a working day in term, outside half-term)."""
        _check_range(day)
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._schoolcal))

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day."""
        _check_range(day)
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._busdaycal))

    def add_working_days(self, start: dt.date, n: int, unit: Unit = Unit.WORKING_DAYS) -> dt.date:
        """The ``n``-th working day strictly after ``start`` (``n`` ≥ 0; 0 returns ``start``).

        With ``unit=Unit.SCHOOL_DAYS``, the ``n``-th school day.
        """
        if n == 0:
            return start
        _check_range(start)
        # Rolling a non-working start back to the previous working day leaves the count unchanged:
        # there is no working day between that day and ``start``.
        result = np.busday_offset(
            np.datetime64(start, "D"), n, roll="backward", busdaycal=self._counting(unit)
        )
        return _to_date(result)

    def subtract_working_days(
        self, end: dt.date, n: int, unit: Unit = Unit.WORKING_DAYS
    ) -> dt.date:
        """The ``n``-th working (or, with ``unit``, school) day strictly before ``end``."""
        if n == 0:
            return end
        _check_range(end)
        result = np.busday_offset(
            np.datetime64(end, "D"), -n, roll="forward", busdaycal=self._counting(unit)
        )
        return _to_date(result)

    def subtract(self, end: dt.date, duration: Duration) -> dt.date:
        """The latest date that is at least ``duration`` before ``end``."""
        value, unit = duration.value, duration.unit
        if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
            return self.subtract_working_days(end, value, unit)
        if unit is Unit.TERMS:
            _check_range(end)
            return self.terms.start_before(end, value)
        if unit is Unit.SCHOOL_YEARS:
            return school_year_start_before(end, value)
        if unit is Unit.DAYS:
            return end - dt.timedelta(days=value)
        if unit is Unit.HOURS:
            return end - dt.timedelta(days=math.ceil(value / 24))
        if unit is Unit.WEEKS:
            return end - dt.timedelta(weeks=value)
        months = value if unit is Unit.MONTHS else 12 * value
        return add_months(end, -months)

    def add_working_days_many(
        self, starts: np.ndarray, n: int, unit: Unit = Unit.WORKING_DAYS
    ) -> np.ndarray:
        """Vectorised :meth:`add_working_days` over an array of ``datetime64[D]``."""
        if n == 0:
            return starts
        return np.busday_offset(starts, n, roll="backward", busdaycal=self._counting(unit))

    def working_days_between(
        self, start: dt.date, end: dt.date, unit: Unit = Unit.WORKING_DAYS
    ) -> int:
        """Working (or school) days in ``(start, end]``: how many ``end`` is after ``start``.

        Negative when ``end`` is before ``start``: minus the days in ``(end, start]``, as the day
        grid counts (numpy's count backwards is of ``[end, start)`` shifted, one off where both
        ends are working days).
        """
        if end < start:
            return -self.working_days_between(end, start, unit)
        return int(
            np.busday_count(
                np.datetime64(start, "D") + 1,
                np.datetime64(end, "D") + 1,
                busdaycal=self._counting(unit),
            )
        )

    def add(self, start: dt.date, duration: Duration) -> dt.date:
        """The due date: ``duration`` after ``start`` under this calendar's conventions."""
        value, unit = duration.value, duration.unit
        if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
            return self.add_working_days(start, value, unit)
        if unit is Unit.TERMS:
            _check_range(start)
            return self.terms.end_after(start, value)
        if unit is Unit.SCHOOL_YEARS:
            return school_year_end_after(start, value)
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
        """How late ``done`` is against ``due``, in working or school days for rules counted in them."""
        if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
            return self.working_days_between(due, done, unit)
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
def default_calendar(
    closure_days: tuple[dt.date, ...] = (), term_dates: Path | None = None
) -> WorkingCalendar:
    """A shared calendar for the given closure days and term-dates file (default: England's)."""
    return WorkingCalendar(closure_days, load_terms(term_dates or ENGLAND_TERMS))


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
        # School days, as working days; terms and school years as tables of their ends.
        self.school: np.ndarray = np.is_busday(days, busdaycal=calendar._schoolcal)
        self.school_cum: np.ndarray = np.cumsum(self.school, dtype=np.int64)
        self.school_days: np.ndarray = np.flatnonzero(self.school).astype(np.int64) + first
        self._school_lists = (
            self.school_cum.tolist(),
            self.school_days.tolist(),
            self.school.tolist(),
        )
        terms = calendar.terms
        origin64 = np.datetime64(origin, "D")
        self._term_start: np.ndarray = (terms.starts - origin64).astype(np.int64)
        self._term_end: np.ndarray = (terms.ends - origin64).astype(np.int64)
        #: per day: the index of the first term to begin after it, and of the first to end on or
        #: after it (the last term to end before it is the one before that)
        self._term_next: np.ndarray = np.searchsorted(self._term_start, days - origin64, "right")
        self._term_prev: np.ndarray = np.searchsorted(self._term_end, days - origin64, "left")
        year = days.astype("datetime64[Y]")
        years = year.astype(np.int64) + 1970
        september = (year.astype("datetime64[M]") + 8).astype("datetime64[D]")
        #: per day: the calendar year whose 1 September begins the first school year after it
        self._sy_next: np.ndarray = np.where(days < september, years, years + 1)
        #: per day: the calendar year whose 31 August ends the last school year before it
        self._sy_prev: np.ndarray = np.where(days >= september, years, years - 1)
        # Plain lists for one-at-a-time look-ups (the engine's recurring tasks).
        self._term_lists = (
            self._term_next.tolist(),
            self._term_prev.tolist(),
            self._term_start.tolist(),
            self._term_end.tolist(),
        )
        self._sy_lists = (self._sy_next.tolist(), self._sy_prev.tolist())

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
        if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
            school = unit is Unit.SCHOOL_DAYS
            flags = self.school if school else self.working
            cum = self.school_cum if school else self.cum
            listed = self.school_days if school else self.working_days
            index = d - self.first
            forward = cum[index] + steps - 1
            backward = cum[index] - flags[index] + steps
            pick = np.where(steps > 0, forward, backward)
            top = len(listed) - 1
            if top < 0:
                return np.where(steps > 0, self.last, np.where(steps < 0, self.first, d))
            found = listed[np.clip(pick, 0, top)]
            found = np.where(pick > top, self.last, np.where(pick < 0, self.first, found))
            return np.where(steps == 0, d, found)
        if unit is Unit.TERMS:
            index = d - self.first
            k = np.where(
                steps > 0, self._term_next[index] + steps - 1, self._term_prev[index] + steps
            )
            count = len(self._term_end)
            safe = np.clip(k, 0, count - 1)
            found = np.where(steps > 0, self._term_end[safe], self._term_start[safe])
            found = np.where(k >= count, self.last, np.where(k < 0, self.first, found))
            return self._clip(np.where(steps == 0, d, found))
        if unit is Unit.SCHOOL_YEARS:
            index = d - self.first
            year = np.where(steps > 0, self._sy_next[index] + steps, self._sy_prev[index] + steps)
            month = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]")
            end = (month + 7).astype("datetime64[D]") + 30  # 31 August
            start = (month + 8).astype("datetime64[D]")  # 1 September
            found = (np.where(steps > 0, end, start) - np.datetime64(self.origin, "D")).astype(
                np.int64
            )
            return self._clip(np.where(steps == 0, d, found))
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

    def working_days_between(
        self, start: np.ndarray, end: np.ndarray, unit: Unit = Unit.WORKING_DAYS
    ) -> np.ndarray:
        """Working (or school) days in ``(start, end]`` (negative when ``end`` is before)."""
        cum = self.school_cum if unit is Unit.SCHOOL_DAYS else self.cum
        a = self._clip(np.asarray(start, dtype=np.int64)) - self.first
        b = self._clip(np.asarray(end, dtype=np.int64)) - self.first
        between: np.ndarray = cum[b] - cum[a]
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
        if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
            if unit is Unit.WORKING_DAYS:
                cum, listed, flags = self.cum_list, self.working_list, self.is_working_list
            else:
                cum, listed, flags = self._school_lists
            if n == 0:
                return day
            pick = cum[index] + n - 1 if n > 0 else cum[index] - flags[index] + n
            if pick >= len(listed):
                return self.last
            return listed[pick] if pick >= 0 else self.first
        if unit is Unit.TERMS or unit is Unit.SCHOOL_YEARS:
            found = self._school_shift(day, index, unit, n)
            return min(max(found, self.first), self.last)
        months = n if unit is Unit.MONTHS else 12 * n
        target = self._month_list[index] + months - self._m0
        if target < 0:
            return self.first
        if target >= len(self._mstart_list):
            return self.last
        found = self._mstart_list[target] + min(self._dom_list[index], self._mlen_list[target]) - 1
        return min(max(found, self.first), self.last)

    def _school_shift(self, day: int, index: int, unit: Unit, n: int) -> int:
        """``shift`` by terms or school years, from ``day`` (``index`` into the grid); unclamped."""
        if n == 0:
            return day
        if unit is Unit.TERMS:
            following, preceding, starts, ends = self._term_lists
            k = following[index] + n - 1 if n > 0 else preceding[index] + n
            if k < 0:
                return self.first
            if k >= len(ends):
                return self.last
            return int(ends[k] if n > 0 else starts[k])
        following_year, preceding_year = self._sy_lists
        if n > 0:
            return self.day(dt.date(following_year[index] + n, 8, 31))
        return self.day(dt.date(preceding_year[index] + n, 9, 1))

    def shifter(self, unit: Unit) -> Callable[[int, int], int]:  # noqa: C901 (one branch per unit)
        """A function ``(day, n) -> day`` equal to ``shift(day, unit, n)``, specialised for speed."""
        first, last = self.first, self.last
        if unit is Unit.TERMS or unit is Unit.SCHOOL_YEARS:
            return lambda day, n: self.shift(day, unit, n)
        if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
            if unit is Unit.WORKING_DAYS:
                cum, working, is_working = self.cum_list, self.working_list, self.is_working_list
            else:
                cum, working, is_working = self._school_lists
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
