"""One child's journey: the activities it schedules meet the standards as their authors meant them."""

from __future__ import annotations

import datetime as dt
import itertools

import casejourney
from casejourney.journey import walk
from casejourney.simulate import _TaskBuilder, compile_scenario
from casejourney.spec.models import RecurringSpec, StepChangeSpec


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


def test_a_step_waiting_for_a_time_and_an_event_switches_in_the_simulation_at_the_later() -> None:
    # reg 28(2)(c)'s three-monthly visits wait for the placement's first year and for it to be
    # agreed as long-term. The simulation generates no agreement, so it keeps every placement
    # six-weekly (more visits, never fewer); a step waiting for an event it does schedule (the
    # first review, due within 20 working days) switches at the later of the two.
    scenario, workflow = casejourney.load_scenario("national-baseline")
    compiled = compile_scenario(workflow, scenario, scale=0.01, horizon_days=30)
    [rule, *_] = [r for r in compiled.model.tasks if r.name == "lac-visits"]  # by placement
    assert (rule.every.unit.value, rule.every.n, rule.then) == ("weeks", 6, ())
    builder = _TaskBuilder(workflow, scenario, {}, [], [], {})
    spec = workflow.standards["lac-visits"].spec
    assert isinstance(spec, RecurringSpec)

    def switch(step: dict[str, str]) -> str:
        found = builder.switch_after(spec, StepChangeSpec.model_validate(step))
        return str(found)

    assert switch({"after": "1 year", "and_after_first": "lac_review", "every": "3 months"}) == (
        "1 year"
    )
    assert switch({"after": "5 days", "and_after_first": "lac_review", "every": "3 months"}) == (
        "20 working days"
    )
    never = {"after": "1 year", "and_after_first": "long_term_home_agreed", "every": "1 week"}
    assert switch(never) == "None"


def test_a_second_meeting_is_scheduled_in_the_journey_and_in_the_simulation() -> None:
    # Liverpool TEN: "we will meet within 10 days and again before the first review".
    scenario, workflow = casejourney.load_scenario("liverpool-baseline")
    journey = walk(
        workflow,
        scenario,
        dt.date(2026, 1, 5),
        path=["referral", "cf_assessment", "cin_plan", "looked_after"],
        until=dt.date(2026, 12, 1),
    )
    [again] = [i for i in journey.instances if i.standard == "care-planning-meeting-again"]
    [review, *_] = [e.day for e in journey.events if e.name == "lac_review"]
    assert again.outcome.value == "met" and again.done is not None and again.done <= review
    # The engine keeps one task per activity, anchor, scope and nth: both meetings are planned.
    compiled = compile_scenario(workflow, scenario, scale=0.01, horizon_days=30)
    meetings = sorted(r.name for r in compiled.model.tasks if r.name.startswith("care-planning"))
    assert meetings == ["care-planning-meeting", "care-planning-meeting-again"]
