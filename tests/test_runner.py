"""The one runner: the same seed gives the same results here, in processes and on Dask, and a
killed or interrupted run resumes to the same bytes as one that was not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import casejourney
from casejourney import runner, validation
from casejourney.experiment import Settings, run

SMALL = {"scale": 0.002, "horizon_days": 8 * 7, "warm_up_days": 14}


def _settings(**kwargs: object) -> Settings:
    given = {"replications": 4, "seed": 11, "event_log": "both", **SMALL, **kwargs}
    return Settings(**given)  # type: ignore[arg-type]


def _folder(out: Path) -> dict[str, bytes]:
    """Every file's bytes, run.json without its wall times and the number of processes."""
    found = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    record = json.loads(found.pop("run.json"))
    del record["settings"]["jobs"]
    for replication in record["replications"]:
        del replication["seconds_simulating"], replication["seconds_measuring"]
    found["run.json"] = json.dumps(record).encode()
    return found


def test_here_in_processes_and_on_dask_the_results_folder_is_the_same(tmp_path: Path) -> None:
    scenario, workflow = casejourney.load_scenario("national-baseline")
    run(workflow, scenario, _settings(jobs=1), out=tmp_path / "here")
    run(workflow, scenario, _settings(jobs=2), out=tmp_path / "processes")
    here = _folder(tmp_path / "here")
    assert "events/replication-0003.parquet" in here and "events/replication-0003.csv" in here
    assert _folder(tmp_path / "processes") == here
    pytest.importorskip("distributed")
    run(workflow, scenario, _settings(jobs=2, scheduler="local"), out=tmp_path / "dask")
    assert _folder(tmp_path / "dask") == here


