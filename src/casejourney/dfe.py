"""The Department for Education's published measures, computed from a simulated event log.

The DfE publishes children's social care figures for each year to 31 March (children in need
census, children looked after return, social work workforce). To compare a simulation with them,
each figure is measured here from the event log exactly as the DfE defines it, not as the tool's
own standards are worded:

- **ICPC timeliness** (children in need, table C4): working days from the *start of the section 47
  enquiry* to the initial child protection conference, for ICPCs held in the year; "within 15
  working days" and the quartiles. (Working Together 2023 words the standard from the strategy
  discussion; the DfE measures from the s47 start.)
- **Open child protection plans by duration** (D5): plans open on 31 March, by how long they had
  lasted: up to 3 months, 3–6 months, 6 months–1 year, 1–2 years, 2 years or more.
- **Second or subsequent plans** (D3): plans started in the year for a child who had a plan before
  (at any time: the case history written before the simulated period counts).
- **Stocks on 31 March** and **flows in the year**: children in need, on a CP plan, looked after;
  referrals, s47 enquiries, ICPCs, plans started, children starting and ceasing to be looked after.

The state names are those of the shipped workflows (``referral``, ``s47_enquiry``, ``icpc``,
``cp_plan``, ``looked_after`` ...); a workflow without one of them gives NaN for what needs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from casejourney.calendar import DayGrid
from casejourney.engine import EventLog, Kind
from casejourney.simulate import Frame

#: States whose children are "children in need" in the DfE's count at 31 March: an open episode
#: of need, from referral (unless it ends in no further action) to case closure. Early help and
#: leaving care are outside it.
CIN_STATES: tuple[str, ...] = (
    "referral",
    "cf_assessment",
    "strategy_discussion",
    "s47_enquiry",
    "icpc",
    "cin_plan",
    "cp_plan",
    "plo",
    "care_proceedings",
    "looked_after",
)

#: DfE's bands for how long CP plans open at 31 March had lasted (upper bounds in months).
CP_BANDS: tuple[tuple[str, int | None], ...] = (
    ("cp_open_3m_or_less_pct", 3),
    ("cp_open_3_to_6m_pct", 6),
    ("cp_open_6m_to_1y_pct", 12),
    ("cp_open_1_to_2y_pct", 24),
    ("cp_open_2y_or_more_pct", None),
)


@dataclass(frozen=True)
class Year:
    """A DfE reporting year: 1 April to 31 March, named by the year it ends (2024: to March 2024)."""

    ends: int

    @property
    def first(self) -> dt.date:
        """1 April of the year before."""
        return dt.date(self.ends - 1, 4, 1)

    @property
    def last(self) -> dt.date:
        """31 March."""
        return dt.date(self.ends, 3, 31)


def _enter_rows(log: EventLog) -> np.ndarray:
    found: np.ndarray = np.flatnonzero(log["kind"] == int(Kind.ENTER))
    return found


def _code(log: EventLog, name: str) -> int:
    try:
        return log.names.index(name)
    except ValueError:
        return -1


def states_on(log: EventLog, day: int) -> np.ndarray:
    """Each case's state at the end of ``day`` (-1: not yet arrived), indexed by case id."""
    rows = _enter_rows(log)
    rows = rows[log["day"][rows] <= day]
    cases = log["case"][rows]
    size = int(log["case"].max()) + 1 if len(log) else 0
    state = np.full(size, -1, dtype=np.int64)
    state[cases] = log["event"][rows]  # later rows of a case overwrite earlier ones (log order)
    return state


def entered_on(log: EventLog, day: int) -> np.ndarray:
    """The day each case entered the state it is in at the end of ``day``."""
    rows = _enter_rows(log)
    rows = rows[log["day"][rows] <= day]
    size = int(log["case"].max()) + 1 if len(log) else 0
    since = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    since[log["case"][rows]] = log["day"][rows]
    return since


