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

from casejourney.calendar import FIRST_YEAR, LAST_YEAR, Duration, Unit, WorkingCalendar
from casejourney.spec import scenarios_dir
from casejourney.spec.carried import CarriedStay, carried_findings, read_carried
from casejourney.spec.children import (
    LEGAL_STATUSES,
    PLACEMENTS,
    PLANS,
    LegalStatus,
    Placement,
    Plan,
)
from casejourney.spec.extends import parent_file
from casejourney.spec.findings import Finding, Level, Location, display_path
from casejourney.spec.models import (
    DAYS_PER_UNIT,
    MAX_IN_UNIT,
    MAX_SPAN_YEARS,
    DurationField,
    EventRef,
    ExtendsRef,
    Identifier,
    Scope,
    _Frozen,
)
from casejourney.spec.resolve import Workflow
from casejourney.spec.validate import validate_document
from casejourney.spec.yamlsafe import YamlDocument, is_regular_file, read_yaml

TimeUnit = Literal["hours", "days", "working_days", "weeks", "months"]

# What the simulator can run, with room to spare: England has about 38,000 children's social
# workers, 24,000 contacts a week and 400,000 children in need. Larger numbers are mistakes (a
# stray exponent) and would take hours and gigabytes before failing, so they are refused up front.
#: Funded posts, vacancies or newly qualified workers in one team.
MAX_STAFF = 100_000
#: Contacts, referrals or meeting slots a week.
MAX_PER_WEEK = 100_000
#: Open cases in one state on the start day; places of one kind.
MAX_CASES = 1_000_000
#: Caseload points one worker holds, or one case counts for.
MAX_CASELOAD = 1_000
#: Hours of one worker's time for one piece of work.
MAX_EFFORT_HOURS = 10_000
#: Hours in a week: no one works more.
HOURS_IN_WEEK = 168
#: ``simulate`` keeps day arithmetic exact this many days either side of the simulated period
#: (``simulate.GRID_MARGIN_DAYS``; a test keeps the two equal), and the calendar holds bank
#: holidays only for ``FIRST_YEAR`` to ``LAST_YEAR - 1``: so these are the first and last days a
#: simulated period may touch.
SIMULATION_MARGIN_DAYS = 12 * 366
EARLIEST_START = dt.date(FIRST_YEAR, 1, 1) + dt.timedelta(days=SIMULATION_MARGIN_DAYS)
LATEST_END = dt.date(LAST_YEAR - 1, 12, 31) - dt.timedelta(days=SIMULATION_MARGIN_DAYS)

Probability = Annotated[
    float, Field(ge=0, le=1, description="a probability: from 0 to 1 (not NaN)")
]
Factor = Annotated[float, Field(ge=0, le=10, description="a multiplier from 0 to 10")]


#: Largest number any distribution may hold, in its own unit (a century in days; a century in
#: hours is checked by the unit-aware rule below).
MAX_DIST_VALUE = MAX_IN_UNIT["days"]
Amount = Annotated[float, Field(ge=0, le=MAX_DIST_VALUE)]
PositiveAmount = Annotated[float, Field(gt=0, le=MAX_DIST_VALUE)]


class _Dist(_Frozen):
    unit: TimeUnit = Field(default="working_days", description="the unit of every number here")

    @model_validator(mode="after")
    def _within_a_century(self) -> _Dist:
        limit = MAX_IN_UNIT[self.unit]
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, float) and value > limit:
                raise ValueError(
                    f"{name} {value:g} {self.unit.replace('_', ' ')} is longer than "
                    f"{MAX_SPAN_YEARS} years; at most {limit:,}"
                )
        return self


class FixedDist(_Dist):
    """Always the same length."""

    dist: Literal["fixed"] = Field(description="always `value`")
    value: Amount = Field(description="the length, in `unit`")


class UniformDist(_Dist):
    """Any length between low and high, equally likely."""

    dist: Literal["uniform"] = Field(description="anywhere from `low` to `high`, equally likely")
    low: Amount = Field(description="the shortest, in `unit`")
    high: Amount = Field(description="the longest, in `unit`")

    @model_validator(mode="after")
    def _ordered(self) -> UniformDist:
        if self.low > self.high:
            raise ValueError("low must not be above high")
        return self


class TriangularDist(_Dist):
    """Between low and high, most often near mode (a planner's 'best guess with a range')."""

    dist: Literal["triangular"] = Field(description="from `low` to `high`, most often `mode`")
    low: Amount = Field(description="the shortest, in `unit`")
    mode: Amount = Field(description="the most usual, in `unit`")
    high: Amount = Field(description="the longest, in `unit`")

    @model_validator(mode="after")
    def _ordered(self) -> TriangularDist:
        if not self.low <= self.mode <= self.high:
            raise ValueError("need low <= mode <= high")
        return self


class LognormalDist(_Dist):
    """Skewed to the right: half of cases take less than median, nine in ten less than p90."""

    dist: Literal["lognormal"] = Field(description="skewed: a long tail of slow cases")
    median: PositiveAmount = Field(description="half of cases take less, in `unit`")
    p90: PositiveAmount = Field(description="nine in ten take less, in `unit`")

    @model_validator(mode="after")
    def _ordered(self) -> LognormalDist:
        if self.p90 < self.median:
            raise ValueError("p90 must not be below median")
        return self


