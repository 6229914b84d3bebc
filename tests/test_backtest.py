"""Back-tests: the fixed JSON shape, clear errors, and the withheld year left unscored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casejourney import backtest
from casejourney.cli import main


def test_backtest_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    """Knowsley at a quarter of its size, two trials: the shape, not the accuracy, is tested here."""
    code = main(
        [
            "backtest",
            "--authority",
            "knowsley",
            "--calibrate-on",
            "2023",
            "--predict",
            "2025",
            "--trials",
            "2",
            "--replications",
            "2",
            "--scale",
            "0.25",
            "--jobs",
            "1",
            "--format",
            "json",
        ]
    )
    assert code == 0
    answer = json.loads(capsys.readouterr().out)
    assert list(answer) == ["authority", "calibrated_on", "year", "predicted", "observed"]
    assert answer["authority"] == "Knowsley"
    assert answer["calibrated_on"] == [2023]
    assert answer["year"] == 2025
    assert list(answer["predicted"]) == list(backtest.PREDICTED)
    assert list(answer["observed"]) == list(backtest.PREDICTED)
    for measure, p in answer["predicted"].items():
        assert set(p) == {"mean", "low", "high"}
        if p["mean"] is not None:
            assert p["low"] <= p["mean"] <= p["high"], measure
    # the year to March 2025's timeliness is withheld from the data: nothing to score it with
    assert answer["observed"]["icpc_within_15wd_pct"] is None
    assert answer["observed"]["icpc_wd_median"] is None
    assert answer["observed"]["cp_plans_at_31_march"] is not None  # stocks are published


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-a", "Narnia", "--calibrate-on", "2023", "--predict", "2024"], "no authority 'Narnia'"),
        (["-a", "knowsley", "--calibrate-on", "2020", "--predict", "2024"], "--year 2020: outside"),
        (["-a", "knowsley", "--calibrate-on", "2023", "--predict", "2026"], "--year 2026: outside"),
        (["-a", "knowsley", "--calibrate-on", "2024", "--predict", "2024"], "also a calibration"),
    ],
)
def test_bad_backtests_are_clear_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", *args, "--trials", "1"]) == 2
    assert message in capsys.readouterr().err


def test_a_cached_back_test_is_not_reused_once_the_national_baseline_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from casejourney.spec import workflows_dir

    root = workflows_dir().parent
    (tmp_path / "workflows").mkdir()
    (tmp_path / "scenarios").mkdir()
    shutil.copy(root / "scenarios" / "national-baseline.yaml", tmp_path / "scenarios")
    monkeypatch.setattr("casejourney.spec.workflows_dir", lambda: tmp_path / "workflows")
    before = backtest._code_stamp()
    assert backtest._code_stamp() == before  # the same files, the same stamp
    baseline = tmp_path / "scenarios" / "national-baseline.yaml"
    baseline.write_text(baseline.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert backtest._code_stamp() != before
