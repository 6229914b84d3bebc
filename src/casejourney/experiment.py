"""Replications of a scenario, in one process or several, and the results folder they leave.

Consumes a ``ScenarioSpec`` and its ``Workflow``; runs each replication (``simulate``), measures it
(``metrics``), and writes everything atomically to one folder: the summary and weekly measures with
confidence intervals (CSV and Parquet), each replication's event log, the resolved scenario, and
the versions used. Each replication is a ``casejourney.runner`` task: replication ``r`` always uses
``SeedSequence(seed).spawn(n)[r]``, so the answer does not depend on how many processes, or which
executor, ran it, nor on whether the run was interrupted and resumed.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from casejourney import metrics, outfolder, runner
from casejourney.runner import (
    EventLogFormat,
    Task,
    TaskResult,
    event_table,
    write_csv_for_excel,
    write_event_log,
)
from casejourney.simulate import Frame
from casejourney.spec.resolve import Workflow
from casejourney.spec.scenario import ScenarioSpec

__all__ = [
    "EventLogFormat",
    "ReplicationResult",
    "Results",
    "Settings",
    "event_table",
    "run",
    "write_csv_for_excel",
    "write_event_log",
]


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
    #: A Dask scheduler's address (or ``"local"``) to run the replications on, instead of ``jobs``.
    scheduler: str | None = None


#: What one replication sends back (``runner.run_task``): measures, log digest, timings.
ReplicationResult = TaskResult


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

    The replications are tasks of ``casejourney.runner``: here, in ``settings.jobs`` processes or
    on the Dask ``settings.scheduler``. With ``out``, each finished replication is kept in the
    staging folder beside it, so a run that was killed or interrupted (Ctrl-C) resumes where it
    stopped when run again into the same folder, and writes the same bytes as one that was not.

    Args:
        workflow: the authority's rules.
        scenario: the scenario (its own replications and seed are overridden by ``settings``).
        settings: replications, seed, processes or scheduler, scale.
        out: the results folder; its results are replaced when the run completes (a folder
            that is not a casejourney results folder is refused, and nothing else in it is
            touched).
        progress: called with the number of replications finished (fractions while one runs here).
        force: write into an existing folder that casejourney did not make, beside its files.

    Raises:
        OutputFolderError: ``out`` cannot be used (checked before any work), or writing failed.
        TaskError: a replication failed even when run again (nothing is written).

    """
    if out is None:
        tasks = plan(workflow, scenario, settings, None)
        results = Results(runner.compiled(tasks[0]).frame, settings)
        _replicate(tasks, settings, results, None, progress)
        return results
    with outfolder.claim(out, outfolder.SIMULATE, force):
        staging = outfolder.staging_for(out)  # a killed run's, to resume, or a new one
        try:
            tasks = plan(workflow, scenario, settings, staging)
            store = runner.Store(staging / "tasks", timings=True)
            done = {t.replication for t in tasks if store.load(t) is not None}
            outfolder.prune(staging, outfolder.SIMULATE.tree, _kept(staging, done))
            (staging / "events").mkdir(exist_ok=True)
            results = Results(runner.compiled(tasks[0]).frame, settings)
            _replicate(tasks, settings, results, store, progress)
            _write(results, workflow, scenario, staging)
            outfolder.prune(staging, outfolder.SIMULATE.tree, lambda p: p.name != "tasks")
            outfolder.publish(staging, out)
        except KeyboardInterrupt:
            raise  # the finished replications stay in the staging folder: run again to resume
        except BaseException:
            if staging.exists():
                outfolder.discard(staging, outfolder.SIMULATE.tree)  # no half-written folder
            raise
    return results


def plan(
    workflow: Workflow, scenario: ScenarioSpec, settings: Settings, out: Path | None
) -> list[Task]:
    """The replications as tasks (``out``: the folder whose ``events/`` their logs go to)."""
    scenario = scenario.model_copy(
        update={"seed": settings.seed, "replications": settings.replications}
    )
    return [
        Task(
            workflow,
            scenario,
            r,
            settings.seed,
            settings.scale,
            settings.horizon_days,
            settings.warm_up_days,
            measure="replication",
            event_log=settings.event_log if out is not None else "none",
            out=None if out is None else str(out),
        )
        for r in range(settings.replications)
    ]


def _kept(staging: Path, done: set[int]) -> Callable[[Path], bool]:
    """What of a killed run's staging folder to keep: finished replications and their logs."""

    def keep(path: Path) -> bool:
        if path.parent == staging:
            return path.name in ("tasks", "events", outfolder.MARKER)
        if path.parent.name == "tasks":
            return not path.name.startswith(".")  # a task file, not a half-written one
        found = re.fullmatch(r"(?:replication|counts)-(\d+)\.[a-z.]+", path.name)
        return found is not None and int(found[1]) in done

    return keep


def _replicate(
    tasks: Sequence[Task],
    settings: Settings,
    results: Results,
    store: runner.Store | None,
    progress: Callable[[float], None] | None,
) -> None:
    report = progress or (lambda _: None)
    finished = [0]

    def within(share: float) -> None:
        report(finished[0] + share)

    def done(p: runner.Progress) -> None:
        finished[0] = p.done
        report(p.done)

    with runner.using(settings.jobs, settings.scheduler, within) as executor:
        outcome = runner.run(tasks, executor, store, done)
    results.replications = {x.replication: x for x in outcome.ordered(tasks)}


# --- writing -------------------------------------------------------------------------------------


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
