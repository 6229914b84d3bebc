"""Standards tracking: one case's dated events + a workflow → every standard instance and its outcome.

A pure function of its inputs; it knows nothing of SimPy, so it serves simulated event logs and real
ones alike. Consumes ``CaseEvent`` (a state entered, or an activity recorded, on a date); produces
``Instance`` records: when each obligation opened, fell due, was met, and whether it was breached.

Semantics (docs/workflow-format.md):
- deadline: opens at each ``from`` event (only while the case is in ``while``, if given); met by the
  first ``to`` after it (or, with ``or_before``, by a ``to`` before it that came after the previous
  occurrence stopped: "before a child comes into our care … otherwise within 10 days"); if the case leaves ``while`` (or reaches a terminal state) first, the
  instance is withdrawn — or missed, when the due date had already passed (unless the standard is
  ``conditional``: it applies only to cases that do reach ``to``). With ``extension``, the first
  such event after ``from``, if it comes by the due date, moves the due date ``by`` later. With
  ``ends_on``, that event on a day after ``from``'s and before ``to`` ends the obligation as leaving
  ``while`` does: withdrawn by the due date, missed after it (one on ``from``'s day, in either
  order, ends nothing: records carry dates, not times). With ``late_entry``, it opens instead on
  each entry into ``while`` after ``from`` (from outside it), by the due date counted from ``from``.
- lead time: for each ``to`` event, the latest ``from`` event before it (since the previous ``to``;
  one on the same day counts as before it) must be at least the lead time earlier (zero: by the
  day of ``to``); no ``from`` at all is missed.
- recurring: over each stretch of time in ``while``, the first activity is due ``first`` after
  entry, the next ``every`` after the last one; a gap of several intervals records several misses.
  With ``restart_on``, each such event (a new placement) ends one stretch and starts another.
- max duration: each stretch in ``while`` must end within the limit.
- applies_to: an occurrence counts only if the child is in the standard's age band on the day it
  opens (a baby's three-weekly visits stop at the first birthday).
- effective: an occurrence counts only if its due date is in the standard's period; where a standard
  that ``supersedes`` another is owed, the other is not.
- per: a standard owed to each worker or household (supervision, foster carers' reviews) is not on
  a child's record and is not tracked here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache, partial

from casejourney import schedule
from casejourney.calendar import Duration, Unit, WorkingCalendar, birthday
from casejourney.spec.models import (
    ChildAttributes,
    DeadlineSpec,
    LeadTimeSpec,
    MaxDurationSpec,
    PauseSpec,
    RecurringSpec,
    TotalTimeSpec,
)
from casejourney.spec.resolve import Standard, Workflow


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One thing that happened to a case: a state entered, or an activity recorded."""

    day: dt.date
    name: str


class Outcome(StrEnum):
    """What became of one standard instance."""

    MET = "met"  # done on or before the due date
    LATE = "late"  # done, after the due date (a breach)
    MISSED = "missed"  # never done, and the due date passed while it applied (a breach)
    WITHDRAWN = "withdrawn"  # stopped applying before it fell due
    PENDING = "pending"  # still open at the end of the record, not yet due


BREACHES = frozenset({Outcome.LATE, Outcome.MISSED})


@dataclass(frozen=True, slots=True)
class Instance:
    """One occurrence of a standard for one case."""

    standard: str
    kind: str
    occurrence: int
    opened: dt.date
    due: dt.date
    done: dt.date | None
    outcome: Outcome
    late_days: int
    late_units: float
    unit: str

    @property
    def breached(self) -> bool:
        """Whether this instance is a breach (late or missed)."""
        return self.outcome in BREACHES


@dataclass(frozen=True, slots=True)
class _Flat:
    """An event in the derived stream: entries, exits, phase entries, activities."""

    day: dt.date
    name: str
    state: str  # the case's state after this event


@dataclass(frozen=True)
class _Stretch:
    """A maximal stretch of time spent inside a scope."""

    start: dt.date
    start_index: int
    end: dt.date | None  # None: still inside at the end of the record
    end_index: int


