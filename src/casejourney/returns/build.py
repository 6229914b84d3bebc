"""A scenario built from an authority's returns: a base scenario with the returns' own figures.

Consumes ``Figures`` (from ``figures.summarise``) and a base scenario as run (the resolved
mapping ``simulate`` writes to ``scenario.resolved.json``); produces the new scenario's mapping:
the base with the returns' arrivals and seasonality, branch shares, stays and open caseload, and
(when the base is England as many areas) its workforce, slots and places scaled to the returns'
demand. What the returns cannot show stays as in the base, and the file says which is which.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from casejourney.returns.figures import Carried, Figures, fit_through_unseen

__all__ = ["MIN_DECISIONS", "build_scenario", "cases_csv"]

#: Decisions seen fewer times than this keep the base scenario's shares.
MIN_DECISIONS = 20
# States whose open caseload the returns show (the others start empty: see docs/returns.md).
_OPEN_STATES = (
    "cf_assessment", "s47_enquiry", "cp_plan", "cin_plan", "looked_after", "care_proceedings",
    "care_leaver",
)  # fmt: skip


def _shares(base: dict[str, float], seen: Mapping[str, float]) -> dict[str, float] | None:
    """Branch shares from counts of what was seen; what the returns cannot show keeps the base's.

    A trigger the returns never show keeps its base share; the rest of the probability is shared
    out as seen, a group the returns cannot tell apart ("a+b") split at the base's ratio.
    """
    if sum(seen.values()) < MIN_DECISIONS:
        return None
    shown = {t for group in seen for t in group.split("+")}
    unseen = {t: p for t, p in base.items() if t not in shown}
    rest = 1.0 - sum(unseen.values())
    total = sum(seen.values())
    shares = dict(unseen)
    for group, count in seen.items():
        members = [t for t in group.split("+") if t in base]
        weight = sum(base[t] for t in members)
        for trigger in members:
            part = base[trigger] / weight if weight else 1 / len(members)
            shares[trigger] = shares.get(trigger, 0.0) + rest * count / total * part
    for trigger in base:
        shares.setdefault(trigger, 0.0)
    rounded = {t: round(p, 4) for t, p in shares.items()}
    # Keep the sum exactly 1 after rounding: put the remainder on the largest share.
    largest = max(rounded, key=lambda t: rounded[t])
    rounded[largest] = round(rounded[largest] + 1.0 - sum(rounded.values()), 4)
    return {t: rounded[t] for t in base}


# Decisions whose way to a strategy discussion the returns see only as what followed it: a section
# 47 enquiry (the base's start_s47 share of them) or, for the rest, an assessment.
_TO_STRATEGY = {"referral": ("referral_to_strategy", "start_assessment"),
                "cf_assessment": ("assessment_to_strategy", "")}  # fmt: skip


def _through_strategy(
    state: str, seen: Counter[str], branches: dict[str, dict[str, float]]
) -> Mapping[str, float]:
    """Counts corrected for the strategy discussions the returns cannot see.

    An enquiry is seen after a referral only when the strategy discussion went on to one (the
    base's ``start_s47`` share); the others went to an assessment and were counted as one. Without
    this the rebuilt scenario would lose that share of its enquiries on every round trip.
    """
    if state not in _TO_STRATEGY or "strategy_discussion" not in branches:
        return seen
    trigger, instead = _TO_STRATEGY[state]
    onward = branches["strategy_discussion"].get("start_s47", 1.0)
    if not 0 < onward < 1 or not seen[trigger]:
        return seen
    corrected: dict[str, float] = dict(seen)
    hidden = seen[trigger] / onward - seen[trigger]
    corrected[trigger] = seen[trigger] / onward
    if instead:  # they were counted as that instead
        corrected[instead] = max(seen[instead] - hidden, 0.0)
    return corrected


def _scale(document: dict[str, Any], factor: float) -> None:
    """Workforce, slots and places in proportion to demand (for a base that is all England)."""
    for team in document.get("teams", {}).values():
        team["headcount"] = max(round(team["headcount"] * factor, 1), 1.0)
        team["newly_qualified"] = round(team.get("newly_qualified", 0) * factor)
        team["vacancies"] = round(team.get("vacancies", 0) * factor)
    for meeting in document.get("meetings", {}).values():
        meeting["slots_per_week"] = round(meeting["slots_per_week"] * factor, 2)
    for place in document.get("placements", {}).values():
        place["places"] = round(place["places"] * factor)


def _referrals_per_week(base: dict[str, Any]) -> float:
    demand = base["demand"]
    if demand.get("referrals_per_week"):
        return float(demand["referrals_per_week"])
    refer = base.get("branches", {}).get("contact", {})
    # Contacts become referrals at the contact state's referring share (the only way on).
    share = sum(p for t, p in refer.items() if t == "refer") or 0.5
    return float(demand["contacts_per_week"]) * share


#: When an earlier plan ended and how long it lasted, for a base that says nothing.
_ENDED_AGO = {"dist": "uniform", "low": 4, "high": 260, "unit": "weeks"}
_LASTED = {"dist": "lognormal", "median": 30, "p90": 72, "unit": "weeks"}


def _history(figures: Figures, document: dict[str, Any]) -> list[str]:
    """The earlier CP plans children had before the returns' year (``history.cp_plan``).

    The shares come from the returns (``Figures.earlier_plans``); how long an earlier plan lasted
    is the returns' plan stay when fitted; when it ended, the base's (the returns cannot say).
    """
    if figures.earlier_plans is None:
        return ["history: the base's (under 20 children with a plan to tell from)"]
    histories = document.setdefault("history", {})
    base = histories.get("cp_plan", {})
    block: dict[str, Any] = {
        "share": round(figures.earlier_plans, 4),
        "open_share": {
            state: round(share, 4) for state, share in sorted(figures.earlier_plans_open.items())
        },
        "ended_ago": base.get("ended_ago", _ENDED_AGO),
        "lasted": document.get("stays", {}).get("cp_plan") or base.get("lasted", _LASTED),
        "closed_in": base.get("closed_in", "case_closed"),
    }
    histories["cp_plan"] = block
    where = "the base's" if "ended_ago" in base else "4 to 260 weeks"
    return [f"history.cp_plan.ended_ago: {where} (the returns do not say when a plan ended)"]


_DAYS_IN = {"days": 1, "weeks": 7}
_SCALED_KEYS = ("value", "low", "mode", "high", "median", "p90", "mean")


def _from_in_days(document: dict[str, Any], state: str) -> list[str]:
    """``stays_from.<state>`` in days, as the returns' own stay of ``state`` now is.

    A stay that depends on the state before (a plan resumed after pre-proceedings) must be in the
    unit of the state's stay; one in weeks is the same in days, one in another unit is dropped.
    """
    return _base_in_days(document, "stays_from", state, "the returns do not show it")


def _to_unseen_in_days(document: dict[str, Any], state: str) -> list[str]:
    """``stays_to.<state>``: kept only for a way out the returns cannot see, in days.

    The returns' stay of ``state`` covers every way out they show, so the base's stay before
    those is dropped. A plan that goes into pre-proceedings and resumes is one plan in the census:
    its stay before PLO is not in the returns, and without the base's the rebuilt plan would run
    its whole length before PLO, then PLO, then its resumed part again (CP plans open +12-17% on
    the round trip, docs/returns.md).
    """
    before = document.get("stays_to", {}).get(state)
    if not before:
        return []
    for way_out in [w for w in before if w not in _UNSEEN_WAYS_OUT]:
        del before[way_out]
    kept = _base_in_days(
        document, "stays_to", state, "the returns do not show when pre-proceedings began"
    )
    if not before:
        document["stays_to"].pop(state)
    return kept


#: Ways out of a state that neither return shows: the stay before them stays the base's.
_UNSEEN_WAYS_OUT = frozenset({"plo"})


def _base_in_days(document: dict[str, Any], key: str, state: str, why: str) -> list[str]:
    """The base's ``KEY.<state>`` stays in days (the returns' unit), each named in what is kept."""
    kept: list[str] = []
    earlier = document.get(key, {}).get(state)
    if not earlier:
        return kept
    for other, dist in list(earlier.items()):
        factor = _DAYS_IN.get(dist.get("unit", "days"))
        if factor is None:
            del earlier[other]
            kept.append(
                f"{key}.{state}.{other}: dropped (in {dist['unit']}, not convertible to "
                "the returns' stay in days)"
            )
            continue
        earlier[other] = {
            k: (round(v * factor, 2) if k in _SCALED_KEYS else v) for k, v in dist.items()
        } | {"unit": "days"}
        kept.append(f"{key}.{state}.{other}: the base's ({why})")
    return kept


_CALENDAR_DAYS = {"days": 1.0, "working_days": 7 / 5, "weeks": 7.0, "months": 365.25 / 12}

#: A state whose cases can go through one neither return shows and come back to it, one stay in
#: the returns: (that state, the trigger into it, the trigger back).
_THROUGH = {"cp_plan": ("plo", "cp_to_plo", "plo_step_down")}
#: Draws of each of the base's stays for the chance of each day (a fixed seed: the same file).
_DRAWS = 200_000


def _days_drawn(dist: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """``_DRAWS`` stays from a scenario's distribution, in calendar days."""
    unit = _CALENDAR_DAYS.get(dist.get("unit", "days"), 1.0)
    shape = dist["dist"]
    if shape == "fixed":
        drawn = np.full(_DRAWS, float(dist["value"]))
    elif shape == "uniform":
        drawn = rng.uniform(dist["low"], dist["high"], _DRAWS)
    elif shape == "triangular":
        low, mode, high = dist["low"], dist["mode"], dist["high"]
        drawn = (
            np.full(_DRAWS, float(low)) if low == high else rng.triangular(low, mode, high, _DRAWS)
        )
    elif shape == "lognormal":
        sigma = np.log(dist["p90"] / dist["median"]) / 1.2815515655446004
        drawn = rng.lognormal(np.log(dist["median"]), sigma, _DRAWS)
    else:
        drawn = rng.exponential(dist["mean"], _DRAWS)
    return np.asarray(drawn * unit)


