"""The model beside the published figures: England year by year, and what staffing and demand do.

``python scripts/validate.py`` writes ``docs/validation.md`` from these functions; nothing in that
page is typed by hand. Each England year is simulated from its own published inputs
(``published.year_scenario``) and measured with the DfE's definitions (``dfe.measures``).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from casejourney import dfe, published, runner
from casejourney.engine import EventLog, Snapshots
from casejourney.runner import Task
from casejourney.simulate import Frame
from casejourney.spec import load_workflow, workflows_dir
from casejourney.spec.scenario import ScenarioSpec
from casejourney.spec.yamlsafe import read_yaml


@dataclass(frozen=True)
class Measure:
    """A published figure, how close the model must come to it, and its role."""

    column: str
    title: str
    tolerance: float  # absolute (points or working days) or, when ``relative``, a share
    relative: bool = False
    role: str = "prediction"  # prediction, calibration (fitted to 2022–2023), or input-driven
    # a model input was fitted to this measure in the calibration years (a prediction in others)
    fitted: bool = False


MEASURES: tuple[Measure, ...] = (
    Measure("icpc_within_15wd_pct", "ICPCs within 15 working days of s47 start, %", 3.0),
    Measure("icpc_wd_p25", "working days s47 start → ICPC: lower quartile", 1.0),
    Measure("icpc_wd_median", "working days s47 start → ICPC: median", 1.0),
    Measure("icpc_wd_p75", "working days s47 start → ICPC: upper quartile", 1.0),
    Measure(
        "cp_open_3m_or_less_pct", "CP plans open at 31 March: up to 3 months, %", 3.0, fitted=True
    ),
    Measure("cp_open_3_to_6m_pct", "CP plans open at 31 March: 3–6 months, %", 3.0, fitted=True),
    Measure(
        "cp_open_6m_to_1y_pct", "CP plans open at 31 March: 6 months–1 year, %", 3.0, fitted=True
    ),
    Measure("cp_open_1_to_2y_pct", "CP plans open at 31 March: 1–2 years, %", 3.0, fitted=True),
    Measure(
        "cp_open_2y_or_more_pct", "CP plans open at 31 March: 2 years or more, %", 3.0, fitted=True
    ),
    Measure(
        "cp_plans_subsequent_pct",
        "CP plans started that are a second or subsequent plan, %",
        3.0,
        role="calibration",
    ),
    Measure("cin_at_31_march", "children in need at 31 March", 0.03, relative=True),
    Measure("cp_plans_at_31_march", "CP plans open at 31 March", 0.03, relative=True),
    Measure("looked_after_at_31_march", "children looked after at 31 March", 0.03, relative=True),
    Measure(
        "s47_enquiries",
        "s47 enquiries started in the year",
        0.05,
        relative=True,
        role="input-driven",
    ),
    Measure("icpcs", "ICPCs in the year", 0.05, relative=True, role="input-driven"),
    Measure(
        "cp_plans_started", "CP plans started in the year", 0.05, relative=True, role="input-driven"
    ),
    Measure(
        "started_to_be_looked_after",
        "children starting to be looked after",
        0.05,
        relative=True,
        fitted=True,
    ),
    Measure(
        "ceased_to_be_looked_after", "children ceasing to be looked after", 0.05, relative=True
    ),
)

#: Years whose outcomes the free parameters were fitted to (the rest are predictions).
CALIBRATION_YEARS = (2022, 2023)


def _scenarios_dir() -> Path:
    return workflows_dir().parent / "scenarios"


def base_scenario(name: str = "national-baseline") -> dict[str, Any]:
    """A shipped scenario as plain data."""
    doc, findings = read_yaml(_scenarios_dir() / f"{name}.yaml")
    if doc is None or not isinstance(doc.data, dict):
        raise ValueError(f"cannot read scenario {name}: {findings}")
    return dict(doc.data)


def _replications(tasks: Sequence[Task], jobs: int) -> list[dict[str, float]]:
    """Each task's figures, in order, run by ``casejourney.runner`` (``jobs`` processes)."""
    with runner.using(jobs) as executor:
        done = runner.run(tasks, executor)
    return [r.values for r in done.ordered(tasks)]


def _task(data: Mapping[str, Any], replication: int, **options: Any) -> Task:
    scenario = ScenarioSpec.model_validate(data)
    workflow = load_workflow(scenario.authority)
    return Task(workflow, scenario, replication, scenario.seed, **options)


