"""``scenario from-published``, ``calibrate`` and ``backtest``: authorities from DfE's published figures."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from casejourney.cli import SchedulerOption, app, err, out
from casejourney.cli.scenario import scenario_app

if TYPE_CHECKING:
    from casejourney.api import Calibration

#: ``backtest.ENGLAND_SCALE`` and ``calibrate.default_jobs()``, for the help text: said here so
#: that ``--help`` need not load the calibrator (``tests/test_cli_startup.py`` keeps them equal).
ENGLAND_SCALE = 0.02
DEFAULT_JOBS = max(1, os.cpu_count() or 1)


@scenario_app.command("from-published")
def from_published(
    authority: Annotated[
        str,
        typer.Option(
            "--authority",
            "-a",
            help="Authority as DfE names it (loosely: 'st helens', 'bristol'); 'england' for England.",
        ),
    ],
    year: Annotated[
        int,
        typer.Option(
            "--year",
            help="DfE year, by its end: 2024 is April 2023 to March 2024 (opening caseload: 31 "
            "March 2023).",
        ),
    ],
    path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Scenario file to write (default: AUTHORITY-YEAR-published.yaml here).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Build a scenario for any authority from DfE's published figures for one year.

    Demand (referrals; contacts assumed at two per referral), branch shares (no further action,
    assessed not in need, s47 enquiries per referral, ICPCs per enquiry, plans per ICPC, repeat
    plans), the open caseload from the previous 31 March's stocks with case history, and the
    workforce (caseload per FTE, vacancy, turnover, absence). Every number's source is a comment
    beside it; suppressed figures come from the region's median, else England's, and the file's
    head lists them. The authority's own rule file is used when workflows/ has one.
    """
    from casejourney.api import scenario_from_published

    built = scenario_from_published(authority, year, path)
    out.print(f"wrote {built.path} ({built.title}; rules: {built.authority})")
    for note in built.fallbacks:
        err.print(f"  {note}", markup=False)


@app.command("calibrate")
def calibrate_command(
    scenario: Annotated[
        str, typer.Argument(help="Scenario name or file, with a calibrate: block.")
    ],
    targets: Annotated[
        Path,
        typer.Option(
            "--targets",
            "-t",
            help="CSV of published targets: measure,value,year,source.",
            dir_okay=False,
        ),
    ],
    trials: Annotated[int, typer.Option("--trials", min=1, help="Parameter sets tried.")] = 40,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications",
            "-n",
            min=1,
            help="Replications per trial, the same seeds each trial (default: the block's).",
        ),
    ] = None,
    scale: Annotated[
        float,
        typer.Option(
            "--scale",
            min=0.001,
            max=1.0,
            help="Simulate this share of the scenario (counts are scaled back); quicker, noisier.",
        ),
    ] = 1.0,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: the cores).")
    ] = DEFAULT_JOBS,
    path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Fitted scenario to write (default: SCENARIO-calibrated.yaml beside it); the fit "
            "table goes beside it as -fit.csv.",
            dir_okay=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="The optimiser's seed.")] = 20260401,
    scheduler: SchedulerOption = None,
) -> None:
    """Fit a scenario's calibrate: parameters to published targets (Optuna, common random numbers).

    Each trial sets the parameters, runs the scenario --replications times with the same seeds
    as every other trial, and scores the means against the targets; the best trial is written
    as a scenario, with each parameter's 95% range, and the fit table (target, simulated mean
    and 95% interval, gap) beside it. A calibration that is killed keeps its finished
    replications beside the output (.NAME.trials): the same command again resumes it, with the
    same result. See docs/calibration.md.
    """
    from casejourney.api import calibrate_scenario

    def progress(done: int, loss: float, best: float) -> None:
        err.print(f"trial {done}/{trials}: loss {loss:.2f} (best {best:.2f})", markup=False)

    fitted = calibrate_scenario(
        scenario,
        targets,
        trials=trials,
        replications=replications,
        scale=scale,
        jobs=jobs,
        out=path,
        seed=seed,
        scheduler=scheduler,
        progress=progress,
    )
    _print_fit(fitted)
    out.print(f"wrote {fitted.path} and {fitted.fit_table}")