def _chance_of_each_day(days: np.ndarray) -> np.ndarray:
    return np.bincount(np.floor(days).astype(np.int64)) / len(days)


def _through_unseen(document: dict[str, Any], figures: Figures, state: str) -> list[str]:
    """``stays.<state>`` refitted beside the base's way through a state the returns cannot show.

    See :func:`casejourney.returns.figures.fit_through_unseen`: the plans going into
    pre-proceedings, and those coming back from it as one plan, take the base's stays and shares
    (the rebuilt scenario makes them through its own PLO branch), and the lognormal fitted is the
    stay of the rest. Without the base's stay before PLO, PLO's, and the plan's after it, the
    one-lognormal fit is kept.
    """
    if state not in _THROUGH or state not in figures.stays or not figures.plan_spells:
        return []
    unseen, into, back = _THROUGH[state]
    before = document.get("stays_to", {}).get(state, {}).get(unseen)
    during = document.get("stays", {}).get(unseen)
    after = document.get("stays_from", {}).get(state, {}).get(unseen)
    share = float(document.get("branches", {}).get(state, {}).get(into, 0.0))
    again = float(document.get("branches", {}).get(unseen, {}).get(back, 0.0))
    if not (before and during and after and 0 < share < 1):
        return []
    rng = np.random.default_rng(0)
    first = _days_drawn(before, rng)
    whole = first + _days_drawn(during, rng) + _days_drawn(after, rng)
    stay = fit_through_unseen(
        figures.plan_spells,
        figures.stays[state],
        (share * (1 - again), _chance_of_each_day(first)),
        (share * again, _chance_of_each_day(whole)),
    )
    median = max(round(stay.median_days), 1)
    document["stays"][state].update(median=median, p90=max(round(stay.p90_days), median + 1))
    return [
        f"stays.{state}: fitted beside the base's way through {unseen} ({share:.0%} of "
        f"{state} ending into it, {again:.0%} of those back on the same {state}) with the "
        f"base's stays before, in and after it (one lognormal: median "
        f"{figures.stays[state].median_days:.0f}, p90 {figures.stays[state].p90_days:.0f} days)"
    ]