def test_a_run_interrupted_after_two_replications_resumes_to_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, workflow = casejourney.load_scenario("national-baseline")
    run(workflow, scenario, _settings(), out=tmp_path / "straight")

    def interrupt(done: float) -> None:
        if isinstance(done, int) and done == 2:  # two finished (within one, a float)
            raise KeyboardInterrupt

    out = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        run(workflow, scenario, _settings(), out=out, progress=interrupt)
    assert not out.exists()
    [staging] = tmp_path.glob(".resumed.partial-*")  # kept, with the two finished replications
    assert len(list((staging / "tasks").glob("*.json"))) == 2
    ran: list[int] = []
    real = runner.run_task

    def counting(task: runner.Task, progress: object = None) -> runner.TaskResult:
        ran.append(task.replication)
        return real(task)

    monkeypatch.setattr(runner, "run_task", counting)
    run(workflow, scenario, _settings(), out=out)
    assert sorted(ran) == [2, 3]  # only the replications the interrupted run had not finished
    assert _folder(out) == _folder(tmp_path / "straight")
    assert "tasks" not in {p.name for p in out.iterdir()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resumed", "straight"]


def test_a_changed_setting_never_resumes_from_a_stale_replication(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, workflow = casejourney.load_scenario("national-baseline")

    def interrupt(done: float) -> None:
        if isinstance(done, int) and done == 2:  # two finished (within one, a float)
            raise KeyboardInterrupt

    out = tmp_path / "r"
    with pytest.raises(KeyboardInterrupt):
        run(workflow, scenario, _settings(), out=out, progress=interrupt)
    run(workflow, scenario, _settings(seed=12), out=out)
    run(workflow, scenario, _settings(seed=12), out=tmp_path / "fresh")
    assert _folder(out) == _folder(tmp_path / "fresh")


def test_a_task_key_covers_what_changes_the_answer() -> None:
    scenario, workflow = casejourney.load_scenario("national-baseline")
    base = runner.Task(workflow, scenario, 0, 1, measure="dfe", years=(2024,))
    others = [
        runner.Task(workflow, scenario, 1, 1, measure="dfe", years=(2024,)),
        runner.Task(workflow, scenario, 0, 2, measure="dfe", years=(2024,)),
        runner.Task(workflow, scenario, 0, 1, scale=0.5, measure="dfe", years=(2024,)),
        runner.Task(workflow, scenario, 0, 1, measure="dfe", years=(2025,)),
        runner.Task(workflow, scenario, 0, 1, measure="replication"),
        runner.Task(
            workflow, scenario, 0, 1, measure="custom", extract=validation.sensitivity_measures
        ),
        runner.Task(
            workflow,
            scenario.model_copy(update={"title": "changed"}),
            0,
            1,
            measure="dfe",
            years=(2024,),
        ),
    ]
    keys = {base.key, *(t.key for t in others)}
    assert len(keys) == 1 + len(others)
    assert runner.Task(workflow, scenario, 0, 1, measure="dfe", years=(2024,)).key == base.key


def test_a_simulate_killed_with_sigkill_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    """The command killed outright (no clean-up runs) after two replications, then run again."""
    import os
    import signal
    import subprocess
    import sys
    import time

    command = [
        sys.executable, "-c", "from casejourney.cli import run; run()", "simulate",
        "national-baseline", "--scale", "0.01", "-n", "6", "--seed", "5", "--event-log", "both",
    ]  # fmt: skip
    straight, out = tmp_path / "straight", tmp_path / "killed"
    subprocess.run([*command, "-o", str(straight)], check=True, capture_output=True, timeout=600)
    victim = subprocess.Popen([*command, "-o", str(out)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while len(list(tmp_path.glob(".killed.partial-*/tasks/*.json"))) < 2:
        assert victim.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert not out.exists()
    finished = len(list(tmp_path.glob(".killed.partial-*/tasks/*.json")))
    assert 2 <= finished < 6
    resumed = subprocess.run(
        [*command, "-o", str(out)], check=True, capture_output=True, text=True, timeout=600
    )
    assert "wrote" in resumed.stderr
    assert _folder(out) == _folder(straight)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed", "straight"]


def _same_table(a: Any, b: Any) -> bool:
    """Same columns, types and values (a NaN equal to a NaN, as pyarrow's ``equals`` has not)."""
    import pyarrow as pa

    if a.schema != b.schema or a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        x, y = a[name].combine_chunks(), b[name].combine_chunks()
        if pa.types.is_floating(x.type):
            if not np.array_equal(x.to_numpy(), y.to_numpy(), equal_nan=True):
                return False
        elif x.to_pylist() != y.to_pylist():
            return False
    return True


def test_an_event_log_written_a_batch_at_a_time_is_the_whole_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A national year's log is written a row group at a time: read back, the Parquet file is the
    whole log's table and the CSV the same bytes, however many batches it took."""
    import pyarrow.parquet as pq

    from casejourney.simulate import compile_scenario, run_replication

    scenario, workflow = casejourney.load_scenario("national-baseline")
    compiled = compile_scenario(workflow, scenario, **SMALL)  # type: ignore[arg-type]
    log, snapshots = run_replication(compiled, 0)
    assert len(log) > 3_000
    folders = {}
    for name, rows in (("whole", 1 << 40), ("batched", 1_000)):
        monkeypatch.setattr(runner, "EVENT_BATCH_ROWS", rows)
        folders[name] = tmp_path / name
        (folders[name] / "events").mkdir(parents=True)
        runner.write_event_log(log, snapshots, compiled.frame, folders[name], "both")
    whole, batched = (folders[n] / "events" / "replication-0000" for n in ("whole", "batched"))
    assert pq.ParquetFile(batched.with_suffix(".parquet")).metadata.num_row_groups > 3
    table = runner.event_table(log, compiled.frame)
    assert _same_table(pq.read_table(batched.with_suffix(".parquet")), table)
    assert _same_table(pq.read_table(whole.with_suffix(".parquet")), table)
    assert batched.with_suffix(".csv").read_bytes() == whole.with_suffix(".csv").read_bytes()
