"""A scenario for any authority in England, built from the DfE's published figures for one year.

``casejourney scenario from-published --authority Coventry --year 2024`` writes a scenario for the
DfE year to March 2024 (1 April 2023 – 31 March 2024): the open caseload from the stocks published
for 31 March 2023, the year's referrals as demand, the year's conversion rates between stages as
branch shares, and the year's workforce. Everything the publications do not give (stays, effort,
practice punctuality, the rules' own timings) is the national baseline's, and says so.

Every number written carries its source in a YAML comment. A figure the DfE suppressed for the
authority (``c``/``x`` in the source, empty in ``data/published/``) is taken from the median of the
authority's region, else from England; the file's head lists each one.

What an authority's own rule file adds to the national rules (its activities' effort, local states'
branches and stays, a team of its own) comes from ``data/local/<authority>.yaml``.

Sizes that have no published figure of their own (work in progress in assessments, enquiries and
court; care leavers; conference and review slots; placements) are the national baseline's scaled by
the authority's published flow or stock that drives them, relative to England's in the year to March
2025 (the year the national baseline describes).
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import math
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from casejourney import published
from casejourney.errors import CasejourneyError
from casejourney.published import ENGLAND, Row
from casejourney.spec import workflows_dir
from casejourney.spec.scenario import _merge
from casejourney.spec.yamlsafe import read_yaml

#: The year the national baseline describes (its stocks are 31 March of it, its flows the year to it).
BASELINE_YEAR = 2025

#: Weeks in a year, for weekly demand.
WEEKS_PER_YEAR = 52.18

#: Contacts per referral: the DfE does not publish contacts; the national baseline's front door
#: refers half of them (``branches.contact.refer: 0.5``).
CONTACTS_PER_REFERRAL = 2.0

_TABLE = {
    "referrals": "CIN C1",
    "referral_nfa_pct": "CIN C1",
    "assessed_not_in_need_pct": "CIN C1",
    "cin_at_31_march": "CIN B1",
    "s47_enquiries": "CIN C4",
    "icpcs": "CIN C4",
    "cp_plans_started": "CIN D3",
    "cp_plans_subsequent_pct": "CIN D3",
    "cp_plans_at_31_march": "CIN D5",
    "looked_after_at_31_march": "CLA",
    "started_to_be_looked_after": "CLA",
    "child_population": "CLA",
}


def _table(column: str) -> str:
    return "workforce" if column.startswith("sw_") else _TABLE.get(column, "DfE")


# --- finding the authority ---------------------------------------------------------------------


@dataclass(frozen=True)
class Authority:
    """An authority (or England) as the published figures name it."""

    code: str
    name: str
    region: str

    @property
    def is_england(self) -> bool:
        """Whether this is England as a whole."""
        return self.code == ENGLAND

    @property
    def slug(self) -> str:
        """The lowercase, hyphenated id: ``Bristol, City of`` → ``bristol-city-of``."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


def _normal(name: str) -> str:
    text = name.lower().replace("&", " and ")
    text = re.sub(
        r"\b(city of|county of|council|county council|borough of|royal borough of)\b", " ", text
    )
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def find_authority(rows: list[Row], name: str) -> Authority:
    """The authority whose published name matches ``name`` loosely (case, punctuation, "City of").

    Raises:
        CasejourneyError: no authority matches (with the nearest names), or several do.

    """
    known: dict[str, Authority] = {}
    for row in rows:
        known.setdefault(row.code, Authority(row.code, row.name, row.region))
    wanted = _normal(name)
    if not wanted:
        raise CasejourneyError(
            "--authority is empty; name an authority, e.g. Liverpool, or england"
        )
    by_name = {_normal(a.name): a for a in known.values()}
    if wanted in by_name:
        return by_name[wanted]
    for a in known.values():
        if a.code.lower() == name.strip().lower():
            return a
    starts = [a for n, a in by_name.items() if n.startswith(wanted)]
    if not starts:  # a word of the name: "hull" for "Kingston upon Hull, City of"
        starts = [a for n, a in by_name.items() if f" {wanted} " in f" {n} "]
    if len(starts) == 1:
        return starts[0]
    if len(starts) > 1:
        names = ", ".join(sorted(a.name for a in starts))
        raise CasejourneyError(
            f"'{name}' matches several authorities: {names}; write more of the name"
        )
    near = difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(by_name[n].name for n in near)}?" if near else ""
    raise CasejourneyError(
        f"no authority '{name}' in the published figures (data/published/england-la-csc.csv){hint} "
        "(`england` for England as a whole)"
    )


