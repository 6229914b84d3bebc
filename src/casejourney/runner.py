"""One runner for replications, sweeps and calibration trials: tasks, where they run, resuming.

Consumes :class:`Task` s — a compiled-to-be scenario, its workflow, a replication and an explicit
seed, and what to measure — and produces :class:`TaskResult` s. ``run_task`` is the only code that
simulates a task, whichever command asked for it (``simulate`` replications, ``sweep`` points,
``calibrate`` and ``backtest`` trials), and :func:`run` the only loop that hands tasks to an
executor: here (:class:`InProcess`), in local processes (:class:`Processes`, ``--jobs``) or on a
Dask cluster (:class:`Dask`, ``--scheduler``). With a :class:`Store` the loop is resumable: each
finished task is written at once, atomically, as ``<key>.json``, and a task whose file is there is
not run again. A task's key hashes everything its answer depends on, and replication ``r`` uses
``SeedSequence(seed).spawn(n)[r]`` wherever it runs, so a resumed run, or one on another executor
or number of processes, gives the same answer, byte for byte.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from casejourney import dfe, metrics
from casejourney.engine import EventLog, Kind, Snapshots
from casejourney.engine.records import NO_DUE
from casejourney.errors import CasejourneyError
from casejourney.simulate import Compiled, Frame, compile_scenario, run_replication
from casejourney.spec.resolve import Workflow
from casejourney.spec.scenario import ScenarioSpec

#: What a task measures: ``replication`` — everything a results folder needs (weekly measures,
#: the event log's size, and the log itself written to ``Task.out``); ``period`` — the
#: whole-period measures (a sweep's point); ``dfe`` — the DfE measures of ``Task.years``
#: (calibration), named ``measure@year``, counts at the simulated scale; ``custom`` — the figures
#: ``Task.extract`` (a module-level function, so that it pickles) reads from the run.
Measure = Literal["replication", "period", "dfe", "custom"]

#: A ``custom`` task's measurement: named figures from a replication's log and snapshots.
Extract = Callable[[EventLog, Snapshots, Frame], dict[str, float]]
EventLogFormat = Literal["parquet", "csv", "both", "none"]

#: Attempts after the first for a task that raised (Dask also reruns tasks of a worker that died).
RETRIES = 2


@dataclass(frozen=True, eq=False)
class Task:
    """One replication of one scenario: everything a worker needs, and nothing that won't pickle.

    ``seed`` is explicit: the scenario is run with it whatever its own ``seed`` says. ``point``
    is a sweep's grid point (kept in its task file); ``out`` a results folder whose ``events/``
    the worker writes the event log into (``replication`` only; a Dask worker must see it).
    """

    workflow: Workflow
    scenario: ScenarioSpec
    replication: int
    seed: int
    scale: float = 1.0
    horizon_days: int | None = None
    warm_up_days: int | None = None
    measure: Measure = "period"
    years: tuple[int, ...] = ()
    event_log: EventLogFormat = "none"
    out: str | None = None
    extract: Extract | None = None
    point: tuple[tuple[str, int | float | str], ...] = ()
    key: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", task_key(self))


def task_key(task: Task) -> str:
    """A hash of everything the task's answer depends on (its file's name in a :class:`Store`).

    Hashing the whole resolved scenario (not only what changed) means an edited scenario file or a
    different ``--scale`` never reuses a stale result. A sweep's task (``period``) hashes as
    sweeps always have, so an earlier sweep folder resumes.
    """
    content: dict[str, Any] = {
        "scenario": task.scenario.model_dump(mode="json", by_alias=True),
        "point": [[p, v] for p, v in task.point],
        "replication": task.replication,
        "seed": task.seed,
        "scale": task.scale,
        "horizon_days": task.horizon_days,
        "warm_up_days": task.warm_up_days,
    }
    if task.measure != "period":
        content["measure"] = task.measure
        content["years"] = list(task.years)
        content["event_log"] = task.event_log
        content["workflow"] = [task.workflow.id, *task.workflow.chain]
    if task.extract is not None:
        content["extract"] = f"{task.extract.__module__}.{task.extract.__qualname__}"
    text = json.dumps(content, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class TaskResult:
    """What one task sends back: its measures, its event log's digest and size, and timings."""

    key: str
    replication: int
    seed: int
    digest: str
    measures: metrics.Measures
    #: Named figures: the DfE measures (``dfe``) or what ``extract`` read (``custom``).
    values: dict[str, float] = field(default_factory=dict)
    events: int = 0
    cases: int = 0
    seconds_simulating: float = 0.0
    seconds_measuring: float = 0.0


