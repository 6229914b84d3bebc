"""The engine's input: a compiled, frozen model of states, tasks, teams, slot diaries and places.

Everything is indexed by small integers (state 0..S-1; event codes name states first, then tasks,
then marks) so that the run loop does list look-ups, not dictionary or string work. Names are kept
only to label records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Final, Literal

import numpy as np

from casejourney.calendar import DayGrid, Unit

#: One simulation time unit: a whole day. Every clock in the engine counts days.
DAY: Final = 1

Shape = Literal["fixed", "uniform", "triangular", "lognormal", "exponential"]


@dataclass(frozen=True)
class Offset:
    """A calendar length: ``n`` units (working days, days, weeks, months, ...)."""

    unit: Unit
    n: int


@dataclass(frozen=True)
class Draw:
    """A distribution of amounts in ``unit`` (``None``: plain numbers, e.g. hours of effort).

    ``params`` by shape: fixed (value), uniform (low, high), triangular (low, mode, high),
    lognormal (median, p90), exponential (mean).
    """

    shape: Shape
    params: tuple[float, ...]
    unit: Unit | None = None


@dataclass(frozen=True)
class Punctuality:
    """How a task is timed against its due date before any queueing: on time (early) or late."""

    on_time: float
    early: Draw
    late: Draw


@dataclass(frozen=True)
class StateModel:
    """One state: how long a case stays, where it goes next, and what it needs while there."""

    name: str
    terminal: bool = False
    stay: Draw | None = None  # None: one open day
    extra: Offset | None = None  # added to every stay
    exits: tuple[int, ...] = ()  # destination states
    weights: tuple[float, ...] = ()  # their probabilities (sum to 1)
    team: int = -1  # the team holding cases here (-1: none)
    points: float = 1.0  # load points a case counts for here
    casework: float = 0.0  # server hours a week each case here takes, besides its tasks
    effort: Draw | None = None  # hours of the state's own work, done before leaving
    slots: int = -1  # the slot diary booked to enter this state (-1: none)
    # the stay when going on to exits[i] (None: ``stay``); () for none: the exit is then drawn on
    # leaving, else on entering (so that the stay can depend on it)
    exit_stays: tuple[Draw | None, ...] = ()
    # (previous state, stay in the unit of ``stay``): the stay when entering from that state
    entry_stays: tuple[tuple[int, Draw], ...] = ()
    # Paced stays: when ``pace`` > 0 the stay is the elapsed time for a server holding ``pace``
    # load points; a server holding more (or fewer) takes proportionally longer (or shorter) over
    # the part of the stay above ``least`` whole units, which remains whatever the load (waiting
    # for others' information). The stay starts when a server is allocated.
    pace: float = 0.0
    least: int = 0
    elasticity: float = 1.0  # the part above ``least`` scales with (load / pace) ** elasticity


class TaskKind(IntEnum):
    """How a task falls due."""

    RECURRING = 0  # while in scope: first, second, then every interval after the last
    ONCE = 1  # within an interval of an anchor event, while in scope
    LEAD = 2  # at least an interval before a booked target event


@dataclass(frozen=True)
class TaskRule:
    """A task owed by a case, its timing, and who does it."""

    name: str
    kind: TaskKind
    task: int  # the event code recorded when it is done
    scope: frozenset[int] | None = None  # states where it applies (None: anywhere while open)
    every: Offset | None = None
    first: Offset | None = None
    second: Offset | None = None
    then: tuple[tuple[Offset, Offset], ...] = ()  # (after entering, new interval)
    # RECURRING: owed only while the case's age on the day an occurrence opens is at least
    # ``min_age_months`` and under ``max_age_months`` calendar months from its day of birth (one
    # born on 29 February is a year old on 1 March; None: no bound). Rules for the same task
    # and scope with such bounds share one chain of occurrences: each occurrence is timed by the
    # rule whose band holds the case's age on the day it opens (the count carries over); where
    # none does, the chain waits for the next band to begin.
    min_age_months: int | None = None
    max_age_months: int | None = None
    # owed only to cases whose value of each trait named is one of those given:
    # ((trait index into Model.traits, values), ...); () for every case
    traits: tuple[tuple[int, frozenset[int]], ...] = ()
    anchor: int = -1  # ONCE: the signal it follows
    within: Offset | None = None  # ONCE: due this long after the anchor
    target: int = -1  # LEAD: the event (a booked state or task) it precedes
    at_least: Offset | None = None  # LEAD: by at least this much
    punctuality: int = 0  # index into Model.punctuality
    effort: Draw | None = None  # server hours (None: no work, done when planned)
    team: int = -1  # -1: the team holding the case; -2: nobody; k: team k
    slots: int = -1  # a slot diary the task is booked in (-1: none)

    @property
    def banded(self) -> bool:
        """Whether the rule is owed only in an age band (``min_age_months``, ``max_age_months``)."""
        return self.min_age_months is not None or self.max_age_months is not None


@dataclass(frozen=True)
class Trait:
    """Something each case is drawn with when it opens and keeps: a value 0..k-1 by weight."""

    name: str
    weights: tuple[float, ...]


@dataclass(frozen=True)
class TeamModel:
    """Servers who hold cases (up to a limit each) and serve work in due-date or arrival order.

    Servers leave at ``turnover`` a year; a leaver's cases go back to the waiting list and their
    post holds no cases for ``refill`` days (recruitment or agency cover), after which a new server
    with the same limit starts. The last ``agency`` servers (short-term workers) leave at
    ``agency_turnover`` a year and are replaced after ``agency_refill`` days.

    Under a backlog the team works faster per piece (``triage``): a piece released when the queue
    holds ``triage_days`` or more of the team's hours gets ``triage`` of its effort, and in
    proportion between none and that (1: never).
    """

    name: str
    limits: tuple[float | None, ...]  # load points per server in post (None: no loads)
    hours_per_day: float  # per server per open day, after sickness
    turnover: float = 0.0  # leavers a year per server
    refill: int = 0  # days a leaver's post is empty
    agency: int = 0  # the last ``agency`` servers leave at ``agency_turnover`` instead
    agency_turnover: float = 0.0
    agency_refill: int = 0
    # Load points at which tasks for the cases a server holds are as punctual as their
    # ``Punctuality`` says; a server holding more is late in proportion (0: no such effect).
    reference: float = 0.0
    triage: float = 1.0  # share of a piece's effort given at the deepest backlog
    triage_days: float = 0.0  # days of the team's hours queued at which that share is reached

    @property
    def servers(self) -> int:
        """Servers in post."""
        return len(self.limits)


@dataclass(frozen=True)
class SlotModel:
    """A diary of slots on open days, booked first come first served.

    A diary with a deadline (``anchor`` and ``within``) books the entry it is used for against
    the day ``within`` after the case last entered state ``anchor`` (less a margin drawn from
    ``aim``): the latest free slot on or before that day (and not before the notice), else the
    first free slot after it. A share
    ``adjourn`` of booked entries do not go ahead on the day and are booked again, ``renotice``
    (else ``notice``) from then. An entry that finds no free slot on or before its deadline may
    take one of ``extra`` more slots a week (as a share of ``per_week``), kept for that: the latest
    such slot on or before the deadline, else the first ordinary slot after it. A share ``held``
    of the slots is held back for those entries: other bookings may take a held slot only when
    booked within ``release`` (else ``notice``) of its day.
    """

    name: str
    per_week: float  # slots in a five-open-day week
    notice: Offset | None = None  # earliest booking after the request (None: next open day)
    anchor: int = -1  # state whose latest entry starts the deadline (-1: none)
    within: Offset | None = None
    adjourn: float = 0.0
    renotice: Offset | None = None
    aim: Draw | None = None  # how long before the deadline bookings aim (a margin kept)
    extra: float = 0.0  # more slots a week, as a share of per_week, for entries otherwise late
    held: float = 0.0  # share of per_week held back for entries booked against the deadline
    release: Offset | None = None  # held slots this close to their day are open to anyone


@dataclass(frozen=True)
class PlaceModel:
    """Places held while in some states; when none is free a case waits in overflow."""

    name: str
    places: int
    states: frozenset[int]
    share: float = 1.0  # share of cases entering that need one


@dataclass(frozen=True)
class History:
    """An earlier stay in ``state`` that a share of cases had before the simulated period.

    Written to the record as one row of kind ``HISTORY`` (from its start day to its end, in the
    ``due`` column), ending ``ago`` before the first simulated day (for a case open then: before
    it entered its state), before the case's own records. ``closed`` is kept for the reader: the
    state the earlier stay ended in.
    """

    state: int
    closed: int
    share: float  # of new cases and of open cases (unless ``opening_share`` says otherwise)
    ago: Draw  # how long before the first simulated day the earlier stay ended
    length: Draw  # how long it lasted
    opening_share: tuple[tuple[int, float], ...] = ()  # (state, share) for cases open at the start


@dataclass(frozen=True)
class Opening:
    """Cases already open in a state on the first day, with their ages."""

    state: int
    count: int
    ages: Draw


@dataclass(frozen=True)
class Carried:
    """Cases open on the first day carried from records, each with its own dates (never an id).

    Per case: the state it is open in, the day it entered it (before the first day) and its age in
    years on the first day (NaN: drawn as for other open cases). ``earlier``: its earlier stays as
    (case index, state, first day, last day), written as ``HISTORY`` rows; ``unknown``: the
    records do not say what came before, so ``History`` is drawn for it as for an arrival. Its stay
    is drawn from the state's own, given that it has already lasted until the first day.
    """

    state: tuple[int, ...]
    since: tuple[int, ...]
    age: tuple[float, ...]
    earlier: tuple[tuple[int, int, int, int], ...] = ()
    unknown: tuple[bool, ...] = ()

    def part(self, parts: int, index: int) -> Carried:
        """Every ``parts``-th case from ``index`` on, with its earlier stays."""
        keep = range(index, len(self.state), parts)
        renumber = {old: new for new, old in enumerate(keep)}
        return Carried(
            tuple(self.state[i] for i in keep),
            tuple(self.since[i] for i in keep),
            tuple(self.age[i] for i in keep),
            tuple((renumber[c], s, b, e) for c, s, b, e in self.earlier if c in renumber),
            tuple(self.unknown[i] for i in keep) if self.unknown else (),
        )


@dataclass(frozen=True)
class Model:
    """Everything the engine needs for one run, compiled to integers and arrays."""

    grid: DayGrid
    start: int  # first simulated day
    end: int  # first day not simulated
    names: tuple[str, ...]  # event code -> name (states first)
    states: tuple[StateModel, ...]
    initial: int  # the state arrivals enter
    arrivals: np.ndarray  # expected arrivals on each day of [start, end)
    open_days: np.ndarray  # bool over [grid.first, grid.last]: teams work and slots sit
    signals: Mapping[tuple[int, int], tuple[tuple[int, int], ...]]  # (prev, new) -> (event, state)
    tasks: tuple[TaskRule, ...] = ()
    punctuality: tuple[Punctuality, ...] = ()
    teams: tuple[TeamModel, ...] = ()
    slots: tuple[SlotModel, ...] = ()
    places: tuple[PlaceModel, ...] = ()
    opening: tuple[Opening, ...] = ()
    history: tuple[History, ...] = ()
    carried: Carried | None = None  # open cases from records (besides ``opening``)
    ages: Draw = field(default_factory=lambda: Draw("fixed", (10.0,)))
    marks: tuple[tuple[int, float], ...] = ()  # (event code, age in years)
    traits: tuple[Trait, ...] = ()  # drawn for each case (see ``TaskRule.traits``)
    mark_scope: frozenset[int] | None = None  # states where marks are recorded
    discipline: Literal["edf", "fifo"] = "edf"
    continuous: bool = False  # arrivals at uniform times within their day (queueing checks)
    snapshot_every: int = 7


def shares(total: int, parts: int, turn: int = 0) -> list[int]:
    """``total`` split into ``parts`` whole shares differing by at most one (summing to ``total``).

    The parts that take one more are ``turn``, ``turn + 1``, ... (wrapping), so that splitting
    several totals with different turns does not load every remainder onto the first part.
    """
    base, extra = divmod(total, parts)
    return [base + ((i - turn) % parts < extra) for i in range(parts)]


def split(model: Model, parts: int) -> tuple[Model, ...]:
    """``model`` as ``parts`` equal, independent parts.

    Each part has its share of the arrivals, of every team's servers (each limit class shared out),
    of the slots, of the places and of the open cases.

    Raises ValueError if a team has fewer servers than there are parts.
    """
    if parts < 1:
        raise ValueError(f"parts must be at least 1, not {parts}")
    if parts == 1:
        return (model,)
    short = [t.name for t in model.teams if t.servers < parts]
    if short:
        raise ValueError(f"teams with fewer servers than the {parts} parts: {', '.join(short)}")
    turn = 0

    def share_out(total: int) -> list[int]:
        nonlocal turn
        found = shares(total, parts, turn)
        turn = (turn + total) % parts
        return found

    team_limits: list[list[tuple[float | None, ...]]] = []
    for team in model.teams:
        by_limit: dict[float | None, int] = {}
        for limit in team.limits:
            by_limit[limit] = by_limit.get(limit, 0) + 1
        pieces: list[tuple[float | None, ...]] = [()] * parts
        for limit, count in by_limit.items():
            for i, n in enumerate(share_out(count)):
                pieces[i] += (limit,) * n
        team_limits.append(pieces)
    team_agency = [share_out(team.agency) for team in model.teams]
    places = [share_out(p.places) for p in model.places]
    opening = [share_out(o.count) for o in model.opening]
    return tuple(
        replace(
            model,
            arrivals=model.arrivals / parts,
            teams=tuple(
                replace(team, limits=pieces[i], agency=min(agency[i], len(pieces[i])))
                for team, pieces, agency in zip(model.teams, team_limits, team_agency, strict=True)
            ),
            slots=tuple(replace(s, per_week=s.per_week / parts) for s in model.slots),
            places=tuple(
                replace(p, places=counts[i]) for p, counts in zip(model.places, places, strict=True)
            ),
            opening=tuple(
                replace(o, count=counts[i])
                for o, counts in zip(model.opening, opening, strict=True)
                if counts[i] > 0
            ),
            carried=model.carried.part(parts, i) if model.carried is not None else None,
        )
        for i in range(parts)
    )