class ExponentialDist(_Dist):
    """Memoryless, with the given mean (queueing-theory checks use this)."""

    dist: Literal["exponential"] = Field(description="memoryless, with mean `mean`")
    mean: PositiveAmount = Field(description="the average, in `unit`")


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
    """Demand multiplied between two dates (a January surge; a quieter school holiday)."""

    start: dt.date = Field(alias="from", description="first day of the surge")
    end: dt.date = Field(alias="to", description="last day of the surge")
    multiplier: float = Field(
        gt=0, le=100, description="demand multiplier on those days (1.3 = +30%)"
    )


class DemandSpec(_Frozen):
    """New work arriving at the front door: Poisson arrivals at a rate that varies by day."""

    contacts_per_week: float | None = Field(
        default=None,
        gt=0,
        le=MAX_PER_WEEK,
        description="mean new contacts a week, arriving at the initial state",
    )
    referrals_per_week: float | None = Field(
        default=None,
        gt=0,
        le=MAX_PER_WEEK,
        description="or: mean new referrals a week, arriving at `referral_state` (contacts skipped)",
    )
    referral_state: Identifier = Field(
        default="referral", description="the state referrals arrive at (with referrals_per_week)"
    )
    growth: float = Field(
        default=0.0, ge=-0.9, le=5, description="trend: 0.15 means +15% over a year, linearly"
    )
    seasonality: Mapping[Annotated[int, Field(ge=1, le=12)], Factor] = Field(
        default_factory=dict,
        description="month number (1-12) → multiplier on demand that month, e.g. {8: 0.8, 9: 1.1}",
    )
    surges: tuple[SurgeSpec, ...] = Field(
        default=(), description="dated multipliers: a January surge, school holidays, Christmas"
    )
    weekday_profile: tuple[Factor, Factor, Factor, Factor, Factor, Factor, Factor] = Field(
        default=(1.0, 1.0, 1.0, 1.0, 1.0, 0.15, 0.1),
        description="relative volume Monday..Sunday (scaled so a week still totals the weekly rate)",
    )
    bank_holiday_factor: float = Field(
        default=0.2,
        ge=0,
        le=10,
        description="multiplier on a bank holiday's volume (weekday share)",
    )
    child_age_years: DistSpec = Field(
        default=UniformDist(dist="uniform", low=0, high=17.9, unit="days"),
        description="age at first contact, in years (unit ignored); used only for age-based standards",
    )

    @model_validator(mode="after")
    def _one_rate(self) -> DemandSpec:
        if (self.contacts_per_week is None) == (self.referrals_per_week is None):
            raise ValueError("give exactly one of contacts_per_week and referrals_per_week")
        return self

    @property
    def per_week(self) -> float:
        """The weekly arrival rate, whichever way it was given."""
        return float(self.contacts_per_week or self.referrals_per_week or 0.0)


class TeamSpec(_Frozen):
    """A team of workers who hold cases and do the work of some states (and some activities)."""

    headcount: float = Field(gt=0, le=MAX_STAFF, description="funded posts (full-time equivalents)")
    hours_per_week: float = Field(
        default=37, gt=0, le=HOURS_IN_WEEK, description="contracted hours a week per worker (hours)"
    )
    vacancy_rate: float = Field(
        default=0.0, ge=0, lt=1, description="share of posts vacant (0.17 = 17%)"
    )
    vacancies: int = Field(
        default=0, ge=0, le=MAX_STAFF, description="posts vacant, on top of vacancy_rate"
    )
    sickness_rate: float = Field(
        default=0.04, ge=0, lt=1, description="share of working time lost to sickness"
    )
    caseload_limit: float | None = Field(
        default=20,
        gt=0,
        le=MAX_CASELOAD,
        description="most caseload points one worker holds (a case is 1 point unless case_weights "
        "says otherwise); null: the team does not hold cases (a screening or duty team)",
    )
    newly_qualified: int = Field(
        default=0,
        ge=0,
        le=MAX_STAFF,
        description="workers in post who are in their first year (ASYE)",
    )
    newly_qualified_caseload_limit: float = Field(
        default=12, gt=0, le=MAX_CASELOAD, description="their lower caseload limit (points)"
    )
    states: tuple[Identifier, ...] = Field(description="the states whose cases this team holds")
    activities: tuple[Identifier, ...] = Field(
        default=(),
        description="activities this team does for every case, whoever holds it (else the "
        "holding team does them)",
    )
    reference_caseload: float | None = Field(
        default=None,
        gt=0,
        le=1000,
        description="caseload (points) at which the stays of the states in `paced_stays` are "
        "the elapsed times given in `stays`: a worker holding more takes proportionally longer "
        "over the part above the minimum, one holding fewer less (e.g. the authority's published "
        "cases per case-holding social worker)",
    )
    caseload_elasticity: float = Field(
        default=1.0,
        ge=0,
        le=2,
        description="how strongly paced stays follow the caseload: 1 = in proportion to "
        "caseload / reference_caseload, 0.5 = with its square root (workers give the work "
        "nearest its due date priority), 0 = not at all",
    )
    turnover_rate: float = Field(
        default=0.0,
        ge=0,
        le=2,
        description="share of workers leaving a year (0.14 = 14%): a leaver's cases wait to be "
        "reallocated and the work on them starts again",
    )
    refill: DurationField | None = Field(
        default=None,
        description="how long a leaver's post holds no cases before a new or agency worker "
        "starts (default 8 weeks)",
    )
    agency_share: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="share of the workers in post who are agency staff (0.13 = 13%, as the DfE "
        "publishes per authority): they hold cases as others do, but move on at "
        "`agency_turnover_rate` instead of `turnover_rate`",
    )
    agency_turnover_rate: float = Field(
        default=1.0,
        ge=0,
        le=12,
        description="share of agency workers leaving a year (1.0: an assignment lasts a year on "
        "average; an assumption, as the DfE publishes no agency turnover): each leaver's cases "
        "wait to be reallocated and the work on them starts again",
    )
    agency_refill: DurationField | None = Field(
        default=None,
        description="how long an agency worker's post holds no cases before the next agency "
        "worker starts (default 2 weeks)",
    )
    triage_effort: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="share of a piece of work's effort the team gives it when its backlog is "
        "deepest (0.5 = screening takes half as long under pressure; 1 = never shortened): "
        "a front door that triages degrades smoothly instead of queueing without end",
    )
    triage_backlog_days: float = Field(
        default=2.0,
        gt=0,
        le=365,
        description="backlog, in days of the whole team's working hours, at which "
        "`triage_effort` is reached (shortened in proportion below it)",
    )

    def in_post(self, scale: float = 1.0) -> int:
        """Workers in post: funded posts less vacancies, at least one."""
        posts = round(self.headcount * scale * (1 - self.vacancy_rate))
        return max(1, posts - round(self.vacancies * scale))