def plan_started_on(log: EventLog, day: int) -> np.ndarray:
    """Like :func:`entered_on`, but a CP plan resumed after PLO pre-proceedings keeps its start.

    Pre-proceedings run alongside the child protection plan (as :func:`plans_started` counts
    them): a child back on the plan from PLO is on the plan that began before, and the DfE's
    duration bands count from that plan's start.
    """
    since = entered_on(log, day)
    cp, plo = _code(log, "cp_plan"), _code(log, "plo")
    if cp < 0 or plo < 0:
        return since
    rows = _enter_rows(log)
    rows = rows[log["day"][rows] <= day]
    rows = rows[np.lexsort((rows, log["case"][rows]))]  # by case, then as logged
    case, event, days = log["case"][rows], log["event"][rows], log["day"][rows].astype(np.int64)
    is_cp = event == cp
    resumed = np.zeros(len(rows), dtype=bool)
    resumed[2:] = (
        is_cp[2:]
        & (event[1:-1] == plo)
        & is_cp[:-2]
        & (case[2:] == case[1:-1])
        & (case[1:-1] == case[:-2])
    )
    anchor = np.where(is_cp & ~resumed, np.arange(len(rows)), -1)
    latest = np.maximum.accumulate(anchor) if len(anchor) else anchor
    current = np.ones(len(rows), dtype=bool)  # each case's last row: the state it is in now
    current[:-1] = case[1:] != case[:-1]
    carried = current & resumed & (latest >= 0)
    since[case[carried]] = days[latest[carried]]
    return since


def icpc_working_days(log: EventLog, grid: DayGrid, first: int, last: int) -> np.ndarray:
    """Working days from the start of the s47 enquiry to each ICPC held on days ``first..last``.

    An ICPC with no s47 enquiry before it in the case's record is left out, as the DfE leaves out
    conferences with no enquiry start date.
    """
    s47, icpc = _code(log, "s47_enquiry"), _code(log, "icpc")
    if s47 < 0 or icpc < 0:
        return np.zeros(0, dtype=np.int64)
    rows = _enter_rows(log)
    rows = rows[np.isin(log["event"][rows], (s47, icpc))]
    order = np.lexsort((rows, log["case"][rows]))  # by case, then as logged (chronological)
    rows = rows[order]
    case = log["case"][rows].astype(np.int64)
    day = log["day"][rows].astype(np.int64)
    is_s47 = log["event"][rows] == s47
    # the index of the latest s47 row at or before each row, within the case
    idx = np.where(is_s47, np.arange(len(rows)), -1)
    latest = np.maximum.accumulate(idx) if len(idx) else idx
    same = (latest >= 0) & (case[np.maximum(latest, 0)] == case)
    held = (~is_s47) & same & (day >= first) & (day <= last)
    start = day[latest[held]]
    between: np.ndarray = grid.working_days_between(start, day[held])
    return between


def cp_duration_bands(log: EventLog, grid: DayGrid, day: int) -> dict[str, float]:
    """CP plans open at the end of ``day``, as % by how long they had lasted (DfE's bands)."""
    cp = _code(log, "cp_plan")
    state, since = states_on(log, day), plan_started_on(log, day)
    open_ = state == cp
    lasted = day - since[open_]
    total = int(open_.sum())
    date = grid.date(day)
    out: dict[str, float] = {}
    lower = 0
    for name, months in CP_BANDS:
        if months is None:
            upper = np.iinfo(np.int64).max
        else:
            upper = day - grid.day(_months_before(date, months))
        inside = (lasted >= lower) & (lasted < upper)
        out[name] = 100 * float(inside.sum()) / total if total else float("nan")
        lower = upper
    return out


