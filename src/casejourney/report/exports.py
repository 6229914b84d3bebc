"""Exports of a results folder for other tools: the event log as XES, the measures as tidy CSV.

Consumes a results folder written by ``casejourney simulate`` (its event logs in ``events/``, its
``replications.parquet`` and ``run.json``); produces ``events/replication-NNNN.xes.gz`` (IEEE 1849
XES, which process-mining tools such as ProM, PM4Py, Disco and Celonis read; written by
:mod:`casejourney.report.xes`) and
``metrics-tidy.csv`` (one row per replication × week × measure × key, with units, for Excel and
Power BI). Case identifiers are the simulation's own case numbers: no person is behind them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from casejourney.errors import CasejourneyError
from casejourney.report import xes
from casejourney.report.measures import MEASURES
from casejourney.spec import load_workflow
from casejourney.spec.resolve import Workflow

__all__ = ["TIDY_NAME", "ExportError", "tidy_rows", "write_tidy", "write_xes"]

TIDY_NAME = "metrics-tidy.csv"


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


def write_xes(
    results_dir: Path,
    *,
    replications: Sequence[int] | None = None,
    compress: bool = True,
    workflows: Path | None = None,
    engine: bool = True,
) -> list[Path]:
    """Write each replication's event log as IEEE 1849-2016 XES, beside its Parquet log.

    One log per replication (``events/replication-NNNN.xes.gz``), one trace per simulated case
    (``concept:name`` is ``<replication>-<case>``, unique when logs are merged), one event per
    state entered (``start``) and left (``complete``), and per visit, meeting or milestone
    (``complete``), with ``time:timestamp`` (the day, midnight UTC), ``order`` (its place in the
    case, for events on the same day), ``org:group``, a unique ``event_id`` and the due date when
    the engine queued it with one. Cases already open on the first simulated day say so
    (``open_at_start``). The engine's own records go to ``replication-NNNN-engine.xes.gz``.

    Args:
        results_dir: a results folder written with an event log (``--event-log parquet|both``).
        replications: which replications (default: every one in ``events/``).
        compress: gzip the XES (``.xes.gz``, which process-mining tools open directly); a
            national run's log is gigabytes of XML otherwise.
        workflows: where to find the authority's workflow, for readable state names.
        engine: also write the engine's records, each replication in its own log.

    Returns:
        The files written.

    Raises:
        ExportError: the folder has no event log in Parquet, or a file cannot be read.

    """
    folder = Path(results_dir)
    record = _record(folder)
    try:
        return xes.write_xes(
            folder,
            record,
            _workflow(record, workflows),
            replications=replications,
            compress=compress,
            engine=engine,
        )
    except xes.XesError as exc:
        raise ExportError(str(exc)) from None


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
    # The description (free text, the last column) is always quoted: duckdb guesses a file's
    # quoting from its first 20,480 rows, and the first description with a comma may come later.
    *codes, last = TIDY_COLUMNS
    with partial.open("w", encoding="utf-8-sig", newline="") as handle:
        line = io.StringIO()
        writer = csv.writer(line, lineterminator="")
        writer.writerow(TIDY_COLUMNS)
        handle.write(line.getvalue() + "\r\n")
        for row in tidy_rows(folder, workflows=workflows):
            line.seek(0)
            line.truncate()
            writer.writerow([row[column] for column in codes])
            text = row[last].replace('"', '""')
            handle.write(f'{line.getvalue()},"{text}"\r\n')
    partial.replace(target)
    return target
