"""The run loop: SimPy processes for arrivals, the day's agenda, each team's shift and weekly counts.

Time is whole days (``DAY``). Each day has fixed phases, each a SimPy process waking at a fraction of
the day, so the order of things within a day is explicit and reproducible: arrivals, then the agenda
(planned exits, releases of tasks, booked tasks and entries, completions from earlier days), then each team's
shift in turn, then (weekly) the counts. A case is not a process: its next move is an entry in a
per-day agenda, and a recurring task is one agenda entry at a time, so the number of Python
operations grows with the number of events and never with the number of open cases per day.

Teams are pools of servers: each serves one piece of work at a time, taking the next from a queue in
earliest-due-date (or first-come) order; a piece of work started on an open day runs on through the
server's working hours until done. Slot diaries are booked first come, first served, on open days.
"""

from __future__ import annotations

import gc
import heapq
import math
from array import array
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import simpy

from casejourney.calendar import DayGrid, Unit
from casejourney.engine.model import DAY, Draw, Model, Offset, TaskKind, TaskRule
from casejourney.engine.pools import ServerPool
from casejourney.engine.records import (
    NO_DUE,
    EventLog,
    Kind,
    LogBuilder,
    Snapshots,
    join_logs,
    join_snapshots,
    row_writer,
)
from casejourney.engine.sampling import generator, sample, stream, whole_units

# Phases of a day (fractions of DAY; exact in binary floating point).
_ARRIVE = 0.0
_AGENDA = 0.25
_SHIFT = 0.5
_COUNT = 0.875

# Agenda operations.
_EXIT = 0  # (op, case, entry): the planned end of a stay
_ARRIVE_BOOKED = 1  # (op, case, entry, state, asked): a booked entry
_RELEASE = 2  # (op, rule, case, token, due, limit, asked): a task joins its team's queue
_MEET = 3  # (op, rule, case, token, due, asked): a booked task takes place
_DONE = 4  # (op, item, server, started): a server finished a piece of work
_MARK = 5  # (op, case, code): a milestone
_PREPARE_OP = 6  # (op, rule, case, token, booked): work before a booked task joins the queue

_PREPARE = 10  # working days before a booked task that preparing for it starts

# Row kinds as plain ints (IntEnum members are slower to append to an array).
(
    _ENTER,
    _TASK,
    _MARK_ROW,
    _WORK,
    _ALLOCATE,
    _PLACE,
    _DROP,
    _QUEUED,
    _OVERFLOW,
    _ADJOURN,
    _LEAVER,
    _HISTORY,
) = (int(k) for k in Kind)

_NO_LIMIT = 1 << 40
_LOOK_AHEAD = 8  # waiting cases tried when the first does not fit
_NAN = math.nan
_MIN_RATE_SHARE = 0.1  # servers keep at least this share of their hours for timed work


class _Timing:
    """A task rule's intervals as (shift function, n) pairs, ready for the hot path."""

    __slots__ = (
        "at_least",
        "every",
        "every_unit",
        "first",
        "second",
        "then",
        "then_units",
        "within",
    )

    def __init__(self, rule: TaskRule, grid: DayGrid) -> None:
        def compiled(offset: Offset | None) -> tuple[Callable[[int, int], int], int] | None:
            return None if offset is None else (grid.shifter(offset.unit), offset.n)

        self.every = compiled(rule.every)
        self.every_unit = (
            (self.every[0], self.every[1], rule.every.unit)
            if self.every is not None and rule.every is not None
            else None
        )
        self.then_units = [step.unit for _, step in rule.then]
        self.first = compiled(rule.first) or self.every
        self.second = compiled(rule.second)
        self.then = [(compiled(after), compiled(step)) for after, step in rule.then]
        self.within = compiled(rule.within)
        self.at_least = compiled(rule.at_least)


def simulate(
    model: Model,
    seed: np.random.SeedSequence,
    replication: int = 0,
    progress: Callable[[float], None] | None = None,
) -> tuple[EventLog, Snapshots]:
    """Run ``model`` once with randomness from ``seed``; return the event log and weekly counts.

    ``progress``, if given, is called each simulated week with the share of the run done.
    """
    run = _Run(model, seed)
    run.progress = progress
    env = simpy.Environment(initial_time=model.start)
    env.process(_arrivals(env, run))
    env.process(_agenda(env, run))
    for index in range(len(model.teams)):
        env.process(_shifts(env, run, index))
    env.process(_counts(env, run))
    # The run holds millions of small tuples and lists that never form cycles: the cyclic
    # garbage collector would scan them again and again (runs slow down as they grow), so it is
    # paused for the run and the usual collection resumes after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        run.open_cases()
        env.run(until=model.end)
        run.finish()
    finally:
        if collecting:
            gc.enable()
    teams = tuple(t.name for t in model.teams) + tuple(p.name for p in model.places)
    log = run.log.freeze(model.names, teams, replication)
    return log, run.snapshots(replication)


def simulate_parts(
    parts: Sequence[Model],
    seed: np.random.SeedSequence,
    replication: int = 0,
    progress: Callable[[float], None] | None = None,
) -> tuple[EventLog, Snapshots]:
    """Run independent parts of one system (see ``model.split``) in turn and join their records.

    The parts share nothing, so running them one after another is the same model as running them
    side by side; but each run's working set is only its part's, small enough to stay in the
    processor's caches, so the time per event does not grow with the size of the whole system.
    One part runs exactly as ``simulate`` with ``seed``; part i of several draws from
    ``seed`` spawned with key i. Case ids and server ids follow on part after part (``records.join_logs``).
    """
    if len(parts) == 1:
        return simulate(parts[0], seed, replication, progress)
    logs: list[EventLog] = []
    counts: list[Snapshots] = []
    for index, part in enumerate(parts):
        own = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, index))
        on = None
        if progress is not None:
            on = partial(_part_progress, progress, index, len(parts))
        log, snapshots = simulate(part, own, replication, on)
        logs.append(log)
        counts.append(snapshots)
    servers = [tuple(team.servers for team in part.teams) for part in parts]
    return join_logs(logs, servers), join_snapshots(counts)


def _part_progress(progress: Callable[[float], None], index: int, parts: int, share: float) -> None:
    progress((index + share) / parts)


def _whole_units(draw: Draw, rng: np.random.Generator) -> Iterator[Any]:
    """Endless draws of ``draw`` rounded to whole units of its own unit."""
    return stream(lambda n: whole_units(draw, sample(draw, rng, n))[1])


# --- processes -------------------------------------------------------------------------------


def _arrivals(env: simpy.Environment, run: _Run) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(_ARRIVE)
    while True:
        run.arrive(math.floor(env.now))
        yield env.timeout(DAY)


def _agenda(env: simpy.Environment, run: _Run) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(_AGENDA)
    while True:
        run.agenda(math.floor(env.now))
        yield env.timeout(DAY)


def _shifts(env: simpy.Environment, run: _Run, team: int) -> Generator[simpy.Event, Any, None]:
    # Teams take their turn in index order, inside the shift phase.
    yield env.timeout(_SHIFT + 0.25 * team / (len(run.teams) + 1))
    while True:
        run.shift(team, math.floor(env.now))
        yield env.timeout(DAY)


def _counts(env: simpy.Environment, run: _Run) -> Generator[simpy.Event, Any, None]:
    every = run.model.snapshot_every
    span = max(1, run.model.end - run.model.start)
    yield env.timeout(_COUNT + every - 1)
    while True:
        day = math.floor(env.now)
        run.count(day)
        if run.progress is not None:
            run.progress(min(1.0, (day + 1 - run.model.start) / span))
        yield env.timeout(every * DAY)