def _team_of(document: dict[str, Any], state: str) -> dict[str, Any] | None:
    for team in document.get("teams", {}).values():
        if state in team.get("states", ()):
            return dict(team)
    return None


def _in_post(team: dict[str, Any]) -> int:
    """Workers in post (as ``TeamSpec.in_post``): funded posts less vacancies, at least one."""
    posts = round(float(team["headcount"]) * (1 - float(team.get("vacancy_rate", 0.0))))
    return max(1, posts - round(float(team.get("vacancies", 0))))


def _unpaced(document: dict[str, Any], figures: Figures, state: str) -> list[str]:
    """A paced state's stay from the returns, at the team's ``reference_caseload``.

    The returns' stay is the elapsed time at the caseload the authority's workers held; the
    scenario's stay of a state in ``paced_stays`` is the time at ``reference_caseload``, which the
    simulation lengthens by ``(caseload / reference) ** caseload_elasticity`` above the minimum.
    Written as measured, an assessment would be paced twice: at Liverpool's caseload (16 points
    against a reference of 8) 40% longer on every round trip, and the rebuilt team's caseloads
    would fill up and leave cases waiting unallocated. The caseload is the returns' open cases on
    31 March in the team's states (weighted by ``case_weights``) over its workers in post.
    """
    paced = document.get("paced_stays", {}).get(state)
    team = _team_of(document, state)
    stay = document["stays"][state]
    if not paced or team is None or not team.get("reference_caseload"):
        return []
    weights = document.get("case_weights", {})
    points = sum(figures.open.get(s, 0) * weights.get(s, 1.0) for s in team["states"])
    load = points / _in_post(team)
    if load <= 0:
        return []
    factor = (load / team["reference_caseload"]) ** team.get("caseload_elasticity", 1.0)
    least = paced["value"] * _CALENDAR_DAYS.get(paced.get("unit", "days"), 1.0)
    for key in ("median", "p90"):
        stay[key] = round(least + max(stay[key] - least, 0.0) / factor, 1)
    stay["p90"] = max(stay["p90"], stay["median"] + 1)
    return [
        f"stays.{state}: the returns' at the team's reference_caseload "
        f"{team['reference_caseload']:g} (the returns' {load:.1f} points a worker on 31 March: "
        f"elapsed times ÷ {factor:.3f} above the paced minimum)"
    ]


