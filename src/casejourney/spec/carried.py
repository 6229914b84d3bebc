"""Open cases carried in from an authority's own records: a scenario's ``initial_cases`` file.

A CSV file beside the scenario (``initial_cases: open-cases.csv``), one row per stay of a case:

    case,state,start,end,age,earlier
    1,cp_plan,2024-11-04,,7,
    1,cp_plan,2021-02-01,2021-10-15,,
    2,looked_after,2019-06-30,,12,unknown

``case`` numbers the cases in the file (1, 2, …; not a child's identifier, which never belongs
here); each case has exactly one row with no ``end``, the state it is open in on the scenario's
first day and the day it entered it; its other rows are earlier stays (an earlier plan, an
earlier period of care), written to the event log as case history. ``age`` (whole years on the
first day) is optional and read from the open row; so is ``earlier``: ``unknown`` on the open row
when the records do not go back far enough to say what came before, so that the scenario's
``history`` is drawn for the case as for a new arrival. ``casejourney scenario from-returns``
writes this file from the CIN census and SSDA903 returns.

The file is read once, when the scenario is: its rows become part of the scenario (so a run in
another process, or ``scenario.resolved.json``, carries them), and every problem is a finding
naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from casejourney.spec.findings import Finding, Level, display_path
from casejourney.spec.models import _ID, Identifier, _Frozen
from casejourney.spec.yamlsafe import is_regular_file

#: More rows than this is a mistake (England has about 400,000 children in need).
MAX_ROWS = 2_000_000
_REQUIRED = ("case", "state", "start")
_OPTIONAL = ("end", "age", "earlier")


class CarriedStay(_Frozen):
    """One stay of a case carried in: the open one (no ``end``) or an earlier one."""

    case: int = Field(ge=1, description="the case's number in the file (1, 2, …), not an id")
    state: Identifier = Field(description="the workflow state")
    start: dt.date = Field(description="the day the case entered the state")
    end: dt.date | None = Field(
        default=None, description="the day it left (empty: still open on the first day)"
    )
    age: float | None = Field(
        default=None, ge=0, le=25, description="age in whole years on the first day (open row)"
    )
    earlier_unknown: bool = Field(
        default=False,
        description="the records do not say what came before (open row): the scenario's "
        "`history` is drawn for the case",
    )


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


def read_carried(
    path: Path, shown: str | None = None
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """The file's rows as mappings (``CarriedStay`` fields), and every problem found in it."""
    name = shown or display_path(path)
    found: list[Finding] = []

    def problem(line: int, message: str) -> None:
        if len(found) < 50:
            found.append(Finding(name, line, Level.ERROR, "initial-cases", message))

    if not is_regular_file(path):
        return [], [
            Finding(
                name,
                0,
                Level.ERROR,
                "initial-cases",
                "initial_cases: no such file; give a CSV file beside the scenario "
                "(columns case, state, start, end, age, earlier)",
            )
        ]
    rows: list[dict[str, Any]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in _REQUIRED if c not in header]
            unknown = [c for c in header if c not in (*_REQUIRED, *_OPTIONAL)]
            if missing or unknown:
                parts = []
                if missing:
                    parts.append(f"missing column(s) {', '.join(missing)}")
                if unknown:
                    parts.append(f"unknown column(s) {', '.join(unknown)}")
                problem(
                    1,
                    f"initial_cases: {'; '.join(parts)}; the header is "
                    "case,state,start,end,age,earlier (the last three may be left out)",
                )
                return [], found
            reader.fieldnames = header
            for line, record in enumerate(reader, start=2):
                if len(rows) >= MAX_ROWS:
                    problem(line, f"initial_cases: more than {MAX_ROWS:,} rows; split the file")
                    break
                row = _row(record, line, problem)
                if row is not None:
                    rows.append(row)
    except (UnicodeDecodeError, csv.Error) as error:
        problem(0, f"initial_cases: not a UTF-8 CSV file ({error})")
        return [], found
    if not found:
        _whole_cases(rows, problem)
    return (rows if not found else []), found


