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

from casejourney.calendar import Duration, Unit, WorkingCalendar, default_calendar
from casejourney.spec.findings import Finding, Level
from casejourney.spec.models import DeadlineSpec, LeadTimeSpec, MaxDurationSpec, RecurringSpec
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
    calendar: WorkingCalendar, local: Duration, national: Duration
) -> dt.date | None:
    """The first window date on which ``local`` falls due later than ``national``, if any."""
    later = due_dates(calendar, local) > due_dates(calendar, national)
    if not later.any():
        return None
    return WINDOW_START + dt.timedelta(days=int(np.argmax(later)))


class Comparable(NamedTuple):
    """One duration of a local standard beside the one it overrides.

    The local one is looser when ``later`` falls due after ``earlier`` on some date: for most
    fields that is local after parent; for a lead time, a *shorter* local lead is the looser.
    """

    field: str
    local: Duration
    parent: Duration

    @property
    def later(self) -> Duration:
        """The duration that falls due later when the local standard is looser."""
        return self.parent if self.field == "at_least" else self.local

    @property
    def earlier(self) -> Duration:
        """The other one."""
        return self.local if self.field == "at_least" else self.parent


def comparable_pairs(local: Standard, parent: Standard) -> list[Comparable]:
    """The durations of ``local`` and the ``parent`` it overrides that can be compared."""
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
        ):
            pairs.append(Comparable("extension.by", a.extension.by, b.extension.by))
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


def looser_than_statute(workflow: Workflow) -> Iterator[Finding]:
    """``looser-than-statute``: a local standard due later than the one it overrides, on some date."""
    calendar = workflow.calendar
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
        for field, mine, theirs in _looser_fields(calendar, standard, national):
            first = _later_somewhere(calendar, mine, theirs) if field != "at_least" else None
            when = f" (first on a start date of {first.isoformat()})" if first else ""
            message = (
                f"standard '{standard.id}': {field} {mine} is looser than {national.authority}'s "
                f"{theirs}{when}"
            )
            if standard.spec.acknowledged_deviation and standard.spec.refines is None:
                # Reusing the statutory id would put the deviation in statute's place: statute
                # would no longer be checked for this authority at all.
                yield standard.location.finding(
                    Level.ERROR,
                    "deviation-replaces-statute",
                    f"{message}; an acknowledged deviation is tracked beside the statutory "
                    f"standard, not instead of it: give it a new id and say "
                    f"refines: {national.id}",
                    (standard.citation, national.citation),
                )
            elif standard.spec.acknowledged_deviation:
                yield standard.location.finding(
                    Level.NOTE,
                    "looser-than-statute",
                    f"{message}; acknowledged: {standard.spec.acknowledged_deviation}",
                    (standard.citation, national.citation),
                )
            else:
                yield standard.location.finding(
                    Level.ERROR,
                    "looser-than-statute",
                    f"{message}; tighten it, or add acknowledged_deviation with a reason",
                    (standard.citation, national.citation),
                )


def _looser_fields(
    calendar: WorkingCalendar, standard: Standard, national: Standard
) -> Iterator[tuple[str, Duration, Duration]]:
    for pair in comparable_pairs(standard, national):
        if _later_somewhere(calendar, pair.later, pair.earlier) is not None:
            yield pair.field, pair.local, pair.parent


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
    calendar = workflow.calendar
    out: dict[str, list[str]] = {}
    for standard in workflow.standards.values():
        national = standard.replaces
        if standard.inherited or national is None or national.kind != standard.kind:
            continue
        fields = [field for field, _, _ in _looser_fields(calendar, standard, national)]
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
