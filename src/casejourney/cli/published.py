"""``scenario from-published``, ``calibrate`` and ``backtest``: authorities from DfE's published figures."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

import casejourney
from casejourney import frompublished, published
from casejourney.cli import err, out
from casejourney.cli.scenario import scenario_app
from casejourney.errors import CasejourneyError

#: The first line of every scenario file ``from-published`` writes (it replaces only such files).
MARKER = "# written by `casejourney scenario from-published`"


def write_atomically(path: Path, text: str, *, check_scenario: bool = False) -> None:
    """Write ``text`` to ``path`` whole or not at all (a scenario is checked to load first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.stem}-", dir=path.parent))
    try:
        staged = staging / path.name
        staged.write_text(text, encoding="utf-8")
        if check_scenario:
            casejourney.load_scenario(str(staged))  # refuses (SpecError) what would not run
        os.replace(staged, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
    rows = published.load()
    built = frompublished.build(rows, authority, year)
    path = path or Path(f"{built.data['id']}.yaml")
    if path.suffix not in {".yaml", ".yml"}:
        raise CasejourneyError(f"{path}: a scenario file ends in .yaml")
    if path.exists() and not path.read_text(encoding="utf-8").startswith(MARKER):
        raise CasejourneyError(
            f"{path}: exists and was not written by `casejourney scenario from-published`; "
            "choose a new file"
        )
    write_atomically(path, frompublished.to_yaml(built, MARKER), check_scenario=True)
    out.print(f"wrote {path} ({built.data['title']}; rules: {built.data['authority']})")
    for note in built.fallbacks:
        err.print(f"  {note}", markup=False)