def _row(record: dict[str, str | None], line: int, problem: Any) -> dict[str, Any] | None:
    """One line as a mapping, or None after reporting what is wrong with it."""
    text = {k: (v or "").strip() for k, v in record.items() if k is not None}
    row: dict[str, Any] = {"line": line}
    ok = True
    case = text.get("case", "")
    if not case.isdigit() or int(case) < 1:
        problem(line, f"column 'case' holds '{case[:20]}': number the cases 1, 2, 3, …")
        ok = False
    else:
        row["case"] = int(case)
    state = text.get("state", "")
    if not re.fullmatch(_ID, state):
        problem(line, f"column 'state' holds '{state[:40]}': a workflow state, e.g. cp_plan")
        ok = False
    row["state"] = state
    for column in ("start", "end"):
        value = text.get(column, "")
        if not value:
            row[column] = None
            if column == "start":
                problem(line, "column 'start' is empty: the day the case entered the state")
                ok = False
            continue
        try:
            row[column] = _date(value)
        except ValueError:
            problem(line, f"column '{column}' holds '{value[:20]}': a date as YYYY-MM-DD")
            ok = False
    if ok and row["end"] is not None and row["end"] < row["start"]:
        problem(line, f"end {row['end']} is before start {row['start']}")
        ok = False
    age = text.get("age", "")
    if age:
        try:
            years = float(age)
        except ValueError:
            years = math.nan
        if not 0 <= years <= 25:
            problem(line, f"column 'age' holds '{age[:20]}': whole years from 0 to 25")
            ok = False
        row["age"] = years
    earlier = text.get("earlier", "")
    if earlier not in ("", "unknown"):
        problem(line, f"column 'earlier' holds '{earlier[:20]}': leave it empty or write unknown")
        ok = False
    row["earlier_unknown"] = earlier == "unknown"
    return row if ok else None


def _whole_cases(rows: Sequence[dict[str, Any]], problem: Any) -> None:
    """Each case has exactly one open row, and its earlier stays ended before it began."""
    open_row: dict[int, dict[str, Any]] = {}
    first_line: dict[int, int] = {}
    for row in rows:
        first_line.setdefault(row["case"], row["line"])
        if row["end"] is None:
            if row["case"] in open_row:
                problem(
                    row["line"],
                    f"case {row['case']} has a second open row (no end); the first is on line "
                    f"{open_row[row['case']]['line']}: give every earlier stay its end",
                )
            else:
                open_row[row["case"]] = row
    for case, line in first_line.items():
        if case not in open_row:
            problem(line, f"case {case} has no open row (one with no end): the state it is in")
    for row in rows:
        now = open_row.get(row["case"])
        if now is not None and row["end"] is not None and row["end"] > now["start"]:
            problem(
                row["line"],
                f"case {row['case']}: this earlier stay ends {row['end']}, after the open stay "
                f"began ({now['start']}, line {now['line']})",
            )


def carried_findings(
    stays: Sequence[CarriedStay],
    states: set[str],
    terminal: set[str],
    first_day: dt.date,
    opened: set[str],
    where: str,
    line: int,
) -> list[Finding]:
    """Cross-checks against the workflow and the scenario: known states, dates before the start."""
    found: list[Finding] = []

    def error(message: str) -> None:
        if len(found) < 20:
            found.append(Finding(where, line, Level.ERROR, "initial-cases", message))

    for stay in stays:
        label = f"initial_cases, case {stay.case}"
        if stay.state not in states:
            error(f"{label}: unknown state '{stay.state}'")
        elif stay.end is None and stay.state in terminal:
            error(f"{label}: open in '{stay.state}', a closed state; give its last open state")
        if stay.start >= first_day and stay.end is None:
            error(
                f"{label}: entered {stay.state} on {stay.start}, not before the start {first_day}"
            )
        if stay.end is not None and stay.end >= first_day:
            error(f"{label}: an earlier stay ends {stay.end}, not before the start {first_day}")
    both = sorted(opened & {s.state for s in stays if s.end is None})
    if both:
        error(
            f"initial_caseload opens {', '.join(both)} as counts while initial_cases carries "
            "cases there too: set those counts to 0 (or leave the cases out of the file)"
        )
    return found
