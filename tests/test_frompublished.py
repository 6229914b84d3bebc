"""Scenarios built from DfE's published figures: any authority, sources, fallbacks, and a round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from casejourney import dfe, frompublished, published
from casejourney.cli import main
from casejourney.engine import Kind
from casejourney.errors import CasejourneyError
from casejourney.simulate import compile_scenario, run_replication
from casejourney.spec import load_workflow
from casejourney.spec.scenario import ScenarioSpec


@pytest.fixture(scope="module")
def rows() -> list[published.Row]:
    return published.load()


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("Liverpool", "Liverpool"),
        ("st helens", "St. Helens"),
        ("BRISTOL", "Bristol, City of"),
        ("hull", "Kingston upon Hull, City of"),
        ("england", "England"),
        ("E08000012", "Liverpool"),
    ],
)
def test_names_match_loosely(rows: list[published.Row], asked: str, found: str) -> None:
    assert frompublished.find_authority(rows, asked).name == found


def test_a_misspelt_name_gets_a_suggestion(rows: list[published.Row]) -> None:
    with pytest.raises(CasejourneyError, match="did you mean Liverpool"):
        frompublished.find_authority(rows, "Liverpol")


def test_an_ambiguous_name_lists_the_candidates(rows: list[published.Row]) -> None:
    with pytest.raises(CasejourneyError, match=r"several.*North Yorkshire"):
        frompublished.find_authority(rows, "north")


def test_a_year_outside_the_data_says_which_years_can_be_built(rows: list[published.Row]) -> None:
    with pytest.raises(CasejourneyError, match="2022–2025"):
        frompublished.build(rows, "Barnet", 2021)  # no 31 March 2020 stocks to start from
    with pytest.raises(CasejourneyError, match="2022–2025"):
        frompublished.build(rows, "Barnet", 2026)


def test_every_published_number_has_its_source(rows: list[published.Row]) -> None:
    built = frompublished.build(rows, "Coventry", 2024)
    text = frompublished.to_yaml(built, "# test")
    data = yaml.safe_load(text)
    coventry = next(r for r in rows if r.name == "Coventry" and r.year == 2024)
    before = next(r for r in rows if r.name == "Coventry" and r.year == 2023)
    assert data["authority"] == "coventry"  # its own rule file
    assert data["initial_caseload"]["cp_plan"] == before.get("cp_plans_at_31_march")
    assert data["initial_caseload"]["looked_after"] == before.get("looked_after_at_31_march")
    assert data["branches"]["s47_enquiry"]["convene_icpc"] == pytest.approx(
        coventry.get("icpcs") / coventry.get("s47_enquiries"), abs=1e-4
    )
    lines = text.splitlines()
    start = lines.index("initial_caseload:")
    block = lines[start + 1 : start + 1 + len(data["initial_caseload"])]
    assert all("  # " in line for line in block), block  # every opening count says where from
    for key in (
        "contacts_per_week",
        "convene_icpc",
        "make_cp_plan",
        "referral_nfa:",
        "assessment_nfa:",
        "turnover_rate",
        "sickness_rate",
        "headcount",
    ):
        hits = [line for line in lines if line.strip().startswith(key)]
        assert hits and all("  # " in line for line in hits), key
    assert "Coventry cp_plans_at_31_march 2023" in text
    for state in ("referral", "cf_assessment", "s47_enquiry", "icpc"):
        assert sum(data["branches"][state].values()) == pytest.approx(1.0, abs=1e-9)


def test_suppressed_figures_fall_back_to_the_region_and_say_so(rows: list[published.Row]) -> None:
    city = next(r for r in rows if r.name == "City of London" and r.year == 2024)
    assert np.isnan(city.get("cp_plans_subsequent_pct"))
    built = frompublished.build(rows, "City of London", 2024)
    text = frompublished.to_yaml(built, "# test")
    assert (
        "cp_plans_subsequent_pct 2024 is suppressed for City of London: the median of Inner London"
        in text
    )
    assert any("Inner London" in note for note in built.fallbacks)


def test_an_authority_without_rules_of_its_own_uses_the_national_ones(
    rows: list[published.Row],
) -> None:
    built = frompublished.build(rows, "Cornwall", 2023)
    assert built.data["authority"] == "national"
    assert built.data["areas"] == 1


def test_the_command_writes_a_scenario_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "barnet.yaml"
    assert (
        main(
            [
                "scenario",
                "from-published",
                "--authority",
                "barnet",
                "--year",
                "2024",
                "-o",
                str(path),
            ]
        )
        == 0
    )
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# written by `casejourney scenario from-published`")
    assert "referral_nfa_pct 2024 is suppressed for Barnet" in text  # and said where from
    # it will not overwrite a file it did not write
    other = tmp_path / "mine.yaml"
    other.write_text("id: mine\n", encoding="utf-8")
    assert (
        main(["scenario", "from-published", "-a", "barnet", "--year", "2024", "-o", str(other)])
        == 2
    )
    assert other.read_text(encoding="utf-8") == "id: mine\n"


def test_unknown_authority_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "from-published", "-a", "Narnia", "--year", "2024"]) == 2
    assert "no authority 'Narnia'" in capsys.readouterr().err


def _share(log: dfe.EventLog, names: tuple[str, ...], src: str, dst: str, last: int) -> float:
    """Of the moves out of ``src`` on days 0..last, the share into ``dst``."""
    rows = np.flatnonzero(log["kind"] == int(Kind.ENTER))
    rows = rows[np.lexsort((rows, log["case"][rows]))]
    case, event, day = log["case"][rows], log["event"][rows], log["day"][rows]
    same = case[1:] == case[:-1]
    out_of = same & (event[:-1] == names.index(src)) & (day[1:] <= last)
    return float((out_of & (event[1:] == names.index(dst))).sum() / out_of.sum())


def test_round_trip_reproduces_its_own_inputs(rows: list[published.Row]) -> None:
    """Coventry, year to March 2024, at full size (about 4,500 referrals), one replication.

    Referrals in the year and the stocks it opens with come back within ±3% (Poisson noise on
    4,500 referrals is about 1.5%); the published conversions (ICPCs per s47 enquiry, CP plans per
    ICPC, referrals ending in no further action) come back as shares of the moves out of each
    state within ±3 points (binomial noise on ~2,500, ~600 and ~4,500 moves: ≤ 1.2 points).
    """
    built = frompublished.build(rows, "Coventry", 2024)
    scenario = ScenarioSpec.model_validate(yaml.safe_load(frompublished.to_yaml(built, "#")))
    compiled = compile_scenario(load_workflow(scenario.authority), scenario)
    log, _ = run_replication(compiled, 0)
    year = dfe.Year(2024)
    now = next(r for r in rows if r.name == "Coventry" and r.year == 2024)
    before = next(r for r in rows if r.name == "Coventry" and r.year == 2023)
    found = dfe.measures(log, compiled.frame, year)
    assert found["referrals"] == pytest.approx(now.get("referrals"), rel=0.03)
    assert dfe.stock(log, dfe.CIN_STATES, 0) == pytest.approx(
        before.get("cin_at_31_march"), rel=0.03
    )
    assert dfe.stock(log, ["cp_plan"], 0) == pytest.approx(
        before.get("cp_plans_at_31_march"), rel=0.03
    )
    assert dfe.stock(log, ["looked_after"], 0) == pytest.approx(
        before.get("looked_after_at_31_march"), rel=0.03
    )
    last = compiled.frame.grid.day(year.last)
    names = compiled.frame.names
    shares = {
        ("s47_enquiry", "icpc"): now.get("icpcs") / now.get("s47_enquiries"),
        ("icpc", "cp_plan"): now.get("cp_plans_started") / now.get("icpcs"),
    }
    for (src, dst), expected in shares.items():
        assert _share(log, names, src, dst, last) == pytest.approx(expected, abs=0.03), (src, dst)


def test_chairs_diaries_follow_the_conferences_of_the_year(rows: list[published.Row]) -> None:
    """Liverpool's ICPCs doubled (373 → 789) in the year to March 2024 after its CP plans halved
    (611 → 307 on 31 March 2023): the chairs' slots follow the year's conferences, not the stock."""
    slots = {
        year: frompublished.build(rows, "Liverpool", year).data["meetings"]["cp_conferences"][
            "slots_per_week"
        ]
        for year in (2023, 2024)
    }
    assert slots[2024] > 1.2 * slots[2023]
    # enough for the year's ICPCs and a review of every plan open on the previous 31 March
    assert slots[2024] > (789 + 307 * 2) / 52.18
    text = frompublished.to_yaml(frompublished.build(rows, "Liverpool", 2024), "#")
    note = next(line for line in text.splitlines() if "slots_per_week" in line and "ICPCs" in line)
    assert "789" in note and "1,022" in note  # the year's ICPCs; plans open and started


def test_a_year_whose_referrals_nearly_double_is_worked_through(rows: list[published.Row]) -> None:
    """Liverpool, year to March 2024: referrals 4,158 → 8,050 with a flat workforce, one
    replication at full size. The front end works proportionately under the backlog, so s47
    enquiries are started (published 1,931) and ICPCs are held on time about as often as published
    (81.6%); without it the queue grows without end (about 1,200 enquiries, 29% on time)."""
    built = frompublished.build(rows, "Liverpool", 2024)
    scenario = ScenarioSpec.model_validate(yaml.safe_load(frompublished.to_yaml(built, "#")))
    compiled = compile_scenario(load_workflow(scenario.authority), scenario)
    log, _ = run_replication(compiled, 0)
    found = dfe.measures(log, compiled.frame, dfe.Year(2024))
    assert found["s47_enquiries"] == pytest.approx(1931, rel=0.15)
    assert found["icpc_within_15wd_pct"] == pytest.approx(81.6, abs=10)
