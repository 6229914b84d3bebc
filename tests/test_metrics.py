"""Metrics on tiny hand-written event logs: what a planner expects, and the same as tracking says."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

import casejourney
from casejourney import metrics
from casejourney.calendar import DayGrid
from casejourney.codebook import Codebook
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


def make_log(frame: Codebook, cases: list[list[tuple[str, str]]]) -> EventLog:
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


def as_dates(frame: Codebook, table: metrics.Table, standard: str) -> list[tuple]:
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
    """What tracking.track says for each case (the reference semantics).

    Only the standards the metrics measure: not those outside the simulation (a conditional lead
    time, owed on an occasion the simulation never generates, is tracked on a record that has it),
    nor those the run did not follow (``frame.not_simulated``).
    """
    until = frame.grid.date(frame.end)
    measured = [
        s.id
        for s in frame.workflow.standards.values()
        if not s.spec.outside_simulation and s.id not in frame.not_simulated
    ]
    found = []
    for case, events in enumerate(cases):
        log = [CaseEvent(D.fromisoformat(day), name) for day, name in events]
        for i in track(frame.workflow, log, until=until, standards=measured):
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


def test_a_codebook_made_by_hand_measures_a_log_from_anywhere() -> None:
    # No scenario and no simulator: the names, a calendar, a window and the rules are enough.
    workflow = casejourney.load_workflow("national")
    names = (*workflow.states, *workflow.activities, *workflow.phases)
    book = Codebook(
        workflow=workflow,
        grid=DayGrid(workflow.calendar, D(2026, 11, 2), -30, 400),
        start=0,
        report_start=0,
        end=364,
        names=names,
        teams=(),
        in_post=(),
        drift={},
    )
    table = metrics.instances(make_log(book, [ICPC_ACROSS_CHRISTMAS, ONE_DAY_LATE]), book)
    found = sorted((o, late) for _, _, _, _, o, late, _ in as_dates(book, table, "icpc-timing"))
    assert found == [("late", 1), ("met", 0)]


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


# --- work in progress, drift and the end of the record against independent references ---------


def by_key(out: metrics.Measures) -> dict[tuple[str, str, int], float]:
    return {
        (m, s, w): v
        for m, s, w, v in zip(out.metric, out.subject, out.week, out.value, strict=True)
    }


def weekly(out: metrics.Measures, metric: str, subject: str, weeks: int) -> list[float]:
    found = by_key(out)
    return [found[(metric, subject, w)] for w in range(weeks)]


@pytest.fixture(scope="module")
def tiny_run() -> tuple[Frame, EventLog, casejourney.engine.Snapshots]:
    """A small national-baseline run (fixed seed) with a warm-up and an initial caseload."""
    from casejourney.simulate import run_replication

    scenario, workflow = casejourney.load_scenario("national-baseline")
    compiled = compile_scenario(workflow, scenario, scale=0.01, warm_up_days=14, horizon_days=56)
    log, snapshots = run_replication(compiled, 0)
    return compiled.frame, log, snapshots


def test_work_in_progress_equals_the_engines_own_counts(
    tiny_run: tuple[Frame, EventLog, casejourney.engine.Snapshots],
) -> None:
    frame, log, snapshots = tiny_run
    out = metrics.Measures.empty()
    metrics.stage_measures(out, frame, metrics.Stream.of(log, frame))
    week_ends = metrics._week_ends(frame).tolist()
    compared = 0
    for state in frame.workflow.states:
        days, values = snapshots.series(f"state:{state}", "open")
        engine = dict(zip(days.tolist(), values.tolist(), strict=True))
        expected = [engine[day] for day in week_ends]
        assert weekly(out, "stage.open", state, frame.weeks) == expected, state
        compared += sum(expected)
    assert compared > 0


def test_work_in_progress_counts_cases_open_on_the_first_day_until_the_last_week(
    frame: Frame,
) -> None:
    cases = [
        # back-dated: already on a plan when the run starts, still on it at the end
        [("2026-06-01", "cp_plan")],
        [("2026-09-01", "cin_plan"), ("2027-03-01", "case_closed")],
    ]
    out = metrics.Measures.empty()
    metrics.stage_measures(out, frame, metrics.Stream.of(make_log(frame, cases), frame))
    assert weekly(out, "stage.open", "cp_plan", frame.weeks) == [1] * frame.weeks
    cin = weekly(out, "stage.open", "cin_plan", frame.weeks)
    closed_week = int(frame.week_of(np.array([frame.grid.day(D(2027, 3, 1))]))[0])
    assert cin == [1] * closed_week + [0] * (frame.weeks - closed_week)
    closed = weekly(out, "stage.open", "case_closed", frame.weeks)
    assert closed == [0] * closed_week + [1] * (frame.weeks - closed_week)


def test_drift_open_over_the_limit_counts_only_stays_past_their_limit(frame: Frame) -> None:
    cases = [
        # over two years from 1 June 2026 to the end
        [("2024-06-01", "cp_plan")],
        # reaches two years on 5 January 2027, ends 1 March 2027
        [("2025-01-05", "cp_plan"), ("2027-03-01", "cin_plan")],
        # plans that end well before two years: never over, and must not subtract
        [("2026-11-02", "cp_plan"), ("2026-12-01", "cin_plan")],
        [("2025-06-01", "cp_plan"), ("2026-11-20", "cin_plan"), ("2027-01-04", "cp_plan")],
    ]
    out = metrics.Measures.empty()
    metrics.drift_measures(out, frame, metrics.Stream.of(make_log(frame, cases), frame))
    got = weekly(out, "drift.open_over", "cp-plan-over-2-years", frame.weeks)
    # reference: at the end of each week, cases whose plan began more than two years before
    # (by the calendar) and had not ended
    stays = [
        (D(2024, 6, 1), None),
        (D(2025, 1, 5), D(2027, 3, 1)),
        (D(2026, 11, 2), D(2026, 12, 1)),
        (D(2025, 6, 1), D(2026, 11, 20)),
        (D(2027, 1, 4), None),
    ]
    expected = []
    for week in range(frame.weeks):
        moment = frame.grid.date(int(metrics._week_ends(frame)[week]))
        expected.append(
            sum(
                1
                for start, end in stays
                if start.replace(year=start.year + 2) <= moment and (end is None or moment < end)
            )
        )
    assert got == expected
    assert min(got) >= 0 and got[0] == 1 and max(got) == 2


def test_weekly_on_time_by_week_due_agrees_with_tracking_at_the_end_of_the_record(
    frame: Frame,
) -> None:
    # the record ends with Sunday 31 October 2027; its final week starts Monday 25 October
    assert frame.grid.date(frame.end - 1) == D(2027, 10, 31)
    cases = [
        *CASES,
        # conference held on time, due Monday 25 October (the final week): met
        [
            ("2027-10-04", "strategy_discussion"),
            ("2027-10-05", "s47_enquiry"),
            ("2027-10-22", "icpc"),
        ],
        # no conference, due Wednesday 27 October, before the end of the record: missed
        [("2027-10-06", "strategy_discussion"), ("2027-10-07", "s47_enquiry")],
        # no conference yet, due in November, after the end of the record: pending, left out
        [("2027-10-27", "strategy_discussion"), ("2027-10-28", "s47_enquiry")],
    ]
    out = metrics.Measures.empty()
    metrics.standard_measures(out, frame, metrics.Stream.of(make_log(frame, cases), frame))
    found = by_key(out)
    due: dict[tuple[str, int], int] = {}
    met: dict[tuple[str, int], int] = {}
    pending = 0
    for standard, _, _, _, due_day, _, outcome, _, _ in reference(frame, cases):
        if outcome == "pending":
            pending += 1
        if outcome not in ("met", "late", "missed"):
            continue
        week = int(frame.week_of(np.array([frame.grid.day(due_day)]))[0])
        if 0 <= week < frame.weeks:
            due[(standard, week)] = due.get((standard, week), 0) + 1
            met[(standard, week)] = met.get((standard, week), 0) + (outcome == "met")
    assert pending > 0
    for standard, spec in ((s.id, s.spec) for s in frame.workflow.standards.values()):
        if spec.outside_simulation or standard in frame.not_simulated:  # no measures
            assert ("standard.due", standard, 0) not in found
            continue
        for week in range(frame.weeks):
            n, k = due.get((standard, week), 0), met.get((standard, week), 0)
            assert found[("standard.due", standard, week)] == n, (standard, week)
            assert found[("standard.met", standard, week)] == k, (standard, week)
            pct = found[("standard.on_time_pct", standard, week)]
            assert (math.isnan(pct) and n == 0) or pct == 100 * k / n, (standard, week)
    final = frame.weeks - 1
    assert found[("standard.due", "icpc-timing", final)] == 2
    assert found[("standard.on_time_pct", "icpc-timing", final)] == 50.0


def same_measures(a: metrics.Measures, b: metrics.Measures) -> bool:
    """Row for row the same (a missing value equal to a missing value)."""
    values = np.array_equal(np.array(a.value), np.array(b.value), equal_nan=True)
    return values and (a.metric, a.subject, a.week) == (b.metric, b.subject, b.week)


def test_measures_are_the_same_on_pieces_of_the_stream_and_with_the_log_let_go(
    tiny_run: tuple[Frame, EventLog, casejourney.engine.Snapshots],
) -> None:
    """A national year is measured a piece of its cases at a time, its log let go as it is read:
    the figures must be the whole log's, row for row."""
    frame, log, snapshots = tiny_run
    stream = metrics.Stream.of(log, frame)
    pieces = stream.pieces(2_000)
    assert len(pieces) > 5
    assert sum(len(p.case) for p in pieces) == len(stream.case)
    assert all(p.first[0] for p in pieces)  # each piece begins with a case's first row
    whole, cut = metrics.Measures.empty(), metrics.Measures.empty()
    metrics.standard_measures(whole, frame, stream)
    metrics.standard_measures(cut, frame, stream, piece_rows=2_000)
    assert same_measures(cut, whole)
    assert any(v > 0 for m, v in zip(whole.metric, whole.value, strict=True) if m == "standard.due")
    expected = metrics.measure(log, snapshots, frame)
    own = EventLog(log.replication, log.names, log.teams, dict(log.columns), dict(log.cases))
    assert same_measures(metrics.measure(own, snapshots, frame, release=True), expected)
    assert not own.columns and len(log) > 0  # let go of by the copy only


