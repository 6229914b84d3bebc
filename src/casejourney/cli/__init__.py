"""The ``casejourney`` command: a thin typer shell over the public functions in ``casejourney``.

Parses options, calls the facade, formats the answer. Errors are caught in one place (``main``) and
printed as ``path:line: message``; a traceback only with ``--debug``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

import casejourney
from casejourney.errors import CasejourneyError, SpecError

app = typer.Typer(
    name="casejourney",
    help=(
        "Children's social care journeys as timed state machines: check an authority's timescale "
        "rules, look up due dates, walk one child's journey, draw pathways, simulate caseloads."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CheckFormat(StrEnum):
    """Output formats of ``check``."""

    text = "text"
    json = "json"


class TableFormat(StrEnum):
    """Output formats of tables."""

    table = "table"
    json = "json"
    csv = "csv"


def _version(value: bool) -> None:
    if value:
        out.print(f"casejourney {casejourney.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a full traceback when something goes wrong.")
    ] = False,
) -> None:
    """Children's social care journeys: rules, checks, timelines, diagrams, simulation."""


WorkflowsOption = Annotated[
    Path | None,
    typer.Option(
        "--workflows",
        help="Folder of workflow files (default: ./workflows, else the shipped ones).",
        file_okay=False,
    ),
]

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run the replications on this Dask scheduler (tcp://host:8786), or 'local' for "
        "a LocalCluster of --jobs workers.",
    ),
]

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Change one setting for this run, no file edited: PATH=VALUE "
        "(teams.child_protection.headcount=25), a relative change "
        "(teams.child_protection.headcount=-10%, demand.contacts_per_week=+20%, "
        "stays.s47_enquiry=+20%; teams.*.headcount=-10% for every team), or demand.scale=1.2 "
        "(20% more demand). Repeat for several.",
        metavar="PATH=VALUE",
    ),
]


def parse_date(value: str) -> dt.date:
    """A YYYY-MM-DD option value, or a usage error that says how to write it."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2026-12-18"
        ) from None


#: Starts CSV meant for a file, so that Excel reads it as UTF-8 (≤, ≥, ’ intact).
BOM = "\ufeff"


def csv_text(rows: list[dict[str, Any]], *, bom: bool = True) -> str:
    """Rows as CSV text, with a UTF-8 byte-order mark first unless ``bom`` is false."""
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def print_csv(rows: list[dict[str, Any]]) -> None:
    """Write rows as CSV to standard output; with a byte-order mark when it goes to a file.

    ``casejourney rules --format csv > rules.csv`` is then a file Excel reads right; on a
    terminal the mark would only show as noise.
    """
    sys.stdout.write(csv_text(rows, bom=not sys.stdout.isatty()))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        app(args=args, prog_name="casejourney")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except SpecError as exc:
        if debug:
            raise
        for finding in exc.findings:
            err.print(finding.render(), markup=False)
        return 1
    except CasejourneyError as exc:
        if debug:
            raise
        err.print(f"casejourney: {exc}", markup=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except OSError as exc:  # a file that could not be read or written: say which, not a traceback
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"casejourney: {where}{exc.strerror or exc}", markup=False)
        return 2
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


# Commands live in their own modules and register themselves on ``app``.
from casejourney.cli import compare as _compare  # noqa: E402,F401
from casejourney.cli import draw as _draw  # noqa: E402,F401
from casejourney.cli import journey as _journey  # noqa: E402,F401
from casejourney.cli import published as _published  # noqa: E402,F401  (issue 15)
from casejourney.cli import report as _report  # noqa: E402,F401
from casejourney.cli import returns as _returns  # noqa: E402,F401  (issue 19)
from casejourney.cli import rules as _rules  # noqa: E402,F401
from casejourney.cli import scenario as _scenario  # noqa: E402,F401  (issue 19)
from casejourney.cli import simulate as _simulate  # noqa: E402,F401
from casejourney.cli import sweep as _sweep  # noqa: E402,F401