def track(
    workflow: Workflow,
    events: Sequence[CaseEvent],
    *,
    until: dt.date | None = None,
    date_of_birth: dt.date | None = None,
    standards: Iterable[str] | None = None,
    child: ChildAttributes | None = None,
) -> list[Instance]:
    """Every standard instance for one case.

    Args:
        workflow: the authority's resolved rules.
        events: the case's events in order; the first must enter the initial state or any state.
        until: the end of the record (default: the last event's day). Open instances due before it
            are missed; others are pending.
        date_of_birth: for ``age:N`` anchors and ``applies_to``; used in memory, never written out.
            Unknown, every ``applies_to`` standard is taken to apply.
        standards: restrict to these standard ids (default: all in force).
        child: the child's placement, legal status, plan and disability, where known, for
            ``applies_to``; a standard for one of these is not counted where it is not known.

    Returns:
        Instances sorted by opening date, then standard id, then occurrence.

    """
    if not events:
        return []
    end = until or events[-1].day
    flat = _flatten(workflow, events, date_of_birth, end)
    asked = set(standards) if standards is not None else None
    # A standard that supersedes an asked-for one is tracked too, to know where it is owed instead.
    wanted = asked
    if asked is not None:
        wanted = asked | {s.id for s in workflow.standards.values() if s.spec.supersedes in asked}
    out: list[Instance] = []
    for standard in workflow.standards.values():
        if wanted is not None and standard.id not in wanted:
            continue
        spec = standard.spec
        if not spec.per_child:  # owed to a worker or a household, not on a child's record
            continue
        if isinstance(spec, DeadlineSpec):
            found = _deadline(workflow, standard, spec, flat, end, date_of_birth)
        elif isinstance(spec, LeadTimeSpec):
            found = _lead_time(workflow, standard, spec, flat)
        elif isinstance(spec, RecurringSpec):
            found = _recurring(workflow, standard, spec, flat, end)
        else:
            found = _max_duration(workflow, standard, spec, flat, end)
        # `applies_to`: each occurrence is judged by the child on the day it opens;
        # `effective`: by the day it falls due.
        out += [
            i
            for i in found
            if spec.applies(date_of_birth, i.opened, child) and spec.in_force(i.due)
        ]
    out = _without_replaced(workflow, out)
    if asked is not None:
        out = [i for i in out if i.standard in asked]
    out.sort(key=lambda i: (i.opened, i.standard, i.occurrence))
    return out


def _without_replaced(workflow: Workflow, found: list[Instance]) -> list[Instance]:
    """Drop an occurrence of a standard that another ``supersedes`` where that other is owed.

    The two share ``from`` (``check`` makes sure), so they open on the same days: "17th birthday
    (from May 2024) (16th birthday from September 2024)" — a child owed the newer rule is not also
    owed the older one.
    """
    replaced = {
        (standard.spec.supersedes, i.opened)
        for standard in workflow.standards.values()
        if standard.spec.supersedes is not None
        for i in found
        if i.standard == standard.id
    }
    if not replaced:
        return found
    return [i for i in found if (i.standard, i.opened) not in replaced]


def _flatten(
    workflow: Workflow,
    events: Sequence[CaseEvent],
    date_of_birth: dt.date | None,
    end: dt.date | None = None,
) -> list[_Flat]:
    """Expand state entries into exit / phase-entry / entry events; add birthdays up to ``end``."""
    flat: list[_Flat] = []
    state = ""
    for event in events:
        target = workflow.states.get(event.name)
        if target is None:  # an activity
            flat.append(_Flat(event.day, event.name, state))
            continue
        if state:
            flat.append(_Flat(event.day, f"exit:{state}", state))
            if workflow.states[state].phase != target.phase:
                flat.append(_Flat(event.day, f"exit:{workflow.states[state].phase}", state))
        if not state or workflow.states[state].phase != target.phase:
            flat.append(_Flat(event.day, target.phase, target.id))
        state = target.id
        flat.append(_Flat(event.day, state, state))
    if date_of_birth is not None:
        flat = _with_birthdays(workflow, flat, date_of_birth, end)
    return flat


