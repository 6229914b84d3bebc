"""Metrics: pure functions of an event log and the codebook that says what its codes mean.

Consumes an engine ``EventLog`` (+ ``Snapshots``) and a ``Codebook`` (names, calendar, reporting
window, teams and the rules measured; the simulator's ``Frame`` is one); produces tables as
dicts of numpy columns. No simulation happens here. Standards are tracked with the semantics of
``casejourney.tracking.track`` (the reference: a test compares the two case by case), but
vectorised over the whole log with numpy instead of one call per case. Everything is counted by
reported week (the week the instance fell due, the stretch ended, the snapshot was taken) and can
be summarised across replications with confidence intervals (``across``).
"""

from __future__ import annotations

import functools
import itertools
import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from casejourney import schedule
from casejourney.calendar import Duration, Unit
from casejourney.codebook import Codebook
from casejourney.engine.records import EventLog, Kind, Snapshots
from casejourney.spec.children import LEGAL_STATUSES, PLACEMENTS, PLANS
from casejourney.spec.models import (
    AppliesToSpec,
    DeadlineSpec,
    LeadTimeSpec,
    MaxDurationSpec,
    PauseSpec,
    RecurringSpec,
    TotalTimeSpec,
    is_age_event,
)
from casejourney.spec.resolve import Standard
from casejourney.tracking import Outcome

Table = dict[str, np.ndarray]

#: Outcome codes in instance tables, in this order.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome.MET,
    Outcome.LATE,
    Outcome.MISSED,
    Outcome.WITHDRAWN,
    Outcome.PENDING,
)
MET, LATE, MISSED, WITHDRAWN, PENDING = range(5)
#: ``done`` when an instance was never done.
NONE = np.iinfo(np.int32).min

_UNIT_DAYS = {
    Unit.HOURS: 1 / 24,
    Unit.DAYS: 1.0,
    Unit.WEEKS: 7.0,
    Unit.MONTHS: 30.4375,
    Unit.YEARS: 365.25,
    Unit.TERMS: 365.25 / 3,
    Unit.SCHOOL_YEARS: 365.25,
}


# --- the tracked stream --------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """The log rows that standards see (entries, tasks, milestones), case by case, in order.

    Columns are int32 (a national year is ~10 million rows); positions are int64.
    """

    book: Codebook
    case: np.ndarray
    day: np.ndarray
    event: np.ndarray
    enter: np.ndarray  # bool: a state entry
    cur: np.ndarray  # the case's state after the row
    prev: np.ndarray  # for entries: the state before (-1 for a case's first row)
    first: np.ndarray  # bool: a case's first row
    phase: np.ndarray  # phase code of each event code (-1 for non-states)
    terminal: np.ndarray  # bool by event code
    cur_phase: np.ndarray  # phase of the state after each row
    prev_phase: np.ndarray  # phase of the state before each entry (-1: none)
    birth: np.ndarray | None = None  # by case id: the day of birth (None: not in the log)
    # by ``applies_to`` key (placement, legal_status, plan, disabled): each case's value, as an
    # index into the words of ``spec.children`` (disabled: 1); only what the run drew
    traits: Mapping[str, np.ndarray] | None = None

    @classmethod
    def of(cls, log: EventLog, book: Codebook, *, release: bool = False) -> Stream:
        """Select and order the rows of ``log`` that standards see.

        ``release``: let go of the log's columns once they are read (see ``measure``).
        """
        kind = log["kind"]
        # row numbers as int32 (a log has fewer than 2**31 rows): half the memory of int64
        keep = np.flatnonzero(
            (kind == Kind.ENTER) | (kind == Kind.TASK) | (kind == Kind.MARK)
        ).astype(np.int32)
        order = keep[np.argsort(log["case"][keep], kind="stable")]
        del keep
        case = log["case"][order].astype(np.int32, copy=False)
        day = log["day"][order].astype(np.int32, copy=False)
        event = log["event"][order].astype(np.int32)
        enter = kind[order] == Kind.ENTER
        del order, kind
        if release:
            log.release(*log.columns)
        n = len(case)
        first = np.ones(n, dtype=bool)
        first[1:] = case[1:] != case[:-1]
        last_entry = np.where(enter, np.arange(n, dtype=np.int32), np.int32(0))
        np.maximum.accumulate(last_entry, out=last_entry)
        cur = event[last_entry]
        del last_entry
        prev = np.empty(n, dtype=np.int32)
        prev[0] = -1
        prev[1:] = cur[:-1]
        prev[first] = -1
        workflow = book.workflow
        phase = np.full(len(book.names), -1, dtype=np.int32)
        terminal = np.zeros(len(book.names), dtype=bool)
        for state in workflow.states.values():
            code = book.code(state.id)
            phase[code] = book.code(state.phase)
            terminal[code] = state.terminal
        cur_phase = phase[cur]
        prev_phase = np.where(prev >= 0, phase[np.maximum(prev, 0)], np.int32(-1)).astype(np.int32)
        birth = log.cases.get("birth")
        return cls(
            book,
            case,
            day,
            event,
            enter,
            cur,
            prev,
            first,
            phase,
            terminal,
            cur_phase,
            prev_phase,
            None if birth is None else birth.astype(np.int64),
            {k: v for k, v in log.cases.items() if k in _ATTRIBUTE_WORDS},
        )

    def pieces(self, rows: int) -> list[Stream]:
        """The stream cut into pieces of about ``rows`` rows, at cases' first rows.

        Each piece is a stream of its own (views on this one's columns, nothing copied) holding
        whole cases, so what is worked out case by case comes out the same on the pieces as on
        the whole, with a piece's working arrays instead of the whole stream's.
        """
        n = len(self.case)
        if n <= rows:
            return [self]
        starts = np.flatnonzero(self.first)
        at = np.searchsorted(starts, np.arange(rows, n, rows))
        edges = [0, *np.unique(starts[at[at < len(starts)]]).tolist(), n]
        return [self.piece(a, b) for a, b in itertools.pairwise(edges) if b > a]

    def piece(self, start: int, stop: int) -> Stream:
        """Rows ``start:stop`` (whole cases) as a stream of their own (views)."""
        return replace(
            self,
            case=self.case[start:stop],
            day=self.day[start:stop],
            event=self.event[start:stop],
            enter=self.enter[start:stop],
            cur=self.cur[start:stop],
            prev=self.prev[start:stop],
            first=self.first[start:stop],
            cur_phase=self.cur_phase[start:stop],
            prev_phase=self.prev_phase[start:stop],
        )

    @functools.cached_property
    def day_starts(self) -> np.ndarray:
        """The first row of each run of rows of one case on one day, in order."""
        new_day = self.first.copy()
        new_day[1:] |= self.day[1:] != self.day[:-1]
        return np.flatnonzero(new_day)

    def day_start(self, rows: np.ndarray) -> np.ndarray:
        """For each row, the first row of its case on its day."""
        starts = self.day_starts
        found: np.ndarray = starts[np.searchsorted(starts, rows, side="right") - 1]
        return found

    def day_end(self, rows: np.ndarray) -> np.ndarray:
        """For each row, one past the last row of its case on its day."""
        starts = self.day_starts
        following = np.searchsorted(starts, rows, side="right")
        found: np.ndarray = np.where(
            following < len(starts),
            starts[np.minimum(following, max(len(starts) - 1, 0))] if len(starts) else 0,
            len(self.case),
        )
        return found

    def occurrences(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(flat positions, state for scope checks) of event ``name``, in order.

        A row's flat position is 4 × row + sub: tracking flattens an entry into exit:old (0),
        exit:old-phase (1), new-phase (2), new state (3); tasks and milestones are sub 3.
        """
        workflow, book = self.book.workflow, self.book
        if name in workflow.states:
            rows = np.flatnonzero(self.enter & (self.event == book.code(name)))
            return 4 * rows + 3, self.event[rows]
        if name.startswith("exit:") and name[5:] in workflow.states:
            rows = np.flatnonzero(self.enter & (self.prev == book.code(name[5:])))
            return 4 * rows, self.prev[rows]
        if name.startswith("exit:") and name[5:] in workflow.phases:
            code = book.code(name[5:])
            rows = np.flatnonzero(self.enter & (self.prev_phase == code) & (self.cur_phase != code))
            return 4 * rows + 1, self.prev[rows]
        if name in workflow.phases:
            code = book.code(name)
            rows = np.flatnonzero(self.enter & (self.cur_phase == code) & (self.prev_phase != code))
            return 4 * rows + 2, self.event[rows]
        code = book.code(name)
        if code < 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        rows = np.flatnonzero(~self.enter & (self.event == code))
        return 4 * rows + 3, self.cur[rows]

    def scope_mask(self, names: Sequence[str] | None) -> np.ndarray | None:
        """Bool by event code: the states a ``while`` scope names (None: no scope)."""
        if names is None:
            return None
        mask = np.zeros(len(self.book.names), dtype=bool)
        for state in self.book.workflow.expand_scope(tuple(names)):
            mask[self.book.code(state)] = True
        return mask

    def case_end(self, rows: np.ndarray) -> np.ndarray:
        """One past the last row of the case of each of ``rows``."""
        starts = np.flatnonzero(self.first)
        following = np.searchsorted(starts, rows, side="right")
        return np.where(
            following < len(starts), starts[np.minimum(following, len(starts) - 1)], len(self.case)
        )

    def stretches(self, scope: np.ndarray) -> Table:
        """Maximal stretches inside a scope: case, start/end day, start/end row (end -1: open)."""
        entries = np.flatnonzero(self.enter)
        inside = scope[self.event[entries]]
        first = self.first[entries]
        before = np.concatenate(([False], inside[:-1]))
        starts = np.flatnonzero(inside & (first | ~before))
        outs = np.flatnonzero(~inside)
        nxt = np.searchsorted(outs, starts, side="right")
        has = nxt < len(outs)
        end_entry = (
            outs[np.minimum(nxt, len(outs) - 1)]
            if len(outs)
            else np.zeros(len(starts), dtype=np.int64)
        )
        start_row = entries[starts]
        case = self.case[start_row]
        end_row = entries[end_entry] if len(entries) else end_entry
        closed = has & (self.case[end_row] == case) if len(outs) else has
        end_row = np.where(closed, end_row, -1)
        return {
            "case": case,
            "start_row": start_row,
            "start": self.day[start_row].astype(np.int64),
            "end_row": end_row,
            "end": np.where(closed, self.day[np.maximum(end_row, 0)], NONE).astype(np.int64),
            "limit_row": np.where(closed, end_row, self.case_end(start_row)),
        }


def _same_case(
    stream: Stream, positions: np.ndarray, index: np.ndarray, case: np.ndarray
) -> np.ndarray:
    """Whether ``positions[index]`` exists and belongs to ``case`` (index may be out of range)."""
    ok = index < len(positions)
    safe = np.minimum(index, max(len(positions) - 1, 0))
    if len(positions) == 0:
        return np.zeros(len(index), dtype=bool)
    same: np.ndarray = ok & (stream.case[positions[safe] // 4] == case)
    return same


def _rank_in_case(case: np.ndarray) -> np.ndarray:
    """1-based rank of each element among those of its case (``case`` sorted)."""
    n = len(case)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.ones(n, dtype=bool)
    first[1:] = case[1:] != case[:-1]
    starts = np.flatnonzero(first)
    rank: np.ndarray = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n))) + 1
    return rank