class DeadlineBooking(_Frozen):
    """The deadline a meeting is booked against: ``within`` of entering the state ``from``."""

    from_: Identifier = Field(alias="from", description="the state whose start starts the clock")
    within: DurationField = Field(description="e.g. 15 working days")
    aim_before: DistSpec | None = Field(
        default=None,
        description="how long before the deadline bookings aim: the margin managers keep "
        "(default: none, the deadline itself)",
    )
    extra_slots: float = Field(
        default=0.0,
        ge=0,
        le=10,
        description="more slots a week, as a share of `slots_per_week`, that the chairs can add "
        "for a meeting that would otherwise miss its deadline (an extra sitting, a longer day): "
        "it takes the latest of them on or before the deadline (e.g. 0.2; default 0: none)",
    )
    held_slots: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="share of `slots_per_week` held back for meetings booked against the "
        "deadline (ring-fenced ICPC slots): other meetings sharing the diary (e.g. review "
        "conferences) take a held slot only when booked within `release` of its day "
        "(e.g. 0.3; default 0: none held, first come first served)",
    )
    release: DurationField | None = Field(
        default=None,
        description="held slots still free this close to their day are open to any meeting "
        "(default: the diary's `notice`)",
    )


class HistorySpec(_Frozen):
    """Earlier stays in a state that children had before the simulated period."""

    share: float = Field(
        ge=0, le=1, description="share of children arriving who had one (0.2 = 20%)"
    )
    open_share: Mapping[Identifier, float] = Field(
        default_factory=dict,
        description="share of the children open in each state on the first day who had one "
        "(default: `share`)",
    )
    ended_ago: DistSpec = Field(description="how long before the first simulated day it ended")
    lasted: DistSpec = Field(description="how long it lasted")
    closed_in: Identifier = Field(
        default="case_closed", description="the closed state recorded at its end"
    )


class MeetingSpec(_Frozen):
    """A conference, review or hearing that needs a booked slot (e.g. ICPCs chaired by IROs)."""

    state: Identifier | None = Field(default=None, description="entering this state needs a slot")
    activity: Identifier | None = Field(default=None, description="or: this activity needs a slot")
    states: tuple[Identifier, ...] = Field(default=(), description="more states sharing the slots")
    activities: tuple[Identifier, ...] = Field(
        default=(), description="more activities sharing the slots"
    )
    slots_per_week: float = Field(
        gt=0,
        le=MAX_PER_WEEK,
        description="slots a normal five-day week (spread over its working days; none on bank "
        "holidays)",
    )
    notice: DurationField | None = Field(
        default=None,
        description="earliest booking after the request (default: the next working day)",
    )
    deadline: DeadlineBooking | None = Field(
        default=None,
        description="book the state's entry against a deadline: the latest free slot on or "
        "before it, else the first after (e.g. an ICPC within 15 working days of the start of "
        "the s47 enquiry)",
    )
    adjournments: Mapping[Identifier, float] = Field(
        default_factory=dict,
        description="named shares of booked meetings that do not go ahead on the day and are "
        "booked again (e.g. {family_unavailable: 0.04, reports_late: 0.03, chair_absent: 0.01})",
    )
    rebook_notice: DurationField | None = Field(
        default=None, description="notice for a meeting booked again (default: `notice`)"
    )

    @model_validator(mode="after")
    def _needs_something(self) -> MeetingSpec:
        if not (self.state or self.activity or self.states or self.activities):
            raise ValueError("name the state(s) or activity(ies) that need these slots")
        return self

    def users(self) -> tuple[str, ...]:
        """Every state and activity that books these slots."""
        named = (self.state, self.activity, *self.states, *self.activities)
        return tuple(dict.fromkeys(n for n in named if n))