# --- one task, in whichever process runs it -----------------------------------------------------

_compiled: dict[str, Compiled] = {}


def compiled(task: Task) -> Compiled:
    """The task's compiled scenario; the last one is kept, so a worker compiles each variant once."""
    key = task_key(
        Task(
            task.workflow,
            task.scenario,
            0,
            task.seed,
            task.scale,
            task.horizon_days,
            task.warm_up_days,
            key="-",
        )
    )
    if key not in _compiled:
        scenario = task.scenario
        if scenario.seed != task.seed:
            scenario = scenario.model_copy(update={"seed": task.seed})
        found = compile_scenario(
            task.workflow,
            scenario,
            scale=task.scale,
            horizon_days=task.horizon_days,
            warm_up_days=task.warm_up_days,
        )
        _compiled.clear()
        _compiled[key] = found
    return _compiled[key]


def run_task(task: Task, progress: Callable[[float], None] | None = None) -> TaskResult:
    """Run one task: compile its scenario, run the replication, measure what it asks.

    ``progress`` is called with the share of the replication done (weekly), when run here.
    """
    model = compiled(task)
    started = time.perf_counter()
    log, snapshots = run_replication(model, task.replication, progress)
    simulated = time.perf_counter()
    digest, events = log.digest(), len(log)
    cases = int(log["case"].max()) + 1 if events else 0
    if task.out is not None and task.event_log != "none":
        # written before the measures, which let go of the log's columns as they go
        write_event_log(log, snapshots, model.frame, Path(task.out), task.event_log)
    written = time.perf_counter()
    measures = metrics.Measures([], [], [], [])
    found: dict[str, float] = {}
    if task.measure == "dfe":
        for year in task.years:
            for k, v in dfe.measures(log, model.frame, dfe.Year(year)).items():
                found[f"{k}@{year}"] = v  # at the simulated scale
    elif task.measure == "custom":
        if task.extract is None:
            raise ValueError("a custom task needs its extract function")
        found = task.extract(log, snapshots, model.frame)
    else:
        # the log is read no further: its columns are let go as the measures are made
        measures = metrics.measure(log, snapshots, model.frame, release=True)
        if task.measure == "period":
            keep = [i for i, w in enumerate(measures.week) if w == -1]
            measures = metrics.Measures(
                [measures.metric[i] for i in keep],
                [measures.subject[i] for i in keep],
                [-1] * len(keep),
                [measures.value[i] for i in keep],
            )
    measured = time.perf_counter()
    return TaskResult(
        key=task.key,
        replication=task.replication,
        seed=task.seed,
        digest=digest,
        measures=measures,
        values=found,
        events=events,
        cases=cases,
        seconds_simulating=simulated - started,
        seconds_measuring=measured - written,
    )


# --- the event log, written by the worker that ran the replication ----------------------------


