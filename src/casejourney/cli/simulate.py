"""``simulate``: run a capacity scenario's replications, show what breaches most, write the results."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import casejourney
from casejourney.cli import SetOption, WorkflowsOption, app, err, out

if TYPE_CHECKING:
    from casejourney.spec import Workflow
    from casejourney.spec.scenario import ScenarioSpec


class EventLogChoice(StrEnum):
    """Formats of the event log in the results folder."""

    parquet = "parquet"
    csv = "csv"
    both = "both"
    none = "none"


@app.command()
def simulate(
    scenario: Annotated[
        str,
        typer.Argument(
            help="Scenario file (scenarios/liverpool-baseline.yaml) or a shipped scenario's name."
        ),
    ],
    results: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Results folder (default: results/<scenario id>): new, empty or earlier results; "
            "its results are replaced when the run completes, and files of yours in it are kept.",
            file_okay=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into an existing folder that is not a results folder, beside its files "
            "(none of them is deleted or overwritten).",
        ),
    ] = False,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", "-n", min=1, help="How many replications (default: the scenario's)."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, help="Random seed (default: the scenario's)."),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=1, help="Run replications in this many processes (same answer)."
        ),
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run the replications on this Dask scheduler (tcp://host:8786; its workers "
            "must see the results folder), or 'local' for a LocalCluster of --jobs workers.",
        ),
    ] = None,
    scale: Annotated[
        float,
        typer.Option(
            "--scale",
            min=0.0001,
            help="Multiply demand, open cases, staff and slots, e.g. 0.1 for a quick look.",
        ),
    ] = 1.0,
    event_log: Annotated[
        EventLogChoice,
        typer.Option("--event-log", help="Event log format: parquet, csv, both or none."),
    ] = EventLogChoice.parquet,
    report: Annotated[
        bool,
        typer.Option(
            "--report", help="Also write report.html (one offline file) into the results folder."
        ),
    ] = False,
    xes: Annotated[
        bool,
        typer.Option(
            "--xes",
            help="Also write each replication's event log as XES (events/*.xes.gz) for "
            "process-mining tools; needs --event-log parquet or both.",
        ),
    ] = False,
    changes: SetOption = None,
    workflows: WorkflowsOption = None,
) -> None:
    """Simulate caseloads under a scenario: timeliness, drift, queues and workloads, by week.

    The results folder holds summary and weekly metrics (CSV and Parquet), metrics-tidy.csv for
    Excel or Power BI, the event log, and the resolved scenario and versions used.

    A what-if needs no new file: --set teams.child_protection.headcount=-10% --set
    demand.scale=1.2 runs the scenario with a tenth fewer child protection posts and a fifth more
    demand, into results/<scenario id>+<the changes> unless --out says otherwise.

    A run that is killed or interrupted keeps its finished replications beside the folder: the
    same command again runs only the rest, and writes the same results.
    """
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from casejourney.api import check_results_folder, writing_results

    if xes and event_log not in (EventLogChoice.parquet, EventLogChoice.both):
        raise typer.BadParameter("--xes needs --event-log parquet or both")
    if results is not None:
        check_results_folder(results, force=force)  # before loading anything
    spec, _ = casejourney.load_scenario(scenario, workflows, changes or ())
    target = results or Path("results") / (spec.id + folder_suffix(changes or ()))
    check_results_folder(target, force=force)
    total = replications or spec.replications
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.1f}/{task.total:.0f} replications"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"simulating {spec.id}", total=total)
        found = casejourney.run_scenario(
            scenario,
            replications=total,
            seed=seed,
            jobs=jobs,
            scale=scale,
            out=target,
            event_log=event_log.value,
            workflows=workflows,
            progress=lambda done: bar.update(task, completed=done),
            force=force,
            changes=changes or (),
            scheduler=scheduler,
        )
    print_summary(
        found.summary(),
        found.frame.workflow,
        found.frame.scenario,
        total,
        not_simulated=found.frame.not_simulated,
    )
    with writing_results(target):
        casejourney.export_results(target, xes=xes, workflows=workflows)
        err.print(f"wrote {target}", markup=False)
        if report:
            err.print(
                f"wrote {casejourney.write_report([target], workflows=workflows)}", markup=False
            )


def _cell(
    mean: float, low: float, high: float, digits: int = 1, bounds: tuple[float, float] = (0, 100)
) -> str:
    """``mean (low–high)``, the interval clipped to the measure's possible range."""
    if math.isnan(mean):
        return "–"
    if math.isnan(low):
        return f"{mean:.{digits}f}"
    low, high = max(low, bounds[0]), min(high, bounds[1])
    return f"{mean:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


