"""casejourney: children's social care journeys as timed state machines.

The public surface is this module: load a workflow, check files, look up due dates, list rules.
Everything else is an implementation detail and may change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from casejourney import checks, report
from casejourney.calendar import Duration, WorkingCalendar, default_calendar
from casejourney.checks import check_paths, check_workflow
from casejourney.errors import (
    CasejourneyError,
    DurationError,
    IllegalStepError,
    SpecError,
    UnknownAuthorityError,
)
from casejourney.report.rules import rules_records
from casejourney.spec import Finding, Level, Workflow, find_workflow_file, workflows_dir
from casejourney.spec import load_workflow as _load_spec
from casejourney.spec.models import DeadlineSpec, LeadTimeSpec, MaxDurationSpec, RecurringSpec

try:
    __version__ = version("casejourney")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "CasejourneyError",
    "DueAnswer",
    "Duration",
    "DurationError",
    "Finding",
    "IllegalStepError",
    "Level",
    "SpecError",
    "UnknownAuthorityError",
    "Workflow",
    "WorkingCalendar",
    "__version__",
    "check_paths",
    "check_workflow",
    "checks",
    "due_date",
    "find_workflow_file",
    "load_workflow",
    "report",
    "rules_records",
    "workflows_dir",
]


def load_workflow(authority: str, directory: Path | None = None) -> Workflow:
    """Load, resolve and check one authority's workflow; raise if it has any error.

    Args:
        authority: a shipped authority (``"liverpool"``) or a path to a workflow YAML file.
        directory: the folder to look in for names (default: :func:`workflows_dir`).

    Raises:
        UnknownAuthorityError: no workflow file for that name.
        SpecError: the workflow has errors; ``.findings`` lists every one.

    """
    workflow = _load_spec(authority, directory)
    errors = [f for f in check_workflow(workflow) if f.level is Level.ERROR]
    if errors:
        raise SpecError(errors)
    return workflow


@dataclass(frozen=True)
class DueAnswer:
    """A due date and how it was worked out."""

    due: dt.date
    explanation: str


def due_date(
    start: dt.date,
    *,
    within: str | None = None,
    standard: str | None = None,
    authority: str = "national",
    directory: Path | None = None,
) -> DueAnswer:
    """The due date ``within`` (e.g. ``"15 working days"``) or under ``standard`` from ``start``.

    For a lead time, ``start`` is the later event (e.g. the conference) and the answer is the
    latest date the earlier event may happen. For a recurring standard, the first occurrence.

    Raises:
        DurationError: ``within`` cannot be read.
        UnknownAuthorityError: no such authority.
        CasejourneyError: no such standard.

    """
    if within is not None:
        duration = Duration.parse(within)
        closure: tuple[dt.date, ...] = ()
        if authority != "national":
            closure = load_workflow(authority, directory).closure_days
        due = default_calendar(closure).add(start, duration)
        return DueAnswer(due, f"{duration} after {start.isoformat()} (day 0)")
    workflow = load_workflow(authority, directory)
    found = workflow.standards.get(standard or "")
    if found is None:
        known = ", ".join(workflow.standards)
        raise CasejourneyError(f"no standard '{standard}' for {workflow.id}; known: {known}")
    spec, calendar = found.spec, workflow.calendar
    cite = found.citation.render()
    if isinstance(spec, LeadTimeSpec):
        due = calendar.subtract(start, spec.at_least)
        text = f"{spec.from_} at least {spec.at_least} before {spec.to} on {start.isoformat()}"
    elif isinstance(spec, RecurringSpec):
        first = spec.first or spec.every
        due = calendar.add(start, first)
        text = f"first {spec.to} within {first} of entering {', '.join(spec.while_)} on {start.isoformat()}"
    else:
        assert isinstance(spec, DeadlineSpec | MaxDurationSpec)
        due = calendar.add(start, spec.within)
        text = f"{spec.title}: {spec.within} after {start.isoformat()}"
    return DueAnswer(due, f"{text}\nsource: {cite}")
