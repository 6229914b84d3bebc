"""Back-tests: calibrate an authority on some years' published outcomes, predict a later year.

The calibration years are each simulated from their own published inputs
(``frompublished.build``) with the same behavioural parameters (``PARAMETERS``), fitted jointly to
those years' published outcomes. The predicted year is then simulated from *its* published inputs
(demand, workforce, the stocks on 31 March before it) with the fitted parameters, and its outcomes
are set beside the published ones where the data has them. The year to March 2025's timeliness
and duration columns are withheld from the data on purpose: its predictions stay unscored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from casejourney import calibrate, frompublished, published
from casejourney.errors import CasejourneyError
from casejourney.spec.scenario import CalibrateParameter, ScenarioSpec
from casejourney.validation import Summary

#: The outcomes a back-test predicts (the JSON's keys, in order).
PREDICTED: tuple[str, ...] = (
    "icpc_within_15wd_pct",
    "icpc_wd_median",
    "cp_plans_at_31_march",
    "looked_after_at_31_march",
    "cin_at_31_march",
)

#: What the calibration years are fitted to (where published for the authority).
TARGETS: tuple[str, ...] = (
    "icpc_within_15wd_pct",
    "icpc_wd_p25",
    "icpc_wd_median",
    "icpc_wd_p75",
    "cp_plans_at_31_march",
    "looked_after_at_31_march",
    "cin_at_31_march",
    "cp_open_3m_or_less_pct",
    "cp_open_6m_to_1y_pct",
    "cp_open_1_to_2y_pct",
)

#: The behaviour no publication gives, fitted in a back-test.
PARAMETERS: dict[str, CalibrateParameter] = {
    "meetings.cp_conferences.deadline.aim_before.mode": CalibrateParameter(
        low=0, high=3, unit="working_days"
    ),
    "meetings.cp_conferences.adjournments.family_unavailable": CalibrateParameter(
        low=0, high=0.15, unit="share of conferences"
    ),
    "stays.s47_enquiry.mode": CalibrateParameter(low=3, high=12, unit="working_days"),
    "stays.cp_plan.median": CalibrateParameter(low=15, high=50, unit="weeks"),
    "stays.looked_after.median": CalibrateParameter(low=40, high=160, unit="weeks"),
    "stays.cin_plan.median": CalibrateParameter(low=10, high=45, unit="weeks"),
}


@dataclass(frozen=True)
class Settings:
    """How hard a back-test looks."""

    trials: int = 30
    replications: int = 3  # per trial, and ×2 for the prediction
    scale: float | None = None  # None: 1 for an authority, ENGLAND_SCALE for England
    jobs: int = 1
    seed: int = 20260401


#: England is simulated as this share of its 153 areas unless told otherwise.
ENGLAND_SCALE = 0.04


def year_data(rows: list[published.Row], authority: str, year: int) -> dict[str, Any]:
    """The from-published scenario of ``year``, as ``ScenarioSpec.model_dump`` gives it."""
    built = frompublished.build(rows, authority, year)
    text = frompublished.to_yaml(built, "# back-test")
    spec = ScenarioSpec.model_validate(yaml.safe_load(text))
    return spec.model_dump(mode="json", by_alias=True)


def targets_of(row: published.Row, year: int) -> tuple[calibrate.Target, ...]:
    """The published outcomes of one authority's year (suppressed or withheld ones left out)."""
    return tuple(
        calibrate.Target(m, row.get(m), year, f"{row.name} {m} {year} (DfE)")
        for m in TARGETS
        if not math.isnan(row.get(m))
    )


def run(
    authority: str,
    calibrate_on: Sequence[int],
    predict: int,
    settings: Settings = Settings(),
    progress: Callable[[int, float, float], None] | None = None,
) -> dict[str, Any]:
    """The back-test, as the JSON the command prints (keys fixed), with ``fitted`` values added.

    Raises:
        CasejourneyError: unknown authority, a year outside the data, or the predicted year among
            the calibration years.

    """
    rows = published.load()
    who = frompublished.find_authority(rows, authority)
    years = sorted(set(calibrate_on))
    if not years:
        raise CasejourneyError("--calibrate-on: name at least one year")
    if predict in years:
        raise CasejourneyError(
            f"--predict {predict} is also a calibration year; a back-test predicts a year it was "
            "not fitted to"
        )
    scale = settings.scale or (ENGLAND_SCALE if who.is_england else 1.0)
    cases = []
    for year in years:
        data = year_data(rows, who.name, year)  # says which years can be built
        targets = targets_of(_row(rows, who.code, year), year)
        if not targets:
            raise CasejourneyError(
                f"{who.name}: no published outcomes for the year to March {year} to calibrate on"
            )
        cases.append(calibrate.Case(data, targets))
    target_data = year_data(rows, who.name, predict)  # checks the year before calibrating
    result = calibrate.calibrate(
        cases,
        PARAMETERS,
        trials=settings.trials,
        replications=settings.replications,
        scale=scale,
        jobs=settings.jobs,
        seed=settings.seed,
        progress=progress,
    )
    case = calibrate.Case(
        target_data, tuple(calibrate.Target(m, 0.0, predict, "") for m in PREDICTED)
    )
    with calibrate.runner(settings.jobs) as runner:
        runs = calibrate.simulate_cases(
            [case], result.best, 2 * settings.replications, scale, runner
        )[0]
    predicted = {}
    for m in PREDICTED:
        s = Summary.of(r[calibrate.key(m, predict)] for r in runs)
        predicted[m] = {"mean": _num(s.mean), "low": _num(s.low), "high": _num(s.high)}
    observed_row = _row(rows, who.code, predict)
    observed = {m: _num(observed_row.get(m)) for m in PREDICTED}
    return {
        "authority": who.name,
        "calibrated_on": years,
        "year": predict,
        "predicted": predicted,
        "observed": observed,
        "fitted": {
            p: {
                "value": round(v, 4),
                "low": round(result.ranges[p][0], 4),
                "high": round(result.ranges[p][1], 4),
                "unit": PARAMETERS[p].unit,
            }
            for p, v in result.best.items()
        },
        "fit": calibrate.fit_rows(result),
        "scale": scale,
    }


def public(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The back-test's JSON with exactly the documented keys."""
    keys = ("authority", "calibrated_on", "year", "predicted", "observed")
    return {k: answer[k] for k in keys}


def _row(rows: list[published.Row], code: str, year: int) -> published.Row:
    for row in rows:
        if row.code == code and row.year == year:
            return row
    raise CasejourneyError(f"no published figures for {code} in the year to March {year}")


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 2)


def error(answer: Mapping[str, Any], measure: str) -> float | None:
    """Predicted mean less observed (points or working days; a count's as a % of observed)."""
    mean = answer["predicted"][measure]["mean"]
    seen = answer["observed"][measure]
    if mean is None or seen is None:
        return None
    if measure.endswith("_31_march"):
        return float(100 * (mean - seen) / seen)
    return float(mean - seen)