def test_confidence_intervals_stay_within_what_the_measure_can_be() -> None:
    reps = {}
    for r, (pct, count) in enumerate([(0.0, 0.0), (0.0, 0.0), (10.0, 3.0)]):
        m = metrics.Measures.empty()
        m.add("standard.on_time_pct", "x", [-1], [pct])
        m.add("standard.on_time_pct", "y", [-1], [100.0 - pct])
        m.add("stage.open", "x", [-1], [count])
        m.add("team.most_over_limit", "x", [-1], [count - 2.0])
        reps[r] = m
    table = metrics.across(reps)
    rows = {
        (m, s): (lo, hi)
        for m, s, lo, hi in zip(
            table["metric"], table["subject"], table["ci_low"], table["ci_high"], strict=True
        )
    }
    assert rows[("standard.on_time_pct", "x")][0] == 0.0
    assert rows[("standard.on_time_pct", "x")][1] > 10.0
    assert rows[("standard.on_time_pct", "y")][1] == 100.0
    assert rows[("standard.on_time_pct", "y")][0] < 90.0
    assert rows[("stage.open", "x")][0] == 0.0
    assert rows[("team.most_over_limit", "x")][0] < 0.0  # can be under the limit: not clamped


#: Liverpool: "Wherever possible, we will arrange a Care Planning Meeting before a child comes into
#: our care. Otherwise, we will meet within 10 days" (and the same for plans and health assessments).
BEFORE_CARE = [
    ("2026-11-02", "contact"),
    ("2026-11-03", "referral"),
    ("2026-11-04", "cf_assessment"),
    ("2026-12-01", "cin_plan"),
    ("2026-12-10", "care_planning_meeting"),
    ("2026-12-14", "placement_plan"),
    ("2027-01-04", "looked_after"),
    ("2027-01-20", "care_plan"),
    ("2027-03-01", "cin_plan"),
    ("2027-06-01", "looked_after"),
]


