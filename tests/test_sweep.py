"""Sweeps: the grid, resuming, and a Dask cluster (one worker killed) agreeing with local processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import casejourney
from casejourney import runner, sweep
from casejourney.errors import CasejourneyError

SMALL = {"scale": 0.02, "horizon_days": 4 * 7, "warm_up_days": 7}


def _tasks(replications: int = 3) -> list[sweep.Task]:
    scenario, workflow = casejourney.load_scenario("liverpool-baseline")
    axes = [
        sweep.parse_vary("teams.child_protection.headcount=20:30:10"),
        sweep.parse_vary("demand.growth=0.1,0.2"),
    ]
    return sweep.plan(workflow, scenario, axes, replications=replications, seed=7, **SMALL)


def _files(out: Path) -> dict[str, dict[str, object]]:
    found = {}
    for path in sorted((out / "tasks").glob("*.json")):
        found[path.name] = json.loads(path.read_text())
    return found


def test_parse_vary_range_includes_stop_and_lists_keep_types() -> None:
    assert sweep.parse_vary("a.b=20:30:2").values == (20, 22, 24, 26, 28, 30)
    assert sweep.parse_vary("a=0.1,0.2").values == (0.1, 0.2)
    assert sweep.parse_vary("a=0.5:1:0.25").values == (0.5, 0.75, 1.0)
    with pytest.raises(CasejourneyError):
        sweep.parse_vary("a=1:2")
    with pytest.raises(CasejourneyError):
        sweep.parse_vary("no-equals")


def test_apply_sets_a_value_and_rejects_unknown_paths() -> None:
    scenario, _ = casejourney.load_scenario("liverpool-baseline")
    changed = sweep.apply(scenario, (("teams.child_protection.headcount", 21),))
    assert changed.teams["child_protection"].headcount == 21
    with pytest.raises(CasejourneyError, match="no 'nonsense'"):
        sweep.apply(scenario, (("teams.nonsense.headcount", 3),))
    with pytest.raises(CasejourneyError):
        sweep.apply(scenario, (("demand.growth", 99),))


def test_task_seeds_are_common_across_points_and_keys_unique() -> None:
    tasks = _tasks()
    assert len(tasks) == 4 * 3
    assert len({t.key for t in tasks}) == len(tasks)
    assert {t.scenario.seed for t in tasks} == {7}


def test_local_sweep_resumes_and_matches_one_process(tmp_path: Path) -> None:
    tasks = _tasks()
    one = sweep.run(tasks, tmp_path / "one", runner.Processes(1))
    assert (one.ran, one.skipped) == (12, 0)
    # Pretend the first run was interrupted: drop some tasks, then run again with two processes.
    for path in sorted((tmp_path / "one" / "tasks").glob("*.json"))[:5]:
        path.unlink()
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "one" / "tasks").glob("*.json")}
    again = sweep.run(tasks, tmp_path / "one", runner.Processes(2))
    assert (again.ran, again.skipped) == (5, 7)
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "one" / "tasks").glob("*.json")}
    assert all(after[name] == mtime for name, mtime in before.items())  # finished ones untouched
    two = sweep.run(tasks, tmp_path / "two", runner.Processes(2))
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert not list((tmp_path / "one" / "tasks").glob(".*"))  # no temporary files left
    summary = (tmp_path / "one" / "sweep-summary.csv").read_text()
    assert "on_time_pct" in summary and "ci_low" in summary
    assert len(list((tmp_path / "one" / "points").iterdir())) == 4
    rows = sweep.write_frontier(two.summary, "teams.child_protection.headcount", 50, tmp_path)
    assert rows and (tmp_path / "frontier.svg").read_text().startswith("<?xml")


def _every_file(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_sweep_writes_the_same_bytes_in_another_process_with_another_hash_seed(
    tmp_path: Path,
) -> None:
    """Task files, summaries and frontier.svg: two runs of one command are byte-identical.

    One run has two processes and is interrupted (some task files removed) and resumed; the other
    runs straight through in one process, under a different hash seed.
    """
    command = [
        sys.executable, "-c", "from casejourney.cli import run; run()", "sweep", "liverpool-baseline",
        "--vary", "teams.child_protection.headcount=20:30:10", "--vary", "demand.growth=0.1,0.2",
        "-n", "2", "--scale", "0.02",
    ]  # fmt: skip

    def sweep_into(name: str, hash_seed: str, jobs: str) -> Path:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = tmp_path / name
        subprocess.run([*command, "-o", str(out), "-j", jobs], env=env, check=True, timeout=600)
        return out

    one = sweep_into("one", "1", "2")
    for path in sorted((one / "tasks").glob("*.json"))[:3]:
        path.unlink()
    sweep_into("one", "1", "2")
    two = sweep_into("two", "2", "1")
    first, second = _every_file(one), _every_file(two)
    assert "frontier.svg" in first and len([k for k in first if k.startswith("tasks")]) == 8
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


@pytest.mark.slow
def test_dask_cluster_with_a_killed_worker_matches_local_processes(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    tasks = _tasks(replications=4)
    sweep.run(tasks, tmp_path / "local", runner.Processes(2))
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        victim = next(iter(client.run(os.getpid).values()))
        killed = threading.Event()

        def kill_once(p: sweep.Progress) -> None:
            if p.done >= 3 and not killed.is_set():
                killed.set()
                # The worker process dies at once; its nanny starts another and the scheduler
                # reruns what it held.
                os.kill(victim, signal.SIGKILL)

        found = sweep.run(tasks, tmp_path / "dask", runner.Dask(client), progress=kill_once)
    assert killed.is_set()
    assert found.failed == []
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")
    assert (tmp_path / "dask" / "sweep-summary.csv").read_text() == (
        tmp_path / "local" / "sweep-summary.csv"
    ).read_text()


def test_the_frontier_ignores_a_lucky_dip_and_says_when_the_target_is_met_with_confidence() -> None:
    def row(staff: int, mean: float, low: float) -> dict[str, object]:
        return {
            "point": staff,
            "headcount": staff,
            "standard": "icpc-timing",
            "replications": 10,
            "on_time_pct": mean,
            "ci_low": low,
            "ci_high": mean + 5,
        }

    rows = [row(20, 81, 70), row(22, 78, 72), row(24, 85, 79), row(26, 90, 84), row(28, 93, 88)]
    [found] = sweep.frontier(rows, "headcount", 80)
    assert found["least_headcount"] == 24  # 20 meets the mean by luck; 22 does not
    assert found["least_headcount_confident"] == 26
    [never] = sweep.frontier(rows, "headcount", 95)
    assert never["least_headcount"] is None and never["least_headcount_confident"] is None


_RUN_TASK = runner.run_task


def _dies_once(task: sweep.Task) -> object:
    """run_task, except that the first process to get here dies on the spot (as if killed)."""
    marker = Path(os.environ["CASEJOURNEY_TEST_DEATH"])
    try:
        marker.touch(exist_ok=False)
    except FileExistsError:
        return _RUN_TASK(task)
    os._exit(9)


def test_a_local_worker_process_that_dies_is_replaced_and_its_tasks_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the workers must be forked to inherit the patched task runner")
    tasks = _tasks(replications=2)
    clean = sweep.run(tasks, tmp_path / "clean", runner.Processes(1))
    monkeypatch.setenv("CASEJOURNEY_TEST_DEATH", str(tmp_path / "died"))
    monkeypatch.setattr(runner, "run_task", _dies_once)  # forked workers inherit it
    found = sweep.run(tasks, tmp_path / "dying", runner.Processes(2))
    assert (tmp_path / "died").exists()
    assert found.ran == len(tasks) and not found.failed
    assert _files(tmp_path / "dying") == _files(tmp_path / "clean") and clean.ran == len(tasks)