class PlacementSpec(_Frozen):
    """A kind of placement (a foster home, a children's home) held while in some states."""

    states: tuple[Identifier, ...] = Field(description="states in which a child holds a place")
    places: int = Field(ge=0, le=MAX_CASES, description="places available (beds)")
    share: float = Field(
        default=1.0, gt=0, le=1, description="share of children entering those states who need one"
    )


class _SharesSpec(_Frozen):
    """How one of a child's attributes is drawn: the share of children with each value."""

    source: str = Field(
        min_length=1,
        description="where the shares come from (a published table), or 'assumption' and why",
    )

    @model_validator(mode="after")
    def _whole(self) -> _SharesSpec:
        total = sum(self.by_value().values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"the shares add up to {total:g}, not 1; make them add up to 1 (put the rest "
                "under 'other')"
            )
        return self

    def weights(self, values: tuple[str, ...]) -> tuple[float, ...]:
        """The shares in the order of ``values`` (0 for a value not named)."""
        shares = self.by_value()
        return tuple(float(shares.get(v, 0.0)) for v in values)

    def by_value(self) -> dict[str, float]:
        """The share of children with each value named (``shares``, in the subclasses)."""
        return {str(k): float(v) for k, v in getattr(self, "shares").items()}  # noqa: B009


class PlacementShares(_SharesSpec):
    """The share of children in each kind of placement while looked after."""

    shares: Mapping[Placement, Probability] = Field(
        min_length=1, description="share of children by placement, adding up to 1"
    )


class LegalStatusShares(_SharesSpec):
    """The share of children under each legal status while looked after."""

    shares: Mapping[LegalStatus, Probability] = Field(
        min_length=1, description="share of children by legal status, adding up to 1"
    )


class PlanShares(_SharesSpec):
    """The share of children with each plan for permanence."""

    shares: Mapping[Plan, Probability] = Field(
        min_length=1, description="share of children by plan, adding up to 1"
    )


class DisabilitySpec(_Frozen):
    """How many children are disabled."""

    share: Probability = Field(description="share of children who are disabled")
    source: str = Field(
        min_length=1,
        description="where the share comes from (a published table), or 'assumption' and why",
    )


class ChildrenSpec(_Frozen):
    """What each simulated child is drawn with when their case opens, for ``applies_to``.

    Each child keeps what is drawn for the whole simulation (a placement, a legal status, a plan,
    whether disabled). A standard for children with an attribute the scenario does not draw is
    not simulated.
    """

    disabled: DisabilitySpec | None = Field(
        default=None, description="share of children who are disabled, with its source"
    )
    placement: PlacementShares | None = Field(
        default=None,
        description="share of children in each kind of placement while looked after "
        f"({', '.join(PLACEMENTS)}), with the source",
    )
    legal_status: LegalStatusShares | None = Field(
        default=None,
        description="share of children under each legal status while looked after "
        f"({', '.join(LEGAL_STATUSES)}), with the source",
    )
    plan: PlanShares | None = Field(
        default=None,
        description="share of children with each plan for permanence "
        f"({', '.join(PLANS)}), with the source",
    )

    def attributes(self) -> dict[str, tuple[tuple[str | bool, ...], tuple[float, ...], str]]:
        """Each attribute drawn: (its values, their shares, the source), by ``applies_to`` key."""
        out: dict[str, tuple[tuple[str | bool, ...], tuple[float, ...], str]] = {}
        if self.disabled is not None:
            share = float(self.disabled.share)
            out["disabled"] = ((False, True), (1.0 - share, share), self.disabled.source)
        for name, words in (
            ("placement", PLACEMENTS),
            ("legal_status", LEGAL_STATUSES),
            ("plan", PLANS),
        ):
            found: _SharesSpec | None = getattr(self, name)
            if found is not None:
                out[name] = (words, found.weights(words), found.source)
        return out


class RoutineSpec(_Frozen):
    """Work the scenario adds that no standard asks for: visits, a decision (it still takes time).

    Either recurring (``every``, optional ``first``) while in ``while``, or once, ``within`` of the
    event ``after``.
    """

    while_: Scope = Field(alias="while", description="the states or phases where it applies")
    every: DurationField | None = Field(default=None, description="recurring: at least this often")
    first: DurationField | None = Field(
        default=None, description="recurring: the first within this of entering (default: every)"
    )
    after: EventRef | None = Field(default=None, description="once: the event it follows")
    within: DurationField | None = Field(default=None, description="once: due this long after")

    @model_validator(mode="after")
    def _one_kind(self) -> RoutineSpec:
        recurring = self.every is not None
        once = self.after is not None and self.within is not None
        if recurring == once:
            raise ValueError("give either every (recurring) or after and within (once)")
        return self


class DriftSpec(_Frozen):
    """A drift measure: cases stuck, repeating, or missing a decision (reported weekly)."""

    kind: Literal["longer_than", "repeat", "missing_before"] = Field(
        description="longer_than: stretches in `while` over `limit`; repeat: second and later "
        "entries into `while`; missing_before: the `occurrence`-th `before` in a stretch with no "
        "`event` before it"
    )
    title: str = Field(min_length=1, description="one line for tables")
    while_: Scope = Field(alias="while", description="the states or phases measured")
    limit: DurationField | None = Field(default=None, description="longer_than: the threshold")
    event: Identifier | None = Field(default=None, description="missing_before: the decision")
    before: Identifier | None = Field(default=None, description="missing_before: the milestone")
    occurrence: int = Field(
        default=1, ge=1, le=1_000, description="missing_before: which milestone"
    )

    @model_validator(mode="after")
    def _fields_for_kind(self) -> DriftSpec:
        if self.kind == "longer_than" and self.limit is None:
            raise ValueError("longer_than needs a limit")
        if self.kind == "missing_before" and (self.event is None or self.before is None):
            raise ValueError("missing_before needs event and before")
        return self


