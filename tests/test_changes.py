"""A planner's what-ifs without editing a file: ``--set PATH=VALUE``, absolute and relative."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import casejourney
import casejourney.api
from casejourney import sweep
from casejourney.cli import main
from casejourney.spec import workflows_dir
from casejourney.spec.changes import ChangeError, apply_changes, parse_change

QUEUE_WORKFLOW = Path(workflows_dir()).parent / "scenarios" / "queueing" / "queueing-mmc.yaml"

SMALL_QUEUE = f"""\
kind: scenario
id: small-queue
title: A small queue
authority: {QUEUE_WORKFLOW}
start: 2013-01-07
warm_up: 2 weeks
horizon: 8 weeks
replications: 2
seed: 11
arrivals: through_the_day
open_days: every_day
queue_discipline: fifo
demand:
  referrals_per_week: 28
  referral_state: waiting
  weekday_profile: [1, 1, 1, 1, 1, 1, 1]
  bank_holiday_factor: 1.0
branches:
  waiting: {{serve: 1.0}}
stays:
  waiting: {{dist: fixed, value: 0, unit: days}}
effort_hours:
  waiting: {{dist: exponential, mean: 8, unit: hours}}
teams:
  servers:
    headcount: 5
    hours_per_week: 40
    vacancy_rate: 0
    sickness_rate: 0
    caseload_limit: null
    states: [waiting]