def build_scenario(
    figures: Figures,
    base: dict[str, Any],
    scenario_id: str,
    title: str,
    carried: Sequence[Carried] = (),
    cases_file: str = "",
) -> tuple[dict[str, Any], list[str]]:
    """The scenario mapping, and one line for each thing taken from the base rather than the returns.

    With ``carried`` cases (written to ``cases_file`` beside the scenario, see
    :func:`cases_csv`) the states they are open in take them instead of counts.
    """
    document = copy.deepcopy(base)
    kept: list[str] = []
    document.pop("extends", None)
    document["id"], document["title"] = scenario_id, title
    document["start"] = dt.date(figures.year, 4, 1).isoformat()
    arrivals = figures.arrivals_per_week
    factor = 1.0
    if document.get("areas", 1) > 1:
        factor = arrivals / _referrals_per_week(base)
        _scale(document, factor)
        kept.append(
            "teams, slots and places: the base's, scaled to the returns' referrals "
            f"(× {arrivals / _referrals_per_week(base):.5f})"
        )
    document["areas"] = 1
    demand = document["demand"]
    demand.pop("contacts_per_week", None)
    demand["referrals_per_week"] = round(arrivals, 2)
    if figures.seasonality:
        demand["seasonality"] = figures.seasonality
    demand["surges"] = []
    branches = document.setdefault("branches", {})
    for state, seen in sorted(figures.decisions.items()):
        if state not in branches:
            continue
        shares = _shares(branches[state], _through_strategy(state, seen, branches))
        if shares is None:
            kept.append(f"branches.{state}: the base's (under {MIN_DECISIONS} decisions seen)")
        else:
            branches[state] = shares
    for state in sorted(set(branches) - set(figures.decisions)):
        kept.append(f"branches.{state}: the base's (not in the returns)")
    stays = document.setdefault("stays", {})
    for state, stay in sorted(figures.stays.items()):
        median = max(round(stay.median_days), 1)
        stays[state] = {
            "dist": "lognormal",
            "median": median,
            "p90": max(round(stay.p90_days), median + 1),
            "unit": "days",
        }
        kept += _to_unseen_in_days(document, state)
        if document.get("extra_stay", {}).pop(state, None) is not None:
            kept.append(f"extra_stay.{state}: dropped (the returns' stay includes it)")
        kept += _from_in_days(document, state)
        kept += _unpaced(document, figures, state)
    for state in sorted(set(stays) - set(figures.stays)):
        kept.append(f"stays.{state}: the base's (not measurable in the returns)")
    kept += [
        line for state in sorted(_THROUGH) for line in _through_unseen(document, figures, state)
    ]
    kept += _history(figures, document)
    opening = {state: int(figures.open.get(state, 0)) for state in _OPEN_STATES}
    if carried:
        for state in {c[0] for c in carried}:
            opening[state] = 0
        document["initial_cases"] = cases_file
    kept += _unseen_legal_work(base.get("initial_caseload", {}), figures, carried, factor, opening)
    document["initial_caseload"] = opening
    if "care_leaver" not in figures.open:
        kept.append("initial_caseload.care_leaver: 0 (no oc3.csv in the SSDA903 folder)")
    kept.append("initial_caseload: none at a strategy discussion (neither return shows one open)")
    if "early_help" not in opening:
        kept.append(
            "initial_caseload.early_help: none (neither return shows early help, and the base "
            "has none open: it fills from the scenario's own step-downs, so in its first months "
            "it sends fewer re-referrals than the authority's did)"
        )
    return document, kept