EffortSpec = Annotated[
    Annotated[float, Field(ge=0, le=MAX_EFFORT_HOURS)] | DistSpec,
    Field(description="hours of one worker's time: a number, or a distribution with unit: hours"),
]


class CalibrateParameter(_Frozen):
    """One parameter ``casejourney calibrate`` fits: a number in the scenario and its range."""

    low: float = Field(description="lowest value tried")
    high: float = Field(description="highest value tried")
    unit: str = Field(
        default="",
        description="what the number counts, for the reader (hours, working_days, share ...)",
    )
    integer: bool = Field(default=False, description="whole numbers only")

    @model_validator(mode="after")
    def _ordered(self) -> CalibrateParameter:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self


class CalibrateSpec(_Frozen):
    """What ``casejourney calibrate`` may change, and how hard it looks."""

    parameters: Mapping[
        Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_\-]*(\.[a-z_0-9][a-z0-9_\-]*)+$")],
        CalibrateParameter,
    ] = Field(
        min_length=1,
        description="dotted path to a number in the scenario (a duration's number is "
        "`.value`: paced_stays.s47_enquiry.value), with its range",
    )
    replications: int = Field(
        default=3, ge=1, le=100, description="replications per trial (the same seeds each trial)"
    )


class ScenarioSpec(_Frozen):
    """One capacity scenario: an authority's rules plus demand, behaviour and workforce."""

    kind: Literal["scenario"] | None = Field(
        default=None,
        description="say `scenario` when the file is not in a scenarios/ folder (a file there is "
        "a scenario, one in workflows/ a workflow)",
    )
    id: Identifier = Field(description="the scenario's name; results go to results/<id>")
    title: str = Field(min_length=1, description="one line for reports and tables")
    extends: ExtendsRef | None = Field(
        default=None,
        description="the scenario this one changes: an id, found beside this file or else among "
        "the shipped scenarios (liverpool-baseline), or a path from this file's folder "
        "(../scenarios/liverpool-baseline.yaml)",
    )
    authority: str = Field(description="workflow name (e.g. liverpool) or path")
    term_dates: str | None = Field(
        default=None,
        min_length=1,
        description="the authority's own school term dates for this scenario: a CSV file in the "
        "form of the shipped England file (academic_year,term,starts,ends,half_term_starts,"
        "half_term_ends), relative to this file; it replaces the workflow's (or England's "
        "shipped dates) for school_days, terms and school_years",
    )
    start: dt.date = Field(
        ge=EARLIEST_START,
        le=LATEST_END,
        description=f"first day simulated ({EARLIEST_START.isoformat()} to "
        f"{LATEST_END.isoformat()}: the calendar's years, less a margin for due dates)",
    )
    horizon: DurationField = Field(description="how long to simulate after warm-up, e.g. 52 weeks")
    warm_up: DurationField | None = Field(default=None, description="simulated but not reported")
    replications: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="how many times to run it, each with its own random numbers (more: narrower "
        "intervals)",
    )
    areas: int = Field(
        default=1,
        ge=1,
        le=1_000,
        description="independent areas the demand, open cases, teams, meeting slots and places "
        "are shared equally between (a case is only served within its area): 1 for one "
        "authority; England has 153 authorities",
    )
    seed: int = Field(default=20260401, ge=0, le=2**63 - 1, description="same seed, same results")
    demand: DemandSpec = Field(
        description="new work arriving: contacts or referrals a week, growth, seasons, surges"
    )
    initial_caseload: Mapping[Identifier, Annotated[int, Field(ge=0, le=MAX_CASES)]] = Field(
        default_factory=dict, description="open cases by state on the start day"
    )
    initial_cases: str | tuple[CarriedStay, ...] = Field(
        default=(),
        description="open cases carried from the authority's own records, each with its dates "
        "and earlier stays: a CSV file beside the scenario (case, state, start, end, age; "
        "written by `scenario from-returns`), read when the scenario is",
    )
    branches: Mapping[Identifier, Mapping[Identifier, Probability]] = Field(
        description="for each state, the probability of each trigger out of it (summing to 1)"
    )
    stays: Mapping[Identifier, DistSpec] = Field(
        default_factory=dict,
        description="time spent in each state when nobody is waiting for a worker",
    )
    effort_hours: Mapping[Identifier, EffortSpec] = Field(
        default_factory=dict,
        description="worker hours for a state's own work (an assessment) or one activity (a visit)",
    )
    practice: Mapping[Identifier, PracticeSpec] = Field(
        default_factory=dict, description="punctuality per activity; key 'default' for the rest"
    )
    teams: Mapping[Identifier, TeamSpec] = Field(
        default_factory=dict,
        description="the workforce, by team: headcount, hours, which states' work it does",
    )
    meetings: Mapping[Identifier, MeetingSpec] = Field(
        default_factory=dict,
        description="conferences, reviews and hearings that need a booked slot, with slots a week",
    )
    queue_discipline: Literal["edf", "fifo"] = Field(
        default="edf", description="earliest deadline first, or first come first served"
    )
    initial_age_years: Mapping[Identifier, DistSpec] = Field(
        default_factory=dict,
        description="age in years (unit ignored) of the open cases on the start day, by state "
        "(default: demand.child_age_years)",
    )
    stays_to: Mapping[Identifier, Mapping[Identifier, DistSpec]] = Field(
        default_factory=dict,
        description="time spent in a state when the case goes on to a particular next state, "
        "e.g. {referral: {strategy_discussion: ...}}: the next state is chosen on entering, "
        "and this stay replaces the state's usual one",
    )
    stays_from: Mapping[Identifier, Mapping[Identifier, DistSpec]] = Field(
        default_factory=dict,
        description="time spent in a state when the case came to it from a particular state, "
        "e.g. {cp_plan: {plo: ...}}: a child protection plan resumed after pre-proceedings runs "
        "on for what is left of it; this stay replaces the state's usual one (same unit)",
    )
    extra_stay: Mapping[Identifier, DurationField] = Field(
        default_factory=dict,
        description="time added to every stay in a state, e.g. court delays: {care_proceedings: "
        "8 weeks}",
    )
    casework_hours_per_week: Mapping[
        Identifier, Annotated[float, Field(ge=0, le=HOURS_IN_WEEK)]
    ] = Field(
        default_factory=dict,
        description="worker hours a week each held case takes in a state, besides its timed work "
        "(calls, recording, supervision)",
    )
    case_weights: Mapping[Identifier, Annotated[float, Field(gt=0, le=MAX_CASELOAD)]] = Field(
        default_factory=dict,
        description="caseload points a case counts for in a state (default 1), against "
        "teams.*.caseload_limit",
    )
    placements: Mapping[Identifier, PlacementSpec] = Field(
        default_factory=dict, description="placement capacity by kind"
    )
    children: ChildrenSpec | None = Field(
        default=None,
        description="what each child is drawn with for standards owed to some children only "
        "(applies_to: placement, legal status, plan, disability), each with its source "
        "(default: none drawn, and such standards are not simulated)",
    )
    routines: Mapping[Identifier, RoutineSpec] = Field(
        default_factory=dict,
        description="work no standard asks for, by activity id (may be new): visits, decisions",
    )
    drift: Mapping[Identifier, DriftSpec] = Field(
        default_factory=dict, description="drift measures reported by `simulate`"
    )
    paced_stays: Mapping[Identifier, DurationField] = Field(
        default_factory=dict,
        description="states whose stay lengthens with the case holder's caseload (see "
        "teams.*.reference_caseload), each with the minimum that remains however light the "
        "caseload (partner agencies' information, arranging visits)",
    )
    history: Mapping[Identifier, HistorySpec] = Field(
        default_factory=dict,
        description="earlier stays before the simulated period, by state (e.g. earlier child "
        "protection plans, so that second plans are counted as the DfE counts them)",
    )
    arrivals: Literal["start_of_day", "through_the_day"] = Field(
        default="start_of_day",
        description="when a day's arrivals join: all at its start, or at random times through "
        "it (for checks against queueing theory)",
    )
    open_days: Literal["working_days", "every_day"] = Field(
        default="working_days",
        description="the days teams work and slots sit: working days (no weekends or bank "
        "holidays), or every day",
    )
    calibrate: CalibrateSpec | None = Field(
        default=None,
        description="parameters `casejourney calibrate` fits to published targets (ignored by "
        "simulate)",
    )

    @model_validator(mode="after")
    def _runnable_period(self) -> ScenarioSpec:
        # Working days are counted generously (bank holidays), so what passes here runs.
        per_unit = {**DAYS_PER_UNIT, "working_days": 7 / 5 * 1.05}
        days = sum(per_unit[d.unit.value] * d.value for d in (self.horizon, self.warm_up) if d)
        end = self.start + dt.timedelta(days=math.ceil(days))
        if end > LATEST_END:
            raise ValueError(
                f"the simulated period (warm_up and horizon from {self.start.isoformat()}) ends "
                f"about {end.isoformat()}, after {LATEST_END.isoformat()}, the last day the "
                "calendar can simulate; start earlier or shorten horizon or warm_up"
            )
        return self

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
    seen = [path.resolve()]
    here = path  # the file whose `extends` is being followed: a path is read from its folder
    while isinstance(data, dict) and isinstance(data.get("extends"), str):
        parent = data["extends"]
        parent_path, problem = parent_file(here, parent, scenarios_dir(), "scenario")
        if parent_path is not None and parent_path.resolve() in seen:
            chain = " → ".join(p.name for p in [*seen, parent_path.resolve()])
            problem = f"extends '{parent}': scenarios extend each other in a loop: {chain}"
        if parent_path is None or problem:
            line = doc.line_of(("extends",))
            return (
                None,
                doc,
                [Finding(display_path(path), line, Level.ERROR, "extends-unknown", problem)],
            )
        seen.append(parent_path.resolve())
        here = parent_path
        parent_doc, problems = read_yaml(parent_path)
        if parent_doc is None or not isinstance(parent_doc.data, dict):
            return None, doc, problems
        parent_data = dict(parent_doc.data)
        if isinstance(parent_data.get("initial_cases"), str):  # a file beside the parent
            parent_data["initial_cases"] = str(parent_path.parent / parent_data["initial_cases"])
        grand = parent_data.pop("extends", None)
        data = _merge(parent_data, {k: v for k, v in data.items() if k != "extends"})
        if grand is not None:
            data["extends"] = grand
    if isinstance(data, dict) and isinstance(data.get("initial_cases"), str):
        data = dict(data)
        source = path.parent / data["initial_cases"]
        if not is_regular_file(source):  # named at the scenario's line: the CSV has no lines
            message = (
                f"initial_cases: no such file {data['initial_cases']!r}; give a CSV file beside "
                "the scenario (columns case, state, start, end, age, earlier)"
            )
            line = doc.line_of(("initial_cases",))
            finding = Finding(display_path(path), line, Level.ERROR, "initial-cases", message)
            return None, doc, [*findings, finding]
        rows, problems = read_carried(source)
        if problems:
            return None, doc, findings + problems
        data["initial_cases"] = [{k: v for k, v in r.items() if k != "line"} for r in rows]
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
        *_placement_findings(scenario, workflow, at),
        *_capacity_findings(scenario, workflow, at),
        *_carried_findings(scenario, workflow, at),
    ]