def test_a_meeting_held_before_coming_into_care_meets_a_before_or_within_standard() -> None:
    frame = frame_for("liverpool")
    until = frame.grid.date(frame.end)
    log = [CaseEvent(D.fromisoformat(day), name) for day, name in BEFORE_CARE]
    found = [
        i for i in track(frame.workflow, log, until=until) if i.standard == "care-planning-meeting"
    ]
    first, second = found
    assert (first.outcome.value, first.done) == ("met", D(2026, 12, 10))
    # Coming into care again: the meeting before the first time does not count twice.
    assert (second.outcome.value, second.done) == ("missed", None)
    [plan] = [i for i in track(frame.workflow, log, until=until) if i.standard == "placement-plan"][
        :1
    ]
    assert plan.outcome.value == "met"
    [care_plan] = [i for i in track(frame.workflow, log, until=until) if i.standard == "care-plan"][
        :1
    ]
    assert (care_plan.outcome.value, care_plan.done) == ("late", D(2027, 1, 20))
    assert vectorised(frame, [BEFORE_CARE, *CASES]) == reference(frame, [BEFORE_CARE, *CASES])


def test_a_placement_move_restarts_the_visits_in_both_readings() -> None:
    frame = frame_for("national")
    moves = [
        ("2026-11-02", "looked_after"),
        ("2026-11-06", "lac_visit"),
        ("2026-12-01", "placement_move"),
        ("2026-12-04", "lac_visit"),
        ("2027-01-04", "placement_move"),
        ("2027-01-20", "placement_move"),
        ("2027-02-01", "cin_plan"),
    ]
    assert vectorised(frame, [moves, *CASES]) == reference(frame, [moves, *CASES])
    due = [
        d
        for _, _, d, _, _, _, _ in as_dates(
            frame, metrics.instances(make_log(frame, [moves]), frame), "lac-visits"
        )
    ]
    assert D(2026, 12, 8) in due and D(2027, 1, 11) in due and D(2027, 1, 27) in due