def _with_birthdays(
    workflow: Workflow, flat: list[_Flat], dob: dt.date, end: dt.date | None = None
) -> list[_Flat]:
    """``flat`` with each birthday a standard counts from, from the record's first day to ``end``.

    A birthday after the last event but by ``end`` (the day the record is tracked to) is a day of
    the record like any other: a needs assessment owed from the 16th birthday of a child in care
    with nothing recorded since is missed, not left unopened.
    """
    ages: set[str] = set()
    for standard in workflow.standards.values():
        spec = standard.spec
        if isinstance(spec, DeadlineSpec | LeadTimeSpec):
            ages.update(e for e in (spec.from_, spec.to) if e.startswith("age:"))
        if isinstance(spec, DeadlineSpec):
            for total in (spec.with_total, spec.after_total):
                since = total.since if total else None  # time added up from a birthday
                if since is not None and since.startswith("age:"):
                    ages.add(since)
    if not ages:
        return flat
    out = list(flat)
    last = max(flat[-1].day, end) if end is not None else flat[-1].day
    for age_event in sorted(ages):
        day = birthday(dob, int(age_event.split(":")[1]))
        if not flat[0].day <= day <= last:
            continue
        index = next((i for i, e in enumerate(out) if e.day > day), len(out))
        state = out[index - 1].state if index else out[0].state
        out.insert(index, _Flat(day, age_event, state))
    return out


@lru_cache(maxsize=200_000)
def _add(calendar: WorkingCalendar, day: dt.date, duration: Duration) -> dt.date:
    return calendar.add(day, duration)


def _instance(
    standard: Standard,
    calendar: WorkingCalendar,
    unit: Unit,
    occurrence: int,
    opened: dt.date,
    due: dt.date,
    done: dt.date | None,
    outcome: Outcome,
    end: dt.date | None = None,
) -> Instance:
    late_days = 0
    late_units = 0.0
    if outcome in BREACHES:
        stop = done or end or due
        late_days = (stop - due).days
        late_units = _in_unit(calendar, due, stop, unit)
    return Instance(
        standard=standard.id,
        kind=standard.kind,
        occurrence=occurrence,
        opened=opened,
        due=due,
        done=done,
        outcome=outcome,
        late_days=late_days,
        late_units=late_units,
        unit=unit.value,
    )


def _in_unit(calendar: WorkingCalendar, due: dt.date, stop: dt.date, unit: Unit) -> float:
    days = (stop - due).days
    if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
        return float(calendar.working_days_between(due, stop, unit))
    per = {
        Unit.HOURS: 1 / 24,
        Unit.DAYS: 1.0,
        Unit.WEEKS: 7.0,
        Unit.MONTHS: 30.4375,
        Unit.YEARS: 365.25,
        Unit.TERMS: 365.25 / 3,
        Unit.SCHOOL_YEARS: 365.25,
    }
    return round(days / per[unit], 2)


def _terminal(workflow: Workflow, state: str) -> bool:
    found = workflow.states.get(state)
    return found is not None and found.terminal


def _deadline(
    workflow: Workflow,
    standard: Standard,
    spec: DeadlineSpec,
    flat: list[_Flat],
    end: dt.date,
    date_of_birth: dt.date | None = None,
) -> list[Instance]:
    scope = workflow.expand_scope(spec.while_) if spec.while_ else None
    out: list[Instance] = []
    occurrence = 0
    floor = -1  # with or_before: a `to` at or before this index was counted by an occurrence
    opens = spec.from_
    if spec.after_total is not None:  # the clock starts once a total time is reached, later
        flat, opens = _with_total_reached(workflow, spec, flat, end, date_of_birth), _TOTAL_REACHED
    if spec.late_entry and date_of_birth is not None and spec.from_.startswith("age:"):
        # a birthday before the record began: a case entering `while` later still owes it
        day = birthday(date_of_birth, int(spec.from_.split(":")[1]))
        if day < flat[0].day:
            flat = [_Flat(day, spec.from_, ""), *flat]
    reached = None
    if spec.with_total is not None:  # opens only where the total was reached by `from`
        reached = _with_total(workflow, spec, flat, end, date_of_birth)
    for at, event in enumerate(flat):
        if event.name != opens or (reached is not None and at not in reached):
            continue
        for i, due in _openings(workflow, spec, scope, flat, at):
            occurrence += 1
            found, floor = _deadline_one(
                workflow, standard, spec, scope, flat, end, occurrence, floor, i, due
            )
            out.append(found)
    return out