def _carried_findings(
    scenario: ScenarioSpec, workflow: Workflow, at: Callable[..., Location]
) -> list[Finding]:
    """``initial_cases``: known states, open in a state that is not closed, dated before the start."""
    carried = scenario.initial_cases
    if not carried:
        return []
    where = at("initial_cases")
    if isinstance(carried, str):
        return [
            where.finding(
                Level.ERROR,
                "initial-cases",
                f"initial_cases: '{carried}' was not read; load the scenario from its file",
            )
        ]
    states = set(workflow.states)
    terminal = {s for s, state in workflow.states.items() if state.terminal}
    opened = {s for s, n in scenario.initial_caseload.items() if n > 0}
    return carried_findings(
        carried,
        states,
        terminal,
        scenario.start,
        opened,
        display_path(where.file),
        where.line,
    )


def _capacity_findings(
    scenario: ScenarioSpec, workflow: Workflow, at: Callable[..., Location]
) -> list[Finding]:
    """Paced stays, booking deadlines and case history name states that can carry them."""
    found: list[Finding] = []
    states = workflow.states
    holder = {s: (t, spec) for t, spec in scenario.teams.items() for s in spec.states}

    def error(key: tuple[str | int, ...], message: str) -> None:
        found.append(at(*key).finding(Level.ERROR, "invalid-value", message))

    for name in scenario.paced_stays:
        if name not in states:
            error(("paced_stays", name), f"paced_stays: unknown state '{name}'")
        elif name not in scenario.stays:
            error(("paced_stays", name), f"paced_stays.{name}: give its stay in `stays` too")
        elif name not in holder:
            error(
                ("paced_stays", name),
                f"paced_stays.{name}: no team holds '{name}'; add it to a team's states",
            )
        elif holder[name][1].reference_caseload is None or holder[name][1].caseload_limit is None:
            error(
                ("paced_stays", name),
                f"paced_stays.{name}: team '{holder[name][0]}' needs a caseload_limit and a "
                "reference_caseload (the caseload at which the stay is as given)",
            )
    for name, earlier in scenario.stays_from.items():
        if name not in states:
            error(("stays_from", name), f"stays_from: unknown state '{name}'")
            continue
        into = sorted(s for s in states if name in workflow.triggers_from(s).values())
        usual = scenario.stays.get(name)
        for source, dist in earlier.items():
            if source not in into:
                error(
                    ("stays_from", name, source),
                    f"stays_from.{name}.{source}: no transition from '{source}' to '{name}' "
                    f"(it is entered from: {', '.join(into) or 'none'})",
                )
            elif usual is None or (dist.unit or "days") != (usual.unit or "days"):
                error(
                    ("stays_from", name, source),
                    f"stays_from.{name}.{source}: give it in the unit of stays.{name} "
                    f"({usual.unit if usual is not None else 'none given: add stays.' + name})",
                )
    return found + _booking_history_findings(scenario, workflow, at)