# --- state of a run --------------------------------------------------------------------------


@dataclass
class _Move:
    """What entering ``new`` from ``prev`` starts and stops (precomputed for every pair)."""

    stop: tuple[int, ...]  # rules whose scope is left
    start: tuple[int, ...]  # rules whose scope is entered
    once: tuple[int, ...]  # once-rules whose anchor this move signals
    place_leave: tuple[int, ...]
    place_enter: tuple[int, ...]
    marks: bool  # the mark scope is entered

    @property
    def quiet(self) -> bool:
        """Nothing starts or stops."""
        return not (
            self.stop
            or self.start
            or self.once
            or self.place_leave
            or self.place_enter
            or self.marks
        )


class _Run:
    """Everything that changes during one run, and the handlers that change it."""

    def __init__(self, model: Model, seed: np.random.SeedSequence) -> None:
        self.model = model
        self.progress: Callable[[float], None] | None = None
        self.grid = model.grid
        self.log = LogBuilder()
        self.row = row_writer(self.log)
        self.start, self.end = model.start, model.end
        self.today = model.start
        self.states = model.states
        self.tasks = model.tasks
        self.terminal = [s.terminal for s in model.states]
        self.state_team = [s.team for s in model.states]
        self.points = [s.points for s in model.states]
        self.casework = [s.casework for s in model.states]
        self.state_slots = [s.slots for s in model.states]
        self.extra = [s.extra for s in model.states]
        self.effort_of = [s.effort is not None for s in model.states]
        self.pace = [s.pace for s in model.states]
        self.least = [s.least for s in model.states]
        self.elasticity = [s.elasticity for s in model.states]
        # deadlines of booked entries: the day each case last entered an anchor state
        anchors = {d.anchor for d in model.slots if d.anchor >= 0}
        self.is_anchor = [i in anchors for i in range(len(model.states))]
        self.anchor_day: dict[int, dict[int, int]] = {a: {} for a in anchors}
        # open days: rank[d - first] = open days before d; open_list = the open days
        grid = model.grid
        self.open = np.asarray(model.open_days, dtype=bool).tolist()
        ranks = np.concatenate(([0], np.cumsum(model.open_days)[:-1]))
        self.rank: list[int] = ranks.tolist()
        self.open_list: list[int] = (np.flatnonzero(model.open_days) + grid.first).tolist()
        self.first = grid.first
        # randomness
        self._seed = seed
        self.arrival_rng = generator(seed, "arrivals")
        self.stays = [self._stay_stream(i) for i in range(len(model.states))]
        self.stay_units = [self._stay_unit(i) for i in range(len(model.states))]
        self.branches = [self._branch_stream(i) for i in range(len(model.states))]
        self.efforts: list[Iterator[Any] | None] = [
            self._amounts(s.effort, f"effort:{s.name}") if s.effort else None for s in model.states
        ]
        self.task_efforts: list[Iterator[Any] | None] = [
            self._amounts(r.effort, f"effort:{r.name}") if r.effort else None for r in model.tasks
        ]
        self.punctual = [self._punctuality_stream(i) for i in range(len(model.punctuality))]
        self.punctual_parts = [self._punctuality_parts(i) for i in range(len(model.punctuality))]
        self.references = [t.reference for t in model.teams]
        self.punctual_units = [
            (
                whole_units(p.early, np.zeros(1))[0],
                whole_units(p.late, np.zeros(1))[0],
            )
            for p in model.punctuality
        ]
        self.stay_shift = [grid.shifter(unit) for unit in self.stay_units]
        self.by_exit = [self._exit_stays(i) for i in range(len(model.states))]
        self.extra_shift = [
            (grid.shifter(e.unit), e.n) if e is not None else None for e in self.extra
        ]
        self.punctual_shift = [
            (grid.shifter(early), grid.shifter(late)) for early, late in self.punctual_units
        ]
        self.working_shift = grid.shifter(Unit.WORKING_DAYS)
        self.notice = [
            (grid.shifter(d.notice.unit), d.notice.n) if d.notice else (self.working_shift, 1)
            for d in model.slots
        ]
        self.timing = [_Timing(rule, grid) for rule in model.tasks]
        self.lead_rule = [rule.kind is TaskKind.LEAD for rule in model.tasks]
        # recurring, not booked, nothing owed after it: the commonest task, with a short path
        self.plain = [rule.kind is TaskKind.RECURRING and rule.slots < 0 for rule in model.tasks]
        self.task_code = [rule.task for rule in model.tasks]
        self.ages = self._amounts(model.ages, "ages")
        self.place_draws = [
            self._amounts(Draw("uniform", (0.0, 1.0)), f"place:{p.name}") for p in model.places
        ]
        # cases
        # Per-case columns: compact arrays (values held inline, not as separate objects) keep a
        # national run's 1.7 million cases cache-friendly.
        self.state = array("h")
        self.entries = array("i")
        self.holder = array("i")
        self.exit_at = array("i")
        self.work_left = bytearray()
        self.waiting = bytearray()
        self.birth = array("i")
        self.next_state = array("h")  # the way out, when drawn on entering (see StateModel)
        self.deferred = bytearray()  # a paced stay waiting for a server before it starts
        self.arrived = 0
        self.opened = 0
        self.open_now = 0
        self.closed = 0
        self.wip = [0] * len(model.states)
        # tasks
        self.active: list[dict[int, int]] = [{} for _ in model.tasks]
        self.chain: list[dict[int, tuple[int, int]]] = [{} for _ in model.tasks]
        self.booked: list[dict[int, int]] = [{} for _ in model.tasks]  # rule: case -> day
        self.token = 0
        self.once_after: dict[int, list[int]] = {}
        self.lead_for: dict[int, list[int]] = {}
        for index, rule in enumerate(model.tasks):
            if rule.kind is TaskKind.ONCE:
                self.once_after.setdefault(rule.anchor, []).append(index)
            elif rule.kind is TaskKind.LEAD:
                self.lead_for.setdefault(rule.target, []).append(index)
        self.moves = self._moves()
        self.quiet = [[move.quiet for move in row] for row in self.moves]
        self.marks_scheduled: set[tuple[int, int]] = set()
        # resources
        self.teams = [
            ServerPool(t.limits, t.hours_per_day, model.discipline == "edf") for t in model.teams
        ]
        self.diaries = [self._diary(i) for i in range(len(model.slots))]
        self.within = [
            (grid.shifter(d.within.unit), d.within.n) if d.within is not None else None
            for d in model.slots
        ]
        self.renotice = [
            (grid.shifter(d.renotice.unit), d.renotice.n) if d.renotice else self.notice[i]
            for i, d in enumerate(model.slots)
        ]
        self.adjourn_draws = [
            self._amounts(Draw("uniform", (0.0, 1.0)), f"adjourn:{d.name}") if d.adjourn else None
            for d in model.slots
        ]
        self.aims = [
            (
                _whole_units(d.aim, generator(seed, f"aim:{d.name}")),
                self.grid.shifter(whole_units(d.aim, np.zeros(1))[0]),
            )
            if d.aim is not None
            else None
            for d in model.slots
        ]
        self.turnover_rng = generator(seed, "turnover")
        self.vacant_until: list[list[tuple[int, int, float]]] = [[] for _ in model.teams]
        self.history_draws = [
            (
                self._amounts(Draw("uniform", (0.0, 1.0)), f"history:{i}"),
                self._amounts(h.ago, f"history-ago:{i}"),
                self._amounts(h.length, f"history-length:{i}"),
            )
            for i, h in enumerate(model.history)
        ]
        self.history_opening = [dict(h.opening_share) for h in model.history]
        self.diary_first = [self.start] * len(model.slots)
        self.places_free = [p.places for p in model.places]
        self.overflow: list[deque[int]] = [deque() for _ in model.places]
        self.overflowing = [0] * len(model.places)
        self.place_of: list[dict[int, bool]] = [{} for _ in model.places]
        # agenda
        self.bucket: list[list[tuple[Any, ...]] | None] = [[] for _ in range(self.end - self.start)]
        # Planned ends of stays, the commonest action, as compact (case, entry) columns per day.
        days = self.end - self.start
        self.exit_case: list[array[int]] = [array("i") for _ in range(days)]
        self.exit_entry: list[array[int]] = [array("i") for _ in range(days)]
        self.pending: deque[tuple[Any, ...]] = deque()
        self.seq = 0
        self.edf = model.discipline == "edf"
        # weekly counts
        self.snap_day: list[int] = []
        self.snap_subject: list[str] = []
        self.snap_measure: list[str] = []
        self.snap_value: list[float] = []

    # --- random streams ---------------------------------------------------------------------

    def _amounts(self, draw: Draw, purpose: str) -> Iterator[Any]:
        rng = generator(self._seed, purpose)
        return stream(lambda n: sample(draw, rng, n))

    def _stay_unit(self, index: int) -> Unit:
        stay = self.states[index].stay
        return whole_units(stay, np.zeros(1))[0] if stay else Unit.WORKING_DAYS

    def _stay_stream(self, index: int) -> Iterator[Any]:
        state = self.states[index]
        if state.stay is None:
            return stream(lambda n: np.ones(n, dtype=np.int64))
        return _whole_units(state.stay, generator(self._seed, f"stay:{state.name}"))

    def _exit_stays(
        self, index: int
    ) -> dict[int, tuple[Iterator[Any], Callable[[int, int], int]]] | None:
        """Exit -> (stream of whole units, shifter) for the stays that depend on the exit."""
        state = self.states[index]
        if not any(state.exit_stays):
            return None
        found = {}
        for exit_, draw in zip(state.exits, state.exit_stays, strict=True):
            if draw is not None:
                purpose = f"stay:{state.name}->{self.model.names[exit_]}"
                found[exit_] = (
                    _whole_units(draw, generator(self._seed, purpose)),
                    self.grid.shifter(whole_units(draw, np.zeros(1))[0]),
                )
        return found

    def _branch_stream(self, index: int) -> Iterator[Any]:
        state = self.states[index]
        if state.terminal or not state.exits:
            return stream(lambda n: np.full(n, -1, dtype=np.int64))
        rng = generator(self._seed, f"branch:{state.name}")
        exits = np.asarray(state.exits, dtype=np.int64)
        p = np.asarray(state.weights, dtype=float)
        p = p / p.sum()
        return stream(lambda n: exits[rng.choice(len(exits), size=n, p=p)])

    def _punctuality_stream(self, index: int) -> Iterator[Any]:
        spec = self.model.punctuality[index]
        rng = generator(self._seed, f"punctuality:{index}")

        def make(n: int) -> np.ndarray:
            late = rng.random(n) >= spec.on_time
            _, early = whole_units(spec.early, sample(spec.early, rng, n))
            _, later = whole_units(spec.late, np.maximum(1.0, sample(spec.late, rng, n)))
            return np.where(late, 2 * np.maximum(later, 1) + 1, 2 * early)

        return stream(make)

    def _punctuality_parts(self, index: int) -> Iterator[Any]:
        """(uniform, whole units early, whole units late) triples, for tasks under pressure."""
        spec = self.model.punctuality[index]
        rng = generator(self._seed, f"punctuality-parts:{index}")

        def make(n: int) -> np.ndarray:
            _, early = whole_units(spec.early, sample(spec.early, rng, n))
            _, later = whole_units(spec.late, np.maximum(1.0, sample(spec.late, rng, n)))
            found = np.empty(n, dtype=object)
            found[:] = list(
                zip(
                    rng.random(n).tolist(),
                    early.tolist(),
                    np.maximum(later, 1).tolist(),
                    strict=True,
                )
            )
            return found

        return stream(make)

    def _diary(self, index: int) -> list[int]:
        """Free slots on each day of the run: the weekly number spread over open days."""
        per_day = self.model.slots[index].per_week / 5.0
        days = np.arange(self.start, self.end + 1)
        is_open = self.model.open_days[days - self.first]
        total = np.floor(np.cumsum(is_open * per_day) + 1e-9)
        free: list[int] = np.diff(np.concatenate(([0.0], total))).astype(int).tolist()
        return free

    # --- precomputed moves ------------------------------------------------------------------

    def _moves(self) -> list[list[_Move]]:
        """``moves[prev + 1][new]`` for every pair (prev = -1: a case's first entry)."""
        n = len(self.states)
        table: list[list[_Move]] = []
        marks = self.model.mark_scope
        for prev in range(-1, n):
            row = []
            for new in range(n):
                row.append(self._move(prev, new, marks))
            table.append(row)
        return table

    def _move(self, prev: int, new: int, marks: frozenset[int] | None) -> _Move:
        def inside(scope: frozenset[int] | None, state: int) -> bool:
            if state < 0:
                return False
            if scope is None:
                return not self.terminal[state]
            return state in scope

        stop, start, once = [], [], []
        signals = self.model.signals.get((prev, new), ())
        for index, rule in enumerate(self.tasks):
            if rule.kind is TaskKind.LEAD:
                continue
            was, now = inside(rule.scope, prev), inside(rule.scope, new)
            if was and not now:
                stop.append(index)
            elif now and not was:
                start.append(index)
            if (
                rule.kind is TaskKind.ONCE
                and now
                and any(
                    code == rule.anchor and inside(rule.scope, check) for code, check in signals
                )
            ):
                once.append(index)
        place_leave, place_enter = [], []
        for index, pool in enumerate(self.model.places):
            was, now = prev in pool.states, new in pool.states
            if was and not now:
                place_leave.append(index)
            elif now and not was:
                place_enter.append(index)
        enters_marks = bool(self.model.marks) and inside(marks, new) and not inside(marks, prev)
        return _Move(
            tuple(stop),
            tuple(start),
            tuple(once),
            tuple(place_leave),
            tuple(place_enter),
            enters_marks,
        )

    # --- scheduling -------------------------------------------------------------------------

    def schedule(self, day: int, action: tuple[Any, ...]) -> None:
        """Do ``action`` on ``day`` (today's and overdue ones as soon as the current phase ends)."""
        if day > self.today:
            if day < self.end:
                bucket = self.bucket[day - self.start]
                assert bucket is not None
                bucket.append(action)
        else:
            self.pending.append(action)

    def drain(self) -> None:
        """Do every action that became due today."""
        pending, dispatch = self.pending, self.dispatch
        while pending:
            dispatch(pending.popleft())

    def dispatch(self, action: tuple[Any, ...]) -> None:
        """Carry out one agenda action."""
        op = action[0]
        if op == _EXIT:
            case = action[1]
            if self.entries[case] == action[2]:
                if self.work_left[case]:
                    self.waiting[case] = 1
                else:
                    self.leave(case, self.today)
        elif op == _DONE:
            self.done(action[1], action[2], action[3], action[4])
        elif op == _RELEASE:
            self.release_task(*action[1:])
        elif op == _MEET:
            _, rule, case, token, due, asked = action
            if self.active[rule].get(case) == token:
                self.booked[rule].pop(case, None)
                self.task_done(rule, case, self.today, asked=asked, due=due)
        elif op == _ARRIVE_BOOKED:
            self.arrive_booked(*action[1:])
        elif op == _MARK:
            self.mark(action[1], action[2])
        elif op == _PREPARE_OP:
            _, rule, case, token, booked_day = action
            if self.active[rule].get(case) == token:
                team = self.task_team(case, self.tasks[rule])
                effort = self.task_efforts[rule]
                if team >= 0 and effort is not None:
                    self.push(
                        team,
                        case,
                        token,
                        self.tasks[rule].task,
                        next(effort),
                        booked_day,
                        float(self.today),
                        rule,
                        booked_day,
                    )

    # --- phases -----------------------------------------------------------------------------

    def arrive(self, day: int) -> None:
        """Today's new cases."""
        self.today = day
        expected = float(self.model.arrivals[day - self.start])
        count = int(self.arrival_rng.poisson(expected)) if expected > 0 else 0
        if count == 0:
            return
        times: list[float] = [float(day)] * count
        if self.model.continuous:
            times = (day + np.sort(self.arrival_rng.random(count))).tolist()
        initial = self.model.initial
        history = bool(self.model.history)
        for at in times:
            case = self.new_case(day, next(self.ages))
            self.arrived += 1
            if history:
                self.earlier_stays(case, -1, self.start)
            self.enter(case, initial, day, at=at)
        self.drain()

    def agenda(self, day: int) -> None:
        """Everything planned for today: other actions in the order planned, then planned exits."""
        self.today = day
        offset = day - self.start
        if offset % 7 == 0:
            for index, spec in enumerate(self.model.teams):
                if spec.turnover > 0 and self.teams[index].with_limits:
                    self.staff_changes(index, day)
        bucket = self.bucket[offset]
        self.bucket[offset] = None
        if bucket:
            dispatch = self.dispatch
            for action in bucket:
                dispatch(action)
        del bucket
        cases, planned_entries = self.exit_case[offset], self.exit_entry[offset]
        self.exit_case[offset] = self.exit_entry[offset] = array("i")
        entries, work_left, waiting, leave = self.entries, self.work_left, self.waiting, self.leave
        for case, planned in zip(cases, planned_entries, strict=True):
            if entries[case] == planned:
                if work_left[case]:
                    waiting[case] = 1
                else:
                    leave(case, day)
        self.drain()

    def shift(self, index: int, day: int) -> None:
        """One team's working day: serve the queue, then handle what finished today."""
        self.today = day
        offset = day - self.first
        if not self.open[offset]:
            return
        team = self.teams[index]
        k = self.rank[offset]
        per_server = team.background / 5.0 / team.servers
        rate = max(team.hours_per_day - per_server, _MIN_RATE_SHARE * team.hours_per_day)
        team.hours_available += team.hours_per_day * team.servers
        team.casework_hours += min(
            team.background / 5.0, (1 - _MIN_RATE_SHARE) * team.hours_per_day * team.servers
        )
        while True:
            self.serve(index, team, day, k, rate)
            if not self.pending:
                return
            self.drain()
            if not team.keys or not team.free_before(k + 1):
                return

    def serve(self, index: int, team: ServerPool, day: int, k: int, rate: float) -> None:
        """Start queued work while a server is free before the end of day ``k`` (open-day clock).

        A server's clock counts open days: day ``k`` is [k, k + 1). Work released earlier is
        available from the start of the day; work released today (at a fraction of the day, for
        queueing checks) from then.
        """
        team.start_day(k)
        idle, later, busy = team.idle, team.later, team.busy
        heappop, heappush = heapq.heappop, heapq.heappush
        end_of_day = k + 1
        open_list = self.open_list
        entries, active, lead = self.entries, self.active, self.lead_rule
        bucket, start, end = self.bucket, self.start, self.end
        by_key, keys = team.by_key, team.keys
        worked = 0.0
        today: list[tuple[tuple[Any, ...], int, float]] = []
        while keys and (idle or later or (busy and busy[0][0] < end_of_day)):
            key = keys[0]
            waiting = by_key[key]
            item = waiting.popleft()
            if not waiting:
                heappop(keys)
                del by_key[key]
            team.queued -= 1
            case, token, rule = item[2], item[3], item[8]
            if rule < 0:
                ok = entries[case] == token
            elif lead[rule]:
                ok = not self.terminal[self.state[case]]
            else:
                ok = active[rule].get(case) == token
            if not ok:
                self.drop(item, index, day)
                continue
            if idle:
                server = idle.pop()
                began = float(k)
            else:
                if later:  # the stack ran dry: order the servers freed today
                    busy.extend(later)
                    later.clear()
                    heapq.heapify(busy)
                at, server = heappop(busy)
                began = at if at > k else k
            released = item[7]
            if released > day:
                position = k + (released - day)
                if position > began:
                    began = position
            finish = began + item[5] / rate
            if finish < end_of_day and idle:
                later.append((finish, server))  # not needed before the stack runs dry
            else:
                heappush(busy, (finish, server))
            worked += item[5]
            last = math.ceil(finish) - 1
            if last <= k:
                today.append((item, server, day + (began - k)))
            else:
                finish_day = open_list[last] if last < len(open_list) else end
                if finish_day < end:
                    found = bucket[finish_day - start]
                    assert found is not None
                    found.append((_DONE, item, index, server, day + (began - k)))
        team.hours_worked += worked
        done = self.done
        for item, server, started in today:  # finished today: in the order they were started
            done(item, index, server, started)

    def count(self, day: int) -> None:
        """Weekly counts: servers, hours, loads, queues, cases open and closed."""
        add = self._snap
        add(day, "all", "arrived", self.arrived)
        add(day, "all", "opening", self.opened)
        add(day, "all", "open", self.open_now)
        add(day, "all", "closed", self.closed)
        for index, state in enumerate(self.states):
            add(day, f"state:{state.name}", "open", self.wip[index])
        for spec, team in zip(self.model.teams, self.teams, strict=True):
            subject = f"team:{spec.name}"
            add(day, subject, "servers", team.servers)
            add(day, subject, "hours_available", team.hours_available)
            add(day, subject, "hours_worked", team.hours_worked)
            add(day, subject, "casework_hours", team.casework_hours)
            add(day, subject, "queued", team.queued)
            add(day, subject, "unallocated", team.unallocated)
            add(day, subject, "cases_held", sum(team.held))
            add(day, subject, "points_held", sum(team.load))
            over = max(
                (ld - lim for ld, lim in zip(team.load, team.limits, strict=True)), default=0.0
            )
            add(day, subject, "most_over_limit", over if team.with_limits else 0.0)
            team.hours_available = team.hours_worked = team.casework_hours = 0.0
        for pool, free, over in zip(
            self.model.places, self.places_free, self.overflowing, strict=True
        ):
            add(day, f"place:{pool.name}", "used", pool.places - free)
            add(day, f"place:{pool.name}", "overflow", over)

    def _snap(self, day: int, subject: str, measure: str, value: float) -> None:
        self.snap_day.append(day)
        self.snap_subject.append(subject)
        self.snap_measure.append(measure)
        self.snap_value.append(float(value))

    def snapshots(self, replication: int) -> Snapshots:
        """The weekly counts as a record."""
        return Snapshots(
            replication=replication,
            day=np.asarray(self.snap_day, dtype=np.int32),
            subject=tuple(self.snap_subject),
            measure=tuple(self.snap_measure),
            value=np.asarray(self.snap_value, dtype=float),
        )

    def finish(self) -> None:
        """Record the work still queued when the run ends."""
        for index, team in enumerate(self.teams):
            for item in team.queued_items():
                if self.valid(item):
                    self.row(
                        item[2],
                        self.end - 1,
                        item[4],
                        _QUEUED,
                        index,
                        -1,
                        item[7],
                        _NAN,
                        item[5],
                        item[6],
                    )

    # --- cases ------------------------------------------------------------------------------

    def new_case(self, day: int, age: float) -> int:
        """A new case id, with its day of birth (for milestones)."""
        case = len(self.state)
        self.state.append(-1)
        self.entries.append(0)
        self.holder.append(-1)
        self.exit_at.append(0)
        self.work_left.append(0)
        self.waiting.append(0)
        self.birth.append(day - round(age * 365.25))
        self.next_state.append(-1)
        self.deferred.append(0)
        self.open_now += 1
        return case

    def earlier_stays(self, case: int, opening_state: int, before: int) -> None:
        """Write the case's stays that ended before day ``before`` (see ``History``)."""
        for index, history in enumerate(self.model.history):
            share = history.share
            if opening_state >= 0:
                share = self.history_opening[index].get(opening_state, share)
            chance, ago, length = self.history_draws[index]
            if next(chance) >= share:
                continue
            ended = before - 1 - int(next(ago))
            began = ended - max(1, int(next(length)))
            first = self.grid.first + 1
            if began < first:
                continue
            self.row(case, began, history.state, _HISTORY, -1, -1, _NAN, _NAN, 0.0, ended)

    def open_cases(self) -> None:
        """The cases already open on the first day, entered on a back-dated day.

        Cases open at a moment are a length-biased sample (long stays are more likely to be caught
        open), so each stay is drawn with probability proportional to its length and the case has
        already spent a uniform share of it: the open load then neither drains nor piles up
        while new cases take over.
        """
        self.today = self.start
        for index, opening in enumerate(self.model.opening):
            state = opening.state
            ages = self._amounts(opening.ages, f"opening-ages:{index}")
            rng = generator(self._seed, f"opening:{index}")
            spec = self.states[state]
            unit = self.stay_units[state]
            candidates = 4 * opening.count
            if spec.stay is None:
                units = np.ones(candidates, dtype=np.int64)
            else:
                units = whole_units(spec.stay, sample(spec.stay, rng, candidates))[1]
            lengths = self.grid.add_units(np.full(candidates, self.start), unit, units) - self.start
            weights = np.maximum(lengths, 1).astype(float)
            chosen = rng.choice(candidates, size=opening.count, p=weights / weights.sum())
            shares = rng.random(opening.count)
            for pick, share in zip(chosen.tolist(), shares.tolist(), strict=True):
                stay = int(units[pick])
                entered = max(self.start - int(share * lengths[pick]), self.grid.first + 1)
                case = self.new_case(self.start, next(ages))
                self.opened += 1
                if self.model.history:
                    self.earlier_stays(case, state, entered)
                self.enter(case, state, entered, stay=stay, opening=True)
        self.drain()

    def enter(
        self,
        case: int,
        new: int,
        day: int,
        *,
        at: float | None = None,
        asked: float = _NAN,
        stay: int | None = None,
        opening: bool = False,
    ) -> None:
        """``case`` enters state ``new`` on ``day``."""
        prev = self.state[case]
        self.entries[case] += 1
        entry = self.entries[case]
        self.state[case] = new
        self.wip[new] += 1
        if prev >= 0:
            self.wip[prev] -= 1
        if self.is_anchor[new]:
            self.anchor_day[new][case] = day
        team_new = self.state_team[new]
        holder, freed = self.change_team(case, prev, new, team_new)
        self.row(case, day, new, _ENTER, team_new, holder, asked)
        if freed >= 0:
            self.fill(freed, day)
        if self.terminal[new]:
            self.open_now -= 1
            self.closed += 1
            self.work_left[case] = 0
        if not self.quiet[prev + 1][new]:
            self.moved(case, prev, new, day, opening)
        if not self.terminal[new]:
            self.stay(case, new, day, entry, holder, day if at is None else at, stay, opening)

    def change_team(self, case: int, prev: int, new: int, team_new: int) -> tuple[int, int]:
        """Hand the case over between teams; returns its server and a team with room freed."""
        team_prev = self.state_team[prev] if prev >= 0 else -1
        if team_prev != team_new:
            freed = team_prev if team_prev >= 0 and self.leave_team(case, prev, team_prev) else -1
            return (self.join_team(case, new, team_new) if team_new >= 0 else -1), freed
        if team_new >= 0:
            holder, room = self.move_within(case, prev, new, team_new)
            return holder, (team_new if room else -1)
        return self.holder[case], -1

    def stay(
        self,
        case: int,
        new: int,
        day: int,
        entry: int,
        holder: int,
        at: float,
        stay: int | None,
        opening: bool,
    ) -> None:
        """Plan the end of the stay in ``new`` and queue the state's own work."""
        pace = self.pace[new]
        if pace > 0 and not opening:
            pool = self.teams[self.state_team[new]]
            if holder < 0 and pool.with_limits:
                self.deferred[case] = 1  # starts when a server is allocated (``fill``)
                self.exit_at[case] = self.end
                self.work_left[case] = 0
                return
            if holder >= 0 and stay is None and self.by_exit[new] is None:
                units = next(self.stays[new])
                least = self.least[new]
                if units > least:
                    ratio = (pool.load[holder] / pace) ** self.elasticity[new]
                    units = least + round((units - least) * ratio)
                stay = units
        by_exit = self.by_exit[new]
        if by_exit is None:
            units = next(self.stays[new]) if stay is None else stay
            leave = self.stay_shift[new](day, units)
        elif stay is None:  # the way out first, then the stay that goes with it
            choice = next(self.branches[new])
            self.next_state[case] = choice
            found = by_exit.get(choice)
            if found is None:
                leave = self.stay_shift[new](day, next(self.stays[new]))
            else:
                leave = found[1](day, next(found[0]))
        else:
            self.next_state[case] = -1
            leave = self.stay_shift[new](day, stay)
        extra = self.extra_shift[new]
        if extra is not None:
            leave = extra[0](leave, extra[1])
        if leave < self.today:
            leave = self.today
        self.exit_at[case] = leave
        self.waiting[case] = 0
        team = self.state_team[new]
        if self.effort_of[new] and not opening and team >= 0:
            self.work_left[case] = 1
            if holder >= 0 or not self.teams[team].with_limits:
                self.release_work(case, new, entry, leave, at)
        else:
            self.work_left[case] = 0
        if leave > self.today:
            if leave < self.end:
                self.exit_case[leave - self.start].append(case)
                self.exit_entry[leave - self.start].append(entry)
        else:
            self.pending.append((_EXIT, case, entry))

    def moved(self, case: int, prev: int, new: int, day: int, opening: bool) -> None:
        """Start and stop what a move from ``prev`` to ``new`` starts and stops."""
        move = self.moves[prev + 1][new]
        for rule in move.stop:
            self.active[rule].pop(case, None)
            self.chain[rule].pop(case, None)
            self.cancel_booking(rule, case)
        for pool in move.place_leave:
            self.free_place(case, pool, day)
        if self.terminal[new]:
            return
        if move.place_enter:
            self.take_places(case, move.place_enter, day)
        for rule in move.start:
            self.start_rule(case, rule, day)
        for rule in move.once:
            if not opening or day >= self.start:
                self.trigger_once(case, rule, day)
            else:
                self.trigger_once(case, rule, day, only_if_due_from=self.start)
        if move.marks:
            self.schedule_marks(case)

    def leave(self, case: int, day: int) -> None:
        """The stay is over and the work done: choose the way out and take it (or book it)."""
        current = self.state[case]
        if self.by_exit[current] is not None and self.next_state[case] >= 0:
            new = self.next_state[case]
        else:
            new = next(self.branches[current])
        if new < 0:
            return
        diary = self.state_slots[new]
        if diary < 0:
            self.enter(case, new, day)
            return
        booked = self.book_entry(diary, case, day)
        self.schedule(booked, (_ARRIVE_BOOKED, case, self.entries[case], new, float(day)))
        for rule in self.lead_for.get(new, ()):
            self.trigger_lead(case, rule, booked)

    def release_work(self, case: int, state: int, entry: int, due: int, at: float) -> None:
        """Put the state's own work in its team's queue."""
        effort = self.efforts[state]
        assert effort is not None
        self.seq += 1
        self.teams[self.state_team[state]].put(
            (0, self.seq, case, entry, state, next(effort), due, at, -1, _NO_LIMIT)
        )

    def push(
        self,
        team_index: int,
        case: int,
        token: int,
        code: int,
        hours: float,
        due: int,
        at: float,
        rule: int,
        limit: int,
    ) -> None:
        """Queue a piece of work: (key, seq, case, token, code, hours, due, released, rule, limit)."""
        self.seq += 1
        self.teams[team_index].put((0, self.seq, case, token, code, hours, due, at, rule, limit))

    def valid(self, item: tuple[Any, ...]) -> bool:
        """Whether queued work still applies."""
        case, token, rule = item[2], item[3], item[8]
        if rule < 0:
            return bool(self.entries[case] == token)
        if self.tasks[rule].kind is TaskKind.LEAD:
            return not self.terminal[self.state[case]]
        return bool(self.active[rule].get(case) == token)

    def drop(self, item: tuple[Any, ...], team: int, day: int) -> None:
        """Record queued work that no longer applies being taken off the queue."""
        self.row(item[2], day, item[4], _DROP, team, -1, item[7], float(day), 0.0, item[6])

    def done(self, item: tuple[Any, ...], team: int, server: int, started: float) -> None:
        """A server of ``team`` finished ``item``."""
        day = self.today
        case, token, code, hours, due, released, rule, limit = item[2:10]
        if rule < 0:
            if self.entries[case] != token:
                self.drop(item, team, day)
                return
            self.row(case, day, code, _WORK, team, server, released, started, hours, due)
            self.work_left[case] = 0
            if self.waiting[case]:
                self.waiting[case] = 0
                self.leave(case, day)
            return
        if day >= limit or not self.valid(item):
            self.drop(item, team, day)
            return
        if self.plain[rule] and not self.once_after.get(code):
            self.row(case, day, code, _TASK, team, server, released, started, hours, due)
            found = self.chain[rule].get(case)
            if found is not None:
                self.plan_next(case, rule, token, day, found[0] + 1, found[1])
            return
        self.task_done(
            rule,
            case,
            day,
            team=team,
            server=server,
            asked=released,
            started=started,
            hours=hours,
            due=due,
        )

    # --- teams ------------------------------------------------------------------------------

    def join_team(self, case: int, state: int, index: int) -> int:
        """Hand the case to a team: allocate a server with room, or add it to the waiting list."""
        team = self.teams[index]
        team.background += self.casework[state]
        if not team.with_limits:
            return -1
        server = team.pick(self.points[state])
        if server < 0:
            team.waiting.append(case)
            team.unallocated += 1
        self.holder[case] = server
        return server

    def leave_team(self, case: int, state: int, index: int) -> bool:
        """The case leaves a team: free its server's room; True if room was freed."""
        team = self.teams[index]
        team.background -= self.casework[state]
        if not team.with_limits:
            return False
        server = self.holder[case]
        self.holder[case] = -1
        if server >= 0:
            team.release(server, self.points[state])
            return True
        team.unallocated -= 1
        return False

    def move_within(self, case: int, prev: int, new: int, index: int) -> tuple[int, bool]:
        """The case moves between two states of one team (its load points may change).

        Returns its server (-1: waiting) and whether room was freed for waiting cases.
        """
        team = self.teams[index]
        team.background += self.casework[new] - self.casework[prev]
        server = self.holder[case]
        if not team.with_limits or server < 0:
            return server, False
        change = self.points[new] - self.points[prev]
        if change == 0:
            return server, False
        if team.load[server] + change <= team.limits[server] + 1e-9:
            team.load[server] += change
            heapq.heappush(team.alloc, (-(team.limits[server] - team.load[server]), server))
            return server, change < 0
        team.release(server, self.points[prev])
        moved = team.pick(self.points[new])
        self.holder[case] = moved
        if moved < 0:
            team.waiting.append(case)
            team.unallocated += 1
        return moved, True

    def fill(self, index: int, day: int) -> None:
        """Allocate waiting cases in order while servers have room.

        A case too big for any server's room waits without holding up the next few.
        """
        team = self.teams[index]
        waiting = team.waiting
        skipped: list[int] = []
        while waiting and len(skipped) < _LOOK_AHEAD:
            case = waiting.popleft()
            state = self.state[case]
            if self.holder[case] >= 0 or self.state_team[state] != index or case in skipped:
                continue
            server = team.pick(self.points[state])
            if server < 0:
                skipped.append(case)
                continue
            team.unallocated -= 1
            self.holder[case] = server
            self.row(case, day, state, _ALLOCATE, index, server)
            if self.deferred[case]:
                self.deferred[case] = 0
                self.stay(case, state, day, self.entries[case], server, float(day), None, False)
            elif self.work_left[case]:
                self.release_work(case, state, self.entries[case], self.exit_at[case], float(day))
        waiting.extendleft(reversed(skipped))

    def staff_changes(self, index: int, day: int) -> None:
        """A week's leavers and new starters in a team that holds cases.

        Leavers are drawn at the team's turnover rate; each one's cases go back to the waiting
        list (work on them starts again when they are allocated), and the post holds no cases
        until it is filled ``refill`` days later.
        """
        spec = self.model.teams[index]
        team = self.teams[index]
        vacant = self.vacant_until[index]
        while vacant and vacant[0][0] <= day:
            _, server, limit = heapq.heappop(vacant)
            team.limits[server] = limit
            heapq.heappush(team.alloc, (-(limit - team.load[server]), server))
        empty = {server for _, server, _ in vacant}
        expected = (team.servers - len(empty)) * spec.turnover * 7 / 365.25
        leavers = int(self.turnover_rng.poisson(expected)) if expected > 0 else 0
        if leavers:
            chosen = self.turnover_rng.permutation(team.servers).tolist()
            gone = [s for s in chosen if s not in empty][:leavers]
            holder = np.frombuffer(self.holder, dtype=np.int32)
            state = np.frombuffer(self.state, dtype=np.int16)
            own = np.asarray(self.state_team, dtype=np.int64)[np.maximum(state, 0)] == index
            for server in gone:
                heapq.heappush(vacant, (day + spec.refill, server, team.limits[server]))
                team.limits[server] = 0.0
                for case in np.flatnonzero((holder == server) & own & (state >= 0)).tolist():
                    current = self.state[case]
                    if self.terminal[current]:
                        continue
                    team.release(server, self.points[current])
                    self.holder[case] = -1
                    team.waiting.append(case)
                    team.unallocated += 1
                    self.row(case, day, current, _LEAVER, index, server)
                    if (
                        self.pace[current] > 0
                        and self.effort_of[current]
                        and not self.deferred[case]
                    ):
                        self.work_left[case] = 1  # the new server starts the state's own work again
        self.fill(index, day)

    # --- places -----------------------------------------------------------------------------

    def take_places(self, case: int, pools: tuple[int, ...], day: int) -> None:
        """A case entering pools' states needs at most one kind of place (by their shares)."""
        draw = next(self.place_draws[pools[0]])
        share = 0.0
        for pool in pools:
            share += self.model.places[pool].share
            if draw < share:
                self.take_place(case, pool, day)
                return

    def take_place(self, case: int, pool: int, day: int) -> None:
        """Take a place in ``pool`` (or wait in its overflow)."""
        holders = self.place_of[pool]
        if self.places_free[pool] > 0:
            self.places_free[pool] -= 1
            holders[case] = True
            self.row(case, day, self.state[case], _PLACE, len(self.teams) + pool)
        else:
            holders[case] = False
            self.overflow[pool].append(case)
            self.overflowing[pool] += 1
            self.row(case, day, self.state[case], _OVERFLOW, len(self.teams) + pool)

    def free_place(self, case: int, pool: int, day: int) -> None:
        """A case leaving a pool's states gives its place to the longest waiting case."""
        holders = self.place_of[pool]
        held = holders.pop(case, None)
        if held is None:
            return
        if not held:
            self.overflowing[pool] -= 1
            return
        queue = self.overflow[pool]
        while queue:
            waiting = queue.popleft()
            if holders.get(waiting) is False:
                holders[waiting] = True
                self.overflowing[pool] -= 1
                self.row(waiting, day, self.state[waiting], _PLACE, len(self.teams) + pool)
                return
        self.places_free[pool] += 1

    # --- slot diaries -----------------------------------------------------------------------

    def book(
        self,
        index: int,
        day: int,
        window: bool = True,
        notice: tuple[Callable[[int, int], int], int] | None = None,
    ) -> int:
        """Book the free slot nearest ``day``, on it or before it.

        Before it: up to a fortnight (``window``), else as early as the notice allows. Never sooner than the notice from today; failing that, the first free one after ``day``.
        """
        notice_shift, notice_n = notice if notice is not None else self.notice[index]
        earliest = notice_shift(self.today, notice_n)
        diary, start, end = self.diaries[index], self.start, self.end
        first = self.diary_first[index]
        while first < end and diary[first - start] == 0:
            first += 1
        self.diary_first[index] = first
        if max(day, earliest) >= end:
            # Wanted after the record ends: taking a slot from the last fortnight instead would
            # starve work that is due inside the record.
            return end
        target = max(day, earliest)
        low = max(earliest, first)
        if window:
            low = max(low, self.working_shift(target, -_PREPARE))
        slot = target
        while slot >= low and (slot >= end or diary[slot - start] == 0):
            slot -= 1
        if slot < low:
            slot = max(target, first)
            while slot < end and diary[slot - start] == 0:
                slot += 1
        if slot >= end:
            return end
        diary[slot - start] -= 1
        return slot

    def arrive_booked(self, case: int, entry: int, state: int, asked: float) -> None:
        """A booked entry's day: it goes ahead, or (a share of them) is adjourned."""
        if self.entries[case] != entry:
            return
        diary = self.state_slots[state]
        draws = self.adjourn_draws[diary]
        if draws is not None and next(draws) < self.model.slots[diary].adjourn:
            self.adjourned(diary, case, entry, state, asked)
        else:
            self.enter(case, state, self.today, asked=asked)

    def book_entry(self, index: int, case: int, day: int) -> int:
        """Book the entry a case is leaving for, against the diary's deadline if it has one."""
        within = self.within[index]
        if within is None:
            return self.book(index, day)
        anchor = self.model.slots[index].anchor
        since = self.anchor_day[anchor].get(case, day)
        deadline = within[0](since, within[1])
        aim = self.aims[index]
        if aim is not None:
            deadline = aim[1](deadline, -int(next(aim[0])))
        return self.book(index, max(deadline, day), window=False)

    def adjourned(self, index: int, case: int, entry: int, state: int, asked: float) -> None:
        """A booked entry did not go ahead: book the first free slot after the notice."""
        shift, n = self.renotice[index]
        again = self.book(index, shift(self.today, n), window=False, notice=(shift, n))
        self.row(case, self.today, state, _ADJOURN, -1, -1, asked, _NAN, 0.0, again)
        self.schedule(again, (_ARRIVE_BOOKED, case, entry, state, asked))

    def cancel_booking(self, rule: int, case: int) -> None:
        """Give back the slot a case had booked for a task that no longer applies."""
        booked = self.booked[rule].pop(case, None)
        if booked is not None and booked > self.today and booked < self.end:
            index = self.tasks[rule].slots
            self.diaries[index][booked - self.start] += 1
            self.diary_first[index] = min(self.diary_first[index], booked)

    # --- tasks ------------------------------------------------------------------------------

    def new_token(self) -> int:
        """A fresh token for a stretch in a rule's scope."""
        self.token += 1
        return self.token

    def start_rule(self, case: int, index: int, day: int) -> None:
        """The case entered a rule's scope on ``day``."""
        token = self.new_token()
        self.active[index][case] = token
        rule = self.tasks[index]
        if rule.kind is TaskKind.RECURRING:
            self.chain[index][case] = (0, day)
            self.plan_next(case, index, token, day, 0, day)

    def due_after(self, index: int, count: int, anchor: int, entered: int) -> int:
        """The due day after ``count`` occurrences, the last on ``anchor`` (as tracking does)."""
        timing = self.timing[index]
        if count == 0:
            step = timing.first
        elif count == 1 and timing.second is not None:
            step = timing.second
        else:
            step = timing.every
            for after, later in timing.then:
                assert after is not None
                if after[0](entered, after[1]) <= anchor:
                    step = later
        assert step is not None
        return step[0](anchor, step[1])

    def jump(
        self, index: int, anchor: int, count: int, entered: int, today: int
    ) -> tuple[int, int]:
        """Skip whole intervals that end before ``today`` at once, where that is exact.

        Once the interval can no longer change (past the first two occurrences and every ``then``
        step), k intervals of days, weeks or working days (from a working day), or of months
        from a day of the month no later than the 28th, are one interval k times as long.
        """
        timing = self.timing[index]
        if count < 2 or timing.every is None:
            return anchor, count
        step = timing.every_unit
        assert step is not None
        for (after, later), later_unit in zip(timing.then, timing.then_units, strict=True):
            assert after is not None and later is not None
            if after[0](entered, after[1]) > anchor:
                return anchor, count
            step = (later[0], later[1], later_unit)
        shift, n, unit = step
        if unit is Unit.DAYS:
            longest = n
        elif unit is Unit.WEEKS:
            longest = 7 * n
        elif unit is Unit.WORKING_DAYS:
            longest = (7 * n) // 5 + 7  # at most: weekends and the Christmas bank holidays
        elif unit is Unit.MONTHS and self.grid.date(anchor).day <= 28:
            longest = 31 * n
        else:
            return anchor, count
        jumps = (today - anchor) // longest - 1
        if jumps < 1:
            return anchor, count
        return shift(anchor, n * jumps), count + jumps

    def plan_next(
        self, case: int, index: int, token: int, anchor: int, count: int, entered: int
    ) -> None:
        """Plan the next occurrence of a recurring task after one on ``anchor``."""
        due = self.due_after(index, count, anchor, entered)
        today = self.today
        while due < today:  # a case already open at the start: skip what fell due before
            anchor, count = self.jump(index, due, count + 1, entered, today)
            due = self.due_after(index, count, anchor, entered)
        self.chain[index][case] = (count, entered)
        rule = self.tasks[index]
        day = self.punctual_day(
            rule.punctuality,
            due,
            anchor + 1 if anchor + 1 > today else today,
            self.pressure(case, rule),
        )
        self.book_or_release(case, index, token, due, day, _NO_LIMIT)

    def pressure(self, case: int, rule: TaskRule) -> float:
        """The load of the server holding ``case`` over its team's reference (1: no effect)."""
        team = self.state_team[self.state[case]]
        if team < 0 or (rule.team >= 0 and rule.team != team):
            return 1.0
        reference = self.references[team]
        holder = self.holder[case]
        if reference <= 0 or holder < 0:
            return 1.0
        return self.teams[team].load[holder] / reference

    def punctual_day(self, index: int, due: int, earliest: int, pressure: float = 1.0) -> int:
        """When a task due on ``due`` is planned (early, or late), not before ``earliest``.

        Under ``pressure`` (the server's load over the reference) the share done late is the
        practice's share times the pressure (at most all).
        """
        early, late = self.punctual_shift[index]
        if pressure == 1.0:
            code = next(self.punctual[index])
            day = late(due, code >> 1) if code & 1 else early(due, -(code >> 1))
        else:
            u, before, after = next(self.punctual_parts[index])
            share = (1.0 - self.model.punctuality[index].on_time) * pressure
            day = late(due, after) if u < share else early(due, -before)
        return day if day > earliest else earliest

    def book_or_release(
        self, case: int, index: int, token: int, due: int, day: int, limit: int
    ) -> None:
        """Book the task's slot, or plan its release into the queue on ``day``."""
        rule = self.tasks[index]
        if rule.slots >= 0:
            booked = self.book(rule.slots, day)
            self.booked[index][case] = booked
            self.schedule(booked, (_MEET, index, case, token, due, float(self.today)))
            if self.task_efforts[index] is not None and booked < self.end:
                # preparation (reports) starts a fortnight before the booked_day
                prepare = max(self.today, self.working_shift(booked, -_PREPARE))
                self.schedule(prepare, (_PREPARE_OP, index, case, token, booked))
            for lead in self.lead_for.get(rule.task, ()):
                self.trigger_lead(case, lead, booked)
            return
        for lead in self.lead_for.get(rule.task, ()):
            self.trigger_lead(case, lead, day)
        self.schedule(day, (_RELEASE, index, case, token, due, limit, float(day)))

    def task_team(self, case: int, rule: TaskRule) -> int:
        """Which team does the task: its own, or the team holding the case (-1: nobody)."""
        if rule.team >= 0:
            return rule.team
        if rule.team == -2:
            return -1
        return self.state_team[self.state[case]]

    def release_task(
        self, index: int, case: int, token: int, due: int, limit: int, asked: float
    ) -> None:
        """A task's planned day: queue its work, or record it done if it needs none."""
        rule = self.tasks[index]
        if rule.kind is TaskKind.LEAD:
            if self.terminal[self.state[case]]:
                return
        elif self.active[index].get(case) != token:
            return
        team = self.task_team(case, rule)
        effort = self.task_efforts[index]
        if team < 0 or effort is None:
            if self.today < limit:
                self.task_done(index, case, self.today, asked=asked, due=due)
            return
        self.push(team, case, token, rule.task, next(effort), due, asked, index, limit)

    def task_done(
        self,
        index: int,
        case: int,
        day: int,
        *,
        team: int = -1,
        server: int = -1,
        asked: float = _NAN,
        started: float = _NAN,
        hours: float = _NAN,
        due: int = NO_DUE,
    ) -> None:
        """Record a task done, then plan what follows from it."""
        rule = self.tasks[index]
        if server >= 0 and rule.slots >= 0:
            # a server finished preparing for a booked task: work, not the task itself
            self.row(case, day, rule.task, _WORK, team, server, asked, started, hours, due)
            return
        self.row(case, day, rule.task, _TASK, team, server, asked, started, hours, due)
        if rule.kind is TaskKind.RECURRING:
            found = self.chain[index].get(case)
            token = self.active[index].get(case)
            if found is not None and token is not None:
                count, entered = found
                self.plan_next(case, index, token, day, count + 1, entered)
        for once in self.once_after.get(rule.task, ()):
            scope = self.tasks[once].scope
            if scope is None or self.state[case] in scope:
                self.trigger_once(case, once, day)

    def trigger_once(
        self, case: int, index: int, anchor: int, only_if_due_from: int | None = None
    ) -> None:
        """A once-task's anchor happened on ``anchor``: plan it."""
        rule = self.tasks[index]
        token = self.active[index].get(case)
        if token is None:
            return
        within = self.timing[index].within
        assert within is not None
        due = within[0](anchor, within[1])
        if only_if_due_from is not None and due < only_if_due_from:
            return
        day = self.punctual_day(
            rule.punctuality, due, max(anchor, self.today), self.pressure(case, rule)
        )
        self.book_or_release(case, index, token, due, day, _NO_LIMIT)

    def trigger_lead(self, case: int, index: int, target: int) -> None:
        """A task that must come at least some time before a booked event on ``target``."""
        rule = self.tasks[index]
        at_least = self.timing[index].at_least
        assert at_least is not None
        due = at_least[0](target, -at_least[1])
        day = self.punctual_day(rule.punctuality, due, self.today, self.pressure(case, rule))
        day = min(day, target)
        self.schedule(day, (_RELEASE, index, case, 0, due, target, float(day)))

    # --- milestones -------------------------------------------------------------------------

    def schedule_marks(self, case: int) -> None:
        """Schedule the case's coming milestones (each once)."""
        for code, years in self.model.marks:
            day = self.birth[case] + round(years * 365.25)
            if self.today <= day < self.end and (case, code) not in self.marks_scheduled:
                self.marks_scheduled.add((case, code))
                self.schedule(day, (_MARK, case, code))

    def mark(self, case: int, code: int) -> None:
        """A milestone: recorded if the case is open and where milestones matter."""
        state = self.state[case]
        scope = self.model.mark_scope
        if self.terminal[state] or (scope is not None and state not in scope):
            self.marks_scheduled.discard((case, code))
            return
        self.row(case, self.today, code, _MARK_ROW, self.state_team[state], self.holder[case])
        for once in self.once_after.get(code, ()):
            rule_scope = self.tasks[once].scope
            if rule_scope is None or state in rule_scope:
                self.trigger_once(case, once, self.today)
