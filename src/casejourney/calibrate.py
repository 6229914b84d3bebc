"""Fit the parameters no publication gives to published targets, with a noisy simulator.

A scenario's ``calibrate:`` block names numbers in it (dotted paths) with ranges; a targets file
gives published figures (measure, value, year, source) the simulation should reproduce, measured
with the DfE's definitions (``casejourney.dfe``). Each trial sets the parameters, runs the scenario
``replications`` times with the *same* seeds every trial (common random numbers: two trials differ
by their parameters, not by luck), and scores the replications' means against the targets::

    loss = Σ ((simulated mean − target) / σ)²,   σ² = (standard error of the mean)² + floor²

with a floor per kind of measure (1 point for percentages, half a working day for quartiles, 1% of
the target for counts), so that a target the simulation reproduces within its own noise counts as
met. The optimiser is Optuna's TPE sampler (seeded): a Bayesian optimiser built for expensive,
noisy objectives with bounded, mixed parameters, well kept and widely used; see docs/calibration.md
for why it was chosen over alternatives.

Each parameter's **uncertainty** is bracketed by the trials: those whose loss is within 3.84 (the
95% point of χ² with one degree of freedom) of the best are accepted, and the range runs between
the nearest rejected values on either side (the bounds where none was rejected) — an approximate,
conservative 95% profile interval, as wide as the targets, the noise and the trials leave it.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import functools
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casejourney import dfe, runner
from casejourney.errors import CasejourneyError
from casejourney.runner import Task
from casejourney.spec import load_workflow
from casejourney.spec.resolve import Workflow
from casejourney.spec.scenario import ScenarioSpec
from casejourney.validation import MEASURES, Summary

#: What the model can measure for a DfE year (``dfe.measures``'s keys).
MEASURABLE: tuple[str, ...] = (
    "referrals",
    "s47_enquiries",
    "icpcs",
    "cp_plans_started",
    "started_to_be_looked_after",
    "ceased_to_be_looked_after",
    "cin_at_31_march",
    "cp_plans_at_31_march",
    "looked_after_at_31_march",
    "icpc_within_15wd_pct",
    "icpc_wd_p25",
    "icpc_wd_median",
    "icpc_wd_p75",
    "cp_plans_subsequent_pct",
    *(name for name, _ in dfe.CP_BANDS),
)

#: Counts are measured at the simulated scale and scaled back.
COUNTS = frozenset(m.column for m in MEASURES if m.relative) | {"referrals"}

#: 95% point of χ² with one degree of freedom: the profile interval's cut-off.
CHI2_95 = 3.84


def floor(measure: str, value: float) -> float:
    """The smallest σ a target is judged with: what is close enough, whatever the noise."""
    if measure in COUNTS:
        return max(1.0, 0.01 * abs(value))
    if measure.startswith("icpc_wd_"):
        return 0.5
    return 1.0


# --- targets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A published figure to reproduce."""

    measure: str
    value: float
    year: int  # the DfE year, by its end (2024: April 2023 to March 2024)
    source: str


def read_targets(path: Path) -> list[Target]:
    """Targets from a CSV file with columns measure, value, year, source.

    Raises:
        CasejourneyError: the file cannot be read, lacks a column, or a row names a measure the
            model cannot give or holds a value or year that is not a number (naming the line).

    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as problem:
        raise CasejourneyError(f"{path}: cannot read the targets ({problem.strerror})") from None
    reader = csv.DictReader(text.splitlines())
    missing = [
        c for c in ("measure", "value", "year", "source") if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise CasejourneyError(
            f"{path}:1: no column {', '.join(missing)}; a targets file has the columns "
            "measure,value,year,source"
        )
    out = []
    for line, row in enumerate(reader, start=2):
        measure = (row["measure"] or "").strip()
        if measure not in MEASURABLE:
            raise CasejourneyError(
                f"{path}:{line}: the model cannot measure '{measure}'; it measures "
                f"{', '.join(MEASURABLE)}"
            )
        try:
            value, year = float(row["value"]), int(row["year"])
        except (TypeError, ValueError):
            raise CasejourneyError(
                f"{path}:{line}: value '{row['value']}' and year '{row['year']}' must be numbers "
                "(year: the DfE year by its end, e.g. 2024)"
            ) from None
        if not math.isfinite(value):
            raise CasejourneyError(f"{path}:{line}: value must be a finite number")
        out.append(Target(measure, value, year, (row["source"] or "").strip()))
    if not out:
        raise CasejourneyError(f"{path}: no targets")
    return out


def write_targets(targets: Sequence[Target], path: Path) -> None:
    """Targets as a CSV file ``read_targets`` reads."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["measure", "value", "year", "source"])
        for t in targets:
            writer.writerow([t.measure, f"{t.value:g}", t.year, t.source])


