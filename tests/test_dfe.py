"""DfE's published measures computed from an event log, on logs small enough to check by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from casejourney import dfe
from casejourney.calendar import DayGrid, default_calendar
from casejourney.engine import EventLog, Kind
from casejourney.engine.records import COLUMNS, NO_DUE

NAMES = ("referral", "s47_enquiry", "icpc", "cp_plan", "plo", "looked_after", "case_closed")
ORIGIN = dt.date(2023, 4, 3)  # a Monday
GRID = DayGrid(default_calendar(), ORIGIN, -3000, 3000)


def log_of(rows: list[tuple[int, int, str]]) -> EventLog:
    """An event log of state entries: (case, day, state), in the order given."""
    n = len(rows)
    columns = {name: np.zeros(n, dtype=code) for name, code in COLUMNS}
    columns["case"][:] = [r[0] for r in rows]
    columns["day"][:] = [r[1] for r in rows]
    columns["event"][:] = [NAMES.index(r[2]) for r in rows]
    columns["kind"][:] = int(Kind.ENTER)
    columns["due"][:] = NO_DUE
    return EventLog(replication=0, names=NAMES, teams=(), columns=columns)


def test_icpc_timeliness_counts_working_days_from_the_start_of_the_s47_enquiry() -> None:
    # Case 0: s47 starts Monday 3 April 2023; ICPC 15 working days later is 26 April (Easter
    # Monday 10 April is a bank holiday, Good Friday was 7 April). Case 1: a second s47 later
    # restarts the clock. Case 2: an ICPC with no s47 before it is not counted.
    icpc0 = GRID.day(dt.date(2023, 4, 26))
    log = log_of(
        [
            (0, 0, "referral"),
            (0, 0, "s47_enquiry"),
            (0, icpc0, "icpc"),
            (1, 0, "s47_enquiry"),
            (1, 10, "referral"),
            (1, 20, "s47_enquiry"),
            (1, 30, "icpc"),
            (2, 5, "icpc"),
        ]
    )
    wd = dfe.icpc_working_days(log, GRID, 0, 100)
    assert wd.tolist() == [15, int(GRID.working_days_between(np.array(20), np.array(30)))]


def test_second_plans_count_a_plan_recorded_before_the_simulated_period() -> None:
    log = log_of(
        [
            (0, -400, "cp_plan"),  # history, before the first simulated day (kind history)
            (0, 10, "cp_plan"),  # second plan
            (1, 12, "cp_plan"),  # first plan
            (2, 5, "cp_plan"),
            (2, 50, "plo"),
            (2, 80, "cp_plan"),  # back from pre-proceedings: the same plan goes on
        ]
    )
    log.columns["kind"][0] = int(Kind.HISTORY)
    log.columns["due"][0] = -100
    assert dfe.subsequent_plans_pct(log, 0, 365) == pytest.approx(100 * 2 / 4)
    assert dfe.plans_started(log, 0, 365) == 3


def test_open_plans_by_duration_use_the_dfe_bands() -> None:
    end = GRID.day(dt.date(2024, 3, 31))
    log = log_of(
        [
            (0, end - 10, "cp_plan"),  # under 3 months
            (1, end - 100, "cp_plan"),  # 3 to 6 months
            (2, end - 200, "cp_plan"),  # 6 months to a year
            (3, end - 500, "cp_plan"),  # 1 to 2 years
            (4, end - 800, "cp_plan"),  # 2 years or more
            (5, end - 50, "cp_plan"),
            (5, end - 5, "looked_after"),  # not on a plan on 31 March
        ]
    )
    bands = dfe.cp_duration_bands(log, GRID, end)
    assert list(bands.values()) == pytest.approx([20.0] * 5)
    assert dfe.stock(log, ["cp_plan"], end) == 5
    assert dfe.exits(log, "cp_plan", 0, end) == 1


def test_a_plan_resumed_after_pre_proceedings_is_as_old_as_the_plan_it_continues() -> None:
    # PLO runs alongside the plan: a child back on it from pre-proceedings has had the plan
    # since it began (as plans_started does not count the return as a new plan), but a new plan
    # after a spell in care, or a plan after PLO with no plan before it, starts afresh.
    end = GRID.day(dt.date(2024, 3, 31))
    log = log_of(
        [
            (0, end - 400, "cp_plan"),  # 1 to 2 years, with pre-proceedings in between
            (0, end - 300, "plo"),
            (0, end - 20, "cp_plan"),
            (1, end - 250, "cp_plan"),  # a new plan after care: under 3 months
            (1, end - 200, "looked_after"),
            (1, end - 30, "cp_plan"),
            (2, end - 60, "plo"),  # no plan before pre-proceedings: under 3 months
            (2, end - 10, "cp_plan"),
            (3, end - 900, "cp_plan"),  # twice through PLO: 2 years or more
            (3, end - 700, "plo"),
            (3, end - 650, "cp_plan"),
            (3, end - 300, "plo"),
            (3, end - 280, "cp_plan"),
        ]
    )
    bands = dfe.cp_duration_bands(log, GRID, end)
    assert list(bands.values()) == pytest.approx([50.0, 0.0, 0.0, 25.0, 25.0])
