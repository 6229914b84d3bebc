"""One run of the engine: the state of a run assembled from its mechanisms, and its agenda.

Time is whole days (``DAY``). Each day has fixed phases (``phases``): arrivals, the agenda, each
team's shift, the weekly counts. A case is not a process: its next move is an action record
(``actions``) in a per-day agenda, each with one handler in the module of its mechanism, and a
recurring task is one agenda entry at a time, so the number of Python operations grows with the
number of events and never with the number of open cases per day.

Where each mechanism lives:

- ``cases``: per-case columns, entering and leaving states, the cases open on day one;
- ``allocation``: workers holding cases, the waiting list, staff leaving and starting;
- ``work``: teams' queues of work and their working day;
- ``booking``: slot diaries and booked entries (deadlines, adjournments);
- ``places``: held places and their overflow;
- ``tasks``: what is owed in a rule's scope, planned with punctuality, and what follows;
- ``streams``: every random draw, one named stream per purpose.
"""

from __future__ import annotations

import gc
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import simpy

from casejourney.calendar import Unit
from casejourney.engine import phases
from casejourney.engine.actions import (
    Action,
    ArriveBooked,
    Done,
    Exit,
    Mark,
    Meet,
    Prepare,
    Release,
)
from casejourney.engine.allocation import Allocation
from casejourney.engine.booking import Booking, diary
from casejourney.engine.cases import Cases, move_table
from casejourney.engine.model import Model, TaskKind
from casejourney.engine.places import Places
from casejourney.engine.pools import ServerPool
from casejourney.engine.records import (
    FLUSH_BYTES,
    EventLog,
    LogBuilder,
    LogJoiner,
    Snapshots,
    join_snapshots,
    row_writer,
)
from casejourney.engine.shifts import shifter
from casejourney.engine.streams import Streams
from casejourney.engine.tasks import Tasks, Timing, age_groups
from casejourney.engine.work import Queues


def simulate(
    model: Model,
    seed: np.random.SeedSequence,
    replication: int = 0,
    progress: Callable[[float], None] | None = None,
) -> tuple[EventLog, Snapshots]:
    """Run ``model`` once with randomness from ``seed``; return the event log and weekly counts.

    ``progress``, if given, is called each simulated week with the share of the run done.
    """
    # The run holds millions of small tuples and lists that never form cycles: the cyclic
    # garbage collector would scan them again and again (runs slow down as they grow), so it is
    # paused for the run and the usual collection resumes after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        run = Run(model, seed)
        run.progress = progress
        env = simpy.Environment(initial_time=model.start)
        held = phases.start(env, run)
        run.open_cases()
        env.run(until=model.end)
        held.clear()  # the day's processes let go of the run (see ``phases.start``)
        run.queued_at_end()
        teams = tuple(t.name for t in model.teams) + tuple(p.name for p in model.places)
        cases: dict[str, np.ndarray] = {"birth": np.frombuffer(run.birth, dtype=np.int32).copy()}
        for trait, values in zip(model.traits, run.trait_of, strict=True):
            cases[trait.name] = np.frombuffer(values, dtype=np.int8).copy()
        log = run.log.freeze(model.names, teams, replication, cases)
        snapshots = run.snapshots(replication)
        # The run is garbage now and freed as it is dropped; the day's processes and the
        # environment are in reference cycles that only the cyclic collector frees. All of it
        # was made while collection was paused, so it is all in the youngest generation:
        # collecting that alone frees it without scanning the rest of the program.
        del run, env
    finally:
        if collecting:
            gc.enable()
            gc.collect(0)
    return log, snapshots


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
    joiner = LogJoiner()  # each part's log joins the rest as soon as the part ends
    counts: list[Snapshots] = []
    for index, part in enumerate(parts):
        own = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, index))
        on = None
        if progress is not None:
            on = partial(_part_progress, progress, index, len(parts))
        log, snapshots = simulate(part, own, replication, on)
        joiner.add(log, tuple(team.servers for team in part.teams))
        del log
        counts.append(snapshots)
    return joiner.freeze(), join_snapshots(counts)


def _part_progress(progress: Callable[[float], None], index: int, parts: int, share: float) -> None:
    progress((index + share) / parts)


