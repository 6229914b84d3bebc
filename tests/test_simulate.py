"""Simulating scenarios: same seed same log, conservation, the journey's rules, metrics = tracking."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

import casejourney
from casejourney import metrics
from casejourney.calendar import DayGrid, Unit, WorkingCalendar
from casejourney.cli import main
from casejourney.engine import (
    Draw,
    EventLog,
    Kind,
    Model,
    Offset,
    Punctuality,
    StateModel,
    TaskKind,
    TaskRule,
    Trait,
    simulate,
)
from casejourney.engine.model import Opening
from casejourney.errors import IllegalStepError
from casejourney.experiment import Settings, run
from casejourney.machine import JourneyMachine
from casejourney.simulate import Compiled, Frame, compile_scenario, run_replication
from casejourney.spec.children import LEGAL_STATUSES, PLACEMENTS, PLANS
from casejourney.spec.models import ChildAttributes
from casejourney.spec.scenario import LegalStatusShares, PlacementShares
from casejourney.tracking import CaseEvent, track
from tests.conftest import refused_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SMALL = {"scale": 0.002, "horizon_days": 8 * 7, "warm_up_days": 14}


def small(
    name: str = "national-baseline",
    authority: str | None = None,
    areas: int | None = None,
    **changes: object,
) -> Compiled:
    scenario, workflow = casejourney.load_scenario(name)
    if authority is not None:
        workflow = casejourney.load_workflow(authority)
    if changes:
        scenario = scenario.model_copy(update=changes)
    return compile_scenario(workflow, scenario, areas=areas, **SMALL)  # type: ignore[arg-type]


def born(log: EventLog, frame: Frame, case: int) -> dt.date:
    """A simulated child's date of birth (synthetic: kept in memory for tracking's judgement)."""
    return frame.grid.date(int(log.cases["birth"][case]))


def owed(
    frame: Frame, standard: str, born: dt.date, opened: dt.date, child: ChildAttributes
) -> bool:
    """Whether tracking owes the occurrence to the child (``applies_to``, as ``track`` judges it).

    Tracking is given the events without the date of birth (the run's milestones are its own
    rows), so its age judgement is made here, on the day each occurrence opens.
    """
    return frame.workflow.standards[standard].spec.applies(born, opened, child)


def child_of(log: EventLog, case: int) -> ChildAttributes:
    """What the run drew for a simulated child (placement, legal status, plan, disability)."""
    drawn = log.cases

    def word(name: str, words: tuple[str, ...]) -> str | None:
        return words[int(drawn[name][case])] if name in drawn else None

    return ChildAttributes(
        placement=word("placement", PLACEMENTS),
        legal_status=word("legal_status", LEGAL_STATUSES),
        plan=word("plan", PLANS),
        disabled=bool(drawn["disabled"][case]) if "disabled" in drawn else None,
    )


@pytest.fixture(scope="module", params=[1, 3], ids=["one-area", "three-areas"])
def national(request: pytest.FixtureRequest) -> Compiled:
    """A small England as one area, and split into three (each with its own staff and slots)."""
    found = small(areas=request.param)
    assert len(found.parts) == request.param
    return found


@pytest.fixture(scope="module")
def national_run(national: Compiled):  # type: ignore[no-untyped-def]
    return run_replication(national, 0)


# --- reproducibility ----------------------------------------------------------------------------


def test_same_scenario_and_seed_give_the_same_event_log(national: Compiled) -> None:
    first, _ = run_replication(national, 0)
    again, _ = run_replication(small(areas=len(national.parts)), 0)
    assert first.digest() == again.digest()


def test_different_seeds_and_replications_differ(national: Compiled) -> None:
    a, _ = run_replication(national, 0)
    b, _ = run_replication(national, 1)
    c, _ = run_replication(small(areas=len(national.parts), seed=1), 0)
    assert len({a.digest(), b.digest(), c.digest()}) == 3


def test_one_process_or_two_give_the_same_logs() -> None:
    scenario, workflow = casejourney.load_scenario("national-baseline")
    digests = []
    for jobs in (1, 2):
        settings = Settings(replications=3, seed=11, jobs=jobs, event_log="none", **SMALL)  # type: ignore[arg-type]
        results = run(workflow, scenario, settings)
        digests.append({r: x.digest for r, x in results.replications.items()})
    assert digests[0] == digests[1]
    assert len(set(digests[0].values())) == 3


# --- conservation and capacity -------------------------------------------------------------------


def test_arrivals_equal_open_plus_closed_every_week(national: Compiled, national_run) -> None:  # type: ignore[no-untyped-def]
    log, snaps = national_run
    days, arrived = snaps.series("all", "arrived")
    _, opening = snaps.series("all", "opening")
    _, open_ = snaps.series("all", "open")
    _, closed = snaps.series("all", "closed")
    assert np.array_equal(arrived + opening, open_ + closed)
    # and the log says the same: cases begun (arrived or open at the start) and cases closed
    terminal = [
        national.frame.code(s.id) for s in national.frame.workflow.states.values() if s.terminal
    ]
    enter = log["kind"] == Kind.ENTER
    first_day = {}
    for case, day in zip(log["case"][enter].tolist(), log["day"][enter].tolist(), strict=True):
        first_day.setdefault(case, day)
    closing = enter & np.isin(log["event"], terminal)
    for day, total, shut in zip(
        days.tolist(), (arrived + opening).tolist(), closed.tolist(), strict=True
    ):
        assert sum(1 for d in first_day.values() if d <= day) == total or day < 0
        assert int((log["day"][closing] <= day).sum()) == shut


def test_no_negative_queue_and_no_worker_over_capacity(national_run) -> None:  # type: ignore[no-untyped-def]
    log, snaps = national_run
    for subject in {s for s in snaps.subject if s.startswith("team:")}:
        for measure in ("queued", "unallocated"):
            _, values = snaps.series(subject, measure)
            assert (values >= 0).all(), (subject, measure)
        _, over = snaps.series(subject, "most_over_limit")
        assert (over <= 1e-9).all(), subject
    work = (log["kind"] == Kind.WORK) | ((log["kind"] == Kind.TASK) & ~np.isnan(log["started"]))
    assert (log["started"][work] >= log["released"][work] - 1e-9).all()


def test_every_move_in_the_log_is_a_legal_transition(national: Compiled, national_run) -> None:  # type: ignore[no-untyped-def]
    log, _ = national_run
    frame = national.frame
    enter = np.flatnonzero(log["kind"] == Kind.ENTER)
    order = enter[np.argsort(log["case"][enter], kind="stable")]
    cases, events = log["case"][order], log["event"][order]
    machines: dict[int, JourneyMachine] = {}
    for case, event in zip(cases.tolist(), events.tolist(), strict=True):
        state = frame.names[event]
        if case not in machines:
            machines[case] = JourneyMachine(frame.workflow, initial=state)
            continue
        try:
            machines[case].move_to(state)
        except IllegalStepError as exc:  # pragma: no cover - the failure message says it all
            pytest.fail(f"case {case}: {exc}")


# --- metrics agree with the reference tracking ---------------------------------------------------


@pytest.mark.parametrize(
    ("authority", "areas"),
    [
        ("national", 1),
        ("national", 3),
        ("liverpool", 1),
        ("barnet", 1),
        ("knowsley", 1),
        ("coventry", 1),
    ],
)
def test_vectorised_metrics_agree_with_tracking_on_a_sample_of_cases(
    authority: str, areas: int
) -> None:
    compiled = small(authority=authority, areas=areas)
    log, _ = run_replication(compiled, 0)
    frame = compiled.frame
    table = metrics.instances(log, frame)
    ids = list(frame.workflow.standards)
    rng = np.random.default_rng(3)
    keep = (log["kind"] == Kind.ENTER) | (log["kind"] == Kind.TASK) | (log["kind"] == Kind.MARK)
    cases = np.unique(log["case"][keep])
    sample = rng.choice(cases, size=min(400, len(cases)), replace=False)
    until = frame.grid.date(frame.end)
    compared = 0
    for case in sample.tolist():
        rows = np.flatnonzero(keep & (log["case"] == case))
        events = [
            CaseEvent(frame.grid.date(int(log["day"][r])), frame.names[log["event"][r]])
            for r in rows
        ]
        expected = sorted(
            (
                i.standard,
                i.occurrence,
                i.opened,
                i.due,
                i.done,
                i.outcome.value,
                i.late_days,
                float(i.late_units),
            )
            for i in track(frame.workflow, events, until=until, child=child_of(log, case))
            # not followed by the run (not drawn, or outside the simulation): not measured
            if i.standard not in frame.not_simulated
            and not frame.workflow.standards[i.standard].spec.outside_simulation
            and owed(frame, i.standard, born(log, frame, case), i.opened, child_of(log, case))
        )
        mine = np.flatnonzero(table["case"] == case)
        found = sorted(
            (
                ids[int(table["standard"][i])],
                int(table["occurrence"][i]),
                frame.grid.date(int(table["opened"][i])),
                frame.grid.date(int(table["due"][i])),
                None
                if table["done"][i] == metrics.NONE
                else frame.grid.date(int(table["done"][i])),
                metrics.OUTCOMES[int(table["outcome"][i])].value,
                int(table["late_days"][i]),
                float(table["late_units"][i]),
            )
            for i in mine
        )
        assert found == expected, f"case {case}"
        compared += len(expected)
    assert compared > 100


def test_metrics_agree_with_tracking_when_capacity_runs_out() -> None:
    # a quarter of the workforce: queues, unallocated cases, missed visits (the slow path)
    scenario, workflow = casejourney.load_scenario("national-baseline")
    teams = {
        k: v.model_copy(update={"headcount": v.headcount / 4}) for k, v in scenario.teams.items()
    }
    compiled = compile_scenario(workflow, scenario.model_copy(update={"teams": teams}), **SMALL)  # type: ignore[arg-type]
    log, _ = run_replication(compiled, 0)
    frame = compiled.frame
    table = metrics.instances(log, frame)
    assert (table["outcome"] == metrics.MISSED).sum() > 50
    keep = (log["kind"] == Kind.ENTER) | (log["kind"] == Kind.TASK) | (log["kind"] == Kind.MARK)
    until = frame.grid.date(frame.end)
    for case in np.unique(table["case"][table["outcome"] == metrics.MISSED])[:150].tolist():
        rows = np.flatnonzero(keep & (log["case"] == case))
        events = [
            CaseEvent(frame.grid.date(int(log["day"][r])), frame.names[log["event"][r]])
            for r in rows
        ]
        outcomes = sorted(
            i.outcome.value
            for i in track(workflow, events, until=until, child=child_of(log, case))
            if i.standard not in frame.not_simulated
            and not workflow.standards[i.standard].spec.outside_simulation
            and owed(frame, i.standard, born(log, frame, case), i.opened, child_of(log, case))
        )
        mine = sorted(
            metrics.OUTCOMES[int(o)].value for o in table["outcome"][table["case"] == case]
        )
        assert mine == outcomes, f"case {case}"


# --- what more staff does ------------------------------------------------------------------------


@pytest.mark.slow
def test_more_staff_never_makes_timeliness_worse_beyond_noise() -> None:
    """With the same seeds (common random numbers), each step up in staffing keeps every standard's
    on-time share within noise of the step below, and the overall share rises."""
    scenario, workflow = casejourney.load_scenario("national-baseline")
    overall: list[float] = []
    by_standard: list[dict[str, float]] = []
    for factor in (0.7, 0.85, 1.0, 1.3):
        teams = {
            k: v.model_copy(update={"headcount": v.headcount * factor})
            for k, v in scenario.teams.items()
        }
        settings = Settings(
            replications=4,
            seed=5,
            event_log="none",
            scale=0.004,
            horizon_days=12 * 7,
            warm_up_days=28,
        )
        results = run(workflow, scenario.model_copy(update={"teams": teams}), settings)
        summary = results.summary()
        rows = {
            (m, s): (mean, n)
            for m, s, mean, n in zip(
                summary["metric"], summary["subject"], summary["mean"], summary["n"], strict=True
            )
        }
        met = sum(rows.get(("standard.met", s), (0, 0))[0] for s in workflow.standards)
        due = sum(rows.get(("standard.due", s), (0, 0))[0] for s in workflow.standards)
        overall.append(met / due)
        by_standard.append(
            {
                s: (rows[("standard.on_time_pct", s)][0], rows[("standard.due", s)][0])
                for s in workflow.standards
                if ("standard.on_time_pct", s) in rows
            }
        )
    assert overall == sorted(overall), overall
    for fewer, more in itertools.pairwise(by_standard):
        for standard, (share, due) in fewer.items():
            # a standard nothing fell due for (its event is not simulated, e.g. a placement
            # move) has no share to compare
            if standard in more and not (math.isnan(share) or math.isnan(more[standard][0])):
                # noise: a few percentage points, more on small counts (a standard owed to a
                # few children only: two binomial standard errors at most, 100 / sqrt(due))
                noise = max(5.0, 100 / math.sqrt(max(due, 1.0)))
                assert more[standard][0] >= share - noise, (standard, share, more[standard])


# --- the command ---------------------------------------------------------------------------------


def test_simulate_command_writes_the_results_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    code = main(
        [
            "simulate",
            "national-baseline",
            "--out",
            str(out),
            "--replications",
            "2",
            "--scale",
            "0.002",
            "--seed",
            "3",
            "--event-log",
            "both",
        ]
    )
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "summary.csv",
        "summary.parquet",
        "weekly.csv",
        "weekly.parquet",
        "run.json",
        "scenario.resolved.json",
        "events",
    } <= names
    events = {p.name for p in (out / "events").iterdir()}
    assert {"replication-0000.parquet", "replication-0001.csv"} <= events
    record = json.loads((out / "run.json").read_text())
    assert record["settings"]["seed"] == 3 and len(record["replications"]) == 2
    assert "simpy" in record["versions"]
    # no staging folders left behind, and the table names the standards
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    shown = capsys.readouterr().out
    assert "referral-decision" in shown and "on time %" in shown


def test_event_log_holds_no_personal_data(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "r"
    casejourney.run_scenario("national-baseline", replications=1, scale=0.002, out=out)
    table = pq.read_table(out / "events" / "replication-0000.parquet")
    assert set(table.column_names) == {
        "replication",
        "case",
        "date",
        "day",
        "event",
        "kind",
        "team",
        "worker",
        "released_day",
        "started_day",
        "hours",
        "due_date",
    }


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_loads_and_checks_clean(path: Path) -> None:
    scenario, workflow = casejourney.load_scenario(str(path))
    assert scenario.teams and scenario.branches
    assert workflow.id == scenario.authority or Path(scenario.authority).stem == workflow.id


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_runs(path: Path) -> None:
    scenario, workflow = casejourney.load_scenario(str(path))
    scale = min(1.0, 2000 / max(1.0, scenario.demand.per_week * 52))
    compiled = compile_scenario(workflow, scenario, scale=scale, horizon_days=8 * 7, warm_up_days=7)
    log, snaps = run_replication(compiled, 0)
    assert len(log) > 100
    measures = metrics.measure(log, snaps, compiled.frame)
    # the queueing test benches have no standards: their answer is the wait for a server
    expected = "standard.due" if workflow.standards else "team.wait_days_mean"
    assert expected in set(measures.metric)


def test_a_scenario_with_an_unknown_state_is_refused_with_its_line(tmp_path: Path) -> None:
    findings = refused_scenario(
        tmp_path, "national-baseline", "  cp_plan: 49420", "  cp_planz: 49420"
    )
    assert any("cp_planz" in f.message and f.line > 1 for f in findings)


def test_dates_in_the_frame_match_the_scenario(national: Compiled) -> None:
    frame = national.frame
    assert frame.grid.date(frame.start) == frame.scenario.start
    assert frame.grid.date(frame.report_start) == frame.scenario.start + dt.timedelta(days=14)


def test_a_failed_run_leaves_no_half_written_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import casejourney.runner as runner

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(runner, "write_event_log", broken)
    with pytest.raises(runner.TaskError, match="RuntimeError: disk full"):
        casejourney.run_scenario(
            "national-baseline", replications=1, scale=0.002, out=tmp_path / "r"
        )
    assert list(tmp_path.iterdir()) == []


def test_queues_by_stage_are_measured(national: Compiled, national_run) -> None:  # type: ignore[no-untyped-def]
    log, snaps = national_run
    measures = metrics.measure(log, snaps, national.frame)
    subjects = {
        s for m, s in zip(measures.metric, measures.subject, strict=True) if m == "stage.queued"
    }
    assert {"contact", "referral", "cf_assessment"} <= subjects


def test_timeliness_does_not_collapse_in_the_last_reported_week() -> None:
    """Meetings wanted after the record ends must not take the last fortnight's slots."""
    results = casejourney.run_scenario(
        "national-baseline", replications=1, scale=0.02, event_log="none"
    )
    weekly = results.weekly()
    rows = [
        (week, mean)
        for metric, subject, week, mean in zip(
            weekly["metric"], weekly["subject"], weekly["week"], weekly["mean"], strict=True
        )
        if metric == "standard.on_time_pct" and subject == "icpc-timing" and mean == mean
    ]
    last_week, last = max(rows)
    overall = sum(m for _, m in rows) / len(rows)
    # about three in four on time, as in England (79.7% within 15 working days of the s47 start
    # in the year to March 2024; this standard counts from the strategy discussion, a little earlier)
    assert overall > 60
    assert last > overall - 20, (
        f"week {last_week}: {last:.0f}% on time against {overall:.0f}% overall"
    )