def event_table(log: EventLog, frame: Frame, rows: slice | None = None) -> Any:
    """The event log as a pyarrow table: one row per event, names not codes, no personal data.

    ``rows``: only these rows (a slice of the log), for writing a long log a batch at a time.
    """
    import pyarrow as pa

    rows = rows or slice(None)

    def column(name: str) -> np.ndarray:
        found: np.ndarray = log[name][rows]
        return found

    n = len(column("case"))
    names = pa.array(list(frame.names), pa.string())
    kinds = pa.array([k.name.lower() for k in Kind], pa.string())
    holders = [*frame.teams, *frame.scenario.placements, ""]
    team = column("team")
    team_codes = np.where(team >= 0, team, len(holders) - 1).astype(np.int32)
    due = column("due")
    has_due = due != NO_DUE
    due_dates = frame.grid.dates(np.where(has_due, due, 0)).astype("datetime64[D]")
    return pa.table(
        {
            "replication": pa.array(np.full(n, log.replication, dtype=np.int32)),
            "case": pa.array(column("case")),
            "date": pa.array(frame.grid.dates(column("day")).astype("datetime64[D]")),
            "day": pa.array(column("day")),
            "event": pa.DictionaryArray.from_arrays(
                pa.array(column("event").astype(np.int32)), names
            ),
            "kind": pa.DictionaryArray.from_arrays(
                pa.array(column("kind").astype(np.int32)), kinds
            ),
            "team": pa.DictionaryArray.from_arrays(pa.array(team_codes), pa.array(holders)),
            "worker": pa.array(column("worker")),
            "released_day": pa.array(column("released")),
            "started_day": pa.array(column("started")),
            "hours": pa.array(column("hours")),
            "due_date": pa.array(due_dates, mask=~has_due),
        }
    )


#: Rows of the event log written at once: Parquet's row group (pyarrow's default size), so the
#: file is the one a single ``write_table`` of the whole log gives.
EVENT_BATCH_ROWS = 1 << 20


def write_event_log(
    log: EventLog, snapshots: Snapshots, frame: Frame, folder: Path, fmt: EventLogFormat
) -> None:
    """Write one replication's event log (and weekly counts) into ``folder/events``."""
    if fmt == "none":
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    stem = folder / "events" / f"replication-{log.replication:04d}"
    # A batch of rows at a time (a national year's log is 16 million rows: as one table it would
    # need several times the log's memory again).
    with contextlib.ExitStack() as files:
        parquet: Any = None
        rows: Any = None
        for start in range(0, max(len(log), 1), EVENT_BATCH_ROWS):
            table = event_table(log, frame, slice(start, start + EVENT_BATCH_ROWS))
            if fmt in ("parquet", "both"):
                if parquet is None:
                    parquet = files.enter_context(
                        pq.ParquetWriter(
                            stem.with_suffix(".parquet"), table.schema, compression="zstd"
                        )
                    )
                parquet.write_table(table)
            if fmt in ("csv", "both"):
                plain = pa.table(
                    {
                        name: table[name].cast(pa.string())
                        if name in ("event", "kind", "team")
                        else table[name]
                        for name in table.column_names
                    }
                )
                if rows is None:
                    handle = files.enter_context(
                        stem.with_suffix(".csv").open("w", encoding="utf-8-sig", newline="")
                    )
                    rows = csv.writer(handle)
                    rows.writerow(plain.column_names)
                _write_csv_rows(rows, plain)
            del table
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
        _write_csv_rows(writer, table)


def _write_csv_rows(writer: Any, table: Any) -> None:
    """A pyarrow table's rows (no header) through a ``csv.writer``, as ``write_csv_for_excel``."""
    for batch in table.to_batches(max_chunksize=65_536):
        writer.writerows(zip(*(_csv_cells(c) for c in batch.columns), strict=True))


# --- resuming: finished tasks kept as files ------------------------------------------------------


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a rename: readers see old or new)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class Store:
    """A folder of finished tasks, one ``<key>.json`` each, written as each task finishes.

    A task file holds what its answer is (never its wall time, unless ``timings``: a file that
    never leaves a staging folder), so two runs of one command write the same bytes.
    """

    folder: Path
    timings: bool = False

    def path(self, task: Task) -> Path:
        """The task's file."""
        return self.folder / f"{task.key}.json"

    def load(self, task: Task) -> TaskResult | None:
        """The task's result if it finished before (None if not, or if its file is unreadable)."""
        path = self.path(task)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            n = len(data["metric"]) if "metric" in data else 0
            return TaskResult(
                key=task.key,
                replication=int(data["replication"]),
                seed=int(data["seed"]),
                digest=str(data["digest"]),
                measures=metrics.Measures(
                    data.get("metric", []),
                    data.get("subject", []),
                    data.get("week", [-1] * n),
                    data.get("value", []),
                ),
                values=data.get("values", {}),
                events=int(data.get("events", 0)),
                cases=int(data.get("cases", 0)),
                seconds_simulating=float(data.get("seconds_simulating", 0.0)),
                seconds_measuring=float(data.get("seconds_measuring", 0.0)),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a file from an older or foreign format: run the task again

    def save(self, task: Task, result: TaskResult) -> None:
        """Keep a finished task (atomically)."""
        record: dict[str, Any] = {
            "key": task.key,
            "point": [[p, v] for p, v in task.point],
            "replication": result.replication,
            "seed": result.seed,
            "digest": result.digest,
        }
        if task.measure in ("dfe", "custom"):
            record["values"] = result.values
        else:
            m = result.measures
            record["metric"], record["subject"] = m.metric, m.subject
            if task.measure == "replication":
                record["week"] = m.week
                record["events"], record["cases"] = result.events, result.cases
            record["value"] = m.value
        if self.timings:
            record["seconds_simulating"] = result.seconds_simulating
            record["seconds_measuring"] = result.seconds_measuring
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path(task), json.dumps(record) + "\n")