def _print_fit(fitted: Calibration) -> None:
    from rich.table import Table

    result = fitted.result
    table = Table(title="Fit: published targets beside the calibrated simulation")
    for name in ("measure", "year", "target", "simulated (95% interval)", "gap"):
        table.add_column(name, justify="left" if name == "measure" else "right")
    for f in result.fits:
        s = f.simulated
        table.add_row(
            f.target.measure,
            str(f.target.year),
            f"{f.target.value:,.4g}",
            f"{s.mean:,.4g} ({s.low:,.4g}–{s.high:,.4g})",
            f"{f.gap:+,.3g}",
        )
    out.print(table)
    ranges = Table(
        title="Fitted parameters (95% range: between the nearest trials worse than χ² 3.84 from the best)"
    )
    for name in ("parameter", "fitted", "95% range"):
        ranges.add_column(name)
    for p, v in result.best.items():
        low, high = result.ranges[p]
        ranges.add_row(p, f"{v:.4g}", f"{low:.4g}–{high:.4g}")
    out.print(ranges)


class BacktestFormat(StrEnum):
    """Output formats of ``backtest``."""

    table = "table"
    json = "json"


@app.command("backtest")
def backtest_command(
    authority: Annotated[
        str,
        typer.Option("--authority", "-a", help="Authority as DfE names it; 'england' for England."),
    ],
    calibrate_on: Annotated[
        list[int],
        typer.Option(
            "--calibrate-on",
            help="DfE year(s) whose published outcomes the behaviour is fitted to; repeat for "
            "several (--calibrate-on 2022 --calibrate-on 2023).",
        ),
    ],
    predict: Annotated[int, typer.Option("--predict", help="DfE year to predict.")],
    replications: Annotated[
        int,
        typer.Option(
            "--replications", "-n", min=2, help="Replications per trial (twice this to predict)."
        ),
    ] = 3,
    trials: Annotated[int, typer.Option("--trials", min=1, help="Calibration trials.")] = 30,
    scale: Annotated[
        float | None,
        typer.Option(
            "--scale",
            min=0.001,
            max=1.0,
            help=f"Share simulated (default: 1 for an authority, {ENGLAND_SCALE} of "
            "England's 153 areas); counts are scaled back.",
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: the cores).")
    ] = DEFAULT_JOBS,
    fmt: Annotated[BacktestFormat, typer.Option("--format", help="table or json.")] = (
        BacktestFormat.table
    ),
    scheduler: SchedulerOption = None,
) -> None:
    """Calibrate an authority on published outcomes of some years, then predict another year.

    Each calibration year is simulated from its own published inputs with the same fitted
    behaviour (conference booking margin, adjournments, s47 enquiry, CP plan, looked-after and
    child-in-need stays); the predicted year runs from its published inputs with that behaviour.
    Predictions (mean and 95% interval) stand beside the published outcomes where the data has
    them (null where not: the year to March 2025's timeliness is withheld on purpose).
    """
    from rich.table import Table

    from casejourney.api import run_backtest

    def progress(done: int, loss: float, best: float) -> None:
        err.print(f"trial {done}/{trials}: loss {loss:.1f} (best {best:.1f})", markup=False)

    result = run_backtest(
        authority,
        calibrate_on,
        predict,
        trials=trials,
        replications=replications,
        scale=scale,
        jobs=jobs,
        progress=progress,
        scheduler=scheduler,
    )
    answer = result.answer
    if fmt is BacktestFormat.json:
        sys.stdout.write(json.dumps(result.public(), indent=2) + "\n")
        return
    years = ", ".join(str(y) for y in answer["calibrated_on"])
    table = Table(title=f"{answer['authority']}: year to March {predict}, calibrated on {years}")
    for name in ("measure", "predicted (95% interval)", "published", "error"):
        table.add_column(name, justify="left" if name == "measure" else "right")
    for m, gap in result.errors().items():
        p, seen = answer["predicted"][m], answer["observed"][m]
        unit = "%" if m.endswith("_31_march") else (" points" if m.endswith("pct") else " days")
        table.add_row(
            m,
            "—" if p["mean"] is None else f"{p['mean']:,.1f} ({p['low']:,.1f}–{p['high']:,.1f})",
            "— (not in the data)" if seen is None else f"{seen:,.1f}",
            "—" if gap is None else f"{gap:+.1f}{unit}",
        )
    out.print(table)
    fitted = Table(title="Fitted behaviour (95% range)")
    for name in ("parameter", "value", "range", "unit"):
        fitted.add_column(name)
    for p, v in answer["fitted"].items():
        fitted.add_row(p, f"{v['value']:g}", f"{v['low']:g}–{v['high']:g}", v["unit"])
    out.print(fitted)
