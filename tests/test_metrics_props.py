"""Property tests: the vectorised metrics find exactly the instances tracking finds, case by case.

Random legal journeys through each shipped workflow, with random activities between the moves
(so deadlines, windows, recurring schedules and lead times all open, close and overlap).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import casejourney
from casejourney.journey import walk
from casejourney.machine import TransitionTable
from casejourney.simulate import Frame
from casejourney.tracking import CaseEvent
from tests.test_metrics import frame_for, reference, vectorised

AUTHORITIES = ["national", "barnet", "liverpool", "knowsley", "coventry"]


@cache
def _frame(authority: str) -> Frame:
    return frame_for(authority, weeks=104)


def _journey(frame: Frame, rng: np.random.Generator) -> list[tuple[str, str]]:
    workflow = frame.workflow
    table = TransitionTable.from_workflow(workflow)
    # Activities some standard names, so that the standards open and close often.
    named = set()
    for standard in workflow.standards.values():
        spec = standard.spec
        named.update(getattr(spec, name, None) for name in ("from_", "to", "restart_on"))
        # ... and the events a stepped schedule waits for (the first review, a long-term home)
        named.update(event for step in getattr(spec, "then", ()) for event in step.events)
        extension = getattr(spec, "extension", None)
        if extension is not None:  # ... and what lengthens a deadline
            named.add(extension.event)
        ends_on = getattr(spec, "ends_on", None)
        if ends_on is not None:  # ... and what ends one (a move)
            named.add(ends_on)
        pause = getattr(spec, "pause", None)
        if pause is not None:  # ... and what pauses a schedule, and what ends the pause
            named.update((pause.event, pause.until))
    activities = sorted(a for a in workflow.activities if a in named)
    # ... and birthdays a deadline counts from (age:16), which a run's records mark as events
    activities += sorted(a for a in named if isinstance(a, str) and a.startswith("age:"))
    day = dt.date(2026, 11, 2) + dt.timedelta(days=int(rng.integers(0, 200)))
    states = sorted(s.id for s in workflow.states.values() if not s.terminal)
    state = table.initial
    events = [CaseEvent(day, state)]
    for _ in range(int(rng.integers(1, 40))):
        day += dt.timedelta(days=int(rng.integers(0, 30)))
        options = table.triggers(state)
        if activities and (not options or rng.random() < 0.5):
            activity = activities[int(rng.integers(len(activities)))]
            events.append(CaseEvent(day, activity))
            # Sometimes the same activity again, weeks or months apart, so that recurring
            # schedules reach their second occurrence and their later steps.
            for _ in range(int(rng.integers(0, 4))):
                day += dt.timedelta(days=int(rng.integers(1, 120)))
                events.append(CaseEvent(day, activity))
        elif options and rng.random() < 0.7:
            state = table.fire(state, options[int(rng.integers(len(options)))])
            events.append(CaseEvent(day, state))
        elif not workflow.states[state].terminal:
            # A jump to any open state: records need not follow the shipped routes (a real
            # authority's data, or a re-entry into care), and both readings must still agree.
            state = states[int(rng.integers(len(states)))]
            events.append(CaseEvent(day, state))
        else:
            break
    return [(e.day.isoformat(), e.name) for e in events]


@pytest.mark.parametrize("authority", AUTHORITIES)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_vectorised_metrics_agree_with_tracking_on_random_journeys(
    authority: str, seed: int
) -> None:
    frame = _frame(authority)
    rng = np.random.default_rng(seed)
    cases = [_journey(frame, rng) for _ in range(4)]
    assert vectorised(frame, cases) == reference(frame, cases)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), entered=st.integers(0, 150))
def test_every_term_reviews_agree_in_journey_tracking_and_metrics(seed: int, entered: int) -> None:
    """Barnet's "reviewed every term" PEP: one due date per term, its end, wherever computed."""
    frame = _frame("barnet")
    workflow = frame.workflow
    scenario, _ = casejourney.load_scenario("national-baseline")
    start = dt.date(2026, 11, 2) + dt.timedelta(days=entered)
    walked = walk(
        workflow,
        scenario,
        start,
        path=["referral", "cf_assessment", "cin_plan", "looked_after"],
        rng=np.random.default_rng(seed),
        until=dt.date(2028, 10, 1),  # the frame runs to 30 October 2028
        date_of_birth=start - dt.timedelta(days=365 * 9),
    )
    cases = [[(e.day.isoformat(), e.name) for e in walked.events]]
    tracked = reference(frame, cases)
    assert vectorised(frame, cases) == tracked

    def reviews(rows: list[tuple]) -> list[tuple]:
        return [(r[2], r[3], r[4]) for r in rows if r[0] == "pep-review"]

    in_journey = sorted(
        (i.occurrence, i.opened, i.due) for i in walked.instances if i.standard == "pep-review"
    )
    assert len(in_journey) >= 3
    assert in_journey == reviews(tracked)[: len(in_journey)]
    # Each falls due on the last day of a term: the first to begin after the review before.
    calendar = workflow.calendar
    ends = [t.ends for t in calendar.terms.terms]
    for occurrence, opened, due in in_journey:
        assert due in ends
        assert due == calendar.terms.end_after(opened, 1), occurrence


