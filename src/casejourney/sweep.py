"""Parameter sweeps: a grid of scenario variants × replications, run by ``casejourney.runner``.

Consumes a ``ScenarioSpec``, its ``Workflow`` and ``--vary`` axes; produces, under one folder, one
small file per finished task (``tasks/``), one summary per grid point (``points/``), the sweep
summary (``sweep-summary.csv``) and the staffing frontier (``frontier.csv``, ``frontier.svg``).
A task (``runner.Task``) is (grid point, replication). Replication ``r`` uses ``SeedSequence(seed).spawn(n)[r]`` at
every point (common random numbers), so points differ only by their settings and the answer does
not depend on which executor ran a task, or when.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from casejourney import metrics, outfolder, runner
from casejourney.errors import CasejourneyError
from casejourney.runner import (
    RETRIES,
    Executor,
    Progress,
    Store,
    Task,
    TaskError,
    write_atomically,
)
from casejourney.spec.changes import apply_changes, change_at
from casejourney.spec.resolve import Workflow
from casejourney.spec.scenario import ScenarioSpec

__all__ = [
    "RETRIES",
    "Axis",
    "Executor",
    "Progress",
    "SweepResult",
    "Task",
    "TaskError",
    "apply",
    "frontier",
    "grid",
    "parse_vary",
    "plan",
    "run",
    "summarise",
    "write_frontier",
]

Value = int | float | str
Point = tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class Axis:
    """One ``--vary`` option: a dotted scenario path and the values it takes."""

    path: str
    values: tuple[Value, ...]


@dataclass
class SweepResult:
    """What a sweep left: its folder, the tasks run now and before, and those that failed.

    ``seconds`` is how long each task run now spent simulating and measuring, by task key: wall
    time differs run to run, so it is kept here and never in the task files, which are the same
    bytes whichever run, process or executor wrote them. ``points``, ``staff`` and ``frontier``
    are filled in by :func:`casejourney.api.run_sweep`: the grid's size, the axis the frontier
    minimises, and the frontier's rows (as in ``frontier.csv``).
    """

    out: Path
    ran: int
    skipped: int
    failed: list[str]
    summary: list[dict[str, Any]]
    seconds: dict[str, float] = field(default_factory=dict)
    points: int = 0
    staff: str = ""
    frontier: list[dict[str, Any]] = field(default_factory=list)


# --- the grid ----------------------------------------------------------------------------------


def _scalar(text: str) -> Value:
    value = yaml.safe_load(text)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return text
    return value


def parse_vary(text: str) -> Axis:
    """``path=a,b,c`` or ``path=start:stop:step`` (stop included) as an :class:`Axis`.

    Raises:
        CasejourneyError: the text is not of either form.

    """
    path, sep, spec = text.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise CasejourneyError(f"--vary {text!r}: write path=a,b,c or path=start:stop:step")
    if ":" in spec:
        parts = [_scalar(p) for p in spec.split(":")]
        if len(parts) != 3 or not all(isinstance(p, int | float) for p in parts):
            raise CasejourneyError(f"--vary {text!r}: a range is start:stop:step, all numbers")
        start, stop, step = (float(p) for p in parts)
        if step <= 0 or stop < start:
            raise CasejourneyError(f"--vary {text!r}: the step must be positive, stop ≥ start")
        count = math.floor((stop - start) / step + 1e-9) + 1
        whole = all(isinstance(p, int) for p in parts)
        values: tuple[Value, ...] = tuple(
            int(start + i * step) if whole else round(start + i * step, 10) for i in range(count)
        )
    else:
        values = tuple(_scalar(v.strip()) for v in spec.split(",") if v.strip())
    return Axis(path.strip(), values)


def grid(axes: Sequence[Axis]) -> list[Point]:
    """Every combination of the axes' values, the first axis varying slowest."""
    return [
        tuple(zip((a.path for a in axes), combo, strict=True))
        for combo in itertools.product(*(a.values for a in axes))
    ]