@dataclass(frozen=True)
class Summary:
    """Replications of one measure: mean and a 95% interval for the mean."""

    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Summary:
        """Mean and t-interval (normal for n ≥ 30) of finite values."""
        xs = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
        if len(xs) == 0:
            return cls(math.nan, math.nan, math.nan)
        mean = float(xs.mean())
        if len(xs) < 2:
            return cls(mean, mean, mean)
        t = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57, 8: 2.36, 10: 2.26, 20: 2.09}
        n = len(xs)
        factor = t.get(n, 2.0 if n >= 30 else 2.2)
        half = factor * float(xs.std(ddof=1)) / math.sqrt(n)
        return cls(mean, mean - half, mean + half)


def england_years(
    years: Sequence[int], replications: int, scale: float, jobs: int
) -> dict[int, dict[str, Summary]]:
    """Each year simulated from its inputs, ``replications`` times, summarised per measure."""
    rows = published.load()
    base = base_scenario()
    tasks = [
        _task(
            published.year_scenario(base, rows, year), r, scale=scale, measure="dfe", years=(year,)
        )
        for year in years
        for r in range(replications)
    ]
    results = _replications(tasks, jobs)
    counts = {m.column for m in MEASURES if m.relative}
    out: dict[int, dict[str, Summary]] = {}
    for year in years:
        runs = [
            {k: v / scale if k in counts else v for k, v in _of_year(res, year).items()}
            for task, res in zip(tasks, results, strict=True)
            if task.years == (year,)
        ]
        out[year] = {m.column: Summary.of(r[m.column] for r in runs) for m in MEASURES}
    return out


def _of_year(found: Mapping[str, float], year: int) -> dict[str, float]:
    """The DfE measures of one year, by name (a task names them ``measure@year``)."""
    suffix = f"@{year}"
    return {k.removesuffix(suffix): v for k, v in found.items() if k.endswith(suffix)}


def _fmt(value: float, relative: bool) -> str:
    if math.isnan(value):
        return "—"
    return f"{value:,.0f}" if relative else f"{value:.1f}"


def verdict(measure: Measure, published_value: float, model: Summary) -> str:
    """Within tolerance (✓), outside (✗), or nothing to compare (withheld or suppressed)."""
    if math.isnan(published_value) or math.isnan(model.mean):
        return "withheld" if math.isnan(published_value) else "—"
    gap = model.mean - published_value
    if measure.relative:
        ok = abs(gap) <= measure.tolerance * published_value
    else:
        ok = abs(gap) <= measure.tolerance
    return "✓" if ok else "✗"


def england_table(results: Mapping[int, Mapping[str, Summary]]) -> str:
    """Markdown: one row per measure and year, published beside simulated."""
    rows = published.load()
    lines = [
        "| measure | year | published | model (95% interval) | gap | within tolerance | role |",
        "|---|---|---:|---:|---:|:---:|---|",
    ]
    for measure in MEASURES:
        for year, found in results.items():
            value = published.england(rows, year).get(measure.column)
            model = found[measure.column]
            rel = measure.relative
            gap = model.mean - value
            if rel and not math.isnan(gap):
                gap_text = f"{100 * gap / value:+.1f}%"
            else:
                gap_text = "—" if math.isnan(gap) else f"{gap:+.1f}"
            role = measure.role
            if measure.fitted and year in CALIBRATION_YEARS:
                role = "calibration"
            elif role == "prediction" and year in CALIBRATION_YEARS and not measure.relative:
                role = "prediction (calibration year)"
            if year == 2025 and math.isnan(value):
                role = "the withheld test: model's prediction"
            tol = f"±{100 * measure.tolerance:.0f}%" if rel else f"±{measure.tolerance:g}"
            lines.append(
                f"| {measure.title} | {year} | {_fmt(value, rel)} | {_fmt(model.mean, rel)} "
                f"({_fmt(model.low, rel)}–{_fmt(model.high, rel)}) | {gap_text} | "
                f"{verdict(measure, value, model)} {tol} | {role} |"
            )
    return "\n".join(lines)


def default_jobs() -> int:
    """Worker processes: the machine's cores."""
    return max(1, os.cpu_count() or 1)


# --- sensitivity: what staffing and demand do ----------------------------------------------------

