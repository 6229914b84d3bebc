"""Metrics on tiny hand-written event logs: what a planner expects, and the same as tracking says."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

import casejourney
from casejourney import metrics
from casejourney.engine import EventLog, Kind
from casejourney.engine.records import LogBuilder
from casejourney.simulate import Frame, compile_scenario
from casejourney.tracking import CaseEvent, track

D = dt.date


def frame_for(authority: str = "national", weeks: int = 52) -> Frame:
    scenario, _ = casejourney.load_scenario("national-baseline")
    workflow = casejourney.load_workflow(authority)
    scenario = scenario.model_copy(update={"start": D(2026, 11, 2)})
    return compile_scenario(workflow, scenario, warm_up_days=0, horizon_days=7 * weeks).frame


@pytest.fixture(scope="module")
def frame() -> Frame:
    return frame_for()


def make_log(frame: Frame, cases: list[list[tuple[str, str]]]) -> EventLog:
    """Rows for each case: (ISO date, state, activity or age:N), in the order given."""
    builder = LogBuilder()
    for case, events in enumerate(cases):
        for day, name in events:
            code = frame.code(name)
            assert code >= 0, name
            if name in frame.workflow.states:
                kind = Kind.ENTER
            elif name.startswith("age:"):
                kind = Kind.MARK
            else:
                kind = Kind.TASK
            builder.case.append(case)
            builder.day.append(frame.grid.day(D.fromisoformat(day)))
            builder.event.append(code)
            builder.kind.append(int(kind))
            builder.team.append(-1)
            builder.worker.append(-1)
            builder.released.append(math.nan)
            builder.started.append(math.nan)
            builder.hours.append(math.nan)
            builder.due.append(-(2**31))
    return builder.freeze(frame.names, frame.teams, 0)


def as_dates(frame: Frame, table: metrics.Table, standard: str) -> list[tuple]:
    index = list(frame.workflow.standards).index(standard)
    pick = np.flatnonzero(table["standard"] == index)
    out = []
    for i in pick:
        done = table["done"][i]
        out.append(
            (
                int(table["case"][i]),
                int(table["occurrence"][i]),
                frame.grid.date(int(table["due"][i])),
                None if done == metrics.NONE else frame.grid.date(int(done)),
                metrics.OUTCOMES[int(table["outcome"][i])].value,
                int(table["late_days"][i]),
                float(table["late_units"][i]),
            )
        )
    return out


def reference(frame: Frame, cases: list[list[tuple[str, str]]]) -> list[tuple]:
    """What tracking.track says for each case (the reference semantics)."""
    until = frame.grid.date(frame.end)
    found = []
    for case, events in enumerate(cases):
        log = [CaseEvent(D.fromisoformat(day), name) for day, name in events]
        for i in track(frame.workflow, log, until=until):
            found.append(
                (
                    i.standard,
                    case,
                    i.occurrence,
                    i.opened,
                    i.due,
                    i.done,
                    i.outcome.value,
                    i.late_days,
                    float(i.late_units),
                )
            )
    return sorted(found)


def vectorised(frame: Frame, cases: list[list[tuple[str, str]]]) -> list[tuple]:
    table = metrics.instances(make_log(frame, cases), frame)
    ids = list(frame.workflow.standards)
    grid = frame.grid
    found = []
    for i in range(len(table["case"])):
        done = int(table["done"][i])
        found.append(
            (
                ids[int(table["standard"][i])],
                int(table["case"][i]),
                int(table["occurrence"][i]),
                grid.date(int(table["opened"][i])),
                grid.date(int(table["due"][i])),
                None if done == metrics.NONE else grid.date(done),
                metrics.OUTCOMES[int(table["outcome"][i])].value,
                int(table["late_days"][i]),
                float(table["late_units"][i]),
            )
        )
    return sorted(found)


ICPC_ACROSS_CHRISTMAS = [
    ("2026-12-17", "contact"),
    ("2026-12-18", "referral"),
    ("2026-12-18", "strategy_discussion"),
    ("2026-12-21", "s47_enquiry"),
    ("2027-01-13", "icpc"),
]
ONE_DAY_LATE = [*ICPC_ACROSS_CHRISTMAS[:-1], ("2027-01-14", "icpc")]


def test_icpc_on_the_fifteenth_working_day_across_christmas_is_met(frame: Frame) -> None:
    table = metrics.instances(make_log(frame, [ICPC_ACROSS_CHRISTMAS]), frame)
    [(_, _, due, done, outcome, _, _)] = as_dates(frame, table, "icpc-timing")
    assert (due, done, outcome) == (D(2027, 1, 13), D(2027, 1, 13), "met")


def test_one_working_day_late_is_late_by_one_working_day(frame: Frame) -> None:
    table = metrics.instances(make_log(frame, [ONE_DAY_LATE]), frame)
    [(_, _, _, _, outcome, late, units)] = as_dates(frame, table, "icpc-timing")
    assert (outcome, late, units) == ("late", 1, 1.0)


def test_cases_side_by_side_do_not_leak_into_each_other(frame: Frame) -> None:
    # the second case's ICPC must not meet the first case's deadline
    first = ICPC_ACROSS_CHRISTMAS[:-1]
    table = metrics.instances(make_log(frame, [first, ICPC_ACROSS_CHRISTMAS]), frame)
    outcomes = sorted(o for _, _, _, _, o, _, _ in as_dates(frame, table, "icpc-timing"))
    assert outcomes == ["met", "missed"]


CASES = [
    ICPC_ACROSS_CHRISTMAS,
    ONE_DAY_LATE,
    # an enquiry that ends without a conference: the ICPC deadline is withdrawn
    [
        ("2026-11-02", "contact"),
        ("2026-11-03", "referral"),
        ("2026-11-04", "strategy_discussion"),
        ("2026-11-05", "s47_enquiry"),
        ("2026-11-16", "cin_plan"),
        ("2027-03-01", "case_closed"),
    ],
    # in care with visits on time, then a long gap (misses), then a late review; still open
    [
        ("2026-11-02", "contact"),
        ("2026-11-03", "referral"),
        ("2026-11-04", "cf_assessment"),
        ("2026-12-01", "cin_plan"),
        ("2027-01-04", "looked_after"),
        ("2027-01-08", "lac_visit"),
        ("2027-02-05", "lac_review"),
        ("2027-02-15", "lac_visit"),
        ("2027-08-20", "lac_visit"),
        ("2027-09-30", "lac_review"),
    ],
    # a CP plan with reviews and a first core group, stepped down, re-referred, second plan
    [
        ("2026-11-02", "contact"),
        ("2026-11-02", "referral"),
        ("2026-11-02", "strategy_discussion"),
        ("2026-11-03", "s47_enquiry"),
        ("2026-11-20", "icpc"),
        ("2026-11-20", "cp_plan"),
        ("2026-12-01", "core_group"),
        ("2027-02-10", "review_conference"),
        ("2027-05-03", "cin_plan"),
        ("2027-06-01", "early_help"),
        ("2027-07-01", "contact"),
        ("2027-07-01", "referral"),
        ("2027-07-02", "strategy_discussion"),
        ("2027-07-05", "s47_enquiry"),
        ("2027-07-20", "icpc"),
        ("2027-07-20", "cp_plan"),
    ],
    # proceedings over 26 weeks, then care, leaving care with a 16th birthday
    [
        ("2026-11-02", "cp_plan"),
        ("2026-12-01", "care_proceedings"),
        ("2027-07-01", "looked_after"),
        ("2027-07-05", "age:16"),
        ("2027-09-01", "needs_assessment"),
        ("2027-10-01", "care_leaver"),
    ],
]


def test_vectorised_instances_equal_tracking_on_hand_written_cases(frame: Frame) -> None:
    assert vectorised(frame, CASES) == reference(frame, CASES)


@pytest.mark.parametrize("authority", ["knowsley", "liverpool", "coventry"])
def test_vectorised_instances_equal_tracking_for_authority_rules(authority: str) -> None:
    frame = frame_for(authority)
    assert vectorised(frame, CASES) == reference(frame, CASES)


def test_work_in_progress_and_time_in_stage_by_week(frame: Frame) -> None:
    cases = [
        [("2026-11-02", "contact"), ("2026-11-03", "referral"), ("2026-11-10", "case_closed")],
        [("2026-11-02", "contact"), ("2026-11-09", "referral"), ("2026-11-20", "case_closed")],
    ]
    stream = metrics.Stream.of(make_log(frame, cases), frame)
    out = metrics.Measures.empty()
    metrics.stage_measures(out, frame, stream)
    series = {
        (m, s, w): v
        for m, s, w, v in zip(out.metric, out.subject, out.week, out.value, strict=True)
    }
    # at the end of week 0 (Sunday 8 November): one in referral, one still at contact
    assert series[("stage.open", "referral", 0)] == 1
    assert series[("stage.open", "contact", 0)] == 1
    assert series[("stage.open", "referral", 1)] == 1
    assert series[("stage.open", "referral", 2)] == 0
    assert series[("stage.entered", "case_closed", 1)] == 1
    # referral stays ended in week 1 (7 days) and week 2 (11 days)
    assert series[("stage.mean_days", "referral", 1)] == 7
    assert series[("stage.median_days", "referral", -1)] == 9


def test_drift_counts_long_plans_repeats_and_missing_decisions(frame: Frame) -> None:
    out = metrics.Measures.empty()
    cases = [
        [("2026-11-02", "cp_plan"), ("2026-12-01", "cin_plan"), ("2027-01-04", "cp_plan")],
        [
            ("2026-11-02", "care_proceedings"),
            ("2027-06-01", "looked_after"),
            ("2027-06-20", "lac_review"),
            ("2027-09-01", "lac_review"),
        ],
    ]
    metrics.drift_measures(out, frame, metrics.Stream.of(make_log(frame, cases), frame))
    total = {
        (m, s): v
        for m, s, w, v in zip(out.metric, out.subject, out.week, out.value, strict=True)
        if w == -1
    }
    assert total[("drift.repeat_pct", "repeat-cp-plan")] == 50.0
    assert total[("drift.ended_over_pct", "proceedings-over-26-weeks")] == 100.0
    assert total[("drift.missing_pct", "no-permanence-by-second-review")] == 100.0


def test_confidence_interval_across_replications() -> None:
    reps = {}
    for r, value in enumerate([10.0, 12.0, 14.0]):
        m = metrics.Measures.empty()
        m.add("x", "all", [-1], [value])
        reps[r] = m
    table = metrics.across(reps)
    assert table["mean"] == [12.0]
    assert table["sd"] == [2.0]
    half = metrics.t_quantile(0.975, 2) * 2.0 / math.sqrt(3)
    assert table["ci_low"][0] == pytest.approx(12.0 - half)
    assert half == pytest.approx(4.968, abs=1e-3)  # t(0.975, 2) = 4.303


@pytest.mark.parametrize("df", [1, 2, 3, 5, 10, 30, 100])
def test_t_quantile_matches_the_tables(df: int) -> None:
    table = {1: 12.706, 2: 4.303, 3: 3.182, 5: 2.571, 10: 2.228, 30: 2.042, 100: 1.984}
    assert metrics.t_quantile(0.975, df) == pytest.approx(table[df], abs=2e-3)