def _unseen_legal_work(
    base: dict[str, Any],
    figures: Figures,
    carried: Sequence[Carried],
    factor: float,
    opening: dict[str, int],
) -> list[str]:
    """Open cases on the first day the returns are blind to: PLO, court and early help (the base's).

    The census has no PLO module, and a child in court shows in the SSDA903 only as looked after
    under an interim care order (legal status C1). A child in either has an open CIN episode and
    nothing else the importer can carry, so without these counts the rebuilt scenario starts with
    nobody on the way to a care order and its first year has too few children starting care
    (Liverpool's round trip: 260 against the original's 310, docs/returns.md). The base's counts are
    scaled as its teams are (by the returns' referrals, for a base that is England).
    """
    kept: list[str] = []
    in_court = figures.open.get("care_proceedings", 0) or any(
        c[0] == "care_proceedings" for c in carried
    )
    for state, why in (
        ("plo", "the census has no PLO module"),
        ("care_proceedings", "no open episode in the SSDA903 has legal status C1"),
        ("early_help", "neither return shows early help"),
    ):
        if state not in base or (state == "care_proceedings" and in_court):
            continue
        count = round(float(base.get(state, 0)) * factor)
        opening[state] = count
        kept.append(f"initial_caseload.{state}: the base's, {count:,} ({why})")
    return kept


def cases_csv(carried: Sequence[Carried]) -> str:
    """The ``initial_cases`` file: one row per stay, cases numbered 1, 2, … (no identifiers)."""
    lines = ["case,state,start,end,age,earlier"]
    for number, (state, since, earlier, unknown) in enumerate(carried, start=1):
        lines.append(f"{number},{state},{since.isoformat()},,,{'unknown' if unknown else ''}")
        lines += [f"{number},{s},{a.isoformat()},{b.isoformat()},," for s, a, b in earlier]
    return "\n".join(lines) + "\n"
