"""``check``, ``rules`` and ``due``: the workflow-file commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import casejourney
from casejourney.cli import (
    CheckFormat,
    TableFormat,
    WorkflowsOption,
    app,
    err,
    out,
    parse_date,
    print_csv,
)

if TYPE_CHECKING:
    from casejourney.api import Workflow


@app.command()
def check(
    paths: Annotated[
        list[Path], typer.Argument(help="Workflow or scenario files, or folders of them (*.yaml).")
    ],
    fmt: Annotated[
        CheckFormat, typer.Option("--format", help="text (file:line: ...) or json.")
    ] = CheckFormat.text,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also run the property checks: statute on every start date 2000-2059, and "
            "invariants on 500 seeded random journeys (slower; counter-examples are printed).",
        ),
    ] = False,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also show warnings and notes in the files those build on (the shipped "
            "workflows a scenario uses); by default they are counted, not shown.",
        ),
    ] = False,
) -> None:
    """Validate workflow and scenario files; report every finding at once; exit 1 on any error.

    Findings in the files named come first; warnings and notes in the files those build on are
    folded behind a count unless --all is given.

    A scenario is checked against its authority's workflow (states, triggers, probabilities,
    capacity).
    """
    from casejourney.api import check_files

    checked = check_files(paths, deep=deep)
    findings, files, own, others = checked.findings, checked.files, checked.own, checked.others
    if fmt is CheckFormat.json:
        out.print_json(json.dumps([f.as_dict() for f in findings]))
    else:
        # Errors elsewhere stop the user's file too, so they are always shown.
        shown = own + [f for f in others if show_all or f.level.value == "error"]
        for finding in shown:
            out.print(finding.render(), markup=False)
        folded = len(findings) - len(shown)
        if folded:
            err.print(
                f"(and {folded} warning{'s' if folded != 1 else ''} or notes in the files these "
                "build on, such as the shipped workflows; add --all to show them)",
                markup=False,
            )
        counts = {
            level: sum(f.level.value == level for f in own)
            for level in ("error", "warning", "note")
        }
        summary = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in counts.items())
        elsewhere = sum(f.level.value == "error" for f in others)
        also = (
            f"; {elsewhere} error{'s' if elsewhere != 1 else ''} in files they build on"
            if elsewhere
            else ""
        )
        err.print(f"checked {len(files)} file{'s' if len(files) != 1 else ''}: {summary}{also}")
    if checked.has_errors:
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
    from rich.table import Table

    from casejourney.api import rules_table

    workflow = casejourney.load_workflow(authority, workflows)
    records = casejourney.rules_records(workflow)
    if fmt is TableFormat.json:
        out.print_json(json.dumps(records))
        return
    if fmt is TableFormat.csv:
        print_csv(
            [
                {
                    **{k: v for k, v in r.items() if k not in {"source", "then", "applies_to"}},
                    "applies_to": " ".join(f"{k}={v}" for k, v in (r["applies_to"] or {}).items()),
                    **_durations(r),
                    "then": _steps(workflow, r["id"]),
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
    for row in rules_table(workflow):
        table.add_row(*row.values())
    out.print(table)


def _steps(workflow: Workflow, ident: str) -> str:
    """A recurring standard's later steps in words, ``; ``-joined (empty for the rest).

    ``every 3 months after the first long_term_home_agreed, since the last placement_move``.
    """
    spec = workflow.standards[ident].spec
    return "; ".join(f"every {step.every} {step.switch}" for step in getattr(spec, "then", ()))


def _durations(record: dict[str, Any]) -> dict[str, Any]:
    """Each timescale as words (``15 working days``) and, beside it, its number and unit."""
    out: dict[str, Any] = {}
    for key in ("within", "at_least", "every", "first", "second"):
        value = record[key]
        out[key] = _dur(value)
        out[f"{key}_value"] = "" if value is None else value["value"]
        out[f"{key}_unit"] = "" if value is None else value["unit"]
    return out


def _dur(value: dict[str, Any] | None) -> str:
    from casejourney.api import Duration

    if value is None:
        return ""
    return str(Duration(value=value["value"], unit=value["unit"]))


@app.command()
def due(
    start: Annotated[str, typer.Option("--from", help="The anchor date, YYYY-MM-DD (day 0).")],
    within: Annotated[
        str | None,
        typer.Option(
            "--within",
            help='A timescale such as "15 working days", "1 day", "3 months", '
            '"10 school days", "1 term".',
        ),
    ] = None,
    standard: Annotated[
        str | None, typer.Option("--standard", help="A standard id (see `casejourney rules`).")
    ] = None,
    authority: Annotated[
        str,
        typer.Option(
            "--authority",
            "-a",
            help="Authority whose closure days, school terms and standards apply.",
        ),
    ] = "national",
    workflows: WorkflowsOption = None,
) -> None:
    """Print a due date: --within a timescale, or --standard ID of an authority, from a date."""
    anchor = parse_date(start)
    if (within is None) == (standard is None):
        raise typer.BadParameter("give exactly one of --within or --standard")
    answer = casejourney.due_date(
        anchor, within=within, standard=standard, authority=authority, directory=workflows
    )
    out.print(answer.due.isoformat() + f"  ({answer.due.strftime('%A %-d %B %Y')})")
    err.print(answer.explanation, markup=False)
