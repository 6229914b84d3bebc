"""Checks on timescales: contradictions (a Simple Temporal Network), looser than statute, two values.

Deadlines and lead times are difference constraints between events: "B within D of A" is
t(B) − t(A) ≤ D and "A at least D before B" is t(A) − t(B) ≤ −D. A rule set is contradictory when
these constraints have a negative cycle. Durations in working days or months span a varying number of
calendar days, so the network uses the most generous bound over the check window: a cycle that is
negative even then can be met on no date at all.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

import networkx as nx
import numpy as np

from casejourney import schedule
from casejourney.calendar import Duration, Unit, WorkingCalendar, default_calendar
from casejourney.spec.findings import Finding, Level
from casejourney.spec.models import (
    AppliesToSpec,
    DeadlineSpec,
    EffectiveSpec,
    LeadTimeSpec,
    MaxDurationSpec,
    RecurringSpec,
    StandardSpec,
)
from casejourney.spec.resolve import Standard, Workflow

#: Start dates over which timescales are compared (every day of these years).
WINDOW_START = dt.date(2020, 1, 1)
WINDOW_END = dt.date(2035, 12, 31)


def window_dates() -> list[dt.date]:
    """Every date in the comparison window."""
    days = (WINDOW_END - WINDOW_START).days + 1
    return [WINDOW_START + dt.timedelta(days=i) for i in range(days)]


def due_dates(calendar: WorkingCalendar, duration: Duration) -> np.ndarray:
    """Due dates (as day ordinals) for every start date in the window."""
    return _due_dates(calendar, duration.value, duration.unit)


@lru_cache(maxsize=512)
def _due_dates(calendar: WorkingCalendar, value: int, unit: Unit) -> np.ndarray:
    starts = np.arange(
        np.datetime64(WINDOW_START, "D"), np.datetime64(WINDOW_END, "D") + 1, dtype="datetime64[D]"
    )
    if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
        return calendar.add_working_days_many(starts, value, unit)
    duration = Duration(value=value, unit=unit)
    return np.array([calendar.add(d, duration) for d in window_dates()], dtype="datetime64[D]")


def span_bounds(calendar: WorkingCalendar, duration: Duration) -> tuple[int, int]:
    """The fewest and most calendar days ``duration`` can span over the window."""
    starts = np.arange(
        np.datetime64(WINDOW_START, "D"), np.datetime64(WINDOW_END, "D") + 1, dtype="datetime64[D]"
    )
    spans = (due_dates(calendar, duration) - starts).astype(int)
    return int(spans.min()), int(spans.max())


#: Units that can be compared exactly with one another, and the unit their sums are counted in.
_CLASSES: dict[Unit, tuple[str, int]] = {
    Unit.HOURS: ("days", 0),  # value converted below
    Unit.DAYS: ("days", 1),
    Unit.WEEKS: ("days", 7),
    Unit.WORKING_DAYS: ("working days", 1),
    Unit.SCHOOL_DAYS: ("school days", 1),
    Unit.TERMS: ("terms", 1),
    Unit.MONTHS: ("months", 1),
    Unit.YEARS: ("months", 12),
    Unit.SCHOOL_YEARS: ("school years", 1),
}


def _exact(duration: Duration) -> tuple[str, int]:
    """The duration in its comparison class: (class, whole units)."""
    name, factor = _CLASSES[duration.unit]
    if duration.unit is Unit.HOURS:
        return name, -(-duration.value // 24)
    return name, duration.value * factor


def _constraint_graphs(workflow: Workflow) -> dict[str, nx.DiGraph]:
    """One exact graph per unit class, and one 'calendar days' graph with generous bounds.

    Within one class (working days with working days, days with weeks, months with years) the
    arithmetic is exact on every date; across classes each duration takes its most generous span
    over the check window, so a negative cycle in any graph is a contradiction on every date.
    """
    calendar = workflow.calendar
    graphs: dict[str, nx.DiGraph] = {}

    def graph(name: str) -> nx.DiGraph:
        return graphs.setdefault(name, nx.DiGraph())

    for standard in workflow.standards.values():
        spec = standard.spec
        if isinstance(spec, DeadlineSpec):
            unit_class, amount = _exact(spec.within)
            upper = span_bounds(calendar, spec.within)[1]
            for name, weight in ((unit_class, amount), ("calendar days", upper)):
                _add_edge(graph(name), spec.from_, spec.to, weight, standard)
        elif isinstance(spec, LeadTimeSpec):
            unit_class, amount = _exact(spec.at_least)
            lower = span_bounds(calendar, spec.at_least)[0]
            for name, weight in ((unit_class, -amount), ("calendar days", -lower)):
                _add_edge(graph(name), spec.to, spec.from_, weight, standard)
    # A deadline is met only by a `to` on or after its `from`: t(from) - t(to) <= 0, in any unit.
    for standard in workflow.standards.values():
        spec = standard.spec
        if isinstance(spec, DeadlineSpec):
            for g in graphs.values():
                _add_edge(g, spec.to, spec.from_, 0, standard)
    return graphs


def contradictions(workflow: Workflow) -> Iterator[Finding]:
    """``contradictory-timescales``: deadlines and lead times that cannot all be met."""
    reported: set[frozenset[str]] = set()
    graphs = _constraint_graphs(workflow)
    # Exact graphs first: their messages count in the standards' own units.
    for unit_name in sorted(graphs, key=lambda name: name == "calendar days"):
        graph = graphs[unit_name]
        yield from _negative_cycles(graph, unit_name, reported)


def _negative_cycles(
    graph: nx.DiGraph, unit_name: str, reported: set[frozenset[str]]
) -> Iterator[Finding]:
    while graph.number_of_edges():
        cycle = _any_negative_cycle(graph)
        if cycle is None:
            return
        edges = list(itertools.pairwise(cycle))
        involved = list(
            {
                graph.edges[u, v]["standard"].id: graph.edges[u, v]["standard"] for u, v in edges
            }.values()
        )
        key = frozenset(s.id for s in involved)
        total = sum(graph.edges[u, v]["weight"] for u, v in edges)
        # Remove one edge of the cycle and look for another contradiction.
        graph.remove_edge(*edges[0])
        if key in reported:
            continue
        reported.add(key)
        ordered = sorted(involved, key=lambda s: (not s.inherited, s.location.line), reverse=True)
        names = ", ".join(f"'{s.id}'" for s in ordered)
        route = " → ".join(cycle)
        yield ordered[0].location.finding(
            Level.ERROR,
            "contradictory-timescales",
            f"standards {names} cannot all be met on any date (events {route}: "
            f"the constraints leave {-total} {unit_name} too few); change one of them",
            tuple(s.citation for s in ordered),
        )


def _any_negative_cycle(graph: nx.DiGraph) -> list[str] | None:
    # networkx's find_negative_cycle mis-handles self-loops, so look at those first.
    for node in nx.nodes_with_selfloops(graph):
        if graph.edges[node, node]["weight"] < 0:
            return [node, node]
    graph = graph.copy()
    graph.remove_edges_from(list(nx.selfloop_edges(graph)))
    if not nx.negative_edge_cycle(graph):
        return None
    for node in graph.nodes:
        try:
            return list(nx.find_negative_cycle(graph, node))
        except nx.NetworkXError:
            continue
    return None


def _add_edge(graph: nx.DiGraph, u: str, v: str, weight: int, standard: Standard) -> None:
    if graph.has_edge(u, v) and graph.edges[u, v]["weight"] <= weight:
        return
    graph.add_edge(u, v, weight=weight, standard=standard)


def _later_somewhere(
    calendar: WorkingCalendar,
    local: Duration | tuple[Duration, ...],
    national: Duration | tuple[Duration, ...],
) -> dt.date | None:
    """The first window date on which ``local`` falls due later than ``national``, if any.

    Either may be a chain of durations counted one after the other (a deadline's ``within`` and
    then its extension).
    """
    later = chain_due_dates(calendar, _chain(local)) > chain_due_dates(calendar, _chain(national))
    if not later.any():
        return None
    return WINDOW_START + dt.timedelta(days=int(np.argmax(later)))


def _chain(durations: Duration | tuple[Duration, ...]) -> tuple[Duration, ...]:
    return durations if isinstance(durations, tuple) else (durations,)


def chain_due_dates(calendar: WorkingCalendar, chain: tuple[Duration, ...]) -> np.ndarray:
    """Due dates for every window start date, counting each duration of ``chain`` in turn."""
    return _chain_due_dates(calendar, tuple((d.value, d.unit) for d in chain))


@lru_cache(maxsize=512)
def _chain_due_dates(calendar: WorkingCalendar, chain: tuple[tuple[int, Unit], ...]) -> np.ndarray:
    (value, unit), rest = chain[0], chain[1:]
    dates = _due_dates(calendar, value, unit)
    for value, unit in rest:
        if unit is Unit.WORKING_DAYS or unit is Unit.SCHOOL_DAYS:
            dates = calendar.add_working_days_many(dates, value, unit)
        else:
            duration = Duration(value=value, unit=unit)
            dates = np.array(
                [calendar.add(d, duration) for d in dates.astype(dt.date)], dtype="datetime64[D]"
            )
    return dates


class Comparable(NamedTuple):
    """One duration of a local standard beside the one it overrides.

    The local one is looser when ``later`` falls due after ``earlier`` on some date: for most
    fields that is local after parent; for a lead time, a *shorter* local lead is the looser.
    An extension is counted after the deadline it lengthens (``local_base``, ``parent_base``):
    twelve weeks then twelve more are not looser than sixteen then eight.
    """

    field: str
    local: Duration
    parent: Duration
    local_base: Duration | None = None
    parent_base: Duration | None = None

    @property
    def later(self) -> tuple[Duration, ...]:
        """The durations, counted in turn, that fall due later when the local one is looser."""
        return self._parent_chain if self.field == "at_least" else self._local_chain

    @property
    def earlier(self) -> tuple[Duration, ...]:
        """The other one."""
        return self._local_chain if self.field == "at_least" else self._parent_chain

    @property
    def _local_chain(self) -> tuple[Duration, ...]:
        return (self.local,) if self.local_base is None else (self.local_base, self.local)

    @property
    def _parent_chain(self) -> tuple[Duration, ...]:
        return (self.parent,) if self.parent_base is None else (self.parent_base, self.parent)


def comparable_pairs(local: Standard, parent: Standard) -> list[Comparable]:
    """The durations of ``local`` and the ``parent`` it overrides that can be compared.

    A recurring standard's later intervals (``then`` steps, and a ``second`` only one of the two
    gives) depend on which events have happened; ``loosenings`` compares those.
    """
    a, b = local.spec, parent.spec
    if isinstance(a, DeadlineSpec | MaxDurationSpec) and isinstance(
        b, DeadlineSpec | MaxDurationSpec
    ):
        pairs = [Comparable("within", a.within, b.within)]
        if (
            isinstance(a, DeadlineSpec)
            and isinstance(b, DeadlineSpec)
            and a.extension is not None
            and b.extension is not None
            and a.extension.event == b.extension.event
        ):
            pairs.append(
                Comparable("extension.by", a.extension.by, b.extension.by, a.within, b.within)
            )
        return pairs
    if isinstance(a, LeadTimeSpec) and isinstance(b, LeadTimeSpec):
        return [Comparable("at_least", a.at_least, b.at_least)]
    if isinstance(a, RecurringSpec) and isinstance(b, RecurringSpec):
        pairs = [
            Comparable("first", a.first or a.every, b.first or b.every),
            Comparable("every", a.every, b.every),
        ]
        if b.second is not None:
            pairs.append(Comparable("second", a.second or a.every, b.second))
        return pairs
    return []


class Loosening(NamedTuple):
    """One way a local standard owes less than the one it overrides.

    ``field`` names the key (``within``, ``ends_on``, ``then``, ...); ``text`` says how, after
    "standard 'ID': "; ``first`` is the first start date on which it falls due later, where
    the loosening is a duration's.
    """

    field: str
    text: str
    first: dt.date | None = None


def loosenings(workflow: Workflow, standard: Standard, parent: Standard) -> list[Loosening]:
    """Every way ``standard`` is looser than the ``parent`` it overrides (none: as strict or more).

    Durations are compared on every start date in the window; the constructs that change what is
    owed rather than when (an event that ends or extends a deadline, an nth occurrence, steps,
    a restart, a window, ``conditional``) are looser where they let a record owe less than
    ``parent`` does on the same record; and ``applies_to``, ``while`` and ``effective`` where they
    leave out children, stages or due dates ``parent`` is owed for.
    """
    calendar = workflow.calendar
    out: list[Loosening] = list(_scope_loosenings(workflow, standard.spec, parent.spec, parent))
    who = parent.authority
    for pair in comparable_pairs(standard, parent):
        first = _later_somewhere(calendar, pair.later, pair.earlier)
        if first is None:
            continue
        when = (
            f" (first on a start date of {first.isoformat()})" if pair.field != "at_least" else ""
        )
        counted = ""
        if pair.local_base is not None:
            counted = f" after within {pair.local_base} (against {pair.parent_base})"
        out.append(
            Loosening(
                pair.field,
                f"{pair.field} {pair.local} is looser than {who}'s {pair.parent}{counted}{when}",
                first if pair.field != "at_least" else None,
            )
        )
    a, b = standard.spec, parent.spec
    if isinstance(a, DeadlineSpec) and isinstance(b, DeadlineSpec):
        out.extend(_deadline_loosenings(a, b, who))
    elif isinstance(a, LeadTimeSpec) and isinstance(b, LeadTimeSpec):
        if a.conditional and not b.conditional:
            out.append(
                Loosening(
                    "conditional",
                    f"conditional: a {a.to} with no {a.from_} before it owes nothing, but "
                    f"{who}'s is missed",
                )
            )
    elif isinstance(a, RecurringSpec) and isinstance(b, RecurringSpec):
        out.extend(_recurring_loosenings(calendar, a, b, who))
    return out


def _scope_loosenings(
    workflow: Workflow, a: StandardSpec, b: StandardSpec, parent: Standard
) -> Iterator[Loosening]:
    """Children, stages or due dates ``b`` is owed for that ``a`` leaves out."""
    who = parent.authority
    if a.applies_to is not None and not _children_within(b.applies_to, a.applies_to):
        theirs = _children(b.applies_to)
        yield Loosening(
            "applies_to",
            f"applies_to {_children(a.applies_to)}: owed to fewer children than {who}'s, owed to "
            f"{theirs}",
        )
    mine_scope, their_scope = getattr(a, "while_", None), getattr(b, "while_", None)
    if mine_scope is not None:
        every_state = frozenset(workflow.states)
        ours = workflow.expand_scope(mine_scope)
        statute = every_state if their_scope is None else workflow.expand_scope(their_scope)
        if not statute <= ours:
            left_out = ", ".join(sorted(statute - ours))
            yield Loosening(
                "while",
                f"while {', '.join(mine_scope)}: not owed in {left_out}, where {who}'s is",
            )
    if a.effective is not None and not _period_within(b.effective, a.effective):
        theirs = "always" if b.effective is None else str(b.effective)
        yield Loosening(
            "effective",
            f"effective {a.effective}: not owed for due dates {who}'s is owed for ({theirs})",
        )


def _children(band: AppliesToSpec | None) -> str:
    if band is None:
        return "every child"
    return str(band.model_dump(exclude_none=True))


def _children_within(outer: AppliesToSpec | None, inner: AppliesToSpec) -> bool:
    """Whether every child ``outer`` is owed to (None: every child) is one ``inner`` is owed to."""
    if (inner.age_from or 0) > ((outer.age_from or 0) if outer else 0):
        return False
    unbounded = 10**6
    if (inner.age_under or unbounded) < ((outer.age_under or unbounded) if outer else unbounded):
        return False
    for name in ("placement", "legal_status", "plan"):
        wanted = getattr(inner, name)
        given = getattr(outer, name) if outer is not None else None
        if wanted is not None and (given is None or not set(given) <= set(wanted)):
            return False
    return inner.disabled is None or (outer is not None and outer.disabled is inner.disabled)


def _period_within(outer: EffectiveSpec | None, inner: EffectiveSpec) -> bool:
    """Whether every due date ``outer`` covers (None: every one) is one ``inner`` covers."""
    if inner.from_ is not None and (
        outer is None or outer.from_ is None or outer.from_ < inner.from_
    ):
        return False
    return inner.until is None or (
        outer is not None and outer.until is not None and outer.until <= inner.until
    )


def _deadline_loosenings(a: DeadlineSpec, b: DeadlineSpec, who: str) -> Iterator[Loosening]:
    if a.ends_on is not None and a.ends_on != b.ends_on:
        theirs = f"ends only on {b.ends_on}" if b.ends_on else "is not ended by it"
        yield Loosening(
            "ends_on",
            f"ends_on {a.ends_on}: a {a.ends_on} before {a.to} withdraws the obligation, but "
            f"{who}'s {theirs}",
        )
    if a.extension is not None and (b.extension is None or a.extension.event != b.extension.event):
        theirs = (
            f"is extended only by {b.extension.event}"
            if b.extension is not None
            else "has no extension"
        )
        yield Loosening(
            "extension",
            f"extension: {a.extension.event} makes it due {a.extension.by} later, but {who}'s "
            f"{theirs}",
        )
    if b.before_first is not None and a.before_first != b.before_first:
        # Statute's is due by the first `before_first` after `from` where that comes sooner; one
        # without it (or due by the first of another event) can fall due after it.
        ours = f"before_first {a.before_first}" if a.before_first else "no before_first"
        yield Loosening(
            "before_first",
            f"{ours}: can fall due after the first {b.before_first} after {a.from_}, but "
            f"{who}'s is due by the first {b.before_first} where it comes sooner",
        )
    if a.nth < b.nth:
        yield Loosening(
            "nth",
            f"nth {a.nth}: met by {_ordinal(a.nth)} {a.to} after {a.from_}, but {who}'s needs "
            f"{_ordinal(b.nth)}",
        )
    if a.conditional and not b.conditional:
        yield Loosening(
            "conditional",
            f"conditional: a case that leaves before {a.to} is withdrawn however late, but "
            f"{who}'s is missed after its due date",
        )
    if a.or_before and not b.or_before:
        yield Loosening(
            "or_before",
            f"or_before: a {a.to} before {a.from_} meets it, but {who}'s needs one after",
        )


def _ordinal(n: int) -> str:
    return {1: "the first", 2: "the second", 3: "the third"}.get(n, f"the {n}th")


def _recurring_loosenings(
    calendar: WorkingCalendar, a: RecurringSpec, b: RecurringSpec, who: str
) -> Iterator[Loosening]:
    if a.restart_on != b.restart_on:
        ours = f"restarts on {a.restart_on}" if a.restart_on else "does not restart"
        statute = f"restarts on {b.restart_on}" if b.restart_on else "does not restart"
        yield Loosening(
            "restart_on",
            f"restart_on: the schedule {ours}, but {who}'s {statute}: after a "
            f"{a.restart_on or b.restart_on} the next one can fall due later",
        )
    found = _looser_interval(calendar, a, b)
    if found is not None:
        field, mine, theirs, when, first = found
        yield Loosening(
            field,
            f"{field}: every {mine} is looser than {who}'s every {theirs} {when} (first on a "
            f"start date of {first.isoformat()})",
            first,
        )


def _looser_interval(
    calendar: WorkingCalendar, a: RecurringSpec, b: RecurringSpec
) -> tuple[str, Duration, Duration, str, dt.date] | None:
    """The first point of the two schedules at which ``a`` asks for a longer interval than ``b``.

    After the first occurrence the interval depends on the time in scope (``then`` steps with
    ``after``) and on which events have happened (``after_first``, ``and_after_first``). Every
    combination the two schedules can be in is tried: the time steps switched by each step's own
    time, on every start date in the window, and any set of the events. ``first`` and the steady
    ``every`` are ``comparable_pairs``'s; this finds the rest.
    """
    timed = [step.after for step in (*a.then, *b.then) if step.after is not None]
    events = sorted({*schedule.watched(a), *schedule.watched(b)})
    states = _time_states(calendar, tuple(timed))
    for flags, at in states:
        switched = dict(zip(timed, flags, strict=True))
        for size in range(len(events) + 1):
            for happened in itertools.combinations(events, size):
                reached_a = _reached(a, switched, happened)
                reached_b = _reached(b, switched, happened)
                for done in (2, 1):
                    if done == 1 and a.second is None and b.second is None:
                        continue
                    mine = schedule.steps(a)[schedule.step_index(a, done, reached_a)]
                    theirs = schedule.steps(b)[schedule.step_index(b, done, reached_b)]
                    if done == 2 and not any(reached_a) and not any(reached_b):
                        continue  # the steady `every`: comparable_pairs compares it
                    if done == 1 and b.second is not None and not any(reached_a):
                        continue  # `second` (or `every`) against `second`: the same
                    first = _later_somewhere(calendar, mine, theirs)
                    if first is None:
                        continue
                    field = "second" if done == 1 else "then"
                    where = f"at {at} in scope" if at is not None else "from the start"
                    after = f", once {' and '.join(happened)} has happened" if happened else ""
                    return field, mine, theirs, f"({where}{after})", first
    return None


def _reached(
    spec: RecurringSpec, switched: dict[Duration, bool], happened: tuple[str, ...]
) -> list[bool]:
    return [
        (step.after is None or switched[step.after]) and all(e in happened for e in step.events)
        for step in spec.then
    ]


def _time_states(
    calendar: WorkingCalendar, timed: tuple[Duration, ...]
) -> list[tuple[tuple[bool, ...], Duration | None]]:
    """Which of the time steps can have switched together, and a time in scope when they have.

    At each step's own time, on every start date in the window, the steps whose time has come;
    and none at the start.
    """
    states: dict[tuple[bool, ...], Duration | None] = {tuple(False for _ in timed): None}
    for at in timed:
        anchor = due_dates(calendar, at)
        rows = np.stack([due_dates(calendar, d) <= anchor for d in timed], axis=1)
        for row in np.unique(rows, axis=0):
            states.setdefault(tuple(bool(x) for x in row), at)
    return list(states.items())


def looser_than_statute(workflow: Workflow) -> Iterator[Finding]:
    """``looser-than-statute``: a local standard that owes less than the one it overrides."""
    for standard in workflow.standards.values():
        national = standard.replaces
        if standard.inherited or national is None:
            continue
        if national.kind != standard.kind:
            yield standard.location.finding(
                Level.ERROR,
                "override-changes-kind",
                f"standard '{standard.id}' is a {standard.kind} but overrides a {national.kind}; "
                "use a new id for a different kind of rule",
                (standard.citation, national.citation),
            )
            continue
        for loosening in loosenings(workflow, standard, national):
            message = f"standard '{standard.id}': {loosening.text}"
            # A duration's finding points at the standard; a construct's at its own key.
            where = (
                standard.at(loosening.field)
                if loosening.field in _CONSTRUCT_KEYS
                else standard.location
            )
            if standard.spec.acknowledged_deviation and standard.spec.refines is None:
                # Reusing the statutory id would put the deviation in statute's place: statute
                # would no longer be checked for this authority at all.
                yield where.finding(
                    Level.ERROR,
                    "deviation-replaces-statute",
                    f"{message}; an acknowledged deviation is tracked beside the statutory "
                    f"standard, not instead of it: give it a new id and say "
                    f"refines: {national.id}",
                    (standard.citation, national.citation),
                )
            elif standard.spec.acknowledged_deviation:
                yield where.finding(
                    Level.NOTE,
                    "looser-than-statute",
                    f"{message}; acknowledged: {standard.spec.acknowledged_deviation}",
                    (standard.citation, national.citation),
                )
            else:
                yield where.finding(
                    Level.ERROR,
                    "looser-than-statute",
                    f"{message}; tighten it, or add acknowledged_deviation with a reason",
                    (standard.citation, national.citation),
                )


#: Keys whose looser-than-statute finding points at the key's own line.
_CONSTRUCT_KEYS = frozenset(
    {
        "ends_on",
        "extension",
        "before_first",
        "nth",
        "conditional",
        "or_before",
        "then",
        "restart_on",
        "applies_to",
        "while",
        "effective",
    }
)


def _obligation_key(standard: Standard) -> tuple[object, ...]:
    """What makes two standards one obligation: kind, events, scope, and the children it is for.

    Standards for different children ("every 6 months before the fifth birthday", "every 12
    months after it") are two obligations, not two values for one.
    """
    spec = standard.spec
    children = spec.applies_to
    if isinstance(spec, DeadlineSpec):  # the first meeting and a second one are two obligations
        return ("deadline", spec.from_, spec.to, children, spec.nth)
    if isinstance(spec, LeadTimeSpec):
        return ("lead_time", spec.from_, spec.to, children)
    if isinstance(spec, RecurringSpec):
        return ("recurring", spec.to, frozenset(spec.while_), children)
    assert isinstance(spec, MaxDurationSpec)
    return ("max_duration", frozenset(spec.while_), children)


def _timescale(standard: Standard) -> str:
    spec = standard.spec
    if isinstance(spec, RecurringSpec):
        first = f"first {spec.first}, " if spec.first else ""
        when = f" ({spec.effective})" if spec.effective is not None else ""
        return f"{first}every {spec.every}{when}"
    when = f" ({spec.effective})" if spec.effective is not None else ""
    if isinstance(spec, LeadTimeSpec):
        return f"at least {spec.at_least}{when}"
    return f"within {spec.within}{when}"


def _periods_overlap(one: Standard, other: Standard) -> bool:
    """Whether two standards are in force for some common due date (``effective``)."""
    a, b = one.spec.effective, other.spec.effective
    starts = [e.from_ for e in (a, b) if e is not None and e.from_ is not None]
    ends = [e.until for e in (a, b) if e is not None and e.until is not None]
    return not starts or not ends or max(starts) < min(ends)


def _some_overlap(members: list[Standard]) -> bool:
    """Whether two members with different timescales are in force at once."""
    return any(
        _timescale(one) != _timescale(other) and _periods_overlap(one, other)
        for index, one in enumerate(members)
        for other in members[index + 1 :]
    )


def same_obligation_two_values(workflow: Workflow) -> Iterator[Finding]:
    """``same-obligation-two-values``: one obligation given two different timescales."""
    groups: dict[tuple[object, ...], list[Standard]] = {}
    for standard in workflow.standards.values():
        groups.setdefault(_obligation_key(standard), []).append(standard)
    for members in groups.values():
        # A local standard that refines another is a deliberate deviation kept beside it (reported
        # as looser-than-statute where it is looser), not a second value for the same obligation.
        # One that another supersedes ("16th birthday from September 2024") is replaced where the
        # other is owed, not a rival value.
        ids = {m.id for m in members}
        superseded = {m.spec.supersedes for m in members}
        members = [m for m in members if m.spec.refines not in ids and m.id not in superseded]
        if len(members) < 2 or all(m.inherited for m in members):
            continue
        values = {_timescale(m) for m in members}
        if len(values) < 2 or not _some_overlap(members):
            continue
        # Inherited first, so the finding points at the file being checked, not at its parent.
        members.sort(key=lambda m: (not m.inherited, m.location.line))
        described = "; ".join(f"'{m.id}' says {_timescale(m)}" for m in members)
        yield members[-1].location.finding(
            Level.WARNING,
            "same-obligation-two-values",
            f"one obligation, {len(values)} timescales: {described}; the stricter applies in simulation",
            tuple(m.citation for m in members),
        )


def same_obligation_two_anchors(workflow: Workflow) -> Iterator[Finding]:
    """``same-obligation-two-anchors``: one milestone owed within two timescales from two events.

    Two deadlines to the same state (a conference, say), each counted from a different stage of
    the case ("15 days from the strategy discussion"; "15 working days from the start of the
    section 47 enquiry"), measure one obligation from two anchors: the due dates differ whenever
    the anchors fall on different days, and ``same-obligation-two-values`` cannot pair them. A
    deadline counted from an activity (a pre-birth assessment) is for a different cohort and is not
    paired.
    """
    groups: dict[str, list[tuple[Standard, DeadlineSpec]]] = {}
    for standard in workflow.standards.values():
        spec = standard.spec
        if not isinstance(spec, DeadlineSpec) or not spec.per_child:
            continue
        if _is_stage_event(workflow, spec.to) and _is_stage_event(workflow, spec.from_):
            groups.setdefault(spec.to, []).append((standard, spec))
    for to, members in groups.items():
        if len({spec.from_ for _, spec in members}) < 2 or all(m.inherited for m, _ in members):
            continue
        members.sort(key=lambda pair: (not pair[0].inherited, pair[0].location.line))
        described = "; ".join(f"'{m.id}' says within {s.within} of {s.from_}" for m, s in members)
        yield members[-1][0].location.finding(
            Level.WARNING,
            "same-obligation-two-anchors",
            f"one obligation ({to}) counted from {len(members)} events: {described}; measured "
            "from different events they give different due dates: both are tracked, and the "
            "earlier applies",
            tuple(m.citation for m, _ in members),
        )


def _is_stage_event(workflow: Workflow, event: str) -> bool:
    """Whether ``event`` is a stage of the case (a state or phase entered or left)."""
    name = event.removeprefix("exit:")
    return name in workflow.states or name in workflow.phases


def calendar_for(workflow: Workflow) -> WorkingCalendar:
    """The workflow's calendar (re-exported for callers of this module)."""
    return default_calendar(workflow.closure_days)


def looser_standards(workflow: Workflow) -> dict[str, list[str]]:
    """Standards of ``workflow`` looser than the ones they override: id → the fields that are."""
    out: dict[str, list[str]] = {}
    for standard in workflow.standards.values():
        national = standard.replaces
        if standard.inherited or national is None or national.kind != standard.kind:
            continue
        fields = [loosening.field for loosening in loosenings(workflow, standard, national)]
        if fields:
            out[standard.id] = fields
    return out


def _never_later(calendar: WorkingCalendar, one: Duration, other: Duration) -> bool:
    """Whether ``one`` falls due no later than ``other`` from every start date in the window."""
    return bool((due_dates(calendar, one) <= due_dates(calendar, other)).all())


def unreachable_steps(workflow: Workflow) -> Iterator[Finding]:
    """``unreachable-step``: a ``then`` step of a recurring standard that can never apply.

    After ``after`` in scope the interval becomes the step's ``every``, and a later step takes
    over from an earlier one once its own ``after`` has passed. A step is never followed when a
    time step listed after it starts no later (it takes over at once), or when a ``max_duration``
    on the same scope ends the stay before the step starts (for a step that also waits for an
    event, ``and_after_first``, before its time).
    """
    calendar = workflow.calendar
    limits = [
        s.spec
        for s in workflow.standards.values()
        if isinstance(s.spec, MaxDurationSpec) and s.spec.per_child
    ]
    for standard in workflow.standards.values():
        spec = standard.spec
        if standard.inherited or not isinstance(spec, RecurringSpec):
            continue
        scope = workflow.expand_scope(spec.while_)
        for index, step in enumerate(spec.then):
            if step.after is None:
                continue  # switched by an event: when it happens is the record's, not the file's
            # A step waiting for an event as well (and_after_first) switches no earlier than its
            # time: a limit before that time ends the stay first. It overtakes no earlier step,
            # for its event may never come.
            after = step.after
            shadow = next(
                (
                    later
                    for later in spec.then[index + 1 :]
                    if later.after is not None
                    and not later.events
                    and _never_later(calendar, later.after, after)
                ),
                None,
            )
            limit = next(
                (
                    m
                    for m in limits
                    if workflow.expand_scope(m.while_) >= scope
                    and _never_later(calendar, m.within, after)
                ),
                None,
            )
            if shadow is None and limit is None:
                continue
            if shadow is not None:
                why = (
                    f"the step after it, 'after {shadow.after}', starts no later and takes over; "
                    "list the steps in the order they start"
                )
            else:
                assert limit is not None
                why = (
                    f"'{limit.id}' limits the stay in {', '.join(spec.while_)} to {limit.within}; "
                    "shorten the step's after, or check the limit"
                )
            yield standard.at("then").finding(
                Level.ERROR,
                "unreachable-step",
                f"standard '{standard.id}': the step '{step.switch}, every {step.every}' can "
                f"never apply: {why}",
                (standard.citation,),
            )


def unsatisfiable_applies_to(workflow: Workflow) -> Iterator[Finding]:
    """``unsatisfiable-applies-to``: a standard counted from a birthday, for children of other ages.

    A deadline from ``age:16`` opens on the 16th birthday, when the child is 16: an ``applies_to``
    band without 16 ("under 16") is owed to no child.
    """
    for standard in workflow.standards.values():
        spec = standard.spec
        if standard.inherited or spec.applies_to is None:
            continue
        if not isinstance(spec, DeadlineSpec | LeadTimeSpec):
            continue
        anchor = spec.from_ if isinstance(spec, DeadlineSpec) else spec.to
        if not anchor.startswith("age:"):
            continue
        age = int(anchor.split(":")[1])
        band = spec.applies_to
        if (band.age_from is None or age >= band.age_from) and (
            band.age_under is None or age < band.age_under
        ):
            continue
        yield standard.at("applies_to").finding(
            Level.ERROR,
            "unsatisfiable-applies-to",
            f"standard '{standard.id}' opens on the {age}th birthday ({anchor}), but applies_to "
            f"{band.model_dump(exclude_none=True)} leaves out children aged {age}: no child is "
            "owed it; widen applies_to or count from another event",
            (standard.citation,),
        )