def years_published(rows: list[Row]) -> list[int]:
    """Years in the data."""
    return sorted({r.year for r in rows})


def buildable_years(rows: list[Row]) -> list[int]:
    """Years a scenario can be built for: each needs the previous 31 March's stocks."""
    years = years_published(rows)
    return [y for y in years if y - 1 in years]


# --- figures with sources and fallbacks --------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A number and where it came from."""

    value: float
    source: str
    fallback: str | None = None  # what was used instead of a suppressed figure


@dataclass
class Figures:
    """The published figures of one authority and its region and England, with fallbacks."""

    rows: list[Row]
    authority: Authority
    fallbacks: list[str] = field(default_factory=list)

    def row(self, code: str, year: int) -> Row | None:
        """The row of ``code`` in ``year``, if published."""
        for row in self.rows:
            if row.code == code and row.year == year:
                return row
        return None

    def england(self, year: int) -> Row:
        """England's row of ``year``."""
        return published.england(self.rows, year)

    def column(self, column: str, year: int, *, per_child: bool = False) -> Figure:
        """A published value for the authority, else its region's, else England's.

        ``per_child``: a count; a fallback is the region's (or England's) rate per child in the
        population, times the authority's child population.
        """
        what = f"{column} {year} ({_table(column)})"
        own = self.row(self.authority.code, year)
        value = own.get(column) if own else math.nan
        if not math.isnan(value):
            return Figure(value, f"{self.authority.name} {what}")
        population = own.get("child_population") if own else math.nan
        if per_child and math.isnan(population):
            raise CasejourneyError(
                f"{self.authority.name}: {column} for the year to March {year} is suppressed and so "
                "is its child population, so no fallback can be sized; choose another year "
                f"(published: {', '.join(str(y) for y in years_published(self.rows))})"
            )
        region = [
            r
            for r in self.rows
            if r.year == year
            and r.region == self.authority.region
            and r.code != self.authority.code
        ]
        rates = [
            r.get(column) / r.get("child_population") if per_child else r.get(column)
            for r in region
        ]
        rates = [x for x in rates if not math.isnan(x)]
        if self.authority.region and rates:
            rate, where = statistics.median(rates), f"the median of {self.authority.region}"
        else:
            e = self.england(year)
            rate = e.get(column) / e.get("child_population") if per_child else e.get(column)
            where = "England's"
            if math.isnan(rate):
                raise CasejourneyError(
                    f"{self.authority.name}: {column} for the year to March {year} is suppressed, "
                    "and England's is not published either; choose another year"
                )
        value = rate * population if per_child else rate
        how = " per child, times its child population" if per_child else ""
        note = f"{column} {year} is suppressed for {self.authority.name}: {where}{how} used"
        self.fallbacks.append(note)
        return Figure(value, f"{where} {what}{how} (suppressed for {self.authority.name})", note)


# --- the scenario -------------------------------------------------------------------------------


def _scenarios_dir() -> Path:
    return workflows_dir().parent / "scenarios"


def _shipped(name: str) -> dict[str, Any]:
    doc, findings = read_yaml(_scenarios_dir() / f"{name}.yaml")
    if doc is None or not isinstance(doc.data, dict):
        raise CasejourneyError(f"cannot read the shipped scenario {name}: {findings}")
    data = dict(doc.data)
    while isinstance(data.get("extends"), str):
        parent = _shipped(data.pop("extends"))
        data = _merge(parent, data)
    return data


def _local(path: Path) -> dict[str, Any]:
    """What an authority's own rules add (``data/local/<authority>.yaml``), as data."""
    doc, findings = read_yaml(path)
    if doc is None or not isinstance(doc.data, dict):
        raise CasejourneyError(f"cannot read {path}: {findings}")
    return dict(doc.data)


