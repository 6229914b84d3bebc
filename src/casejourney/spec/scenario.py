"""The scenario file format: demand, branch probabilities, timings, workforce — a planner's what-if.

Consumes YAML (read with the same safe reader as workflows); produces a frozen ``ScenarioSpec``.
Every number a planner would tune has a name, a unit and a description (which becomes the JSON
Schema's documentation, shown by editors as you type). Cross-checks against the workflow (branch
triggers exist, probabilities sum to one) are in ``scenario_findings``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from casejourney.calendar import Duration, Unit, WorkingCalendar
from casejourney.spec.findings import Finding, Level, Location, display_path
from casejourney.spec.models import DurationField, Identifier, _Frozen
from casejourney.spec.resolve import Workflow
from casejourney.spec.validate import validate_document
from casejourney.spec.yamlsafe import YamlDocument, read_yaml

TimeUnit = Literal["hours", "days", "working_days", "weeks", "months"]


class _Dist(_Frozen):
    unit: TimeUnit = Field(default="working_days", description="the unit of every number here")


class FixedDist(_Dist):
    """Always the same length."""

    dist: Literal["fixed"]
    value: float = Field(ge=0)


class UniformDist(_Dist):
    """Any length between low and high, equally likely."""

    dist: Literal["uniform"]
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> UniformDist:
        if self.low > self.high:
            raise ValueError("low must not be above high")
        return self


class TriangularDist(_Dist):
    """Between low and high, most often near mode (a planner's 'best guess with a range')."""

    dist: Literal["triangular"]
    low: float = Field(ge=0)
    mode: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> TriangularDist:
        if not self.low <= self.mode <= self.high:
            raise ValueError("need low <= mode <= high")
        return self


class LognormalDist(_Dist):
    """Skewed to the right: half of cases take less than median, nine in ten less than p90."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    p90: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> LognormalDist:
        if self.p90 < self.median:
            raise ValueError("p90 must not be below median")
        return self


class ExponentialDist(_Dist):
    """Memoryless, with the given mean (queueing-theory checks use this)."""

    dist: Literal["exponential"]
    mean: float = Field(gt=0)


DistSpec = Annotated[
    FixedDist | UniformDist | TriangularDist | LognormalDist | ExponentialDist,
    Field(discriminator="dist"),
]


def central(dist: DistSpec) -> float:
    """A typical value (mode or median) for scripted, deterministic journeys."""
    if isinstance(dist, FixedDist):
        return dist.value
    if isinstance(dist, UniformDist):
        return (dist.low + dist.high) / 2
    if isinstance(dist, TriangularDist):
        return dist.mode
    if isinstance(dist, LognormalDist):
        return dist.median
    return dist.mean


def sample(dist: DistSpec, rng: np.random.Generator) -> float:
    """One draw from ``dist``, in its own unit."""
    if isinstance(dist, FixedDist):
        return dist.value
    if isinstance(dist, UniformDist):
        return float(rng.uniform(dist.low, dist.high))
    if isinstance(dist, TriangularDist):
        if dist.low == dist.high:
            return dist.low
        return float(rng.triangular(dist.low, dist.mode, dist.high))
    if isinstance(dist, LognormalDist):
        sigma = math.log(dist.p90 / dist.median) / 1.2815515655446004
        return float(rng.lognormal(math.log(dist.median), sigma))
    return float(rng.exponential(dist.mean))


def advance(calendar: WorkingCalendar, start: dt.date, amount: float, unit: str) -> dt.date:
    """``start`` moved on by ``amount`` of ``unit``, rounded to whole days (working days stay working)."""
    whole = max(0, round(amount))
    if whole == 0:
        return start
    if unit == "hours":
        return start + dt.timedelta(days=math.ceil(amount / 24))
    return calendar.add(start, Duration(value=whole, unit=Unit(unit)))


class PracticeSpec(_Frozen):
    """How punctually an activity (a visit, a meeting) is done against its due date."""

    on_time: float = Field(
        default=0.9, ge=0, le=1, description="share done on or before the due date"
    )
    early_by: DistSpec = Field(
        default=FixedDist(dist="fixed", value=2, unit="working_days"),
        description="when on time: how long before the due date",
    )
    late_by: DistSpec = Field(
        default=TriangularDist(dist="triangular", low=1, mode=3, high=15, unit="working_days"),
        description="when late: how long after the due date",
    )


class SurgeSpec(_Frozen):
    """Demand multiplied between two dates."""

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    multiplier: float = Field(gt=0)


class DemandSpec(_Frozen):
    """New work arriving at the front door."""

    contacts_per_week: float = Field(
        gt=0, description="mean new contacts a week (Poisson arrivals)"
    )
    growth: float = Field(
        default=0.0, ge=-0.9, le=5, description="trend: 0.15 means +15% over a year, linearly"
    )
    seasonality: Mapping[int, float] = Field(
        default_factory=dict,
        description="month number (1-12) → multiplier on demand that month, e.g. {8: 0.8, 9: 1.1}",
    )
    surges: tuple[SurgeSpec, ...] = Field(
        default=(), description="dated surges, e.g. a January rise"
    )
    child_age_years: DistSpec = Field(
        default=UniformDist(dist="uniform", low=0, high=17.9, unit="days"),
        description="age at first contact, in years (unit ignored); used only for age-based standards",
    )


class TeamSpec(_Frozen):
    """A team of workers who hold cases and do the work of some states."""

    headcount: float = Field(gt=0, description="funded posts (full-time equivalents)")
    hours_per_week: float = Field(default=37, gt=0, description="contracted hours per worker")
    vacancy_rate: float = Field(default=0.0, ge=0, lt=1, description="share of posts vacant")
    vacancies: int = Field(default=0, ge=0, description="posts vacant, on top of vacancy_rate")
    sickness_rate: float = Field(
        default=0.04, ge=0, lt=1, description="share of time lost to sickness"
    )
    caseload_limit: int = Field(default=20, gt=0, description="most cases one worker holds")
    newly_qualified: int = Field(default=0, ge=0, description="workers in their first year")
    newly_qualified_caseload_limit: int = Field(default=12, gt=0, description="their lower limit")
    states: tuple[Identifier, ...] = Field(description="the states whose cases this team holds")


class MeetingSpec(_Frozen):
    """A conference or review that needs a chair's slot (e.g. ICPCs chaired by IROs)."""

    state: Identifier | None = Field(default=None, description="entering this state needs a slot")
    activity: Identifier | None = Field(default=None, description="or: this activity needs a slot")
    slots_per_week: int = Field(gt=0, description="slots available each working week")


class ScenarioSpec(_Frozen):
    """One capacity scenario: an authority's rules plus demand, behaviour and workforce."""

    id: Identifier
    title: str = Field(min_length=1)
    extends: Identifier | None = Field(default=None, description="another scenario in this folder")
    authority: str = Field(description="workflow name (e.g. liverpool) or path")
    start: dt.date = Field(description="first day simulated")
    horizon: DurationField = Field(description="how long to simulate after warm-up, e.g. 52 weeks")
    warm_up: DurationField | None = Field(default=None, description="simulated but not reported")
    replications: int = Field(default=10, ge=1, le=10_000)
    seed: int = Field(default=20260401, ge=0)
    demand: DemandSpec
    initial_caseload: Mapping[Identifier, int] = Field(
        default_factory=dict, description="open cases by state on the start day"
    )
    branches: Mapping[Identifier, Mapping[Identifier, float]] = Field(
        description="for each state, the probability of each trigger out of it (summing to 1)"
    )
    stays: Mapping[Identifier, DistSpec] = Field(
        default_factory=dict,
        description="time spent in each state when nobody is waiting for a worker",
    )
    effort_hours: Mapping[Identifier, float] = Field(
        default_factory=dict, description="worker hours for a state's work or one activity"
    )
    practice: Mapping[Identifier, PracticeSpec] = Field(
        default_factory=dict, description="punctuality per activity; key 'default' for the rest"
    )
    teams: Mapping[Identifier, TeamSpec] = Field(default_factory=dict)
    meetings: Mapping[Identifier, MeetingSpec] = Field(default_factory=dict)
    queue_discipline: Literal["edf", "fifo"] = Field(
        default="edf", description="earliest deadline first, or first come first served"
    )

    def practice_for(self, activity: str) -> PracticeSpec:
        """Punctuality for ``activity`` (or the default)."""
        return self.practice.get(activity) or self.practice.get("default") or PracticeSpec()


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = dict(parent)
    for key, value in child.items():
        if (
            isinstance(value, dict)
            and isinstance(out.get(key), dict)
            and key not in {"seasonality"}
        ):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_scenario(path: Path) -> tuple[ScenarioSpec | None, YamlDocument | None, list[Finding]]:
    """Read a scenario file and what it extends; every finding at once."""
    doc, findings = read_yaml(path)
    if doc is None:
        return None, None, findings
    data = doc.data
    seen = {path.resolve()}
    while isinstance(data, dict) and isinstance(data.get("extends"), str):
        parent_path = path.parent / f"{data['extends']}.yaml"
        if not parent_path.is_file() or parent_path.resolve() in seen:
            line = doc.line_of(("extends",))
            msg = f"extends '{data['extends']}': no such scenario beside this file (or a loop)"
            return (
                None,
                doc,
                [Finding(display_path(path), line, Level.ERROR, "extends-unknown", msg)],
            )
        seen.add(parent_path.resolve())
        parent_doc, problems = read_yaml(parent_path)
        if parent_doc is None or not isinstance(parent_doc.data, dict):
            return None, doc, problems
        parent_data = dict(parent_doc.data)
        grand = parent_data.pop("extends", None)
        data = _merge(parent_data, {k: v for k, v in data.items() if k != "extends"})
        if grand is not None:
            data["extends"] = grand
    merged = YamlDocument(doc.path, data, doc.lines)
    spec, problems = validate_document(merged, ScenarioSpec)
    return spec, doc, findings + problems


def scenario_findings(
    scenario: ScenarioSpec, workflow: Workflow, doc: YamlDocument
) -> list[Finding]:
    """Cross-checks of a scenario against its workflow: states, triggers, probabilities, capacity."""

    def at(*key: str | int) -> Location:
        return Location(doc.path, doc.line_of(key))

    return [
        *_branch_findings(scenario, workflow, at),
        *_name_findings(scenario, workflow, at),
        *_team_findings(scenario, workflow, at),
    ]


def _branch_findings(
    scenario: ScenarioSpec, workflow: Workflow, at: Callable[..., Location]
) -> list[Finding]:
    found: list[Finding] = []
    for state, options in scenario.branches.items():
        if state not in workflow.states:
            found.append(
                at("branches", state).finding(
                    Level.ERROR, "unknown-reference", f"branches: unknown state '{state}'"
                )
            )
            continue
        legal = workflow.triggers_from(state)
        for trigger, p in options.items():
            if trigger not in legal:
                found.append(
                    at("branches", state, trigger).finding(
                        Level.ERROR,
                        "unknown-reference",
                        f"branches.{state}: '{trigger}' is not a trigger out of '{state}'; legal: {', '.join(sorted(legal))}",
                    )
                )
            if p < 0:
                found.append(
                    at("branches", state, trigger).finding(
                        Level.ERROR,
                        "invalid-value",
                        f"branches.{state}.{trigger}: probability {p} is negative",
                    )
                )
        total = sum(options.values())
        if abs(total - 1) > 1e-6:
            found.append(
                at("branches", state).finding(
                    Level.ERROR,
                    "invalid-value",
                    f"branches.{state}: probabilities sum to {total:.4g}, not 1; adjust them",
                )
            )
    for declared in workflow.states.values():
        if not declared.terminal and declared.id not in scenario.branches:
            found.append(
                at("branches").finding(
                    Level.ERROR,
                    "missing-key",
                    f"branches: no probabilities for state '{declared.id}'; add branches.{declared.id}",
                )
            )
    return found


def _name_findings(
    scenario: ScenarioSpec, workflow: Workflow, at: Callable[..., Location]
) -> list[Finding]:
    found: list[Finding] = []
    for section in ("stays", "initial_caseload"):
        for name in getattr(scenario, section):
            if name not in workflow.states:
                found.append(
                    at(section, name).finding(
                        Level.ERROR, "unknown-reference", f"{section}: unknown state '{name}'"
                    )
                )
    for name in scenario.practice:
        if name != "default" and name not in workflow.activities:
            found.append(
                at("practice", name).finding(
                    Level.ERROR, "unknown-reference", f"practice: unknown activity '{name}'"
                )
            )
    return found


def _team_findings(
    scenario: ScenarioSpec, workflow: Workflow, at: Callable[..., Location]
) -> list[Finding]:
    found: list[Finding] = []
    for team_id, team in scenario.teams.items():
        for name in team.states:
            if name not in workflow.states:
                found.append(
                    at("teams", team_id, "states").finding(
                        Level.ERROR, "unknown-reference", f"teams.{team_id}: unknown state '{name}'"
                    )
                )
        if team.vacancies >= team.headcount * (1 - team.vacancy_rate):
            found.append(
                at("teams", team_id).finding(
                    Level.ERROR,
                    "impossible-capacity",
                    f"teams.{team_id}: {team.vacancies} vacancies leave no one in post; reduce vacancies or raise headcount",
                )
            )
    return found