def apply(scenario: ScenarioSpec, point: Point) -> ScenarioSpec:
    """The scenario with a grid point's values set (validated again, like a scenario file).

    A value may be relative, as with ``--set``: ``-10%``, or ``demand.scale=1.2``.

    Raises:
        CasejourneyError: a path names nothing in the scenario, or a value is not allowed there.

    """
    return apply_changes(scenario, [change_at(p, v, "--vary") for p, v in point], "--vary")


# --- the sweep ------------------------------------------------------------------------------------


def plan(
    workflow: Workflow,
    scenario: ScenarioSpec,
    axes: Sequence[Axis],
    *,
    replications: int,
    seed: int,
    scale: float = 1.0,
    horizon_days: int | None = None,
    warm_up_days: int | None = None,
) -> list[Task]:
    """Every task of the sweep, in grid order then replication order."""
    tasks = []
    for point in grid(axes):
        variant = apply(scenario, point).model_copy(
            update={"seed": seed, "replications": replications}
        )
        tasks += [
            Task(
                workflow,
                variant,
                r,
                seed,
                scale,
                horizon_days,
                warm_up_days,
                measure="period",
                point=point,
            )
            for r in range(replications)
        ]
    return tasks


def run(
    tasks: Sequence[Task],
    out: Path,
    executor: Executor,
    progress: Callable[[Progress], None] | None = None,
    retries: int = RETRIES,
    force: bool = False,
) -> SweepResult:
    """Run the tasks not already finished under ``out/tasks``, then summarise the whole sweep.

    The tasks run through :func:`casejourney.runner.run`, which keeps each finished task at once
    (atomically) in ``out/tasks``, so an interrupted sweep loses only the tasks in flight; running
    it again skips what is there. ``executor`` is closed when done.

    ``out`` must be new, empty or a sweep folder (its marker file says so); ``force`` writes
    into another folder beside its files, never deleting or overwriting them.

    Raises:
        TaskError: some tasks still failed after ``retries`` more attempts (the rest are kept).
        OutputFolderError: ``out`` cannot be used (checked before any task runs), is in use by
            another sweep, or could not be written (disk full).

    """
    with outfolder.claim(out, outfolder.SWEEP, force):
        out.mkdir(exist_ok=True)
        if not (out / outfolder.MARKER).exists():
            outfolder.write_marker(out, outfolder.SWEEP)
        try:
            done = runner.run(
                tasks, executor, Store(out / "tasks"), progress, retries, raise_on_failure=False
            )
        finally:
            executor.close()
        summary = summarise(tasks, out)
        if done.failed:
            raise TaskError(
                f"{len(done.failed)} of {len(tasks)} tasks failed; run the sweep again to retry"
            )
        return SweepResult(out, done.ran, done.skipped, done.failed, summary, done.seconds)


# --- summaries and the frontier -----------------------------------------------------------------


def summarise(tasks: Sequence[Task], out: Path) -> list[dict[str, Any]]:
    """Write each point's summary and the sweep summary; return the sweep summary's rows.

    A row per (point, standard): the % on time across the finished replications, with its 95%
    interval (``metrics.across``).
    """
    by_point: dict[Point, dict[int, metrics.Measures]] = {}
    store = Store(out / "tasks")
    for task in tasks:
        found = by_point.setdefault(task.point, {})
        result = store.load(task)
        if result is not None:
            found[task.replication] = result.measures
    rows: list[dict[str, Any]] = []
    for index, (point, measures) in enumerate(by_point.items()):
        table = metrics.across(measures) if measures else {"metric": []}
        folder = out / "points" / f"point-{index:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / "point.json", json.dumps(dict(point), indent=2) + "\n")
        _write_csv(
            folder / "summary.csv",
            [
                {k: v[i] for k, v in table.items() if k != "week"}
                for i in range(len(table["metric"]))
            ],
        )
        for i, metric in enumerate(table["metric"]):
            if metric != "standard.on_time_pct":
                continue
            rows.append(
                {
                    "point": index,
                    **dict(point),
                    "standard": table["subject"][i],
                    "replications": table["n"][i],
                    "on_time_pct": table["mean"][i],
                    "ci_low": table["ci_low"][i],
                    "ci_high": table["ci_high"][i],
                }
            )
    _write_csv(out / "sweep-summary.csv", rows)
    return rows