# --- executors: here, local processes, or a Dask cluster ---------------------------------------


class Executor(Protocol):
    """Runs :func:`run_task` somewhere; futures have ``result()`` (raising what the task raised)."""

    def submit(self, task: Task) -> Any:
        """Start one task; return its future."""

    def wait(self, futures: Iterable[Any]) -> set[Any]:
        """Block until at least one of ``futures`` finishes; return those finished."""

    def close(self) -> None:
        """Release processes or connections this executor opened."""


class InProcess:
    """Tasks here, one at a time, in the order submitted (``progress``: share of the one running)."""

    def __init__(self, progress: Callable[[float], None] | None = None) -> None:
        self.progress = progress
        self.pending: dict[cf.Future[TaskResult], Task] = {}

    def submit(self, task: Task) -> Any:
        """Queue one task; it runs when waited for."""
        future: cf.Future[TaskResult] = cf.Future()
        self.pending[future] = task
        return future

    def wait(self, futures: Iterable[Any]) -> set[Any]:
        """Run the first queued task among ``futures``; return it (or those already done)."""
        futures = list(futures)
        done = {f for f in futures if f.done()}
        if done:
            return done
        future = next(f for f in futures if f in self.pending)
        task = self.pending.pop(future)
        try:
            future.set_result(run_task(task, self.progress))
        except Exception as problem:
            future.set_exception(problem)
        return {future}

    def close(self) -> None:
        """Forget what was never run."""
        self.pending.clear()


class Processes:
    """Tasks in ``jobs`` local processes (``concurrent.futures``); a broken pool is replaced."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.pool = cf.ProcessPoolExecutor(max_workers=jobs)

    def submit(self, task: Task) -> Any:
        """Start one task; return its future."""
        try:
            return self.pool.submit(run_task, task)
        except cf.process.BrokenProcessPool:
            # A worker died: its pool refuses new work; a fresh pool lets retries proceed.
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = cf.ProcessPoolExecutor(max_workers=self.jobs)
            return self.pool.submit(run_task, task)

    def wait(self, futures: Iterable[Any]) -> set[Any]:
        """Block until at least one finishes."""
        done, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
        return set(done)

    def close(self) -> None:
        """Shut the pool down, cancelling what has not started (an interrupt loses only those)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


