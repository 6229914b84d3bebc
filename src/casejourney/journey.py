"""One child's dated journey: a route through the machine, timed, with the activities it owes.

Consumes a ``Workflow`` and a ``ScenarioSpec`` (branch probabilities, stays, punctuality); produces
``CaseEvent`` lists that ``tracking.track`` turns into standard instances. A scripted route uses
typical timings (no randomness); a seeded walk draws branches and timings from an injected
``numpy.random.Generator``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from casejourney import schedule
from casejourney.calendar import WorkingCalendar, add_months, birthday
from casejourney.errors import IllegalStepError
from casejourney.machine import JourneyMachine
from casejourney.spec.models import ChildAttributes, DeadlineSpec, LeadTimeSpec, RecurringSpec
from casejourney.spec.resolve import Workflow
from casejourney.spec.scenario import (
    ChildrenSpec,
    DistSpec,
    PracticeSpec,
    ScenarioSpec,
    advance,
    central,
    sample,
)
from casejourney.tracking import CaseEvent, Instance, track

#: A walk that has not reached a terminal state after this many moves is cut short.
MAX_MOVES = 400


@dataclass(frozen=True)
class Journey:
    """A dated journey and the standards it met or breached.

    ``child`` is what the standards knew of the child (placement, legal status, plan,
    disability); ``drawn`` names those drawn from the scenario rather than given.
    """

    workflow: Workflow
    events: tuple[CaseEvent, ...]
    instances: tuple[Instance, ...]
    until: dt.date
    child: ChildAttributes = field(default_factory=ChildAttributes)
    drawn: tuple[str, ...] = ()


#: The attributes ``draw_child`` draws, in ``ChildrenSpec.attributes``'s words.
CHILD_ATTRIBUTES = ("placement", "legal_status", "plan", "disabled")


def draw_child(
    children: ChildrenSpec | None, seed: int, given: ChildAttributes | None = None
) -> tuple[ChildAttributes, tuple[str, ...]]:
    """A child's attributes: those ``given``, and the rest drawn from the scenario's shares.

    Each attribute the scenario's ``children:`` gives shares for, and ``given`` leaves unsaid
    (None), is drawn with a stream of its own derived from ``seed``: the same seed gives the same
    child, whichever attributes are given, and the route and timings drawn with the seed are
    unchanged by the drawing. An attribute the scenario gives no shares for stays unsaid.

    Returns:
        The attributes, and the names of those drawn (in ``CHILD_ATTRIBUTES`` order).

    """
    child = given or ChildAttributes()
    if children is None:
        return child, ()
    shares = children.attributes()
    drawn: dict[str, Any] = {}
    for name in CHILD_ATTRIBUTES:
        if getattr(child, name) is not None or name not in shares:
            continue
        values, weights, _ = shares[name]
        p = np.asarray(weights, dtype=float)
        rng = np.random.default_rng(
            np.random.SeedSequence(entropy=seed, spawn_key=(zlib.crc32(f"child:{name}".encode()),))
        )
        drawn[name] = values[int(rng.choice(len(values), p=p / p.sum()))]
    return replace(child, **drawn), tuple(drawn)


class _Timer:
    """Draws timings: typical values for a scripted route, random ones for a seeded walk."""

    def __init__(
        self, scenario: ScenarioSpec, calendar: WorkingCalendar, rng: np.random.Generator | None
    ) -> None:
        self.scenario = scenario
        self.calendar = calendar
        self.rng = rng

    def amount(self, dist: DistSpec) -> float:
        return central(dist) if self.rng is None else sample(dist, self.rng)

    def stay(self, state: str, day: dt.date, next_state: str | None = None) -> dt.date:
        """When a stay in ``state`` begun on ``day`` ends (``stays_to`` if going to ``next_state``)."""
        dist = self.scenario.stays_to.get(state, {}).get(next_state or "")
        if dist is None:
            dist = self.scenario.stays.get(state)
        if dist is None:
            return self.calendar.add_working_days(day, 1)
        return advance(self.calendar, day, self.amount(dist), dist.unit)

    def on_time(self, practice: PracticeSpec) -> bool:
        return True if self.rng is None else bool(self.rng.random() < practice.on_time)

    def do_by(self, activity: str, due: dt.date, earliest: dt.date) -> dt.date:
        """When an activity due on ``due`` is actually done (never before ``earliest``)."""
        practice = self.scenario.practice_for(activity)
        if self.on_time(practice):
            early = self.amount(practice.early_by)
            day = _back(self.calendar, due, early, practice.early_by.unit)
        else:
            day = advance(
                self.calendar, due, max(1.0, self.amount(practice.late_by)), practice.late_by.unit
            )
        return max(day, earliest)

    def choose(self, machine: JourneyMachine) -> str:
        options = self.scenario.branches.get(machine.state, {})
        legal = machine.legal_triggers()
        names = [t for t in legal if options.get(t, 0) > 0] or legal
        weights = np.array([options.get(t, 1.0) for t in names], dtype=float)
        assert self.rng is not None
        return str(names[int(self.rng.choice(len(names), p=weights / weights.sum()))])


def _back(calendar: WorkingCalendar, day: dt.date, amount: float, unit: str) -> dt.date:
    whole = round(amount)
    if whole <= 0:
        return day
    if unit == "working_days":
        return calendar.subtract_working_days(day, whole)
    if unit == "weeks":
        return day - dt.timedelta(weeks=whole)
    if unit == "months":
        return add_months(day, -whole)
    return day - dt.timedelta(days=whole)


def walk(
    workflow: Workflow,
    scenario: ScenarioSpec,
    start: dt.date,
    *,
    path: Sequence[str] | None = None,
    rng: np.random.Generator | None = None,
    date_of_birth: dt.date | None = None,
    until: dt.date | None = None,
    child: ChildAttributes | None = None,
) -> Journey:
    """Walk one child through ``workflow`` from ``start``.

    Args:
        workflow: the authority's rules.
        scenario: branch probabilities, stays and punctuality.
        start: the day of the first event (entering the initial state).
        path: a scripted route: state ids (or triggers) after the initial state. Without it, branches
            are drawn with ``rng``.
        rng: the random stream for a seeded walk (required when ``path`` is None).
        date_of_birth: for age-based standards; kept in memory only, never written out.
        until: the end of the record (default: the last event).
        child: the child's placement, legal status, plan and disability, where known (for
            ``applies_to``); kept in memory only.

    Raises:
        IllegalStepError: a step of ``path`` is not a legal move; the message names the legal ones.

    """
    if path is None and rng is None:
        raise ValueError("give a path or a random generator")
    calendar = workflow.calendar
    timer = _Timer(scenario, calendar, None if path is not None else rng)
    machine = JourneyMachine(workflow)
    events = [CaseEvent(start, machine.state)]
    day = start
    steps = list(path) if path is not None else None
    if steps and steps[0] == machine.state:
        steps = steps[1:]
    moves = 0
    while not machine.is_terminal and moves < MAX_MOVES:
        if steps is not None and not steps:
            break
        state = machine.state
        # as in the simulation: a stay that depends on the way out is drawn after choosing it
        leave = None if state in scenario.stays_to else timer.stay(state, day)
        if steps is not None:
            step = steps.pop(0)
            if step in machine.legal_triggers():
                machine.fire(step)
            else:
                machine.move_to(step)
        else:
            machine.fire(timer.choose(machine))
        day = timer.stay(state, day, machine.state) if leave is None else leave
        events.append(CaseEvent(day, machine.state))
        moves += 1
    end = until or day
    activities = _schedule_activities(workflow, timer, events, end, date_of_birth, child)
    merged = sorted([*events, *activities], key=lambda e: (e.day, e.name in workflow.activities))
    instances = track(workflow, merged, until=end, date_of_birth=date_of_birth, child=child)
    return Journey(workflow, tuple(merged), tuple(instances), end, child or ChildAttributes())


def _stretches(
    workflow: Workflow, events: Sequence[CaseEvent], scope: frozenset[str], end: dt.date
) -> list[tuple[dt.date, dt.date, bool]]:
    """(entered, left, still_inside_at_end) for each stretch of ``events`` inside ``scope``."""
    out: list[tuple[dt.date, dt.date, bool]] = []
    entered: dt.date | None = None
    for event in events:
        inside = event.name in scope
        if inside and entered is None:
            entered = event.day
        elif not inside and entered is not None:
            out.append((entered, event.day, False))
            entered = None
    if entered is not None:
        terminal = workflow.states[events[-1].name].terminal
        out.append((entered, end, not terminal))
    return out


def _schedule_activities(
    workflow: Workflow,
    timer: _Timer,
    events: Sequence[CaseEvent],
    end: dt.date,
    date_of_birth: dt.date | None,
    child: ChildAttributes | None = None,
) -> list[CaseEvent]:
    """Activities the case owes, done when practice says (on time, or late)."""
    recurring = _recurring_activities(workflow, timer, events, end, date_of_birth, child)
    return recurring + _owed_activities(
        workflow, timer, events, recurring, end, date_of_birth, child
    )


def _recurring_activities(
    workflow: Workflow,
    timer: _Timer,
    events: Sequence[CaseEvent],
    end: dt.date,
    date_of_birth: dt.date | None,
    child: ChildAttributes | None = None,
) -> list[CaseEvent]:
    calendar = workflow.calendar
    out: list[CaseEvent] = []
    candidates: dict[tuple[str, frozenset[str]], list[RecurringSpec]] = {}
    for standard in workflow.standards.values():
        spec = standard.spec
        if isinstance(spec, RecurringSpec):
            key = (spec.to, workflow.expand_scope(spec.while_))
            candidates.setdefault(key, []).append(spec)
    # Schedules that switch step on another activity ("weekly until the first review") come after
    # the schedules that produce it, so they can see when it happens.
    order = sorted(candidates.items(), key=lambda item: any(schedule.watched(s) for s in item[1]))
    for (activity, scope), specs in order:
        watched = {event for s in specs for event in schedule.watched(s)}
        recounted = {event for s in specs for event in schedule.recounted(s)}
        for entered, left, _ in _stretches(workflow, events, scope, end):
            seen: dict[str, dt.date] = {}
            history: list[tuple[str, dt.date]] = []
            for e in sorted([*events, *out], key=lambda e: e.day):
                if e.name in watched and entered <= e.day < left and e.name not in seen:
                    seen[e.name] = e.day
                if e.name in recounted and entered <= e.day < left:
                    history.append((e.name, e.day))
            anchor, count = entered, 0
            while anchor < left:
                # Every standard this child is owed for the activity (statute and a local
                # deviation beside it both are): the visit is due by the earliest. One the child is
                # not in scope for (a baby's visits at twelve) is not followed.
                owed = [
                    s
                    for s in specs
                    if s.applies(date_of_birth, anchor, child)
                    and s.in_force(
                        calendar.add(
                            anchor,
                            schedule.interval(calendar, s, entered, anchor, count, seen, history),
                        )
                    )
                ]
                if not owed:
                    later = _next_start(specs, anchor, date_of_birth)
                    if later is None:
                        break
                    anchor = later  # an age band or a standard's period may start
                    continue
                due = schedule.next_due(calendar, owed, entered, anchor, count, seen, history)
                day = timer.do_by(activity, due, anchor + dt.timedelta(days=1))
                if day >= left:
                    break
                out.append(CaseEvent(day, activity))
                anchor, count = day, count + 1
    return out


def _next_start(
    specs: Sequence[RecurringSpec], day: dt.date, date_of_birth: dt.date | None
) -> dt.date | None:
    """The next day after ``day`` on which a standard may come to apply, or None.

    A birthday (an age band starts) or the first due date of a standard's ``effective`` period.
    """
    starts = [
        s.effective.from_
        for s in specs
        if s.effective is not None and s.effective.from_ is not None and s.effective.from_ > day
    ]
    if date_of_birth is not None:
        starts.append(_next_birthday(date_of_birth, day))
    return min(starts) if starts else None


def _in_force(workflow: Workflow, spec: DeadlineSpec | LeadTimeSpec, anchor: dt.date) -> bool:
    """Whether an occurrence opening on ``anchor`` falls due in the standard's ``effective``."""
    calendar = workflow.calendar
    if isinstance(spec, LeadTimeSpec):
        return spec.in_force(calendar.subtract(anchor, spec.at_least))
    return spec.in_force(calendar.add(anchor, spec.within))


