"""The ``casejourney`` command: a thin typer shell over the public functions in ``casejourney``.

Parses options, calls the facade, formats the answer. Errors are caught in one place (``main``) and
printed as ``path:line: message``; a traceback only with ``--debug``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table

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

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


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


@app.command()
def check(
    paths: Annotated[
        list[Path], typer.Argument(help="Workflow files or folders of them (*.yaml).")
    ],
    fmt: Annotated[
        CheckFormat, typer.Option("--format", help="text (file:line: ...) or json.")
    ] = CheckFormat.text,
) -> None:
    """Validate workflow files and report every finding at once; exit 1 if any is an error."""
    findings = casejourney.check_paths(paths)
    if fmt is CheckFormat.json:
        out.print_json(json.dumps([f.as_dict() for f in findings]))
    else:
        for finding in findings:
            out.print(finding.render(), markup=False)
        counts = {
            level: sum(f.level.value == level for f in findings)
            for level in ("error", "warning", "note")
        }
        files, _ = casejourney.checks.workflow_files(paths)
        summary = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in counts.items())
        err.print(f"checked {len(files)} file{'s' if len(files) != 1 else ''}: {summary}")
    if casejourney.checks.has_errors(findings):
        raise typer.Exit(1)


@app.command()
def rules(
    authority: Annotated[
        str,
        typer.Option(
            "--authority", "-a", help="Authority name (e.g. liverpool) or a workflow file."
        ),
    ],
    fmt: Annotated[
        TableFormat, typer.Option("--format", help="table, json or csv.")
    ] = TableFormat.table,
    workflows: WorkflowsOption = None,
) -> None:
    """List every standard in force for an authority, after inheritance, with its source."""
    workflow = casejourney.load_workflow(authority, workflows)
    records = casejourney.rules_records(workflow)
    if fmt is TableFormat.json:
        out.print_json(json.dumps(records))
        return
    if fmt is TableFormat.csv:
        _print_csv(
            [
                {
                    **{k: v for k, v in r.items() if k not in {"source", "then"}},
                    "within": _dur(r["within"]),
                    "at_least": _dur(r["at_least"]),
                    "every": _dur(r["every"]),
                    "first": _dur(r["first"]),
                    "second": _dur(r["second"]),
                    "while": " ".join(r["while"] or []),
                    "document": r["source"]["document"],
                    "section": r["source"]["section"],
                    "quote": r["source"]["quote"],
                }
                for r in records
            ]
        )
        return
    table = Table(title=f"Standards in force: {workflow.title}", show_lines=True, expand=False)
    for column in ("id", "kind", "rule", "timescale", "from", "source"):
        table.add_column(column, overflow="fold")
    for standard in workflow.standards.values():
        origin = standard.authority + (" (inherited)" if standard.inherited else "")
        source = f"{standard.citation.document}, {standard.citation.section}"
        table.add_row(
            standard.id,
            standard.kind,
            standard.spec.title,
            casejourney.report.rules.timescale_text(standard),
            origin,
            source,
        )
    out.print(table)


def _dur(value: dict[str, Any] | None) -> str:
    return "" if value is None else f"{value['value']} {value['unit']}"


def _print_csv(rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    sys.stdout.write(buffer.getvalue())


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2026-12-18"
        ) from None


@app.command()
def due(
    start: Annotated[str, typer.Option("--from", help="The anchor date, YYYY-MM-DD (day 0).")],
    within: Annotated[
        str | None,
        typer.Option(
            "--within", help='A timescale such as "15 working days", "1 day", "3 months".'
        ),
    ] = None,
    standard: Annotated[
        str | None, typer.Option("--standard", help="A standard id (see `casejourney rules`).")
    ] = None,
    authority: Annotated[
        str,
        typer.Option("--authority", "-a", help="Authority whose closure days and standards apply."),
    ] = "national",
    workflows: WorkflowsOption = None,
) -> None:
    """Print a due date: --within a timescale, or --standard ID of an authority, from a date."""
    anchor = _parse_date(start)
    if (within is None) == (standard is None):
        raise typer.BadParameter("give exactly one of --within or --standard")
    answer = casejourney.due_date(
        anchor, within=within, standard=standard, authority=authority, directory=workflows
    )
    out.print(answer.due.isoformat() + f"  ({answer.due.strftime('%A %-d %B %Y')})")
    err.print(answer.explanation, markup=False)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        result = app(args=args, standalone_mode=False, prog_name="casejourney")
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
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        err.print("interrupted")
        return 130
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
