"""Deep checks for ``casejourney check --deep``: the property tests, run on a user's own file.

Consumes a resolved ``Workflow``; produces findings with readable counter-examples:
- refinement over every start date the calendar knows (2000–2059), not only the usual window;
- random journeys (seeded, so a finding can be reproduced) through the machine, each checked for
  the invariants the test suite proves for shipped files: due dates never before opening, met and
  breached consistent with the dates, the same events giving the same outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np

from casejourney.calendar import FIRST_YEAR, LAST_YEAR, Duration, WorkingCalendar
from casejourney.checks.timing import comparable_pairs
from casejourney.machine import TransitionTable
from casejourney.spec.findings import Finding, Level
from casejourney.spec.resolve import Workflow
from casejourney.tracking import CaseEvent, Instance, Outcome, track

#: Random journeys tried per workflow by default.
JOURNEYS = 500


def deep_findings(workflow: Workflow, *, journeys: int = JOURNEYS, seed: int = 0) -> list[Finding]:
    """Every deep finding for ``workflow`` (refinement over all dates; random-journey invariants)."""
    return sorted({*_refinement(workflow), *_journey_invariants(workflow, journeys, seed)})


def _refinement(workflow: Workflow) -> Iterator[Finding]:
    calendar = workflow.calendar
    starts = np.arange(
        np.datetime64(dt.date(FIRST_YEAR, 1, 1), "D"),
        np.datetime64(dt.date(LAST_YEAR - 2, 12, 31), "D"),
        dtype="datetime64[D]",
    )
    for standard in workflow.standards.values():
        parent = standard.replaces
        if standard.inherited or parent is None or standard.spec.acknowledged_deviation:
            continue
        for pair in comparable_pairs(standard, parent):
            later = _dues(calendar, starts, pair.later) > _dues(calendar, starts, pair.earlier)
            if not later.any():
                continue
            field = pair.field
            first = starts[int(np.argmax(later))].astype(dt.date)
            local_due, parent_due = (
                _due(calendar, first, pair.later),
                _due(calendar, first, pair.earlier),
            )
            yield standard.location.finding(
                Level.ERROR,
                "looser-than-statute",
                f"standard '{standard.id}' ({field}): counter-example: from {first:%a %d %b %Y} "
                f"it falls due {local_due:%a %d %b %Y}, but {parent.authority} requires "
                f"{parent_due:%a %d %b %Y}; tighten it or add acknowledged_deviation",
                (standard.citation, parent.citation),
            )


def _dues(calendar: WorkingCalendar, starts: np.ndarray, chain: tuple[Duration, ...]) -> np.ndarray:
    """Due dates from each start, counting each duration of ``chain`` in turn."""
    for duration in chain:
        if duration.unit.value in ("working_days", "school_days"):
            starts = calendar.add_working_days_many(starts, duration.value, duration.unit)
        else:
            starts = np.array(
                [calendar.add(d, duration) for d in starts.astype(dt.date)], dtype="datetime64[D]"
            )
    return starts


def _due(calendar: WorkingCalendar, start: dt.date, chain: tuple[Duration, ...]) -> dt.date:
    for duration in chain:
        start = calendar.add(start, duration)
    return start


def random_journey(
    workflow: Workflow, table: TransitionTable, rng: np.random.Generator
) -> list[CaseEvent]:
    """A random legal journey with random gaps and activities (for invariant checks)."""
    activities = sorted(workflow.activities)
    day = dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 14)))
    state = table.initial
    events = [CaseEvent(day, state)]
    for _ in range(int(rng.integers(1, 30))):
        day += dt.timedelta(days=int(rng.integers(0, 60)))
        options = table.triggers(state)
        if activities and (not options or rng.random() < 0.5):
            events.append(CaseEvent(day, activities[int(rng.integers(len(activities)))]))
        elif options:
            state = table.fire(state, options[int(rng.integers(len(options)))])
            events.append(CaseEvent(day, state))
        else:
            break
    return events


def _broken(instance: Instance, until: dt.date) -> str | None:
    if instance.due < instance.opened:
        return "falls due before it opens"
    done, due = instance.done, instance.due
    checks = {
        Outcome.MET: done is not None and done <= due,
        Outcome.LATE: done is not None and done > due,
        Outcome.MISSED: done is None and due < until,
        Outcome.PENDING: done is None,
        Outcome.WITHDRAWN: done is None,
    }
    return (
        None
        if checks[instance.outcome]
        else f"is {instance.outcome.value} with due {due}, done {done}"
    )


def _journey_invariants(workflow: Workflow, journeys: int, seed: int) -> Iterator[Finding]:
    table = TransitionTable.from_workflow(workflow)
    rng = np.random.default_rng(seed)
    for n in range(journeys):
        events = random_journey(workflow, table, rng)
        until = events[-1].day + dt.timedelta(days=30)
        first = track(workflow, events, until=until)
        problems = [(i, why) for i in first if (why := _broken(i, until))]
        if first != track(workflow, events, until=until):
            problems.append((first[0], "differs when the same events are tracked twice"))
        for instance, why in problems[:1]:
            standard = workflow.standards[instance.standard]
            route = ", ".join(f"{e.day:%d %b %Y} {e.name}" for e in events)
            yield standard.location.finding(
                Level.ERROR,
                "tracking-invariant",
                f"standard '{standard.id}' {why} on random journey {n} (seed {seed}): {route}",
                (standard.citation,),
            )
            return