# --- parameters ---------------------------------------------------------------------------------


def _walk(data: Any, path: str) -> tuple[Any, str]:
    """The mapping holding the last key of ``path``, and that key."""
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        if not isinstance(node, dict) or key not in node:
            raise KeyError(key)
        node = node[key]
    if not isinstance(node, dict) or keys[-1] not in node:
        raise KeyError(keys[-1])
    return node, keys[-1]


def get_number(data: Mapping[str, Any], path: str) -> float:
    """The number at a dotted path of a scenario (as ``ScenarioSpec.model_dump`` gives it)."""
    try:
        node, name = _walk(data, path)
    except KeyError as missing:
        raise CasejourneyError(
            f"calibrate.parameters.{path}: no '{missing.args[0]}' there in the scenario; name a "
            "number in it (a duration's number is its `.value`)"
        ) from None
    value = node[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CasejourneyError(
            f"calibrate.parameters.{path}: is {value!r}, not a number; name a number (a "
            "duration's is its `.value`, a distribution's its `mode`, `median` ...)"
        )
    return float(value)


def set_numbers(data: Mapping[str, Any], values: Mapping[str, float]) -> dict[str, Any]:
    """A copy of the scenario data with each dotted path set (as ``model_dump`` spells it)."""
    out = copy.deepcopy(dict(data))
    for path, value in values.items():
        node, name = _walk(out, path)
        node[name] = round(value) if isinstance(node[name], int) else value
    return out


def spec_with(data: Mapping[str, Any], values: Mapping[str, float]) -> ScenarioSpec:
    """The scenario with ``values`` set, checked (a combination that does not fit is an error)."""
    try:
        return ScenarioSpec.model_validate(set_numbers(data, values))
    except ValueError as problem:
        tried = ", ".join(f"{k}={v:g}" for k, v in values.items())
        raise CasejourneyError(
            f"the scenario does not hold together with {tried}: {problem}; narrow the ranges in "
            "its calibrate: block"
        ) from None


# --- running ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A scenario to run and the targets (in DfE years inside its simulated period) it should meet."""

    data: Mapping[str, Any]  # ScenarioSpec.model_dump(mode="json", by_alias=True)
    targets: tuple[Target, ...]

    @property
    def years(self) -> tuple[int, ...]:
        """The DfE years the targets describe."""
        return tuple(sorted({t.year for t in self.targets}))


def key(measure: str, year: int) -> str:
    """A measure of one year, as :func:`simulate_cases` names it."""
    return f"{measure}@{year}"


@functools.lru_cache(maxsize=8)
def _workflow(authority: str) -> Workflow:
    return load_workflow(authority)


def check_years(scenario: ScenarioSpec, targets: Sequence[Target], where: str) -> None:
    """Every target's DfE year lies inside the scenario's simulated period.

    Raises:
        CasejourneyError: naming the year and the period.

    """
    from casejourney.simulate import span_days

    calendar = load_workflow(scenario.authority).calendar
    warm = span_days(calendar, scenario.start, scenario.warm_up)
    first = scenario.start
    end = (
        first
        + dt.timedelta(days=warm)
        + dt.timedelta(days=span_days(calendar, first + dt.timedelta(days=warm), scenario.horizon))
    )
    for year in sorted({t.year for t in targets}):
        y = dfe.Year(year)
        if y.first < first or y.last >= end:
            raise CasejourneyError(
                f"{where}: targets for the year to March {year} ({y.first.isoformat()} to "
                f"{y.last.isoformat()}) are outside the scenario's simulated period "
                f"({first.isoformat()} to {(end - dt.timedelta(days=1)).isoformat()}); set its "
                "start and horizon to cover the year"
            )


def tasks(
    cases: Sequence[Case], values: Mapping[str, float], replications: int, scale: float
) -> list[list[Task]]:
    """Each case's replications with ``values`` set, as runner tasks (replication r: one seed)."""
    found = []
    for case in cases:
        spec = spec_with(case.data, values)
        workflow = _workflow(spec.authority)
        found.append(
            [
                Task(workflow, spec, r, spec.seed, scale, measure="dfe", years=case.years)
                for r in range(replications)
            ]
        )
    return found


def simulate_cases(
    cases: Sequence[Case],
    values: Mapping[str, float],
    replications: int,
    scale: float,
    executor: runner.Executor,
    store: runner.Store | None = None,
) -> list[list[dict[str, float]]]:
    """Each case's replications' measures with ``values`` set (replication r: the same seed).

    Counts are scaled back from ``scale``. With ``store``, replications finished before (by a
    calibration that was killed) are read, not run.
    """
    planned = tasks(cases, values, replications, scale)
    done = runner.run([t for ts in planned for t in ts], executor, store)
    return [[_scaled(done.results[t.key].values, scale) for t in ts] for ts in planned]


def _scaled(found: Mapping[str, float], scale: float) -> dict[str, float]:
    out = {}
    for name, value in found.items():
        measure = name.partition("@")[0]
        out[name] = value / scale if measure in COUNTS else value
    return out


@dataclass(frozen=True)
class Fit:
    """One target beside the simulation."""

    target: Target
    simulated: Summary

    @property
    def gap(self) -> float:
        """Simulated mean less the target."""
        return self.simulated.mean - self.target.value


def loss(
    cases: Sequence[Case], runs: Sequence[Sequence[Mapping[str, float]]]
) -> tuple[float, list[Fit]]:
    """The loss of one trial and each target's fit."""
    total, fits = 0.0, []
    for case, reps in zip(cases, runs, strict=True):
        for t in case.targets:
            xs = [r[key(t.measure, t.year)] for r in reps]
            xs = [x for x in xs if not math.isnan(x)]
            s = Summary.of(xs)
            fits.append(Fit(t, s))
            if not xs:
                total += 100.0  # nothing to measure (no ICPCs at all): a bad trial
                continue
            sd = (sum((x - s.mean) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 if len(xs) > 1 else 0
            sigma = math.hypot(sd / math.sqrt(len(xs)), floor(t.measure, t.value))
            total += ((s.mean - t.value) / sigma) ** 2
    return total, fits


@dataclass(frozen=True)
class Result:
    """A calibration: the best values, their ranges, the fit, and every trial."""

    best: dict[str, float]
    ranges: dict[str, tuple[float, float]]
    fits: list[Fit]
    loss: float
    trials: list[tuple[dict[str, float], float]]


def calibrate(
    cases: Sequence[Case],
    parameters: Mapping[str, Any],
    *,
    trials: int,
    replications: int,
    scale: float = 1.0,
    jobs: int = 1,
    seed: int = 20260401,
    progress: Callable[[int, float, float], None] | None = None,
    scheduler: str | None = None,
    store: Path | None = None,
) -> Result:
    """Fit ``parameters`` (path → CalibrateParameter) to the cases' targets.

    The replications run through ``casejourney.runner``: here, in ``jobs`` processes, or on the
    Dask ``scheduler`` (an address, or ``"local"``). With ``store``, each finished replication is
    kept there as it ends; a calibration that was killed, run again with the same arguments,
    reads them back instead of running them (the seeded optimiser asks for the same trials in
    the same order), and ends with the same result.

    Raises:
        CasejourneyError: a parameter names no number in a scenario, or a target's year is not
            inside its scenario's simulated period.

    """
    import optuna

    for case in cases:
        for path in parameters:
            get_number(case.data, path)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=max(5, min(10, trials // 3)), multivariate=True
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    # start from the scenario's own values: the first trial is the uncalibrated scenario
    first = {p: get_number(cases[0].data, p) for p in parameters}
    if all(spec.low <= first[p] <= spec.high for p, spec in parameters.items()):
        study.enqueue_trial(first)
    history: list[tuple[dict[str, float], float, list[Fit]]] = []
    kept = None if store is None else runner.Store(store)
    with runner.using(jobs, scheduler) as run:

        def objective(trial: optuna.Trial) -> float:
            values = {
                p: float(trial.suggest_int(p, int(s.low), int(s.high)))
                if s.integer
                else trial.suggest_float(p, s.low, s.high)
                for p, s in parameters.items()
            }
            runs = simulate_cases(cases, values, replications, scale, run, kept)
            value, fits = loss(cases, runs)
            history.append((values, value, fits))
            if progress:
                progress(len(history), value, min(h[1] for h in history))
            return value

        study.optimize(objective, n_trials=trials)
    best_values, best_loss, best_fits = min(history, key=lambda h: h[1])
    ranges = {p: _bracket(history, p, best_loss, parameters[p]) for p in parameters}
    return Result(best_values, ranges, best_fits, best_loss, [(v, x) for v, x, _ in history])


def _bracket(
    history: Sequence[tuple[Mapping[str, float], float, Any]], p: str, best: float, spec: Any
) -> tuple[float, float]:
    """The values of ``p`` between the nearest trials outside the 95% cut, on either side.

    Trials within ``CHI2_95`` of the best loss are accepted; the range runs from the nearest
    rejected value below the accepted ones to the nearest above (the parameter's bounds when
    none was rejected there): the sampled trials cannot say the truth is nearer than that.
    """
    accepted = [v[p] for v, loss, _ in history if loss <= best + CHI2_95]
    rejected = [v[p] for v, loss, _ in history if loss > best + CHI2_95]
    low, high = min(accepted), max(accepted)
    below = [x for x in rejected if x < low]
    above = [x for x in rejected if x > high]
    return (max(below) if below else spec.low, min(above) if above else spec.high)


def trials_folder(fitted: Path) -> Path:
    """Where a calibration that writes ``fitted`` keeps its finished replications as it runs."""
    return fitted.with_name(f".{fitted.name}.trials")


def forget(folder: Path) -> None:
    """Remove the replications a finished calibration kept (only files it wrote, by name)."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for entry in folder.iterdir():
        if entry.is_file() and re.fullmatch(r"[0-9a-f]{32}\.json|\..+\.tmp-\d+", entry.name):
            entry.unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()  # unless something else is in it


def default_jobs() -> int:
    """Worker processes: the machine's cores."""
    return max(1, os.cpu_count() or 1)


# --- the fitted scenario ------------------------------------------------------------------------


def set_in_raw(raw: dict[str, Any], dumped: Mapping[str, Any], path: str, value: float) -> None:
    """Set a dotted path in a scenario file's own data (which may spell a duration as text)."""
    keys = path.split(".")
    node: Any = raw
    full: Any = dumped
    for i, name in enumerate(keys[:-1]):
        full = full[name]
        if not isinstance(node.get(name), dict):
            if isinstance(node.get(name), str | int | float):  # "2 working days", or 5 (hours)
                node[name] = copy.deepcopy(dict(full))
            else:
                node[name] = {}
        node = node[name]
        del i
    last = keys[-1]
    node[last] = round(value) if isinstance(full[last], int) else round(value, 4)


def fitted_text(
    scenario_path: Path,
    dumped: Mapping[str, Any],
    result: Result,
    parameters: Mapping[str, Any],
    targets_path: Path,
    marker: str,
) -> str:
    """The scenario file with the fitted values, each with its range as a comment."""
    from casejourney.frompublished import Built, to_yaml
    from casejourney.spec.yamlsafe import read_yaml

    doc, findings = read_yaml(scenario_path)
    if doc is None or not isinstance(doc.data, dict):
        raise CasejourneyError(f"{scenario_path}: cannot read it again ({findings})")
    raw = copy.deepcopy(dict(doc.data))
    notes: dict[tuple[str, ...], str] = {}
    for path, value in result.best.items():
        set_in_raw(raw, dumped, path, value)
        low, high = result.ranges[path]
        unit = parameters[path].unit
        notes[tuple(path.split("."))] = (
            f"calibrated to {targets_path.name}: 95% range {low:.4g}–{high:.4g}"
            + (f" {unit}" if unit else "")
            + f" (tried {parameters[path].low:g}–{parameters[path].high:g})"
        )
    kept = []
    for line in scenario_path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        kept.append(line.lstrip("# ").rstrip())
    head = [
        f"calibrated from {scenario_path.name} against {targets_path.name}: "
        f"{len(result.trials)} trials, loss {result.loss:.2f}",
        "fit (target, simulated mean and 95% interval, gap):",
        *(
            f"  {f.target.measure} {f.target.year}: {f.target.value:g} | "
            f"{f.simulated.mean:.4g} ({f.simulated.low:.4g}–{f.simulated.high:.4g}) | "
            f"{f.gap:+.3g}"
            for f in result.fits
        ),
        *(["the original file's head:", *(f"  {line}" for line in kept)] if kept else []),
    ]
    return to_yaml(Built(raw, notes, head, []), marker)


def fit_rows(result: Result) -> list[dict[str, Any]]:
    """The fit table as rows (target, simulated mean and 95% interval, gap)."""
    return [
        {
            "measure": f.target.measure,
            "year": f.target.year,
            "target": f.target.value,
            "simulated_mean": round(f.simulated.mean, 4),
            "low": round(f.simulated.low, 4),
            "high": round(f.simulated.high, 4),
            "gap": round(f.gap, 4),
            "source": f.target.source,
        }
        for f in result.fits
    ]
