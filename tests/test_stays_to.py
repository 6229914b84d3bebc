"""A stay that depends on where the case goes next (scenario ``stays_to``): engine, journey, checks."""

from __future__ import annotations

import datetime as dt
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