@dataclass
class Built:
    """A scenario as data, and the comment beside each number (by key path)."""

    data: dict[str, Any]
    notes: dict[tuple[str, ...], str]
    head: list[str]
    fallbacks: list[str]


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def _scaled(options: Mapping[str, float], fixed: Mapping[str, float]) -> dict[str, float]:
    """Branch shares with ``fixed`` set and the others scaled to fill the rest."""
    room = 1.0 - sum(fixed.values())
    if room < 0:
        raise CasejourneyError(f"published shares {dict(fixed)} add up to more than 1")
    rest = {k: v for k, v in options.items() if k not in fixed}
    total = sum(rest.values())
    out = {k: v * room / total for k, v in rest.items()} if total > 0 else {}
    out.update(fixed)
    rounded = {k: round(out[k], 4) for k in options}
    if rest:  # the rounding's remainder goes to the largest share not fixed
        largest = max(rest, key=lambda k: rounded[k])
        rounded[largest] = round(rounded[largest] + 1.0 - sum(rounded.values()), 4)
    return rounded


def build(rows: list[Row], name: str, year: int) -> Built:  # noqa: C901  (one recipe, in order)
    """The scenario for authority ``name`` (or ``england``) in the DfE year to March ``year``.

    Raises:
        CasejourneyError: unknown authority, a year outside the data, or figures that cannot be
            filled in (a suppressed count with no child population to size a fallback).

    """
    authority = find_authority(rows, name)
    years = buildable_years(rows)
    if year not in years:
        raise CasejourneyError(
            f"--year {year}: outside the published figures; a scenario can be built for the years to "
            f"March {years[0]}–{years[-1]} (each starts from the previous 31 March's stocks; the data "
            f"holds {years_published(rows)[0]}–{years_published(rows)[-1]})"
        )
    f = Figures(rows, authority)
    e_now, e_base = f.england(year), f.england(BASELINE_YEAR)
    nat = _shipped("national-baseline")
    out = copy.deepcopy(nat)
    notes: dict[tuple[str, ...], str] = {}
    who = authority.name

    def ratio(num: Figure, den: Figure, columns: tuple[str, str]) -> tuple[float, str]:
        """``num / den``, or England's ratio of the two columns when ``den`` is none."""
        if den.value > 0:
            return num.value / den.value, (
                f"{num.source} {_fmt(num.value)} / {columns[1]} {_fmt(den.value)}"
            )
        value = e_now.get(columns[0]) / e_now.get(columns[1])
        note = f"{who} had no {columns[1]} in {year}: England's {columns[0]} per {columns[1]} used"
        f.fallbacks.append(note)
        return value, f"England's {columns[0]} / {columns[1]} {year} ({note})"

    slug = "england" if authority.is_england else authority.slug
    out["id"] = f"{slug}-{year}-published"
    out["title"] = f"{who}, year to March {year} (from DfE's published figures)"
    rules = workflows_dir() / f"{authority.slug}.yaml"
    own_rules = not authority.is_england and rules.is_file()
    out["authority"] = authority.slug if own_rules else "national"
    notes[("authority",)] = (
        f"{who}'s own rule file (workflows/{rules.name})"
        if own_rules
        else "no rule file of its own in workflows/: the national rules"
    )
    out["start"] = dt.date(year - 1, 4, 1)
    notes[("start",)] = f"the DfE year to March {year} begins"
    out.pop("warm_up", None)
    out["horizon"] = "12 months"
    notes[("horizon",)] = "to 31 March: the year the published outcomes describe"
    if not authority.is_england:
        out["areas"] = 1
        notes[("areas",)] = "one authority"

    # demand
    referrals = f.column("referrals", year, per_child=True)
    out["demand"]["contacts_per_week"] = round(
        referrals.value * CONTACTS_PER_REFERRAL / WEEKS_PER_YEAR, 1
    )
    notes[("demand", "contacts_per_week")] = (
        f"{referrals.source}: {_fmt(referrals.value)} referrals × {CONTACTS_PER_REFERRAL:g} contacts "
        f"per referral (assumed: contacts are not published) / {WEEKS_PER_YEAR} weeks"
    )

    # open caseload on the previous 31 March
    cin = f.column("cin_at_31_march", year - 1, per_child=True)
    cp = f.column("cp_plans_at_31_march", year - 1, per_child=True)
    lac = f.column("looked_after_at_31_march", year - 1, per_child=True)
    caseload = out["initial_caseload"]
    caseload["cp_plan"] = round(cp.value)
    notes[("initial_caseload", "cp_plan")] = f"{cp.source}"
    caseload["looked_after"] = round(lac.value)
    notes[("initial_caseload", "looked_after")] = f"{lac.source}"
    s47 = f.column("s47_enquiries", year, per_child=True)
    started = f.column("cp_plans_started", year, per_child=True)
    lac_started = f.column("started_to_be_looked_after", year, per_child=True)
    wip_drivers = {
        "cf_assessment": (referrals, "referrals"),
        "s47_enquiry": (s47, "s47_enquiries"),
        "plo": (started, "cp_plans_started"),
        "care_proceedings": (lac_started, "started_to_be_looked_after"),
    }
    for state, (driver, column) in wip_drivers.items():
        share = driver.value / e_base.get(column)
        caseload[state] = round(nat["initial_caseload"][state] * share)
        notes[("initial_caseload", state)] = (
            f"national-baseline's {nat['initial_caseload'][state]:,} × {column} {_fmt(driver.value)} / "
            f"England's {BASELINE_YEAR} {_fmt(e_base.get(column))} (work in progress: not published)"
        )
    if "early_help" in nat["initial_caseload"]:  # not children in need: outside the sum below
        share = referrals.value / e_base.get("referrals")
        caseload["early_help"] = round(nat["initial_caseload"]["early_help"] * share)
        notes[("initial_caseload", "early_help")] = (
            f"national-baseline's {nat['initial_caseload']['early_help']:,} × referrals "
            f"{_fmt(referrals.value)} / England's {BASELINE_YEAR} {_fmt(e_base.get('referrals'))} "
            "(families open to early help: not published)"
        )
    care_leavers = (
        nat["initial_caseload"]["care_leaver"] * lac.value / e_base.get("looked_after_at_31_march")
    )
    caseload["care_leaver"] = round(care_leavers)
    notes[("initial_caseload", "care_leaver")] = (
        f"national-baseline's {nat['initial_caseload']['care_leaver']:,} × looked after "
        f"{_fmt(lac.value)} / England's {_fmt(e_base.get('looked_after_at_31_march'))} (not published here)"
    )
    wip = sum(caseload[s] for s in wip_drivers)
    cin_plan = cin.value - cp.value - lac.value - wip
    if cin_plan < 0:
        raise CasejourneyError(
            f"{who} {year - 1}: children in need {cin.value:,.0f} are fewer than CP plans, looked "
            "after and work in progress together; the published figures do not fit together"
        )
    caseload["cin_plan"] = round(cin_plan)
    notes[("initial_caseload", "cin_plan")] = (
        f"{cin.source} {_fmt(cin.value)} less CP plans, looked after and the work in progress "
        "below (the rest of the children in need)"
    )

    # branch shares (from the authority's own baseline where its rules add routes to a state)
    local_file = workflows_dir().parent / "data" / "local" / f"{authority.slug}.yaml"
    local = _local(local_file) if own_rules and local_file.is_file() else {}
    base_branches = copy.deepcopy(nat["branches"])
    for state, options in local.get("branches", {}).items():
        if set(options) != set(base_branches.get(state, {})):
            base_branches[state] = dict(options)
            notes[("branches", state)] = f"data/local/{local_file.name}'s shares (its own routes)"
    out["branches"] = copy.deepcopy(base_branches)
    branches = out["branches"]
    nfa = f.column("referral_nfa_pct", year)
    # relative to England in the national baseline's year, whose rates the baseline's shares are
    e_s47_per_ref = e_base.get("s47_enquiries") / e_base.get("referrals")
    q = (s47.value / referrals.value) / e_s47_per_ref if referrals.value > 0 else 1.0
    nat_rs = base_branches["referral"]["referral_to_strategy"]
    nat_as = base_branches["cf_assessment"]["assessment_to_strategy"]
    q = min(q, 0.8 / nat_rs, 0.6 / nat_as)
    branches["referral"] = _scaled(
        base_branches["referral"],
        {"referral_nfa": nfa.value / 100, "referral_to_strategy": round(nat_rs * q, 4)},
    )
    notes[("branches", "referral", "referral_nfa")] = f"{nfa.source} {nfa.value:g}%"
    s47_text = (
        f"national-baseline's {{}} × {q:.3f}: s47 enquiries per referral {s47.value:,.0f} / "
        f"{referrals.value:,.0f} relative to England's {e_s47_per_ref:.3f} in {BASELINE_YEAR} "
        f"({s47.source})"
    )
    notes[("branches", "referral", "referral_to_strategy")] = s47_text.format(nat_rs)
    anin = f.column("assessed_not_in_need_pct", year)
    branches["cf_assessment"] = _scaled(
        base_branches["cf_assessment"],
        {"assessment_nfa": anin.value / 100, "assessment_to_strategy": round(nat_as * q, 4)},
    )
    notes[("branches", "cf_assessment", "assessment_nfa")] = f"{anin.source} {anin.value:g}%"
    notes[("branches", "cf_assessment", "assessment_to_strategy")] = s47_text.format(nat_as)
    icpcs = f.column("icpcs", year, per_child=True)
    convene, text = ratio(icpcs, s47, ("icpcs", "s47_enquiries"))
    branches["s47_enquiry"] = _scaled(
        base_branches["s47_enquiry"], {"convene_icpc": round(min(convene, 0.9), 4)}
    )
    notes[("branches", "s47_enquiry", "convene_icpc")] = text
    plan, text = ratio(started, icpcs, ("cp_plans_started", "icpcs"))
    branches["icpc"] = _scaled(base_branches["icpc"], {"make_cp_plan": round(min(plan, 0.98), 4)})
    notes[("branches", "icpc", "make_cp_plan")] = text
    for state in ("referral", "cf_assessment", "s47_enquiry", "icpc"):
        notes.setdefault(
            ("branches", state),
            "the published shares below; the others national-baseline's, scaled to fill the rest",
        )

    # repeat plans: the share of children arriving with an earlier plan
    repeat = f.column("cp_plans_subsequent_pct", year)
    e_repeat = e_now.get("cp_plans_subsequent_pct")
    history = out["history"]["cp_plan"]
    nat_share = nat["history"]["cp_plan"]["share"]
    history["share"] = round(min(0.9, nat_share * repeat.value / e_repeat), 4)
    notes[("history", "cp_plan", "share")] = (
        f"national-baseline's {nat_share} (England's second plans, calibrated) × {repeat.source} "
        f"{repeat.value:g}% / England's {e_repeat:g}%"
    )

    # workforce
    caseload_now = f.column("sw_caseload_per_fte", year)
    e_caseload = e_now.get("sw_caseload_per_fte")
    vacancy = f.column("sw_vacancy_rate_pct", year)
    turnover = f.column("sw_turnover_rate_pct", year)
    absence = f.column("sw_absence_rate_pct", year)
    fte = f.column("sw_fte_in_post", year)
    agency = f.column("sw_agency_fte", year)
    case_holding = [
        n
        for n, t in out["teams"].items()
        if t.get("caseload_limit", 20) is not None and n != "leaving_care"
    ]
    nat_in_post = {
        n: nat["teams"][n]["headcount"] * (1 - nat["teams"][n].get("vacancy_rate", 0.0))
        for n in case_holding
    }
    e_filled = e_base.get("sw_fte_in_post") + e_base.get("sw_agency_fte")
    filled = fte.value + agency.value
    posts = max(fte.value / (1 - vacancy.value / 100), filled)
    vac = round(1 - filled / posts, 4)
    for name, team in out["teams"].items():
        path = ("teams", name)
        if name not in case_holding:
            driver = referrals if name == "front_door" else lac
            column = "referrals" if name == "front_door" else "looked_after_at_31_march"
            share = driver.value / e_base.get(column)
            team["headcount"] = round(nat["teams"][name]["headcount"] * share, 1)
            notes[(*path, "headcount")] = (
                f"national-baseline's {nat['teams'][name]['headcount']:,} × {column} "
                f"{_fmt(driver.value)} / England's {BASELINE_YEAR} {_fmt(e_base.get(column))}"
            )
            continue
        in_post = nat_in_post[name] * filled / e_filled
        team["vacancy_rate"] = vac
        team["headcount"] = round(in_post / (1 - vac), 1)
        notes[(*path, "headcount")] = (
            f"posts, {in_post:,.1f} in post: national-baseline's {nat_in_post[name]:,.0f} in post × "
            f"social workers in post and agency {_fmt(filled)} / England's {BASELINE_YEAR} "
            f"{_fmt(e_filled)}"
        )
        notes[(*path, "vacancy_rate")] = "posts not filled by employees or agency workers (above)"
        nq = nat["teams"][name].get("newly_qualified", 0)
        if nq:
            team["newly_qualified"] = min(
                round(nq * in_post / nat_in_post[name]), math.floor(in_post)
            )
            notes[(*path, "newly_qualified")] = "national-baseline's share of workers in post"
        team["turnover_rate"] = round(turnover.value / 100, 4)
        notes[(*path, "turnover_rate")] = f"{turnover.source} {turnover.value:g}%"
        team["sickness_rate"] = round(absence.value / 100, 4)
        notes[(*path, "sickness_rate")] = f"{absence.source} {absence.value:g}%"
        notes.setdefault(
            (*path, "reference_caseload"),
            "national-baseline's: the caseload at which stays are the national ones",
        )
    notes[("teams",)] = (
        f"{fte.source} {_fmt(fte.value)} FTE in post, {agency.source} {_fmt(agency.value)}, "
        f"{vacancy.source} {vacancy.value:g}% (posts {_fmt(posts)}: {_fmt(filled)} filled, so "
        f"{100 * vac:.1f}% uncovered); {caseload_now.source} {caseload_now.value:g} (England's "
        f"{e_caseload:g}): the model's caseloads follow from the cases and workers"
    )

    # meetings and placements: sized by what uses them
    if "cp_conferences" in out["meetings"]:
        _size_conferences(out, nat, notes, f, icpcs, cp, started, year)
    drivers = {
        ("meetings", "lac_reviews"): (lac, "looked_after_at_31_march", BASELINE_YEAR),
        ("meetings", "legal_gateway"): (started, "cp_plans_started", BASELINE_YEAR),
        ("meetings", "court_issue"): (lac_started, "started_to_be_looked_after", BASELINE_YEAR),
    }
    for path, (driver, column, base_year) in drivers.items():
        if path[1] not in out["meetings"]:
            continue
        base = f.england(base_year).get(column)
        value = nat["meetings"][path[1]]["slots_per_week"] * driver.value / base
        out["meetings"][path[1]]["slots_per_week"] = max(round(value, 2), 0.25)
        notes[(*path, "slots_per_week")] = (
            "at least one every four weeks; "
            * (value < 0.25)
            + f"national-baseline's {nat['meetings'][path[1]]['slots_per_week']:,} × {column} "
            f"{_fmt(driver.value)} / England's {_fmt(base)}"
        )
    for name in out.get("placements", {}):
        base = e_base.get("looked_after_at_31_march")
        out["placements"][name]["places"] = round(
            nat["placements"][name]["places"] * lac.value / base
        )
        notes[("placements", name, "places")] = (
            f"national-baseline's {nat['placements'][name]['places']:,} × looked after "
            f"{_fmt(lac.value)} / England's {_fmt(base)}"
        )

    # what the authority's own rules add (activities' effort, local states' branches and stays)
    if local:
        local.pop("branches", None)  # done above
        _add_new(out, local, nat, (), notes, f"data/local/{local_file.name} (its own rules)")

    head = [
        f"{who}, the DfE year to March {year}: built by `casejourney scenario from-published`",
        "from data/published/england-la-csc.csv (DfE children in need, children looked after and",
        "social work workforce statistics; Open Government Licence v3.0).",
        f"Opening caseload: 31 March {year - 1}. Demand, branch shares and workforce: the year to "
        f"March {year}.",
        "Stays, effort, punctuality and anything without a comment: scenarios/national-baseline.yaml",
        "(planning assumptions; `casejourney calibrate` fits them to published outcomes).",
    ]
    if f.fallbacks:
        head.append("Suppressed figures, replaced:")
        head.extend(f"  - {note}" for note in dict.fromkeys(f.fallbacks))
    else:
        head.append("No figure used was suppressed.")
    return Built(out, notes, head, list(dict.fromkeys(f.fallbacks)))


