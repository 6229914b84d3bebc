"""DfE's published children's social care figures for England and every authority, years to March.

The file is ``data/published/england-la-csc.csv`` (see the README beside it: sources, licence and
the columns' meanings). It is read with the standard library, every value checked: a number, or
empty where the DfE suppressed it (or where the project withholds it on purpose: the year to March
2025's timeliness and duration columns, the outcomes the simulator is judged on).

:func:`year_scenario` turns a year's published inputs — referrals, the stocks on the previous 31
March, the conversion rates between stages, the workforce — into a scenario built on the national
baseline, so that the year's published *outcomes* can be compared with a simulation that was never
told them.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casejourney.errors import CasejourneyError

#: Every column, in order, and whether it is text (the rest are numbers).
TEXT_COLUMNS = ("la_code", "la_name", "region")
ENGLAND = "E92000001"


def data_file() -> Path:
    """The shipped copy of the published figures."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "_data" / "published" / "england-la-csc.csv",
        here.parent.parent / "data" / "published" / "england-la-csc.csv",
    ):
        if candidate.is_file():
            return candidate
    raise CasejourneyError(
        "the published figures (data/published/england-la-csc.csv) are missing from this install"
    )


@dataclass(frozen=True)
class Row:
    """One authority (or England) in one year."""

    year: int
    code: str
    name: str
    region: str
    values: Mapping[str, float]  # NaN: suppressed or withheld

    def get(self, column: str) -> float:
        """A value (NaN if suppressed, withheld or not published)."""
        return self.values.get(column, math.nan)


def load(path: Path | None = None) -> list[Row]:
    """Every row of the published figures, checked.

    Raises:
        CasejourneyError: the file is missing, has no header, lacks a column, or holds a value
            that is not a number (naming the line and column).

    """
    path = path or data_file()
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as problem:
        raise CasejourneyError(f"{path}: cannot read the published figures ({problem})") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for needed in ("year", *TEXT_COLUMNS):
            if needed not in header:
                raise CasejourneyError(f"{path}: no '{needed}' column; is this the DfE file?")
        rows = []
        for line, record in enumerate(reader, start=2):
            values: dict[str, float] = {}
            for column, text in record.items():
                if column in TEXT_COLUMNS or column == "year" or column is None:
                    continue
                text = (text or "").strip()
                try:
                    values[column] = float(text) if text else math.nan
                except ValueError:
                    raise CasejourneyError(
                        f"{path}:{line}: column '{column}' holds '{text}', not a number "
                        "(leave suppressed cells empty)"
                    ) from None
            try:
                year = int(record["year"])
            except ValueError:
                raise CasejourneyError(
                    f"{path}:{line}: year '{record['year']}' is not a year"
                ) from None
            rows.append(
                Row(year, record["la_code"], record["la_name"], record["region"] or "", values)
            )
    return rows


def england(rows: list[Row], year: int) -> Row:
    """England's row for ``year``."""
    for row in rows:
        if row.code == ENGLAND and row.year == year:
            return row
    known = sorted({r.year for r in rows if r.code == ENGLAND})
    raise CasejourneyError(f"no figures for England in {year}; years published: {known}")


#: The ways into a strategy discussion (and so an s47 enquiry), as (state, option).
_ROUTES_TO_S47: tuple[tuple[str, str], ...] = (
    ("referral", "referral_to_strategy"),
    ("cf_assessment", "assessment_to_strategy"),
    ("cin_plan", "cin_to_strategy"),
)


def _scaled(options: Mapping[str, float], fixed: Mapping[str, float]) -> dict[str, float]:
    """Branch probabilities with ``fixed`` ones set and the others scaled to fill the rest."""
    rest = {k: v for k, v in options.items() if k not in fixed}
    room = 1.0 - sum(fixed.values())
    total = sum(rest.values())
    out = {k: v * room / total for k, v in rest.items()} if total > 0 else {}
    out.update(fixed)
    return {k: round(v, 6) for k, v in out.items()}


