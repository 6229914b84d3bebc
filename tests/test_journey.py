"""One child's journey: the activities it schedules meet the standards as their authors meant them."""

from __future__ import annotations

import datetime as dt
import itertools

import casejourney
from casejourney.journey import walk
from casejourney.simulate import compile_scenario


def test_liverpool_visits_turn_six_weekly_at_the_first_review_not_at_a_fixed_date() -> None:
    # "weekly until their first CiC Review. After that ... at least every six weeks": the visit
    # scheduled after the first Review is six weeks on, even where the Review came before the
    # twentieth working day.
    scenario, workflow = casejourney.load_scenario("liverpool-baseline")
    journey = walk(
        workflow,
        scenario,
        dt.date(2026, 1, 5),
        path=["referral", "cf_assessment", "cin_plan", "looked_after"],
        until=dt.date(2026, 12, 1),
    )
    days = [e.day for e in journey.events if e.name == "lac_visit"]
    [review, *_] = [e.day for e in journey.events if e.name == "lac_review"]
    before = [d for d in days if d <= review]
    after = [d for d in days if d > review]
    assert all(b - a <= dt.timedelta(days=7) for a, b in itertools.pairwise(before))
    assert len(after) >= 2
    assert (after[1] - after[0]).days > 7  # six-weekly, not weekly, once the Review has been held


def test_the_simulation_switches_at_the_latest_date_of_the_event_it_cannot_see() -> None:
    # The engine schedules by time: Liverpool's "until the first Review" becomes the first Review's
    # latest date, 20 working days (reg 33(1)), then six-weekly. "Until the home is agreed as the
    # child's long-term alternative home" is an agreement nothing schedules, so the simulation
    # keeps six-weekly visits rather than guessing a date for it.
    scenario, workflow = casejourney.load_scenario("liverpool-baseline")
    compiled = compile_scenario(workflow, scenario, scale=0.01, horizon_days=30)
    [rule] = [r for r in compiled.model.tasks if r.name == "lac-visits-liverpool"]
    assert [(after.unit.value, after.n, every.n) for after, every in rule.then] == [
        ("working_days", 20, 6),
    ]