#: Of the conferences a week the national baseline's chairs hold (~3,900: its 4,500 slots have 15%
#: spare), the initial ones: England's 72,100 ICPCs a year / 52.18 weeks = 1,382 a week. The rest
#: are reviews of the plans open during the year.
INITIAL_CONFERENCE_SHARE = 0.35


def _size_conferences(
    out: dict[str, Any],
    nat: Mapping[str, Any],
    notes: dict[tuple[str, ...], str],
    f: Figures,
    icpcs: Figure,
    cp: Figure,
    started: Figure,
    year: int,
) -> None:
    """Chairs' slots sized by the conferences the year brings: its ICPCs, and reviews of its plans.

    Initial conferences follow the year's ICPCs; reviews follow the plans open during the year
    (open on the previous 31 March, or started in the year), each relative to England's in the
    national baseline's year. A chair's diary sized by the opening stock alone starves a year whose
    ICPCs rise (Liverpool, year to March 2024: ICPCs 373 → 789 after a year whose plans halved).
    """
    e = f.england(BASELINE_YEAR)
    base = nat["meetings"]["cp_conferences"]["slots_per_week"]
    initial = icpcs.value / e.get("icpcs")
    plans = cp.value + started.value
    e_plans = e.get("cp_plans_at_31_march") + e.get("cp_plans_started")
    value = base * (
        INITIAL_CONFERENCE_SHARE * initial + (1 - INITIAL_CONFERENCE_SHARE) * plans / e_plans
    )
    out["meetings"]["cp_conferences"]["slots_per_week"] = max(round(value, 2), 0.25)
    notes[("meetings", "cp_conferences", "slots_per_week")] = (
        "at least one every four weeks; "
        * (value < 0.25)
        + f"national-baseline's {base:,} × ({INITIAL_CONFERENCE_SHARE:g} initial: ICPCs "
        f"{_fmt(icpcs.value)} / England's {BASELINE_YEAR} {_fmt(e.get('icpcs'))} + "
        f"{1 - INITIAL_CONFERENCE_SHARE:g} reviews: CP plans open on 31 March {year - 1} and "
        f"started in the year {_fmt(plans)} / England's {_fmt(e_plans)})"
    )