def _cell(value: Any) -> Any:
    """A missing figure is an empty cell, not ``nan`` (which Excel and duckdb read as text)."""
    return "" if isinstance(value, float) and math.isnan(value) else value


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """CSV for Excel: UTF-8 with a byte-order mark, missing figures left empty."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", newline="", encoding="utf-8-sig") as handle:
        if rows:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    os.replace(tmp, path)


def frontier(rows: Sequence[dict[str, Any]], staff: str, target: float) -> list[dict[str, Any]]:
    """The least value of ``staff`` from which each standard stays at or above ``target``.

    One row per (standard, combination of the other axes). ``least_<staff>``: the mean % on time
    meets the target at that value and at every larger one tried (a lucky dip below a failing
    value does not count); ``least_<staff>_confident``: the same for the lower end of the 95%
    interval, so the target is met with confidence. None when no value does.
    """
    others = [k for k in rows[0] if k not in _FIXED and k != staff] if rows else []
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["standard"], *(row[k] for k in others)), []).append(row)
    found = []
    for (standard, *rest), members in sorted(groups.items(), key=lambda kv: str(kv[0])):
        ordered = sorted(members, key=lambda m: m[staff])
        found.append(
            {
                "standard": standard,
                **dict(zip(others, rest, strict=True)),
                "target_pct": target,
                f"least_{staff}": _least(ordered, staff, "on_time_pct", target),
                f"least_{staff}_confident": _least(ordered, staff, "ci_low", target),
            }
        )
    return found


def _least(ordered: Sequence[dict[str, Any]], staff: str, column: str, target: float) -> Any:
    """The smallest ``staff`` value from which ``column`` stays at or above ``target``."""
    least = None
    for member in reversed(ordered):
        value = member[column]
        if value is None or not value >= target:  # NaN (one replication) never meets it
            break
        least = member[staff]
    return least


_FIXED = {"point", "standard", "replications", "on_time_pct", "ci_low", "ci_high"}


def write_frontier(
    rows: Sequence[dict[str, Any]], staff: str, target: float, out: Path
) -> list[dict[str, Any]]:
    """Write ``frontier.csv`` and ``frontier.svg``; return the frontier's rows."""
    found = frontier(rows, staff, target)
    _write_csv(out / "frontier.csv", found)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    standards = sorted({r["standard"] for r in found})
    column = f"least_{staff}"
    skip = {"standard", "target_pct", column, f"{column}_confident"}
    others = [k for k in (found[0] if found else {}) if k not in skip]
    series: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in found:
        series.setdefault(tuple(r[k] for k in others), {})[r["standard"]] = r
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(standards) + 3), 4.5))
    for combo, values in series.items():
        label = ", ".join(f"{k}={v}" for k, v in zip(others, combo, strict=True)) or "frontier"
        colour = None
        for key, style, suffix in ((column, "-", ""), (f"{column}_confident", "--", ", 95% sure")):
            ys = [values[s][key] if s in values else None for s in standards]
            (line,) = ax.plot(
                standards,
                [math.nan if y is None else y for y in ys],
                marker="o",
                linestyle=style,
                color=colour,
                label=label + suffix,
            )
            colour = line.get_color()
    ax.set_ylabel(f"least {staff}")
    ax.set_title(f"Least {staff} keeping each standard ≥ {target:g}% on time")
    ax.tick_params(axis="x", labelrotation=60)
    if series:  # a scenario without standards (a test bench) has no frontier to label
        ax.legend(fontsize="small")
    fig.tight_layout()
    tmp = out / f".frontier.svg.tmp-{os.getpid()}"
    # No date and fixed element ids: the same sweep writes the same bytes.
    with matplotlib.rc_context({"svg.hashsalt": "casejourney"}):
        fig.savefig(tmp, format="svg", metadata={"Date": None})
    plt.close(fig)
    os.replace(tmp, out / "frontier.svg")
    return found
