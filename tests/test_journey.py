"""One child's journey: the activities it schedules meet the standards as their authors meant them."""

from __future__ import annotations

import datetime as dt
import itertools

import casejourney
from casejourney.api import Workflow
from casejourney.journey import Journey, walk
from casejourney.simulate import _TaskBuilder, compile_scenario
from casejourney.spec.models import RecurringSpec, StepChangeSpec
from casejourney.spec.scenario import ScenarioSpec


def liverpool_child_in_care() -> tuple[Journey, ScenarioSpec, Workflow]:
    """A Liverpool child who comes into care from a CIN plan on 5 January 2026, to December."""
    scenario, workflow = casejourney.load_scenario("liverpool-baseline")
    journey = walk(
        workflow,
        scenario,
        dt.date(2026, 1, 5),
        path=["referral", "cf_assessment", "cin_plan", "looked_after"],
        until=dt.date(2026, 12, 1),
    )
    return journey, scenario, workflow


def test_liverpool_visits_turn_six_weekly_at_the_first_review_not_at_a_fixed_date() -> None:
    # "weekly until their first CiC Review. After that ... at least every six weeks": the visit
    # scheduled after the first Review is six weeks on, even where the Review came before the
    # twentieth working day.
    journey, _, _ = liverpool_child_in_care()
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
    journey, scenario, workflow = liverpool_child_in_care()
    [again] = [i for i in journey.instances if i.standard == "care-planning-meeting-again"]
    [review, *_] = [e.day for e in journey.events if e.name == "lac_review"]
    assert again.outcome.value == "met" and again.done is not None and again.done <= review
    # The engine keeps one task per activity, anchor, scope and nth: both meetings are planned.
    compiled = compile_scenario(workflow, scenario, scale=0.01, horizon_days=30)
    meetings = sorted(r.name for r in compiled.model.tasks if r.name.startswith("care-planning"))
    assert meetings == ["care-planning-meeting", "care-planning-meeting-again"]


# The child's attributes, drawn from the scenario ---------------------------------------------------

IN_CARE = "referral,strategy_discussion,s47_enquiry,care_proceedings,looked_after"
START = dt.date(2026, 1, 5)


def test_the_same_seed_draws_the_same_child_and_explicit_options_override_one_attribute() -> None:
    from casejourney.spec.models import ChildAttributes

    first = casejourney.walk_journey("national", START, seed=11)
    again = casejourney.walk_journey("national", START, seed=11)
    assert (first.child, first.drawn) == (again.child, again.drawn)
    assert first.drawn == ("placement", "legal_status", "plan", "disabled")
    assert None not in (first.child.placement, first.child.legal_status, first.child.plan)
    # Saying the plan changes the plan only: the other attributes are drawn as before, and the
    # route and its timings drawn with the seed do not move.
    told = casejourney.walk_journey("national", START, seed=11, plan="adoption")
    assert told.child == ChildAttributes(
        placement=first.child.placement,
        legal_status=first.child.legal_status,
        plan="adoption",
        disabled=first.child.disabled,
    )
    assert told.drawn == ("placement", "legal_status", "disabled")
    states = [e for e in first.events if e.name in first.workflow.states]
    assert states == [e for e in told.events if e.name in told.workflow.states]
    # Everything said: nothing drawn.
    said = casejourney.walk_journey(
        "national",
        START,
        seed=11,
        placement="residential",
        legal_status="section_20",
        plan="return_home",
        disabled=False,
    )
    assert said.drawn == ()
    assert said.child == ChildAttributes("residential", "section_20", "return_home", False)


def test_children_are_drawn_in_the_scenarios_shares() -> None:
    from collections import Counter

    from casejourney.journey import draw_child
    from casejourney.spec.models import ChildAttributes

    children = casejourney.load_scenario("national-baseline")[0].children
    assert children is not None
    n = 4000
    drawn = [draw_child(children, seed)[0] for seed in range(n)]
    placements = Counter(c.placement for c in drawn)
    values, weights, _ = children.attributes()["placement"]
    for value, share in zip(values, weights, strict=True):
        # Within four standard errors of the scenario's share (none for a share of 0).
        tolerance = 4 * (share * (1 - share) / n) ** 0.5
        assert abs(placements[value] / n - share) <= tolerance, (value, placements[value], share)
    disabled = sum(bool(c.disabled) for c in drawn) / n
    assert abs(disabled - float(children.disabled.share)) <= 4 * (0.123 * 0.877 / n) ** 0.5
    # A scenario that draws nothing leaves the child unknown: such standards are not counted.
    assert draw_child(None, 3) == (ChildAttributes(), ())


def test_standards_for_some_children_fall_on_the_children_drawn_for_them() -> None:
    # reg 28(4): weekly visits until the first review for a child placed with a connected person.
    # Seeds drawing that placement owe them; seeds drawing another do not.
    owed = {}
    for seed in range(40):
        found = casejourney.walk_journey("national", START, path=IN_CARE.split(","), seed=seed)
        standards = {i.standard for i in found.instances}
        owed[seed] = (found.child.placement, "lac-visits-connected-person" in standards)
    assert {placement for placement, _ in owed.values()} >= {"foster_care", "connected_person"}
    assert all(visits == (placement == "connected_person") for placement, visits in owed.values())
