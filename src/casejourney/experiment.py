"""Replications of a scenario, in one process or several, and the results folder they leave.

Consumes a ``ScenarioSpec`` and its ``Workflow``; runs each replication (``simulate``), measures it
(``metrics``), and writes everything atomically to one folder: the summary and weekly measures with
confidence intervals (CSV and Parquet), each replication's event log, the resolved scenario, and
the versions used. Replication ``r`` always uses ``SeedSequence(seed).spawn(n)[r]``, so the answer
does not depend on how many processes ran it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import numpy as np

from casejourney import metrics, outfolder
from casejourney.engine import EventLog, Kind, Snapshots
from casejourney.engine.records import NO_DUE
from casejourney.simulate import Compiled, Frame, compile_scenario, run_replication
from casejourney.spec.resolve import Workflow
from casejourney.spec.scenario import ScenarioSpec

EventLogFormat = Literal["parquet", "csv", "both", "none"]


@dataclass(frozen=True)
class Settings:
    """How to run a scenario: how many replications, in how many processes, at what scale."""

    replications: int
    seed: int
    jobs: int = 1
    scale: float = 1.0
    horizon_days: int | None = None
    warm_up_days: int | None = None
    event_log: EventLogFormat = "parquet"
    #: The ``--set`` what-ifs the scenario was run with (already in it; kept to reproduce the run).
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication sends back: its measures, the digest of its log, and timings."""

    replication: int
    measures: metrics.Measures
    digest: str
    events: int
    cases: int
    seconds_simulating: float
    seconds_measuring: float


@dataclass
class Results:
    """Every replication's measures, and the same across replications with confidence intervals."""

    frame: Frame
    settings: Settings
    replications: dict[int, ReplicationResult] = field(default_factory=dict)

    def summary(self) -> dict[str, list[Any]]:
        """Whole-period measures across replications (mean, sd, 95% interval)."""
        table = metrics.across({r: x.measures for r, x in self.replications.items()})
        keep = [i for i, w in enumerate(table["week"]) if w == -1]
        return {k: [v[i] for i in keep] for k, v in table.items() if k != "week"}

    def weekly(self) -> dict[str, list[Any]]:
        """Week-by-week measures across replications."""
        table = metrics.across({r: x.measures for r, x in self.replications.items()})
        keep = [i for i, w in enumerate(table["week"]) if w >= 0]
        out = {k: [v[i] for i in keep] for k, v in table.items()}
        start = self.frame.grid.date(self.frame.report_start)
        out["week_start"] = [start + dt.timedelta(weeks=int(w)) for w in out["week"]]
        return out


def run(
    workflow: Workflow,
    scenario: ScenarioSpec,
    settings: Settings,
    out: Path | None = None,
    progress: Callable[[float], None] | None = None,
    force: bool = False,
) -> Results:
    """Run every replication and (if ``out`` is given) write the results folder atomically.

    Args:
        workflow: the authority's rules.
        scenario: the scenario (its own replications and seed are overridden by ``settings``).
        settings: replications, seed, processes, scale.
        out: the results folder; its results are replaced when the run completes (a folder
            that is not a casejourney results folder is refused, and nothing else in it is
            touched).
        progress: called with the number of replications finished (fractions while one runs).
        force: write into an existing folder that casejourney did not make, beside its files.

    Raises:
        OutputFolderError: ``out`` cannot be used (checked before any work), or writing failed.

    """
    if out is None:
        compiled = _compile(workflow, scenario, settings)
        results = Results(compiled.frame, settings)
        _replicate(workflow, scenario, settings, compiled, results, None, progress)
        return results
    with outfolder.claim(out, outfolder.SIMULATE, force):
        staging = outfolder.staging_for(out)
        try:
            (staging / "events").mkdir()
            compiled = _compile(workflow, scenario, settings)
            results = Results(compiled.frame, settings)
            _replicate(workflow, scenario, settings, compiled, results, staging, progress)
            _write(results, workflow, scenario, staging)
            outfolder.publish(staging, out)
        except BaseException:
            if staging.exists():
                outfolder.discard(staging, outfolder.SIMULATE.tree)  # no half-written folder
            raise
    return results


def _replicate(
    workflow: Workflow,
    scenario: ScenarioSpec,
    settings: Settings,
    compiled: Compiled,
    results: Results,
    staging: Path | None,
    progress: Callable[[float], None] | None,
) -> None:
    tasks = list(range(settings.replications))
    report = progress or (lambda _: None)
    if settings.jobs <= 1 or len(tasks) <= 1:
        for index, replication in enumerate(tasks):
            result = _one(
                compiled,
                replication,
                staging,
                settings.event_log,
                partial(_progress_within, report, index),
            )
            results.replications[replication] = result
            report(index + 1)
    else:
        with ProcessPoolExecutor(max_workers=settings.jobs) as pool:
            futures = [
                pool.submit(_one_in_worker, workflow, scenario, settings, r, staging) for r in tasks
            ]
            for done, future in enumerate(as_completed(futures), 1):
                result = future.result()
                results.replications[result.replication] = result
                report(done)


