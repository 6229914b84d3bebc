"""Workflow + scenario → the engine's model; one replication → its event log.

Consumes a resolved ``Workflow`` (states, transitions, standards) and a ``ScenarioSpec`` (demand,
branch probabilities, stays, effort, workforce); produces an engine ``Model`` and runs it. This is
the one place where the journey's rules become engine rules, with the same semantics as
``casejourney journey`` (``journey.walk``): branch choices as ``_Timer.choose``, stays as
``advance``, recurring activities at the stricter of two intervals, activities owed after an event,
reports owed before a booked meeting, punctuality as ``_Timer.do_by`` — plus capacity: work waits
for a worker, meetings for a slot, children for a placement.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from casejourney import schedule
from casejourney.calendar import DayGrid, Duration, Unit, WorkingCalendar
from casejourney.codebook import Codebook
from casejourney.engine import (
    Draw,
    EventLog,
    Model,
    Offset,
    PlaceModel,
    Punctuality,
    SlotModel,
    Snapshots,
    StateModel,
    TaskKind,
    TaskRule,
    TeamModel,
    Trait,
    simulate_parts,
    split,
)
from casejourney.engine.model import Carried, History, Opening
from casejourney.errors import CasejourneyError
from casejourney.machine import TransitionTable
from casejourney.spec.models import (
    AppliesToSpec,
    DeadlineSpec,
    LeadTimeSpec,
    RecurringSpec,
    StepChangeSpec,
    is_age_event,
)
from casejourney.spec.resolve import Standard, Workflow
from casejourney.spec.scenario import (
    DistSpec,
    EffortSpec,
    FixedDist,
    MeetingSpec,
    PracticeSpec,
    ScenarioSpec,
    TeamSpec,
)

#: Day arithmetic is exact this many days either side of the simulated period.
GRID_MARGIN_DAYS = 12 * 366


@dataclass(frozen=True)
class Frame(Codebook):
    """A compiled run's codebook (day numbers, codes, window, rules) and the scenario behind it."""

    scenario: ScenarioSpec