"""


@pytest.fixture(scope="module")
def liverpool() -> casejourney.api.ScenarioSpec:
    return casejourney.load_scenario("liverpool-baseline")[0]


@pytest.fixture
def queue(tmp_path: Path) -> Path:
    path = tmp_path / "small-queue.yaml"
    path.write_text(SMALL_QUEUE, encoding="utf-8")
    return path


def test_ten_percent_fewer_child_protection_staff(liverpool: casejourney.api.ScenarioSpec) -> None:
    changed, _ = casejourney.load_scenario(
        "liverpool-baseline", changes=["teams.child_protection.headcount=-10%"]
    )
    before = liverpool.teams["child_protection"].headcount
    assert changed.teams["child_protection"].headcount == pytest.approx(before * 0.9)
    assert changed.teams["assessment"] == liverpool.teams["assessment"], "only the team named"
    assert changed.title.startswith(liverpool.title) and "child_protection.headcount −10%" in (
        changed.title
    )


def test_demand_scale_multiplies_the_arrival_rate_and_nothing_else(
    liverpool: casejourney.api.ScenarioSpec,
) -> None:
    changed, _ = casejourney.load_scenario("liverpool-baseline", changes=["demand.scale=1.2"])
    assert changed.demand.per_week == pytest.approx(liverpool.demand.per_week * 1.2)
    assert changed.demand.surges == liverpool.demand.surges
    assert changed.teams == liverpool.teams
    assert "demand ×1.2" in changed.title


def test_a_star_changes_every_team_and_a_percentage_scales_a_distribution(
    liverpool: casejourney.api.ScenarioSpec,
) -> None:
    changed = apply_changes(
        liverpool, [parse_change("teams.*.headcount=-10%"), parse_change("stays.s47_enquiry=+20%")]
    )
    for name, team in liverpool.teams.items():
        assert changed.teams[name].headcount == pytest.approx(team.headcount * 0.9)
    old, new = liverpool.stays["s47_enquiry"], changed.stays["s47_enquiry"]
    assert new.model_dump()["high"] == pytest.approx(old.model_dump()["high"] * 1.2)
    assert new.model_dump()["unit"] == old.model_dump()["unit"]


def test_an_absolute_value_a_whole_number_and_a_duration(
    liverpool: casejourney.api.ScenarioSpec,
) -> None:
    changed = apply_changes(
        liverpool,
        [
            parse_change("teams.child_protection.vacancies=6"),
            parse_change("teams.child_protection.newly_qualified=+50%"),
            parse_change("extra_stay.care_proceedings=8 weeks"),
        ],
    )
    assert changed.teams["child_protection"].vacancies == 6
    nq = liverpool.teams["child_protection"].newly_qualified
    assert changed.teams["child_protection"].newly_qualified == round(nq * 1.5)
    assert str(changed.extra_stay["care_proceedings"]) == "8 weeks"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("teams.child_protectin.headcount=-10%", "did you mean teams.child_protection?"),
        ("teams.child_protection.headcont=3", "did you mean teams.child_protection.headcount?"),
        ("teams.child_protection.headcount=many", "teams.child_protection.headcount"),
        ("demand.growth=99", "less than or equal to 5"),
        ("demand.scale=0", "demand.scale is a multiplier above 0"),
        ("teams.child_protection=-10%", "is a group of settings; name one of them (headcount"),
        ("teams.child_protection.headcount=-150%", "more than 100%"),
        ("headcount", "write PATH=VALUE"),
        ("teams.child_protection.caseload_limit=+10%", None),
    ],
)
def test_a_bad_change_says_which_and_how_to_mend_it(change: str, message: str | None) -> None:
    if message is None:  # a valid change, for contrast: no error
        casejourney.load_scenario("liverpool-baseline", changes=[change])
        return
    with pytest.raises(ChangeError) as caught:
        casejourney.load_scenario("liverpool-baseline", changes=[change])
    assert change.split("=")[0] in str(caught.value)
    assert message in str(caught.value)


def test_a_change_that_breaks_a_cross_check_is_refused() -> None:
    with pytest.raises(ChangeError, match="probabilities sum to"):
        casejourney.load_scenario(
            "liverpool-baseline", changes=["branches.referral.referral_nfa=0.9"]
        )


def test_sweep_takes_relative_values_on_its_axes(liverpool: casejourney.api.ScenarioSpec) -> None:
    axis = sweep.parse_vary("teams.child_protection.headcount=-20%,0%")
    scale = sweep.parse_vary("demand.scale=1,1.5")
    tasks = sweep.plan(
        casejourney.load_workflow("liverpool"), liverpool, [axis, scale], replications=1, seed=1
    )
    staff = sorted({t.scenario.teams["child_protection"].headcount for t in tasks})
    demand = sorted({t.scenario.demand.per_week for t in tasks})
    before = liverpool.teams["child_protection"].headcount
    assert staff == pytest.approx([before * 0.8, before])
    assert demand == pytest.approx([liverpool.demand.per_week, liverpool.demand.per_week * 1.5])


def _utilisation(folder: Path) -> float:
    with (folder / "summary.csv").open(encoding="utf-8-sig") as handle:
        row = next(
            r
            for r in csv.DictReader(handle)
            if r["metric"] == "team.utilisation_pct" and r["subject"] == "servers"
        )
    return float(row["mean"])


def test_simulate_set_runs_the_what_if_and_records_it(
    queue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["simulate", str(queue), "-n", "2", "--event-log", "none"]) == 0
    changes = ["teams.servers.headcount=-20%", "demand.scale=1.1"]
    args = ["simulate", str(queue), "-n", "2", "--event-log", "none", "--report"]
    assert main([*args, *(a for c in changes for a in ("--set", c))]) == 0
    base, what_if = (
        tmp_path / "results" / "small-queue",
        tmp_path / "results" / ("small-queue+teams.servers.headcount=-20%+demand.scale=1.1"),
    )
    resolved = json.loads((what_if / "scenario.resolved.json").read_text(encoding="utf-8"))
    assert resolved["teams"]["servers"]["headcount"] == 4
    assert resolved["demand"]["referrals_per_week"] == pytest.approx(30.8)
    assert json.loads((what_if / "run.json").read_text())["settings"]["changes"] == changes
    assert _utilisation(what_if) > _utilisation(base) + 10, "fewer servers, more work: busier"
    page = (what_if / "report.html").read_text(encoding="utf-8")
    assert "--set teams.servers.headcount=-20% --set demand.scale=1.1" in page
    assert "demand ×1.1" in page


def test_simulate_set_with_a_typo_fails_before_running(
    queue: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["simulate", str(queue), "-o", str(tmp_path / "r"), "--set", "teams.server.headcount=4"]
    )
    assert code != 0
    assert "did you mean teams.servers?" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_sweep_set_applies_at_every_point(queue: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    code = main(
        [
            "sweep",
            str(queue),
            "--vary",
            "teams.servers.headcount=4,5",
            "--set",
            "demand.scale=0.5",
            "-n",
            "1",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    point = out / "points" / "point-0000"
    assert json.loads((point / "point.json").read_text()) == {"teams.servers.headcount": 4}
    # At load 0.8 on 5 servers, 4 servers with half the demand are about half busy (not 100%).
    assert 35 < _utilisation(point) < 70