def _deadline_one(
    workflow: Workflow,
    standard: Standard,
    spec: DeadlineSpec,
    scope: frozenset[str] | None,
    flat: list[_Flat],
    end: dt.date,
    occurrence: int,
    floor: int,
    i: int,
    due: dt.date,
) -> tuple[Instance, int]:
    """The ``occurrence``-th instance, opened at ``flat[i]``, and the new ``or_before`` floor.

    ``floor``: a `to` at or before this index was counted by an earlier occurrence.
    """
    calendar = workflow.calendar
    event = flat[i]
    outcome, done, stop = Outcome.PENDING, None, None
    before = None
    if spec.or_before:
        before = next((e for e in reversed(flat[floor + 1 : i]) if e.name == spec.to), None)
    # `nth`: met by the nth `to` after `from` (one before it, with or_before, counts as the
    # first); the scan stops at the nth `to` or on leaving `while`.
    need = spec.nth - (1 if before is not None else 0)
    met_day, left_day, floor = _deadline_scan(workflow, spec, scope, flat, i, need)
    if met_day is not None:
        done = met_day
        outcome = Outcome.MET if met_day <= due else Outcome.LATE
    elif left_day is not None:
        stop = left_day
        outcome = Outcome.WITHDRAWN if left_day <= due or spec.conditional else Outcome.MISSED
    elif end > due:
        outcome, stop = Outcome.MISSED, end
    if before is not None and need == 0:  # done before it opened, not counted before
        outcome, done, stop = Outcome.MET, before.day, None
    found = _instance(
        standard, calendar, spec.within.unit, occurrence, event.day, due, done, outcome, stop
    )
    return found, floor


def _openings(
    workflow: Workflow,
    spec: DeadlineSpec,
    scope: frozenset[str] | None,
    flat: list[_Flat],
    at: int,
) -> list[tuple[int, dt.date]]:
    """Where the deadline whose ``from`` is ``flat[at]`` opens, with its due date (none: not owed).

    In ``while`` at ``from``: there. With ``late_entry``, instead on each entry into ``while``
    after ``from`` (from outside it), if that comes by the due date counted from ``from``: a plan
    that starts after the 13th birthday, or closes and starts again before Year 9 ends. Each
    earlier opening has ended by then (the case left ``while``), so one is open at a time.
    """
    inside = scope is None or flat[at].state in scope
    if not spec.late_entry:
        return [(at, _deadline_due(workflow.calendar, spec, flat, at))] if inside else []
    if scope is None:
        return []
    due = _deadline_due(workflow.calendar, spec, flat, at)
    found: list[tuple[int, dt.date]] = []
    for j in range(at + 1, len(flat)):
        event = flat[j]
        if event.day > due:
            break
        entering = event.name == event.state and event.name in workflow.states
        now_in = entering and event.state in scope and not _terminal(workflow, event.state)
        if now_in and not inside:
            found.append((j, due))
        if entering:
            inside = now_in
    return found


#: The name of the derived event ``after_total`` opens a deadline at (no event is called this).
_TOTAL_REACHED = "after_total:"


def _with_total_reached(
    workflow: Workflow,
    spec: DeadlineSpec,
    flat: list[_Flat],
    end: dt.date,
    date_of_birth: dt.date | None,
) -> list[_Flat]:
    """``flat`` with the day each ``from`` is followed by ``after_total``'s total (the derived event).

    For each ``from``: the first day after it on which the case is in ``after_total.in`` and has
    spent its total there since the last ``since`` at or before ``from`` (or since the record
    began), where it had not by ``from``. Placed after that day's moves and before its
    activities, so the state is the day's.
    """
    total = spec.after_total
    assert total is not None
    stretches, froms = _totals(workflow, spec, total, flat, end, date_of_birth)
    days = [
        reached
        for _, day, since in froms
        if (reached := schedule.total_reached(stretches, since, day, total.days)) is not None
        and reached <= end
    ]
    out = list(flat)
    for day in sorted(set(days)):
        at = next(
            (
                k
                for k, e in enumerate(out)
                if e.day > day or (e.day == day and not _is_move(workflow, e))
            ),
            len(out),
        )
        state = out[at - 1].state if at else out[0].state
        out.insert(at, _Flat(day, _TOTAL_REACHED, state))
    return out