def test_a_long_term_home_after_the_first_year_turns_visits_three_monthly_in_both_readings() -> (
    None
):
    # reg 28(2)(c): the step waits for the placement's first year and the agreement.
    frame = frame_for("national", weeks=104)
    start = D(2026, 11, 2)
    monthly = [start + dt.timedelta(days=30 * n + 4) for n in range(15)]  # to 20 Jan 2028
    agreed = [
        (start.isoformat(), "looked_after"),
        *[(day.isoformat(), "lac_visit") for day in monthly[:2]],
        ("2026-12-20", "long_term_home_agreed"),
        *[(day.isoformat(), "lac_visit") for day in monthly[2:]],
        ("2028-09-01", "cin_plan"),
    ]
    never = [e for e in agreed if e[1] != "long_term_home_agreed"]
    cases = [agreed, never, *CASES]
    assert vectorised(frame, cases) == reference(frame, cases)

    def after_last_visit(case: list[tuple[str, str]]) -> dt.date:
        rows = as_dates(frame, metrics.instances(make_log(frame, [case]), frame), "lac-visits")
        return min(r[2] for r in rows if r[3] is None)  # the first not done: after the last

    # After the last visit (past the first year): three months on where agreed, six weeks where not.
    assert after_last_visit(agreed) == D(2028, 3, 31)
    assert after_last_visit(never) == monthly[-1] + dt.timedelta(weeks=6)


