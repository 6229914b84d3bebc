"""What every part of a run shares: the state of one run, declared once.

A run (``run.Run``) is assembled from one class per mechanism — cases (``cases``), who holds
which case (``allocation``), teams' queues of work (``work``), held places (``places``), slot
diaries (``booking``) and tasks owed (``tasks``). Each is a mixin over :class:`RunState`, which
declares the columns and tables they read and write and the handful of steps one mechanism asks
of another; ``run.Run.__init__`` fills them in.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TypeVar

import numpy as np

from casejourney.calendar import DayGrid, Unit
from casejourney.engine.actions import Action, Work
from casejourney.engine.model import Model, StateModel, TaskRule
from casejourney.engine.pools import ServerPool
from casejourney.engine.records import NO_DUE, Kind
from casejourney.engine.sampling import Draws
from casejourney.engine.shifts import Shifter
from casejourney.engine.streams import Streams

if TYPE_CHECKING:
    from casejourney.engine.cases import Move
    from casejourney.engine.tasks import Timing

# Row kinds as plain ints (IntEnum members are slower to append to an array), as constants:
# compiled, a Final name with a literal value is inlined (any other module-level name is fetched
# by name at each use). Checked against ``records.Kind`` on import.
ENTER: Final = 0
TASK: Final = 1
MARK_ROW: Final = 2
WORK: Final = 3
ALLOCATE: Final = 4
PLACE: Final = 5
DROP: Final = 6
QUEUED: Final = 7
OVERFLOW: Final = 8
ADJOURN: Final = 9
LEAVER: Final = 10
HISTORY: Final = 11
if [int(k) for k in Kind] != [
    ENTER,
    TASK,
    MARK_ROW,
    WORK,
    ALLOCATE,
    PLACE,
    DROP,
    QUEUED,
    OVERFLOW,
    ADJOURN,
    LEAVER,
    HISTORY,
]:
    raise ImportError("the engine's row kinds differ from records.Kind: update state.py")

NO_LIMIT: Final = 1 << 40  # a piece of work that applies whenever it is done
NAN: Final = math.nan
PREPARE: Final = 10  # working days before a booked task that preparing for it starts

_T = TypeVar("_T")

Shift = Shifter  # .at(day, n) -> the day n units later on the run's calendar

try:  # a mixin of the run, for mypyc (scripts/build_native.py); nothing in pure Python
    from mypy_extensions import trait as trait
except ImportError:  # mypy's own package: a plain install may not have it

    def trait(cls: _T) -> _T:
        """Mark a class as a mixin (for mypyc; nothing without it)."""
        return cls


@trait
class RunState:
    """The state of one run (filled in by ``run.Run.__init__``)."""

    # the model and its calendar
    model: Model
    grid: DayGrid
    start: int
    end: int
    today: int
    first: int
    open: list[bool]
    rank: list[int]  # rank[d - first]: open days before day d
    open_list: list[int]  # the open days
    working_shift: Shift
    progress: Callable[[float], None] | None
    # states
    states: tuple[StateModel, ...]
    terminal: list[bool]
    state_team: list[int]
    points: list[float]
    casework: list[float]
    state_slots: list[int]
    effort_of: list[bool]
    pace: list[float]
    least: list[int]
    elasticity: list[float]
    is_anchor: list[bool]
    anchor_day: dict[int, dict[int, int]]
    stay_shift: list[Shift]
    extra_shift: list[tuple[Shift, int] | None]
    moves: list[list[Move]]
    quiet: list[list[bool]]
    # random streams (see ``streams``)
    streams: Streams
    arrival_rng: np.random.Generator
    stays: list[Draws]
    stay_units: list[Unit]
    by_exit: list[dict[int, tuple[Draws, Shift]] | None]
    by_entry: list[dict[int, Draws] | None]
    branches: list[Draws]
    efforts: list[Draws | None]
    task_efforts: list[Draws | None]
    punctual: list[Draws]
    punctual_parts: list[Draws]
    punctual_shift: list[tuple[Shift, Shift]]
    ages: Draws
    place_draws: list[Draws]
    adjourn_draws: list[Draws | None]
    aims: list[tuple[Draws, Shift] | None]
    history_draws: list[tuple[Draws, Draws, Draws]]
    # per-case columns (compact arrays: values inline, cache-friendly at 1.7 million cases)
    state: array[int]
    entries: array[int]
    holder: array[int]
    exit_at: array[int]
    work_left: bytearray
    waiting: bytearray
    birth: array[int]
    trait_of: list[array[int]]  # per trait (``Model.traits``), each case's value
    trait_draws: list[Draws]
    rule_traits: list[tuple[tuple[int, frozenset[int]], ...]]
    next_state: array[int]  # the way out, when drawn on entering (see StateModel)
    deferred: bytearray  # a paced stay waiting for a server before it starts
    arrived: int
    opened: int
    open_now: int
    closed: int
    wip: list[int]
    # tasks
    tasks: tuple[TaskRule, ...]
    timing: list[Timing]
    age_group: list[tuple[int, ...]]  # rules sharing a chain by age band (see ``tasks``)
    lead_rule: list[bool]
    plain: list[bool]
    active: list[dict[int, int]]
    chain: list[dict[int, tuple[int, int]]]
    booked: list[dict[int, int]]
    token: int
    once_after: dict[int, list[int]]
    lead_for: dict[int, list[int]]
    marks_scheduled: set[tuple[int, int]]
    # teams
    teams: list[ServerPool]
    references: list[float]
    vacant_until: list[list[tuple[int, int, float]]]
    # slot diaries
    diaries: list[list[int]]
    diary_first: list[int]
    extra_slots: list[list[int] | None]  # slots kept for entries otherwise past their deadline
    extra_taken: list[int]  # of those, taken this week
    held_slots: list[list[int] | None]  # slots held back for entries against the deadline
    release: list[tuple[Shift, int]]  # held slots this close to their day are open to anyone
    notice: list[tuple[Shift, int]]
    renotice: list[tuple[Shift, int]]
    within: list[tuple[Shift, int] | None]
    history_opening: list[dict[int, float]]
    # places
    places_free: list[int]
    overflow: list[deque[int]]
    overflowing: list[int]
    place_of: list[dict[int, bool]]
    # the agenda
    bucket: list[list[Action] | None]
    exit_case: list[array[int]]
    exit_entry: list[array[int]]
    pending: deque[Action]
    row: Callable[..., None]

    # Steps one mechanism asks of another (defined in the module named).

    def schedule(self, day: int, action: Action) -> None:  # run
        raise NotImplementedError

    def drain(self) -> None:  # run
        raise NotImplementedError

    def enter(  # cases
        self,
        case: int,
        new: int,
        day: int,
        *,
        at: float | None = None,
        asked: float = NAN,
        stay: int | None = None,
        opening: bool = False,
    ) -> None:
        raise NotImplementedError

    def stay(  # cases
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
        raise NotImplementedError

    def leave(self, case: int, day: int) -> None:  # cases
        raise NotImplementedError

    def join_team(self, case: int, state: int, index: int) -> int:  # allocation
        raise NotImplementedError

    def leave_team(self, case: int, state: int, index: int) -> bool:  # allocation
        raise NotImplementedError

    def move_within(  # allocation
        self, case: int, prev: int, new: int, index: int
    ) -> tuple[int, bool]:
        raise NotImplementedError

    def fill(self, index: int, day: int) -> None:  # allocation
        raise NotImplementedError

    def release_work(  # work
        self, case: int, state: int, entry: int, due: int, at: float
    ) -> None:
        raise NotImplementedError

    def push(self, team_index: int, item: Work) -> None:  # work
        raise NotImplementedError

    def valid(self, item: Work) -> bool:  # work
        raise NotImplementedError

    def drop(self, item: Work, team: int, day: int) -> None:  # work
        raise NotImplementedError

    def take_places(self, case: int, pools: tuple[int, ...], day: int) -> None:  # places
        raise NotImplementedError

    def free_place(self, case: int, pool: int, day: int) -> None:  # places
        raise NotImplementedError

    def book(  # booking
        self,
        index: int,
        day: int,
        window: bool = True,
        notice: tuple[Shift, int] | None = None,
        deadline: bool = False,
        priority: bool = False,
    ) -> int:
        raise NotImplementedError

    def book_entry(self, index: int, case: int, day: int) -> int:  # booking
        raise NotImplementedError

    def cancel_booking(self, rule: int, case: int) -> None:  # booking
        raise NotImplementedError

    def start_rule(self, case: int, index: int, day: int) -> None:  # tasks
        raise NotImplementedError

    def plan_next(  # tasks
        self, case: int, index: int, token: int, anchor: int, count: int, entered: int
    ) -> None:
        raise NotImplementedError

    def task_team(self, case: int, rule: TaskRule) -> int:  # tasks
        raise NotImplementedError

    def task_done(  # tasks
        self,
        index: int,
        case: int,
        day: int,
        *,
        team: int = -1,
        server: int = -1,
        asked: float = NAN,
        started: float = NAN,
        hours: float = NAN,
        due: int = NO_DUE,
    ) -> None:
        raise NotImplementedError

    def trigger_once(  # tasks
        self, case: int, index: int, anchor: int, only_if_due_from: int | None = None
    ) -> None:
        raise NotImplementedError

    def trigger_lead(self, case: int, index: int, target: int) -> None:  # tasks
        raise NotImplementedError

    def schedule_marks(self, case: int) -> None:  # tasks
        raise NotImplementedError
