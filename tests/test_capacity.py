"""The capacity mechanisms, each on a model small enough to reason about.

Paced stays (work takes longer for a busier server), deadline-aware booking with adjournments,
leavers whose cases wait to be reallocated, and case history written before the first day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from casejourney.calendar import DayGrid, Unit, default_calendar
from casejourney.engine import (
    Draw,
    Kind,
    Model,
    Offset,
    SlotModel,
    StateModel,
    TaskKind,
    TaskRule,
    TeamModel,
    simulate,
)
from casejourney.engine.model import History, Punctuality

ORIGIN = dt.date(2026, 4, 6)  # a Monday
DAYS = 400
GRID = DayGrid(default_calendar(), ORIGIN, -4000, DAYS + 400)
NAMES = ("work", "meeting", "done")


def model(
    *,
    servers: int = 10,
    limit: float | None = 30.0,
    pace: float = 0.0,
    per_day: float = 2.0,
    slots: SlotModel | None = None,
    turnover: float = 0.0,
    history: tuple[History, ...] = (),
) -> Model:
    """Arrivals enter ``work`` (held by one team; 20 working days at the reference load), then go
    to ``meeting`` (booked in a diary when ``slots`` is given), then ``done``."""
    states = (
        StateModel(
            "work",
            stay=Draw("fixed", (20.0,), Unit.WORKING_DAYS),
            exits=(1,),
            weights=(1.0,),
            team=0,
            pace=pace,
            least=4,
        ),
        StateModel(
            "meeting",
            stay=Draw("fixed", (0.0,), Unit.DAYS),
            exits=(2,),
            weights=(1.0,),
            slots=0 if slots is not None else -1,
        ),
        StateModel("done", terminal=True),
    )
    return Model(
        grid=GRID,
        start=0,
        end=DAYS,
        names=NAMES,
        states=states,
        initial=0,
        arrivals=np.full(DAYS, per_day),
        open_days=GRID.working,
        signals={},
        teams=(
            TeamModel("team", (limit,) * servers, 7.0, turnover=turnover, refill=30, reference=0.0),
        ),
        slots=(slots,) if slots is not None else (),
        history=history,
    )


def entries(log: object, state: str) -> tuple[np.ndarray, np.ndarray]:
    """Cases and days of entries into ``state``."""
    enter = (log["kind"] == Kind.ENTER) & (log["event"] == NAMES.index(state))  # type: ignore[index]
    return log["case"][enter], log["day"][enter]  # type: ignore[index]


def mean_stay(log: object, first: int = 100) -> float:
    cases_in, days_in = entries(log, "work")
    cases_out, days_out = entries(log, "meeting")
    out = dict(zip(cases_out.tolist(), days_out.tolist(), strict=True))
    stays = [
        out[c] - d
        for c, d in zip(cases_in.tolist(), days_in.tolist(), strict=True)
        if c in out and d >= first
    ]
    return float(np.mean(stays))


def test_a_busier_server_takes_longer_over_a_paced_stay() -> None:
    seed = np.random.SeedSequence(3)
    # ~2 arrivals a day for ~28 days each: ~56 cases; 10 servers hold ~5.6 each, 4 hold ~14
    unpaced, _ = simulate(model(servers=4), seed)
    light, _ = simulate(model(servers=10, pace=8.0), seed)
    heavy, _ = simulate(model(servers=4, pace=8.0), seed)
    assert mean_stay(light) < mean_stay(unpaced) < mean_stay(heavy)


def test_cases_wait_unallocated_and_their_paced_work_starts_at_allocation() -> None:
    log, snaps = simulate(model(servers=2, limit=10.0, pace=8.0), np.random.SeedSequence(4))
    _, waiting = snaps.series("team:team", "unallocated")
    assert waiting.max() > 0, "two servers of ten cases each cannot hold ~2 arrivals a day"
    allocated = log["kind"] == Kind.ALLOCATE
    assert allocated.sum() > 0
    # no server ever holds more than its limit
    _, over = snaps.series("team:team", "most_over_limit")
    assert (over <= 1e-9).all()


def deadline_slots(per_week: float, adjourn: float = 0.0, extra: float = 0.0) -> SlotModel:
    return SlotModel(
        "diary",
        per_week,
        Offset(Unit.WORKING_DAYS, 2),
        anchor=0,
        within=Offset(Unit.WORKING_DAYS, 25),
        adjourn=adjourn,
        renotice=Offset(Unit.WORKING_DAYS, 5),
        extra=extra,
    )


def working_days_to_meeting(log: object) -> np.ndarray:
    cases_in, days_in = entries(log, "work")
    cases_out, days_out = entries(log, "meeting")
    out = dict(zip(cases_out.tolist(), days_out.tolist(), strict=True))
    pairs = [
        (d, out[c])
        for c, d in zip(cases_in.tolist(), days_in.tolist(), strict=True)
        if c in out and d >= 60
    ]
    start, end = np.array(pairs).T
    found: np.ndarray = GRID.working_days_between(start, end)
    return found


def test_with_room_in_the_diary_meetings_are_held_on_the_deadline() -> None:
    log, _ = simulate(model(slots=deadline_slots(per_week=50)), np.random.SeedSequence(5))
    wd = working_days_to_meeting(log)
    assert len(wd) > 300
    assert (wd == 25).mean() > 0.95


def test_a_full_diary_moves_meetings_earlier_and_then_late() -> None:
    # ~14 meetings a week wanted (2 arrivals a day), 15 slots: bookings spread before the deadline
    log, _ = simulate(model(slots=deadline_slots(per_week=15)), np.random.SeedSequence(6))
    wd = working_days_to_meeting(log)
    assert (wd < 25).mean() > 0.1
    assert (wd > 25).mean() > 0.0
    assert wd.min() >= 20 + 2 - 1, "never before the request plus the notice"


def test_extra_slots_kept_for_deadlines_hold_meetings_on_time_that_a_full_diary_would_make_late() -> (
    None
):
    # ~14 meetings a week wanted, 10 ordinary slots: without extra slots many are late and the
    # lateness grows; 10 extra a week (1.0) cover the shortfall, each taken at the deadline itself
    seed = np.random.SeedSequence(6)
    tight, tight_counts = simulate(model(slots=deadline_slots(per_week=10)), seed)
    eased, eased_counts = simulate(model(slots=deadline_slots(per_week=10, extra=1.0)), seed)
    late_before, late_after = (
        (working_days_to_meeting(tight) > 25),
        (working_days_to_meeting(eased) > 25),
    )
    assert late_before.mean() > 0.2
    assert late_after.mean() < 0.02
    wd = working_days_to_meeting(eased)
    assert (wd == 25).mean() > 0.25, "extra slots are taken on the deadline, not before it"
    _, taken = eased_counts.series("diary:diary", "extra_taken")
    assert 0 < taken.sum() <= 1.0 * 10 * (DAYS / 7 + 1)
    assert len(tight_counts.series("diary:diary", "extra_taken")[1]) == 0


def test_a_share_of_meetings_is_adjourned_and_booked_again_later() -> None:
    log, _ = simulate(
        model(slots=deadline_slots(per_week=50, adjourn=0.2)), np.random.SeedSequence(7)
    )
    adjourned = (log["kind"] == Kind.ADJOURN).sum()
    held = len(entries(log, "meeting")[0])
    share = adjourned / (held + adjourned)
    # binomial: ~700 bookings, sd of the share ~0.015
    assert share == pytest.approx(0.2, abs=0.05)
    wd = working_days_to_meeting(log)
    assert (wd >= 25 + 5).mean() > 0.1, "adjourned meetings are held after the deadline"


def test_leavers_cases_wait_for_another_worker_and_are_reallocated() -> None:
    log, snaps = simulate(model(servers=10, limit=12.0, turnover=3.0), np.random.SeedSequence(8))
    left = log["kind"] == Kind.LEAVER
    assert left.sum() > 20
    reallocated = set(log["case"][log["kind"] == Kind.ALLOCATE].tolist())
    moved_on = set(entries(log, "meeting")[0].tolist())
    for case, day in zip(log["case"][left].tolist(), log["day"][left].tolist(), strict=True):
        assert case in reallocated or case in moved_on or day > DAYS - 40, case
    # conservation: arrived = open + closed, every week
    _, arrived = snaps.series("all", "arrived")
    _, open_ = snaps.series("all", "open")
    _, closed = snaps.series("all", "closed")
    assert np.array_equal(arrived, open_ + closed)


def test_history_is_written_before_the_first_day_for_the_stated_share() -> None:
    history = History(
        state=1,
        closed=2,
        share=0.3,
        ago=Draw("uniform", (10.0, 500.0), Unit.DAYS),
        length=Draw("fixed", (60.0,), Unit.DAYS),
    )
    log, _ = simulate(model(history=(history,)), np.random.SeedSequence(9))
    rows = log["kind"] == Kind.HISTORY
    assert (log["event"][rows] == NAMES.index("meeting")).all()
    assert (log["due"][rows] < 0).all() and (log["day"][rows] < log["due"][rows]).all()
    with_history = set(log["case"][rows].tolist())
    arrived = set(entries(log, "work")[0].tolist())
    assert len(with_history) / len(arrived) == pytest.approx(0.3, abs=0.04)
    # each case's records stay in date order: history first
    enter = np.flatnonzero((log["kind"] == Kind.ENTER) | rows)
    order = np.lexsort((np.arange(len(enter)), log["case"][enter]))
    same = log["case"][enter][order][1:] == log["case"][enter][order][:-1]
    assert (np.diff(log["day"][enter][order])[same] >= 0).all()


def test_fewer_assessment_workers_make_liverpool_assessments_take_longer() -> None:
    import casejourney
    from casejourney import dfe
    from casejourney.simulate import compile_scenario, run_replication

    scenario, workflow = casejourney.load_scenario("liverpool-baseline")

    def run(share: float) -> tuple[float, float]:
        teams = dict(scenario.teams)
        team = teams["assessment"]
        teams["assessment"] = team.model_copy(update={"headcount": team.headcount * share})
        varied = scenario.model_copy(update={"teams": teams})
        compiled = compile_scenario(workflow, varied, horizon_days=26 * 7)
        log, snaps = run_replication(compiled, 0)
        frame = compiled.frame
        first, last = frame.report_start, frame.end - 1
        stays = dfe.icpc_working_days(log, frame.grid, first, last)
        held = snaps.series("team:assessment", "cases_held")[1]
        servers = snaps.series("team:assessment", "servers")[1]
        return float((held / servers).mean()), float((stays <= 15).mean())

    full, short = run(1.0), run(0.75)
    assert short[0] > full[0] * 1.2, "a quarter fewer workers: caseloads rise"
    assert short[1] < full[1], "and ICPCs within 15 working days of the s47 start fall"


def test_days_waiting_unallocated_are_measured_for_each_team_that_allocates() -> None:
    from casejourney import metrics

    class Window:  # what the measure reads of a run's frame: the reported window and team names
        report_start, end, teams = 100, DAYS, ("team",)
        weeks = (DAYS - 100) // 7

        def week_of(self, days: np.ndarray) -> np.ndarray:
            return np.floor_divide(np.asarray(days) - self.report_start, 7)

    # 10 workers holding 30 points each, 2 cases a day staying 20 working days: no waits
    roomy, _ = simulate(model(), np.random.SeedSequence(5))
    # 2 workers: the waiting list grows
    tight, _ = simulate(model(servers=2, limit=10.0), np.random.SeedSequence(5))
    found = {}
    for label, log in (("roomy", roomy), ("tight", tight)):
        out = metrics.Measures.empty()
        metrics.allocation_measures(out, Window(), log)  # type: ignore[arg-type]
        found[label] = {
            (m, s): v for m, s, v in zip(out.metric, out.subject, out.value, strict=True)
        }
    assert found["roomy"][("team.waited_unallocated", "team")] == 0
    waited = found["tight"][("team.waited_unallocated", "team")]
    assert waited > 100
    # waits end at allocation: the mean wait is between a day and the rest of the record
    mean = found["tight"][("team.unallocated_wait_days_mean", "team")]
    assert 1 < mean < DAYS - 100


def test_agency_workers_move_on_at_their_own_rate_and_hand_back_their_cases() -> None:
    # 10 workers: employees who never leave, and the last 4 from an agency, leaving 8 times a year
    from dataclasses import replace

    base = model(servers=10, limit=12.0, turnover=0.0)
    team = replace(base.teams[0], agency=4, agency_turnover=8.0, agency_refill=14)
    log, _ = simulate(replace(base, teams=(team,)), np.random.SeedSequence(11))
    left = log["kind"] == Kind.LEAVER
    leavers = set(zip(log["worker"][left].tolist(), log["day"][left].tolist(), strict=True))
    assert len(leavers) > 10
    assert {worker for worker, _ in leavers} <= {6, 7, 8, 9}
    # and every case handed back is allocated again (or moved on, or the run ended first)
    reallocated = set(log["case"][log["kind"] == Kind.ALLOCATE].tolist())
    moved_on = set(entries(log, "meeting")[0].tolist())
    for case, day in zip(log["case"][left].tolist(), log["day"][left].tolist(), strict=True):
        assert case in reallocated or case in moved_on or day > DAYS - 40, case
    # the same team all employees: nobody leaves
    plain, _ = simulate(base, np.random.SeedSequence(11))
    assert not (plain["kind"] == Kind.LEAVER).any()


def shared_diary_model(held: float) -> Model:
    """~12 meetings a week booked against a 25-working-day deadline share one diary of 40 slots a
    week with about as many review meetings (every 20 working days while a plan is open), each
    booked when the last was held; ``held`` of the slots are held back for the deadline ones."""
    base = model(slots=replace(deadline_slots(per_week=40.0), renotice=None, held=held))
    work, meeting, _ = base.states
    plan = StateModel("plan", stay=Draw("fixed", (55.0,), Unit.DAYS), exits=(3,), weights=(1.0,))
    reviews = TaskRule(
        "reviews",
        TaskKind.RECURRING,
        task=4,
        scope=frozenset({2}),
        every=Offset(Unit.WORKING_DAYS, 20),
        team=-2,
        slots=0,
    )
    on_time = Draw("fixed", (0.0,), Unit.DAYS)
    return replace(
        base,
        names=(*NAMES[:2], "plan", "done", "review"),
        states=(replace(work, team=-1, least=0), meeting, plan, StateModel("done", terminal=True)),
        teams=(),
        tasks=(reviews,),
        punctuality=(Punctuality(1.0, on_time, on_time),),
    )


def test_slots_held_back_for_deadline_meetings_keep_them_on_time_when_reviews_fill_the_diary() -> (
    None
):
    seed = np.random.SeedSequence(10)
    shared, _ = simulate(shared_diary_model(held=0.0), seed)
    # held back in proportion to the deadline meetings' share of the diary (about half)
    held, _ = simulate(shared_diary_model(held=0.5), seed)
    late_shared = (working_days_to_meeting(shared) > 25).mean()
    late_held = (working_days_to_meeting(held) > 25).mean()
    assert late_shared > 0.3, "reviews booked a month ahead leave the deadline meetings no room"
    assert late_held < 0.02
    # the same diary: what the meetings gain, the reviews give up (held later, not dropped)
    review = 4

    def reviews_held(log: object) -> int:
        return int(((log["kind"] == Kind.TASK) & (log["event"] == review)).sum())  # type: ignore[index]

    assert reviews_held(held) > 0.9 * reviews_held(shared)