def test_a_visit_on_the_day_of_the_review_counts_as_before_it_in_both_readings() -> None:
    # reg 8(2)'s visit "before the pathway plan is reviewed": a lead time of zero, and a record
    # of dates cannot say which came first that day.
    frame = frame_for("national")
    leaver = [
        ("2026-11-02", "care_leaver"),
        ("2026-11-05", "care_leaver_visit"),
        ("2027-01-04", "pathway_plan_review"),  # the visit of 5 November: met
        ("2027-03-01", "pathway_plan_review"),
        ("2027-03-01", "care_leaver_visit"),  # the same day, listed after it: met
        ("2027-05-03", "pathway_plan_review"),  # no visit since: missed
        ("2027-05-04", "care_leaver_visit"),
    ]
    assert vectorised(frame, [leaver, *CASES]) == reference(frame, [leaver, *CASES])
    rows = as_dates(
        frame, metrics.instances(make_log(frame, [leaver]), frame), "pa-visit-before-review"
    )
    assert [(due, done, outcome) for _, _, due, done, outcome, _, _ in rows] == [
        (D(2027, 1, 4), D(2026, 11, 5), "met"),
        (D(2027, 3, 1), D(2027, 3, 1), "met"),
        (D(2027, 5, 3), None, "missed"),
    ]


def test_an_extension_lengthens_the_temporary_approval_in_both_readings() -> None:
    # reg 25(2): extended once, by up to eight weeks, where the extension comes in time.
    frame = frame_for("national")
    placed = [("2026-11-02", "looked_after"), ("2026-11-02", "connected_person_placement")]
    extended = [*placed, ("2027-02-01", "temporary_approval_extended")]
    too_late = [*placed, ("2027-02-23", "temporary_approval_extended")]
    approved = [("2027-04-01", "connected_person_approved")]
    cases = [extended + approved, too_late + approved, placed + approved, extended, *CASES]
    assert vectorised(frame, cases) == reference(frame, cases)

    def due_and_outcome(case: list[tuple[str, str]]) -> tuple[dt.date, str]:
        [(_, _, due, _, outcome, _, _)] = as_dates(
            frame,
            metrics.instances(make_log(frame, [case]), frame),
            "connected-person-temporary-approval",
        )
        return due, outcome

    # 16 weeks from 2 November 2026 end on 22 February 2027; extended, on 19 April.
    assert due_and_outcome(extended + approved) == (D(2027, 4, 19), "met")
    assert due_and_outcome(too_late + approved) == (D(2027, 2, 22), "late")
    assert due_and_outcome(placed + approved) == (D(2027, 2, 22), "late")


def test_a_second_meeting_before_the_first_review_in_both_readings() -> None:
    # Liverpool TEN: a Care Planning Meeting "within 10 days and again before the first review";
    # one before coming into care counts as the first (nth: 2 with or_before).
    frame = frame_for("liverpool", weeks=104)
    entered = ("2026-11-02", "looked_after")
    review = ("2026-11-23", "lac_review")
    twice = [
        entered,
        ("2026-11-05", "care_planning_meeting"),
        ("2026-11-20", "care_planning_meeting"),
        review,
    ]
    once = [entered, ("2026-11-05", "care_planning_meeting"), review]
    before = [
        ("2026-10-26", "cin_plan"),
        ("2026-10-30", "care_planning_meeting"),
        entered,
        ("2026-11-20", "care_planning_meeting"),
        review,
    ]
    # Out of care and back: the second stretch needs its own two meetings.
    again = [
        *twice,
        ("2027-01-04", "cin_plan"),
        ("2027-03-01", "looked_after"),
        ("2027-03-03", "care_planning_meeting"),
    ]
    cases = [twice, once, before, again, *CASES]
    assert vectorised(frame, cases) == reference(frame, cases)
    rows = as_dates(
        frame, metrics.instances(make_log(frame, cases[:4]), frame), "care-planning-meeting-again"
    )
    assert [(case, outcome) for case, _, _, _, outcome, _, _ in rows] == [
        (0, "met"),
        (1, "missed"),
        (2, "met"),
        (3, "met"),
        (3, "missed"),
    ]