def _next_birthday(date_of_birth: dt.date, day: dt.date) -> dt.date:
    """The child's first birthday after ``day``."""
    years = day.year - date_of_birth.year
    while birthday(date_of_birth, years) <= day:
        years += 1
    return birthday(date_of_birth, years)


#: Owed activities may hang off other activities (minutes after a review that follows a visit);
#: this many rounds covers the chains in the shipped rule sets.
_CHAIN_ROUNDS = 3


def _owed_activities(
    workflow: Workflow,
    timer: _Timer,
    states: Sequence[CaseEvent],
    recurring: Sequence[CaseEvent],
    end: dt.date,
    date_of_birth: dt.date | None,
    child: ChildAttributes | None = None,
) -> list[CaseEvent]:
    """Deadlines and lead times whose owed event is an activity (first core group, minutes)."""
    births: dict[str, dt.date] = {}
    if date_of_birth is not None:
        births = {f"age:{n}": add_months(date_of_birth, 12 * n) for n in range(0, 26)}
    seen: set[tuple[str, dt.date]] = set()
    out: list[CaseEvent] = []
    for _ in range(_CHAIN_ROUNDS):
        activities = [*recurring, *out]
        added: list[CaseEvent] = []
        for standard in workflow.standards.values():
            spec = standard.spec
            if isinstance(spec, DeadlineSpec) and spec.to in workflow.activities:
                anchors = _anchors(workflow, states, activities, spec.from_, births)
                if spec.after_total is not None:  # later: once a total time is reached
                    anchors = _total_reached(
                        workflow, states, activities, spec, anchors, births, end
                    )
            elif (
                isinstance(spec, LeadTimeSpec)
                and spec.from_ in workflow.activities
                and not spec.conditional  # the occasion (an exclusion sought) is not generated
            ):
                anchors = _anchors(workflow, states, activities, spec.to, births)
            else:
                continue
            for anchor in anchors:
                if not spec.applies(date_of_birth, anchor, child):
                    continue
                if not _in_force(workflow, spec, anchor):
                    continue
                if (standard.id, anchor) in seen:
                    continue
                seen.add((standard.id, anchor))
                added += _owed_one(workflow, timer, states, spec, anchor, end, activities)
        if not added:
            break
        out += added
    return out


