"""When a recurring standard's next occurrence falls due: the one home for that meaning.

Consumes a ``RecurringSpec`` and the dates of a stretch in its scope; produces intervals and due
dates. ``tracking`` (a child's record), ``journey`` (scheduling a child's activities) and
``simulate`` (compiling the engine's task rules) all call it, so they agree on which interval
applies after each occurrence and on which of two standards for one activity is the stricter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from casejourney.calendar import Duration, WorkingCalendar
from casejourney.spec.models import RecurringSpec

#: The day from which a duration's typical length is measured, to rank two intervals.
_PROBE_START = dt.date(2026, 1, 5)


def interval(
    calendar: WorkingCalendar, spec: RecurringSpec, entered: dt.date, anchor: dt.date, done: int
) -> Duration:
    """The interval to the next occurrence after ``done`` occurrences, the last on ``anchor``.

    The first is due ``first`` after entering (default ``every``); the second ``second`` after the
    first, if given; later ones ``every``, or the ``every`` of the last ``then`` step whose ``after``
    (counted from entering the scope on ``entered``) has passed by ``anchor``.
    """
    if done == 0:
        return spec.first or spec.every
    if done == 1 and spec.second is not None:
        return spec.second
    every = spec.every
    for step in spec.then:
        if calendar.add(entered, step.after) <= anchor:
            every = step.every
    return every


def next_due(
    calendar: WorkingCalendar,
    specs: Iterable[RecurringSpec],
    entered: dt.date,
    anchor: dt.date,
    done: int,
) -> dt.date:
    """The earliest next due date under every one of ``specs`` (all in force for one activity).

    A statutory standard and a local deviation kept beside it are both owed: the activity is
    scheduled to meet whichever falls due first.
    """
    return min(
        calendar.add(anchor, interval(calendar, spec, entered, anchor, done)) for spec in specs
    )


def typical_days(calendar: WorkingCalendar, duration: Duration) -> int:
    """A representative length in days, for ranking two intervals."""
    return (calendar.add(_PROBE_START, duration) - _PROBE_START).days


def strictness(calendar: WorkingCalendar, spec: RecurringSpec) -> tuple[int, ...]:
    """A sort key: the smaller, the stricter (every, then first, then second, then later steps)."""
    return (
        typical_days(calendar, spec.every),
        typical_days(calendar, spec.first or spec.every),
        typical_days(calendar, spec.second or spec.every),
        *(typical_days(calendar, step.every) for step in spec.then),
    )


def stricter(calendar: WorkingCalendar, spec: RecurringSpec, other: RecurringSpec) -> bool:
    """Whether ``spec`` is stricter than ``other`` (for a schedule that can follow only one)."""
    return strictness(calendar, spec) < strictness(calendar, other)