#: What the temporary approval of a connected person (national) opens, meets, extends and ends on,
#: and the moves into and out of care that bound it.
_APPROVAL_EVENTS = [
    "connected_person_placement",
    "placement_move",
    "connected_person_approved",
    "temporary_approval_extended",
    "looked_after",
    "cin_plan",
]


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from([0, 0, 0, 1, 6, 40, 90]), st.sampled_from(_APPROVAL_EVENTS)),
        min_size=1,
        max_size=14,
    )
)
def test_a_deadline_ended_by_an_event_agrees_when_many_fall_on_one_day(
    steps: list[tuple[int, str]],
) -> None:
    """`ends_on` on the day of `from`, before or after it, and on later days, in both readings."""
    frame = _frame("national")
    day = dt.date(2026, 11, 2)
    case = [(day.isoformat(), "looked_after")]
    for gap, name in steps:
        day += dt.timedelta(days=gap)
        case.append((day.isoformat(), name))
    assert vectorised(frame, [case]) == reference(frame, [case])


#: What pauses Liverpool's family discussions (a long-term home agreed, a year into a placement),
#: what ends the pause (a move, leaving care), and the discussions themselves.
_PAUSE_EVENTS = [
    "long_term_home_agreed",
    "placement_move",
    "management_oversight",
    "looked_after",
    "cin_plan",
]


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([0, 0, 1, 30, 60, 120, 250, 400]), st.sampled_from(_PAUSE_EVENTS)
        ),
        min_size=1,
        max_size=14,
    )
)
def test_a_pause_agrees_when_it_starts_by_time_or_event_and_ends_by_a_move(
    steps: list[tuple[int, str]],
) -> None:
    """`pause` with `after` and `until`: started by the year or the agreement, ended by a move."""
    frame = _frame("liverpool")
    day = dt.date(2026, 11, 2)
    case = [(day.isoformat(), "looked_after")]
    for gap, name in steps:
        day += dt.timedelta(days=gap)
        if day > dt.date(2028, 10, 1):
            break
        case.append((day.isoformat(), name))
    assert vectorised(frame, [case]) == reference(frame, [case])


#: What moves Liverpool's visits between their steps (the first Review, a long-term home agreed,
#: counted only since the last move), and leaving and re-entering care.
_STEP_SINCE_EVENTS = [
    "long_term_home_agreed",
    "placement_move",
    "lac_review",
    "looked_after",
    "cin_plan",
]


@settings(max_examples=300, deadline=None)
@given(
    spells=st.lists(
        st.tuples(
            st.sampled_from(_STEP_SINCE_EVENTS),
            st.sampled_from([0, 0, 1, 5]),
            st.integers(min_value=0, max_value=4),
            st.sampled_from([7, 30, 40, 44, 60, 92]),
        ),
        min_size=1,
        max_size=8,
    ),
    home=st.one_of(st.none(), st.integers(min_value=1, max_value=40)),
)
def test_a_step_counted_since_a_move_agrees_in_both_readings(
    spells: list[tuple[str, int, int, int]], home: int | None
) -> None:
    """`since` on a step (lac-visits-liverpool's agreement, since the last move), in both readings.

    Each spell: an event (an agreement, a move, a Review, leaving or entering care) that many
    days after the last visit, then that many visits that many days apart (met on the six-weekly
    or only the three-monthly step, late, missed). ``home``: the child goes home that many days
    after the last, often before the next visit is due, so the vectorised path (not the
    one-by-one path for a stretch with a miss) finds the due dates of the whole stay.
    """
    frame = _frame("liverpool")
    day = dt.date(2026, 11, 4)
    # in care, reviewed and visited within the weekly step: later steps decide what is owed
    case = [
        ("2026-11-02", "looked_after"),
        ("2026-11-03", "lac_review"),
        ("2026-11-04", "lac_visit"),
    ]
    for name, after, visits, gap in spells:
        day += dt.timedelta(days=after)
        case.append((day.isoformat(), name))
        for _ in range(visits):
            day += dt.timedelta(days=gap)
            case.append((day.isoformat(), "lac_visit"))
    case = [(d, name) for d, name in case if d <= "2028-09-01"]
    if home is not None:
        last = dt.date.fromisoformat(case[-1][0])
        case.append(((last + dt.timedelta(days=home)).isoformat(), "cin_plan"))
    assert vectorised(frame, [case]) == reference(frame, [case])