def _owed_one(
    workflow: Workflow,
    timer: _Timer,
    states: Sequence[CaseEvent],
    spec: DeadlineSpec | LeadTimeSpec,
    anchor: dt.date,
    end: dt.date,
    activities: Sequence[CaseEvent] = (),
) -> list[CaseEvent]:
    calendar = workflow.calendar
    if isinstance(spec, LeadTimeSpec):
        latest = calendar.subtract(anchor, spec.at_least)
        day = timer.do_by(spec.from_, latest, states[0].day)
        return [CaseEvent(min(day, anchor), spec.from_)]
    scope = workflow.expand_scope(spec.while_) if spec.while_ else frozenset(workflow.states)
    stretches = _stretches(workflow, states, scope, end)
    if spec.late_entry:
        # Only where the case enters `while` after `from`, by the due date: on each such entry
        # (a plan that starts after the birthday, or closes and starts again), as tracking.
        by = calendar.add(anchor, spec.within)
        return [
            event
            for entered, left, _ in stretches
            if anchor < entered <= by
            for event in _owed_in(workflow, timer, spec, anchor, entered, left, activities)
        ]
    for entered, left, _ in stretches:
        if entered <= anchor < left:
            return _owed_in(workflow, timer, spec, anchor, anchor, left, activities)
    return []


