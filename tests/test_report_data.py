"""Reading a results folder for reports (charts_data), and the small simulated runs report tests share."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

import casejourney
from casejourney.report.charts_data import (
    Estimate,
    ResultsError,
    RunRecord,
    difference,
    load_results,
    load_runs,
)
from tests.conftest import ROOT

#: Small enough to simulate in a couple of seconds, big enough that every national standard
#: has instances due.
SCALE = 0.005
REPLICATIONS = 2

_CACHE: dict[str, Path] = {}


def scenario_files(folder: Path) -> tuple[Path, Path]:
    """The national baseline, and a what-if beside it: demand 15% higher throughout."""
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "national-baseline.yaml"
    shutil.copyfile(ROOT / "scenarios" / "national-baseline.yaml", base)
    start = yaml.safe_load(base.read_text(encoding="utf-8"))["start"]
    plus = folder / "national-demand-plus-15.yaml"
    plus.write_text(
        "id: national-demand-plus-15\n"
        "title: England, demand +15%\n"
        "extends: national-baseline\n"
        "demand:\n"
        "  surges:\n"
        f"    - {{from: {start}, to: 2099-12-31, multiplier: 1.15}}\n",
        encoding="utf-8",
    )
    return base, plus


def simulated(factory: pytest.TempPathFactory, name: str) -> Path:
    """A small results folder, simulated once per test session: ``base`` or ``plus15``."""
    if name not in _CACHE:
        root = factory.mktemp("report-runs")
        base, plus = scenario_files(root / "scenarios")
        for key, path in (("base", base), ("plus15", plus)):
            out = root / f"r-{key}"
            casejourney.run_scenario(
                str(path), replications=REPLICATIONS, scale=SCALE, out=out, seed=20260406
            )
            _CACHE[key] = out
    return _CACHE[name]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "base")


@pytest.fixture(scope="module")
def plus15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "plus15")


def test_a_results_folder_reads_back_with_its_rules_and_scenario(base: Path) -> None:
    run = load_results(base)
    assert run.label == "England, baseline (year ending March 2025)"  # titles, not ids
    assert run.workflow.id == "national"
    assert run.record.replications == REPLICATIONS
    assert run.record.scale == SCALE
    assert run.weeks == 52
    assert run.week_starts[0] == run.record.report_start
    due = run.standards_due()
    assert due, "a year of England at 0.5% still has standards due"
    breached = [run.get("standard.breached", s).mean for s in due]
    assert breached == sorted(breached, reverse=True)
    on_time = run.get("standard.on_time_pct", due[0])
    assert 0 <= on_time.mean <= 100 and on_time.n == REPLICATIONS


def test_caseload_points_and_open_cases_come_from_the_engine_counts(base: Path) -> None:
    run = load_results(base)
    for team, spec in run.scenario.teams.items():
        if spec.caseload_limit is None:
            continue
        series = run.points_per_worker[team]
        assert len(series.mean) == run.weeks
        assert (series.mean[~_nan(series.mean)] >= 0).all()
    open_ = run.open_cases("cp_plan").mean
    assert (open_[~_nan(open_)] >= 0).all() and open_.max() > 0


def _nan(values):  # type: ignore[no-untyped-def]
    import numpy as np

    return np.isnan(values)


def test_missing_or_incomplete_folders_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no such results folder"):
        load_results(tmp_path / "nowhere")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "run.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ResultsError, match=r"missing scenario\.resolved\.json, summary\.parquet"):
        load_results(tmp_path / "half")


def test_a_run_record_without_a_key_names_it(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no 'settings'"):
        RunRecord.of(
            {"scenario": "x", "authority": "national", "start": "2026-01-01"}, tmp_path / "run.json"
        )


def test_a_corrupt_run_json_gives_its_line(base: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(base, copy)
    (copy / "run.json").write_text('{\n  "scenario": \n}', encoding="utf-8")
    with pytest.raises(ResultsError, match=r"run\.json:3: not valid JSON"):
        load_results(copy)


def test_runs_of_the_same_scenario_get_distinct_labels(base: Path) -> None:
    runs = load_runs([base, base])
    assert runs[0].label != runs[1].label
    assert all("England, baseline" in r.label for r in runs)


def test_a_paired_difference_uses_the_replications_in_step(base: Path) -> None:
    run = load_results(base)
    key = ("standard.on_time_pct", "s")
    first = replace(
        run,
        summary={key: Estimate(80.0, 0, 0, 3)},
        per_replication={key: {0: 80.0, 1: 82.0, 2: 78.0}},
    )
    second = replace(
        run,
        summary={key: Estimate(75.0, 0, 0, 3)},
        per_replication={key: {0: 75.5, 1: 77.0, 2: 72.5}},
    )
    paired = difference(first, second, *key)
    assert paired.paired
    assert paired.change == pytest.approx(-5.0)
    # differences -4.5, -5, -5.5: sd 0.5, t(0.975, 2) = 4.303
    assert paired.high - paired.change == pytest.approx(4.303 * 0.5 / math.sqrt(3), rel=1e-3)
    other_seed = replace(second, record=replace(second.record, seed=second.record.seed + 1))
    welch = difference(first, other_seed, *key)
    assert not welch.paired
    assert welch.low < paired.low and welch.high > paired.high  # independent: wider


def test_the_scenario_resolved_json_is_the_run_scenario(base: Path) -> None:
    data = json.loads((base / "scenario.resolved.json").read_text(encoding="utf-8"))
    run = load_results(base)
    assert run.scenario.seed == data["seed"] and run.scenario.id == data["id"]
