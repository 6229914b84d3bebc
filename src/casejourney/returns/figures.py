"""An authority's returns summarised as a scenario's inputs: arrivals, branch shares, stays, stock.

Consumes ``Returns`` (pseudonymised records of one collection year); produces ``Figures``: the
referrals by week and month, how often each decision the returns show went each way, each stay's
durations (with the cases still open censored and those already open when the year began
left-truncated) fitted by survival analysis (``lifelines``), the open caseload on the reference
date, and the headline counts a performance team would quote. Aggregates only: nothing here
refers to a child.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from casejourney.returns.read import CarePeriod, Episode, Returns

__all__ = [
    "Carried", "Figures", "Stay", "carried_cases", "fit_through_unseen", "mean_figures",
    "summarise",
]  # fmt: skip

# SSDA903 reasons an episode ceased (REC): adoption (E11, E12), special guardianship (E45-E48;
# E43, E44 before 2016) and child arrangements orders (E41); and returned home (to parents, or
# after a period of accommodation under s20).
_ORDERS = frozenset({"E41", "E43", "E44", "E45", "E46", "E47", "E48"})
_ADOPTED_OR_SGO = frozenset({"E11", "E12"}) | _ORDERS
_HOME = frozenset({"E4A", "E4B", "E13"})
# Census reasons for closure that are an order: child arrangements (RC3), special guardianship (RC4).
_RC_ORDERS = frozenset({"RC3", "RC4"})
_Z90 = 1.2815515655446004  # the standard normal's 90th percentile
_REPEAT = "CP plans that are second or later (%)"
_STARTED = "CP plans started"


@dataclass(frozen=True)
class Stay:
    """A stay fitted as a lognormal (days), from its observed and censored durations."""

    median_days: float
    p90_days: float
    ended: int  # durations that ended in the year
    open: int  # durations censored at the reference date


@dataclass
class Figures:
    """One collection year of an authority's returns, as a scenario's inputs."""

    year: int
    referrals: int = 0
    re_referrals: int = 0  # referrals of a child with an earlier episode in the census
    referrals_by_week: list[int] = field(default_factory=list)
    referrals_by_month: dict[int, int] = field(default_factory=dict)
    decisions: dict[str, Counter[str]] = field(default_factory=dict)
    stays: dict[str, Stay] = field(default_factory=dict)
    open: dict[str, int] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)
    #: Earlier CP plans (before the returns' year): the share of children arriving who had one,
    #: and of the children open in each state on 31 March; None when too few to say.
    earlier_plans: float | None = None
    earlier_plans_open: dict[str, float] = field(default_factory=dict)
    #: Days each case open on 31 March had been in its state then, by state.
    time_in_state: dict[str, list[int]] = field(default_factory=dict)
    #: Every CP plan open in the year, for a refit that knows the base's pre-proceedings: its
    #: days (to its end, or to 31 March), days already on it on 1 April, and how it ended.
    plan_spells: list[tuple[float, float, int]] = field(default_factory=list)

    @property
    def arrivals_per_week(self) -> float:
        """New referrals a week (re-referrals come round through the scenario's early help)."""
        days = (dt.date(self.year, 3, 31) - dt.date(self.year - 1, 4, 1)).days + 1
        return (self.referrals - self.re_referrals) * 7 / days

    @property
    def seasonality(self) -> dict[int, float]:
        """Month → referrals a day that month relative to the year's (1.0 = average)."""
        first = dt.date(self.year - 1, 4, 1)
        days_in = Counter((first + dt.timedelta(days=d)).month for d in range(365))
        total = sum(self.referrals_by_month.values())
        if not total:
            return {}
        mean = total / sum(days_in.values())
        return {
            month: round(self.referrals_by_month.get(month, 0) / days_in[month] / mean, 2)
            for month in range(1, 13)
        }


def _between(day: dt.date | None, first: dt.date, last: dt.date) -> bool:
    return day is not None and first <= day <= last


def _next(events: list[tuple[dt.date, str]], after: dt.date, skip: str = "") -> str | None:
    """The kind of the first event on or after ``after`` (other than ``skip``), if any."""
    for day, kind in events:
        if day >= after and kind != skip:
            return kind
    return None


def _timeline(episode: Episode, care: list[CarePeriod]) -> list[tuple[dt.date, str]]:
    """What started when in an episode, with the periods of care of the same child."""
    events: list[tuple[dt.date, str]] = []
    events += [(start, "assessment") for start, _ in episode.assessments]
    events += [(start, "s47") for start, _, _ in episode.s47s]
    events += [(start, "cin_plan") for start, _ in episode.cin_plans]
    events += [(start, "cp_plan") for start, _, _ in episode.cp_plans]
    events += [(p.start, "care:" + (p.statuses or [(p.start, p.legal_status)])[0][1]) for p in care]
    if episode.closed is not None:
        kind = "nfa" if episode.nfa else "close:" + episode.reason
        events.append((episode.closed, kind))
    return sorted(events)


_A_WEEK = dt.timedelta(days=7)
_SETTLED = dt.timedelta(weeks=4)


def _decide(
    decisions: dict[str, Counter[str]], state: str, outcome: str | None, table: dict[str, str]
) -> None:
    """Count one decision, by the kind of what came next (unknown or unmapped: not counted)."""
    if outcome is None:
        return
    for prefix, trigger in table.items():
        if outcome == prefix or outcome.startswith(prefix + ":") or outcome.startswith(prefix):
            decisions.setdefault(state, Counter())[trigger] += 1
            return


# For each decision the returns show: what came next → the workflow's trigger (national.yaml).
# A "+"-joined trigger is a group the returns cannot tell apart (split later at the base shares).
_REFERRAL = {"assessment": "start_assessment", "s47": "referral_to_strategy",
             "nfa": "referral_nfa+referral_to_early_help"}  # fmt: skip
_ASSESSMENT = {"cin_plan": "assessment_to_cin", "s47": "assessment_to_strategy",
               "close:RC9": "assessment_to_early_help", "close": "assessment_nfa",
               "nfa": "assessment_nfa"}  # fmt: skip
_S47 = {"cin_plan": "s47_to_cin", "close": "s47_nfa", "nfa": "s47_nfa",
        "care": "emergency_protection"}  # fmt: skip
_ICPC = {"cin_plan": "icpc_to_cin", "close": "icpc_nfa", "nfa": "icpc_nfa"}
_CP = {"cin_plan": "cp_step_down", "close": "cp_step_down", "care:C": "cp_to_proceedings",
       "care:J": "cp_to_proceedings", "care:L": "cp_to_proceedings", "care": "cp_accommodated"}  # fmt: skip
_CIN = {"s47": "cin_to_strategy", "assessment": "cin_to_strategy", "care": "cin_accommodated",
        "close": "cin_close+cin_to_early_help"}  # fmt: skip


def _plan_way_out(events: list[tuple[dt.date, str]], end: dt.date) -> str | None:
    """What a CP plan ending on ``end`` went to, or None: a way out the returns cannot show.

    What began more than a week after the plan ended went through a state the returns cannot show
    (pre-proceedings, whose base share is kept): not the plan's own way out.
    """
    soon = [(day, kind) for day, kind in events if day <= end + _A_WEEK]
    return _next(soon, end, "cp_plan")


def _fitted_plans(episode: Episode, care: list[CarePeriod]) -> list[tuple[dt.date, dt.date | None]]:
    """The episode's CP plans whose length is a draw of the scenario's ``stays.cp_plan``.

    A plan the returns show going nowhere within a week went into pre-proceedings (as the branch
    shares read it), and the scenario's stay before PLO is the base's (``stays_to.cp_plan.plo``),
    not the fitted one. Fitted with the others, those short plans widen the lognormal, and being
    symmetric in log-days it puts that width on its long tail too: Liverpool's round trip fitted a
    p90 of 687 days against the 532 the plans that did not go into PLO had, and every plan open
    on 31 March then ran on for longer. Plans still open are kept (censored): which way they will
    go is not known, and one going into PLO is rarely open long.
    """
    events = _timeline(episode, care)
    return [
        (start, end)
        for start, end, _ in episode.cp_plans
        if end is None or _plan_way_out(events, end) is not None
    ]


#: How a CP plan's spell in ``Figures.plan_spells`` ended: still open on 31 March, with a way out
#: the returns show, or with none within a week (it went into pre-proceedings).
OPEN, SEEN, UNSEEN = 0, 1, 2


def _plan_spells(
    episode: Episode, care: list[CarePeriod], first: dt.date, last: dt.date
) -> list[tuple[float, float, int]]:
    events = _timeline(episode, care)
    found: list[tuple[float, float, int]] = []
    for start, end, _ in episode.cp_plans:
        if start > last or (end is not None and end < first):
            continue
        stop = end if end is not None else last
        how = OPEN if end is None else (SEEN if _plan_way_out(events, end) else UNSEEN)
        found.append((max((stop - start).days, 0) + 0.5, float(max((first - start).days, 0)), how))
    return found


def _episode_decisions(
    episode: Episode, care: list[CarePeriod], figures: Figures, first: dt.date, last: dt.date
) -> None:
    events = _timeline(episode, care)
    decisions = figures.decisions
    if _between(episode.referral, first, last):
        _decide(decisions, "referral", _next(events, episode.referral), _REFERRAL)
    for _, end in episode.assessments:
        if _between(end, first, last):
            assert end is not None
            _decide(decisions, "cf_assessment", _next(events, end, "assessment"), _ASSESSMENT)
    for start, icpc, not_required in episode.s47s:
        # An enquiry's outcome is counted only if it began 4 weeks before 31 March: one begun
        # later may still be waiting for its conference, and counting those that ended without one
        # would make conferences look rarer than they are (by a point in a Liverpool year).
        if not _between(start, first, last - _SETTLED):
            continue
        if icpc is not None:
            decisions.setdefault("s47_enquiry", Counter())["convene_icpc"] += 1
            plans = {s for s, _, _ in episode.cp_plans}
            if icpc in plans:
                decisions.setdefault("icpc", Counter())["make_cp_plan"] += 1
            else:
                # the same day too: a conference that ends in a CIN plan often starts it that day
                _decide(decisions, "icpc", _next(events, icpc, "s47"), _ICPC)
        elif not_required:
            outcome = _next(events, start + dt.timedelta(days=1), "s47")
            _decide(decisions, "s47_enquiry", outcome, _S47)
    for _, end, _ in episode.cp_plans:
        if _between(end, first, last):
            assert end is not None
            _decide(decisions, "cp_plan", _plan_way_out(events, end), _CP)
    for _, end in episode.cin_plans:
        if _between(end, first, last):
            assert end is not None
            _decide(decisions, "cin_plan", _next(events, end, "cin_plan"), _CIN)


def _care_decisions(
    periods: list[CarePeriod], episodes: list[Episode], figures: Figures, first: dt.date
) -> None:
    """How each stretch in court (an interim care order) and in care that ended in the year ended."""
    closures = {e.closed: e.reason for e in episodes if e.closed is not None}
    decisions = figures.decisions
    for period in periods:
        court, care = period.court, period.care
        if court is not None and court[1] is not None and court[1] >= first:
            outcome = _after_court(period, court[1], episodes, closures)
            if outcome:
                decisions.setdefault("care_proceedings", Counter())[outcome] += 1
        if care is None or care[1] is None or care[1] < first:
            continue
        if period.reason in _ADOPTED_OR_SGO or closures.get(care[1]) in {"RC1", "RC4"}:
            trigger = "adopted_or_sgo"
        elif period.reason in _HOME:
            trigger = "return_home"
        else:
            trigger = "leave_care"
        decisions.setdefault("looked_after", Counter())[trigger] += 1


def _after_court(
    period: CarePeriod, end: dt.date, episodes: list[Episode], closures: dict[dt.date, str]
) -> str:
    """What came after an interim care order (the workflow's trigger); "" if the returns cannot say.

    Looked after on (a care order), an order to carers (special guardianship, child arrangements),
    or home on a CP plan or a CIN plan.
    """
    if period.end != end:
        return "care_order"
    if period.reason in _ORDERS or closures.get(end) in _RC_ORDERS:
        return "permanence_order"
    soon = end + dt.timedelta(days=7)  # a new plan's conference on one of the next working days
    for episode in episodes:
        if any(s <= soon and (e is None or e > end) for s, e, _ in episode.cp_plans):
            return "proceedings_to_cp"
        if any(s == end for s, _ in episode.cin_plans):
            return "proceedings_to_cin"
    return ""


def _durations(
    spans: Iterable[tuple[dt.date, dt.date | None]], first: dt.date, last: dt.date
) -> tuple[list[float], list[bool], list[float]]:
    """Durations (days) of spans open in the year: observed or censored, and their entry."""
    durations: list[float] = []
    observed: list[bool] = []
    entry: list[float] = []
    for start, end in spans:
        if start > last or (end is not None and end < first):
            continue
        stop = end if end is not None else last
        durations.append(max((stop - start).days, 0) + 0.5)  # a same-day stay is half a day
        observed.append(end is not None)
        entry.append(float(max((first - start).days, 0)))
    return durations, observed, entry


def _fit(durations: list[float], observed: list[bool], entry: list[float]) -> Stay | None:
    """A lognormal fitted with right-censoring and left-truncation (lifelines)."""
    if sum(observed) < 20:
        return None
    from lifelines import LogNormalFitter  # heavy (pandas, scipy): only when fitting

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = LogNormalFitter().fit(durations, event_observed=observed, entry=entry)
    mu, sigma = float(fitter.mu_), float(fitter.sigma_)
    return Stay(
        median_days=math.exp(mu),
        p90_days=math.exp(mu + _Z90 * sigma),
        ended=sum(observed),
        open=len(observed) - sum(observed),
    )


def fit_through_unseen(
    spells: list[tuple[float, float, int]],
    start: Stay,
    unseen: tuple[float, np.ndarray],
    resumed: tuple[float, np.ndarray],
) -> Stay:
    """The plan stay, a lognormal, fitted beside the ways through pre-proceedings the base gives.

    A CP plan of the scenario either runs its own stay (the lognormal fitted here) and ends in a
    way the returns show, or (share ``unseen[0]``) goes into pre-proceedings after the base's stay
    before PLO (``unseen[1]``, the chance of each day), where the census shows it ending with
    nothing after it, or (share ``resumed[0]``) comes back from PLO onto the same plan, one plan
    in the census as long as its stay before PLO, PLO and the rest of the plan (``resumed[1]``).
    Fitted as one lognormal (``start``, which leaves out only the plans seen going into PLO) the
    plans still open on 31 March that are on their way into PLO or in it count as long plans
    running on, and the plans back from PLO as long ones ended: the rebuilt scenario makes both
    again through its PLO branch, and its plans ran on 2-3% longer on average (Liverpool's round
    trip). Maximum likelihood over every plan of the year, right-censored on 31 March and
    left-truncated on 1 April as in :func:`_fit`.
    """
    from scipy import optimize, special  # heavy: only when fitting

    days = np.array([d for d, _, _ in spells])
    entry = np.array([e for _, e, _ in spells])
    how = np.array([h for _, _, h in spells])
    p_unseen, unseen_days = unseen
    p_resumed, resumed_days = resumed
    p_own = 1.0 - p_unseen - p_resumed

    def survival(chance: np.ndarray, t: np.ndarray) -> np.ndarray:
        left = np.concatenate([[1.0], 1.0 - np.cumsum(chance)])
        return np.asarray(np.interp(t, np.arange(len(left)), left))

    def density(chance: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.asarray(chance[np.clip(t.astype(int), 0, len(chance) - 1)])

    seen_other = p_resumed * density(resumed_days, days)
    unseen_here = p_unseen * density(unseen_days, days)
    open_other = p_unseen * survival(unseen_days, days) + p_resumed * survival(resumed_days, days)
    entry_other = p_unseen * survival(unseen_days, entry) + p_resumed * survival(
        resumed_days, entry
    )
    logs, log_entry = np.log(days), np.log(np.maximum(entry, 1e-9))

    def minus_log_likelihood(theta: np.ndarray) -> float:
        mu, sigma = float(theta[0]), math.exp(float(theta[1]))
        z = (logs - mu) / sigma
        own_density = np.exp(-0.5 * z * z) / (sigma * days * math.sqrt(2 * math.pi))
        own_open = 0.5 * special.erfc(z / math.sqrt(2))
        own_entry = np.where(
            entry > 0, 0.5 * special.erfc((log_entry - mu) / sigma / math.sqrt(2)), 1.0
        )
        chance = np.where(
            how == SEEN,
            p_own * own_density + seen_other,
            np.where(how == UNSEEN, unseen_here, p_own * own_open + open_other),
        ) / (p_own * own_entry + entry_other)
        return -float(np.sum(np.log(np.maximum(chance, 1e-300))))

    sigma0 = math.log(start.p90_days / start.median_days) / _Z90
    found = optimize.minimize(
        minus_log_likelihood,
        np.array([math.log(start.median_days), math.log(sigma0)]),
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-6, "maxiter": 2000},
    )
    mu, sigma = float(found.x[0]), math.exp(float(found.x[1]))
    return Stay(
        median_days=math.exp(mu),
        p90_days=math.exp(mu + _Z90 * sigma),
        ended=int(np.sum(how != OPEN)),
        open=int(np.sum(how == OPEN)),
    )


def _median(days: dict[str, list[int]], *states: str) -> float:
    found = sorted(d for state in states for d in days.get(state, []))
    if not found:
        return math.nan
    middle = len(found) // 2
    return float(found[middle] if len(found) % 2 else (found[middle - 1] + found[middle]) / 2)


#: Fewer children than this to estimate a share from: the base scenario's is kept.
MIN_CHILDREN = 20


def _open_states(
    episodes: list[Episode], care: list[CarePeriod], last: dt.date
) -> list[tuple[str, dt.date, bool | None]]:
    """What a child was open in on ``last``: (state, since, had an earlier CP plan or None).

    For a CP plan the census says whether there was one before (``NumberOfPreviousCPP``); for any
    other state only a plan in these returns shows one, and None means the returns cannot say.
    """
    plans = [plan for episode in episodes for plan in episode.cp_plans]
    seen = any(previous > 0 or end is not None for _, end, previous in plans) or None
    found: list[tuple[str, dt.date, bool | None]] = []
    for episode in episodes:
        found += [
            ("cp_plan", s, p > 0 or seen is True) for s, e, p in episode.cp_plans if e is None
        ]
        found += [("cin_plan", s, seen) for s, e in episode.cin_plans if e is None]
        found += [("cf_assessment", s, seen) for s, e in episode.assessments if e is None]
        found += [("s47_enquiry", s, seen) for s, i, n in episode.s47s if i is None and not n]
    for period in care:
        if period.end is None:
            court, stay = period.court, period.care
            if stay is None and court is not None:
                found.append(("care_proceedings", court[0], seen))
            elif stay is not None:
                found.append(("looked_after", stay[0], seen))
    return [(state, since, had) for state, since, had in found if since <= last]


def _earlier_plans(returns: Returns, figures: Figures) -> None:
    """Estimate how many children had a CP plan before the returns' year (the scenario's history).

    Children arriving: of those referred for the first time in the year (no episode open on 1
    April) whose first plan in the returns started in the year, the share whose plan was not their
    first (``NumberOfPreviousCPP`` above 0): an earlier plan is as likely whichever way a case
    goes, so this is the share of all arrivals with one. Children open on 31 March, by state: those
    on a plan, from its ``NumberOfPreviousCPP``; the others had one if the returns show a plan
    before, else with the arrivals' chance (the returns do not go back further).
    """
    first, last = returns.first, returns.last
    arrived = earlier = 0
    open_seen: Counter[str] = Counter()
    open_unknown: Counter[str] = Counter()
    open_all: Counter[str] = Counter()
    for key in returns.cin.keys() | returns.care.keys():
        episodes, care = returns.cin.get(key, []), returns.care.get(key, [])
        if episodes and all(e.referral >= first for e in episodes):
            plans = sorted(plan for e in episodes for plan in e.cp_plans)
            if plans and first <= plans[0][0] <= last:
                arrived += 1
                earlier += plans[0][2] > 0
        for state, since, had in _open_states(episodes, care, last):
            open_all[state] += 1
            open_seen[state] += had is True
            open_unknown[state] += had is None
            figures.time_in_state.setdefault(state, []).append((last - since).days)
    if arrived < MIN_CHILDREN:
        return
    share = earlier / arrived
    figures.earlier_plans = share
    for state, n in open_all.items():
        if n >= MIN_CHILDREN:
            figures.earlier_plans_open[state] = (open_seen[state] + open_unknown[state] * share) / n


#: Which open state a child is carried in when open in several, deepest first.
_DEPTH = ("care_proceedings", "looked_after", "cp_plan", "s47_enquiry", "cin_plan", "cf_assessment")

#: A case carried into the scenario: its open state, the day it entered it, its earlier stays
#: (state, start, end) from these returns, and whether the returns cannot say if it had a CP plan
#: before. No identifier of any kind.
Carried = tuple[str, dt.date, tuple[tuple[str, dt.date, dt.date], ...], bool]


def carried_cases(returns: Returns) -> list[Carried]:
    """Each child open on 31 March as a case to carry, with its earlier plans and periods of care.

    A child open in several states (a CIN plan alongside a CP plan, a plan while in care) is
    carried in the deepest; earlier CP plans and periods of care that ended before it entered
    that state are its history. A child with no plan anywhere in the returns may still have had
    one before them: it is marked so (the scenario's ``history`` is drawn for it). The list is sorted by what it holds, so nothing of the returns'
    order (or of the salted ids) shows in it.
    """
    found: list[Carried] = []
    for key in returns.cin.keys() | returns.care.keys():
        episodes, care = returns.cin.get(key, []), returns.care.get(key, [])
        now = _open_states(episodes, care, returns.last)
        if not now:
            continue
        state, since, had = min(now, key=lambda o: (_DEPTH.index(o[0]), o[1]))
        earlier = [
            ("cp_plan", start, end)
            for episode in episodes
            for start, end, _ in episode.cp_plans
            if end is not None and end <= since
        ]
        earlier += [
            ("looked_after", p.start, p.end) for p in care if p.end is not None and p.end <= since
        ]
        found.append((state, since, tuple(sorted(earlier)), had is None))
    return sorted(found)


def _periods_of_care(
    returns: Returns,
    figures: Figures,
    spans: dict[str, list[tuple[dt.date, dt.date | None]]],
    counts: Counter[str],
) -> None:
    """The SSDA903's periods of care: stays in court and in care, starts, ends and the open stock."""
    first, last = returns.first, returns.last
    for key, periods in returns.care.items():
        if key not in returns.cin:
            _care_decisions(periods, [], figures, first)
        for period in periods:
            court, in_care = period.court, period.care
            if court is not None:
                spans["care_proceedings"].append(court)
            if in_care is not None:
                spans["looked_after"].append(in_care)
            counts["started care"] += _between(period.start, first, last)
            counts["ceased care"] += _between(period.end, first, last)
            if period.end is None:
                state = "looked_after" if in_care is not None else "care_proceedings"
                figures.open[state] = figures.open.get(state, 0) + 1


#: Stays fitted from the stock open on the first day alone (left-truncated at its start dates).
#: A stay in care runs to years and a child who came into care in the year is seen for months:
#: those months tell only of the stay's start, which is where the simulation's own waits fall
#: (a child leaves care only once allocated, and liverpool-baseline's children-in-care team
#: allocates after 5 to 9 months, median 201 days), and the rebuilt scenario makes those waits
#: again. Fitted with the stock, the held starts bent the one lognormal (Liverpool round trip, seed 3: median 439 /
#: p90 2,008 days; the stock alone 225 / 1,640, the next year's 277 / 1,920, against the
#: scenario's 288 / 2,100), and its lighter tail let the children carried in care for years
#: leave too soon. The stock, 1,300 children entering from days to 12 years before 1 April,
#: holds nine in ten of the year's ends.
_FROM_STOCK = frozenset({"looked_after"})


def summarise(returns: Returns) -> Figures:
    """The scenario's inputs and the headline counts from one year of returns."""
    first, last = returns.first, returns.last
    figures = Figures(year=returns.year)
    weeks = Counter[int]()
    spans: dict[str, list[tuple[dt.date, dt.date | None]]] = {
        "cf_assessment": [], "cp_plan": [], "cin_plan": [], "looked_after": [],
        "care_proceedings": [],
    }  # fmt: skip
    counts: Counter[str] = Counter()
    cp_started = cp_repeat = 0
    for key, episodes in returns.cin.items():
        care = returns.care.get(key, [])
        earlier: dt.date | None = None
        for episode in episodes:
            if _between(episode.referral, first, last):
                figures.referrals += 1
                weeks[(episode.referral - first).days // 7] += 1
                month = episode.referral.month
                figures.referrals_by_month[month] = figures.referrals_by_month.get(month, 0) + 1
                if earlier is not None and earlier <= episode.referral:
                    figures.re_referrals += 1
            earlier = episode.closed or earlier
            _episode_decisions(episode, care, figures, first, last)
            spans["cf_assessment"] += episode.assessments
            spans["cin_plan"] += episode.cin_plans
            spans["cp_plan"] += _fitted_plans(episode, care)
            figures.plan_spells += _plan_spells(episode, care, first, last)
            counts["assessments completed"] += sum(
                _between(e, first, last) for _, e in episode.assessments
            )
            counts["section 47 enquiries"] += sum(
                _between(s, first, last) for s, _, _ in episode.s47s
            )
            counts["initial conferences"] += sum(
                _between(i, first, last) for _, i, _ in episode.s47s
            )
            counts["initial conferences"] += _between(episode.conference, first, last)
            for start, end, previous in episode.cp_plans:
                if _between(start, first, last):
                    cp_started += 1
                    cp_repeat += previous > 0
                figures.open["cp_plan"] = figures.open.get("cp_plan", 0) + (end is None)
            figures.open["cin_plan"] = figures.open.get("cin_plan", 0) + sum(
                e is None for _, e in episode.cin_plans
            )
            figures.open["cf_assessment"] = figures.open.get("cf_assessment", 0) + sum(
                e is None for _, e in episode.assessments
            )
            figures.open["s47_enquiry"] = figures.open.get("s47_enquiry", 0) + sum(
                i is None and not n for _, i, n in episode.s47s
            )
        _care_decisions(care, episodes, figures, first)
    _periods_of_care(returns, figures, spans, counts)
    if returns.care_leavers_in_touch is not None:
        figures.open["care_leaver"] = returns.care_leavers_in_touch
    for state, found in spans.items():
        if state in _FROM_STOCK:
            found = [(start, end) for start, end in found if start < first]
        stay = _fit(*_durations(found, first, last))
        if stay is not None:
            figures.stays[state] = stay
    _earlier_plans(returns, figures)
    figures.referrals_by_week = [weeks.get(week, 0) for week in range(max(weeks, default=-1) + 1)]
    figures.counts = {
        "referrals": figures.referrals,
        # Early help is in neither return: these are the re-referrals the returns can see.
        "re-referrals (an earlier episode in the returns)": figures.re_referrals,
        **{name: float(value) for name, value in counts.items()},
        _STARTED: cp_started,
        _REPEAT: round(100 * cp_repeat / cp_started, 1) if cp_started else 0.0,
        "CP plans open at 31 March": figures.open.get("cp_plan", 0),
        "CIN plans open at 31 March": figures.open.get("cin_plan", 0),
        "looked after at 31 March": figures.open.get("looked_after", 0)
        + figures.open.get("care_proceedings", 0),
        "days on their CP plan by 31 March (median)": _median(figures.time_in_state, "cp_plan"),
        "days in care by 31 March (median)": _median(
            figures.time_in_state, "looked_after", "care_proceedings"
        ),
    }
    return figures


def mean_figures(found: list[Figures]) -> Figures:
    """The headline counts of several replications' returns: their means.

    The share of second or later plans is pooled (each replication's weighted by its plans), so it
    is the share of all the replications' plans; a figure none of them has stays missing (NaN).
    """
    if len(found) == 1:
        return found[0]
    merged = Figures(year=found[0].year)
    for name in found[0].counts:
        values = [f.counts[name] for f in found if not math.isnan(f.counts.get(name, math.nan))]
        merged.counts[name] = sum(values) / len(values) if values else math.nan
    started = sum(f.counts.get(_STARTED, 0) for f in found)
    if started:
        repeats = sum(f.counts.get(_REPEAT, 0) * f.counts.get(_STARTED, 0) for f in found)
        merged.counts[_REPEAT] = round(repeats / started, 1)
    return merged
