"""The shipped copy of DfE's published figures loads, and a bad copy gets a clear message."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from casejourney import published
from casejourney.errors import CasejourneyError


def test_england_2024_is_as_published_and_2025_outcomes_are_withheld() -> None:
    rows = published.load()
    year = published.england(rows, 2024)
    assert year.get("icpc_within_15wd_pct") == 79.7
    assert year.get("cp_plans_subsequent_pct") == 24.7
    assert math.isnan(published.england(rows, 2025).get("icpc_within_15wd_pct"))
    assert len({r.code for r in rows}) > 150


def test_a_value_that_is_not_a_number_is_named_by_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("year,la_code,la_name,region,referrals\n2024,E1,Somewhere,North,lots\n")
    with pytest.raises(CasejourneyError, match=r"bad.csv:2: column 'referrals' holds 'lots'"):
        published.load(bad)


def test_a_year_scenario_takes_its_inputs_from_that_year() -> None:
    from casejourney import validation
    from casejourney.spec.scenario import ScenarioSpec

    rows = published.load()
    data = published.year_scenario(validation.base_scenario(), rows, 2024)
    scenario = ScenarioSpec.model_validate(data)
    before = published.england(rows, 2023)
    assert scenario.initial_caseload["cp_plan"] == before.get("cp_plans_at_31_march")
    assert scenario.start.isoformat() == "2023-04-01"
    icpc = published.england(rows, 2024)
    share = icpc.get("icpcs") / icpc.get("s47_enquiries")
    assert scenario.branches["s47_enquiry"]["convene_icpc"] == pytest.approx(share, abs=1e-6)
    assert sum(scenario.branches["s47_enquiry"].values()) == pytest.approx(1.0)


def test_a_year_scenario_takes_s47_enquiries_per_referral_and_case_holders_from_that_year() -> None:
    # 2022 had 8% fewer s47 enquiries per referral than 2025 (the baseline's year), and 4% fewer
    # case-holding social workers (though 13% fewer in post): the year's scenario must say so, or
    # its conferences are late for want of inputs, not for the model's reasons
    from casejourney import validation

    rows = published.load()
    base = validation.base_scenario()
    data = published.year_scenario(base, rows, 2022)
    now, then = published.england(rows, 2022), published.england(rows, 2025)
    per_referral = (now.get("s47_enquiries") / now.get("referrals")) / (
        then.get("s47_enquiries") / then.get("referrals")
    )
    for state, option in (
        ("referral", "referral_to_strategy"),
        ("cf_assessment", "assessment_to_strategy"),
        ("cin_plan", "cin_to_strategy"),
    ):
        assert data["branches"][state][option] == pytest.approx(
            base["branches"][state][option] * per_referral, abs=1e-5
        )
        assert sum(data["branches"][state].values()) == pytest.approx(1.0, abs=1e-5)
    holders = now.get("sw_case_holders_fte") / then.get("sw_case_holders_fte")
    for name, team in data["teams"].items():
        if team.get("caseload_limit", 20) is not None:
            assert team["headcount"] == round(base["teams"][name]["headcount"] * holders)


def test_the_baselines_cp_plan_lengths_are_the_fit_to_the_calibration_years_bands() -> None:
    # stays.cp_plan is not a guess: it is the lognormal whose steady stock of open plans falls
    # into the DfE's duration bands as England's did in 2022-2023 (2024 is left to predict)
    from casejourney.validation import CALIBRATION_YEARS, base_scenario

    rows = published.load()
    median, p90 = published.cp_plan_lengths(rows, CALIBRATION_YEARS)
    stay = base_scenario()["stays"]["cp_plan"]
    assert (stay["median"], stay["p90"], stay["unit"]) == (median, p90, "weeks")
    # the fit's open plans by band are within 1.5 points of the published ones
    shares = published._open_shares(median, p90)
    for year in CALIBRATION_YEARS:
        row = published.england(rows, year)
        published_shares = [row.get(c) for c, _, _ in published._CP_BANDS_WEEKS]
        assert max(abs(a - b) for a, b in zip(shares, published_shares, strict=True)) < 1.5
    # and its mean agrees with Little's law (plans open / plans started a year) within 5%
    mean = median * math.exp((math.log(p90 / median) / 1.2816) ** 2 / 2)
    little = [
        52.18
        * published.england(rows, y).get("cp_plans_at_31_march")
        / published.england(rows, y).get("cp_plans_started")
        for y in CALIBRATION_YEARS
    ]
    assert abs(mean / (sum(little) / len(little)) - 1) < 0.05