def test_more_areas_than_a_team_has_staff_is_refused_at_the_areas_line(tmp_path: Path) -> None:
    findings = refused_scenario(tmp_path, "liverpool-baseline", "areas: 1 ", "areas: 40 ")
    text = (ROOT / "scenarios" / "liverpool-baseline.yaml").read_text()
    line = text.splitlines().index(next(t for t in text.splitlines() if t.startswith("areas:"))) + 1
    found = [f for f in findings if f.code == "impossible-capacity"]
    assert found and all(f.line == line and "fewer areas" in f.message for f in found)


def test_each_child_gets_the_health_assessments_for_their_age() -> None:
    # statute: a looked-after child's health is reviewed every 6 months before their fifth
    # birthday and every 12 months from it; the engine follows each child's own band (switching
    # at the fifth birthday) and the measures judge each standard only for the children it is for
    scenario, workflow = casejourney.load_scenario("national-baseline")
    compiled = compile_scenario(
        workflow, scenario, scale=0.004, horizon_days=3 * 365, warm_up_days=0
    )
    assert not compiled.frame.not_simulated
    code = compiled.frame.code("review_health_assessment")
    bands = sorted(
        (r.min_age_months, r.max_age_months or 999, r.name)
        for r in compiled.model.tasks
        if r.task == code
    )
    assert bands == [
        (0, 60, "health-assessment-under-five"),
        (60, 999, "health-assessment-five-and-over"),
    ]
    log, snapshots = run_replication(compiled, 0)
    birth = log.cases["birth"]
    rows = np.flatnonzero((log["kind"] == Kind.TASK) & (log["event"] == code))
    rows = rows[np.lexsort((log["day"][rows], log["case"][rows]))]
    case, day = log["case"][rows], log["day"][rows].astype(np.int64)
    same = case[1:] == case[:-1]
    gap, age = (day[1:] - day[:-1])[same], (day[:-1] - birth[case[:-1]])[same]
    under, over = gap[age < 1826 - 200], gap[age >= 1826]
    assert len(under) > 20 and len(over) > 20
    # mostly on time: within 6 months under five, within a year from five, and not much sooner
    assert np.mean(under <= 184) > 0.8 and np.median(under) < 200
    assert np.median(over) > 300 and np.mean(over <= 366) > 0.8
    found = metrics.measure(log, snapshots, compiled.frame)
    rows_found = list(zip(found.metric, found.subject, found.value, strict=True))
    due = {s for m, s, _ in rows_found if m == "standard.due" and s.startswith("health-assess")}
    on_time = {s: v for m, s, v in rows_found if m == "standard.on_time_pct"}
    assert due == {"health-assessment-under-five", "health-assessment-five-and-over"}
    # each judged only for its own children: neither is late every time
    assert on_time["health-assessment-under-five"] > 80
    assert on_time["health-assessment-five-and-over"] > 80


