"""A simulated caseload read back from an event log, case by case, with synthetic identities.

Consumes one replication's event log (``events/replication-NNNN.parquet``); produces each case's
states, ages and the recurring reviews the returns report, and the synthetic date of birth, sex and
ethnicity every return written from the same run gives that child (so the CIN census and the
SSDA903 agree about a child that is in both).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from casejourney.errors import CasejourneyError

__all__ = [
    "Case", "Child", "ReturnsError", "Stream", "iter_cases", "read_cases", "run_seed", "run_start",
]  # fmt: skip

# The workflow states and tasks the returns report (national.yaml's names).
LOOKED_AFTER = "looked_after"
CARE_PROCEEDINGS = "care_proceedings"
CARE_LEAVER = "care_leaver"
LAC_REVIEW = "lac_review"
CP_REVIEW = "review_conference"
_TASKS = (LAC_REVIEW, CP_REVIEW)
#: The states in which a child is looked after: in care, and in care proceedings (the SSDA903
#: shows every child in proceedings as looked after under an interim care order, C1).
IN_CARE = frozenset({LOOKED_AFTER, CARE_PROCEEDINGS})
_CARE = IN_CARE | {CARE_LEAVER}
ETHNIC = ("WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "AIND", "BAFR", "OOTH")


class ReturnsError(CasejourneyError):
    """A results folder cannot be written as returns, or returns cannot be read."""


@dataclass
class Case:
    """One simulated case: the states it entered, the ages marked, the reviews done (by date).

    ``earlier`` counts the stays the case had before the simulated period, by state (the event
    log's ``history`` rows: a child protection plan the child had before counts towards the DfE's
    "second or subsequent plan" and the census's ``NumberOfPreviousCPP``).
    """

    enters: list[tuple[dt.date, str]] = field(default_factory=list)
    earlier: dict[str, int] = field(default_factory=dict)
    ages: list[tuple[dt.date, int]] = field(default_factory=list)
    reviews: list[dt.date] = field(default_factory=list)
    cp_reviews: list[dt.date] = field(default_factory=list)


_MASK = (1 << 64) - 1


class Stream:
    """A case's own random numbers (SplitMix64): cheap to start, the same bytes on any machine.

    A numpy ``Generator`` costs about 50 µs to create; a national export makes one per child, for
    millions of children, so each child's draws come from this counter-based stream instead.
    """

    __slots__ = ("_state",)

    def __init__(self, seed: int, replication: int, number: int) -> None:
        self._state = _mix(
            (seed * 0x9E3779B97F4A7C15 + replication * 0xD1B54A32D192ED03 + number) & _MASK
        )

    def fork(self) -> Stream:
        """A second stream that draws what this one would from here on (this one does not move)."""
        twin = Stream.__new__(Stream)
        twin._state = self._state
        return twin

    def random(self) -> float:
        """A float in [0, 1)."""
        z = self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return ((z ^ (z >> 31)) >> 11) * 2.0**-53

    def below(self, n: int) -> int:
        """An integer in [0, n)."""
        return min(int(self.random() * n), n - 1)

    def pick(self, cumulative: tuple[float, ...]) -> int:
        """An index drawn with the weights whose running totals are ``cumulative``."""
        return min(bisect.bisect_right(cumulative, self.random() * cumulative[-1]),
                   len(cumulative) - 1)  # fmt: skip

    def sample(self, population: tuple[str, ...], k: int) -> list[str]:
        """``k`` different members of ``population``."""
        pool = list(population)
        return [pool.pop(self.below(len(pool))) for _ in range(k)]


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


@dataclass(frozen=True)
class Child:
    """The synthetic identity of a simulated case: the same in every return of one run."""

    id: str
    birth: dt.date
    sex: str  # "M" or "F"
    ethnic: str
    rng: Stream  # the case's own stream, for any further synthetic detail


def run_seed(results: Path) -> int:
    """The seed a results folder was simulated with (from its ``run.json``)."""
    record = results / "run.json"
    if not record.is_file():
        raise ReturnsError(
            f"{results}: not a results folder (no run.json); write one with "
            "`casejourney simulate SCENARIO -o FOLDER`"
        )
    return int(json.loads(record.read_text(encoding="utf-8"))["settings"]["seed"])


def run_start(results: Path) -> dt.date | None:
    """The first day a results folder simulated (from its ``run.json``), if it says."""
    record = json.loads((results / "run.json").read_text(encoding="utf-8"))
    start = record.get("start")
    return dt.date.fromisoformat(start) if isinstance(start, str) else None


def event_log(results: Path, replication: int) -> Path:
    """The replication's Parquet event log, or an error that says how to keep one."""
    log = results / "events" / f"replication-{replication:04d}.parquet"
    if not log.is_file():
        raise ReturnsError(
            f"{log}: no event log; simulate with `--event-log parquet` (the default) to keep one"
        )
    return log


#: Cases whose every state is one of these never reach a return (a contact not referred).
NEVER_RETURNED = frozenset({"contact", "case_closed", "early_help"})
_EPOCH = dt.date(1970, 1, 1)


def _codes(table: pa.Table, name: str) -> tuple[np.ndarray, list[str]]:
    """A string column as (codes, names): dictionary indices and their values."""
    column = table.column(name).combine_chunks()
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    codes = column.indices.to_numpy(zero_copy_only=False)
    return codes, [str(v) for v in column.dictionary.to_pylist()]


def read_cases(log: Path, skip: frozenset[str] = NEVER_RETURNED) -> dict[int, Case]:
    """Every case in an event log that ever entered a state not in ``skip``, its events in order."""
    return dict(iter_cases(log, skip))


#: Rows turned into Python objects at a time by ``iter_cases`` (bounds its memory).
_CHUNK = 1 << 19


def iter_cases(log: Path, skip: frozenset[str] = NEVER_RETURNED) -> Iterator[tuple[int, Case]]:
    """``read_cases`` a case at a time, in order of case number.

    The log is read (and checked) before this returns; each case is made only when it is asked
    for, so an export holds one case's objects at a time, not a national caseload's.

    Vectorised: the rows a return needs are picked, and the cases that only ever were in
    ``skip`` (most contacts, at national scale millions of cases) dropped, with numpy before any
    row becomes a Python object.
    """
    try:
        table = pq.read_table(log, columns=["case", "date", "event", "kind"])
        table = table.unify_dictionaries()
    except (OSError, ValueError) as exc:
        raise ReturnsError(f"{log}: not a readable event log ({exc})") from None
    kind, kinds = _codes(table, "kind")
    event, events = _codes(table, "event")
    code = {name: i for i, name in enumerate(kinds)}

    def of(name: str) -> np.ndarray:
        return kind == code[name] if name in code else np.zeros(len(kind), dtype=bool)

    is_age = np.array([e.startswith("age:") for e in events] + [False], dtype=bool)[event]
    is_task = np.array([e in _TASKS for e in events] + [False], dtype=bool)[event]
    is_skipped = np.array([e in skip for e in events] + [False], dtype=bool)[event]
    enter = of("enter")
    wanted = enter | of("history") | (of("mark") & is_age) | (of("task") & is_task)
    case = table.column("case").to_numpy()
    kept_cases = np.unique(case[enter & ~is_skipped])
    wanted &= np.isin(case, kept_cases)
    rows = np.flatnonzero(wanted)
    rows = rows[np.argsort(case[rows], kind="stable")]  # by case, in the log's order within one
    day = table.column("date").combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
    unique, index = np.unique(day[rows], return_inverse=True)
    dates = [_EPOCH + dt.timedelta(days=int(d)) for d in unique.tolist()]
    columns = (case[rows], index, event[rows], kind[rows])
    codes = (code.get("enter", -1), code.get("mark", -1), code.get("history", -1))
    return _cases(columns, dates, events, codes)


def _cases(
    columns: tuple[np.ndarray, ...],
    dates: list[dt.date],
    events: list[str],
    codes: tuple[int, int, int],
) -> Iterator[tuple[int, Case]]:
    """The picked rows (case, date index, event, kind; by case) as cases, ``_CHUNK`` rows at a time."""
    enter_code, mark_code, history_code = codes
    current, found = 0, None
    for begin in range(0, len(columns[0]), _CHUNK):
        chunk = [column[begin : begin + _CHUNK].tolist() for column in columns]
        for number, at, what, how in zip(*chunk, strict=True):
            if number != current or found is None:
                if found is not None:
                    yield current, found
                current, found = number, Case()
            name = events[what]
            if how == enter_code:
                found.enters.append((dates[at], name))
            elif how == mark_code:
                found.ages.append((dates[at], int(name[4:])))
            elif how == history_code:
                found.earlier[name] = found.earlier.get(name, 0) + 1
            elif name == LAC_REVIEW:
                found.reviews.append(dates[at])
            else:
                found.cp_reviews.append(dates[at])
    if found is not None:
        yield current, found


def ever_in_care(case: Case) -> bool:
    """Whether the case was ever looked after or a care leaver (what the SSDA903 can report)."""
    return any(state in _CARE for _, state in case.enters)


def care_periods(case: Case) -> list[tuple[dt.date, dt.date | None, str]]:
    """Each period of care: its start, its end (None while open) and where the case went next.

    A period of care is looked after or in care proceedings, one after the other (a child in court
    is looked after under an interim care order, then under the care order).
    """
    return [(stretches[0][0], stretches[-1][1], after) for stretches, after in care_stretches(case)]


def care_stretches(
    case: Case,
) -> list[tuple[list[tuple[dt.date, dt.date | None, str]], str]]:
    """Each period of care as its stretches, and where the case went next ("" while open).

    A stretch is a time in one state: its start, its end (None while open) and the state.
    """
    periods: list[tuple[list[tuple[dt.date, dt.date | None, str]], str]] = []
    current: list[tuple[dt.date, dt.date | None, str]] = []
    for date, state in case.enters:
        if current and current[-1][1] is None:  # close the stretch the case was in
            current[-1] = (current[-1][0], date, current[-1][2])
        if state in IN_CARE:
            current.append((date, None, state))
        elif current:
            periods.append((current, state))
            current = []
    if current:
        periods.append((current, ""))
    return periods


@functools.cache
def years_before(date: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for 29 February).

    Remembered: an export asks it of the same few thousand days for every child.
    """
    try:
        return date.replace(year=date.year - years)
    except ValueError:  # 29 February
        return date.replace(year=date.year - years, day=28)


_DAY = dt.timedelta(days=1)


def _birth(case: Case, rng: Stream, until: dt.date) -> dt.date:
    """A synthetic date of birth consistent with the ages the simulation marked."""
    if case.ages:
        date, age = case.ages[0]
        return years_before(date, age)
    first = case.enters[0][0]
    latest = until
    if any(state in IN_CARE for _, state in case.enters):
        periods = care_periods(case)
        leaving = [end for _, end, after in periods if end and after == CARE_LEAVER]
        if leaving:  # care ends on the 18th birthday
            return years_before(leaving[0], 18)
        # Under 18 throughout its care.
        latest = min(max(end or until for _, end, _ in periods), until)
    # Otherwise born up to 16 years before the case began.
    earliest = max(years_before(latest, 18), years_before(first, 16)) + _DAY
    span = max((first - earliest).days, 1)
    return earliest + dt.timedelta(days=rng.below(span))


def child(case: Case, number: int, seed: int, replication: int, until: dt.date) -> Child:
    """The synthetic identity of case ``number``, drawn from the run's seed.

    Ids are ``SIM`` and the case number; the draws are made in a fixed order from the case's own
    stream, so every return written from one run gives a child the same birth, sex and ethnicity.
    """
    rng = Stream(seed, replication, number)
    birth = _birth(case, rng, until)
    sex = "MF"[rng.below(2)]
    ethnic = ETHNIC[rng.below(len(ETHNIC))]
    return Child(f"SIM{number:07d}", birth, sex, ethnic, rng)