# --- standards -----------------------------------------------------------------------------------


def _late_units(book: Codebook, due: np.ndarray, stop: np.ndarray, unit: Unit) -> np.ndarray:
    if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
        return book.grid.working_days_between(due, stop, unit).astype(float)
    rounded: np.ndarray = np.round((stop - due) / _UNIT_DAYS[unit], 2)
    return rounded


def _instances(
    book: Codebook,
    index: int,
    case: np.ndarray,
    occurrence: np.ndarray,
    opened: np.ndarray,
    due: np.ndarray,
    done: np.ndarray,
    outcome: np.ndarray,
    stop: np.ndarray,
    unit: Unit | np.ndarray,
) -> Table:
    """An instance table; lateness for breaches measured to ``stop``."""
    breached = (outcome == LATE) | (outcome == MISSED)
    late_days = np.where(breached, stop - due, 0)
    if isinstance(unit, Unit):
        late_units = np.where(breached, _late_units(book, due, stop, unit), 0.0)
    else:
        late_units = np.zeros(len(due))
        for value in np.unique(unit):
            pick = (unit == value) & breached
            late_units[pick] = _late_units(book, due[pick], stop[pick], Unit(_UNITS[value]))
    return {
        "standard": np.full(len(case), index, dtype=np.int64),
        "case": case,
        "occurrence": occurrence,
        "opened": opened,
        "due": due,
        "done": done,
        "outcome": outcome,
        "late_days": late_days,
        "late_units": late_units,
    }


_UNITS = tuple(Unit)


