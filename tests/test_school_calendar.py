"""School days, terms and school years: the school calendar of docs/workflow-format.md."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import casejourney
from casejourney.api import Level
from casejourney.calendar import (
    ENGLAND_TERMS,
    DayGrid,
    Duration,
    Unit,
    WorkingCalendar,
    default_calendar,
    read_terms,
)
from casejourney.errors import TermDatesError

D = dt.date
CAL = default_calendar()


def due(start: dt.date, within: str, calendar: WorkingCalendar = CAL) -> dt.date:
    return calendar.add(start, Duration.parse(within))


# --- School days ---------------------------------------------------------------------------------


def test_school_days_skip_the_october_half_term() -> None:
    # Liverpool 2025/26: half-term Monday 27 to Friday 31 October 2025. From Monday 20 October,
    # four school days that week, none the next, then 3-7 and 10 November.
    assert due(D(2025, 10, 20), "10 school days") == D(2025, 11, 10)
    assert due(D(2025, 10, 20), "10 working days") == D(2025, 11, 3)


def test_school_days_skip_christmas_and_new_year() -> None:
    # Autumn term ends Friday 19 December 2025; spring begins Monday 5 January 2026.
    assert due(D(2025, 12, 15), "10 school days") == D(2026, 1, 12)
    # Across a half-term *and* Christmas: from Monday 20 October 2025, 4 school days that week,
    # none in half-term, 35 from 3 November to 19 December (seven weeks), and the 40th is the
    # first day of the spring term.
    assert due(D(2025, 10, 20), "40 school days") == D(2026, 1, 5)
    assert due(D(2025, 10, 20), "43 school days") == D(2026, 1, 8)


def test_a_bank_holiday_in_term_is_not_a_school_day() -> None:
    # Early May bank holiday, Monday 4 May 2026, falls in the summer term.
    assert not CAL.is_school_day(D(2026, 5, 4))
    assert CAL.is_school_day(D(2026, 5, 5))
    assert due(D(2026, 5, 1), "1 school day") == D(2026, 5, 5)


def test_school_days_are_never_in_the_holidays() -> None:
    for day in (D(2025, 8, 15), D(2025, 10, 29), D(2025, 12, 24), D(2026, 4, 8), D(2026, 7, 21)):
        assert not CAL.is_school_day(day)


def test_lateness_of_a_school_day_rule_is_in_school_days() -> None:
    # Due Friday 24 October 2025, done Monday 3 November: one school day late (half-term between).
    assert CAL.lateness(D(2025, 10, 24), D(2025, 11, 3), Unit.SCHOOL_DAYS) == 1
    assert CAL.lateness(D(2025, 10, 24), D(2025, 11, 3), Unit.WORKING_DAYS) == 6


# --- Terms and school years ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "within", "expected", "why"),
    [
        (D(2025, 10, 1), "1 term", D(2026, 3, 27), "in the autumn term: by the end of spring"),
        (D(2025, 12, 25), "1 term", D(2026, 3, 27), "in the Christmas holiday: spring too"),
        (D(2025, 9, 1), "1 term", D(2026, 3, 27), "the autumn term's first day is in it"),
        (D(2025, 8, 31), "1 term", D(2025, 12, 19), "before autumn begins: autumn"),
        (D(2025, 10, 1), "2 terms", D(2026, 7, 20), "two terms on: summer"),
        (D(2026, 8, 31), "1 school year", D(2027, 8, 31), "Year N begins on 1 September"),
        (D(2026, 9, 1), "1 school year", D(2028, 8, 31), "the next to begin after 1 September"),
    ],
)
def test_terms_and_school_years(start: dt.date, within: str, expected: dt.date, why: str) -> None:
    assert due(start, within) == expected, why


def test_terms_back_are_the_first_day_of_an_earlier_term() -> None:
    assert CAL.subtract(D(2026, 1, 10), Duration.parse("1 term")) == D(2025, 9, 1)


def test_a_year_not_listed_keeps_the_weekdays_and_the_season() -> None:
    terms = CAL.terms
    listed = {t.academic_year for t in terms.listed}
    for term in terms.terms:
        if term.academic_year in listed or not 2000 <= term.academic_year <= 2059:
            continue
        nearest = min(listed, key=lambda y: (abs(y - term.academic_year), -y))
        source = next(t for t in terms.listed if t.name == term.name and t.academic_year == nearest)
        assert term.starts.weekday() == source.starts.weekday()
        same_day = D(term.starts.year, source.starts.month, min(source.starts.day, 28))
        assert abs((term.starts - same_day).days) <= 7


# --- The engine's day grid agrees with the calendar ------------------------------------------------

GRID = DayGrid(CAL, D(2024, 1, 1), -4500, 5000)  # wider than any answer asked for


@given(
    st.integers(-2500, 3000),
    st.sampled_from([Unit.SCHOOL_DAYS, Unit.TERMS, Unit.SCHOOL_YEARS]),
    st.integers(1, 3),
    st.booleans(),
)
def test_grid_agrees_with_the_calendar(day: int, unit: Unit, n: int, back: bool) -> None:
    value = n * 20 if unit is Unit.SCHOOL_DAYS else n
    duration = Duration(value=value, unit=unit)
    start = GRID.date(day)
    want = CAL.subtract(start, duration) if back else CAL.add(start, duration)
    step = -value if back else value
    assert GRID.date(int(GRID.add_units(np.array([day]), unit, step)[0])) == want
    assert GRID.date(GRID.shift(day, unit, step)) == want
    assert GRID.date(GRID.shifter(unit)(day, step)) == want


# --- The term-dates file --------------------------------------------------------------------------

HEADER = "academic_year,term,starts,ends,half_term_starts,half_term_ends\n"
GOOD = (
    "2025/26,autumn,2025-09-01,2025-12-19,2025-10-27,2025-10-31\n"
    "2025/26,spring,2026-01-05,2026-03-27,2026-02-16,2026-02-20\n"
    "2025/26,summer,2026-04-13,2026-07-20,2026-05-25,2026-05-29\n"
)


def test_the_shipped_file_names_its_sources() -> None:
    text = ENGLAND_TERMS.read_text(encoding="utf-8")
    assert "Liverpool City Council" in text and "Knowsley Council" in text
    assert len(read_terms(ENGLAND_TERMS).listed) % 3 == 0


def test_an_authority_file_changes_the_school_days(tmp_path: Path) -> None:
    # A file whose October half-term is a week earlier.
    path = tmp_path / "terms.csv"
    path.write_text(
        "# my authority\n"
        + HEADER
        + GOOD.replace("2025-10-27,2025-10-31", "2025-10-20,2025-10-24"),
        encoding="utf-8",
    )
    own = WorkingCalendar(terms=read_terms(path))
    assert own.is_school_day(D(2025, 10, 27)) and not own.is_school_day(D(2025, 10, 20))
    assert due(D(2025, 10, 13), "5 school days", own) == D(2025, 10, 27)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (GOOD.replace("2025-12-19", "2025-12-32"), 2, "ends '2025-12-32' is not a date"),
        (GOOD.replace("autumn", "fall"), 2, "term 'fall' must be one of"),
        (GOOD.replace("2025/26,spring", "2025/27,spring"), 3, "must be written like 2025/26"),
        (GOOD.replace(",2025-10-27,2025-10-31", ",2025-10-27,"), 2, "both half-term dates"),
        (GOOD.replace("2025-10-27,2025-10-31", "2026-01-27,2026-01-31"), 2, "inside the term"),
        (GOOD.replace("2026-01-05", "2025-12-01"), 3, "before the one above ends"),
        (GOOD.replace(",2025-10-31\n", ",2025-10-31,extra\n"), 2, "7 values"),
        (GOOD.split("\n", 1)[1], 2, "give its autumn, spring and summer terms"),
    ],
)
def test_a_bad_term_file_is_reported_at_its_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = tmp_path / "terms.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(TermDatesError, match=message) as info:
        read_terms(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_a_term_file_without_its_header_says_what_the_header_is(tmp_path: Path) -> None:
    path = tmp_path / "terms.csv"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(TermDatesError, match="the header must be academic_year,term"):
        read_terms(path)


# --- A workflow names its authority's own term dates ------------------------------------------------

ROOT = Path(__file__).parent.parent


def _authority(folder: Path, term_dates: str) -> Path:
    path = folder / "local.yaml"
    path.write_text(
        "id: local\n"
        "title: A local authority\n"
        "extends: national\n"
        "calendar:\n"
        f"  term_dates: {term_dates}\n",
        encoding="utf-8",
    )
    shutil.copy(ROOT / "workflows" / "national.yaml", folder / "national.yaml")
    return path


def _errors(path: Path) -> set[tuple[str, str, int]]:
    return {
        (Path(f.file).name, f.code, f.line)
        for f in casejourney.check_paths([path])
        if f.level is Level.ERROR
    }


def test_a_workflow_uses_the_term_dates_it_names(tmp_path: Path) -> None:
    (tmp_path / "terms.csv").write_text(
        HEADER + GOOD.replace("2025-10-27,2025-10-31", "2025-10-20,2025-10-24"), encoding="utf-8"
    )
    path = _authority(tmp_path, "terms.csv")
    assert _errors(path) == set()
    calendar = casejourney.load_workflow(str(path)).calendar
    assert not calendar.is_school_day(D(2025, 10, 20))
    assert calendar.is_school_day(D(2025, 10, 27))


def test_a_missing_term_dates_file_is_reported_at_the_key(tmp_path: Path) -> None:
    path = _authority(tmp_path, "no-such-terms.csv")
    assert _errors(path) == {("local.yaml", "bad-term-dates", 5)}


def test_a_bad_term_dates_file_is_reported_at_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "terms.csv").write_text(
        HEADER + GOOD.replace("2026-03-27", "2026-13-27"), encoding="utf-8"
    )
    path = _authority(tmp_path, "terms.csv")
    assert _errors(path) == {("terms.csv", "bad-term-dates", 3)}


def test_due_counts_school_days_on_the_authoritys_own_terms(tmp_path: Path) -> None:
    (tmp_path / "terms.csv").write_text(
        HEADER + GOOD.replace("2025-10-27,2025-10-31", "2025-10-20,2025-10-24"), encoding="utf-8"
    )
    path = _authority(tmp_path, "terms.csv")
    start = D(2025, 10, 13)
    assert casejourney.due_date(start, within="5 school days").due == D(2025, 10, 20)
    own = casejourney.due_date(start, within="5 school days", authority=str(path))
    assert own.due == D(2025, 10, 27)


def test_a_huge_term_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "terms.csv"
    path.write_text(HEADER + "#" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(TermDatesError, match="a term-dates file is a few lines a year"):
        read_terms(path)


# --- A scenario names its own term dates ----------------------------------------------------------


def _scenario(folder: Path, term_dates: str) -> Path:
    """A what-if of a shipped baseline, naming its own term-dates file (line 4)."""
    path = folder / "own-terms.yaml"
    path.write_text(
        "kind: scenario\n"
        "id: own-terms\n"
        "title: Barnet on its own term dates\n"
        f"term_dates: {term_dates}\n"
        "extends: barnet-baseline\n",
        encoding="utf-8",
    )
    return path


def test_a_scenario_uses_the_term_dates_it_names(tmp_path: Path) -> None:
    # An authority's own October half-term, a week earlier than the shipped dates.
    (tmp_path / "terms.csv").write_text(
        HEADER + GOOD.replace("2025-10-27,2025-10-31", "2025-10-20,2025-10-24"), encoding="utf-8"
    )
    path = _scenario(tmp_path, "terms.csv")
    assert _errors(path) == set()
    _, workflow = casejourney.load_scenario(str(path))
    assert workflow.term_dates == (tmp_path / "terms.csv").resolve()
    assert not workflow.calendar.is_school_day(D(2025, 10, 20))
    assert workflow.calendar.is_school_day(D(2025, 10, 27))
    _, shipped = casejourney.load_scenario("barnet-baseline")
    assert shipped.calendar.is_school_day(D(2025, 10, 20))


def test_a_scenarios_missing_term_dates_file_is_reported_at_the_key(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "no-such-terms.csv")
    assert _errors(path) == {("own-terms.yaml", "bad-term-dates", 4)}
    with pytest.raises(casejourney.SpecError, match=r"no-such-terms\.csv does not exist"):
        casejourney.load_scenario(str(path))


def test_a_scenarios_bad_term_dates_file_is_reported_at_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "terms.csv").write_text(
        HEADER + GOOD.replace("2026-03-27", "2026-13-27"), encoding="utf-8"
    )
    assert _errors(_scenario(tmp_path, "terms.csv")) == {("terms.csv", "bad-term-dates", 3)}
