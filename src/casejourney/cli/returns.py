"""``returns export``: a simulated caseload written as a synthetic CIN census and SSDA903 return."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import casejourney
from casejourney.cli import app, out

returns_app = typer.Typer(
    help="The DfE returns an authority already produces: write a simulated caseload as one.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(returns_app, name="returns")


@returns_app.command("export")
def export(
    results: Annotated[
        Path,
        typer.Argument(
            help="Results folder written by `casejourney simulate -o`.", file_okay=False
        ),
    ],
    year: Annotated[
        int,
        typer.Option(
            "--year",
            min=2000,
            max=2100,
            help="Collection year, by its end: 2027 is Apr 2026–Mar 2027.",
        ),
    ],
    folder: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for the returns (new, or one written here before).",
            file_okay=False,
        ),
    ],
    replication: Annotated[
        int, typer.Option("--replication", min=0, help="Which replication's caseload.")
    ] = 0,
) -> None:
    """Write a simulated caseload as the synthetic returns of one collection year.

    The SSDA903 CSVs (header, episodes, reviews, oc3) and the CIN census XML (cin-census.xml). Child
    ids (SIM + the case number) and dates of birth are synthetic: no child is behind them.
    """
    written = casejourney.export_returns(
        results, year, folder, replication, notes=lambda line: out.print(f"note: {line}")
    )
    for path in written:
        # Counted line by line (a national census is 800 MB): a Child is one line of the census.
        with path.open("rb") as handle:
            if path.suffix == ".xml":
                children = sum(line.startswith(b"<Child>") for line in handle)
                out.print(f"wrote {path} ({children:,} children)")
            else:
                out.print(f"wrote {path} ({sum(1 for _ in handle) - 1:,} rows)")