def _progress_within(report: Callable[[float], None], done: int, share: float) -> None:
    report(done + share)


def _compile(workflow: Workflow, scenario: ScenarioSpec, settings: Settings) -> Compiled:
    scenario = scenario.model_copy(
        update={"seed": settings.seed, "replications": settings.replications}
    )
    return compile_scenario(
        workflow,
        scenario,
        scale=settings.scale,
        horizon_days=settings.horizon_days,
        warm_up_days=settings.warm_up_days,
    )


def _one_in_worker(
    workflow: Workflow,
    scenario: ScenarioSpec,
    settings: Settings,
    replication: int,
    staging: Path | None,
) -> ReplicationResult:
    """One replication in a worker process (compiling there: a calendar does not pickle)."""
    return _one(_compile(workflow, scenario, settings), replication, staging, settings.event_log)


def _one(
    compiled: Compiled,
    replication: int,
    staging: Path | None,
    event_log: EventLogFormat,
    progress: Callable[[float], None] | None = None,
) -> ReplicationResult:
    started = time.perf_counter()
    log, snapshots = run_replication(compiled, replication, progress)
    simulated = time.perf_counter()
    measures = metrics.measure(log, snapshots, compiled.frame)
    measured = time.perf_counter()
    if staging is not None:
        write_event_log(log, snapshots, compiled.frame, staging, event_log)
    return ReplicationResult(
        replication=replication,
        measures=measures,
        digest=log.digest(),
        events=len(log),
        cases=int(log["case"].max()) + 1 if len(log) else 0,
        seconds_simulating=simulated - started,
        seconds_measuring=measured - simulated,
    )


# --- writing -------------------------------------------------------------------------------------


def event_table(log: EventLog, frame: Frame) -> Any:
    """The event log as a pyarrow table: one row per event, names not codes, no personal data."""
    import pyarrow as pa

    n = len(log)
    names = pa.array(list(frame.names), pa.string())
    kinds = pa.array([k.name.lower() for k in Kind], pa.string())
    holders = [*frame.teams, *frame.scenario.placements, ""]
    team_codes = np.where(log["team"] >= 0, log["team"], len(holders) - 1).astype(np.int32)
    due = log["due"]
    has_due = due != NO_DUE
    due_dates = frame.grid.dates(np.where(has_due, due, 0)).astype("datetime64[D]")
    return pa.table(
        {
            "replication": pa.array(np.full(n, log.replication, dtype=np.int32)),
            "case": pa.array(log["case"]),
            "date": pa.array(frame.grid.dates(log["day"]).astype("datetime64[D]")),
            "day": pa.array(log["day"]),
            "event": pa.DictionaryArray.from_arrays(pa.array(log["event"].astype(np.int32)), names),
            "kind": pa.DictionaryArray.from_arrays(pa.array(log["kind"].astype(np.int32)), kinds),
            "team": pa.DictionaryArray.from_arrays(pa.array(team_codes), pa.array(holders)),
            "worker": pa.array(log["worker"]),
            "released_day": pa.array(log["released"]),
            "started_day": pa.array(log["started"]),
            "hours": pa.array(log["hours"]),
            "due_date": pa.array(due_dates, mask=~has_due),
        }
    )


def write_event_log(
    log: EventLog, snapshots: Snapshots, frame: Frame, folder: Path, fmt: EventLogFormat
) -> None:
    """Write one replication's event log (and weekly counts) into ``folder/events``."""
    if fmt == "none":
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = event_table(log, frame)
    stem = folder / "events" / f"replication-{log.replication:04d}"
    if fmt in ("parquet", "both"):
        pq.write_table(table, stem.with_suffix(".parquet"), compression="zstd")
    if fmt in ("csv", "both"):
        plain = pa.table(
            {
                name: table[name].cast(pa.string())
                if name in ("event", "kind", "team")
                else table[name]
                for name in table.column_names
            }
        )
        write_csv_for_excel(plain, stem.with_suffix(".csv"))
    pq.write_table(
        _snapshot_table(snapshots, frame),
        folder / "events" / f"counts-{log.replication:04d}.parquet",
    )