#: Child protection headcount and demand multipliers of the sensitivity table.
HEADCOUNTS: tuple[float, ...] = (0.8, 0.9, 1.0, 1.1)
DEMANDS: tuple[float, ...] = (1.0, 1.15, 1.3)


def scenario_with(
    base: Mapping[str, Any], team: str, headcount: float, demand: float
) -> dict[str, Any]:
    """``base`` (a scenario as data, its parents merged) with one team's headcount and demand scaled."""
    out = dict(base)
    teams = {k: dict(v) for k, v in out["teams"].items()}
    teams[team]["headcount"] = teams[team]["headcount"] * headcount
    out["teams"] = teams
    d = dict(out["demand"])
    for key in ("contacts_per_week", "referrals_per_week"):
        if d.get(key) is not None:
            d[key] = d[key] * demand
    out["demand"] = d
    out["id"] = f"{out['id']}-staff-{round(100 * headcount)}-demand-{round(100 * demand)}"
    return out


def merged_scenario(name: str) -> dict[str, Any]:
    """A shipped scenario as data with everything it extends merged in."""
    from casejourney.spec.scenario import _merge

    data = base_scenario(name)
    while isinstance(data.get("extends"), str):
        parent = base_scenario(data.pop("extends"))
        grand = parent.pop("extends", None)
        data = _merge(parent, data)
        if grand is not None:
            data["extends"] = grand
    return data


def sensitivity_measures(log: EventLog, snapshots: Snapshots, frame: Frame) -> dict[str, float]:
    """What the sensitivity table reads from one replication (a ``runner`` task's ``extract``)."""
    from casejourney import metrics

    found = metrics.measure(log, snapshots, frame)
    out: dict[str, float] = {}
    for metric, subject, week, value in zip(
        found.metric, found.subject, found.week, found.value, strict=True
    ):
        if week == -1 and metric in ("standard.on_time_pct", "standard.due"):
            out[f"{metric}:{subject}"] = value
        if week == -1 and metric == "team.utilisation_pct":
            out[f"{metric}:{subject}"] = value
    first, last = frame.report_start, frame.end - 1
    wd = dfe.icpc_working_days(log, frame.grid, first, last)
    out["dfe.icpc_within_15wd_pct"] = 100 * float((wd <= 15).mean()) if len(wd) else math.nan
    subjects = np.asarray(snapshots.subject)
    measures = np.asarray(snapshots.measure)
    for team in frame.teams:
        held = snapshots.value[(subjects == f"team:{team}") & (measures == "cases_held")]
        servers = snapshots.value[(subjects == f"team:{team}") & (measures == "servers")]
        waiting = snapshots.value[(subjects == f"team:{team}") & (measures == "unallocated")]
        out[f"caseload:{team}"] = float((held / np.maximum(servers, 1)).mean())
        out[f"unallocated:{team}"] = float(waiting.mean())
    return out


def sensitivity(
    scenario: str, team: str, replications: int, jobs: int, weeks: int | None = None
) -> dict[tuple[float, float], dict[str, Summary]]:
    """Every (headcount, demand) pair, ``replications`` times (common random numbers).

    ``weeks``: the reported period, if shorter than the scenario's.
    """
    base = merged_scenario(scenario)
    cells = [(h, d) for h in HEADCOUNTS for d in DEMANDS]
    horizon = None if weeks is None else 7 * weeks
    tasks = [
        _task(
            scenario_with(base, team, h, d),
            r,
            horizon_days=horizon,
            measure="custom",
            extract=sensitivity_measures,
        )
        for h, d in cells
        for r in range(replications)
    ]
    results = _replications(tasks, jobs)
    out: dict[tuple[float, float], dict[str, Summary]] = {}
    for i, cell in enumerate(cells):
        runs = results[i * replications : (i + 1) * replications]
        keys = sorted(set().union(*runs))
        out[cell] = {k: Summary.of(r.get(k, math.nan) for r in runs) for k in keys}
    return out