@dataclass(frozen=True)
class Compiled:
    """A scenario ready to run: the engine model and the frame for reading its records."""

    model: Model  # the whole system
    frame: Frame
    parts: tuple[Model, ...]  # the independent areas it runs as (``(model,)`` for one)


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The seed of one replication: ``SeedSequence(seed).spawn(n)[replication]`` for any n."""
    return np.random.SeedSequence(seed, spawn_key=(replication,))


def run_replication(
    compiled: Compiled, replication: int, progress: Callable[[float], None] | None = None
) -> tuple[EventLog, Snapshots]:
    """Run one replication of a compiled scenario (``progress``: share done, weekly)."""
    seed = replication_seed(compiled.frame.scenario.seed, replication)
    return simulate_parts(compiled.parts, seed, replication, progress)


def _covers(spec: RecurringSpec, low: int, high: int | None) -> bool:
    """Whether ``spec`` is owed to every child aged from ``low`` to under ``high`` years."""
    band = spec.applies_to
    if band is None:
        return True
    if (band.age_from or 0) > low:
        return False
    return band.age_under is None or (high is not None and band.age_under >= high)


def age_pieces(
    calendar: WorkingCalendar, candidates: Iterable[tuple[str, RecurringSpec]]
) -> list[tuple[int, int | None, str, RecurringSpec]]:
    """The schedules the engine follows for one activity and scope, by age band.

    Between each two ages where some standard's ``applies_to`` begins or ends, the strictest
    standard owed to the children of those ages (statute and a local deviation beside it: the
    stricter); neighbouring bands followed by one standard are joined. Returns
    (from years, under years or None, standard id, spec); a band no standard is owed in is left
    out.
    """
    found = list(candidates)
    edges = {0}
    for _, spec in found:
        band = spec.applies_to
        if band is not None:
            edges.update(e for e in (band.age_from, band.age_under) if e is not None)
    ordered: list[int | None] = [*sorted(edges), None]
    pieces: list[tuple[int, int | None, str, RecurringSpec]] = []
    for low, high in itertools.pairwise(ordered):
        assert low is not None
        best: tuple[str, RecurringSpec] | None = None
        for ident, spec in found:
            if _covers(spec, low, high) and (
                best is None or schedule.stricter(calendar, spec, best[1])
            ):
                best = (ident, spec)
        if best is None:
            continue
        if pieces and pieces[-1][2] == best[0] and pieces[-1][1] == low:
            pieces[-1] = (pieces[-1][0], high, *best)
        else:
            pieces.append((low, high, *best))
    return pieces


def span_days(calendar: WorkingCalendar, start: dt.date, duration: Duration | None) -> int:
    """Days from ``start`` to ``duration`` after it (0 for no duration)."""
    return 0 if duration is None else (calendar.add(start, duration) - start).days


def compile_scenario(
    workflow: Workflow,
    scenario: ScenarioSpec,
    *,
    scale: float = 1.0,
    horizon_days: int | None = None,
    warm_up_days: int | None = None,
    areas: int | None = None,
) -> Compiled:
    """The engine model of ``scenario`` on ``workflow``.

    Args:
        workflow: the authority's resolved rules.
        scenario: demand, behaviour and workforce.
        scale: multiply demand, the open caseload, staff, slots and places (benchmarks and quick
            looks); the number of areas too, so that each keeps its size.
        horizon_days: override the reported period (days).
        warm_up_days: override the warm-up (days).
        areas: override the number of independent areas the system is split into.

    """
    calendar = workflow.calendar
    warm = span_days(calendar, scenario.start, scenario.warm_up)
    if warm_up_days is not None:
        warm = warm_up_days
    report_start_date = scenario.start + dt.timedelta(days=warm)
    horizon = span_days(calendar, report_start_date, scenario.horizon)
    if horizon_days is not None:
        horizon = horizon_days
    end = warm + horizon
    grid = DayGrid(calendar, scenario.start, -GRID_MARGIN_DAYS, end + GRID_MARGIN_DAYS)
    names = _names(workflow, scenario)
    code = {name: i for i, name in enumerate(names)}
    states = list(workflow.states)
    teams = list(scenario.teams)
    team_of = {s: teams.index(t) for t, spec in scenario.teams.items() for s in spec.states}
    slots = list(scenario.meetings)
    slot_of = {u: slots.index(m) for m, spec in scenario.meetings.items() for u in spec.users()}
    table = TransitionTable.from_workflow(workflow)
    state_models = tuple(
        _state_model(workflow, scenario, table, name, code, team_of, slot_of) for name in states
    )
    practices: list[PracticeSpec] = []
    builder = _TaskBuilder(workflow, scenario, code, practices, teams, slot_of)
    tasks = builder.build()
    in_post = tuple(spec.in_post(scale) for spec in scenario.teams.values())
    model = Model(
        grid=grid,
        start=0,
        end=end,
        names=names,
        states=state_models,
        initial=code[
            workflow.initial_state
            if scenario.demand.contacts_per_week is not None
            else scenario.demand.referral_state
        ],
        arrivals=arrival_rates(scenario, grid, 0, end) * scale,
        open_days=grid.working
        if scenario.open_days == "working_days"
        else np.ones_like(grid.working, dtype=bool),
        continuous=scenario.arrivals == "through_the_day",
        signals=_signals(workflow, code),
        tasks=tasks,
        punctuality=tuple(_punctuality(p) for p in practices),
        teams=tuple(
            _team(
                name,
                spec,
                posts,
                scale,
                span_days(calendar, scenario.start, spec.refill),
                span_days(calendar, scenario.start, spec.agency_refill),
            )
            for (name, spec), posts in zip(scenario.teams.items(), in_post, strict=True)
        ),
        history=tuple(
            History(
                code[state],
                code[spec.closed_in],
                spec.share,
                _draw(spec.ended_ago),
                _draw(spec.lasted),
                tuple((code[s], p) for s, p in spec.open_share.items()),
            )
            for state, spec in scenario.history.items()
        ),
        slots=tuple(_slots(name, spec, code, scale) for name, spec in scenario.meetings.items()),
        places=tuple(
            PlaceModel(
                name,
                round(spec.places * scale),
                frozenset(code[s] for s in spec.states),
                spec.share,
            )
            for name, spec in scenario.placements.items()
        ),
        opening=tuple(
            Opening(
                code[state],
                round(count * scale),
                _draw(scenario.initial_age_years.get(state, scenario.demand.child_age_years)),
            )
            for state, count in scenario.initial_caseload.items()
            if round(count * scale) > 0
        ),
        carried=_carried(scenario, code, grid, scale),
        ages=_draw(scenario.demand.child_age_years),
        traits=tuple(Trait(name, weights) for name, (_, weights, _) in builder.attributes.items()),
        marks=tuple((code[n], float(n.split(":")[1])) for n in names if is_age_event(n)),
        mark_scope=_mark_scope(tasks, code, names),
        discipline=scenario.queue_discipline,
    )
    frame = Frame(
        workflow=workflow,
        scenario=scenario,
        drift=scenario.drift,
        grid=grid,
        start=0,
        report_start=warm,
        end=end,
        names=names,
        teams=tuple(teams),
        in_post=in_post,
        not_simulated=builder.not_simulated,
    )
    parts = max(1, round(scenario.areas * scale)) if areas is None else areas
    try:
        return Compiled(model, frame, split(model, parts))
    except ValueError as problem:
        raise CasejourneyError(
            f"scenario '{scenario.id}': cannot split into {parts} areas ({problem}); "
            "use fewer areas or more staff"
        ) from problem


# --- names ---------------------------------------------------------------------------------------


def _names(workflow: Workflow, scenario: ScenarioSpec) -> tuple[str, ...]:
    """States, activities (the workflow's, then the scenario's own), milestones, then signals."""
    activities = [
        *workflow.activities,
        *(r for r in scenario.routines if r not in workflow.activities),
    ]
    ages: set[str] = set()
    for standard in workflow.standards.values():
        spec = standard.spec
        if isinstance(spec, DeadlineSpec | LeadTimeSpec):
            ages.update(e for e in (spec.from_, spec.to) if is_age_event(e))
    for routine in scenario.routines.values():
        if routine.after and is_age_event(routine.after):
            ages.add(routine.after)
    signals = [f"exit:{s}" for s in workflow.states]
    signals += list(workflow.phases)
    signals += [f"exit:{p}" for p in workflow.phases]
    ordered_ages = sorted(ages, key=lambda a: int(a.split(":")[1]))
    return (*workflow.states, *activities, *ordered_ages, *signals)


def _signals(
    workflow: Workflow, code: dict[str, int]
) -> dict[tuple[int, int], tuple[tuple[int, int], ...]]:
    """For each move, the events it makes happen (as tracking flattens them) and their state."""
    out: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}
    states = list(workflow.states)
    for new in states:
        phase = workflow.states[new].phase
        n = code[new]
        out[(-1, n)] = ((code[phase], n), (n, n))
        for prev in states:
            p = code[prev]
            old_phase = workflow.states[prev].phase
            found = [(code[f"exit:{prev}"], p)]
            if old_phase != phase:
                found += [(code[f"exit:{old_phase}"], p), (code[phase], n)]
            found.append((n, n))
            out[(p, n)] = tuple(found)
    return out


# --- states --------------------------------------------------------------------------------------


def _state_model(
    workflow: Workflow,
    scenario: ScenarioSpec,
    table: TransitionTable,
    name: str,
    code: dict[str, int],
    team_of: dict[str, int],
    slot_of: dict[str, int],
) -> StateModel:
    state = workflow.states[name]
    exits: tuple[int, ...] = ()
    weights: tuple[float, ...] = ()
    if not state.terminal:
        exits, weights = branch_options(table, scenario, name, code)
    stay = scenario.stays.get(name)
    onward = scenario.stays_to.get(name, {})
    by_code = {code[dest]: dist for dest, dist in onward.items()}
    exit_stays = (
        tuple(_draw(by_code[e]) if e in by_code else None for e in exits) if by_code else ()
    )
    entry_stays = tuple(
        (code[source], _draw(dist)) for source, dist in scenario.stays_from.get(name, {}).items()
    )
    extra = scenario.extra_stay.get(name)
    effort = scenario.effort_hours.get(name)
    pace, least, elasticity = 0.0, 0, 1.0
    minimum = scenario.paced_stays.get(name)
    if minimum is not None and name in team_of and stay is not None:
        team = list(scenario.teams.values())[team_of[name]]
        pace = team.reference_caseload or 0.0
        elasticity = team.caseload_elasticity
        least = _in_units(minimum, Unit(stay.unit), workflow.calendar)
    return StateModel(
        name=name,
        terminal=state.terminal,
        stay=_draw(stay) if stay is not None else None,
        extra=_offset(extra) if extra is not None else None,
        exits=exits,
        weights=weights,
        team=team_of.get(name, -1),
        points=scenario.case_weights.get(name, 1.0),
        casework=scenario.casework_hours_per_week.get(name, 0.0),
        effort=_effort(effort) if effort is not None else None,
        slots=slot_of.get(name, -1),
        exit_stays=exit_stays,
        entry_stays=entry_stays,
        pace=pace,
        least=least,
        elasticity=elasticity,
    )


def _carried(
    scenario: ScenarioSpec, code: dict[str, int], grid: DayGrid, scale: float
) -> Carried | None:
    """The scenario's ``initial_cases`` for the engine: at ``scale`` < 1, an even sample of them."""
    stays = scenario.initial_cases
    if not stays:
        return None
    if isinstance(stays, str):
        raise CasejourneyError(
            f"initial_cases: '{stays}' was not read; load the scenario from its file"
        )
    cases = sorted({s.case for s in stays})
    kept = [c for i, c in enumerate(cases) if math.floor((i + 1) * scale) > math.floor(i * scale)]
    index = {case: i for i, case in enumerate(kept)}
    state, since, age = [0] * len(kept), [0] * len(kept), [math.nan] * len(kept)
    unknown = [False] * len(kept)
    earlier: list[tuple[int, int, int, int]] = []
    for stay in stays:
        i = index.get(stay.case)
        if i is None:
            continue
        began = int(grid.day(stay.start))
        if stay.end is None:
            state[i], since[i] = code[stay.state], began
            age[i] = math.nan if stay.age is None else float(stay.age)
            unknown[i] = stay.earlier_unknown
        else:
            earlier.append((i, code[stay.state], began, int(grid.day(stay.end))))
    return Carried(tuple(state), tuple(since), tuple(age), tuple(sorted(earlier)), tuple(unknown))


