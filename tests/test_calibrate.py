"""Calibration: bad targets and blocks are clear errors; known parameters are recovered."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from casejourney import calibrate, frompublished, published, runner
from casejourney.cli import main
from casejourney.errors import CasejourneyError
from casejourney.spec.scenario import CalibrateParameter, ScenarioSpec


@pytest.fixture(scope="module")
def knowsley() -> dict[str, object]:
    """Knowsley's year to March 2024 from the published figures, as ``model_dump`` gives it."""
    built = frompublished.build(published.load(), "Knowsley", 2024)
    spec = ScenarioSpec.model_validate(yaml.safe_load(frompublished.to_yaml(built, "#")))
    return spec.model_dump(mode="json", by_alias=True)


def _targets(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text("measure,value,year,source\n" + rows, encoding="utf-8")
    return path


def test_a_target_the_model_cannot_measure_is_named_with_its_line(tmp_path: Path) -> None:
    path = _targets(tmp_path, "icpc_within_15wd_pct,80,2024,DfE\nsw_caseload_per_fte,20,2024,DfE\n")
    with pytest.raises(
        CasejourneyError, match=r"targets.csv:3: the model cannot measure 'sw_caseload"
    ):
        calibrate.read_targets(path)


def test_a_targets_file_without_its_columns_says_which(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("measure,value\nicpcs,10\n", encoding="utf-8")
    with pytest.raises(CasejourneyError, match="no column year, source"):
        calibrate.read_targets(path)


def test_a_parameter_that_names_no_number_is_an_error(knowsley: dict[str, object]) -> None:
    with pytest.raises(CasejourneyError, match=r"stays.cp_plan.mean: no 'mean'"):
        calibrate.get_number(knowsley, "stays.cp_plan.mean")
    with pytest.raises(CasejourneyError, match="not a number"):
        calibrate.get_number(knowsley, "stays.cp_plan.dist")


def test_the_command_refuses_a_scenario_without_a_block_and_a_year_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "k.yaml"
    assert (
        main(
            ["scenario", "from-published", "-a", "knowsley", "--year", "2024", "-o", str(scenario)]
        )
        == 0
    )
    targets = _targets(tmp_path, "icpc_within_15wd_pct,80,2024,DfE\n")
    assert main(["calibrate", str(scenario), "--targets", str(targets)]) == 2
    assert "no calibrate: block" in capsys.readouterr().err
    with scenario.open("a", encoding="utf-8") as handle:
        handle.write("calibrate:\n  parameters:\n    stays.cp_plan.median: {low: 20, high: 50}\n")
    late = _targets(tmp_path, "icpc_within_15wd_pct,80,2025,DfE\n")
    assert main(["calibrate", str(scenario), "--targets", str(late), "--trials", "1"]) == 2
    assert "outside the scenario's simulated period" in capsys.readouterr().err


def test_calibration_recovers_a_known_parameter(knowsley: dict[str, object]) -> None:
    """Knowsley at its full size: the CP plan's median stay set to 38 weeks.

    The 'published' figures are the means of three replications run with *other* seeds than the
    calibration's; twelve trials of two replications each must find the median back with 38
    inside the reported 95% range, and the best value within 8 weeks of it (the noise on ~100 open
    plans at this scale leaves about that much freedom).
    """
    truth, scale = 38.0, 1.0
    observed = dict(calibrate.set_numbers(knowsley, {"stays.cp_plan.median": truth}))
    observed["seed"] = int(str(observed["seed"])) + 1
    measures = ("cp_plans_at_31_march", "cp_open_3m_or_less_pct", "cp_open_6m_to_1y_pct")
    year = (calibrate.Target("icpcs", 0, 2024, ""),)
    with runner.using() as here:
        [runs] = calibrate.simulate_cases([calibrate.Case(observed, year)], {}, 3, scale, here)
    targets = tuple(
        calibrate.Target(m, sum(r[calibrate.key(m, 2024)] for r in runs) / 3, 2024, "simulated")
        for m in measures
    )
    result = calibrate.calibrate(
        [calibrate.Case(knowsley, targets)],
        {"stays.cp_plan.median": CalibrateParameter(low=15, high=60, unit="weeks")},
        trials=12,
        replications=2,
        scale=scale,
    )
    low, high = result.ranges["stays.cp_plan.median"]
    assert low <= truth <= high
    assert abs(result.best["stays.cp_plan.median"] - truth) <= 8
    assert {f.target.measure for f in result.fits} == set(measures)


def test_a_killed_calibration_resumes_to_the_same_result(
    knowsley: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after two of four trials, run again: only the rest is simulated, same answer."""
    case = calibrate.Case(
        knowsley,
        (
            calibrate.Target("cp_plans_at_31_march", 120, 2024, "test"),
            calibrate.Target("icpc_within_15wd_pct", 80, 2024, "test"),
        ),
    )
    params = {"stays.cp_plan.median": CalibrateParameter(low=15, high=60, unit="weeks")}
    settings = {"trials": 4, "replications": 2, "scale": 0.1}
    straight = calibrate.calibrate([case], params, **settings)  # type: ignore[arg-type]

    def killed(done: int, loss: float, best: float) -> None:
        if done == 2:
            raise KeyboardInterrupt

    kept = tmp_path / ".k.trials"
    with pytest.raises(KeyboardInterrupt):
        calibrate.calibrate([case], params, **settings, progress=killed, store=kept)  # type: ignore[arg-type]
    assert len(list(kept.glob("*.json"))) == 4  # two trials of two replications
    ran: list[int] = []
    real = runner.run_task

    def counting(task: runner.Task, progress: object = None) -> runner.TaskResult:
        ran.append(task.replication)
        return real(task)

    monkeypatch.setattr(runner, "run_task", counting)
    resumed = calibrate.calibrate([case], params, **settings, store=kept)  # type: ignore[arg-type]
    assert len(ran) == 4  # the last two trials only
    assert resumed == straight
    calibrate.forget(kept)
    assert not kept.exists()
