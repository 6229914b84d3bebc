"""Exports of a results folder for other tools: the event log as XES, the measures as tidy CSV.

Consumes a results folder written by ``casejourney simulate`` (its event logs in ``events/``, its
``replications.parquet`` and ``run.json``); produces ``events/replication-NNNN.xes.gz`` (IEEE 1849
XES, which process-mining tools such as ProM, PM4Py, Disco and Celonis read) and
``metrics-tidy.csv`` (one row per replication × week × measure × key, with units, for Excel and
Power BI). Case identifiers are the simulation's own case numbers: no person is behind them.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from casejourney.errors import CasejourneyError
from casejourney.report.measures import MEASURES
from casejourney.spec import load_workflow
from casejourney.spec.resolve import Workflow

__all__ = ["TIDY_NAME", "XES_NAMESPACE", "tidy_rows", "write_tidy", "write_xes"]

XES_NAMESPACE = "http://www.xes-standard.org/"
TIDY_NAME = "metrics-tidy.csv"

# The standard extensions used (IEEE 1849-2016, section 7), with their defining URIs.
_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
)


class ExportError(CasejourneyError):
    """A results folder cannot be exported (no event log kept, or a file is unreadable)."""


def _record(folder: Path) -> dict[str, Any]:
    path = folder / "run.json"
    if not path.is_file():
        raise ExportError(
            f"{folder}: not a results folder (no run.json); write one with "
            "`casejourney simulate SCENARIO -o FOLDER`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ExportError(f"{path}: not a run record")
    return data


def _workflow(record: Mapping[str, Any], workflows: Path | None) -> Workflow | None:
    """The run's workflow, for labels and units; None when it cannot be found here."""
    try:
        return load_workflow(str(record.get("authority", "")), workflows)
    except CasejourneyError:
        return None


# --- XES -----------------------------------------------------------------------------------------


def _labels(workflow: Workflow | None) -> dict[str, str]:
    if workflow is None:
        return {}
    names = {s.id: s.label for s in workflow.states.values()}
    names.update({a.id: a.label for a in workflow.activities.values()})
    return names


def _timestamp(day: dt.date) -> str:
    """An xs:dateTime for a simulated day (midnight UTC: the simulation counts whole days)."""
    return f"{day.isoformat()}T00:00:00.000+00:00"


def _attr(parent: ET.Element, kind: str, key: str, value: str) -> None:
    ET.SubElement(parent, kind, {"key": key, "value": value})


