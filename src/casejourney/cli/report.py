"""``report`` and ``export``: a results folder → an HTML report, XES event logs, tidy CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import casejourney
from casejourney.cli import WorkflowsOption, app, err
from casejourney.report.formats import Renderer


@app.command()
def report(
    results: Annotated[
        list[Path],
        typer.Argument(
            help="Results folders written by `casejourney simulate`; with several, the first is "
            "the base the others are compared with.",
            file_okay=False,
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="HTML file to write (default: report.html in the folder; for a comparison, "
            "report-vs-<first folder>.html in the last folder).",
            dir_okay=False,
        ),
    ] = None,
    renderer: Annotated[
        Renderer | None,
        typer.Option(
            "--renderer",
            help="How to draw the pathway: auto (dot if installed, else WebAssembly), dot or wasm.",
        ),
    ] = None,
    workflows: WorkflowsOption = None,
) -> None:
    """Write one self-contained HTML report (charts, pathway with breaches, cited standards)."""
    written = casejourney.write_report(results, output, workflows=workflows, renderer=renderer)
    size = written.stat().st_size
    err.print(f"wrote {written} ({size / 1024:,.0f} KB)", markup=False)


@app.command()
def export(
    results: Annotated[
        Path,
        typer.Argument(help="A results folder written by `casejourney simulate`.", file_okay=False),
    ],
    xes: Annotated[
        bool,
        typer.Option(
            "--xes/--no-xes",
            help="Write each replication's event log as IEEE XES for process-mining tools "
            "(events/replication-NNNN.xes.gz: the journey; -engine.xes.gz: the engine's records).",
        ),
    ] = True,
    tidy: Annotated[
        bool,
        typer.Option(
            "--tidy/--no-tidy",
            help="Write every measure as tidy CSV for Excel or Power BI (metrics-tidy.csv).",
        ),
    ] = True,
    replication: Annotated[
        list[int] | None,
        typer.Option(
            "--replication",
            "-r",
            min=0,
            help="XES of these replications only (repeat the option; default: all).",
        ),
    ] = None,
    uncompressed: Annotated[
        bool,
        typer.Option("--uncompressed", help="Write plain .xes rather than .xes.gz."),
    ] = False,
    workflows: WorkflowsOption = None,
) -> None:
    """Export a results folder for other tools: XES event logs and tidy CSV measures."""
    if not (xes or tidy):
        raise typer.BadParameter("nothing to do: --no-xes and --no-tidy together")
    for path in casejourney.export_results(
        results,
        xes=xes,
        tidy=tidy,
        replications=replication,
        compress=not uncompressed,
        workflows=workflows,
    ):
        err.print(f"wrote {path}", markup=False)