def test_a_child_crossing_an_age_band_switches_schedule_in_the_engine() -> None:
    # one chain for the activity: a child open on the first day aged four and a half is
    # assessed six-monthly while under five, then yearly from five
    grid = DayGrid(WorkingCalendar(), dt.date(2025, 1, 6), -4000, 5000)
    rules = (
        TaskRule(
            "young",
            TaskKind.RECURRING,
            1,
            every=Offset(Unit.MONTHS, 6),
            min_age_months=0,
            max_age_months=60,
            team=-2,
        ),
        TaskRule(
            "older",
            TaskKind.RECURRING,
            1,
            every=Offset(Unit.MONTHS, 12),
            min_age_months=60,
            team=-2,
        ),
    )
    model = Model(
        grid=grid,
        start=0,
        end=4 * 365,
        names=("open", "assessment"),
        states=(StateModel("open", stay=Draw("fixed", (5000.0,), Unit.DAYS)),),
        initial=0,
        arrivals=np.zeros(4 * 365),
        open_days=np.ones(grid.last - grid.first + 1, dtype=bool),
        signals={(-1, 0): ((0, 0),)},
        tasks=rules,
        punctuality=(Punctuality(1.0, Draw("fixed", (0.0,)), Draw("fixed", (0.0,))),),
        opening=(Opening(0, 1, Draw("fixed", (4.5,))),),
    )
    log, _ = simulate(model, np.random.SeedSequence(1))
    task = log["kind"] == Kind.TASK
    ages = [(d - int(log.cases["birth"][0])) / 365.25 for d in log["day"][task].tolist()]
    gaps = [round(b - a, 1) for a, b in itertools.pairwise(ages)]
    # six-monthly while under five (the one opened at 4.8 is due at 5.3), then yearly
    assert [a < 5 for a in ages] == [True, False, False, False, False]
    assert gaps == [0.5, 1.0, 1.0, 1.0]


