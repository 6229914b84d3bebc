"""When a recurring standard's next occurrence falls due: the one home for that meaning.

Consumes a ``RecurringSpec`` and the days of a stretch in its scope; produces intervals and due
dates, on calendar dates (``interval``, ``next_due``) or on a simulation's day grid, vectorised
(``grid_due``) or one stretch at a time (``step_index`` with ``steps``). ``tracking`` (a child's
record), ``journey`` (scheduling a child's activities), ``metrics`` (an event log) and ``simulate``
(compiling the engine's task rules) all call it, so they agree on which interval applies after each
occurrence and on which of two standards for one activity is the stricter.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from casejourney.calendar import DayGrid, Duration, WorkingCalendar
from casejourney.spec.models import RecurringSpec, StepChangeSpec

#: The day from which a duration's typical length is measured, to rank two intervals.
_PROBE_START = dt.date(2026, 1, 5)

#: In ``grid_due``'s ``seen`` arrays: the event has not happened in the stretch.
NEVER = np.iinfo(np.int64).max

#: In ``grid_due``'s ``last`` arrays: the event has not happened in the stretch by the occurrence.
LONG_AGO = np.iinfo(np.int64).min


def months_old(date_of_birth: dt.date, months: int) -> dt.date:
    """The first day a child born on ``date_of_birth`` is ``months`` calendar months old.

    As ``AppliesToSpec.includes`` judges age: the same day of the month, or, where that month is
    too short (born on 29 February, or on the 31st), the first day of the next. The engine's age
    bands count the same way.
    """
    year, month = divmod(date_of_birth.year * 12 + date_of_birth.month - 1 + months, 12)
    last = _stdcal.monthrange(year, month + 1)[1]
    if date_of_birth.day <= last:
        return dt.date(year, month + 1, date_of_birth.day)
    return dt.date(year, month + 1, last) + dt.timedelta(days=1)


def at_age(origin: dt.date, births: np.ndarray, years: int) -> np.ndarray:
    """The days (numbered from ``origin``) children born on days ``births`` reach ``years``."""
    unique, where = np.unique(births, return_inverse=True)
    days = [
        (months_old(origin + dt.timedelta(days=int(b)), 12 * years) - origin).days
        for b in unique.tolist()
    ]
    found: np.ndarray = np.asarray(days, dtype=np.int64)[where]
    return found


Day = TypeVar("Day", dt.date, int)

#: Indices into ``steps(spec)``: the steady interval, the first, the second; then steps follow.
EVERY, FIRST, SECOND, THEN = 0, 1, 2, 3


def steps(spec: RecurringSpec) -> tuple[Duration, ...]:
    """Every interval the standard can ask for, indexed as ``step_index`` answers.

    ``EVERY``, ``FIRST``, ``SECOND``, then ``THEN + i`` for the ``i``-th ``then`` step; ``first``
    and ``second`` default to ``every``.
    """
    return (
        spec.every,
        spec.first or spec.every,
        spec.second or spec.every,
        *(step.every for step in spec.then),
    )


def step_index(spec: RecurringSpec, done: int, reached: Sequence[bool]) -> int:
    """Which of ``steps(spec)`` applies after ``done`` occurrences.

    ``reached[i]``: the ``i``-th ``then`` step has switched by the last occurrence (``reached``
    says when). The first is due ``first`` after entering; the second ``second`` after the first,
    if given; later ones ``every``, or the last switched step's.
    """
    if done == 0:
        return FIRST
    if done == 1 and spec.second is not None:
        return SECOND
    index = EVERY
    for i, passed in enumerate(reached):
        if passed:
            index = THEN + i
    return index


def step_indices(
    spec: RecurringSpec, done: np.ndarray, reached: Sequence[np.ndarray]
) -> np.ndarray:
    """``step_index`` over arrays: ``done`` counts, ``reached[i]`` booleans per element."""
    index = np.full(len(done), EVERY, dtype=np.int64)
    for i, passed in enumerate(reached):
        index = np.where(passed, THEN + i, index)
    if spec.second is not None:
        index = np.where(done == 1, SECOND, index)
    result: np.ndarray = np.where(done == 0, FIRST, index)
    return result


def watched(spec: RecurringSpec) -> tuple[str, ...]:
    """The events whose first occurrence in a stretch switches a step (``after_first``, ``and_after_first``)."""
    return tuple(dict.fromkeys(event for step in spec.then for event in step.events))


def recounted(spec: RecurringSpec) -> tuple[str, ...]:
    """The events whose every occurrence matters (a ``since`` step's ``since`` and its events)."""
    return tuple(
        dict.fromkeys(
            event
            for step in spec.then
            if step.since is not None
            for event in (step.since, *step.events)
        )
    )


def since_switched(
    step: StepChangeSpec,
    entered: Day,
    anchor: Day,
    history: Sequence[tuple[str, Day]],
    add: Callable[[Day, Duration], Day],
) -> bool:
    """Whether a step with ``since`` has switched by ``anchor`` (the last occurrence).

    ``history``: the ``recounted`` events in the stretch, (name, day), in the record's order. The
    step counts from the last ``since`` on or before ``anchor`` (none: from ``entered``): ``after``
    from that day, and each of its events must come after it in the record (on the day of a move,
    an agreement listed after the move is the new home's, as ``pause``'s ``until`` and
    ``restart_on`` read a record).
    """
    counted, found = entered, set[str]()
    for name, day in history:
        if day > anchor:
            break
        if name == step.since:
            counted, found = day, set()
        elif name in step.events:
            found.add(name)
    if step.after is not None and add(counted, step.after) > anchor:
        return False
    return all(event in found for event in step.events)


def reached(
    calendar: WorkingCalendar,
    spec: RecurringSpec,
    entered: dt.date,
    anchor: dt.date,
    seen: Mapping[str, dt.date] | None = None,
    history: Sequence[tuple[str, dt.date]] = (),
) -> list[bool]:
    """For each ``then`` step, whether it has switched by ``anchor`` (the last occurrence).

    A time step switches ``after`` entering the scope on ``entered``; an event step once its
    event first happened in the stretch, on the day ``seen`` gives (absent: not yet); a step with
    both (``after`` and ``and_after_first``) once both have. A step with ``since`` counts both
    from the last ``since`` (``since_switched``, on ``history``: the ``recounted`` events in the
    stretch, in order).
    """
    out = []
    for step in spec.then:
        if step.since is not None:
            out.append(since_switched(step, entered, anchor, history, calendar.add))
            continue
        passed = step.after is None or calendar.add(entered, step.after) <= anchor
        for event in step.events:
            day = (seen or {}).get(event)
            passed = passed and day is not None and day <= anchor
        out.append(passed)
    return out


def pause_start(
    calendar: WorkingCalendar, after: Duration | None, counted: dt.date, seen: dt.date
) -> dt.date:
    """The day a ``pause`` starts: the later of ``after`` from ``counted`` and its event, ``seen``.

    ``counted``: the day the case entered the pause's scope, or its last ``until`` (a placement
    move); ``seen``: the first day of its event since then. As ``reached`` switches a step with
    ``after`` and ``and_after_first`` (reg 28(2)'s three-monthly visits, after the placement's
    first year and once it is agreed as long-term); without ``after``, at the event.
    """
    return seen if after is None else max(seen, calendar.add(counted, after))


#: What a row of a record is to a pause (``pause_spells``): a move into the pause's scope, a move
#: out of it (or into a terminal state), its ``until``, its ``event``, or anything else.
PAUSE_IN, PAUSE_OUT, PAUSE_UNTIL, PAUSE_EVENT, PAUSE_OTHER = range(5)


def pause_spells(
    days: Sequence[Day], kinds: Sequence[int], starts: Callable[[Day, Day], Day], end: Day
) -> list[tuple[Day, int, Day | None, int | None]]:
    """The spells a record spends paused: (first day, row, day it ended, row there), in order.

    ``days`` and ``kinds`` describe the record's rows in order (calendar dates in tracking, the
    day grid in the metrics: both call this); ``starts(counted, seen)`` is ``pause_start`` on
    those days. Time counts from entering the scope or from the last ``until`` in it; the pause
    starts on ``starts``' day, at the first row on or after it (or after the last row, if by
    ``end``: ended None); leaving the scope, or ``until``, ends it. A pause that would end on the
    day it began is none (records carry dates, not times).
    """
    out: list[tuple[Day, int, Day | None, int | None]] = []
    inside, counted = False, days[0]
    seen: Day | None = None
    paused: tuple[Day, int] | None = None

    def close(i: int) -> None:
        nonlocal paused
        if paused is not None and paused[0] < days[i]:
            out.append((paused[0], paused[1], days[i], i))
        paused = None

    for i, (day, kind) in enumerate(zip(days, kinds, strict=True)):
        if paused is None and seen is not None and day >= (first := starts(counted, seen)):
            paused = (first, i)
        if kind == PAUSE_IN and not inside:
            inside, counted, seen = True, day, None
        elif kind == PAUSE_OUT and inside:
            close(i)
            inside, seen = False, None
        elif inside and kind == PAUSE_UNTIL:
            close(i)
            counted, seen = day, None
        elif inside and kind == PAUSE_EVENT and seen is None and paused is None:
            seen = day
            if starts(counted, day) <= day:
                paused = (day, i)
    if paused is None and seen is not None and (first := starts(counted, seen)) <= end:
        paused = (first, len(days))
    if paused is not None:
        out.append((paused[0], paused[1], None, None))
    return out


def interval(
    calendar: WorkingCalendar,
    spec: RecurringSpec,
    entered: dt.date,
    anchor: dt.date,
    done: int,
    seen: Mapping[str, dt.date] | None = None,
    history: Sequence[tuple[str, dt.date]] = (),
) -> Duration:
    """The interval to the next occurrence after ``done`` occurrences, the last on ``anchor``.

    The scope was entered on ``entered``; ``seen`` holds the first day of each watched event in
    the stretch, ``history`` the ``recounted`` ones in order; ``step_index`` says which interval
    applies.
    """
    return steps(spec)[
        step_index(spec, done, reached(calendar, spec, entered, anchor, seen, history))
    ]


def grid_due(
    grid: DayGrid,
    spec: RecurringSpec,
    anchor: np.ndarray,
    done: np.ndarray,
    entered: np.ndarray,
    seen: Mapping[str, np.ndarray] | None = None,
    last: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Due days on ``grid`` after ``done`` occurrences, the last on ``anchor`` (vectorised).

    The same meaning as ``interval``, for many stretches at once; ``entered`` is each stretch's
    first day and ``seen[event]`` the day each watched event first happened in it (``NEVER``:
    not yet); ``last[event]``, for the ``recounted`` events, the place in the record (any
    increasing number) and the day it last happened in the stretch on or before ``anchor``
    (``LONG_AGO`` both: not yet). Returns the due days and, for each,
    the index into ``steps(spec)`` that applied.
    """
    switched = []
    for step in spec.then:
        passed = np.ones(len(anchor), dtype=bool)
        if step.since is not None:  # since_switched: counted from the last `since`
            since_place, since_day = (last or {})[step.since]
            if step.after is not None:
                passed &= grid.add(np.maximum(entered, since_day), step.after) <= anchor
            for event in step.events:
                passed &= (last or {})[event][0] > since_place
            switched.append(passed)
            continue
        if step.after is not None:
            passed &= grid.add(entered, step.after) <= anchor
        for event in step.events:
            passed &= (seen or {})[event] <= anchor
        switched.append(passed)
    index = step_indices(spec, done, switched)
    due = np.zeros(len(anchor), dtype=np.int64)
    for value, duration in enumerate(steps(spec)):
        pick = index == value
        if pick.any():
            due[pick] = grid.add(anchor[pick], duration)
    return due, index


def next_due(
    calendar: WorkingCalendar,
    specs: Iterable[RecurringSpec],
    entered: dt.date,
    anchor: dt.date,
    done: int,
    seen: Mapping[str, dt.date] | None = None,
    history: Sequence[tuple[str, dt.date]] = (),
) -> dt.date:
    """The earliest next due date under every one of ``specs`` (all in force for one activity).

    A statutory standard and a local deviation kept beside it are both owed: the activity is
    scheduled to meet whichever falls due first.
    """
    return min(
        calendar.add(anchor, interval(calendar, spec, entered, anchor, done, seen, history))
        for spec in specs
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


def total_by(
    stretches: Iterable[tuple[dt.date, dt.date]], since: dt.date | None, day: dt.date
) -> int | None:
    """Days spent in the stretches from ``since`` up to ``day``; None if ``day`` is in none.

    ``stretches``: start inclusive, end exclusive, in order. ``DeadlineSpec.with_total``: a child
    looked after on their 16th birthday with 13 weeks in care since their 14th is eligible then.
    """
    total, inside = 0, False
    for start, end in stretches:
        begin = start if since is None else max(start, since)
        inside = inside or start <= day < end
        total += max(0, (min(end, day) - begin).days)
    return total if inside else None


def total_reached(
    stretches: Iterable[tuple[dt.date, dt.date]], since: dt.date | None, after: dt.date, days: int
) -> dt.date | None:
    """The first day after ``after``, inside a stretch, by which ``days`` in them have passed.

    ``stretches`` are the case's stretches in a scope (start inclusive, end exclusive), in order;
    only time from ``since`` counts (None: all of it). Reg 42(1)'s "becomes an eligible child
    after that age": the first day after the 16th birthday on which the child is looked after
    and has been for 13 weeks in all since the 14th (``DeadlineSpec.after_total``). None: never,
    within the stretches given, or already on ``after`` (``total_by`` on ``after`` at least
    ``days``: ``with_total``'s, not "after" it).
    """
    stretches = list(stretches)
    already = total_by(stretches, since, after)
    if already is not None and already >= days:
        return None
    total = 0
    for start, end in stretches:
        begin = start if since is None else max(start, since)
        if end <= begin:
            continue
        day = max(begin + dt.timedelta(days=max(0, days - total)), after + dt.timedelta(days=1))
        if day < end:
            return day
        total += (end - begin).days
    return None
