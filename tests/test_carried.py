"""Open cases carried from an authority's own records (a scenario's ``initial_cases`` file)."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from pathlib import Path

import numpy as np
import pytest

import casejourney
from casejourney import dfe
from casejourney.engine import Kind
from casejourney.simulate import compile_scenario, run_replication

ROOT = Path(__file__).resolve().parent.parent
START = dt.date(2026, 4, 6)  # knowsley-baseline's first day (national-baseline's)


def _scenario(
    folder: Path, csv_text: str, cp_count: int = 0, more: str = "", counts: str = ""
) -> Path:
    """knowsley-baseline with its open CP plans carried from ``csv_text`` instead of counted
    (and ``more`` YAML; ``counts``, more of ``initial_caseload``, e.g. ``"looked_after: 0, "``)."""
    for path in (ROOT / "scenarios").glob("*.yaml"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "knowsley-carried.yaml").write_text(
        "id: knowsley-carried\ntitle: Knowsley, its open CP plans carried from records\n"
        f"extends: knowsley-baseline\ninitial_caseload: {{{counts}cp_plan: {cp_count}}}\n"
        "initial_cases: open-cases.csv\n" + more,
        encoding="utf-8",
    )
    (folder / "open-cases.csv").write_text(csv_text, encoding="utf-8")
    return folder / "knowsley-carried.yaml"


def _cases(count: int) -> tuple[str, list[tuple[int, dt.date, dt.date | None]]]:
    """``count`` children on plans begun 1 to 600 days before the start; every third had a plan
    before. Returns the CSV and (case, start, earlier plan's end or None)."""
    lines = ["case,state,start,end,age"]
    expected = []
    for case in range(1, count + 1):
        began = START - dt.timedelta(days=1 + (case * 37) % 600)
        lines.append(f"{case},cp_plan,{began},,{case % 17}")
        ended = None
        if case % 3 == 0:
            ended = began - dt.timedelta(days=200)
            lines.append(f"{case},cp_plan,{ended - dt.timedelta(days=150)},{ended},")
        expected.append((case, began, ended))
    return "\n".join(lines) + "\n", expected


def test_carried_cases_open_on_their_own_days_with_their_earlier_plans(tmp_path: Path) -> None:
    text, expected = _cases(120)
    scenario, workflow = casejourney.load_scenario(str(_scenario(tmp_path, text)))
    compiled = compile_scenario(workflow, scenario, horizon_days=182, warm_up_days=0)
    log, _ = run_replication(compiled, 0)
    grid, cp = compiled.frame.grid, compiled.frame.code("cp_plan")
    enter = (log["kind"] == int(Kind.ENTER)) & (log["event"] == cp)
    opened = enter & (log["day"] < grid.day(START))
    # every carried plan, and no other, is open on the first day from the day the file gives
    assert sorted(log["day"][opened].tolist()) == sorted(grid.day(b) for _, b, _ in expected)
    cases = set(log["case"][opened].tolist())
    history = (log["kind"] == int(Kind.HISTORY)) & np.isin(log["case"], list(cases))
    assert (log["event"][history] == cp).all()
    assert sorted(log["due"][history].tolist()) == sorted(
        grid.day(e) for _, _, e in expected if e is not None
    )
    # no carried plan ends before the first day, and they end over the months after it
    leaving = (log["kind"] == int(Kind.ENTER)) & ~enter & np.isin(log["case"], list(cases))
    assert (log["day"][leaving] >= grid.day(START)).all()
    assert 10 < len(set(log["case"][leaving].tolist())) < len(cases)
    # the DfE's count of CP plans open on the first day sees exactly these
    assert dfe.stock(log, ["cp_plan"], grid.day(START) - 1) == len(expected)


def test_carried_cases_follow_the_scale_evenly(tmp_path: Path) -> None:
    text, _ = _cases(120)
    scenario, workflow = casejourney.load_scenario(str(_scenario(tmp_path, text)))
    compiled = compile_scenario(workflow, scenario, horizon_days=7, warm_up_days=0, scale=0.25)
    log, _ = run_replication(compiled, 0)
    assert dfe.stock(log, ["cp_plan"], compiled.frame.grid.day(START) - 1) == 30


@pytest.mark.parametrize(
    ("csv_text", "line", "says"),
    [
        ("case,state,begin\n1,cp_plan,2024-01-01\n", 1, "missing column(s) start"),
        ("case,state,start,end\n1,cp_plan,01/02/2024,\n", 2, "a date as YYYY-MM-DD"),
        ("case,state,start,end\nA12,cp_plan,2024-01-01,\n", 2, "number the cases 1, 2, 3"),
        (
            "case,state,start,end\n1,cp_plan,2024-01-01,\n1,cin_plan,2024-02-01,\n",
            3,
            "second open row",
        ),
        ("case,state,start,end\n1,cp_plan,2024-01-01,2023-01-01\n", 2, "is before start"),
        (
            "case,state,start,end\n1,cp_plan,2024-01-01,\n1,cp_plan,2023-01-01,2024-02-01\n",
            3,
            "after the open stay began",
        ),
    ],
)
def test_a_bad_cases_file_is_refused_by_line_with_the_fix(
    tmp_path: Path, csv_text: str, line: int, says: str
) -> None:
    path = _scenario(tmp_path, csv_text)
    with pytest.raises(casejourney.SpecError) as caught:
        casejourney.load_scenario(str(path))
    found = [f for f in caught.value.findings if says in f.message]
    assert found, [f.message for f in caught.value.findings]
    assert found[0].file.endswith("open-cases.csv") and found[0].line == line


def test_cases_in_an_unknown_state_or_after_the_start_or_counted_twice_are_refused(
    tmp_path: Path,
) -> None:
    text = "case,state,start,end\n1,cp_plann,2024-01-01,\n2,cp_plan,2026-05-01,\n"
    path = _scenario(tmp_path, text, cp_count=5)
    with pytest.raises(casejourney.SpecError) as caught:
        casejourney.load_scenario(str(path))
    messages = " | ".join(f.message for f in caught.value.findings)
    assert "case 1: unknown state 'cp_plann'" in messages
    assert "case 2: entered cp_plan on 2026-05-01, not before the start 2026-04-06" in messages
    assert "initial_caseload opens cp_plan as counts while initial_cases carries" in messages
    assert all(f.file.endswith("knowsley-carried.yaml") for f in caught.value.findings)


def test_a_missing_cases_file_is_named(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "")
    (tmp_path / "open-cases.csv").unlink()
    with pytest.raises(casejourney.SpecError) as caught:
        casejourney.load_scenario(str(path))
    assert any("no such file" in f.message for f in caught.value.findings)


def test_carried_cases_are_shared_out_when_the_authority_runs_as_several_areas(
    tmp_path: Path,
) -> None:
    text, expected = _cases(120)
    scenario, workflow = casejourney.load_scenario(str(_scenario(tmp_path, text)))
    one = compile_scenario(workflow, scenario, horizon_days=7, warm_up_days=0, areas=1)
    three = compile_scenario(workflow, scenario, horizon_days=7, warm_up_days=0, areas=3)
    first = one.frame.grid.day(START) - 1
    log_one, _ = run_replication(one, 0)
    log_three, _ = run_replication(three, 0)
    # every carried case opens once, on its own day, whichever way the authority is split
    assert dfe.stock(log_three, ["cp_plan"], first) == dfe.stock(log_one, ["cp_plan"], first)
    cp = three.frame.code("cp_plan")
    opened = (
        (log_three["kind"] == int(Kind.ENTER))
        & (log_three["event"] == cp)
        & (log_three["day"] <= first)
    )
    assert sorted(log_three["day"][opened].tolist()) == sorted(
        three.frame.grid.day(b) for _, b, _ in expected
    )


def test_a_plan_carried_open_for_years_never_leaves_by_a_way_whose_stays_are_short(
    tmp_path: Path,
) -> None:
    # Plans that go into pre-proceedings do so within weeks here (median 8, 90% within 12): a
    # plan already open 18 months to 2 years on the first day is one that goes on to end some
    # other way. Its way out drawn by the branch shares when it ended sent about one in six to
    # pre-proceedings.
    lines = ["case,state,start,end,age"]
    for case in range(1, 601):
        began = START - dt.timedelta(days=550 + case % 180)
        lines.append(f"{case},cp_plan,{began},,{case % 17}")
    short = "stays_to: {cp_plan: {plo: {dist: lognormal, median: 8, p90: 12, unit: weeks}}}\n"
    scenario, workflow = casejourney.load_scenario(
        str(_scenario(tmp_path, "\n".join(lines) + "\n", more=short))
    )
    compiled = compile_scenario(workflow, scenario, horizon_days=364, warm_up_days=0)
    log, _ = run_replication(compiled, 0)
    grid, frame = compiled.frame.grid, compiled.frame
    cp, plo = frame.code("cp_plan"), frame.code("plo")
    carried = (log["kind"] == int(Kind.ENTER)) & (log["event"] == cp)
    carried &= log["day"] < grid.day(START)
    cases = np.unique(log["case"][carried])
    later = (log["kind"] == int(Kind.ENTER)) & np.isin(log["case"], cases)
    later &= log["day"] >= grid.day(START)
    # each carried plan's next state: its first entry on or after the first day
    order = np.lexsort((log["day"][later], log["case"][later]))
    case_of, event_of = log["case"][later][order], log["event"][later][order]
    nexts = event_of[np.r_[True, case_of[1:] != case_of[:-1]]]
    assert len(nexts) > 200
    state = compiled.model.states[cp]
    assert state.weights[state.exits.index(plo)] / sum(state.weights) > 0.1, "plans' overall rate"
    assert not (nexts == plo).any()


def test_a_child_carried_in_care_for_years_runs_on_by_the_stays_own_tail(tmp_path: Path) -> None:
    # A stay in care of median 40 weeks, 90% within 150: a child already in care 9 to 11 years
    # is one of the few in its tail, and leaves within the year at the tail's rate (about one in
    # four). Drawing a fresh stay from the first day for the cases whose first 32 draws all ended
    # before it (four in five of them here) made half of them leave within the year.
    lines = ["case,state,start,end,age"]
    for case in range(1, 601):
        began = START - dt.timedelta(days=3300 + case % 700)
        lines.append(f"{case},looked_after,{began},,{case % 8}")
    stay = "stays: {looked_after: {dist: lognormal, median: 40, p90: 150, unit: weeks}}\n"
    scenario, workflow = casejourney.load_scenario(
        str(_scenario(tmp_path, "\n".join(lines) + "\n", more=stay, counts="looked_after: 0, "))
    )
    compiled = compile_scenario(workflow, scenario, horizon_days=364, warm_up_days=0)
    log, _ = run_replication(compiled, 0)
    grid, la = compiled.frame.grid, compiled.frame.code("looked_after")
    enter = log["kind"] == int(Kind.ENTER)
    carried = enter & (log["event"] == la) & (log["day"] < grid.day(START))
    cases = np.unique(log["case"][carried])
    assert len(cases) == 600
    # every one opens on its own day (none moved to the calendar's first day)
    assert len(np.unique(log["day"][carried])) > 300
    left = np.unique(
        log["case"][enter & np.isin(log["case"], cases) & (log["day"] >= grid.day(START))]
    )
    # the lognormal's chance of ending within the year, given how long each has lasted
    sigma = math.log(150 / 40) / 1.2815515655446004

    def survival(days: float) -> float:
        return 0.5 * math.erfc(math.log(days / 7 / 40) / sigma / math.sqrt(2))

    expected = statistics.fmean(
        1 - survival(elapsed + 364) / survival(elapsed)
        for elapsed in (3300 + case % 700 for case in range(1, 601))
    )
    assert abs(len(left) / 600 - expected) < 0.06, (len(left) / 600, expected)