# --- children's attributes ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def drawn() -> tuple[Compiled, EventLog, metrics.Table]:
    """Half a year of a small England whose children are drawn with a placement, legal status,
    plan and disability (the national baseline's ``children``)."""
    scenario, workflow = casejourney.load_scenario("national-baseline")
    compiled = compile_scenario(workflow, scenario, scale=0.004, horizon_days=182, warm_up_days=0)
    log, _ = run_replication(compiled, 0)
    return compiled, log, metrics.instances(log, compiled.frame)


def test_children_are_drawn_with_the_scenarios_shares(
    drawn: tuple[Compiled, EventLog, metrics.Table],
) -> None:
    compiled, log, _ = drawn
    scenario = compiled.frame.scenario
    assert scenario.children is not None and scenario.children.placement is not None
    placement = log.cases["placement"]
    assert len(placement) == len(log.cases["birth"]) > 3000
    for word, share in scenario.children.placement.shares.items():
        found = np.mean(placement == PLACEMENTS.index(word))
        assert abs(found - share) < 0.025, word
    assert scenario.children.disabled is not None
    assert abs(np.mean(log.cases["disabled"] == 1) - scenario.children.disabled.share) < 0.025


def test_each_visit_standard_is_followed_and_judged_for_its_own_children() -> None:
    # statute's visits differ for a child placed with parents (care order or interim order) and
    # with connected persons: each child is visited by the schedule for their placement and legal
    # status, and each standard is judged only on the children it is for (many children placed
    # with parents or connected persons here, so that each group is large)
    scenario, workflow = casejourney.load_scenario("national-baseline")
    assert scenario.children is not None
    children = scenario.children.model_copy(
        update={
            "placement": PlacementShares(
                shares={"parents": 0.6, "connected_person": 0.2, "foster_care": 0.2}, source="test"
            ),
            "legal_status": LegalStatusShares(
                shares={"care_order": 0.5, "interim_care_order": 0.5}, source="test"
            ),
        }
    )
    changed = scenario.model_copy(update={"children": children})
    compiled = compile_scenario(workflow, changed, scale=0.01, horizon_days=182, warm_up_days=0)
    log, _ = run_replication(compiled, 0)
    table = metrics.instances(log, compiled.frame)
    frame = compiled.frame
    assert not frame.not_simulated
    ids = list(frame.workflow.standards)
    placement, legal = log.cases["placement"], log.cases["legal_status"]
    wanted = {
        "lac-visits-placed-with-parents": ("parents", "care_order"),
        "lac-visits-interim-order-with-parents": ("parents", "interim_care_order"),
    }
    # children who came into care in the run (for one open on the first day, the log does not
    # hold the first review that switches weekly visits to 4-weekly)
    entered = (log["kind"] == Kind.ENTER) & (log["event"] == frame.code("looked_after"))
    came = np.setdiff1d(log["case"][entered], log["case"][entered & (log["day"] < 0)])
    for standard, (where, status) in wanted.items():
        mine = table["standard"] == ids.index(standard)
        cases = table["case"][mine]
        assert mine.sum() > 10, standard
        assert np.all(placement[cases] == PLACEMENTS.index(where))
        assert np.all(legal[cases] == LEGAL_STATUSES.index(status))
        # scheduled for them, so mostly on time (judged against a schedule not followed for
        # them, most would be late)
        new = mine & np.isin(table["case"], came) & (table["outcome"] != metrics.PENDING)
        on_time = np.mean(table["outcome"][new] == metrics.MET)
        assert new.sum() > 10 and on_time > 0.8, (standard, on_time)
    connected = table["standard"] == ids.index("lac-visits-connected-person")
    assert np.all(placement[table["case"][connected]] == PLACEMENTS.index("connected_person"))
    # everyone looked after is owed the general standard, and visited at least as often
    general = table["standard"] == ids.index("lac-visits")
    general &= np.isin(table["case"], came) & (table["outcome"] != metrics.PENDING)
    assert np.mean(table["outcome"][general] == metrics.MET) > 0.8