def print_summary(
    summary: dict[str, list[Any]],
    workflow: Workflow,
    scenario: ScenarioSpec,
    replications: int,
    not_simulated: Mapping[str, str] | None = None,
) -> None:
    """Standards most breached first, then drift and workforce, each with a 95% interval.

    ``not_simulated``: standards the run did not follow, with the reason, listed after the table.
    """
    from rich.table import Table

    rows: dict[tuple[str, str], tuple[float, float, float]] = {
        (m, s): (mean, lo, hi)
        for m, s, mean, lo, hi in zip(
            summary["metric"],
            summary["subject"],
            summary["mean"],
            summary["ci_low"],
            summary["ci_high"],
            strict=True,
        )
    }

    def get(metric: str, subject: str) -> tuple[float, float, float]:
        return rows.get((metric, subject), (math.nan, math.nan, math.nan))

    table = Table(
        title=f"{scenario.title}: timeliness over the reported period "
        f"({replications} replication{'s' if replications != 1 else ''}; mean, 95% interval)",
        title_justify="left",
    )
    table.add_column("standard", no_wrap=True, overflow="ellipsis", max_width=26)
    table.add_column("due", justify="right", no_wrap=True)
    table.add_column("breached", justify="right", no_wrap=True)
    table.add_column("on time %", justify="right", no_wrap=True)
    table.add_column("late, days", justify="right", no_wrap=True)
    standards = [s for s in workflow.standards if get("standard.due", s)[0] > 0]
    standards.sort(key=lambda s: (get("standard.on_time_pct", s)[0], s))
    for ident in standards:
        median, p90 = (
            get("standard.late_days_median", ident)[0],
            get("standard.late_days_p90", ident)[0],
        )
        late = "–" if math.isnan(median) else f"{median:.0f}/{p90:.0f}"
        table.add_row(
            ident,
            f"{get('standard.due', ident)[0]:,.0f}",
            f"{get('standard.breached', ident)[0]:,.0f}",
            _cell(*get("standard.on_time_pct", ident)),
            late,
        )
    out.print(table)
    out.print("  late, days: median / 90th percentile of the breaches, in days late")
    for ident in standards:
        out.print(f"  {ident}: {workflow.standards[ident].spec.title}", markup=False)
    for ident, why in (not_simulated or {}).items():
        out.print(f"  not measured: {ident}: {why}", markup=False)
    if scenario.drift:
        drift = Table(title="Drift")
        drift.add_column("measure")
        drift.add_column("%", justify="right")
        for ident, spec in scenario.drift.items():
            metric = {
                "longer_than": "drift.ended_over_pct",
                "repeat": "drift.repeat_pct",
                "missing_before": "drift.missing_pct",
            }[spec.kind]
            drift.add_row(spec.title, _cell(*get(metric, ident)))
        out.print(drift)
    teams = Table(title="Workforce")
    for name in ("team", "utilisation %", "mean wait for work, days", "90th pct wait"):
        teams.add_column(name, justify="left" if name == "team" else "right")
    for name in scenario.teams:
        teams.add_row(
            name,
            _cell(*get("team.utilisation_pct", name)),
            _cell(*get("team.wait_days_mean", name), bounds=(0, math.inf)),
            _cell(*get("team.wait_days_p90", name), bounds=(0, math.inf)),
        )
    out.print(teams)


def folder_suffix(changes: list[str] | tuple[str, ...]) -> str:
    """A folder-name-safe summary of the changes as typed (``+demand.scale=1.2``), or ``""``.

    The default results folder of a what-if is ``results/<scenario id>+<the changes>``.
    """
    text = "+".join(c.strip() for c in changes)
    return ("+" + re.sub(r"[^A-Za-z0-9._=%+-]", "_", text))[:120] if text else ""