def baseline_load(cells: Mapping[tuple[float, float], Mapping[str, Summary]]) -> str:
    """Markdown: each team's utilisation at the baseline cell, and what it means at capacity.

    Work with a due date comes first; casework takes the hours left. A team at (nearly) all of
    its hours is one whose casework does not fit: the shortfall is carried as backlog, and the
    table's answers are those of an authority whose casework outruns its staff.
    """
    base = cells.get((1.0, 1.0), {})
    load = {
        key.split(":", 1)[1]: summary.mean
        for key, summary in sorted(base.items())
        if key.startswith("team.utilisation_pct:") and not math.isnan(summary.mean)
    }
    if not load:
        return ""
    shown = ", ".join(f"{team} {value:.0f}%" for team, value in load.items())
    full = [team for team, value in load.items() if value >= 98]
    text = f"At the baseline (×1, ×1), the teams' mean utilisation over the year: {shown}."
    if full:
        text += (
            f" **{', '.join(full)} at capacity:** visits, meetings and reports with a due date "
            "come first, and the casework of the cases they hold takes the hours left; what "
            "does not fit is carried as backlog (`team.casework_backlog_hours`). These are the "
            "answers of an authority whose casework outruns its staff: its workload is not yet "
            "fitted to its own published figures."
        )
    return text


def main_standards(
    results: Mapping[tuple[float, float], Mapping[str, Summary]], n: int
) -> list[str]:
    """The ``n`` standards with most instances due in the baseline cell."""
    baseline = results[(1.0, 1.0)]
    due = {
        k.split(":", 1)[1]: s.mean
        for k, s in baseline.items()
        if k.startswith("standard.due:") and not math.isnan(s.mean)
    }
    return sorted(due, key=lambda sid: -due[sid])[:n]


def sensitivity_table(
    results: Mapping[tuple[float, float], Mapping[str, Summary]],
    team: str,
    standards: Sequence[str],
    titles: Mapping[str, str],
) -> str:
    """Markdown: one row per cell, % on time for each standard with its 95% interval."""
    columns = ["dfe.icpc_within_15wd_pct", *(f"standard.on_time_pct:{s}" for s in standards)]
    names = ["ICPC ≤ 15 wd of s47 start (DfE)", *(titles.get(s, s) for s in standards)]
    head = (
        f"| {team} headcount | demand | {team} cases per worker | unallocated | "
        + " | ".join(names)
        + " |"
    )
    lines = [head, "|" + "---:|" * (4 + len(columns))]
    for (h, d), found in results.items():
        cells = []
        for key in columns:
            s = found.get(key)
            cells.append(
                "—"
                if s is None or math.isnan(s.mean)
                else f"{s.mean:.1f} ({s.low:.1f}–{s.high:.1f})"
            )
        load = found.get(f"caseload:{team}")
        waiting = found.get(f"unallocated:{team}")
        lines.append(
            f"| ×{h:g} | ×{d:g} | {load.mean:.1f} | {waiting.mean:.0f} | "
            + " | ".join(cells)
            + " |"
            if load and waiting
            else f"| ×{h:g} | ×{d:g} | — | — | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def monotonicity(
    results: Mapping[tuple[float, float], Mapping[str, Summary]], keys: Sequence[str]
) -> list[str]:
    """Where more staff made a measure worse, or more demand better, beyond the intervals.

    Compares neighbouring cells (headcount at a fixed demand; demand at a fixed headcount): a
    change counts only when the two 95% intervals do not overlap. An empty list: monotone.
    """
    found = []
    for key in keys:
        for d in DEMANDS:
            for low, high in itertools.pairwise(HEADCOUNTS):
                a, b = results[(low, d)].get(key), results[(high, d)].get(key)
                if a and b and b.high < a.low:
                    found.append(
                        f"{key}: staff ×{low:g} → ×{high:g} at demand ×{d:g}: {a.mean:.1f} → {b.mean:.1f}"
                    )
        for h in HEADCOUNTS:
            for low, high in itertools.pairwise(DEMANDS):
                a, b = results[(h, low)].get(key), results[(h, high)].get(key)
                if a and b and b.low > a.high:
                    found.append(
                        f"{key}: demand ×{low:g} → ×{high:g} at staff ×{h:g}: {a.mean:.1f} → {b.mean:.1f}"
                    )
    return found


@dataclass(frozen=True)
class Slope:
    """A least-squares slope with its 95% interval, from ``n`` points."""

    value: float
    low: float
    high: float
    n: int

    @classmethod
    def fit(cls, x: Sequence[float], y: Sequence[float]) -> Slope:
        """The slope of ``y`` on ``x`` (NaN with fewer than three points)."""
        xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        n = len(xs)
        if n < 3 or float(np.ptp(xs)) == 0.0:
            return cls(math.nan, math.nan, math.nan, n)
        dx = xs - xs.mean()
        b = float((dx * (ys - ys.mean())).sum() / (dx * dx).sum())
        resid = ys - ys.mean() - b * dx
        se = math.sqrt(float((resid * resid).sum()) / (n - 2) / float((dx * dx).sum()))
        return cls(b, b - 1.96 * se, b + 1.96 * se, n)


