"""``draw``: pathway diagrams of an authority's journey, or of what one authority changes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import casejourney
from casejourney.cli import WorkflowsOption, app, err
from casejourney.report.formats import Format, Renderer

if TYPE_CHECKING:
    from casejourney.api import Pathway


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
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="svg (fitted to an A4 landscape page), png (the drawing's own shape fitted "
            "inside a 16:9 slide at 192 dpi, at least 1920 pixels across), pdf (exactly A4 "
            "pages, landscape or portrait, within a 0.5-inch margin, no type under 6 pt), "
            "or dot (the Graphviz source). A whole pathway whose text would print under 6 pt on "
            "A4 is split: pdf gets the whole at 6 pt across as many pages as it takes, then a "
            "page per phase (two where a phase needs them); svg and png write the "
            "whole at its own size (10-pt text, too big for one page) to the named file and "
            "each phase beside it (fitted to the page, or larger where its notes would print "
            "under 6 pt), numbered, e.g. -o l.svg writes l-1-front-door.svg, "
            "l-2-assessment.svg, .... Default: from the --output file's ending, else svg.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write, e.g. -o liverpool.svg (required); '-' for standard output.",
            show_default=False,
        ),
    ] = None,
    notes: Annotated[
        bool,
        typer.Option(
            "--notes",
            help="Number every timescale and practice expectation and list each with its "
            "source under the diagram: for print, PDF, PNG and projectors, where hovering "
            "is not possible.",
        ),
    ] = False,
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
    fmt = _format(fmt, output)
    if overlay:
        _draw_overlay(overlay, wanted, compare, fmt, output, phase, renderer, workflows)
        return
    if compare and len(wanted) < 2:
        raise typer.BadParameter("--compare needs a base and at least one other authority")
    if not compare and len(wanted) != 1:
        raise typer.BadParameter("give one authority (--authority NAME), or use --compare")
    pathways = casejourney.draw_pathway(wanted, compare=compare, phase=phase, workflows=workflows)
    if len(pathways) > 1:
        raise typer.BadParameter("--output names one file; compare one pair at a time")
    pathway = pathways[0]
    target = _target(output, f"{pathway.name}.{fmt.value}")
    if target is None:
        data, used = pathway.render(fmt, renderer, notes=notes)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        if fmt in (Format.svg, Format.png) and used is Renderer.dot:
            _say_if_small(pathway, fmt, notes)
        return
    named = pathway.phase_files(target, fmt, renderer, notes=notes)
    for path in [target, *named.values()]:
        _check_writable(path)
    used, pages = pathway.write_with_phases(target, named, fmt, renderer, notes=notes)
    how = "" if fmt is Format.dot else f" (drawn by {used.value})"
    err.print(f"wrote {target}{how}", markup=False)
    if pages:
        err.print(
            "the whole pathway is drawn at its own size (fitted to one A4 page its text would "
            "print under 6 pt); each phase, drawn so that its text prints at 6 pt or more (fitted to "
            "the page, or larger where its notes need it), is in:",
            markup=False,
        )
        for page in pages:
            err.print(f"  {page}", markup=False)


def _check_writable(path: Path) -> None:
    """A file that cannot be written: say so before any drawing is done."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a folder; name a file", param_hint="'--output'")
    if not folder.is_dir():
        raise typer.BadParameter(
            f"folder {folder} does not exist; make it first", param_hint="'--output'"
        )
    if not os.access(folder, os.W_OK):
        raise typer.BadParameter(f"cannot write in folder {folder}", param_hint="'--output'")


def _format(fmt: Format | None, output: Path | None) -> Format:
    """The format asked for, else the one the output file's name ends in, else SVG."""
    ending = output.suffix.lower().lstrip(".") if output is not None else ""
    named = next((f for f in Format if f.value == ending), None)
    if fmt is not None and named is not None and fmt is not named:
        raise typer.BadParameter(
            f"--format {fmt.value} but --output {output} ends in .{ending}; make them agree"
        )
    return fmt or named or Format.svg


def _target(output: Path | None, example: str) -> Path | None:
    """The file to write (None: standard output); a missing --output is a usage error."""
    if output is None:
        raise typer.BadParameter(
            f"name the file to write, e.g. -o {example} (or -o - for standard output)",
            param_hint="'--output'",
        )
    return None if str(output) == "-" else output


def _say_if_small(pathway: Pathway, fmt: Format, notes: bool) -> None:
    """A whole pathway drawn at its own size to standard output: say how to get it by phase."""
    if pathway.fits_page_at(fmt, notes=notes) is None:
        return
    first = pathway.phases[0] if pathway.phases else "PHASE"
    err.print(
        "note: the whole pathway is drawn at its own size (fitted to one A4 page its text "
        f"would print under 6 pt); name a file (-o {pathway.name}.{fmt.value}) to get each "
        f"phase in a file of its own beside it, or draw one phase (--phase {first})",
        markup=False,
    )


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
    (pathway,) = casejourney.draw_pathway(overlay=folders, phase=phase, workflows=workflows)
    drawn = pathway.authority
    if wanted:
        asked = casejourney.load_workflow(wanted[0], workflows).id
        if len(wanted) > 1 or asked != drawn:
            raise typer.BadParameter(
                f"--overlay {folders[-1]} is a run of '{drawn}'; leave out the authority, or "
                f"give '{drawn}'"
            )
    target = _target(output, f"{pathway.name}.{fmt.value}")
    if target is None:
        data, used = pathway.render(fmt, renderer)
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    used = pathway.write(target, fmt, renderer)
    how = "" if fmt is Format.dot else f" (drawn by {used.value})"
    err.print(f"wrote {target}{how}", markup=False)