def _deadline(stream: Stream, index: int, spec: DeadlineSpec) -> Table:
    book = stream.book
    a_pos, a_check = stream.occurrences(spec.from_)
    scope = stream.scope_mask(spec.while_)
    if scope is not None:
        keep = scope[a_check]
        a_pos = a_pos[keep]
    if spec.with_total is not None:  # only where the total time was reached by `from`
        a_pos = a_pos[_with_total(stream, spec.with_total, a_pos)]
    b_pos, _ = stream.occurrences(spec.to)
    leaving = stream.terminal[stream.event]
    if scope is not None:
        leaving |= ~scope[stream.event]
    l_pos = 4 * np.flatnonzero(leaving & stream.enter) + 3
    a_row = a_pos // 4
    case = stream.case[a_row]
    opened = stream.day[a_row].astype(np.int64)
    due = book.grid.add(opened, spec.within)
    if spec.extension is not None:  # lengthened once by an extension made by the due date
        e_pos, _ = stream.occurrences(spec.extension.event)
        ie = np.searchsorted(e_pos, a_pos, side="right")
        has_e = _same_case(stream, e_pos, ie, case)
        if len(e_pos):
            e_day = stream.day[e_pos[np.minimum(ie, len(e_pos) - 1)] // 4].astype(np.int64)
            extended = has_e & (e_day <= due)
            due = np.where(extended, book.grid.add(due, spec.extension.by), due)
    if spec.before_first is not None:  # also by the next `before_first` after `from`, if sooner
        x_pos, _ = stream.occurrences(spec.before_first)
        ix = np.searchsorted(x_pos, a_pos, side="right")
        has_x = _same_case(stream, x_pos, ix, case)
        if len(x_pos):
            x_day = stream.day[x_pos[np.minimum(ix, len(x_pos) - 1)] // 4].astype(np.int64)
            due = np.where(has_x, np.minimum(due, x_day), due)
    ib = np.searchsorted(b_pos, a_pos, side="right")
    il = np.searchsorted(l_pos, a_pos, side="right")
    has_l = _same_case(stream, l_pos, il, case)
    l_at = np.where(has_l, l_pos[np.minimum(il, max(len(l_pos) - 1, 0))] if len(l_pos) else 0, 0)
    if spec.ends_on is not None:  # the obligation ends on this event (a move): as leaving ...
        # ... but only on a day after `from`'s: as tracking, one that day ends nothing, in
        # whichever order the rows list them (records carry dates, not times).
        o_pos, _ = stream.occurrences(spec.ends_on)
        io = np.searchsorted(o_pos, 4 * stream.day_end(a_row), side="left")
        has_o = _same_case(stream, o_pos, io, case)
        if len(o_pos):
            o_at = o_pos[np.minimum(io, len(o_pos) - 1)]
            sooner = has_o & (~has_l | (o_at < l_at))
            l_at = np.where(sooner, o_at, l_at)
            has_l = has_l | has_o
    l_day = stream.day[l_at // 4].astype(np.int64)
    end = book.end

    def by_the(k: int) -> tuple[np.ndarray, ...]:
        """Outcome, done, stop, met and where it stopped, when the k-th `to` after `from` meets it."""
        ik = ib + (k - 1)
        has_b = _same_case(stream, b_pos, ik, case)
        b_at = np.where(
            has_b, b_pos[np.minimum(ik, max(len(b_pos) - 1, 0))] if len(b_pos) else 0, 0
        )
        met = has_b & (~has_l | (b_at <= l_at))
        left = ~met & has_l
        b_day = stream.day[b_at // 4].astype(np.int64)
        outcome = np.where(
            met,
            np.where(b_day <= due, MET, LATE),
            np.where(
                left,
                np.where((l_day <= due) | spec.conditional, WITHDRAWN, MISSED),
                np.where(end > due, MISSED, PENDING),
            ),
        )
        done = np.where(met, b_day, NONE)
        stop = np.where(met, b_day, np.where(left, l_day, end))
        stopped = np.where(met, b_at, np.where(left, l_at, a_pos))
        return outcome, done, stop, stopped

    # `nth`: met by the nth `to` after `from`; the occurrence stops there (or on leaving).
    outcome, done, stop, stopped = by_the(spec.nth)
    if spec.or_before and len(a_pos) and len(b_pos):
        # A window ("before …, or within N after"): a `to` before `from` that came after the
        # previous occurrence stopped (its nth `to`, or leaving the scope) counts as the first.
        first = np.concatenate(([True], case[1:] != case[:-1]))
        floor = np.where(first, -1, np.concatenate(([-1], stopped[:-1])))
        ic = ib - 1
        has_c = (ic >= 0) & _same_case(stream, b_pos, np.maximum(ic, 0), case)
        c_at = b_pos[np.maximum(ic, 0)]
        early = has_c & (c_at > floor)
        c_day = stream.day[c_at // 4].astype(np.int64)
        if spec.nth == 1:
            outcome = np.where(early, MET, outcome)
            done = np.where(early, c_day, done)
            stop = np.where(early, c_day, stop)
        else:  # then the (nth - 1)th after `from` meets it
            e_outcome, e_done, e_stop, _ = by_the(spec.nth - 1)
            outcome = np.where(early, e_outcome, outcome)
            done = np.where(early, e_done, done)
            stop = np.where(early, e_stop, stop)
    return _instances(
        book, index, case, _rank_in_case(case), opened, due, done, outcome, stop, spec.within.unit
    )


def _with_total(stream: Stream, total: TotalTimeSpec, a_pos: np.ndarray) -> np.ndarray:
    """Whether each ``from`` finds the case in ``total.in`` with ``total.of`` there by that day.

    As tracking (``schedule.total_by``): days in the scope's stretches since the last
    ``total.since`` before ``from`` (a birthday, from each case's day of birth where the log has
    them), up to ``from``'s day, which must itself be in a stretch.
    """
    rows = a_pos // 4
    case = stream.case[rows]
    day = stream.day[rows].astype(np.int64)
    since = np.full(len(rows), np.iinfo(np.int32).min, dtype=np.int64)  # the record's start
    if total.since is not None:
        if stream.birth is not None and is_age_event(total.since):
            years = int(total.since.split(":")[1])
            since = schedule.at_age(stream.book.grid.origin, stream.birth[case], years)
        else:
            s_pos, _ = stream.occurrences(total.since)
            i = np.searchsorted(s_pos, a_pos, side="left") - 1
            found = (i >= 0) & _same_case(stream, s_pos, np.maximum(i, 0), case)
            if len(s_pos):
                s_day = stream.day[s_pos[np.maximum(i, 0)] // 4].astype(np.int64)
                since = np.where(found, s_day, since)
    mask = stream.scope_mask(total.in_)
    assert mask is not None
    st = stream.stretches(mask)
    starts = st["start"]
    ends = np.where(st["end"] == NONE, np.iinfo(np.int32).max, st["end"])
    lo = np.searchsorted(st["case"], case, side="left")
    hi = np.searchsorted(st["case"], case, side="right")
    keep = np.zeros(len(rows), dtype=bool)
    for k in range(len(rows)):  # one `from` a child at most (a birthday): few
        d, s = int(day[k]), int(since[k])
        inside = bool(np.any((starts[lo[k] : hi[k]] <= d) & (d < ends[lo[k] : hi[k]])))
        spent = np.maximum(
            0,
            np.minimum(ends[lo[k] : hi[k]], d) - np.maximum(starts[lo[k] : hi[k]], s),
        ).sum()
        keep[k] = inside and int(spent) >= total.days
    return keep


def _lead_time(stream: Stream, index: int, spec: LeadTimeSpec) -> Table:
    book = stream.book
    a_pos, _ = stream.occurrences(spec.from_)
    # As tracking: a `from` on the day of a `to` counts as before it, whatever the rows' order
    # that day; so each `from` is placed just before the first row of its case and day, ahead of
    # any `to` there, on positions doubled to make room (8 × row - 1, between the row before's
    # last position and the row's first). The first row stands for the `from`'s: same case, day.
    a_row = stream.day_start(a_pos // 4)
    a_pos = 8 * a_row - 1
    b_pos, _ = stream.occurrences(spec.to)
    b_row = b_pos // 4
    case = stream.case[b_row]
    b_day = stream.day[b_row].astype(np.int64)
    previous = np.concatenate(([-1], 2 * b_pos[:-1]))
    same = np.concatenate(([False], case[1:] == case[:-1]))
    floor = np.where(same, previous, -1)
    ia = np.searchsorted(a_pos, 2 * b_pos, side="left") - 1
    safe = np.maximum(ia, 0)
    found = (ia >= 0) & (len(a_pos) > 0)
    if len(a_pos):
        found &= (stream.case[a_row[safe]] == case) & (a_pos[safe] > floor)
    a_day = (
        stream.day[a_row[safe]].astype(np.int64)
        if len(a_pos)
        else np.zeros(len(b_pos), dtype=np.int64)
    )
    due = book.grid.subtract(b_day, spec.at_least)
    done = np.where(found, a_day, NONE)
    outcome = np.where(found, np.where(a_day <= due, MET, LATE), MISSED)
    opened = np.where(found, np.minimum(due, a_day), due)
    stop = np.where(found, a_day, b_day)
    return _instances(
        book,
        index,
        case,
        _rank_in_case(case),
        opened,
        due,
        done,
        outcome,
        stop,
        spec.at_least.unit,
    )


def _max_duration(stream: Stream, index: int, spec: MaxDurationSpec) -> Table:
    book = stream.book
    scope = stream.scope_mask(spec.while_)
    assert scope is not None
    st = stream.stretches(scope)
    due = book.grid.add(st["start"], spec.within)
    closed = st["end_row"] >= 0
    end = book.end
    outcome = np.where(
        closed, np.where(st["end"] <= due, MET, LATE), np.where(end > due, MISSED, PENDING)
    )
    done = np.where(closed, st["end"], NONE)
    stop = np.where(closed, st["end"], end)
    return _instances(
        book,
        index,
        st["case"],
        _rank_in_case(st["case"]),
        st["start"],
        due,
        done,
        outcome,
        stop,
        spec.within.unit,
    )


def _recurring(stream: Stream, index: int, spec: RecurringSpec) -> Table:
    """Recurring instances: the common case vectorised, stretches with misses one by one."""
    book, grid = stream.book, stream.book.grid
    scope = stream.scope_mask(spec.while_)
    assert scope is not None
    st = stream.stretches(scope)
    if spec.restart_on is not None:
        st = _restarted(stream, st, spec.restart_on)
    if spec.pause is not None:
        st = _paused(stream, st, spec.pause)
    st = _stretches_for(stream, spec.applies_to, st)
    a_pos, _ = stream.occurrences(spec.to)
    a_row = a_pos // 4
    lo = np.searchsorted(a_row, st["start_row"], side="right")
    hi = np.searchsorted(a_row, st["limit_row"], side="left")
    count = hi - lo
    n_st = len(st["case"])
    stretch_of = np.repeat(np.arange(n_st), count)
    k = np.arange(len(stretch_of))
    j = k - np.repeat(np.cumsum(count) - count, count)  # index of the activity in its stretch
    act_day = (
        stream.day[a_row[np.repeat(lo, count) + j]].astype(np.int64)
        if len(k)
        else np.zeros(0, dtype=np.int64)
    )
    start = st["start"][stretch_of]
    anchor = np.where(j == 0, start, np.concatenate(([0], act_day[:-1])))
    seen = _first_seen(stream, st, schedule.watched(spec))
    recounted = schedule.recounted(spec)
    interval_unit = np.empty(len(k), dtype=np.int64)
    due = _recurring_due(
        grid,
        spec,
        anchor,
        j,
        start,
        interval_unit,
        {e: d[stretch_of] for e, d in seen.items()},
        _last_by(stream, st, stretch_of, anchor, recounted),
    )
    slack = grid.add(due, spec.every)
    ok_act = act_day <= slack
    # tail: what is owed after the last activity (or the entry) until the stretch ends
    last_anchor = st["start"].copy()
    has_act = count > 0
    if len(k):
        last_index = np.cumsum(count) - 1
        last_anchor[has_act] = act_day[last_index[has_act]]
    tail_unit = np.empty(n_st, dtype=np.int64)
    tail_due = _recurring_due(
        grid,
        spec,
        last_anchor,
        count,
        st["start"],
        tail_unit,
        seen,
        _last_by(stream, st, np.arange(n_st), last_anchor, recounted),
    )
    open_ = st["end_row"] < 0
    stop = np.where(open_, book.end, st["end"])
    tail_ok = tail_due >= stop
    bad_act = np.zeros(n_st, dtype=bool)
    np.logical_or.at(bad_act, stretch_of, ~ok_act)
    fast = tail_ok & ~bad_act
    # fast stretches: one instance per activity, plus a pending one if still open
    pick = fast[stretch_of]
    fast_tables = {
        "stretch": stretch_of[pick],
        "j": j[pick],
        "opened": anchor[pick],
        "due": due[pick],
        "done": act_day[pick],
        "outcome": np.where(act_day[pick] <= due[pick], MET, LATE),
        "stop": act_day[pick],
        "unit": interval_unit[pick],
    }
    pend = fast & open_
    pend_tables = {
        "stretch": np.flatnonzero(pend),
        "j": count[pend],
        "opened": last_anchor[pend],
        "due": tail_due[pend],
        "done": np.full(int(pend.sum()), NONE, dtype=np.int64),
        "outcome": np.full(int(pend.sum()), PENDING, dtype=np.int64),
        "stop": tail_due[pend],
        "unit": tail_unit[pend],
    }
    which = np.flatnonzero(~fast)
    histories = _histories(stream, st, which, recounted)
    slow = _recurring_slow(book, spec, st, which, lo, hi, a_row, stream.day, seen, histories)
    # Joined and put in order one column at a time, each part's column let go as it is joined
    # (a national year's visits are millions of instances: whole tables side by side would
    # need several copies at once).
    parts = [fast_tables, pend_tables, slow]
    del fast_tables, pend_tables, slow
    order = np.lexsort(
        (
            np.concatenate([p["j"] for p in parts]),
            np.concatenate([p["stretch"] for p in parts]),
        )
    )
    merged = {}
    for key in list(parts[0]):
        merged[key] = np.concatenate([p.pop(key) for p in parts])[order]
    del parts, order
    case = st["case"][merged["stretch"]]
    return _instances(
        book,
        index,
        case,
        _rank_in_case(case),
        merged["opened"],
        merged["due"],
        merged["done"],
        merged["outcome"],
        merged["stop"],
        merged["unit"],
    )


def _restarted(stream: Stream, st: Table, event: str) -> Table:
    """Stretches cut at each ``event`` row inside them (tracking's ``_restarted``)."""
    r_pos, _ = stream.occurrences(event)
    cuts = r_pos // 4
    if not len(cuts) or not len(st["case"]):
        return st
    lo = np.searchsorted(cuts, st["start_row"], side="right")
    hi = np.searchsorted(cuts, st["limit_row"], side="left")
    pieces = hi - lo + 1
    which = np.repeat(np.arange(len(st["case"])), pieces)
    k = np.arange(len(which)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    last = k == pieces[which] - 1
    cut_start = cuts[np.minimum(np.repeat(lo, pieces) + k - 1, len(cuts) - 1)]
    cut_end = cuts[np.minimum(np.repeat(lo, pieces) + k, len(cuts) - 1)]
    start_row = np.where(k == 0, st["start_row"][which], cut_start)
    end_row = np.where(last, st["end_row"][which], cut_end)
    day = stream.day
    return {
        "case": st["case"][which],
        "start_row": start_row,
        "start": np.where(k == 0, st["start"][which], day[start_row]).astype(np.int64),
        "end_row": end_row,
        "end": np.where(last, st["end"][which], day[np.maximum(end_row, 0)]).astype(np.int64),
        "limit_row": np.where(last, st["limit_row"][which], cut_end),
    }


def _paused(stream: Stream, st: Table, pause: PauseSpec) -> Table:
    """Stretches less the spells paused (tracking's ``_paused``), one case with a pause at a time.

    Only cases with ``pause.event`` in ``pause.in`` change (the simulation generates none).
    """
    mask = stream.scope_mask(pause.in_)
    assert mask is not None
    p_pos, p_cur = stream.occurrences(pause.event)
    rows = (p_pos // 4)[mask[p_cur]]
    if not len(rows) or not len(st["case"]):
        return st
    starts = np.flatnonzero(stream.first)
    spells: dict[int, list[tuple[int, int, int | None, int | None]]] = {}
    for row in rows.tolist():
        case = int(stream.case[row])
        if case not in spells:
            lo = int(starts[np.searchsorted(starts, row, side="right") - 1])
            hi = int(stream.case_end(np.asarray([row]))[0])
            spells[case] = _pause_spells(stream, pause, mask, lo, hi)
    touched = np.flatnonzero(np.isin(st["case"], [c for c, found in spells.items() if found]))
    if not len(touched):
        return st
    day = stream.day
    keep = np.ones(len(st["case"]), dtype=bool)
    keep[touched] = False
    pieces: dict[str, list[int]] = {key: [] for key in st}

    def piece(case: int, start_row: int, end_row: int, end: int, limit_row: int) -> None:
        for key, value in (
            ("case", case),
            ("start_row", start_row),
            ("start", int(day[start_row])),
            ("end_row", end_row),
            ("end", end),
            ("limit_row", limit_row),
        ):
            pieces[key].append(value)

    for s in touched.tolist():
        case = int(st["case"][s])
        a, b = int(st["start_row"][s]), int(st["limit_row"][s])
        start_row, active = a, True
        for first, p, _, q in spells[case]:
            if q is not None and q <= a:
                continue  # over before the stretch began
            if p > b:
                break
            if active and p > a:
                piece(case, start_row, p, first, p)
            if q is None or q >= b:
                active = False
                break
            start_row, active = q, True
        if active:
            piece(case, start_row, int(st["end_row"][s]), int(st["end"][s]), b)
    merged = {
        key: np.concatenate([st[key][keep], np.asarray(pieces[key], dtype=st[key].dtype)])
        for key in st
    }
    order = np.lexsort((merged["start_row"], merged["case"]))
    return {key: values[order] for key, values in merged.items()}


def _pause_spells(
    stream: Stream, pause: PauseSpec, mask: np.ndarray, lo: int, hi: int
) -> list[tuple[int, int, int | None, int | None]]:
    """The spells rows ``lo`` to ``hi`` (one case) spend paused, as tracking finds them.

    ``schedule.pause_spells`` on the day grid: each (first day, row, day it ended, row there);
    ended None: still paused at the end.
    """
    book = stream.book
    event, enter = stream.event[lo:hi], stream.enter[lo:hi]
    inside = mask[event] & ~stream.terminal[event]
    kinds = np.full(hi - lo, schedule.PAUSE_OTHER, dtype=np.int64)
    kinds[~enter & (event == book.code(pause.event))] = schedule.PAUSE_EVENT
    if pause.until is not None:
        kinds[~enter & (event == book.code(pause.until))] = schedule.PAUSE_UNTIL
    kinds[enter] = np.where(inside[enter], schedule.PAUSE_IN, schedule.PAUSE_OUT)
    after = pause.after
    shift = None if after is None else book.grid.shifter(after.unit)

    def starts(counted: int, seen: int) -> int:  # schedule.pause_start, on the day grid
        return seen if shift is None or after is None else max(seen, shift(counted, after.value))

    found = schedule.pause_spells(
        [int(d) for d in stream.day[lo:hi]], kinds.tolist(), starts, int(book.end)
    )
    return [(first, lo + p, ended, None if q is None else lo + q) for first, p, ended, q in found]


def _first_seen(stream: Stream, st: Table, events: Sequence[str]) -> dict[str, np.ndarray]:
    """Per stretch, the day each of ``events`` first happens inside it (``schedule.NEVER``: not)."""
    out: dict[str, np.ndarray] = {}
    for event in events:
        e_pos, _ = stream.occurrences(event)
        e_row = e_pos // 4
        if not len(e_row):
            out[event] = np.full(len(st["case"]), schedule.NEVER, dtype=np.int64)
            continue
        first = np.searchsorted(e_row, st["start_row"], side="right")
        row = e_row[np.minimum(first, len(e_row) - 1)]
        inside = (first < len(e_row)) & (row < st["limit_row"])
        out[event] = np.where(inside, stream.day[row].astype(np.int64), schedule.NEVER)
    return out


def _last_by(
    stream: Stream, st: Table, which: np.ndarray, anchor: np.ndarray, events: Sequence[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per occurrence, where and when each of ``events`` last happened in its stretch by ``anchor``.

    The occurrence is in stretch ``which``, the last on ``anchor``; each event's flat position and
    day (``schedule.LONG_AGO`` both: none on or before it), for a step with ``since``
    (``schedule.grid_due``'s ``last``). A case's rows are in order of day, so a key of case and
    day finds the last on or before ``anchor`` in one search.
    """
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    case = st["case"][which].astype(np.int64)
    start_row, limit_row = st["start_row"][which], st["limit_row"][which]
    for event in events:
        e_pos = stream.occurrences(event)[0].astype(np.int64)
        e_row = e_pos // 4
        if not len(e_row) or not len(which):
            none = np.full(len(which), schedule.LONG_AGO, dtype=np.int64)
            out[event] = (none, none.copy())
            continue
        e_day = stream.day[e_row].astype(np.int64)
        low = int(e_day.min())
        span = int(e_day.max()) - low + 1
        key = stream.case[e_row].astype(np.int64) * span + (e_day - low)
        target = case * span + np.clip(anchor.astype(np.int64) - low, -1, span - 1)
        at = np.searchsorted(key, target, side="right") - 1
        at = np.minimum(at, np.searchsorted(e_row, limit_row, side="left") - 1)
        inside = at >= np.searchsorted(e_row, start_row, side="right")
        at = np.maximum(at, 0)
        out[event] = (
            np.where(inside, e_pos[at], schedule.LONG_AGO),
            np.where(inside, e_day[at], schedule.LONG_AGO),
        )
    return out


def _histories(
    stream: Stream, st: Table, which: np.ndarray, events: Sequence[str]
) -> dict[int, list[tuple[str, int]]]:
    """For stretches ``which``, each of ``events`` inside each, (name, day), in order."""
    found: dict[int, list[tuple[int, str, int]]] = {int(s): [] for s in which.tolist()}
    for event in events:
        e_pos = stream.occurrences(event)[0]
        e_row = e_pos // 4
        lo = np.searchsorted(e_row, st["start_row"][which], side="right")
        hi = np.searchsorted(e_row, st["limit_row"][which], side="left")
        for s, a, b in zip(which.tolist(), lo.tolist(), hi.tolist(), strict=True):
            found[s] += [(int(p), event, int(stream.day[p // 4])) for p in e_pos[a:b].tolist()]
    return {s: [(name, day) for _, name, day in sorted(rows)] for s, rows in found.items()}


def _recurring_due(
    grid: object,
    spec: RecurringSpec,
    anchor: np.ndarray,
    done: np.ndarray,
    entered: np.ndarray,
    unit_out: np.ndarray,
    seen: Mapping[str, np.ndarray],
    last: Mapping[str, tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Due days after ``done`` occurrences, the last on ``anchor`` (``schedule.grid_due``)."""
    from casejourney.calendar import DayGrid

    assert isinstance(grid, DayGrid)
    due, index = schedule.grid_due(grid, spec, anchor, done, entered, seen, last)
    units = np.array([_UNITS.index(d.unit) for d in schedule.steps(spec)], dtype=np.int64)
    unit_out[:] = units[index]
    return due


def _recurring_slow(
    book: Codebook,
    spec: RecurringSpec,
    st: Table,
    which: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    a_row: np.ndarray,
    day: np.ndarray,
    seen: Mapping[str, np.ndarray],
    histories: Mapping[int, Sequence[tuple[str, int]]],
) -> Table:
    """Tracking's loop, one stretch at a time, for stretches where something was missed.

    ``histories``: per stretch, the ``recounted`` events in it, (name, day) in order (a step
    with ``since``, ``schedule.since_switched``).
    """
    grid = book.grid
    # The schedule's meaning is schedule.step_index's; here it runs on the day grid's shifters.
    compiled = [(grid.shifter(d.unit), d.value, _UNITS.index(d.unit)) for d in schedule.steps(spec)]
    every = compiled[schedule.EVERY]
    # A time step's switch day is `after` from entry; an event's, the event's first day.
    afters = [
        (grid.shifter(step.after.unit), step.after.value) if step.after is not None else None
        for step in spec.then
    ]
    seen_lists = {event: days.tolist() for event, days in seen.items()}

    def shift(day: int, duration: Duration) -> int:
        return int(grid.shifter(duration.unit)(day, duration.value))

    slack_shift, slack_n = every[0], every[1]
    end = book.end
    # Rows packed as int64s as they are found (a list of tuples takes ~4 times the memory: a
    # national year's missed visits are millions of rows).
    out = array("q")
    add = out.extend
    starts, ends, end_rows = st["start"].tolist(), st["end"].tolist(), st["end_row"].tolist()
    los, his, rows, days = lo.tolist(), hi.tolist(), a_row.tolist(), day
    for s in which.tolist():
        entered = starts[s]
        open_ = end_rows[s] < 0
        stop = end if open_ else ends[s]
        # A step switches on the latest of its time and its events (a time and an event: both).
        thresholds: list[int | None] = []
        for after, change in zip(afters, spec.then, strict=True):
            if change.since is not None:
                thresholds.append(None)  # counted from the last `since`: schedule.since_switched
                continue
            switch_days = [seen_lists[event][s] for event in change.events]
            if after is not None:
                switch_days.append(after[0](entered, after[1]))
            thresholds.append(max(switch_days))
        anchor, done_count, j = entered, 0, 0
        acts: list[int | None] = [int(days[r]) for r in rows[los[s] : his[s]]]
        acts.append(None)
        for act in acts:
            while True:
                reached = [
                    schedule.since_switched(change, entered, anchor, histories[s], shift)
                    if threshold is None
                    else threshold <= anchor
                    for threshold, change in zip(thresholds, spec.then, strict=True)
                ]
                step = compiled[schedule.step_index(spec, done_count, reached)]
                due = step[0](anchor, step[1])
                slack = slack_shift(due, slack_n)
                if act is not None and act <= slack:
                    add((s, j, anchor, due, act, MET if act <= due else LATE, act, step[2]))
                    j += 1
                    break
                if act is None and due >= stop:
                    if open_:
                        add((s, j, anchor, due, NONE, PENDING, due, step[2]))
                        j += 1
                    break
                add((s, j, anchor, due, NONE, MISSED, stop if stop < slack else slack, step[2]))
                j += 1
                anchor, done_count = due, done_count + 1
                if act is None and anchor >= stop:
                    break
            if act is not None:
                anchor, done_count = act, done_count + 1
    keys = ("stretch", "j", "opened", "due", "done", "outcome", "stop", "unit")
    if not out:
        return {k: np.zeros(0, dtype=np.int64) for k in keys}
    found = np.frombuffer(out, dtype=np.int64).reshape(-1, len(keys))
    return {k: found[:, i] for i, k in enumerate(keys)}


def _measured(book: Codebook, standard: Standard) -> bool:
    """Whether a run's records can judge this standard.

    Not a worker's or a household's, nor a conditional lead time, nor one the run did not follow
    (``not_simulated``: owed to children by an attribute the run did not draw).
    """
    return not standard.spec.outside_simulation and standard.id not in book.not_simulated


def instances(
    log: EventLog,
    book: Codebook,
    standards: Iterable[str] | None = None,
    stream: Stream | None = None,
) -> Table:
    """Every standard instance in the log, as ``tracking.track`` would find them case by case.

    Columns: standard (index into the workflow's standards), case, occurrence, opened, due, done
    (``NONE`` if never), outcome (index into :data:`OUTCOMES`), late_days, late_units.
    """
    stream = stream or Stream.of(log, book)
    wanted = set(standards) if standards is not None else None
    every = book.workflow.standards
    if wanted is not None:  # a standard superseding one asked for is needed to know where
        wanted |= {s.id for s in every.values() if s.spec.supersedes in wanted}
    found: dict[str, Table] = {}
    for index, standard in enumerate(every.values()):
        if (wanted is not None and standard.id not in wanted) or not _measured(book, standard):
            continue
        found[standard.id] = _standard_instances(stream, index, standard)
    for ident, table in found.items():
        older = every[ident].spec.supersedes
        if older is not None and older in found:
            found[older] = _without_superseded(found[older], table)
    parts = [
        table for ident, table in found.items() if standards is None or ident in set(standards)
    ]
    if not parts:
        return {key: np.zeros(0, dtype=np.int64) for key in _INSTANCE_KEYS}
    return {key: np.concatenate([p[key] for p in parts]) for key in _INSTANCE_KEYS}


def _without_superseded(older: Table, newer: Table) -> Table:
    """``older``'s occurrences less those ``newer`` (which supersedes it) opens for the same case.

    As ``tracking`` drops them: a child owed the newer rule on a day is not owed the older too.
    """
    span = np.int64(1) << 32
    taken = newer["case"].astype(np.int64) * span + newer["opened"].astype(np.int64)
    mine = older["case"].astype(np.int64) * span + older["opened"].astype(np.int64)
    keep = ~np.isin(mine, taken)
    return {key: values[keep] for key, values in older.items()}


_INSTANCE_KEYS = (
    "standard",
    "case",
    "occurrence",
    "opened",
    "due",
    "done",
    "outcome",
    "late_days",
    "late_units",
)


def _standard_instances(stream: Stream, index: int, standard: Standard) -> Table:
    spec = standard.spec
    if isinstance(spec, DeadlineSpec):
        table = _deadline(stream, index, spec)
    elif isinstance(spec, LeadTimeSpec):
        table = _lead_time(stream, index, spec)
    elif isinstance(spec, RecurringSpec):
        table = _recurring(stream, index, spec)
    else:
        assert isinstance(spec, MaxDurationSpec)
        table = _max_duration(stream, index, spec)
    table = _for_children(stream, spec.applies_to, table)
    effective = spec.effective
    if effective is None:
        return table
    # `effective`, as tracking: an occurrence counts only if it falls due in the period.
    grid, due = stream.book.grid, table["due"]
    keep = np.ones(len(due), dtype=bool)
    if effective.from_ is not None:
        keep &= due >= grid.day(effective.from_)
    if effective.until is not None:
        keep &= due < grid.day(effective.until)
    return {key: values[keep] for key, values in table.items()}


def _stretches_for(stream: Stream, band: AppliesToSpec | None, st: Table) -> Table:
    """The stretches in which some occurrence may be owed to the child (``_for_children``).

    Leaves out, before any instance is worked out, the children without the attributes asked for
    and the stretches the child spends wholly outside the age band (every occurrence opens from
    the stretch's start to its end, or the end of the run), so that a standard for a few
    children is not worked out, one missed occurrence at a time, for every other child.
    """
    if band is None or not len(st["case"]):
        return st
    case = st["case"]
    keep = np.ones(len(case), dtype=bool)
    if stream.birth is not None and (band.age_from is not None or band.age_under is not None):
        origin = stream.book.grid.origin
        birth = stream.birth[case]
        if band.age_under is not None:
            keep &= st["start"] < schedule.at_age(origin, birth, band.age_under)
        if band.age_from is not None:
            last = np.where(st["end"] == NONE, stream.book.end, st["end"])
            keep &= last >= schedule.at_age(origin, birth, band.age_from)
    keep &= _has_attributes(stream, band, case)
    return {key: values[keep] for key, values in st.items()}


def _has_attributes(stream: Stream, band: AppliesToSpec, case: np.ndarray) -> np.ndarray:
    """Whether each case was drawn with the placement, legal status, plan and disability asked."""
    keep = np.ones(len(case), dtype=bool)
    drawn = stream.traits or {}
    for name, words in _ATTRIBUTE_WORDS.items():
        asked = getattr(band, name)
        if asked is None:
            continue
        column = drawn.get(name)
        if column is None:
            keep[:] = False
            continue
        chosen = {asked} if isinstance(asked, bool) else set(asked)
        keep &= np.isin(column[case], [i for i, word in enumerate(words) if word in chosen])
    return keep


#: The values of each attribute ``applies_to`` may ask about, in the order the run numbers them.
_ATTRIBUTE_WORDS: dict[str, tuple[str | bool, ...]] = {
    "disabled": (False, True),
    "placement": PLACEMENTS,
    "legal_status": LEGAL_STATUSES,
    "plan": PLANS,
}


def _for_children(stream: Stream, band: AppliesToSpec | None, table: Table) -> Table:
    """The instances owed to the children ``band`` chooses, as tracking judges them.

    Age on the day each occurrence opens, from each case's day of birth in the log
    (``EventLog.cases``); a log without days of birth keeps every instance (tracking: an unknown
    age is in the band). Placement, legal status, plan and disability from what the run drew for
    each case; where the log does not say, the instance is not counted (tracking: a record that
    does not say is not counted against it).
    """
    if band is None:
        return table
    case = table["case"]
    keep = np.ones(len(case), dtype=bool)
    if stream.birth is not None and (band.age_from is not None or band.age_under is not None):
        origin = stream.book.grid.origin
        birth = stream.birth[case]
        opened = table["opened"]
        if band.age_from is not None:
            keep &= opened >= schedule.at_age(origin, birth, band.age_from)
        if band.age_under is not None:
            keep &= opened < schedule.at_age(origin, birth, band.age_under)
    keep &= _has_attributes(stream, band, case)
    return {key: values[keep] for key, values in table.items()}


# --- measures by week ----------------------------------------------------------------------------


@dataclass
class Measures:
    """One replication's measures in long form: (metric, subject, week, value) rows.

    ``week`` is the reported week (0-based); -1 for a figure over the whole reported period.
    """

    metric: list[str]
    subject: list[str]
    week: list[int]
    value: list[float]

    @classmethod
    def empty(cls) -> Measures:
        """No rows yet."""
        return cls([], [], [], [])

    def add(
        self,
        metric: str,
        subject: str,
        weeks: np.ndarray | Sequence[int],
        values: np.ndarray | Sequence[float],
    ) -> None:
        """Add a series (or one value with ``weeks=[-1]``)."""
        w = np.asarray(weeks, dtype=np.int64).tolist()
        v = np.asarray(values, dtype=float).tolist()
        self.metric += [metric] * len(w)
        self.subject += [subject] * len(w)
        self.week += w
        self.value += v

    def extend(self, other: Measures) -> None:
        """Add ``other``'s rows after these."""
        self.metric += other.metric
        self.subject += other.subject
        self.week += other.week
        self.value += other.value


def _by_week(book: Codebook, days: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Totals by reported week of the rows whose day falls in the window."""
    weeks = book.weeks
    week = book.week_of(days)
    inside = (week >= 0) & (week < weeks)
    return np.bincount(
        week[inside], weights=None if weights is None else weights[inside], minlength=weeks
    )[:weeks]


def _week_ends(book: Codebook) -> np.ndarray:
    """The last day of each reported week (snapshots count what is open at its end)."""
    return book.report_start + 7 * np.arange(book.weeks) + 6


def _open_at(starts: np.ndarray, ends: np.ndarray, moments: np.ndarray) -> np.ndarray:
    """How many of the intervals [start, end) (end NONE: still open) contain each moment.

    Days are widened to int64 first: an int32 column would wrap the "never ends" sentinel
    (NumPy 2 casts the Python int to the array's type), ending every open stay on day -1.
    """
    s = np.sort(np.asarray(starts, dtype=np.int64))
    e64 = np.asarray(ends, dtype=np.int64)
    e = np.sort(np.where(e64 == NONE, np.iinfo(np.int64).max, e64))
    return np.searchsorted(s, moments, side="right") - np.searchsorted(e, moments, side="right")


#: Rows of the tracked stream worked on at once by the standards (a national year's stream is
#: about 11 million rows; a piece's working arrays are a few tens of megabytes).
PIECE_ROWS = 1 << 21


def standard_measures(
    out: Measures, book: Codebook, stream: Stream, piece_rows: int = PIECE_ROWS
) -> None:
    """Per standard: due, met, breached, % on time (by the week due), lateness median and p90.

    One standard at a time on one piece of the stream at a time (whole cases: ``Stream.pieces``),
    so that only one standard's instances for a piece's cases are held at once; counts are added
    up over the pieces and lateness gathered, so the figures are the whole stream's.
    """
    weeks = book.weeks
    measured = [
        (index, standard)
        for index, standard in enumerate(book.workflow.standards.values())
        if _measured(book, standard)
    ]
    due = {standard.id: np.zeros(weeks, dtype=np.int64) for _, standard in measured}
    met = {standard.id: np.zeros(weeks, dtype=np.int64) for _, standard in measured}
    late: dict[str, list[np.ndarray]] = {standard.id: [] for _, standard in measured}
    units: dict[str, list[np.ndarray]] = {standard.id: [] for _, standard in measured}
    for piece in stream.pieces(piece_rows):
        for index, standard in measured:
            table = _standard_instances(piece, index, standard)
            due_week = book.week_of(table["due"])
            pick = (
                (due_week >= 0)
                & (due_week < weeks)
                & np.isin(table["outcome"], (MET, LATE, MISSED))
            )
            w = due_week[pick]
            outcome = table["outcome"][pick]
            sid = standard.id
            due[sid] += np.bincount(w, minlength=weeks)[:weeks]
            met[sid] += np.bincount(w[outcome == MET], minlength=weeks)[:weeks]
            late[sid].append(table["late_days"][pick][outcome != MET])
            units[sid].append(table["late_units"][pick][outcome != MET])
            del table
    all_weeks = np.arange(weeks)
    for _, standard in measured:
        sid = standard.id
        breached = due[sid] - met[sid]
        out.add("standard.due", sid, all_weeks, due[sid])
        out.add("standard.met", sid, all_weeks, met[sid])
        out.add("standard.breached", sid, all_weeks, breached)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.add(
                "standard.on_time_pct",
                sid,
                all_weeks,
                np.where(due[sid] > 0, 100 * met[sid] / due[sid], np.nan),
            )
        total, total_met = int(due[sid].sum()), int(met[sid].sum())
        out.add("standard.due", sid, [-1], [total])
        out.add("standard.met", sid, [-1], [total_met])
        out.add("standard.breached", sid, [-1], [total - total_met])
        out.add("standard.on_time_pct", sid, [-1], [100 * total_met / total if total else np.nan])
        days, worked = _joined(late.pop(sid)), _joined(units.pop(sid))
        out.add("standard.late_days_median", sid, [-1], [np.median(days) if len(days) else np.nan])
        out.add(
            "standard.late_days_p90", sid, [-1], [np.percentile(days, 90) if len(days) else np.nan]
        )
        out.add(
            "standard.late_units_median",
            sid,
            [-1],
            [np.median(worked) if len(worked) else np.nan],
        )
        out.add(
            "standard.late_units_p90",
            sid,
            [-1],
            [np.percentile(worked, 90) if len(worked) else np.nan],
        )


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The pieces' values as one array (empty pieces left out, whatever their type)."""
    filled = [p for p in parts if len(p)]
    if not filled:
        return np.zeros(0)
    return filled[0] if len(filled) == 1 else np.concatenate(filled)


def stage_measures(out: Measures, book: Codebook, stream: Stream) -> None:
    """Per state: open at each week's end (work in progress), entries, exits, time in stage."""
    moments = _week_ends(book)
    all_weeks = np.arange(book.weeks)
    entries = np.flatnonzero(stream.enter)
    entered = stream.day[entries]
    state = stream.event[entries]
    case = stream.case[entries]
    del entries
    # a stay ends on the case's next entry (none after a case's last: still open)
    closed = case[1:] == case[:-1]
    del case
    following = np.where(closed, entered[1:], NONE)
    left = np.empty(len(entered), dtype=following.dtype)
    left[: len(following)] = following
    left[len(following) :] = NONE
    del closed, following
    for s in book.workflow.states.values():
        code = book.code(s.id)
        pick = state == code
        starts, ends = entered[pick], left[pick]
        out.add("stage.open", s.id, all_weeks, _open_at(starts, ends, moments))
        out.add("stage.entered", s.id, all_weeks, _by_week(book, starts))
        if s.terminal:
            continue
        done = ends != NONE
        out.add("stage.left", s.id, all_weeks, _by_week(book, ends[done]))
        stay = (ends - starts)[done].astype(float)
        week = book.week_of(ends[done])
        inside = (week >= 0) & (week < book.weeks)
        if inside.any():
            sums = np.bincount(week[inside], weights=stay[inside], minlength=book.weeks)
            counts = np.bincount(week[inside], minlength=book.weeks)
            with np.errstate(invalid="ignore", divide="ignore"):
                out.add(
                    "stage.mean_days",
                    s.id,
                    all_weeks,
                    np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)[: book.weeks],
                )
            out.add("stage.median_days", s.id, [-1], [np.median(stay[inside])])
            out.add("stage.p90_days", s.id, [-1], [np.percentile(stay[inside], 90)])
            out.add("stage.mean_days", s.id, [-1], [stay[inside].mean()])


#: Rows of the event log read at once by the queue measures.
CHUNK_ROWS = 1 << 20


def _waiting_and_waits(
    book: Codebook, groups: int, chunks: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Work waiting at each week's end, and the waits of work started in the period, by group.

    ``chunks`` yields (group, released, started) of some rows at a time, in the log's order
    (started NaN: never started). Returns waiting[group, week] (released by the end of the week's
    last day and not started by then), for each group the waits (started - released) of the
    work started in the reported period, in the log's order, and rows[group]; a few rows at a
    time, so that a national year's millions of pieces of work are never copied whole.
    """
    moments = _week_ends(book) + 1.0  # at the end of the week's last day
    released_by = np.zeros((groups, len(moments) + 1), dtype=np.int64)
    started_by = np.zeros((groups, len(moments) + 1), dtype=np.int64)
    waits: list[list[np.ndarray]] = [[] for _ in range(groups)]
    rows = np.zeros(groups, dtype=np.int64)
    for group, released, started in chunks:
        for index in np.unique(group).tolist():
            if not 0 <= index < groups:
                continue
            pick = group == index
            rows[index] += int(pick.sum())
            r, s = released[pick], started[pick]
            s[np.isnan(s)] = np.inf
            # how many moments come before each: a row released by moment k counts from k on
            released_by[index] += np.bincount(
                np.searchsorted(moments, r, side="left"), minlength=len(moments) + 1
            )
            started_by[index] += np.bincount(
                np.searchsorted(moments, s, side="left"), minlength=len(moments) + 1
            )
            began = np.isfinite(s)
            week = book.week_of(np.floor(s[began]).astype(np.int64))
            inside = (week >= 0) & (week < book.weeks)
            waits[index].append((s[began] - r[began])[inside])
    waiting = np.cumsum(released_by, axis=1)[:, :-1] - np.cumsum(started_by, axis=1)[:, :-1]
    return waiting, [_joined(w) for w in waits], rows


def queue_measures(out: Measures, book: Codebook, log: EventLog) -> None:
    """Per team: pieces of work waiting at each week's end, and the mean wait of work started."""

    def chunks() -> Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for at in range(0, len(log), CHUNK_ROWS):
            rows = slice(at, at + CHUNK_ROWS)
            kind, started = log["kind"][rows], log["started"][rows]
            work = (
                (kind == Kind.WORK)
                | ((kind == Kind.TASK) & ~np.isnan(started))
                | (kind == Kind.QUEUED)
                | (kind == Kind.DROP)
            )
            yield log["team"][rows][work], log["released"][rows][work], started[work]

    waiting, waits, _ = _waiting_and_waits(book, len(book.teams), chunks())
    all_weeks = np.arange(book.weeks)
    for index, name in enumerate(book.teams):
        out.add("team.queued", name, all_weeks, waiting[index])
        wait = waits[index]
        if len(wait):
            out.add("team.wait_days_mean", name, [-1], [wait.mean()])
            out.add("team.wait_days_p90", name, [-1], [np.percentile(wait, 90)])


def allocation_measures(out: Measures, book: Codebook, log: EventLog) -> None:
    """Per team that allocates cases: how many waited for a worker, and for how long.

    A wait starts when a case joins the team with no worker free (an ``enter`` row with no
    worker) or its worker leaves (a ``leaver`` row), and ends when it is allocated or leaves the
    team; a move within the team while still waiting continues the same wait, and a wait still
    open when the record ends counts up to then. Waits that start in the reported period count.
    Worked out for a range of cases at a time (waits are each case's own; a national year's
    rows are millions), the counts and days added up.
    """
    kind = log["kind"]
    chosen = (kind == Kind.ENTER) | (kind == Kind.ALLOCATE) | (kind == Kind.LEAVER)
    if not chosen.any():
        return
    allocated = (kind == Kind.ALLOCATE) | ((kind == Kind.ENTER) & (log["worker"] >= 0))
    allocating = set(np.unique(log["team"][allocated]).tolist())
    del allocated
    waits = dict.fromkeys(allocating, 0)
    totals = dict.fromkeys(allocating, 0)
    case_of = log["case"]
    cases = int(case_of.max()) + 1
    step = max(1, cases * (4 * CHUNK_ROWS) // len(log))  # about 4 chunks' rows at a time
    for low in range(0, cases, step):
        rows = np.flatnonzero(chosen & (case_of >= low) & (case_of < low + step))
        if not len(rows):
            continue
        # each case's rows, in the order they happened (rows are in order: a stable sort)
        rows = rows[np.argsort(case_of[rows], kind="stable")]
        _allocation_waits(book, log, rows, allocating, waits, totals)
    for index, name in enumerate(book.teams):
        if index not in allocating:
            continue
        out.add("team.waited_unallocated", name, [-1], [waits[index]])
        if waits[index]:
            out.add("team.unallocated_wait_days_mean", name, [-1], [totals[index] / waits[index]])


def _allocation_waits(
    book: Codebook,
    log: EventLog,
    rows: np.ndarray,
    allocating: set[int],
    waits: dict[int, int],
    totals: dict[int, int],
) -> None:
    """Add the waits of the cases whose rows (each case's in order) are ``rows``, by team."""
    case, day, k = log["case"][rows], log["day"][rows].astype(np.int64), log["kind"][rows]
    team, worker = log["team"][rows], log["worker"][rows]
    starts = (((k == Kind.ENTER) & (worker < 0)) | (k == Kind.LEAVER)) & np.isin(
        team, list(allocating)
    )
    same_next = np.append(case[1:] == case[:-1], False)
    ended = np.where(same_next, np.append(day[1:], 0), book.end)
    wait = (ended - day)[starts]
    # a start whose previous row is a start of the same case in the same team continues a wait
    continued = np.zeros(len(case), dtype=bool)
    continued[1:] = starts[:-1] & (case[1:] == case[:-1]) & (team[1:] == team[:-1])
    first = ~continued[starts]
    began = day[starts]
    week = book.week_of(began)
    inside = (week >= 0) & (week < book.weeks)
    for index in allocating:
        mine = team[starts] == index
        waits[index] += int((mine & inside & first).sum())
        totals[index] += int(wait[mine & inside].sum())


def stage_queue_measures(out: Measures, book: Codebook, log: EventLog) -> None:
    """Per state: its own work waiting for a worker at each week's end, and its mean wait.

    A state's own work is an assessment, an enquiry, a plan; the wait counts work started in the
    reported period.
    """
    names = list(book.workflow.states)
    states = np.array([book.code(name) for name in names], dtype=np.int64)
    of_code = np.full(max(len(book.names), 1), -1, dtype=np.int64)  # event code -> state index
    of_code[states] = np.arange(len(states))

    def chunks() -> Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for at in range(0, len(log), CHUNK_ROWS):
            rows = slice(at, at + CHUNK_ROWS)
            event = log["event"][rows]
            work = np.isin(log["kind"][rows], (Kind.WORK, Kind.QUEUED, Kind.DROP)) & np.isin(
                event, states
            )
            yield (
                of_code[event[work]],
                log["released"][rows][work],
                log["started"][rows][work],
            )

    waiting, waits, rows = _waiting_and_waits(book, len(states), chunks())
    all_weeks = np.arange(book.weeks)
    for index, name in enumerate(names):
        if not rows[index]:
            continue
        out.add("stage.queued", name, all_weeks, waiting[index])
        if len(waits[index]):
            out.add("stage.wait_days_mean", name, [-1], [waits[index].mean()])


def team_measures(out: Measures, book: Codebook, snapshots: Snapshots) -> None:
    """Per team: servers, utilisation, cases held per server and unallocated, from the weekly counts."""
    all_weeks = np.arange(book.weeks)
    moments = _week_ends(book)
    for name in book.teams:
        subject = f"team:{name}"

        def series(measure: str, subject: str = subject) -> np.ndarray:
            days, values = snapshots.series(subject, measure)
            lookup = dict(zip(days.tolist(), values.tolist(), strict=True))
            return np.array([lookup.get(int(m), np.nan) for m in moments])

        available = series("hours_available")
        used = series("hours_worked") + series("casework_hours")
        with np.errstate(invalid="ignore", divide="ignore"):
            out.add("team.utilisation_pct", name, all_weeks, 100 * used / available)
            servers = series("servers")
            out.add("team.cases_per_worker", name, all_weeks, series("cases_held") / servers)
        out.add("team.unallocated", name, all_weeks, series("unallocated"))
        out.add("team.casework_backlog_hours", name, all_weeks, series("casework_backlog"))
        out.add("team.most_over_limit", name, all_weeks, series("most_over_limit"))
        total_available = np.nansum(available)
        out.add(
            "team.utilisation_pct",
            name,
            [-1],
            [100 * np.nansum(used) / total_available if total_available else np.nan],
        )
    for subject in sorted({s for s in snapshots.subject if s.startswith("place:")}):
        days, values = snapshots.series(subject, "overflow")
        lookup = dict(zip(days.tolist(), values.tolist(), strict=True))
        out.add(
            "place.overflow", subject[6:], all_weeks, [lookup.get(int(m), np.nan) for m in moments]
        )
    for subject in sorted({s for s in snapshots.subject if s.startswith("diary:")}):
        days, values = snapshots.series(subject, "extra_taken")
        lookup = dict(zip(days.tolist(), values.tolist(), strict=True))
        weekly = np.array([lookup.get(int(m), np.nan) for m in moments])
        out.add("meeting.extra_slots", subject[6:], all_weeks, weekly)
        out.add("meeting.extra_slots", subject[6:], [-1], [np.nansum(weekly)])


def drift_measures(out: Measures, book: Codebook, stream: Stream) -> None:
    """The scenario's drift measures, by week."""
    all_weeks = np.arange(book.weeks)
    moments = _week_ends(book)
    for ident, drift in book.drift.items():
        scope = stream.scope_mask(drift.while_)
        assert scope is not None
        st = stream.stretches(scope)
        if drift.kind == "longer_than":
            assert drift.limit is not None
            limit_day = book.grid.add(st["start"], drift.limit)
            # open beyond the limit at each week's end: [limit, end) for the stretches that
            # reached their limit (one that ended sooner never counts; it would subtract)
            reached = (st["end"] == NONE) | (st["end"] > limit_day)
            out.add(
                "drift.open_over",
                ident,
                all_weeks,
                _open_at(limit_day[reached], st["end"][reached], moments),
            )
            ended = st["end"] != NONE
            over = ended & (st["end"] > limit_day)
            out.add("drift.ended", ident, all_weeks, _by_week(book, st["end"][ended]))
            out.add("drift.ended_over", ident, all_weeks, _by_week(book, st["end"][over]))
            total = _by_week(book, st["end"][ended]).sum()
            out.add(
                "drift.ended_over_pct",
                ident,
                [-1],
                [100 * _by_week(book, st["end"][over]).sum() / total if total else np.nan],
            )
        elif drift.kind == "repeat":
            repeat = _rank_in_case(st["case"]) > 1
            entered = _by_week(book, st["start"])
            repeats = _by_week(book, st["start"][repeat])
            out.add("drift.entered", ident, all_weeks, entered)
            out.add("drift.repeat", ident, all_weeks, repeats)
            out.add(
                "drift.repeat_pct",
                ident,
                [-1],
                [100 * repeats.sum() / entered.sum() if entered.sum() else np.nan],
            )
        else:
            assert drift.event is not None and drift.before is not None
            milestone_pos, _ = stream.occurrences(drift.before)
            decision_pos, _ = stream.occurrences(drift.event)
            m_row = milestone_pos // 4
            lo = np.searchsorted(m_row, st["start_row"], side="right")
            hi = np.searchsorted(m_row, st["limit_row"], side="left")
            has = hi - lo >= drift.occurrence
            nth = (
                m_row[np.minimum(lo + drift.occurrence - 1, max(len(m_row) - 1, 0))]
                if len(m_row)
                else np.zeros(len(lo), dtype=np.int64)
            )
            d_row = decision_pos // 4
            first_decision = np.searchsorted(d_row, st["start_row"], side="right")
            decided = first_decision < len(d_row)
            if len(d_row):
                decided &= d_row[np.minimum(first_decision, len(d_row) - 1)] < nth
            day = stream.day[nth[has]] if len(m_row) else np.zeros(0, dtype=np.int64)
            reached = _by_week(book, day)
            missing = _by_week(book, day[~decided[has]])
            out.add("drift.reached", ident, all_weeks, reached)
            out.add("drift.missing", ident, all_weeks, missing)
            out.add(
                "drift.missing_pct",
                ident,
                [-1],
                [100 * missing.sum() / reached.sum() if reached.sum() else np.nan],
            )


def census_measures(out: Measures, book: Codebook, snapshots: Snapshots) -> None:
    """Arrivals, open and closed cases by week (the engine's own counts)."""
    moments = _week_ends(book)
    all_weeks = np.arange(book.weeks)
    for measure in ("arrived", "opening", "open", "closed"):
        days, values = snapshots.series("all", measure)
        lookup = dict(zip(days.tolist(), values.tolist(), strict=True))
        out.add(f"cases.{measure}", "all", all_weeks, [lookup.get(int(m), np.nan) for m in moments])


def measure(
    log: EventLog, snapshots: Snapshots, book: Codebook, *, release: bool = False
) -> Measures:
    """Every measure of one replication.

    ``release``: the caller reads ``log`` no further, so each of its columns is let go as soon
    as the measures have read it (``EventLog.release``; the log is left without columns): a
    national year's log is most of a run's memory, and the tracked stream is built beside it.
    The measures are the same either way.
    """
    done = ("hours", "due")  # read by no measure
    if release:
        log.release(*done)
    queues, stage_queues, allocation = Measures.empty(), Measures.empty(), Measures.empty()
    queue_measures(queues, book, log)
    stage_queue_measures(stage_queues, book, log)
    if release:
        log.release("released", "started")
    allocation_measures(allocation, book, log)
    if release:
        log.release("team", "worker")
    stream = Stream.of(log, book, release=release)
    out = Measures.empty()
    standard_measures(out, book, stream)
    stage_measures(out, book, stream)
    for found in (queues, allocation, stage_queues):
        out.extend(found)
    team_measures(out, book, snapshots)
    drift_measures(out, book, stream)
    census_measures(out, book, snapshots)
    return out


# --- across replications -------------------------------------------------------------------------


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction for the regularised incomplete beta function (Lentz's method)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


def _t_cdf(t: float, df: int) -> float:
    """Student's t distribution function (via the incomplete beta function)."""
    x = df / (df + t * t)
    if x >= 1.0:
        return 0.5
    if x <= 0.0:
        return 1.0 if t > 0 else 0.0
    a, b = df / 2.0, 0.5
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        tail = front * _beta_fraction(a, b, x) / a
    else:
        tail = 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b
    return 1.0 - tail / 2.0 if t > 0 else tail / 2.0


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile (bisection on the distribution function; no SciPy needed)."""
    if df <= 0:
        return math.nan
    low, high = -1e3, 1e3
    for _ in range(200):
        mid = (low + high) / 2
        if _t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12:
            break
    return (low + high) / 2


#: Measures that count things (never below 0); their intervals are clamped at 0.
COUNTS = frozenset(
    {
        "standard.due",
        "standard.met",
        "standard.breached",
        "stage.open",
        "stage.entered",
        "stage.left",
        "stage.queued",
        "team.queued",
        "team.unallocated",
        "team.waited_unallocated",
        "team.casework_backlog_hours",
        "place.overflow",
        "meeting.extra_slots",
        "drift.open_over",
        "drift.ended",
        "drift.ended_over",
        "drift.entered",
        "drift.repeat",
        "drift.reached",
        "drift.missing",
        "cases.arrived",
        "cases.opening",
        "cases.open",
        "cases.closed",
    }
)


#: Suffixes of measures that are lengths of time (never below 0): days in stage, waits, lateness.
_DURATIONS = ("_days", "_days_mean", "_days_median", "_days_p90", "_units_median", "_units_p90")


def _clamped(metric: str, low: float, high: float, largest: float) -> tuple[float, float]:
    """An interval kept within what the measure can be: % in [0, 100], counts and times >= 0.

    A percentage whose values exceed 100 (utilisation with overtime) keeps its upper end.
    """
    if metric.endswith("_pct"):
        low, high = max(low, 0.0), max(high, 0.0)
        if largest <= 100.0:
            low, high = min(low, 100.0), min(high, 100.0)
    elif metric in COUNTS or metric.endswith(_DURATIONS):
        low, high = max(low, 0.0), max(high, 0.0)
    return low, high


def across(replications: Mapping[int, Measures], confidence: float = 0.95) -> dict[str, list[Any]]:
    """Mean, standard deviation and a confidence interval of each (metric, subject, week).

    A measure missing from a replication is not counted for it (``n`` says how many had it);
    NaN values (e.g. % on time with nothing due) are left out the same way. Intervals of
    percentages are kept within [0, 100] and those of counts at or above 0 (:func:`_clamped`).
    """
    values: dict[tuple[str, str, int], list[float]] = {}
    for measures in replications.values():
        for triple in zip(measures.metric, measures.subject, measures.week, strict=True):
            values.setdefault(triple, [])
        for metric, subject, week, value in zip(
            measures.metric, measures.subject, measures.week, measures.value, strict=True
        ):
            if not math.isnan(value):
                values[(metric, subject, week)].append(value)
    cols: dict[str, list[Any]] = {
        k: []
        for k in ("metric", "subject", "week", "n", "mean", "sd", "ci_low", "ci_high", "min", "max")
    }
    for key_, found in sorted(values.items()):
        metric, subject, week = key_
        a = np.asarray(found, dtype=float)
        n = len(a)
        mean = float(a.mean()) if n else math.nan
        sd = float(a.std(ddof=1)) if n > 1 else (0.0 if n == 1 else math.nan)
        half = t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
        low, high = mean - half, mean + half
        if n > 1:
            low, high = _clamped(metric, low, high, float(a.max()))
        for column, cell in zip(
            cols,
            (
                metric,
                subject,
                week,
                n,
                mean,
                sd,
                low,
                high,
                float(a.min()) if n else math.nan,
                float(a.max()) if n else math.nan,
            ),
            strict=True,
        ):
            cols[column].append(cell)
    return cols