def test_without_children_standards_by_attribute_are_not_simulated_and_say_why() -> None:
    scenario, workflow = casejourney.load_scenario("national-baseline")
    plain = scenario.model_copy(update={"children": None})
    compiled = compile_scenario(workflow, plain, **SMALL)  # type: ignore[arg-type]
    assert compiled.model.traits == ()
    why = compiled.frame.not_simulated
    assert set(why) == {
        "lac-visits-placed-with-parents",
        "lac-visits-connected-person",
        "lac-visits-interim-order-with-parents",
        "lac-visits-placed-with-parents-before-assessment",
    }
    assert "children.placement" in why["lac-visits-connected-person"]
    visits = [r for r in compiled.model.tasks if r.task == compiled.frame.code("lac_visit")]
    assert [(r.name, r.traits) for r in visits] == [("lac-visits", ())]


def test_children_shares_that_do_not_add_up_are_refused_at_their_key(tmp_path: Path) -> None:
    old = "shares: {care_order: 0.67, interim_care_order: 0.10,"
    findings = refused_scenario(tmp_path, "national-baseline", old, old.replace("0.67", "0.57"))
    text = (ROOT / "scenarios" / "national-baseline.yaml").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if old in t)
    [found] = findings
    assert found.line == line - 1  # legal_status:, the key holding the shares
    assert "children.legal_status" in found.message
    assert "add up to 0.9," in found.message and "make them add up to 1" in found.message
    findings = refused_scenario(
        tmp_path, "national-baseline", old, old.replace("care_order", "court_order", 1)
    )
    assert "court_order" in findings[0].message and "care_order" in findings[0].message


