"""``scenario from-returns``: an authority's scenario built from its own CIN census and SSDA903."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from casejourney.cli import app, err, out

if TYPE_CHECKING:
    from casejourney.returns.figures import Figures

scenario_app = typer.Typer(
    help="Build scenarios from an authority's own data.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("from-returns")
def from_returns(
    cin: Annotated[
        Path,
        typer.Option("--cin", help="The CIN census XML of the collection year.", dir_okay=False),
    ],
    ssda903: Annotated[
        Path,
        typer.Option(
            "--ssda903",
            help="Folder of the year's SSDA903 CSVs (header.csv, episodes.csv; oc3.csv if any).",
            file_okay=False,
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
    path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Scenario file to write (default: from-returns-YEAR.yaml here).",
            dir_okay=False,
        ),
    ] = None,
    extends: Annotated[
        str,
        typer.Option(
            "--base",
            help="Scenario giving the rules, workforce and all the returns cannot show.",
        ),
    ] = "national-baseline",
    replications: Annotated[
        int,
        typer.Option(
            "--replications",
            "-n",
            min=0,
            help="Simulate the new scenario this often to compare (0: not).",
        ),
    ] = 1,
) -> None:
    """Build a scenario from an authority's own returns, and compare a simulation of it.

    Arrivals (referrals a week, by month), branch shares, stays (survival analysis: cases still
    open are censored) and the open caseload on 31 March come from the returns; everything else
    from --base. Each open case is carried with its own dates and earlier plans and periods of
    care, in NAME.cases.csv beside the scenario. Child ids are replaced by salted hashes on
    reading; nothing identifying is written.
    """
    from casejourney.api import scenario_from_returns, simulated_returns

    def note(line: str) -> None:
        err.print(line, markup=False)

    built = scenario_from_returns(cin, ssda903, year, path, base=extends, notes=note)
    out.print(f"wrote {built.path}")
    if built.cases is not None:
        out.print(
            f"wrote {built.cases} ({built.carried:,} open cases, with their earlier plans and care)"
        )
    for line in built.kept:
        out.print(f"  from the base: {line}")
    simulated = simulated_returns(built.path, year + 1, replications) if replications else None
    _print_table(built.figures, simulated)


def _print_table(returns: Figures, simulated: Figures | None) -> None:
    from rich.table import Table

    table = Table(title="The returns' own figures beside a simulation of the scenario built")
    table.add_column("figure")
    table.add_column(f"returns {returns.year - 1}-{returns.year % 100:02d}", justify="right")
    if simulated is not None:
        table.add_column(
            f"simulated {simulated.year - 1}-{simulated.year % 100:02d}", justify="right"
        )
    for name, value in returns.counts.items():
        row = [name, _cell(name, value)]
        if simulated is not None:
            row.append(_cell(name, simulated.counts.get(name, 0.0)))
        table.add_row(*row)
    out.print(table)


def _cell(name: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:,.1f}" if "%" in name else f"{value:,.0f}"