@contextmanager
def _open_text(path: Path, compress: bool) -> Iterator[IO[str]]:
    if compress:
        # mtime=0: the same log gives the same bytes
        with (
            path.open("wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as zipped,
            _text(zipped) as handle,
        ):
            yield handle
    else:
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            yield handle


@contextmanager
def _text(binary: Any) -> Iterator[IO[str]]:
    import io

    wrapper = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
    try:
        yield wrapper
    finally:
        wrapper.flush()
        wrapper.detach()


def _header(record: Mapping[str, Any], replication: int) -> str:
    log = ET.Element(
        "log",
        {"xes.version": "1849-2016", "xes.features": "", "xmlns": XES_NAMESPACE},
    )
    for name, prefix, uri in _EXTENSIONS:
        ET.SubElement(log, "extension", {"name": name, "prefix": prefix, "uri": uri})
    trace_globals = ET.SubElement(log, "global", {"scope": "trace"})
    _attr(trace_globals, "string", "concept:name", "UNKNOWN")
    event_globals = ET.SubElement(log, "global", {"scope": "event"})
    _attr(event_globals, "string", "concept:name", "UNKNOWN")
    _attr(event_globals, "date", "time:timestamp", "1970-01-01T00:00:00.000+00:00")
    _attr(event_globals, "string", "lifecycle:transition", "complete")
    ET.SubElement(log, "classifier", {"name": "Activity", "keys": "concept:name"})
    ET.SubElement(
        log,
        "classifier",
        {"name": "Activity and lifecycle", "keys": "concept:name lifecycle:transition"},
    )
    scenario = str(record.get("scenario", "scenario"))
    _attr(log, "string", "concept:name", f"{scenario}, replication {replication}")
    _attr(log, "string", "lifecycle:model", "standard")
    _attr(log, "string", "source", "casejourney simulation (simulated cases, no personal data)")
    _attr(log, "string", "scenario", scenario)
    _attr(log, "string", "authority", str(record.get("authority", "")))
    _attr(log, "int", "seed", str(record.get("settings", {}).get("seed", "")))
    _attr(log, "int", "replication", str(replication))
    text = ET.tostring(log, encoding="unicode")
    return text[: -len("</log>")] if text.endswith("</log>") else text.removesuffix(" />") + ">"


def _event(
    trace: ET.Element,
    name: str,
    ident: str,
    kind: str,
    when: str,
    transition: str,
    team: str,
    worker: int,
    due: str | None,
) -> None:
    event = ET.SubElement(trace, "event")
    _attr(event, "string", "concept:name", name)
    _attr(event, "date", "time:timestamp", when)
    _attr(event, "string", "lifecycle:transition", transition)
    if team:
        _attr(event, "string", "org:group", team)
        if worker >= 0:
            _attr(event, "string", "org:resource", f"{team} worker {worker}")
    _attr(event, "string", "event_id", ident)
    _attr(event, "string", "kind", kind)
    if due is not None:
        _attr(event, "date", "due", due)


def _traces(
    columns: Mapping[str, Any], labels: Mapping[str, str], terminal: set[str]
) -> Iterator[str]:
    """Each case's trace as XES text, cases in number order, events in the order they happened.

    A stay in a state is an activity: ``start`` when the case enters, ``complete`` when it moves
    on (reaching a terminal state is one ``complete``). Visits, meetings and milestones are
    ``complete``.
    """
    kind = np.asarray(columns["kind"], dtype=object)
    keep = np.flatnonzero((kind == "enter") | (kind == "task") | (kind == "mark"))
    case = np.asarray(columns["case"])[keep]
    order = keep[np.argsort(case, kind="stable")]
    cases = np.asarray(columns["case"])[order].tolist()
    dates = [columns["date"][i] for i in order]
    events = [columns["event"][i] for i in order]
    kinds = kind[order].tolist()
    teams = [columns["team"][i] or "" for i in order]
    workers = [int(columns["worker"][i]) for i in order]
    dues = [columns["due_date"][i] for i in order]
    start = 0
    total = len(cases)
    while start < total:
        number = cases[start]
        stop = start
        while stop < total and cases[stop] == number:
            stop += 1
        trace = ET.Element("trace")
        _attr(trace, "string", "concept:name", str(number))
        open_state: tuple[str, str, int] | None = None
        for i in range(start, stop):
            when = _timestamp(dates[i])
            ident = str(events[i])
            name = labels.get(ident, ident)
            due = _timestamp(dues[i]) if dues[i] is not None else None
            if kinds[i] == "enter":
                if open_state is not None:
                    left, team, worker = open_state
                    _event(
                        trace,
                        labels.get(left, left),
                        left,
                        "enter",
                        when,
                        "complete",
                        team,
                        worker,
                        None,
                    )
                if ident in terminal:  # the journey ends here: nothing to start
                    _event(trace, name, ident, "enter", when, "complete", teams[i], workers[i], due)
                    open_state = None
                    continue
                _event(trace, name, ident, "enter", when, "start", teams[i], workers[i], due)
                open_state = (ident, teams[i], workers[i])
            else:
                _event(
                    trace, name, ident, str(kinds[i]), when, "complete", teams[i], workers[i], due
                )
        yield ET.tostring(trace, encoding="unicode")
        start = stop


def write_xes(
    results_dir: Path,
    *,
    replications: Sequence[int] | None = None,
    compress: bool = True,
    workflows: Path | None = None,
) -> list[Path]:
    """Write each replication's event log as IEEE 1849 XES, beside its Parquet/CSV log.

    One log per replication, one trace per simulated case (``concept:name`` is the simulation's
    case number), one event per state entered (``start``) and left (``complete``), and per visit,
    meeting or milestone (``complete``), with ``time:timestamp`` (the day, midnight UTC),
    ``org:group`` (the team holding the case) and the due date when the engine queued it with one.

    Args:
        results_dir: a results folder written with an event log (``--event-log parquet|both``).
        replications: which replications (default: every one in ``events/``).
        compress: gzip the XES (``.xes.gz``, which process-mining tools open directly); a
            national run's log is gigabytes of XML otherwise.
        workflows: where to find the authority's workflow, for readable state names.

    Returns:
        The files written.

    Raises:
        ExportError: the folder has no event log in Parquet, or a file cannot be read.

    """
    import pyarrow.parquet as pq

    folder = Path(results_dir)
    record = _record(folder)
    logs = sorted((folder / "events").glob("replication-*.parquet"))
    if not logs:
        raise ExportError(
            f"{folder}: no event log in Parquet (events/replication-*.parquet); simulate again "
            "with --event-log parquet (the default) or both"
        )
    wanted = set(replications) if replications is not None else None
    workflow = _workflow(record, workflows)
    labels = _labels(workflow)
    terminal = {s.id for s in workflow.states.values() if s.terminal} if workflow else set()
    written: list[Path] = []
    for path in logs:
        number = int(path.stem.rsplit("-", 1)[1])
        if wanted is not None and number not in wanted:
            continue
        try:
            table = pq.read_table(
                path, columns=["case", "date", "event", "kind", "team", "worker", "due_date"]
            )
        except Exception as exc:  # pyarrow raises several kinds; all mean "cannot read it"
            raise ExportError(f"{path}: cannot read it as Parquet ({exc})") from None
        columns = {
            name: table[name].cast("string").to_pylist()
            if name in ("event", "kind", "team")
            else table[name].to_pylist()
            for name in table.column_names
        }
        target = path.with_suffix(".xes.gz" if compress else ".xes")
        partial = target.with_name(f".{target.name}.partial")
        with _open_text(partial, compress) as handle:
            handle.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            handle.write(_header(record, number) + "\n")
            for trace in _traces(columns, labels, terminal):
                handle.write(trace)
                handle.write("\n")
            handle.write("</log>\n")
        partial.replace(target)
        written.append(target)
    return written


# --- tidy CSV ------------------------------------------------------------------------------------

#: The columns of ``metrics-tidy.csv``: ``metric`` and ``subject`` as in every other file of a
#: results folder (docs/outputs.md); ``better`` says which way is good news.
TIDY_COLUMNS = (
    "scenario",
    "authority",
    "replication",
    "period",
    "week",
    "week_start",
    "metric",
    "subject_type",
    "subject",
    "value",
    "unit",
    "better",
    "description",
)


def _standard_units(workflow: Workflow | None) -> dict[str, str]:
    units: dict[str, str] = {}
    if workflow is None:
        return units
    for ident, standard in workflow.standards.items():
        for name in ("within", "at_least", "every"):
            duration = getattr(standard.spec, name, None)
            if duration is not None:
                units[ident] = duration.unit.value.replace("_", " ")
                break
    return units


def _value(value: Any) -> str:
    """A figure for the CSV, always with a point (``5.0``); a missing one is empty.

    A ``5`` in the first rows would make polars and duckdb guess a whole-number column.
    """
    if value is None:
        return ""
    number = float(value)
    return repr(number) if math.isfinite(number) else ""


def tidy_rows(results_dir: Path, *, workflows: Path | None = None) -> Iterator[dict[str, str]]:
    """The results folder's measures in long form: one row per replication × week × measure × key.

    ``period`` is ``week`` (``week`` 0-based, ``week_start`` its Monday) or ``whole period``
    (both blank); ``subject_type`` says what ``subject`` names (standard, stage, team, place,
    drift, all cases). A blank value is "no figure" (e.g. % on time in a week with nothing due).

    Raises:
        ExportError: the folder has no ``replications.parquet`` or it cannot be read.

    """
    import pyarrow.parquet as pq

    folder = Path(results_dir)
    record = _record(folder)
    path = folder / "replications.parquet"
    if not path.is_file():
        raise ExportError(
            f"{folder}: no replications.parquet; was it written by `casejourney simulate`?"
        )
    try:
        cols = pq.read_table(path).to_pydict()
    except Exception as exc:  # pyarrow raises several kinds; all mean "cannot read it"
        raise ExportError(f"{path}: cannot read it as Parquet ({exc})") from None
    units = _standard_units(_workflow(record, workflows))
    try:
        report_start = dt.date.fromisoformat(str(record["report_start"]))
    except (KeyError, ValueError):
        raise ExportError(f"{folder / 'run.json'}: no valid report_start") from None
    scenario, authority = str(record.get("scenario", "")), str(record.get("authority", ""))
    for replication, metric, subject, week, value in zip(
        cols["replication"],
        cols["metric"],
        cols["subject"],
        cols["week"],
        cols["value"],
        strict=True,
    ):
        week = int(week)
        measure = MEASURES.get(str(metric))
        unit = "" if measure is None else measure.unit
        if unit == "units":  # the standard's own unit
            unit = units.get(str(subject), "")
        subject_type = str(metric).split(".", 1)[0]
        yield {
            "scenario": scenario,
            "authority": authority,
            "replication": str(int(replication)),
            "period": "week" if week >= 0 else "whole period",
            "week": str(week) if week >= 0 else "",
            "week_start": (report_start + dt.timedelta(weeks=week)).isoformat()
            if week >= 0
            else "",
            "metric": str(metric),
            "subject_type": {"cases": "all cases"}.get(subject_type, subject_type),
            "subject": str(subject),
            "value": _value(value),
            "unit": unit,
            "better": "" if measure is None else measure.better.value,
            "description": "" if measure is None else measure.title,
        }


def write_tidy(
    results_dir: Path, out: Path | None = None, *, workflows: Path | None = None
) -> Path:
    """Write the measures as tidy CSV (UTF-8 with a byte-order mark, so Excel reads it right).

    Args:
        results_dir: a results folder written by ``casejourney simulate``.
        out: the CSV file (default: ``metrics-tidy.csv`` in the folder).
        workflows: where to find the authority's workflow (for the units of lateness).

    Returns:
        The path written.

    Raises:
        ExportError: the folder has no measures, or they cannot be read.

    """
    folder = Path(results_dir)
    target = Path(out) if out is not None else folder / TIDY_NAME
    partial = target.with_name(f".{target.name}.partial")
    with partial.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TIDY_COLUMNS)
        writer.writeheader()
        writer.writerows(tidy_rows(folder, workflows=workflows))
    partial.replace(target)
    return target