def _months_before(date: dt.date, months: int) -> dt.date:
    month = date.month - 1 - months
    year = date.year + month // 12
    month = month % 12 + 1
    for d in (date.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def subsequent_plans_pct(log: EventLog, first: int, last: int) -> float:
    """% of CP plans started on days ``first..last`` for a child who had a plan before.

    Earlier plans include those written as case history (rows of kind ``history``), before the
    simulated period.
    """
    cp = _code(log, "cp_plan")
    kind = log["kind"]
    rows = np.flatnonzero(
        ((kind == int(Kind.ENTER)) | (kind == int(Kind.HISTORY))) & (log["event"] == cp)
    )
    order = np.lexsort((rows, log["case"][rows]))
    rows = rows[order]
    case = log["case"][rows]
    earlier = np.zeros(len(rows), dtype=bool)
    if len(rows) > 1:
        earlier[1:] = case[1:] == case[:-1]
    started = (log["day"][rows] >= first) & (log["day"][rows] <= last)
    n = int(started.sum())
    return 100 * float((earlier & started).sum()) / n if n else float("nan")


def plans_started(log: EventLog, first: int, last: int) -> int:
    """CP plans started on days ``first..last``, not counting returns from PLO pre-proceedings.

    Pre-proceedings run alongside a child protection plan: a child whose PLO ends with the plan
    going on has not started a new one, though the model records the move back.
    """
    cp, plo = _code(log, "cp_plan"), _code(log, "plo")
    rows = _enter_rows(log)
    order = np.lexsort((rows, log["case"][rows]))
    rows = rows[order]
    case, event, day = log["case"][rows], log["event"][rows], log["day"][rows]
    from_plo = np.zeros(len(rows), dtype=bool)
    from_plo[1:] = (case[1:] == case[:-1]) & (event[:-1] == plo)
    started = (event == cp) & ~from_plo & (day >= first) & (day <= last)
    return int(started.sum())


def entries(log: EventLog, names: Iterable[str], first: int, last: int) -> int:
    """Entries into any of ``names`` on days ``first..last``."""
    codes = [c for c in (_code(log, n) for n in names) if c >= 0]
    rows = _enter_rows(log)
    d = log["day"][rows]
    inside = np.isin(log["event"][rows], codes) & (d >= first) & (d <= last)
    return int(inside.sum())


def exits(log: EventLog, name: str, first: int, last: int) -> int:
    """Cases leaving state ``name`` on days ``first..last``."""
    code = _code(log, name)
    rows = _enter_rows(log)
    order = np.lexsort((rows, log["case"][rows]))
    rows = rows[order]
    case = log["case"][rows]
    prev_same = np.zeros(len(rows), dtype=bool)
    prev_same[1:] = (case[1:] == case[:-1]) & (log["event"][rows][:-1] == code)
    d = log["day"][rows]
    return int((prev_same & (d >= first) & (d <= last)).sum())


def stock(log: EventLog, names: Sequence[str], day: int) -> int:
    """Cases in any of ``names`` at the end of ``day``."""
    codes = [c for c in (_code(log, n) for n in names) if c >= 0]
    return int(np.isin(states_on(log, day), codes).sum())


def measures(log: EventLog, frame: Frame, year: Year) -> dict[str, float]:
    """Every measure above for the DfE year ``year`` (which must lie inside the simulated period).

    Names match the columns of the published data (``casejourney.published``).
    """
    first, last = frame.grid.day(year.first), frame.grid.day(year.last)
    wd = icpc_working_days(log, frame.grid, first, last)
    out: dict[str, float] = {
        "referrals": entries(log, ["referral"], first, last),
        "s47_enquiries": entries(log, ["s47_enquiry"], first, last),
        "icpcs": entries(log, ["icpc"], first, last),
        "cp_plans_started": plans_started(log, first, last),
        "started_to_be_looked_after": entries(log, ["looked_after"], first, last),
        "ceased_to_be_looked_after": exits(log, "looked_after", first, last),
        "cin_at_31_march": stock(log, CIN_STATES, last),
        "cp_plans_at_31_march": stock(log, ["cp_plan"], last),
        "looked_after_at_31_march": stock(log, ["looked_after"], last),
        "icpc_within_15wd_pct": 100 * float((wd <= 15).mean()) if len(wd) else float("nan"),
        "icpc_wd_p25": float(np.percentile(wd, 25)) if len(wd) else float("nan"),
        "icpc_wd_median": float(np.median(wd)) if len(wd) else float("nan"),
        "icpc_wd_p75": float(np.percentile(wd, 75)) if len(wd) else float("nan"),
        "cp_plans_subsequent_pct": subsequent_plans_pct(log, first, last),
    }
    out.update(cp_duration_bands(log, frame.grid, last))
    return out