def _snapshot_table(snapshots: Snapshots, frame: Frame) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "replication": pa.array(
                np.full(len(snapshots.day), snapshots.replication, dtype=np.int32)
            ),
            "date": pa.array(frame.grid.dates(snapshots.day).astype("datetime64[D]")),
            "subject": pa.array(list(snapshots.subject)),
            "metric": pa.array(list(snapshots.measure)),
            "value": pa.array(snapshots.value),
        }
    )


def _csv_cells(column: Any) -> list[Any]:
    """A column's cells for CSV: floats always with a point (``80.0``), missing ones empty.

    A float written ``80`` makes polars and duckdb guess a whole-number column from the first
    rows and then fail on ``80.5``; ``nan`` would be read as text.
    """
    import pyarrow as pa

    values = column.to_pylist()
    if pa.types.is_floating(column.type):
        return [repr(float(v)) if v is not None and math.isfinite(v) else "" for v in values]
    return ["" if v is None else v for v in values]  # a date prints as YYYY-MM-DD


def write_csv_for_excel(table: Any, path: Path) -> None:
    """Write a pyarrow table as CSV that Excel, polars and duckdb read right.

    UTF-8 with a byte-order mark (without it Excel reads the Windows code page and ``≤``, ``’``
    come out garbled; pandas, polars, duckdb and Python's ``utf-8-sig`` skip it); numbers
    unquoted, text quoted only where it must be; a missing figure is an empty cell.
    """
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.column_names)
        for batch in table.to_batches(max_chunksize=65_536):
            writer.writerows(zip(*(_csv_cells(c) for c in batch.columns), strict=True))


def _column(values: Sequence[Any]) -> Any:
    """A pyarrow column in which a missing figure (NaN or None) is null, never NaN.

    A NaN is a number to duckdb (``AVG`` of a column with one is NaN), polars and Parquet
    readers; null is "no figure", which every tool leaves out of sums and means.
    """
    import pyarrow as pa

    return pa.array(list(values), from_pandas=True)


def _write_table(columns: Mapping[str, Sequence[Any]], stem: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({k: _column(v) for k, v in columns.items()})
    pq.write_table(table, stem.with_suffix(".parquet"))
    write_csv_for_excel(table, stem.with_suffix(".csv"))


def _write(results: Results, workflow: Workflow, scenario: ScenarioSpec, folder: Path) -> None:
    _write_table(results.summary(), folder / "summary")
    _write_table(results.weekly(), folder / "weekly")
    per_rep: dict[str, list[Any]] = {
        "replication": [],
        "metric": [],
        "subject": [],
        "week": [],
        "value": [],
    }
    for r, result in sorted(results.replications.items()):
        m = result.measures
        per_rep["replication"] += [r] * len(m.metric)
        per_rep["metric"] += m.metric
        per_rep["subject"] += m.subject
        per_rep["week"] += m.week
        per_rep["value"] += m.value
    _write_table(per_rep, folder / "replications")
    resolved = scenario.model_dump(mode="json", by_alias=True)
    resolved["seed"] = results.settings.seed
    resolved["replications"] = results.settings.replications
    (folder / "scenario.resolved.json").write_text(
        json.dumps(resolved, indent=2) + "\n", encoding="utf-8"
    )
    (folder / "run.json").write_text(
        json.dumps(run_record(results, workflow), indent=2) + "\n", encoding="utf-8"
    )


def versions() -> dict[str, str]:
    """Versions of everything that can change an answer."""
    found = {"python": sys.version.split()[0], "platform": platform.platform()}
    for package in (
        "casejourney",
        "simpy",
        "numpy",
        "pyarrow",
        "pydantic",
        "holidays",
        "transitions",
    ):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


def run_record(results: Results, workflow: Workflow) -> dict[str, Any]:
    """What was run, how, with what, and each replication's log digest."""
    frame, settings = results.frame, results.settings
    return {
        "scenario": frame.scenario.id,
        "authority": workflow.id,
        "workflow_files": list(workflow.chain),
        "start": frame.grid.date(frame.start).isoformat(),
        "report_start": frame.grid.date(frame.report_start).isoformat(),
        "end": frame.grid.date(frame.end).isoformat(),
        "settings": {
            "replications": settings.replications,
            "seed": settings.seed,
            "jobs": settings.jobs,
            "scale": settings.scale,
            "event_log": settings.event_log,
            "changes": list(settings.changes),
        },
        "versions": versions(),
        "replications": [
            {
                "replication": r,
                "event_log_sha256": x.digest,
                "events": x.events,
                "cases": x.cases,
                "seconds_simulating": round(x.seconds_simulating, 3),
                "seconds_measuring": round(x.seconds_measuring, 3),
            }
            for r, x in sorted(results.replications.items())
        ],
    }
