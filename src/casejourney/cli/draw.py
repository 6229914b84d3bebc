"""``draw``: pathway diagrams of an authority's journey, or of what one authority changes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

import casejourney
from casejourney.cli import WorkflowsOption, app, err
from casejourney.report.charts_data import load_runs
from casejourney.report.diagram import Diagram, compare_model, diagram_model, select_phase
from casejourney.report.overlay import render_overlay
from casejourney.report.render_image import Format, Renderer, render, write_atomic


@app.command()
def draw(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Authorities (or workflow files); with --compare, the base first, then others.",
            show_default=False,
        ),
    ] = None,
    authority: Annotated[
        str | None,
        typer.Option(
            "--authority", "-a", help="Authority name (e.g. liverpool) or a workflow file."
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Mark what each later authority adds, removes or changes relative to the first.",
        ),
    ] = False,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="svg, png, pdf, or dot (the Graphviz source).")
    ] = Format.svg,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (default: <name>.<format> here); '-' for standard output.",
        ),
    ] = None,
    phase: Annotated[
        str | None,
        typer.Option(
            "--phase",
            help="Draw one phase alone (e.g. child_protection), with moves in and out as stubs.",
        ),
    ] = None,
    renderer: Annotated[
        Renderer | None,
        typer.Option(
            "--renderer",
            help="auto (dot if installed, else WebAssembly), dot, or wasm "
            "(default: $CASEJOURNEY_RENDERER, else auto).",
        ),
    ] = None,
    overlay: Annotated[
        list[Path] | None,
        typer.Option(
            "--overlay",
            help="Results folder of `casejourney simulate`: colour the pathway by how often each "
            "timescale was breached and how cases piled up, figures on the labels. Repeat to "
            "compare runs (first → last).",
            file_okay=False,
        ),
    ] = None,
    workflows: WorkflowsOption = None,
) -> None:
    """Draw an authority's pathway (states, moves, every timescale with its source) with Graphviz."""
    wanted = [*([authority] if authority else []), *(names or [])]
    if overlay:
        _draw_overlay(overlay, wanted, compare, fmt, output, phase, renderer, workflows)
        return
    diagrams: list[Diagram]
    if compare:
        if len(wanted) < 2:
            raise typer.BadParameter("--compare needs a base and at least one other authority")
        base = casejourney.load_workflow(wanted[0], workflows)
        diagrams = [
            compare_model(base, casejourney.load_workflow(other, workflows)) for other in wanted[1:]
        ]
    else:
        if len(wanted) != 1:
            raise typer.BadParameter("give one authority (--authority NAME), or use --compare")
        diagrams = [diagram_model(casejourney.load_workflow(wanted[0], workflows))]
    if phase is not None:
        diagrams = [select_phase(d, phase) for d in diagrams]
    if output is not None and len(diagrams) > 1:
        raise typer.BadParameter("--output names one file; compare one pair at a time to use it")
    for diagram in diagrams:
        data, used = render(diagram, fmt, renderer)
        if output is not None and str(output) == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            continue
        target = output or Path(f"{diagram.name}.{fmt.value}")
        write_atomic(target, data)
        how = "" if fmt is Format.dot else f" (drawn by {used.value})"
        err.print(f"wrote {target}{how}", markup=False)


def _draw_overlay(
    folders: list[Path],
    wanted: list[str],
    compare: bool,
    fmt: Format,
    output: Path | None,
    phase: str | None,
    renderer: Renderer | None,
    workflows: Path | None,
) -> None:
    """``draw --overlay``: the runs' authority's pathway with their breaches on it."""
    if compare:
        raise typer.BadParameter("--overlay draws one authority's pathway; drop --compare")
    runs = load_runs(folders, workflows)
    drawn = runs[-1].workflow.id
    if wanted:
        asked = casejourney.load_workflow(wanted[0], workflows).id
        if len(wanted) > 1 or asked != drawn:
            raise typer.BadParameter(
                f"--overlay {folders[-1]} is a run of '{drawn}'; leave out the authority, or "
                f"give '{drawn}'"
            )
    data, used = render_overlay(runs, fmt, renderer, phase=phase)
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    stem = f"{drawn}-overlay" + (f"-{phase}" if phase else "")
    target = output or Path(f"{stem}.{fmt.value}")
    write_atomic(target, data)
    how = "" if fmt is Format.dot else f" (drawn by {used.value})"
    err.print(f"wrote {target}{how}", markup=False)