def _in_units(duration: Duration, unit: Unit, calendar: WorkingCalendar) -> int:
    """``duration`` as whole ``unit`` (rounded down): the same unit, or days ↔ working days."""
    if Unit(duration.unit) is unit:
        return int(duration.value)
    days = (calendar.add(_PROBE_DAY, duration) - _PROBE_DAY).days
    if unit is Unit.WORKING_DAYS:
        return calendar.working_days_between(_PROBE_DAY, _PROBE_DAY + dt.timedelta(days=days))
    if unit is Unit.WEEKS:
        return days // 7
    return days


_PROBE_DAY = dt.date(2025, 1, 6)  # a Monday, far from bank holidays


def _slots(name: str, spec: MeetingSpec, code: dict[str, int], scale: float) -> SlotModel:
    deadline = spec.deadline
    return SlotModel(
        name,
        spec.slots_per_week * scale,
        _offset(spec.notice) if spec.notice else None,
        anchor=code[deadline.from_] if deadline else -1,
        within=_offset(deadline.within) if deadline else None,
        adjourn=min(1.0, sum(spec.adjournments.values())),
        renotice=_offset(spec.rebook_notice) if spec.rebook_notice else None,
        aim=_draw(deadline.aim_before) if deadline and deadline.aim_before else None,
        extra=deadline.extra_slots if deadline else 0.0,
        held=deadline.held_slots if deadline else 0.0,
        release=_offset(deadline.release) if deadline and deadline.release else None,
    )


