"""``journey``: one child's dated journey for an authority, with every standard that applied."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

import casejourney
from casejourney.cli import WorkflowsOption, app, csv_text, err, out, parse_date, print_csv
from casejourney.spec.children import LEGAL_STATUSES, PLACEMENTS, PLANS

if TYPE_CHECKING:
    from casejourney.journey import Journey
    from casejourney.tracking import Instance


class JourneyFormat(StrEnum):
    """Output formats of ``journey``."""

    table = "table"
    json = "json"
    csv = "csv"
    svg = "svg"


@app.command()
def journey(
    authority: Annotated[
        str,
        typer.Option(
            "--authority", "-a", help="Authority name (e.g. liverpool) or a workflow file."
        ),
    ] = "national",
    start: Annotated[
        str, typer.Option("--start", help="Date of the first contact, YYYY-MM-DD.")
    ] = "2026-01-05",
    path: Annotated[
        str | None,
        typer.Option(
            "--path",
            help="A scripted route: comma-separated states (or triggers) after the first contact, "
            "e.g. referral,strategy_discussion,s47_enquiry,icpc,cp_plan,cin_plan,case_closed. "
            "Without it, branches are drawn at random with --seed.",
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            min=0,
            help="Random seed for a random route and timings, and for the child's placement, "
            "legal status, plan and disability where not given.",
        ),
    ] = 7,
    age: Annotated[
        float,
        typer.Option(
            "--age", help="The child's age in years at first contact (for age-based standards)."
        ),
    ] = 8.0,
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario",
            help="Scenario whose branch probabilities and timings are used, and whose children: "
            "shares the child's attributes are drawn from.",
        ),
    ] = "national-baseline",
    fmt: Annotated[
        JourneyFormat,
        typer.Option("--format", help="table, json, csv or svg (a timeline picture)."),
    ] = JourneyFormat.table,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of the screen."),
    ] = None,
    placement: Annotated[
        str | None,
        typer.Option(
            "--placement",
            help="Where the child is placed, for standards for some placements (unsaid: drawn "
            f"from the scenario): {', '.join(PLACEMENTS)}.",
        ),
    ] = None,
    legal_status: Annotated[
        str | None,
        typer.Option(
            "--legal-status",
            help="The child's legal status when looked after (unsaid: drawn from the scenario): "
            f"{', '.join(LEGAL_STATUSES)}.",
        ),
    ] = None,
    plan: Annotated[
        str | None,
        typer.Option(
            "--plan",
            help="The child's plan for permanence (unsaid: drawn from the scenario): "
            f"{', '.join(PLANS)}.",
        ),
    ] = None,
    disabled: Annotated[
        bool | None,
        typer.Option(
            "--disabled/--not-disabled",
            help="Whether the child is disabled (unsaid: drawn from the scenario).",
        ),
    ] = None,
    workflows: WorkflowsOption = None,
) -> None:
    """Walk one child through an authority's pathway and show each date and each timescale.

    Standards for some children only (a placement, a legal status, a plan, a disability) are
    counted for this child as the scenario's children: shares draw it, with --seed (the same
    seed, the same child); --placement, --legal-status, --plan and --disabled/--not-disabled
    say instead. A scenario without children: draws nothing, and such standards are then counted
    only where you say so.
    """
    for option, value, known in (
        ("--placement", placement, PLACEMENTS),
        ("--legal-status", legal_status, LEGAL_STATUSES),
        ("--plan", plan, PLANS),
    ):
        if value is not None and value not in known:
            raise typer.BadParameter(
                f"{value!r} is not one of: {', '.join(known)}", param_hint=option
            )
    steps = [s.strip() for s in path.split(",") if s.strip()] if path else None
    result = casejourney.walk_journey(
        authority,
        parse_date(start),
        path=steps,
        seed=seed,
        age=age,
        scenario=scenario,
        placement=placement,
        legal_status=legal_status,
        plan=plan,
        disabled=disabled,
        workflows=workflows,
    )
    workflow = result.workflow
    if fmt is JourneyFormat.json:
        _emit(output, json.dumps(journey_record(result), indent=2) + "\n")
    elif fmt is JourneyFormat.csv:
        _emit_csv(output, [_instance_row(result, i) for i in result.instances])
    elif fmt is JourneyFormat.svg:
        from casejourney.api import journey_timeline

        target = output or Path(f"journey-{workflow.id}.svg")
        _write_atomic(target, journey_timeline(result))
        err.print(f"wrote {target}")
    else:
        _print_table(result, scenario, seed)


def _title(result: Journey, standard_id: str) -> str:
    return result.workflow.standards[standard_id].spec.title


def _instance_row(result: Journey, instance: Instance) -> dict[str, Any]:
    standard = result.workflow.standards[instance.standard]
    return {
        "standard": instance.standard,
        "kind": instance.kind,
        "title": standard.spec.title,
        "occurrence": instance.occurrence,
        "opened": instance.opened.isoformat(),
        "due": instance.due.isoformat(),
        "done": instance.done.isoformat() if instance.done else "",
        "outcome": instance.outcome.value,
        "breached": instance.breached,
        "late_days": instance.late_days,
        "late_units": instance.late_units,
        "unit": instance.unit,
        "authority": standard.authority,
        "document": standard.citation.document,
        "section": standard.citation.section,
        "quote": standard.citation.quote,
    }


def journey_record(result: Journey) -> dict[str, Any]:
    """The journey as JSON-ready data (no personal data: no names, dates of birth or ids)."""
    workflow = result.workflow
    return {
        "authority": workflow.id,
        "title": workflow.title,
        "until": result.until.isoformat(),
        "child": child_record(result),
        "events": [
            {
                "date": e.day.isoformat(),
                "event": e.name,
                "kind": "state" if e.name in workflow.states else "activity",
                "label": _label(result, e.name),
            }
            for e in result.events
        ],
        "standards": [_instance_row(result, i) for i in result.instances],
    }


def child_record(result: Journey) -> dict[str, Any]:
    """What the standards knew of the (made-up) child, and which of it was drawn."""
    child = result.child
    return {
        "placement": child.placement,
        "legal_status": child.legal_status,
        "plan": child.plan,
        "disabled": child.disabled,
        "drawn": list(result.drawn),
    }


def _child_line(result: Journey, scenario: str, seed: int) -> str:
    """One line: what the standards knew of the child, and what of it was drawn."""
    child = result.child
    parts = [
        f"{name} {value.replace('_', ' ')}"
        for name, value in (
            ("placement", child.placement),
            ("legal status", child.legal_status),
            ("plan", child.plan),
        )
        if value is not None
    ]
    if child.disabled is not None:
        parts.append("disabled" if child.disabled else "not disabled")
    line = "The child: " + (", ".join(parts) if parts else "nothing known beyond age")
    if result.drawn:
        names = ", ".join(name.replace("_", " ") for name in result.drawn)
        line += (
            f" ({names} drawn from {scenario}'s children: shares with seed {seed}; "
            "--placement, --legal-status, --plan, --disabled/--not-disabled choose instead)"
        )
    return line + "."


def _label(result: Journey, name: str) -> str:
    workflow = result.workflow
    if name in workflow.states:
        return workflow.states[name].label
    return workflow.activities[name].label if name in workflow.activities else name


def _print_table(result: Journey, scenario: str, seed: int) -> None:
    from rich.table import Table

    workflow = result.workflow
    table = Table(title=f"One child's journey: {workflow.title}", show_lines=True)
    table.add_column("date", no_wrap=True)
    table.add_column("event")
    table.add_column("timescales", overflow="fold")
    notes: dict[dt.date, list[str]] = {}
    for i in result.instances:
        title = _title(result, i.standard)
        notes.setdefault(i.opened, []).append(f"opens: {title} — due {i.due:%a %d %b %Y}")
        if i.done is not None:
            how = "met" if i.outcome == "met" else f"LATE by {_late(i)}"
            notes.setdefault(i.done, []).append(f"{how}: {title} (due {i.due:%d %b %Y})")
        elif i.outcome == "missed":
            notes.setdefault(i.due, []).append(f"MISSED: {title} (due {i.due:%d %b %Y})")
    days = sorted({e.day for e in result.events} | set(notes))
    by_day: dict[dt.date, list[str]] = {}
    for e in result.events:
        by_day.setdefault(e.day, []).append(_label(result, e.name))
    for day in days:
        table.add_row(
            f"{day:%a %d %b %Y}", "\n".join(by_day.get(day, [])), "\n".join(notes.get(day, []))
        )
    out.print(_child_line(result, scenario, seed), markup=False)
    out.print(table)
    breached = [i for i in result.instances if i.breached]
    met = sum(i.outcome == "met" for i in result.instances)
    out.print(
        f"{met} timescales met, {len(breached)} breached, "
        f"{sum(i.outcome == 'pending' for i in result.instances)} still open."
    )
    for standard_id in dict.fromkeys(i.standard for i in result.instances):
        s = workflow.standards[standard_id]
        out.print(f"  [{standard_id}] {s.citation.render()}", markup=False)


def _late(instance: Instance) -> str:
    unit = instance.unit.replace("_", " ")
    if instance.unit in ("working_days", "school_days"):
        return f"{instance.late_units:g} {unit}"
    return f"{instance.late_days} days"


def _write_atomic(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


def _emit(output: Path | None, text: str) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        _write_atomic(output, text)


def _emit_csv(output: Path | None, rows: list[dict[str, Any]]) -> None:
    if output is None:
        print_csv(rows)
        return
    _write_atomic(output, csv_text(rows))
