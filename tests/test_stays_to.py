"""A stay that depends on where the case goes next (scenario ``stays_to``): engine, journey, checks."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np

import casejourney
from casejourney import metrics
from casejourney.calendar import Unit
from casejourney.engine import Draw, Kind, StateModel, simulate
from casejourney.journey import walk
from casejourney.simulate import compile_scenario, run_replication
from tests.conftest import refused_scenario
from tests.test_engine import model

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_draws_the_way_out_first_and_the_stay_that_goes_with_it() -> None:
    # "work" goes to "quick" (half the cases, 0 days) or "slow" (10 days); both then close
    fixed = Draw("fixed", (3.0,), Unit.DAYS)
    branching = model(
        names=("work", "quick", "slow", "done"),
        states=(
            StateModel(
                "work",
                stay=fixed,
                exits=(1, 2),
                weights=(0.5, 0.5),
                exit_stays=(Draw("fixed", (0.0,), Unit.DAYS), Draw("fixed", (10.0,), Unit.DAYS)),
            ),
            StateModel("quick", stay=fixed, exits=(3,), weights=(1.0,)),
            StateModel("slow", stay=fixed, exits=(3,), weights=(1.0,)),
            StateModel("done", terminal=True),
        ),
        teams=(),
    )
    log, _ = simulate(branching, np.random.SeedSequence(3))
    enter = log["kind"] == Kind.ENTER
    first: dict[int, int] = {}
    gaps: dict[int, list[int]] = {1: [], 2: []}
    for case, day, state in zip(
        log["case"][enter], log["day"][enter], log["event"][enter], strict=True
    ):
        if state == 0:
            first[int(case)] = int(day)
        elif state in gaps:
            gaps[int(state)].append(int(day) - first[int(case)])
    assert set(gaps[1]) == {0} and set(gaps[2]) == {10}
    share = len(gaps[1]) / (len(gaps[1]) + len(gaps[2]))
    assert 0.4 < share < 0.6


def test_a_journey_to_a_strategy_discussion_does_not_wait_like_other_referrals() -> None:
    scenario, workflow = casejourney.load_scenario("national-baseline")
    monday = dt.date(2026, 11, 2)
    urgent = walk(workflow, scenario, monday, path=["referral", "strategy_discussion"])
    routine = walk(workflow, scenario, monday, path=["referral", "cf_assessment"])
    day = {e.name: e.day for e in (*urgent.events, *routine.events)}
    assert day["strategy_discussion"] == day["referral"]
    assert day["cf_assessment"] > day["referral"]


def test_barnets_strategy_discussions_are_mostly_within_a_day_of_the_referral() -> None:
    # Before stays_to, a referral going to a strategy discussion waited the usual 0-2 working
    # days like any other, and most of Barnet's "within 1 day (not 1 working day)" were late.
    scenario, workflow = casejourney.load_scenario("barnet-baseline")
    compiled = compile_scenario(workflow, scenario, horizon_days=26 * 7, warm_up_days=28)
    log, _ = run_replication(compiled, 0)
    table = metrics.instances(log, compiled.frame)
    standard = list(compiled.frame.workflow.standards).index("strategy-discussion-timing")
    outcomes = table["outcome"][table["standard"] == standard]
    met = outcomes == metrics.OUTCOMES.index(metrics.Outcome.MET)
    late = outcomes == metrics.OUTCOMES.index(metrics.Outcome.LATE)
    assert met.sum() + late.sum() > 100
    assert met.sum() > 0.8 * (met.sum() + late.sum())


def test_a_next_state_that_cannot_follow_is_refused_with_the_choices(tmp_path: Path) -> None:
    findings = refused_scenario(
        tmp_path,
        "national-baseline",
        "    strategy_discussion: {dist: triangular",
        "    icpc: {dist: triangular",
    )
    found = [f for f in findings if "stays_to.referral.icpc" in f.message]
    assert len(found) == 1
    assert "strategy_discussion" in found[0].message and found[0].line > 1


def test_a_stay_can_depend_on_the_state_the_case_came_from() -> None:
    # "plan" lasts 20 days when entered afresh, 3 days when resumed from "pause" (stays_from),
    # as a child protection plan resumed after pre-proceedings runs on for what is left of it
    fixed = Draw("fixed", (20.0,), Unit.DAYS)
    resumed = model(
        names=("plan", "pause", "done"),
        states=(
            StateModel(
                "plan",
                stay=fixed,
                exits=(1, 2),
                weights=(0.5, 0.5),
                entry_stays=((1, Draw("fixed", (3.0,), Unit.DAYS)),),
            ),
            StateModel("pause", stay=Draw("fixed", (5.0,), Unit.DAYS), exits=(0,), weights=(1.0,)),
            StateModel("done", terminal=True),
        ),
        teams=(),
    )
    log, _ = simulate(resumed, np.random.SeedSequence(5))
    enter = log["kind"] == Kind.ENTER
    rows = sorted(
        zip(
            log["case"][enter].tolist(),
            log["day"][enter].tolist(),
            log["event"][enter].tolist(),
            strict=True,
        )
    )
    stays: dict[tuple[int, int], list[int]] = {(-1, 0): [], (1, 0): []}
    for (case, day, state), (nxt_case, nxt_day, _) in itertools.pairwise(rows):
        if state == 0 and nxt_case == case:
            before = [r for r in rows if r[0] == case and r[1] < day]
            came = before[-1][2] if before else -1
            stays[(came if came == 1 else -1, 0)].append(nxt_day - day)
    assert stays[(-1, 0)] and set(stays[(-1, 0)]) == {20}
    assert stays[(1, 0)] and set(stays[(1, 0)]) == {3}


def test_a_stay_from_a_state_that_cannot_lead_there_is_refused(tmp_path: Path) -> None:
    findings = refused_scenario(
        tmp_path,
        "national-baseline",
        "    plo: {dist: lognormal, median: 13",
        "    referral: {dist: lognormal, median: 13",
    )
    found = [f for f in findings if "stays_from.cp_plan.referral" in f.message]
    assert len(found) == 1
    assert "entered from" in found[0].message and "plo" in found[0].message
    assert found[0].line > 1


def test_cases_open_on_the_first_day_are_caught_with_the_long_way_out_more_often() -> None:
    # "work" goes to "quick" after 1 day or to "slow" after 20, half each. Of the cases open on
    # the first day most are on the slow way (a long stay is more likely to be caught open,
    # about 20 in 21), and each takes the way out its stay was drawn with.
    from casejourney.engine.model import Opening

    branching = model(
        names=("work", "quick", "slow", "done"),
        states=(
            StateModel(
                "work",
                stay=Draw("fixed", (3.0,), Unit.DAYS),
                exits=(1, 2),
                weights=(0.5, 0.5),
                exit_stays=(Draw("fixed", (1.0,), Unit.DAYS), Draw("fixed", (20.0,), Unit.DAYS)),
            ),
            StateModel("quick", stay=Draw("fixed", (3.0,), Unit.DAYS), exits=(3,), weights=(1.0,)),
            StateModel("slow", stay=Draw("fixed", (3.0,), Unit.DAYS), exits=(3,), weights=(1.0,)),
            StateModel("done", terminal=True),
        ),
        teams=(),
        arrivals=np.zeros(60),
        opening=(Opening(0, 400, Draw("fixed", (10.0,))),),
    )
    log, _ = simulate(branching, np.random.SeedSequence(4))
    enter = log["kind"] == Kind.ENTER
    entered = {
        int(c): int(d)
        for c, d, e in zip(log["case"][enter], log["day"][enter], log["event"][enter], strict=True)
        if e == 0
    }
    went = {
        int(c): (int(e), int(d))
        for c, d, e in zip(log["case"][enter], log["day"][enter], log["event"][enter], strict=True)
        if e in (1, 2)
    }
    assert len(went) == len(entered) == 400
    slow = [c for c, (e, _) in went.items() if e == 2]
    assert 0.9 < len(slow) / 400 < 0.99
    for case, (state, day) in went.items():
        assert day - entered[case] == (20 if state == 2 else 1)
