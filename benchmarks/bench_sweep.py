"""Sweep throughput: runs per minute with 1 and 2 local processes and a 2-worker Dask LocalCluster.

Run: python benchmarks/bench_sweep.py [--quick]
Prints figures (no assertions). Overhead per task = wall time × workers / tasks minus the mean time
a task spent simulating and measuring (what the executor, pickling and file writes add).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import casejourney
from casejourney import runner, sweep


def _tasks(replications: int) -> list[sweep.Task]:
    scenario, workflow = casejourney.load_scenario("liverpool-baseline")
    axes = [
        sweep.parse_vary("teams.child_protection.headcount=20:30:10"),
        sweep.parse_vary("demand.growth=0.1,0.2"),
    ]
    return sweep.plan(
        workflow, scenario, axes, replications=replications, seed=1,
        scale=0.05, horizon_days=8 * 7, warm_up_days=14,
    )  # fmt: skip


def _measure(name: str, executor: runner.Executor, workers: int, replications: int) -> None:
    tasks = _tasks(replications)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        found = sweep.run(tasks, Path(folder), executor)
        wall = time.perf_counter() - started
        inside = list(found.seconds.values())
    mean_task = sum(inside) / len(inside)
    overhead = wall * workers / len(tasks) - mean_task
    print(
        f"{name:<22} {len(tasks):>4} tasks  {wall:7.2f} s  {len(tasks) / wall * 60:8.0f} runs/min  "
        f"task {mean_task * 1000:6.0f} ms  overhead/task {overhead * 1000:6.0f} ms"
    )


def main() -> None:
    replications = 3 if "--quick" in sys.argv else 10
    _measure("local, 1 process", runner.Processes(1), 1, replications)
    _measure("local, 2 processes", runner.Processes(2), 2, replications)
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        _measure("Dask LocalCluster, 2", runner.Dask(Client(cluster)), 2, replications)


if __name__ == "__main__":
    main()