def _booking_history_findings(
    scenario: ScenarioSpec, workflow: Workflow, at: Callable[..., Location]
) -> list[Finding]:
    found: list[Finding] = []
    states = workflow.states

    def error(key: tuple[str | int, ...], message: str) -> None:
        found.append(at(*key).finding(Level.ERROR, "invalid-value", message))

    for meeting_id, meeting in scenario.meetings.items():
        deadline = meeting.deadline
        if deadline is None:
            continue
        if deadline.from_ not in states:
            error(
                ("meetings", meeting_id, "deadline", "from"),
                f"meetings.{meeting_id}.deadline.from: unknown state '{deadline.from_}'",
            )
        if sum(meeting.adjournments.values()) > 1:
            error(
                ("meetings", meeting_id, "adjournments"),
                f"meetings.{meeting_id}.adjournments: the shares add up to more than 1",
            )
    for name, history in scenario.history.items():
        if name not in states:
            error(("history", name), f"history: unknown state '{name}'")
        closed = states.get(history.closed_in)
        if closed is None or not closed.terminal:
            error(
                ("history", name, "closed_in"),
                f"history.{name}.closed_in: '{history.closed_in}' is not a closed (terminal) state",
            )
        for state in history.open_share:
            if state not in states:
                error(
                    ("history", name, "open_share", state),
                    f"history.{name}.open_share: unknown state '{state}'",
                )
    return found


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

    def unknown(section: tuple[str | int, ...], name: str, what: str) -> None:
        shown = ".".join(str(k) for k in section)
        found.append(
            at(*section).finding(
                Level.ERROR, "unknown-reference", f"{shown}: unknown {what} '{name}'"
            )
        )

    _state_names(scenario, workflow, unknown)
    _next_state_names(scenario, workflow, unknown)
    _activity_names(scenario, workflow, unknown)
    _scope_names(scenario, workflow, unknown)
    return found


