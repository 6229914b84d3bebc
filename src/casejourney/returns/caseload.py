"""A simulated caseload read back from an event log, case by case, with synthetic identities.

Consumes one replication's event log (``events/replication-NNNN.parquet``); produces each case's
states, ages and the recurring reviews the returns report, and the synthetic date of birth, sex and
ethnicity every return written from the same run gives that child (so the CIN census and the
SSDA903 agree about a child that is in both).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from casejourney.errors import CasejourneyError

__all__ = ["Case", "Child", "ReturnsError", "read_cases", "run_seed"]

# The workflow states and tasks the returns report (national.yaml's names).
LOOKED_AFTER = "looked_after"
CARE_LEAVER = "care_leaver"
LAC_REVIEW = "lac_review"
CP_REVIEW = "review_conference"
_TASKS = (LAC_REVIEW, CP_REVIEW)
ETHNIC = ("WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "AIND", "BAFR", "OOTH")


class ReturnsError(CasejourneyError):
    """A results folder cannot be written as returns, or returns cannot be read."""


@dataclass
class Case:
    """One simulated case: the states it entered, the ages marked, the reviews done (by date)."""

    enters: list[tuple[dt.date, str]] = field(default_factory=list)
    ages: list[tuple[dt.date, int]] = field(default_factory=list)
    reviews: list[dt.date] = field(default_factory=list)
    cp_reviews: list[dt.date] = field(default_factory=list)


@dataclass(frozen=True)
class Child:
    """The synthetic identity of a simulated case: the same in every return of one run."""

    id: str
    birth: dt.date
    sex: str  # "M" or "F"
    ethnic: str
    rng: np.random.Generator  # the case's own stream, for any further synthetic detail


def run_seed(results: Path) -> int:
    """The seed a results folder was simulated with (from its ``run.json``)."""
    record = results / "run.json"
    if not record.is_file():
        raise ReturnsError(
            f"{results}: not a results folder (no run.json); write one with "
            "`casejourney simulate SCENARIO -o FOLDER`"
        )
    return int(json.loads(record.read_text(encoding="utf-8"))["settings"]["seed"])


def event_log(results: Path, replication: int) -> Path:
    """The replication's Parquet event log, or an error that says how to keep one."""
    log = results / "events" / f"replication-{replication:04d}.parquet"
    if not log.is_file():
        raise ReturnsError(
            f"{log}: no event log; simulate with `--event-log parquet` (the default) to keep one"
        )
    return log


def read_cases(log: Path) -> dict[int, Case]:
    """Every case in an event log, by case number, its events in date order."""
    try:
        table = pq.read_table(log, columns=["case", "date", "event", "kind"])
    except (OSError, ValueError) as exc:
        raise ReturnsError(f"{log}: not a readable event log ({exc})") from None
    # Keep only the rows a return needs before leaving Arrow: a national log has millions of tasks.
    kind, event = pc.cast(table["kind"], pa.string()), pc.cast(table["event"], pa.string())
    wanted = pc.or_(
        pc.is_in(kind, value_set=pa.array(["enter", "mark"])),
        pc.and_(pc.equal(kind, "task"), pc.is_in(event, value_set=pa.array(_TASKS))),
    )
    table = pa.table({"case": table["case"], "date": table["date"], "event": event, "kind": kind})
    table = table.filter(wanted)
    cases: dict[int, Case] = {}
    columns = [table.column(name).to_pylist() for name in ("case", "date", "event", "kind")]
    for case, date, event, kind in zip(*columns, strict=True):
        if kind == "enter":
            cases.setdefault(case, Case()).enters.append((date, event))
        elif kind == "mark" and event.startswith("age:"):
            cases.setdefault(case, Case()).ages.append((date, int(event[4:])))
        elif kind == "task" and event == LAC_REVIEW:
            cases.setdefault(case, Case()).reviews.append(date)
        elif kind == "task" and event == CP_REVIEW:
            cases.setdefault(case, Case()).cp_reviews.append(date)
    return cases


def care_periods(case: Case) -> list[tuple[dt.date, dt.date | None, str]]:
    """Each period of care: its start, its end (None while open) and where the case went next."""
    periods: list[tuple[dt.date, dt.date | None, str]] = []
    start: dt.date | None = None
    for date, state in case.enters:
        if state == LOOKED_AFTER and start is None:
            start = date
        elif state != LOOKED_AFTER and start is not None:
            periods.append((start, date, state))
            start = None
    if start is not None:
        periods.append((start, None, ""))
    return periods


def years_before(date: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for 29 February)."""
    try:
        return date.replace(year=date.year - years)
    except ValueError:  # 29 February
        return date.replace(year=date.year - years, day=28)


def _birth(case: Case, rng: np.random.Generator, until: dt.date) -> dt.date:
    """A synthetic date of birth consistent with the ages the simulation marked."""
    if case.ages:
        date, age = case.ages[0]
        return years_before(date, age)
    leaving = [end for _, end, after in care_periods(case) if end and after == CARE_LEAVER]
    if leaving:  # care ends on the 18th birthday
        return years_before(leaving[0], 18)
    # Otherwise born up to 16 years before the case began, and under 18 throughout its care.
    first = case.enters[0][0]
    ends = [end or until for _, end, _ in care_periods(case)]
    latest = min(max(ends), until) if ends else until
    earliest = max(years_before(latest, 18), years_before(first, 16)) + dt.timedelta(days=1)
    span = max((first - earliest).days, 1)
    return earliest + dt.timedelta(days=int(rng.integers(span)))


def child(case: Case, number: int, seed: int, replication: int, until: dt.date) -> Child:
    """The synthetic identity of case ``number``, drawn from the run's seed.

    Ids are ``SIM`` and the case number; the draws are made in a fixed order from the case's own
    stream, so every return written from one run gives a child the same birth, sex and ethnicity.
    """
    rng = np.random.default_rng([seed, replication, number])
    birth = _birth(case, rng, until)
    sex = "MF"[int(rng.integers(2))]
    ethnic = ETHNIC[int(rng.integers(len(ETHNIC)))]
    return Child(f"SIM{number:07d}", birth, sex, ethnic, rng)