def _with_total(
    workflow: Workflow,
    spec: DeadlineSpec,
    flat: list[_Flat],
    end: dt.date,
    date_of_birth: dt.date | None,
) -> set[int]:
    """Where in ``flat`` a ``from`` finds the case in ``with_total.in`` with its total by then."""
    total = spec.with_total
    assert total is not None
    stretches, froms = _totals(workflow, spec, total, flat, end, date_of_birth)
    return {
        index
        for index, day, since in froms
        if index >= 0 and (by := schedule.total_by(stretches, since, day)) is not None
        if by >= total.days
    }


def _totals(
    workflow: Workflow,
    spec: DeadlineSpec,
    total: TotalTimeSpec,
    flat: list[_Flat],
    end: dt.date,
    date_of_birth: dt.date | None,
) -> tuple[list[tuple[dt.date, dt.date]], list[tuple[int, dt.date, dt.date | None]]]:
    """The stretches in ``total.in``, and each ``from``: (its index in ``flat``, day, since).

    ``since`` is the day of the last ``total.since`` at or before it (None: the record's start).
    A ``from`` or ``since`` that is a birthday before the record began counts from that day
    (index -1: a child who was 16 before their case opened can still become eligible after 16).
    """
    stretches = _stretches_in(workflow, flat, workflow.expand_scope(total.in_), end)
    before: list[_Flat] = []  # birthdays before the record began, as events on those days
    if date_of_birth is not None:
        for name in (total.since, spec.from_):
            if name is not None and name.startswith("age:"):
                day = birthday(date_of_birth, int(name.split(":")[1]))
                if day < flat[0].day:
                    before.append(_Flat(day, name, ""))
    froms: list[tuple[int, dt.date, dt.date | None]] = []
    since: dt.date | None = None
    for index, event in enumerate([*before, *flat], -len(before)):
        if total.since is not None and event.name == total.since:
            since = event.day
        if event.name == spec.from_:
            froms.append((max(index, -1), event.day, since))
    return stretches, froms


