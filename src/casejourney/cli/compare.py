"""``compare``: authorities' standards side by side."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import casejourney
from casejourney.cli import WorkflowsOption, app, csv_text, err, out, print_csv


class CompareFormat(StrEnum):
    """Output formats of ``compare``."""

    table = "table"
    csv = "csv"
    markdown = "markdown"
    json = "json"
    html = "html"


@app.command(name="compare")
def compare_command(
    authorities: Annotated[
        list[str],
        typer.Argument(
            help="Two or more authorities (names or workflow files); the first is the baseline."
        ),
    ],
    fmt: Annotated[
        CompareFormat, typer.Option("--format", help="table, csv, markdown, json or html.")
    ] = CompareFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
    workflows: WorkflowsOption = None,
) -> None:
    """One table: standards down the side, authorities across, differences and looser cells marked."""
    from rich.table import Table

    if len(authorities) < 2:
        raise typer.BadParameter("name at least two authorities, e.g. national liverpool")
    comparison = casejourney.compare_standards(authorities, workflows)
    if fmt is CompareFormat.table:
        table = Table(title="Timescale standards compared", show_lines=True)
        table.add_column("standard", overflow="fold", min_width=24)
        for name in comparison.authorities:
            table.add_column(name, overflow="fold")
        styles = {"inherited": "dim", "overridden": "bold", "local": "bold", "absent": ""}
        for row in comparison.rows:
            cells = []
            for cell in row.cells:
                style = "bold red" if cell.looser and not cell.acknowledged else styles[cell.status]
                text = f"{cell.text} {cell.marker}".strip()
                cells.append(f"[{style}]{_escape(text)}[/]" if style and text else _escape(text))
            table.add_row(f"{_escape(row.title)}\n[dim]{row.id}[/]", *cells)
        out.print(table)
        err.print(
            "dim: inherited; bold: set by the authority; * differs from the first column; "
            "! looser than statute ((!) acknowledged). Citations: --format markdown, json, csv or html."
        )
        return
    if fmt is CompareFormat.csv:
        if output is None:
            print_csv(comparison.flat_rows())
            return
        text = csv_text(comparison.flat_rows())
    else:
        text = comparison.render(fmt.value)
    if output is None:
        sys.stdout.write(text)
    else:
        tmp = output.with_name(f".{output.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
        err.print(f"wrote {output}")


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
