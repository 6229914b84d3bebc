"""The validation page's tables: built from results, with the checks a reader relies on."""

from __future__ import annotations

import math

from casejourney import validation
from casejourney.validation import DEMANDS, HEADCOUNTS, Summary


def fake_results(bad: bool = False) -> dict[tuple[float, float], dict[str, Summary]]:
    out = {}
    for h in HEADCOUNTS:
        for d in DEMANDS:
            on_time = 90 + 10 * (h - 1) - 20 * (d - 1)
            if bad and (h, d) == (1.1, 1.0):
                on_time = 50  # more staff, much worse: must be reported
            out[(h, d)] = {
                "dfe.icpc_within_15wd_pct": Summary(on_time, on_time - 1, on_time + 1),
                "standard.on_time_pct:cp-visits": Summary(on_time, on_time - 1, on_time + 1),
                "standard.due:cp-visits": Summary(1000.0, 990.0, 1010.0),
                "caseload:child_protection": Summary(12 / h, 12 / h, 12 / h),
                "unallocated:child_protection": Summary(0.0, 0.0, 0.0),
            }
    return out


def test_the_sensitivity_table_has_a_row_per_cell_and_the_main_standards() -> None:
    results = fake_results()
    standards = validation.main_standards(results, 5)
    assert standards == ["cp-visits"]
    table = validation.sensitivity_table(
        results, "child_protection", standards, {"cp-visits": "CP visits"}
    )
    lines = table.splitlines()
    assert len(lines) == 2 + len(HEADCOUNTS) * len(DEMANDS)
    assert "CP visits" in lines[0] and "| ×0.8 | ×1.15 | 15.0 |" in table


def test_monotone_results_pass_and_a_reversal_beyond_the_intervals_is_named() -> None:
    keys = ["dfe.icpc_within_15wd_pct", "standard.on_time_pct:cp-visits"]
    assert validation.monotonicity(fake_results(), keys) == []
    broken = validation.monotonicity(fake_results(bad=True), keys)
    assert any("staff ×1 → ×1.1 at demand ×1" in line for line in broken)


def test_summary_interval_widens_with_spread_and_ignores_missing_values() -> None:
    tight = Summary.of([10.0, 10.1, 9.9, 10.0])
    loose = Summary.of([5.0, 15.0, 8.0, 12.0])
    assert tight.low < 10 < tight.high
    assert (loose.high - loose.low) > (tight.high - tight.low)
    assert Summary.of([math.nan, 3.0]).mean == 3.0


def test_the_sensitivity_page_says_when_a_baseline_team_is_at_capacity() -> None:
    def cell(**load: float) -> dict[str, validation.Summary]:
        return {
            f"team.utilisation_pct:{team}": validation.Summary.of([value, value])
            for team, value in load.items()
        }

    overloaded = validation.baseline_load({(1.0, 1.0): cell(assessment=100.0, front_door=65.0)})
    assert "assessment 100%, front_door 65%" in overloaded
    assert "assessment at capacity" in overloaded and "front_door at capacity" not in overloaded
    coping = validation.baseline_load({(1.0, 1.0): cell(assessment=85.0)})
    assert "assessment 85%" in coping and "capacity" not in coping


def test_load_response_recovers_a_known_slope_from_authorities_year_on_year() -> None:
    # every authority lost exactly 6 points of ICPC timeliness per unit of log load: the
    # published slope must say -6, and an authority with a suppressed cell is left out
    from casejourney import published

    rows = []
    for i in range(12):
        load = 30.0 * (1 + 0.05 * i)
        for year, scale in ((2021, 1.0), (2022, 1.0 + 0.04 * (i - 6))):
            timely = 80.0 - 6.0 * math.log(scale)
            values = {
                "icpc_within_15wd_pct": timely,
                "referrals": load * scale * 100,
                "sw_case_holders_fte": 100.0,
            }
            rows.append(published.Row(year, f"E{i}", f"LA {i}", "", values))
    rows.append(published.Row(2021, "E99", "Suppressed", "", {"referrals": 1.0}))
    rows.append(published.Row(2022, "E99", "Suppressed", "", {"referrals": 2.0}))
    slope = validation.published_load_response(rows, ((2021, 2022),))[(2021, 2022)]
    assert slope.n == 12  # the twelve with both years (one with no change in load); not E99
    assert math.isclose(slope.value, -6.0, abs_tol=1e-9)


def test_the_models_load_response_is_read_from_the_sensitivity_cells() -> None:
    # fake_results: on time = 90 + 10 (h - 1) - 20 (d - 1), so demand costs about 20 points per
    # unit of log demand, and fewer staff about 10 per unit of log load
    model = validation.model_load_response(fake_results())
    assert -23 < model["demand"].value < -17
    assert -12 < model["staff"].value < -8
    table = validation.load_response_table([], fake_results())
    assert "model, Liverpool" in table and "published, within authorities" in table