def test_a_first_review_held_early_brings_the_health_assessment_forward_in_both_readings() -> None:
    frame = frame_for("national")
    early = [
        ("2026-11-02", "looked_after"),
        ("2026-11-10", "lac_review"),
        ("2026-11-13", "initial_health_assessment"),
        ("2026-12-01", "cin_plan"),
    ]
    assert vectorised(frame, [early, *CASES]) == reference(frame, [early, *CASES])
    [(_, _, due, done, outcome, _, _)] = as_dates(
        frame, metrics.instances(make_log(frame, [early]), frame), "initial-health-assessment"
    )
    assert (due, done, outcome) == (D(2026, 11, 10), D(2026, 11, 13), "late")


def test_a_move_before_the_temporary_approval_ran_out_withdraws_it_in_both_readings() -> None:
    # reg 24: the placement ending within the temporary approval satisfies it (ends_on).
    frame = frame_for("national")
    placed = [("2026-10-01", "looked_after"), ("2026-11-02", "connected_person_placement")]
    moved = [*placed, ("2027-01-11", "placement_move")]
    late_move = [*placed, ("2027-03-01", "placement_move")]
    approved_then_moved = [*placed, ("2027-01-04", "connected_person_approved"), moved[-1]]
    moved_then_approved = [*moved, ("2027-01-18", "connected_person_approved")]
    cases = [moved, late_move, placed, approved_then_moved, moved_then_approved, *CASES]
    assert vectorised(frame, cases) == reference(frame, cases)

    def outcome(case: list[tuple[str, str]]) -> str:
        [(_, _, _, _, found, _, _)] = as_dates(
            frame,
            metrics.instances(make_log(frame, [case]), frame),
            "connected-person-temporary-approval",
        )
        return str(found)

    assert [outcome(c) for c in (moved, late_move, approved_then_moved, moved_then_approved)] == [
        "withdrawn",
        "missed",
        "met",
        "withdrawn",
    ]


def test_a_move_recorded_after_the_placement_on_its_day_ends_nothing_in_both_readings() -> None:
    # The move into the connected person's home, on the day of the placement but listed after it,
    # does not end the placement: records carry dates, not times.
    frame = frame_for("national")
    into = [
        ("2026-10-01", "looked_after"),
        ("2026-11-02", "connected_person_placement"),
        ("2026-11-02", "placement_move"),
    ]
    approved = [*into, ("2027-01-04", "connected_person_approved")]
    moved_on = [*into, ("2027-01-11", "placement_move")]
    # a second placement the same day as a move out of the first: the move ends the first only
    again = [
        *moved_on,
        ("2027-01-11", "connected_person_placement"),
        ("2027-01-11", "placement_move"),
    ]
    cases = [into, approved, moved_on, again]
    assert vectorised(frame, cases) == reference(frame, cases)
    found = as_dates(
        frame,
        metrics.instances(make_log(frame, cases), frame),
        "connected-person-temporary-approval",
    )
    assert [(case, n, due, outcome) for case, n, due, _, outcome, _, _ in found] == [
        (0, 1, D(2027, 2, 22), "missed"),
        (1, 1, D(2027, 2, 22), "met"),
        (2, 1, D(2027, 2, 22), "withdrawn"),
        (3, 1, D(2027, 2, 22), "withdrawn"),
        (3, 2, D(2027, 5, 3), "missed"),
    ]