def test_drawing_children_leaves_every_other_draw_as_it_was() -> None:
    # each attribute has its own random stream: where no standard asks about it, a run that
    # draws it is the run that does not, event for event
    scenario, workflow = casejourney.load_scenario("national-baseline")
    by_age_only = {
        k: s
        for k, s in workflow.standards.items()
        if s.spec.applies_to is None or s.spec.applies_to.by_age_only
    }
    plain = dataclasses.replace(workflow, standards=by_age_only)
    drawn = compile_scenario(plain, scenario, **SMALL)  # type: ignore[arg-type]
    assert len(drawn.model.traits) == 4
    without = compile_scenario(plain, scenario.model_copy(update={"children": None}), **SMALL)  # type: ignore[arg-type]
    first, _ = run_replication(drawn, 0)
    second, _ = run_replication(without, 0)
    assert first.digest() == second.digest()
    assert set(first.cases) == {"birth", "disabled", "placement", "legal_status", "plan"}
    assert set(second.cases) == {"birth"}


def test_a_rule_with_a_trait_filter_is_owed_only_to_cases_drawn_with_it() -> None:
    # the engine, generically: each case is drawn a value of a trait when it opens; a task rule
    # for value 1 runs for those cases only, about as many as the weights say
    grid = DayGrid(WorkingCalendar(), dt.date(2025, 1, 6), -400, 800)
    rule = TaskRule(
        "some",
        TaskKind.RECURRING,
        1,
        every=Offset(Unit.WEEKS, 4),
        traits=((0, frozenset({1})),),
        team=-2,
    )
    model = Model(
        grid=grid,
        start=0,
        end=200,
        names=("open", "task"),
        states=(StateModel("open", stay=Draw("fixed", (5000.0,), Unit.DAYS)),),
        initial=0,
        arrivals=np.zeros(200),
        open_days=np.ones(grid.last - grid.first + 1, dtype=bool),
        signals={(-1, 0): ((0, 0),)},
        tasks=(rule,),
        punctuality=(Punctuality(1.0, Draw("fixed", (0.0,)), Draw("fixed", (0.0,))),),
        opening=(Opening(0, 2000, Draw("fixed", (4.5,))),),
        traits=(Trait("t", (0.75, 0.25)),),
    )
    log, _ = simulate(model, np.random.SeedSequence(3))
    drawn = log.cases["t"]
    done = np.unique(log["case"][log["kind"] == Kind.TASK])
    assert np.all(drawn[done] == 1)
    assert set(np.flatnonzero(drawn == 1).tolist()) == set(done.tolist())
    assert abs(len(done) / 2000 - 0.25) < 0.03