def branch_options(
    table: TransitionTable, scenario: ScenarioSpec, state: str, code: dict[str, int]
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Destinations and probabilities out of ``state``, chosen as ``journey`` chooses.

    Triggers with a positive probability among the legal ones; if none has one, every legal
    trigger equally.
    """
    options = scenario.branches.get(state, {})
    legal = table.triggers(state)
    names = [t for t in legal if options.get(t, 0) > 0] or legal
    weights = np.array([options.get(t, 1.0) for t in names], dtype=float)
    if not names:
        return (), ()
    weights = weights / weights.sum()
    return tuple(code[table.fire(state, t)] for t in names), tuple(weights.tolist())


def _draw(dist: DistSpec) -> Draw:
    unit = Unit(dist.unit)
    if dist.dist == "fixed":
        return Draw("fixed", (dist.value,), unit)
    if dist.dist == "uniform":
        return Draw("uniform", (dist.low, dist.high), unit)
    if dist.dist == "triangular":
        return Draw("triangular", (dist.low, dist.mode, dist.high), unit)
    if dist.dist == "lognormal":
        return Draw("lognormal", (dist.median, dist.p90), unit)
    return Draw("exponential", (dist.mean,), unit)


def _effort(effort: EffortSpec) -> Draw:
    dist = (
        FixedDist(dist="fixed", value=effort, unit="hours")
        if isinstance(effort, float | int)
        else effort
    )
    found = _draw(dist)
    return Draw(found.shape, found.params, None)


def _offset(duration: Duration) -> Offset:
    return Offset(duration.unit, duration.value)


# --- tasks ---------------------------------------------------------------------------------------


def _probe(calendar: WorkingCalendar, duration: Duration) -> int:
    """A representative length in days, for choosing the stricter of two intervals (as journey)."""
    start = dt.date(2026, 1, 5)
    return (calendar.add(start, duration) - start).days


class _TaskBuilder:
    """Task rules from the workflow's standards (as ``journey`` schedules them) and routines."""

    def __init__(
        self,
        workflow: Workflow,
        scenario: ScenarioSpec,
        code: dict[str, int],
        practices: list[PracticeSpec],
        teams: list[str],
        slot_of: dict[str, int],
    ) -> None:
        self.workflow, self.scenario, self.code = workflow, scenario, code
        self.practices = practices
        self.slot_of = slot_of
        self.team_for = {
            a: teams.index(t) for t, spec in scenario.teams.items() for a in spec.activities
        }
        self.practice_index: dict[str, int] = {}
        self.rules: list[TaskRule] = []
        self.not_simulated: dict[str, str] = {}
        #: what the scenario draws for each child: (values, shares, source) by applies_to key
        self.attributes = scenario.children.attributes() if scenario.children else {}

    def extras(self, activity: str) -> dict[str, Any]:
        """Punctuality, effort, team and slots of an activity."""
        if activity not in self.practice_index:
            self.practice_index[activity] = len(self.practices)
            self.practices.append(self.scenario.practice_for(activity))
        effort = self.scenario.effort_hours.get(activity)
        return {
            "punctuality": self.practice_index[activity],
            "effort": _effort(effort) if effort is not None else None,
            "team": self.team_for.get(activity, -1),
            "slots": self.slot_of.get(activity, -1),
        }

    def in_force(self, standard: Standard) -> bool:
        """Whether a standard is owed in the simulated period, as far as the engine can tell.

        One whose ``effective`` period ended before the simulation starts, or that another
        ``supersedes`` from before then, sets no work. (Tracking and the measures judge each
        occurrence by its due date; the engine schedules a rule for the whole run.)
        """
        start = self.scenario.start
        effective = standard.spec.effective
        if effective is not None and effective.until is not None and effective.until <= start:
            return False
        for other in self.workflow.standards.values():
            if other.spec.supersedes == standard.id:
                since = other.spec.effective
                if since is None or since.from_ is None or since.from_ <= start:
                    return False
        return True

    def switch_after(self, spec: RecurringSpec, step: StepChangeSpec) -> Duration | None:
        """When, after entering the scope, the engine switches to ``step`` (None: never).

        A step switched by an event ("weekly until the first review") is switched when that
        event is first due at the latest: the first interval of the strictest recurring standard
        that schedules it in the same scope. The engine's rules see time only; tracking and the
        measures switch on the event itself. With no such standard the step is not followed (the
        schedule stays at the interval before it: more work, never less). A step that waits for
        a time and an event (``and_after_first``) switches at the later of the two.
        """
        workflow = self.workflow
        calendar = workflow.calendar
        scope = workflow.expand_scope(spec.while_)
        switches = [step.after] if step.after is not None else []
        for event in step.events:
            firsts = [
                other.spec.first or other.spec.every
                for other in workflow.standards.values()
                if isinstance(other.spec, RecurringSpec)
                and other.spec.to == event
                and workflow.expand_scope(other.spec.while_) >= scope
                and not other.spec.outside_simulation
            ]
            if not firsts:
                return None  # an event no schedule produces: never seen, never switched
            switches.append(min(firsts, key=lambda d: _probe(calendar, d)))
        return max(switches, key=lambda d: _probe(calendar, d))

    def scope_of(self, names: Iterable[str] | None) -> frozenset[int] | None:
        """State codes named by a ``while`` scope (None: anywhere)."""
        if names is None:
            return None
        return frozenset(self.code[s] for s in self.workflow.expand_scope(tuple(names)))

    def build(self) -> tuple[TaskRule, ...]:
        """Every rule: standards first, then routines no standard already times."""
        self.standards()
        self.routines()
        return tuple(self.rules)

    def standards(self) -> None:
        """Rules from the standards, as ``journey`` schedules them.

        Recurring standards at the stricter of two intervals; activities owed after events (one
        rule per activity, anchor, scope and ``nth``: the strictest, so "within 10 days and again
        before the first review" schedules two); reports before booked events.
        """
        workflow, code = self.workflow, self.code
        calendar = workflow.calendar
        activities = set(workflow.activities) | set(self.scenario.routines)
        recurring: dict[tuple[str, frozenset[str]], list[tuple[str, RecurringSpec]]] = {}
        once: dict[
            tuple[str, str, frozenset[str] | None, Filter, int], tuple[str, DeadlineSpec]
        ] = {}
        for standard in workflow.standards.values():
            spec = standard.spec
            if spec.outside_simulation:  # a worker's, a household's, a conditional lead time
                continue
            if not self.in_force(standard) or not self.drawn(standard):
                continue
            if isinstance(spec, RecurringSpec):
                key = (spec.to, workflow.expand_scope(spec.while_))
                recurring.setdefault(key, []).append((standard.id, spec))
            elif isinstance(spec, DeadlineSpec) and spec.to in activities:
                scope = workflow.expand_scope(spec.while_) if spec.while_ else None
                dkey = (spec.to, spec.from_, scope, self.wanted(spec.applies_to), spec.nth)
                found = once.get(dkey)
                if found is None or _probe(calendar, spec.within) < _probe(
                    calendar, found[1].within
                ):
                    once[dkey] = (standard.id, spec)
            elif isinstance(spec, LeadTimeSpec) and spec.from_ in activities and spec.to in code:
                self.rules.append(
                    TaskRule(
                        name=standard.id,
                        kind=TaskKind.LEAD,
                        task=code[spec.from_],
                        target=code[spec.to],
                        at_least=_offset(spec.at_least),
                        traits=self.wanted(spec.applies_to),
                        **self.extras(spec.from_),
                    )
                )
        followed = [piece for candidates in recurring.values() for piece in self.pieces(candidates)]
        for traits, low, high, ident, spec in followed:
            every_age = low == 0 and high is None
            self.rules.append(
                TaskRule(
                    name=ident,
                    kind=TaskKind.RECURRING,
                    task=code[spec.to],
                    scope=self.scope_of(spec.while_),
                    traits=traits,
                    min_age_months=None if every_age else 12 * low,
                    max_age_months=None if high is None else 12 * high,
                    every=_offset(spec.every),
                    first=_offset(spec.first) if spec.first else None,
                    second=_offset(spec.second) if spec.second else None,
                    then=tuple(
                        (_offset(after), _offset(step.every))
                        for step in spec.then
                        if (after := self.switch_after(spec, step)) is not None
                    ),
                    **self.extras(spec.to),
                )
            )
        for (*_, traits, _nth), (ident, dspec) in once.items():
            if dspec.from_ not in code:
                continue  # an event the simulation never produces (e.g. a placement move)
            self.rules.append(
                TaskRule(
                    name=ident,
                    kind=TaskKind.ONCE,
                    task=code[dspec.to],
                    traits=traits,
                    scope=self.scope_of(dspec.while_),
                    anchor=code[dspec.from_],
                    within=_offset(dspec.within),
                    **self.extras(dspec.to),
                )
            )

    def drawn(self, standard: Standard) -> bool:
        """Whether the run's children have what the standard's ``applies_to`` asks about.

        A standard for children with a placement, legal status, plan or disability the scenario
        does not draw is not simulated (noted in ``not_simulated``, with the reason).
        """
        band = standard.spec.applies_to
        if band is None:
            return True
        missing = [name for name in _ATTRIBUTES if getattr(band, name) is not None]
        missing = [name for name in missing if name not in self.attributes]
        if missing:
            self.not_simulated[standard.id] = (
                f"owed only to children by {', '.join(missing)}, which the scenario does not "
                f"draw for its children (add children.{missing[0]} with shares and a source)"
            )
            return False
        return True

    def wanted(self, band: AppliesToSpec | None) -> Filter:
        """The engine's trait filter for the children ``band`` chooses (() for every child)."""
        if band is None:
            return ()
        out = []
        for index, name in enumerate(self.attributes):
            asked = getattr(band, name)
            if asked is None:
                continue
            values = self.attributes[name][0]
            chosen = {asked} if isinstance(asked, bool) else set(asked)
            out.append((index, frozenset(i for i, v in enumerate(values) if v in chosen)))
        return tuple(out)

    def pieces(
        self, candidates: list[tuple[str, RecurringSpec]]
    ) -> list[tuple[Filter, int, int | None, str, RecurringSpec]]:
        """The schedules followed for one activity and scope: by the child's traits and age.

        For each combination of the values of the traits the candidates ask about, the
        strictest standard owed at each age (``age_pieces``); combinations followed by the same
        standards are then joined, trait by trait, so that each child is owed one rule.
        """
        asked = [
            index
            for index, name in enumerate(self.attributes)
            if any(
                s.applies_to is not None and getattr(s.applies_to, name) is not None
                for _, s in candidates
            )
        ]
        names = list(self.attributes)
        found: list[tuple[dict[int, frozenset[int]], int, int | None, str, RecurringSpec]] = []
        for combination in itertools.product(
            *(range(len(self.attributes[names[i]][0])) for i in asked)
        ):
            kind = dict(zip(asked, combination, strict=True))
            owed = [
                (ident, spec)
                for ident, spec in candidates
                if all(kind[i] in values for i, values in self.wanted(spec.applies_to))
            ]
            for low, high, ident, spec in age_pieces(self.workflow.calendar, owed):
                found.append(({i: frozenset({v}) for i, v in kind.items()}, low, high, ident, spec))
        for index in asked:  # join combinations that differ only in this trait's value
            joined: dict[
                tuple[object, ...],
                tuple[dict[int, frozenset[int]], int, int | None, str, RecurringSpec],
            ] = {}
            for traits, low, high, ident, spec in found:
                key = (
                    ident,
                    low,
                    high,
                    tuple(sorted((i, v) for i, v in traits.items() if i != index)),
                )
                if key in joined:
                    merged = dict(joined[key][0])
                    merged[index] = merged[index] | traits[index]
                    joined[key] = (merged, low, high, ident, spec)
                else:
                    joined[key] = (traits, low, high, ident, spec)
            found = list(joined.values())
        everyone = {i: frozenset(range(len(self.attributes[names[i]][0]))) for i in asked}
        return [
            (
                tuple((i, v) for i, v in sorted(traits.items()) if v != everyone[i]),
                low,
                high,
                ident,
                spec,
            )
            for traits, low, high, ident, spec in found
        ]

    def routines(self) -> None:
        """The scenario's own work, where no standard already times the same activity."""
        code = self.code
        timed = {(r.task, r.scope) for r in self.rules if r.kind is TaskKind.RECURRING}
        for activity, routine in self.scenario.routines.items():
            scope = self.scope_of(routine.while_)
            if (code[activity], scope) in timed:
                continue  # a standard already times this activity here: it takes precedence
            if routine.every is not None:
                self.rules.append(
                    TaskRule(
                        name=f"routine:{activity}",
                        kind=TaskKind.RECURRING,
                        task=code[activity],
                        scope=scope,
                        every=_offset(routine.every),
                        first=_offset(routine.first) if routine.first else None,
                        **self.extras(activity),
                    )
                )
            elif routine.after in code and routine.within is not None:
                self.rules.append(
                    TaskRule(
                        name=f"routine:{activity}",
                        kind=TaskKind.ONCE,
                        task=code[activity],
                        scope=scope,
                        anchor=code[routine.after],
                        within=_offset(routine.within),
                        **self.extras(activity),
                    )
                )


#: The engine's trait filter: (trait index, values) pairs (see ``TaskRule.traits``).
Filter = tuple[tuple[int, frozenset[int]], ...]

#: What ``applies_to`` may ask of a child besides age, in the order traits are numbered.
_ATTRIBUTES = ("disabled", "placement", "legal_status", "plan")


def _mark_scope(
    tasks: tuple[TaskRule, ...], code: dict[str, int], names: tuple[str, ...]
) -> frozenset[int] | None:
    """States where milestones matter: the scopes of tasks anchored on them (None: anywhere)."""
    marks = {code[n] for n in names if is_age_event(n)}
    scope: set[int] = set()
    for rule in tasks:
        if rule.kind is TaskKind.ONCE and rule.anchor in marks:
            if rule.scope is None:
                return None
            scope |= rule.scope
    return frozenset(scope)


def _punctuality(practice: PracticeSpec) -> Punctuality:
    return Punctuality(practice.on_time, _draw(practice.early_by), _draw(practice.late_by))


# --- teams and demand ----------------------------------------------------------------------------


def _team(
    name: str,
    team: TeamSpec,
    in_post: int,
    scale: float = 1.0,
    refill: int = 0,
    agency_refill: int = 0,
) -> TeamModel:
    limit = team.caseload_limit
    newly = min(round(team.newly_qualified * scale), in_post)
    limits: tuple[float | None, ...]
    if limit is None:
        limits = (None,) * in_post
    else:
        limits = (team.newly_qualified_caseload_limit,) * newly + (float(limit),) * (
            in_post - newly
        )
    return TeamModel(
        name,
        limits,
        team.hours_per_week / 5 * (1 - team.sickness_rate),
        turnover=team.turnover_rate,
        refill=refill if team.refill is not None else 8 * 7,
        # agency workers fill posts of the full limit (the newly qualified are employees)
        agency=min(round(in_post * team.agency_share), in_post - newly) if limit else 0,
        agency_turnover=team.agency_turnover_rate,
        agency_refill=agency_refill if team.agency_refill is not None else 2 * 7,
        reference=team.reference_caseload or 0.0,
        triage=team.triage_effort,
        triage_days=team.triage_backlog_days,
    )


def arrival_rates(scenario: ScenarioSpec, grid: DayGrid, start: int, end: int) -> np.ndarray:
    """Expected arrivals on each day of ``[start, end)``.

    The weekly rate, shaped by weekday, bank holidays, month, trend and dated surges.
    """
    demand = scenario.demand
    days = np.arange(start, end)
    dates = grid.dates(days)
    weekday = ((dates.astype("datetime64[D]").astype(np.int64) + 3) % 7).astype(int)  # Monday = 0
    profile = np.asarray(demand.weekday_profile, dtype=float)
    rate = demand.per_week * profile[weekday] / profile.sum()
    bank = np.isin(dates, np.array(sorted(grid.calendar.bank_holidays), dtype="datetime64[D]"))
    rate = np.where(bank & (weekday < 5), rate * demand.bank_holiday_factor, rate)
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    for month, factor in demand.seasonality.items():
        rate = np.where(months == month, rate * factor, rate)
    rate = rate * (1 + demand.growth * (days - start) / 365.25)
    for surge in demand.surges:
        inside = (dates >= np.datetime64(surge.start, "D")) & (
            dates <= np.datetime64(surge.end, "D")
        )
        rate = np.where(inside, rate * surge.multiplier, rate)
    found: np.ndarray = np.maximum(rate, 0.0)
    return found