class Run(Cases, Allocation, Queues, Booking, Places, Tasks):
    """Everything that changes during one run, and the handlers that change it."""

    # Slots, not the instance's dictionary: a run has about a hundred attributes, more than
    # CPython shares keys for, and the handlers read them millions of times.
    __slots__ = (
        "active",
        "adjourn_draws",
        "age_group",
        "ages",
        "aims",
        "anchor_day",
        "arrival_rng",
        "arrived",
        "birth",
        "booked",
        "branches",
        "bucket",
        "by_entry",
        "by_exit",
        "casework",
        "chain",
        "closed",
        "deferred",
        "diaries",
        "diary_first",
        "effort_of",
        "efforts",
        "elasticity",
        "end",
        "entries",
        "exit_at",
        "exit_case",
        "exit_entry",
        "extra",
        "extra_shift",
        "extra_slots",
        "extra_taken",
        "first",
        "grid",
        "held_slots",
        "history_draws",
        "history_opening",
        "holder",
        "is_anchor",
        "lead_for",
        "lead_rule",
        "least",
        "log",
        "marks_scheduled",
        "model",
        "moves",
        "next_state",
        "notice",
        "once_after",
        "open",
        "open_list",
        "open_now",
        "opened",
        "overflow",
        "overflowing",
        "pace",
        "pending",
        "place_draws",
        "place_of",
        "places_free",
        "plain",
        "points",
        "progress",
        "punctual",
        "punctual_parts",
        "punctual_shift",
        "quiet",
        "rank",
        "references",
        "release",
        "renotice",
        "row",
        "rule_traits",
        "snap_day",
        "snap_measure",
        "snap_subject",
        "snap_value",
        "start",
        "state",
        "state_slots",
        "state_team",
        "states",
        "stay_shift",
        "stay_units",
        "stays",
        "streams",
        "task_efforts",
        "tasks",
        "teams",
        "terminal",
        "timing",
        "today",
        "token",
        "trait_draws",
        "trait_of",
        "vacant_until",
        "waiting",
        "wip",
        "within",
        "work_left",
        "working_shift",
    )

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
        # randomness: one named stream per purpose; the hot ones held here too
        self.streams = streams = Streams(model, seed)
        self.arrival_rng = streams.arrival_rng
        self.stays, self.stay_units = streams.stays, streams.stay_units
        self.stay_shift, self.by_exit = streams.stay_shift, streams.by_exit
        self.by_entry = streams.by_entry
        self.branches = streams.branches
        self.efforts, self.task_efforts = streams.efforts, streams.task_efforts
        self.punctual, self.punctual_parts = streams.punctual, streams.punctual_parts
        self.punctual_shift = streams.punctual_shift
        self.ages, self.place_draws = streams.ages, streams.place_draws
        self.trait_draws = streams.trait_draws
        self.adjourn_draws, self.aims = streams.adjourn_draws, streams.aims
        self.history_draws = streams.history_draws
        self.references = [t.reference for t in model.teams]
        self.extra_shift = [
            (shifter(grid, e.unit), e.n) if e is not None else None for e in self.extra
        ]
        self.working_shift = shifter(grid, Unit.WORKING_DAYS)
        self.notice = [
            (shifter(grid, d.notice.unit), d.notice.n) if d.notice else (self.working_shift, 1)
            for d in model.slots
        ]
        self.timing = [Timing(rule, grid) for rule in model.tasks]
        self.age_group = age_groups(model.tasks)
        self.lead_rule = [rule.kind is TaskKind.LEAD for rule in model.tasks]
        # recurring, not booked, nothing owed after it: the commonest task, with a short path
        self.plain = [rule.kind is TaskKind.RECURRING and rule.slots < 0 for rule in model.tasks]
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
        self.trait_of = [array("b") for _ in model.traits]  # per trait, each case's value
        self.rule_traits = [rule.traits for rule in model.tasks]
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
        self.moves = move_table(model)
        self.quiet = [[move.quiet for move in row] for row in self.moves]
        self.marks_scheduled: set[tuple[int, int]] = set()
        # resources
        self.teams = [
            ServerPool(
                t.limits, t.hours_per_day, model.discipline == "edf", t.triage, t.triage_days
            )
            for t in model.teams
        ]
        for team in self.teams:
            team.worked_by_day = [0.0] * (len(self.open_list) + 1)
        # a diary's held slots (if any) are the ones its general days do not have
        self.diaries = [diary(model, i, 1.0 - d.held) for i, d in enumerate(model.slots)]
        self.held_slots = [
            diary(model, i, d.held) if d.held > 0 else None for i, d in enumerate(model.slots)
        ]
        self.extra_slots = [
            diary(model, i, d.extra) if d.extra > 0 else None for i, d in enumerate(model.slots)
        ]
        self.extra_taken = [0] * len(model.slots)
        self.within = [
            (shifter(grid, d.within.unit), d.within.n) if d.within is not None else None
            for d in model.slots
        ]
        self.release = [
            (shifter(grid, d.release.unit), d.release.n) if d.release else self.notice[i]
            for i, d in enumerate(model.slots)
        ]
        self.renotice = [
            (shifter(grid, d.renotice.unit), d.renotice.n) if d.renotice else self.notice[i]
            for i, d in enumerate(model.slots)
        ]
        self.vacant_until: list[list[tuple[int, int, float]]] = [[] for _ in model.teams]
        self.history_opening = [dict(h.opening_share) for h in model.history]
        self.diary_first = [self.start] * len(model.slots)
        self.places_free = [p.places for p in model.places]
        self.overflow: list[deque[int]] = [deque() for _ in model.places]
        self.overflowing = [0] * len(model.places)
        self.place_of: list[dict[int, bool]] = [{} for _ in model.places]
        # agenda
        self.bucket: list[list[Action] | None] = [[] for _ in range(self.end - self.start)]
        # Planned ends of stays, the commonest action, as compact (case, entry) columns per day.
        days = self.end - self.start
        self.exit_case: list[array[int]] = [array("i") for _ in range(days)]
        self.exit_entry: list[array[int]] = [array("i") for _ in range(days)]
        self.pending: deque[Action] = deque()
        # weekly counts
        self.snap_day: list[int] = []
        self.snap_subject: list[str] = []
        self.snap_measure: list[str] = []
        self.snap_value: list[float] = []

    def schedule(self, day: int, action: Action) -> None:
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
        pending = self.pending
        while pending:
            self.dispatch(pending.popleft())

    def dispatch(self, action: Action) -> None:
        """Carry out one agenda action: its record type's handler (commonest first).

        A chain of exact type tests rather than a table of bound methods: compiled, each handler
        is then a direct call (and the run holds no reference cycle through its own methods).
        """
        if type(action) is Release:
            self.on_release(action)
        elif type(action) is Done:
            self.on_done(action)
        elif type(action) is Exit:
            self.on_exit(action)
        elif type(action) is Meet:
            self.on_meet(action)
        elif type(action) is Prepare:
            self.on_prepare(action)
        elif type(action) is ArriveBooked:
            self.on_arrive_booked(action)
        elif type(action) is Mark:
            self.on_mark(action)
        else:
            raise TypeError(f"no handler for {type(action).__name__}")

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
            case = self.new_case(day, self.ages.next())
            self.arrived += 1
            if history:
                self.earlier_stays(case, -1, self.start)
            self.enter(case, initial, day, at=at)
        self.drain()

    def agenda(self, day: int) -> None:
        """Everything planned for today: other actions in the order planned, then planned exits."""
        self.today = day
        offset = day - self.start
        if len(self.log.pending) > FLUSH_BYTES:
            self.log.flush()
        if offset % 7 == 0:
            for index, spec in enumerate(self.model.teams):
                if (spec.turnover > 0 or spec.agency) and self.teams[index].with_limits:
                    self.staff_changes(index, day)
        bucket = self.bucket[offset]
        self.bucket[offset] = None
        if bucket:
            for action in bucket:
                self.dispatch(action)
        del bucket
        cases, planned_entries = self.exit_case[offset], self.exit_entry[offset]
        self.exit_case[offset] = self.exit_entry[offset] = array("i")
        entries, work_left, waiting = self.entries, self.work_left, self.waiting
        for case, planned in zip(cases, planned_entries, strict=True):
            if entries[case] == planned:
                if work_left[case]:
                    waiting[case] = 1
                else:
                    self.leave(case, day)
        self.drain()

    def count(self, day: int) -> None:
        """Weekly counts: servers, hours, loads, queues, cases open and closed."""
        add = self._snap
        add(day, "all", "arrived", self.arrived)
        add(day, "all", "opening", self.opened)
        add(day, "all", "open", self.open_now)
        add(day, "all", "closed", self.closed)
        for index, state in enumerate(self.states):
            add(day, f"state:{state.name}", "open", self.wip[index])
        # the open days of the week just ended, on the open-day clock
        rank = self.rank
        since = rank[min(max(day + 1 - self.model.snapshot_every - self.first, 0), len(rank) - 1)]
        until = rank[min(day + 1 - self.first, len(rank) - 1)]
        for spec, team in zip(self.model.teams, self.teams, strict=True):
            subject = f"team:{spec.name}"
            team.hours_worked = sum(team.worked_by_day[since:until])
            team.casework_backlog += team.casework_unmet
            spare = team.hours_available - team.hours_worked - team.casework_hours
            if team.casework_backlog > 0 and spare > 0:  # spare hours work the backlog down
                caught_up = min(team.casework_backlog, spare)
                team.casework_backlog -= caught_up
                team.casework_hours += caught_up
            add(day, subject, "servers", team.servers)
            add(day, subject, "hours_available", team.hours_available)
            add(day, subject, "hours_worked", team.hours_worked)
            add(day, subject, "casework_hours", team.casework_hours)
            add(day, subject, "casework_unmet", team.casework_unmet)
            add(day, subject, "casework_backlog", team.casework_backlog)
            add(day, subject, "queued", team.queued)
            add(day, subject, "unallocated", team.unallocated)
            add(day, subject, "cases_held", sum(team.held))
            add(day, subject, "points_held", sum(team.load))
            over = max(
                (ld - lim for ld, lim in zip(team.load, team.limits, strict=True)), default=0.0
            )
            add(day, subject, "most_over_limit", over if team.with_limits else 0.0)
            team.hours_available = team.hours_worked = team.casework_hours = 0.0
            team.casework_unmet = 0.0
        for index, slots in enumerate(self.model.slots):
            if slots.extra > 0:
                add(day, f"diary:{slots.name}", "extra_taken", self.extra_taken[index])
                self.extra_taken[index] = 0
        for pool, free, overflowing in zip(
            self.model.places, self.places_free, self.overflowing, strict=True
        ):
            add(day, f"place:{pool.name}", "used", pool.places - free)
            add(day, f"place:{pool.name}", "overflow", overflowing)

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
