"""The four authorities' shipped baselines: their published figures for the year to March 2024,
calibrated to that year's published outcomes, with the provenance written down and true."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

import casejourney
from casejourney import backtest, calibrate, frompublished, published

ROOT = Path(__file__).resolve().parent.parent
AUTHORITIES = ("Knowsley", "Barnet", "Liverpool", "Coventry")


@pytest.fixture(scope="module")
def rows() -> list[published.Row]:
    return published.load()


def _row(rows: list[published.Row], name: str, year: int) -> published.Row:
    return next(r for r in rows if r.name == name and r.year == year)


@pytest.mark.parametrize("name", AUTHORITIES)
def test_a_baseline_holds_its_authoritys_published_figures(
    rows: list[published.Row], name: str
) -> None:
    slug = name.lower()
    scenario, _ = casejourney.load_scenario(f"{slug}-baseline")
    assert scenario.authority == slug  # its own rules
    before = _row(rows, name, 2023)
    assert scenario.initial_caseload["cp_plan"] == before.get("cp_plans_at_31_march")
    assert scenario.initial_caseload["looked_after"] == before.get("looked_after_at_31_march")
    # what the published figures give is what `scenario from-published` builds today
    built = frompublished.build(rows, name, 2024).data
    shipped = yaml.safe_load((ROOT / "scenarios" / f"{slug}-baseline.yaml").read_text())
    for key in ("demand", "initial_caseload", "branches", "placements"):
        assert shipped[key] == built[key], (
            f"{key} differs from what from-published builds: rebuild with "
            f"python scripts/calibrate_baselines.py {name}"
        )
    for meeting, spec in built["meetings"].items():  # (its booking behaviour is fitted)
        assert shipped["meetings"][meeting]["slots_per_week"] == spec["slots_per_week"], meeting
    for team, spec in built["teams"].items():
        assert shipped["teams"][team]["headcount"] == spec["headcount"], team


@pytest.mark.parametrize("name", AUTHORITIES)
def test_a_baseline_says_what_was_fitted_to_what(rows: list[published.Row], name: str) -> None:
    slug = name.lower()
    path = ROOT / "scenarios" / f"{slug}-baseline.yaml"
    text = path.read_text(encoding="utf-8")
    scenario, _ = casejourney.load_scenario(f"{slug}-baseline")
    assert scenario.calibrate is not None
    assert set(scenario.calibrate.parameters) == set(backtest.PARAMETERS)
    dumped = scenario.model_dump(mode="json", by_alias=True)
    for p, spec in backtest.PARAMETERS.items():
        assert spec.low <= calibrate.get_number(dumped, p) <= spec.high, p
    assert text.count("# calibrated: 95% range") == len(backtest.PARAMETERS)
    # the targets it was fitted to are the authority's published outcomes for the year
    targets = calibrate.read_targets(
        ROOT / "scenarios" / "calibration" / f"{slug}-2024-targets.csv"
    )
    row = _row(rows, name, 2024)
    assert {t.measure: t.value for t in targets} == {
        m: row.get(m) for m in backtest.TARGETS if not math.isnan(row.get(m))
    }
    # and the fit table beside it, and in its head, covers each of them
    fit = (ROOT / "scenarios" / "calibration" / f"{slug}-2024-fit.csv").read_text()
    for t in targets:
        assert f"{t.measure}," in fit
        assert f"#   {t.measure} 2024: {t.value:g} | " in text