#: Year pairs whose changes measure how timeliness moves with load (the calibration era only).
LOAD_PAIRS: tuple[tuple[int, int], ...] = ((2021, 2022), (2022, 2023))


def published_load_response(
    rows: Sequence[published.Row], pairs: Sequence[tuple[int, int]] = LOAD_PAIRS
) -> dict[tuple[int, int], Slope]:
    """Within each authority, year on year: points of ICPC timeliness per unit of log load.

    Load is referrals per case-holding social worker (FTE). Each authority with both years'
    figures is a point: x the change in log load, y the change in % of ICPCs within 15 working
    days. The slope says how much timeliness an authority lost when its load rose.
    """
    by = {(r.code, r.year): r for r in rows if r.code != published.ENGLAND}
    out = {}
    for a, b in pairs:
        xs, ys = [], []
        for (code, year), now in by.items():
            then = by.get((code, a))
            if year != b or then is None:
                continue
            values = [
                then.get("icpc_within_15wd_pct"),
                now.get("icpc_within_15wd_pct"),
                then.get("referrals") / then.get("sw_case_holders_fte"),
                now.get("referrals") / now.get("sw_case_holders_fte"),
            ]
            if any(math.isnan(v) or math.isinf(v) for v in values) or min(values[2:]) <= 0:
                continue
            xs.append(math.log(values[3] / values[2]))
            ys.append(values[1] - values[0])
        out[(a, b)] = Slope.fit(xs, ys)
    return out


def model_load_response(
    cells: Mapping[tuple[float, float], Mapping[str, Summary]],
) -> dict[str, Slope]:
    """The sensitivity table's answer to the same question, from its cell means.

    ``demand``: ICPC timeliness on log demand at the baseline headcount; ``staff``: on minus log
    child protection headcount at the baseline demand (fewer staff, more load per worker).
    """
    key = "dfe.icpc_within_15wd_pct"

    def point(cell: tuple[float, float]) -> float:
        found = cells.get(cell, {}).get(key)
        return found.mean if found is not None else math.nan

    demand = [(math.log(d), point((1.0, d))) for d in DEMANDS]
    staff = [(-math.log(h), point((h, 1.0))) for h in HEADCOUNTS]
    out = {}
    for name, found in (("demand", demand), ("staff", staff)):
        ok = [(x, y) for x, y in found if not math.isnan(y)]
        out[name] = Slope.fit([x for x, _ in ok], [y for _, y in ok])
    return out


def load_response_table(
    rows: Sequence[published.Row], cells: Mapping[tuple[float, float], Mapping[str, Summary]]
) -> str:
    """Markdown: how ICPC timeliness moves with load, published beside the model."""

    def fmt(s: Slope) -> str:
        if math.isnan(s.value):
            return "—"
        return f"{s.value:+.1f} ({s.low:+.1f} to {s.high:+.1f})"

    lines = [
        "| source | what changes | points per unit of log load (95% interval) | points "
        "for +15% load | from |",
        "|---|---|---:|---:|---|",
    ]
    for (a, b), s in published_load_response(rows).items():
        lines.append(
            f"| published, within authorities | referrals per case-holding social worker, "
            f"{a} → {b} | {fmt(s)} | {s.value * math.log(1.15):+.1f} | {s.n} authorities |"
        )
    model = model_load_response(cells)
    lines.append(
        f"| model, Liverpool | demand ×{DEMANDS[0]:g}–×{DEMANDS[-1]:g} (all teams' work) | "
        f"{fmt(model['demand'])} | {model['demand'].value * math.log(1.15):+.1f} | "
        f"{len(DEMANDS)} cells |"
    )
    lines.append(
        f"| model, Liverpool | child protection headcount ×{HEADCOUNTS[-1]:g}–×{HEADCOUNTS[0]:g} | "
        f"{fmt(model['staff'])} | {model['staff'].value * math.log(1.15):+.1f} | "
        f"{len(HEADCOUNTS)} cells |"
    )
    return "\n".join(lines)
