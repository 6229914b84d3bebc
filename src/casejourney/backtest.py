"""Back-tests: calibrate an authority on some years' published outcomes, predict a later year.

The calibration years are each simulated from their own published inputs
(``frompublished.build``) with the same behavioural parameters (``PARAMETERS``), fitted jointly to
those years' published outcomes. The predicted year is then simulated from *its* published inputs
(demand, workforce, the stocks on 31 March before it) with the fitted parameters, and its outcomes
are set beside the published ones where the data has them. The year to March 2025's timeliness
and duration columns are withheld from the data on purpose: its predictions stay unscored.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from casejourney import calibrate, frompublished, published, runner
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
    scheduler: str | None = None  # a Dask scheduler's address, or "local" (else ``jobs`` processes)


#: England is simulated as this share of its 153 areas unless told otherwise.
ENGLAND_SCALE = 0.02


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
    store: Path | None = None,
) -> dict[str, Any]:
    """The back-test, as the JSON the command prints (keys fixed), with ``fitted`` values added.

    With ``store``, each finished replication is kept there (``calibrate.calibrate``), so a
    back-test that was killed resumes, with the same answer.

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
        scheduler=settings.scheduler,
        store=store,
    )
    case = calibrate.Case(
        target_data, tuple(calibrate.Target(m, 0.0, predict, "") for m in PREDICTED)
    )
    with runner.using(settings.jobs, settings.scheduler) as executor:
        runs = calibrate.simulate_cases(
            [case],
            result.best,
            2 * settings.replications,
            scale,
            executor,
            None if store is None else runner.Store(store),
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


# --- the back-test section of docs/validation.md ----------------------------------------------

#: The back-tests the validation page shows: (authority, calibration years, predicted year).
VALIDATION_RUNS: tuple[tuple[str, tuple[int, ...], int], ...] = (
    ("Knowsley", (2022, 2023), 2024),
    ("Coventry", (2022, 2023), 2024),
    ("england", (2022, 2023), 2024),
    ("Liverpool", (2022, 2023), 2024),
    ("Barnet", (2022, 2023), 2024),
    ("england", (2023, 2024), 2025),
    ("Knowsley", (2023, 2024), 2025),
    ("Coventry", (2023, 2024), 2025),
    ("Liverpool", (2023, 2024), 2025),
    ("Barnet", (2023, 2024), 2025),
)

#: The page's settings (a smoke run with ``quick``).
VALIDATION_SETTINGS = Settings(trials=8, replications=2)
QUICK_SETTINGS = Settings(trials=2, replications=2, scale=0.1)


def cache_dir() -> Path:
    """Where finished back-tests are kept between runs of the validation script."""
    return Path(tempfile.gettempdir()) / "casejourney-backtests"


def cached_run(
    authority: str,
    years: Sequence[int],
    predict: int,
    settings: Settings,
    *,
    run_missing: bool = True,
) -> dict[str, Any] | None:
    """:func:`run`, kept in :func:`cache_dir` by its arguments and the code's version.

    ``run_missing`` false: None for a back-test not in the cache, instead of running it.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:  # not `casejourney.__version__`: the package's top imports the report layer above this
        __version__ = version("casejourney")
    except PackageNotFoundError:
        __version__ = "0.0.0+unknown"

    name = "-".join(
        str(x)
        for x in (
            authority.lower(),
            *years,
            predict,
            settings.trials,
            settings.replications,
            settings.scale,
            settings.seed,
            __version__,
            _code_stamp(),
        )
    )
    path = cache_dir() / f"{name}.json"
    if path.is_file():
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return found
    if not run_missing:
        return None
    kept = cache_dir() / f".{name}.trials"  # a killed back-test resumes from its replications
    answer = run(authority, years, predict, settings, store=kept)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(f".tmp-{os.getpid()}")
    staging.write_text(json.dumps(answer), encoding="utf-8")
    staging.replace(path)
    calibrate.forget(kept)
    return answer


#: Bump when what a back-test computes changes (the cache keeps answers by it).
CACHE_VERSION = 2  # 2: chairs sized by the year's conferences; assessment triage


def _code_stamp() -> str:
    """A short hash of what a back-test's answer is built from.

    The published data, what is fitted and to what, :data:`CACHE_VERSION` (bumped when the
    scenario builder or the calibration change what they compute), and the files a changed
    answer most often comes from: the engine's source, the national baseline every scenario is
    built from, and the authorities' own additions (``data/local/``). A cached answer from
    before any of them changed is not reused.
    """
    import hashlib

    from casejourney.spec import workflows_dir

    digest = hashlib.sha256()
    digest.update(published.data_file().read_bytes())
    digest.update(repr((PARAMETERS, TARGETS, PREDICTED, CACHE_VERSION)).encode())
    root = workflows_dir().parent
    sources = sorted((Path(__file__).parent / "engine").glob("*.py"))
    sources += [root / "scenarios" / "national-baseline.yaml"]
    sources += sorted((root / "data" / "local").glob("*.yaml"))
    for source in sources:
        if source.is_file():
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:10]


def section(*, quick: bool = False, jobs: int = 1, run_missing: bool = True) -> str:
    """Markdown: every back-test of ``VALIDATION_RUNS``, predictions beside published outcomes.

    ``run_missing`` false: only the back-tests already finished (cached); the rest are listed as
    not run.
    """
    base = QUICK_SETTINGS if quick else VALIDATION_SETTINGS
    settings = Settings(base.trials, base.replications, base.scale, jobs, base.seed)
    answers, missing = [], []
    for a, years, p in VALIDATION_RUNS:
        found = cached_run(a, years, p, settings, run_missing=run_missing)
        if found is None:
            missing.append(f"{a} ({'–'.join(str(y) for y in years)} → {p})")
        else:
            answers.append(found)
    return section_text(answers, settings, missing)


def section_text(
    answers: Sequence[Mapping[str, Any]], settings: Settings, missing: Sequence[str] = ()
) -> str:
    """The back-test section from finished back-tests."""
    lines = [
        "| authority | calibrated on | year | measure | predicted (95% interval) | published | "
        "error | within ±5 points |",
        "|---|---|---|---|---:|---:|---:|:---:|",
    ]
    scored: list[tuple[str, bool]] = []
    for a in answers:
        years = "–".join(str(y) for y in a["calibrated_on"])
        for m in PREDICTED:
            p, seen, gap = a["predicted"][m], a["observed"][m], error(a, m)
            unit = "%" if m.endswith("_31_march") else (" pts" if m.endswith("pct") else " days")
            verdict = ""
            if m == "icpc_within_15wd_pct" and gap is not None:
                ok = abs(gap) <= 5
                verdict = "✓" if ok else "✗"
                scored.append((a["authority"], ok))
            elif m == "icpc_within_15wd_pct":
                verdict = "withheld" if a["year"] == 2025 else "not published"
            lines.append(
                f"| {a['authority']} | {years} | {a['year']} | {_TITLES[m]} | "
                + (
                    "—"
                    if p["mean"] is None
                    else f"{p['mean']:,.1f} ({p['low']:,.1f}–{p['high']:,.1f})"
                )
                + " | "
                + ("—" if seen is None else f"{seen:,.1f}")
                + " | "
                + ("—" if gap is None else f"{gap:+.1f}{unit}")
                + f" | {verdict} |"
            )
    fitted = [
        "| authority | calibrated on | "
        + " | ".join(p.split(".", 1)[1] for p in PARAMETERS)
        + " |",
        "|---|---|" + "---:|" * len(PARAMETERS),
    ]
    for a in answers:
        years = "–".join(str(y) for y in a["calibrated_on"])
        cells = [
            f"{a['fitted'][p]['value']:.3g} ({a['fitted'][p]['low']:.3g}–{a['fitted'][p]['high']:.3g})"
            for p in PARAMETERS
        ]
        fitted.append(f"| {a['authority']} | {years} | " + " | ".join(cells) + " |")
    hits = sum(ok for _, ok in scored)
    summary = (
        f"ICPCs within 15 working days, scored back-tests: **{hits} of {len(scored)} within ±5 "
        "points** (" + ", ".join(f"{who} {'✓' if ok else '✗'}" for who, ok in scored) + ")."
        if scored
        else "No back-test could be scored for ICPC timeliness."
    )
    return BACKTEST_SECTION.format(
        trials=settings.trials,
        reps=settings.replications,
        england_scale=settings.scale or ENGLAND_SCALE,
        authority_scale=settings.scale or 1.0,
        table="\n".join(lines),
        fitted="\n".join(fitted),
        summary=summary
        + (
            "\n\nNot run for this page (machine time): " + ", ".join(missing) + "."
            if missing
            else ""
        ),
    )


_TITLES = {
    "icpc_within_15wd_pct": "ICPCs within 15 working days, %",
    "icpc_wd_median": "working days to ICPC, median",
    "cp_plans_at_31_march": "CP plans at 31 March",
    "looked_after_at_31_march": "looked after at 31 March",
    "cin_at_31_march": "children in need at 31 March",
}

BACKTEST_SECTION = """## Back-tests: calibrate on earlier years, predict a later one

Generated by `casejourney.backtest.section` (the same as `casejourney backtest --authority NAME
--calibrate-on 2022 --calibrate-on 2023 --predict 2024 --trials {trials} --replications {reps}`).
Each authority's calibration years are simulated from their own published inputs
(`casejourney scenario from-published`), and six behaviours no publication gives (conference
booking margin, family-unavailable adjournments; the s47 enquiry's, CP plan's, looked-after and
child-in-need stays) are fitted jointly to those years' published outcomes with Optuna ({trials}
trials of {reps} replications, common random numbers). The predicted year then runs from *its*
published inputs (demand, workforce, the stocks on 31 March before it) with the fitted behaviour:
{reps}×2 replications, 95% intervals for the mean. Authorities are simulated whole (scale
{authority_scale:g}); England as {england_scale:g} of its 153 areas, counts scaled back. Errors are
in points (percentages), working days, or % of the published count (stocks). The year to March
2025's timeliness is withheld from the data on purpose: those rows are predictions, unscored.

{summary}

{table}

Fitted behaviour (value and 95% range; the range is as wide as {trials} trials and the noise leave
it, see docs/calibration.md):

{fitted}
"""


def write_section(
    page: Path, *, quick: bool = False, jobs: int = 1, run_missing: bool = True
) -> None:
    """Put :func:`section` into a generated page in place of its back-test section (or at its end).

    ``scripts/validate.py`` writes the whole page with this section; this refreshes only the
    section (from the cached back-tests) when the rest of the page need not be rerun.
    """
    text = page.read_text(encoding="utf-8")
    heading = BACKTEST_SECTION.splitlines()[0]
    kept = text.split(heading, 1)[0].rstrip("\n")
    new = kept + "\n\n" + section(quick=quick, jobs=jobs, run_missing=run_missing)
    staging = page.with_name(f".{page.name}.tmp-{os.getpid()}")
    staging.write_text(new, encoding="utf-8")
    staging.replace(page)