def _add_new(
    out: dict[str, Any],
    local: Mapping[str, Any],
    nat: Mapping[str, Any],
    path: tuple[str, ...],
    notes: dict[tuple[str, ...], str],
    source: str,
) -> None:
    """Keys ``local`` has and ``nat`` lacks, copied into ``out`` with ``source`` as their note."""
    for key, value in local.items():
        if key in nat and isinstance(value, dict) and isinstance(nat[key], dict):
            _add_new(out.setdefault(key, {}), value, nat[key], (*path, key), notes, source)
        elif key not in nat:
            out[key] = copy.deepcopy(value)
            notes[(*path, key)] = source


# --- writing YAML with comments -----------------------------------------------------------------


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, width=10_000, sort_keys=False
    )
    return text.strip().removesuffix("...").strip()


def _flow(value: Any) -> bool:
    if isinstance(value, list):
        return True
    return (
        isinstance(value, dict)
        and all(not isinstance(v, dict | list) for v in value.values())
        and (
            "dist" in value
            or (
                len(value) <= 3
                and all(isinstance(k, str) for k in value)
                and all(not isinstance(v, str) or len(v) < 30 for v in value.values())
                and "states" not in value
            )
        )
    )


def _emit(
    node: Mapping[Any, Any],
    notes: Mapping[tuple[str, ...], str],
    path: tuple[str, ...],
    indent: int,
    lines: list[str],
) -> None:
    pad = "  " * indent
    for key, value in node.items():
        here = (*path, str(key))
        note = notes.get(here)
        comment = f"  # {note}" if note else ""
        name = _scalar(key)
        if (
            isinstance(value, dict)
            and value
            and not (_flow(value) and here not in notes_parents(notes))
        ):
            lines.append(f"{pad}{name}:{comment}")
            _emit(value, notes, here, indent + 1, lines)
        else:
            lines.append(f"{pad}{name}: {_scalar(value)}{comment}")


def notes_parents(notes: Mapping[tuple[str, ...], str]) -> set[tuple[str, ...]]:
    """Key paths with a commented key below them (written as blocks, so the comment fits)."""
    return {p[:i] for p in notes for i in range(1, len(p))}


def to_yaml(built: Built, marker: str) -> str:
    """The scenario as YAML text, each number's source beside it."""
    lines = [marker, *(f"# {line}" for line in built.head), ""]
    _emit(built.data, built.notes, (), 0, lines)
    text = "\n".join(lines) + "\n"
    if yaml.safe_load(text) != _plain(built.data):  # the comments must not change the data
        raise AssertionError("scenario text does not read back as written")
    return text


def _plain(data: Any) -> Any:
    return yaml.safe_load(yaml.safe_dump(data, allow_unicode=True))