class Dask:
    """Tasks on a Dask ``distributed`` cluster; the scheduler reruns tasks of a worker that dies."""

    def __init__(self, client: Any, retries: int = RETRIES, cluster: Any = None) -> None:
        self.client = client
        self.retries = retries
        self.cluster = cluster  # a LocalCluster this executor started (closed with it)

    @classmethod
    def connect(cls, address: str | None, jobs: int | None = None) -> Dask:
        """A client of the scheduler at ``address``; ``None`` or ``"local"``: a LocalCluster here.

        The LocalCluster has ``jobs`` single-threaded worker processes (Dask's choice if None).

        Raises:
            CasejourneyError: Dask's ``distributed`` is not installed.

        """
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise CasejourneyError(
                "--dask/--scheduler need Dask: pip install 'casejourney[dask]'"
            ) from None
        if address and address != "local":
            return cls(Client(address))  # type: ignore[no-untyped-call]
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        return cls(Client(cluster), cluster=cluster)  # type: ignore[no-untyped-call]

    def submit(self, task: Task) -> Any:
        """Start one task; return its future (Dask retries it ``retries`` times on error)."""
        return self.client.submit(run_task, task, retries=self.retries, pure=False)

    def wait(self, futures: Iterable[Any]) -> set[Any]:
        """Block until at least one finishes."""
        from distributed import wait

        done, _ = wait(list(futures), return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]
        return set(done)

    def close(self) -> None:
        """Close the client, and the LocalCluster if this executor started it."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def executor(
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> Executor:
    """Where to run tasks: on Dask, in local processes, or here.

    A Dask ``scheduler`` (an address, or ``"local"`` for a LocalCluster of ``jobs`` workers), else
    ``jobs`` local processes, else (``jobs`` 1) here, reporting ``progress`` within a task.

    Raises:
        CasejourneyError: a scheduler is asked for and Dask is not installed.

    """
    if scheduler:
        return Dask.connect(scheduler, jobs)
    if jobs > 1:
        return Processes(jobs)
    return InProcess(progress)


@contextlib.contextmanager
def using(
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> Iterator[Executor]:
    """:func:`executor`, closed when done."""
    found = executor(jobs, scheduler, progress)
    try:
        yield found
    finally:
        found.close()


# --- the loop -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """How far a run has got: tasks done (this run or before), failed, and in all."""

    done: int
    failed: int
    total: int
    skipped: int


class TaskError(CasejourneyError):
    """Some tasks failed even after retries; the finished ones are kept and a re-run resumes."""


@dataclass
class Outcome:
    """What :func:`run` did: each finished task's result by key, and what it ran, skipped, lost."""

    results: dict[str, TaskResult]
    ran: int
    skipped: int
    failed: list[str]
    seconds: dict[str, float] = field(default_factory=dict)

    def ordered(self, tasks: Sequence[Task]) -> list[TaskResult]:
        """The results of ``tasks``, in their order."""
        return [self.results[t.key] for t in tasks]


def run(
    tasks: Sequence[Task],
    executor: Executor,
    store: Store | None = None,
    progress: Callable[[Progress], None] | None = None,
    retries: int = RETRIES,
    raise_on_failure: bool = True,
) -> Outcome:
    """Run the tasks not already in ``store`` on ``executor``; keep each in ``store`` as it ends.

    A task that raises is submitted again up to ``retries`` times. The executor stays open (the
    caller closes it), so one pool or cluster serves many calls (a calibration's trials).

    Raises:
        TaskError: some tasks still failed (with ``raise_on_failure``); the first failure's
            message is given, and the finished tasks are kept in ``store``.

    """
    report = progress or (lambda _: None)
    results: dict[str, TaskResult] = {}
    todo: list[Task] = []
    for task in {t.key: t for t in tasks}.values():  # a task asked twice runs once
        found = store.load(task) if store is not None else None
        if found is None:
            todo.append(task)
        else:
            results[task.key] = found
    skipped = len(results)
    total = skipped + len(todo)
    failed: list[str] = []
    first: BaseException | None = None
    attempts = dict.fromkeys((t.key for t in todo), 0)
    seconds: dict[str, float] = {}
    report(Progress(skipped, 0, total, skipped))
    running = {executor.submit(t): t for t in todo}
    while running:
        for future in executor.wait(running):
            task = running.pop(future)
            try:
                result: TaskResult = future.result()
            except Exception as problem:
                attempts[task.key] += 1
                if attempts[task.key] <= retries:
                    running[executor.submit(task)] = task
                else:
                    failed.append(task.key)
                    first = first or problem
            else:
                results[task.key] = result
                seconds[task.key] = round(result.seconds_simulating + result.seconds_measuring, 4)
                if store is not None:
                    store.save(task, result)
            report(Progress(len(results), len(failed), total, skipped))
    if failed and raise_on_failure:
        raise TaskError(
            f"{len(failed)} of {total} tasks failed ({type(first).__name__}: {first}); finished "
            "tasks are kept: run again to retry"
        ) from first
    return Outcome(results, len(todo), skipped, failed, seconds)