def _stretches_in(
    workflow: Workflow, flat: list[_Flat], scope: frozenset[str], end: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """The stretches ``flat`` spends in ``scope`` (end exclusive; one still open ends after ``end``)."""
    out: list[tuple[dt.date, dt.date]] = []
    entered: dt.date | None = None
    for event in flat:
        if event.name != event.state or event.name not in workflow.states:
            continue  # only state entries move a case in or out of the scope
        inside = event.state in scope and not _terminal(workflow, event.state)
        if inside and entered is None:
            entered = event.day
        elif not inside and entered is not None:
            out.append((entered, event.day))
            entered = None
    if entered is not None:
        out.append((entered, end + dt.timedelta(days=1)))
    return out


def _is_move(workflow: Workflow, event: _Flat) -> bool:
    """Whether ``event`` is part of a move (an entry, an exit, a phase entry), not an activity."""
    return (
        event.name in workflow.states
        or event.name in workflow.phases
        or (
            event.name.startswith("exit:")
            and event.name[5:] in (*workflow.states, *workflow.phases)
        )
    )


def _deadline_due(
    calendar: WorkingCalendar, spec: DeadlineSpec, flat: list[_Flat], i: int
) -> dt.date:
    """When the deadline opened by ``flat[i]`` falls due (an extension; ``before_first``)."""
    due = _add(calendar, flat[i].day, spec.within)
    if spec.extension is not None:  # lengthened once by an extension made by the due date
        granted = next((e.day for e in flat[i + 1 :] if e.name == spec.extension.event), None)
        if granted is not None and granted <= due:
            due = _add(calendar, due, spec.extension.by)
    if spec.before_first is not None:  # also by the next `before_first` after `from`, if sooner
        bound = next((e.day for e in flat[i + 1 :] if e.name == spec.before_first), None)
        if bound is not None and bound < due:
            due = bound
    return due


def _deadline_scan(
    workflow: Workflow,
    spec: DeadlineSpec,
    scope: frozenset[str] | None,
    flat: list[_Flat],
    i: int,
    need: int,
) -> tuple[dt.date | None, dt.date | None, int]:
    """What follows ``from`` at ``flat[i]``, up to the ``nth`` ``to`` or leaving ``while``.

    Returns the day of the ``need``-th ``to`` (None: not before leaving), the day the case left
    (None: it did not), and where the scan stopped (the ``nth`` ``to``, the leaving, or ``i``).
    """
    met_day: dt.date | None = None
    seen = 0
    for j, later in enumerate(flat[i + 1 :], i + 1):
        if later.name == spec.to:
            seen += 1
            if seen == need:
                met_day = later.day
            if seen == spec.nth:
                return met_day, None, j
            continue
        if later.name == spec.ends_on and later.day > flat[i].day:
            # The obligation ended (the placement did): as leaving. Records carry dates, not
            # times, so one on the day of `from` is not after it, in whichever order the record
            # lists them (the move into the connected person's home that day is the same move).
            return met_day, later.day, j
        entering = later.name == later.state and later.name in workflow.states
        left = (scope is not None and later.state not in scope) or _terminal(workflow, later.state)
        if entering and left:
            return met_day, later.day, j
    return met_day, None, i


def _lead_time(
    workflow: Workflow, standard: Standard, spec: LeadTimeSpec, flat: list[_Flat]
) -> list[Instance]:
    calendar = workflow.calendar
    out: list[Instance] = []
    last_from: dt.date | None = None
    occurrence = 0
    # Records carry dates, not times: a `from` on the day of a `to` counts as before it, in
    # whichever order the record lists them (a lead time of zero, "before it, the same day").
    relevant = [e for e in flat if e.name in (spec.from_, spec.to)]
    relevant.sort(key=lambda e: (e.day, e.name != spec.from_))
    for event in relevant:
        if event.name == spec.from_:
            last_from = event.day
        elif event.name == spec.to:
            if last_from is None and spec.conditional:
                continue  # owed only where `from` happened since the previous `to`
            occurrence += 1
            due = calendar.subtract(event.day, spec.at_least)
            if last_from is None:
                outcome, done = Outcome.MISSED, None
            else:
                outcome, done = (Outcome.MET if last_from <= due else Outcome.LATE), last_from
            out.append(
                _instance(
                    standard,
                    calendar,
                    spec.at_least.unit,
                    occurrence,
                    min(due, done or due),
                    due,
                    done,
                    outcome,
                    event.day,
                )
            )
            last_from = None
    return out


def _stretches(flat: list[_Flat], scope: frozenset[str]) -> list[_Stretch]:
    out: list[_Stretch] = []
    start: tuple[dt.date, int] | None = None
    for i, event in enumerate(flat):
        inside = event.state in scope
        if inside and start is None:
            start = (event.day, i)
        elif not inside and start is not None:
            out.append(_Stretch(start[0], start[1], event.day, i))
            start = None
    if start is not None:
        out.append(_Stretch(start[0], start[1], None, len(flat)))
    return out


def _restarted(flat: list[_Flat], stretches: list[_Stretch], event: str) -> list[_Stretch]:
    """``stretches`` cut at each ``event`` inside them: a schedule that starts again there."""
    out: list[_Stretch] = []
    for stretch in stretches:
        start, start_index = stretch.start, stretch.start_index
        for i in range(stretch.start_index + 1, stretch.end_index):
            if flat[i].name == event:
                out.append(_Stretch(start, start_index, flat[i].day, i))
                start, start_index = flat[i].day, i
        out.append(_Stretch(start, start_index, stretch.end, stretch.end_index))
    return out


#: A pause: (first day, index in ``flat``, day it ended, index there); ended None: still paused.
_Pause = tuple[dt.date, int, dt.date | None, int | None]


def _pauses(flat: list[_Flat], pause: PauseSpec, workflow: Workflow, end: dt.date) -> list[_Pause]:
    """The spells the record spends paused (``schedule.pause_spells``), in order."""
    scope = workflow.expand_scope(pause.in_)
    kinds = []
    for event in flat:
        if event.name == event.state and event.name in workflow.states:
            inside = event.state in scope and not _terminal(workflow, event.state)
            kinds.append(schedule.PAUSE_IN if inside else schedule.PAUSE_OUT)
        elif event.name == pause.until:
            kinds.append(schedule.PAUSE_UNTIL)
        elif event.name == pause.event:
            kinds.append(schedule.PAUSE_EVENT)
        else:
            kinds.append(schedule.PAUSE_OTHER)
    calendar = workflow.calendar
    return schedule.pause_spells(
        [e.day for e in flat],
        kinds,
        lambda counted, seen: schedule.pause_start(calendar, pause.after, counted, seen),
        end,
    )


def _paused(
    flat: list[_Flat], stretches: list[_Stretch], pause: PauseSpec, workflow: Workflow, end: dt.date
) -> list[_Stretch]:
    """``stretches`` less the spells paused (``_pauses``): nothing is owed while paused.

    A pause ends a stretch there (as leaving ``while``); its end starts a new one (the schedule
    begins again), unless the stretch ends there too.
    """
    spells = _pauses(flat, pause, workflow, end)
    if not spells:
        return stretches
    out: list[_Stretch] = []
    for stretch in stretches:
        a, b = stretch.start_index, stretch.end_index
        start, start_index, active = stretch.start, a, True
        for first, p, ended, q in spells:
            if q is not None and q <= a:
                continue  # over before the stretch began
            if p > b:
                break
            if active and p > a:
                out.append(_Stretch(start, start_index, first, p))
            if ended is None or q is None or q >= b:
                active = False
                break
            start, start_index, active = ended, q, True
        if active:
            out.append(_Stretch(start, start_index, stretch.end, b))
    return out


def _first_seen(inside: list[_Flat], events: tuple[str, ...]) -> dict[str, dt.date]:
    """The day each of ``events`` first happens in a stretch (a step switched by an event)."""
    seen: dict[str, dt.date] = {}
    for e in inside:
        if e.name in events and e.name not in seen:
            seen[e.name] = e.day
    return seen


def _recurring(
    workflow: Workflow, standard: Standard, spec: RecurringSpec, flat: list[_Flat], end: dt.date
) -> list[Instance]:
    calendar = workflow.calendar
    out: list[Instance] = []
    occurrence = 0
    stretches = _stretches(flat, workflow.expand_scope(spec.while_))
    if spec.restart_on is not None:
        stretches = _restarted(flat, stretches, spec.restart_on)
    if spec.pause is not None:
        stretches = _paused(flat, stretches, spec.pause, workflow, end)
    for stretch in stretches:
        stop = stretch.end or end
        anchor, done_count = stretch.start, 0
        inside = flat[stretch.start_index : stretch.end_index]
        activities = [e.day for e in inside if e.name == spec.to]
        seen = _first_seen(inside, schedule.watched(spec))
        recounted = schedule.recounted(spec)
        history = [(e.name, e.day) for e in inside if e.name in recounted]
        for day in [*activities, None]:
            while True:
                interval = schedule.interval(
                    calendar, spec, stretch.start, anchor, done_count, seen, history
                )
                due = _add(calendar, anchor, interval)
                next_due = _add(calendar, due, spec.every)

                occurrence += 1
                record = partial(
                    _instance, standard, calendar, interval.unit, occurrence, anchor, due
                )
                if day is not None and day <= next_due:
                    # Done by the due date (met), or within the next interval (late).
                    out.append(record(day, Outcome.MET if day <= due else Outcome.LATE))
                    break
                if day is None and due >= stop:
                    # Still inside at the end of the record: the next one is pending; after leaving
                    # the scope, nothing more is owed.
                    if stretch.end is None:
                        out.append(record(None, Outcome.PENDING))
                    else:
                        occurrence -= 1
                    break
                out.append(record(None, Outcome.MISSED, min(stop, next_due)))
                anchor, done_count = due, done_count + 1
                if day is None and anchor >= stop:
                    break
            if day is not None:
                anchor, done_count = day, done_count + 1
    return out


def _max_duration(
    workflow: Workflow, standard: Standard, spec: MaxDurationSpec, flat: list[_Flat], end: dt.date
) -> list[Instance]:
    calendar = workflow.calendar
    out: list[Instance] = []
    for occurrence, stretch in enumerate(_stretches(flat, workflow.expand_scope(spec.while_)), 1):
        due = _add(calendar, stretch.start, spec.within)
        if stretch.end is not None:
            outcome = Outcome.MET if stretch.end <= due else Outcome.LATE
            done: dt.date | None = stretch.end
        else:
            outcome = Outcome.MISSED if end > due else Outcome.PENDING
            done = None
        out.append(
            _instance(
                standard,
                calendar,
                spec.within.unit,
                occurrence,
                stretch.start,
                due,
                done,
                outcome,
                end,
            )
        )
    return out
