"""``sweep``: run a scenario over a grid of settings, resumably, locally or on a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import casejourney
from casejourney.cli import SetOption, WorkflowsOption, app, err, out

if TYPE_CHECKING:
    from rich.progress import TaskID

    from casejourney.sweep import Progress as Done


@app.command()
def sweep(
    scenario: Annotated[str, typer.Argument(help="Scenario file or a shipped scenario's name.")],
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary",
            help="path=a,b,c or path=start:stop:step (stop included), e.g. "
            "teams.child_protection.headcount=20:30:2; repeat for a grid.",
        ),
    ],
    results: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Sweep folder: new, empty or an earlier sweep's (re-running resumes it).",
            file_okay=False,
        ),
    ],
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", "-n", min=1, help="Replications per point (default: the scenario's)."
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Sweep seed (default: the scenario's).")
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Local processes (same answer).")
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Run on this Dask scheduler, e.g. tcp://host:8786."),
    ] = None,
    dask: Annotated[
        bool, typer.Option("--dask", help="Run on a Dask LocalCluster on this machine.")
    ] = False,
    scale: Annotated[
        float,
        typer.Option("--scale", min=0.0001, help="Multiply demand, open cases, staff and slots."),
    ] = 1.0,
    staff: Annotated[
        str | None,
        typer.Option(
            "--staff",
            help="The axis the frontier minimises (default: the first "
            "--vary ending in .headcount, else the first).",
        ),
    ] = None,
    target: Annotated[
        float,
        typer.Option("--target", min=0, max=100, help="Frontier threshold: % on time to keep."),
    ] = 80.0,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into an existing folder that is not a sweep folder, beside its files "
            "(none of them is deleted or overwritten).",
        ),
    ] = False,
    changes: SetOption = None,
    workflows: WorkflowsOption = None,
) -> None:
    """Run a grid of scenario variants; write per-point summaries, a sweep summary and a frontier.

    Each finished (point, replication) is kept in OUT/tasks as soon as it finishes, so running
    the same command again skips them. Every point uses the same random numbers for replication
    r (common random numbers), whichever executor runs it. --set changes the scenario at every
    point (teams.*.headcount=-10%); --vary takes relative values too
    (demand.scale=1,1.1,1.2 or teams.child_protection.headcount=-20%,-10%,0%).
    """
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} tasks, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        jobs_shown: list[TaskID] = []  # the bar appears once the sweep is planned, as its size

        def show(p: Done) -> None:
            if not jobs_shown:
                name = f"sweeping {Path(scenario).stem}"
                jobs_shown.append(bar.add_task(name, total=p.total, failed=0))
            job = jobs_shown[0]
            if p.done == p.skipped:
                bar.reset(job, total=p.total - p.skipped, failed=p.failed)  # time left: new work
            bar.update(job, completed=p.done - p.skipped, failed=p.failed)

        found = casejourney.run_sweep(
            scenario,
            vary,
            results,
            replications=replications,
            seed=seed,
            jobs=jobs,
            scheduler=scheduler,
            dask=dask,
            scale=scale,
            staff=staff,
            target=target,
            workflows=workflows,
            progress=show,
            force=force,
            changes=changes or (),
        )
    axis, frontier = found.staff, found.frontier
    out.print(
        f"{found.ran + found.skipped} tasks ({found.skipped} already done) over "
        f"{found.points} points"
    )
    met = [r for r in frontier if r[f"least_{axis}"] is not None]
    sure = [r for r in frontier if r[f"least_{axis}_confident"] is not None]
    out.print(
        f"frontier: {len(met)} of {len(frontier)} (standard, setting) rows stay ≥ {target:g}% on "
        f"time from some {axis} in the grid up ({len(sure)} with 95% confidence); see "
        "frontier.csv and frontier.svg",
        markup=False,
    )
    err.print(f"wrote {results}")