def year_scenario(base: dict[str, Any], rows: list[Row], year: int) -> dict[str, Any]:
    """The national baseline (``base``, as read from YAML) set up for the DfE year to March ``year``.

    Inputs taken from the published figures: referrals in the year (contacts at the baseline's
    ratio of two per referral); children in need, on CP plans and looked after on the previous
    31 March as the open caseload; the shares of referrals ending in no further action and of
    assessments finding no need; s47 enquiries per referral (every route into a strategy
    discussion scaled alike), ICPCs per s47 enquiry and CP plans per ICPC; the size of the teams
    that hold cases (case-holding FTE relative to the baseline year's; FTE in post and agency where
    it is not published), the agency share, turnover and sickness absence.
    Nothing the simulation is compared with (timeliness, durations, repeat plans, the year-end
    stocks) is an input.
    """
    now, before = england(rows, year), england(rows, year - 1)
    baseline = england(rows, 2025)  # the year the national baseline describes
    out = dict(base)
    out["id"] = f"england-{year}"
    out["title"] = f"England, year to March {year} (from DfE's published figures)"
    out["start"] = dt.date(year - 1, 4, 1)
    out.pop("warm_up", None)  # the year's own opening stocks: no warm-up
    out["horizon"] = "12 months"
    demand = dict(out["demand"])
    demand["contacts_per_week"] = round(now.get("referrals") * 2 / 52.18, 1)
    out["demand"] = demand
    caseload = dict(out["initial_caseload"])
    wip = sum(
        caseload.get(s, 0) for s in ("cf_assessment", "s47_enquiry", "plo", "care_proceedings")
    )
    cp, lac = before.get("cp_plans_at_31_march"), before.get("looked_after_at_31_march")
    caseload["cp_plan"] = round(cp)
    caseload["looked_after"] = round(lac)
    caseload["cin_plan"] = round(before.get("cin_at_31_march") - cp - lac - wip)
    if "early_help" in caseload:  # not published: the baseline's, as the year's contacts are
        caseload["early_help"] = round(
            caseload["early_help"] * now.get("referrals") / baseline.get("referrals")
        )
    out["initial_caseload"] = caseload
    branches = {k: dict(v) for k, v in out["branches"].items()}
    # s47 enquiries per referral, relative to the baseline year's: every route into a strategy
    # discussion (from referrals, assessments and CIN plans) is scaled alike
    per_referral = (now.get("s47_enquiries") / now.get("referrals")) / (
        baseline.get("s47_enquiries") / baseline.get("referrals")
    )
    for state, option in _ROUTES_TO_S47:
        if math.isfinite(per_referral) and option in branches.get(state, {}):
            branches[state] = _scaled(
                branches[state], {option: branches[state][option] * per_referral}
            )
    branches["referral"] = _scaled(
        branches["referral"],
        {
            "referral_nfa": now.get("referral_nfa_pct") / 100,
            "referral_to_strategy": branches["referral"]["referral_to_strategy"],
        },
    )
    branches["cf_assessment"] = _scaled(
        branches["cf_assessment"],
        {
            "assessment_nfa": now.get("assessed_not_in_need_pct") / 100,
            "assessment_to_strategy": branches["cf_assessment"]["assessment_to_strategy"],
        },
    )
    branches["s47_enquiry"] = _scaled(
        branches["s47_enquiry"], {"convene_icpc": now.get("icpcs") / now.get("s47_enquiries")}
    )
    branches["icpc"] = _scaled(
        branches["icpc"], {"make_cp_plan": now.get("cp_plans_started") / now.get("icpcs")}
    )
    out["branches"] = branches

    def workforce(row: Row) -> float:
        return row.get("sw_fte_in_post") + row.get("sw_agency_fte")

    def case_holders(row: Row) -> float:
        held = row.get("sw_case_holders_fte")
        return held if not math.isnan(held) else workforce(row)

    ratio = case_holders(now) / case_holders(baseline)
    teams = {}
    for name, team in out["teams"].items():
        team = dict(team)
        if team.get("caseload_limit", 20) is not None:
            team["headcount"] = round(team["headcount"] * ratio)
            turnover = now.get("sw_turnover_rate_pct")
            if not math.isnan(turnover):
                team["turnover_rate"] = round(turnover / 100, 4)
            absence = now.get("sw_absence_rate_pct")
            if not math.isnan(absence):
                team["sickness_rate"] = round(absence / 100, 4)
            if "agency_share" in team and workforce(now) > 0:
                team["agency_share"] = round(now.get("sw_agency_fte") / workforce(now), 4)
        teams[name] = team
    out["teams"] = teams
    return out


#: DfE's bands of how long CP plans open at 31 March had lasted, as (column, from, to) in weeks.
_CP_BANDS_WEEKS: tuple[tuple[str, float, float], ...] = (
    ("cp_open_3m_or_less_pct", 0.0, 52.18 / 4),
    ("cp_open_3_to_6m_pct", 52.18 / 4, 52.18 / 2),
    ("cp_open_6m_to_1y_pct", 52.18 / 2, 52.18),
    ("cp_open_1_to_2y_pct", 52.18, 2 * 52.18),
    ("cp_open_2y_or_more_pct", 2 * 52.18, math.inf),
)

_Z90 = 1.2815515655446004  # the standard normal's 90th percentile


def _open_shares(median: float, p90: float) -> list[float]:
    """Percentages of a steady stock of plans in each DfE duration band, for lognormal lengths.

    In a steady state a plan that has lasted ``t`` is still open with probability ``S(t)`` (the
    survival function), so the stock's durations have density ``S(t) / mean``; for a lognormal,
    ``∫₀ˣ S = x·S(x) + mean·Φ(z − σ)`` with ``z = (ln x − μ) / σ``.
    """
    mu, sigma = math.log(median), math.log(p90 / median) / _Z90
    mean = math.exp(mu + sigma**2 / 2)

    def phi(z: float) -> float:
        return 0.5 * math.erfc(-z / math.sqrt(2))

    def held(x: float) -> float:  # ∫₀ˣ S(t) dt
        if x <= 0 or math.isinf(x):
            return 0.0 if x <= 0 else mean
        z = (math.log(x) - mu) / sigma
        return x * (1 - phi(z)) + mean * phi(z - sigma)

    return [100 * (held(b) - held(a)) / mean for _, a, b in _CP_BANDS_WEEKS]


def cp_plan_lengths(rows: list[Row], years: tuple[int, ...]) -> tuple[int, int]:
    """CP plans' lognormal length, (median, 90th percentile) in whole weeks, fitted to the bands.

    The fit is by least squares to England's published stock of plans by duration band, averaged
    over ``years``.

    The national baseline's ``stays.cp_plan`` is this fit for the calibration years; a test holds
    them together. Its mean also agrees with Little's law (plans open / plans started a year).
    """
    target = [
        sum(england(rows, y).get(column) for y in years) / len(years)
        for column, _, _ in _CP_BANDS_WEEKS
    ]
    best: tuple[float, int, int] | None = None
    for median in range(20, 61):
        for p90 in range(median + 10, 3 * median + 1, 2):
            shares = _open_shares(median, p90)
            error = sum((s - t) ** 2 for s, t in zip(shares, target, strict=True))
            if best is None or error < best[0]:
                best = (error, median, p90)
    assert best is not None
    return best[1], best[2]