def _owed_in(
    workflow: Workflow,
    timer: _Timer,
    spec: DeadlineSpec,
    anchor: dt.date,
    opened: dt.date,
    left: dt.date,
    activities: Sequence[CaseEvent],
) -> list[CaseEvent]:
    """The `to` a deadline counted from ``anchor`` owes in a stretch it opens in on ``opened``."""
    calendar = workflow.calendar
    due = calendar.add(anchor, spec.within)
    if spec.before_first is not None:  # also by the next `before_first`, if sooner
        bound = min(
            (e.day for e in activities if e.name == spec.before_first and e.day >= anchor),
            default=due,
        )
        due = min(due, bound)
    day = timer.do_by(spec.to, due, opened)
    if day >= left:
        return []
    # `nth`: as many as it takes for the nth after `from` (others may schedule some)
    have = sum(1 for e in activities if e.name == spec.to and opened <= e.day < left)
    return [CaseEvent(day, spec.to)] * max(1, spec.nth - have)


def _total_reached(
    workflow: Workflow,
    states: Sequence[CaseEvent],
    activities: Sequence[CaseEvent],
    spec: DeadlineSpec,
    anchors: Sequence[dt.date],
    births: dict[str, dt.date],
    end: dt.date,
) -> list[dt.date]:
    """For each ``from``, the day ``after_total`` starts the clock, as tracking finds it."""
    total = spec.after_total
    assert total is not None
    scope = workflow.expand_scope(total.in_)
    stretches = [(a, b) for a, b, _ in _stretches(workflow, states, scope, end + dt.timedelta(1))]
    since_days = _anchors(workflow, states, activities, total.since, births) if total.since else []
    out = []
    for anchor in anchors:
        since = max((d for d in since_days if d <= anchor), default=None)
        day = schedule.total_reached(stretches, since, anchor, total.days)
        if day is not None and day <= end:
            out.append(day)
    return out


def _anchors(
    workflow: Workflow,
    states: Sequence[CaseEvent],
    activities: Sequence[CaseEvent],
    name: str,
    births: dict[str, dt.date],
) -> list[dt.date]:
    if name in births:
        return [births[name]]
    if name in workflow.activities:
        return [e.day for e in activities if e.name == name]
    if name in workflow.phases:
        days, previous = [], None
        for event in states:
            phase = workflow.states[event.name].phase
            if phase == name and previous != name:
                days.append(event.day)
            previous = phase
        return days
    if name.startswith("exit:"):
        state = name[5:]
        return [b.day for a, b in itertools.pairwise(states) if a.name == state]
    return [e.day for e in states if e.name == name]


def check_path(workflow: Workflow, path: Sequence[str]) -> None:
    """Raise ``IllegalStepError`` if ``path`` is not a legal route (without timing it)."""
    machine = JourneyMachine(workflow)
    steps = list(path)
    if steps and steps[0] == machine.state:
        steps = steps[1:]
    for step in steps:
        if step in machine.legal_triggers():
            machine.fire(step)
        else:
            machine.move_to(step)
    if not steps:
        raise IllegalStepError("the path is empty; list the states after the initial one")