_Unknown = Callable[[tuple[str | int, ...], str, str], None]


def _state_names(scenario: ScenarioSpec, workflow: Workflow, unknown: _Unknown) -> None:
    states = set(workflow.states)
    for section in (
        "stays",
        "initial_caseload",
        "initial_age_years",
        "extra_stay",
        "casework_hours_per_week",
        "case_weights",
    ):
        for name in getattr(scenario, section):
            if name not in states:
                unknown((section, name), name, "state")
    for place_id, placement in scenario.placements.items():
        for name in placement.states:
            if name not in states:
                unknown(("placements", place_id, "states"), name, "state")
    demand = scenario.demand
    if demand.referrals_per_week is not None and demand.referral_state not in states:
        unknown(("demand", "referral_state"), demand.referral_state, "state")


def _next_state_names(scenario: ScenarioSpec, workflow: Workflow, unknown: _Unknown) -> None:
    """``stays_to``: a state, then states one transition on from it."""
    for name, onward in scenario.stays_to.items():
        if name not in workflow.states:
            unknown(("stays_to", name), name, "state")
            continue
        nexts = set(workflow.triggers_from(name).values())
        for dest in onward:
            if dest not in nexts:
                choices = ", ".join(sorted(nexts)) or "none"
                unknown(
                    ("stays_to", name, dest),
                    dest,
                    f"next state from '{name}' (it goes to: {choices})",
                )


def _activity_names(scenario: ScenarioSpec, workflow: Workflow, unknown: _Unknown) -> None:
    states = set(workflow.states)
    activities = set(workflow.activities) | set(scenario.routines)
    for name in scenario.practice:
        if name != "default" and name not in activities:
            unknown(("practice", name), name, "activity")
    for name in scenario.effort_hours:
        if name not in states and name not in activities:
            unknown(("effort_hours", name), name, "state or activity")
    for meeting_id, meeting in scenario.meetings.items():
        for name in meeting.users():
            if name not in states and name not in activities:
                unknown(("meetings", meeting_id), name, "state or activity")


def _scope_names(scenario: ScenarioSpec, workflow: Workflow, unknown: _Unknown) -> None:
    scopes = set(workflow.states) | set(workflow.phases)
    for routine_id, routine in scenario.routines.items():
        if routine_id in scopes:
            unknown(("routines", routine_id), routine_id, "activity (it is a state or phase)")
        for name in routine.while_:
            if name not in scopes:
                unknown(("routines", routine_id, "while"), name, "state or phase")
    for drift_id, drift in scenario.drift.items():
        for name in drift.while_:
            if name not in scopes:
                unknown(("drift", drift_id, "while"), name, "state or phase")


def _team_findings(
    scenario: ScenarioSpec, workflow: Workflow, at: Callable[..., Location]
) -> list[Finding]:
    found: list[Finding] = []
    holder: dict[str, str] = {}
    activities = set(workflow.activities) | set(scenario.routines)
    for team_id, team in scenario.teams.items():
        for name in team.states:
            if name not in workflow.states:
                found.append(
                    at("teams", team_id, "states").finding(
                        Level.ERROR, "unknown-reference", f"teams.{team_id}: unknown state '{name}'"
                    )
                )
            elif name in holder:
                found.append(
                    at("teams", team_id, "states").finding(
                        Level.ERROR,
                        "invalid-value",
                        f"teams.{team_id}: state '{name}' is already held by team '{holder[name]}'",
                    )
                )
            else:
                holder[name] = team_id
        for name in team.activities:
            if name not in activities:
                found.append(
                    at("teams", team_id, "activities").finding(
                        Level.ERROR,
                        "unknown-reference",
                        f"teams.{team_id}: unknown activity '{name}'",
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
        elif team.in_post() < scenario.areas:
            found.append(
                at("areas").finding(
                    Level.ERROR,
                    "impossible-capacity",
                    f"areas: {scenario.areas} areas leave team '{team_id}' ({team.in_post()} in "
                    "post) with nobody in some areas; use fewer areas or raise its headcount",
                )
            )
    return found


def _placement_findings(
    scenario: ScenarioSpec, workflow: Workflow, at: Callable[..., Location]
) -> list[Finding]:
    """A child entering a state needs at most one kind of place: shares there sum to 1 or less."""
    found: list[Finding] = []
    for state in workflow.states:
        kinds = [k for k, p in scenario.placements.items() if state in p.states]
        total = sum(scenario.placements[k].share for k in kinds)
        if total > 1 + 1e-9:
            found.append(
                at("placements", kinds[-1]).finding(
                    Level.ERROR,
                    "invalid-value",
                    f"placements: shares of {', '.join(kinds)} in '{state}' sum to {total:.3g}; "
                    "they must not exceed 1",
                )
            )
    return found
