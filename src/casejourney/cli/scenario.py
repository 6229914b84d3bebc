"""``scenario from-returns``: an authority's scenario built from its own CIN census and SSDA903."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import casejourney
from casejourney.cli import app, err, out
from casejourney.errors import CasejourneyError

if TYPE_CHECKING:
    from casejourney.returns.figures import Figures
    from casejourney.returns.read import Returns

scenario_app = typer.Typer(
    help="Build scenarios from an authority's own data.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(scenario_app, name="scenario")

#: The first line of every scenario file this command writes (it replaces only such files).
MARKER = "# written by `casejourney scenario from-returns`"


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
    from casejourney.returns.build import build_scenario, cases_csv
    from casejourney.returns.figures import carried_cases, summarise
    from casejourney.returns.read import read_returns

    path = path or Path(f"from-returns-{year}.yaml")
    if path.suffix not in {".yaml", ".yml"}:
        raise CasejourneyError(f"{path}: a scenario file ends in .yaml")
    ours = path.exists() and path.read_text(encoding="utf-8").startswith(MARKER)
    if path.exists() and not ours:
        raise CasejourneyError(
            f"{path}: exists and was not written by `casejourney scenario from-returns`; "
            "choose a new file"
        )
    cases = path.with_name(f"{path.stem}.cases.csv")
    if cases.exists() and not ours:
        raise CasejourneyError(
            f"{cases}: exists beside a scenario not written by `casejourney scenario "
            "from-returns`; choose a new file name"
        )
    returns = read_returns(cin, ssda903, year)
    _report_skipped(returns)
    figures = summarise(returns)
    carried = carried_cases(returns)
    base, _ = casejourney.load_scenario(extends)
    document, kept = build_scenario(
        figures,
        base.model_dump(mode="json", by_alias=True),
        path.stem,
        f"Built from the {year - 1}-{year % 100:02d} returns (base: {base.id})",
        carried,
        cases.name,
    )
    _write(path, document, kept, year, base.id, cases_csv(carried) if carried else None)
    out.print(f"wrote {path}")
    if carried:
        out.print(f"wrote {cases} ({len(carried):,} open cases, with their earlier plans and care)")
    for line in kept:
        out.print(f"  from the base: {line}")
    simulated = _simulate(path, year + 1, replications) if replications else None
    _print_table(figures, simulated)


def _report_skipped(returns: Returns) -> None:
    for note in returns.notes:
        err.print(note, markup=False)
    for kind, count in sorted(returns.skipped.items()):
        err.print(f"skipped {count:,} × {kind}", markup=False)


def _write(
    path: Path,
    document: dict[str, Any],
    kept: list[str],
    year: int,
    base: str,
    cases: str | None = None,
) -> None:
    """Write the scenario (and its open cases) whole or not at all, after checking it loads."""
    import yaml

    head = [
        MARKER,
        f"# from the CIN census and SSDA903 of the collection year {year - 1}-{year % 100:02d};",
        f"# what the returns cannot show is from {base}:",
        *(f"#   {line}" for line in kept),
        "",
    ]
    text = "\n".join(head) + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.stem}-", dir=path.parent))
    try:
        staged = staging / path.name
        staged.write_text(text, encoding="utf-8")
        cases_path = path.with_name(f"{path.stem}.cases.csv")
        if cases is not None:
            (staging / cases_path.name).write_text(cases, encoding="utf-8")
        casejourney.load_scenario(str(staged))  # refuses (SpecError) a scenario that would not run
        if cases is not None:
            os.replace(staging / cases_path.name, cases_path)
        os.replace(staged, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _simulate(path: Path, year: int, replications: int) -> Figures:
    """The new scenario simulated, and measured as its own returns would measure it.

    Each replication is written as returns and read back; the figures are their means (a share
    is the share of all the replications' plans, so each plan counts once).
    """
    from casejourney.returns.figures import mean_figures, summarise
    from casejourney.returns.read import read_returns

    with tempfile.TemporaryDirectory(prefix="casejourney-from-returns-") as root:
        results = Path(root) / "run"
        casejourney.run_scenario(str(path), replications=replications, out=results)
        found = []
        for replication in range(replications):
            folder = Path(root) / f"returns-{replication}"
            casejourney.export_returns(results, year, folder, replication=replication)
            found.append(summarise(read_returns(folder / "cin-census.xml", folder, year)))
    return mean_figures(found)


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
