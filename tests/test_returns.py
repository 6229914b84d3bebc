"""``returns export``: a simulated caseload as a synthetic CIN census and SSDA903, checked by DfE's rules."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import casejourney
from casejourney.calendar import birthday
from casejourney.cli import main
from casejourney.returns import ReturnsError, caseload, export_returns, export_ssda903
from casejourney.returns.caseload import Case, Child
from casejourney.returns.cin import FOOTER, Census

YEAR = 2027  # the shipped scenarios start in April 2026
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("returns") / "run"
    casejourney.run_scenario("liverpool-baseline", replications=1, scale=0.05, out=out, seed=7)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def test_every_episode_belongs_to_a_child_in_the_header_in_care_under_18_in_the_year(
    results: Path, tmp_path: Path
) -> None:
    export_ssda903(results, YEAR, tmp_path / "903")
    header = {row["CHILD"]: row for row in _rows(tmp_path / "903" / "header.csv")}
    episodes = _rows(tmp_path / "903" / "episodes.csv")
    assert episodes, "a year of Liverpool at 5% has children in care"
    first, last = dt.date(YEAR - 1, 4, 1), dt.date(YEAR, 3, 31)
    for row in episodes:
        birth = _date(header[row["CHILD"]]["DOB"])
        start = _date(row["DECOM"])
        assert start <= last
        assert birth < start < birthday(birth, 18)
        if row["DEC"]:
            assert first <= _date(row["DEC"]) <= last and row["REC"] in {"E4A", "E8", "E47", "X1"}
        else:
            assert row["REC"] == ""
    care_leavers = {row["CHILD"] for row in _rows(tmp_path / "903" / "oc3.csv")}
    assert {row["CHILD"] for row in episodes} | care_leavers == set(header)
    assert all(child.startswith("SIM") for child in header)


def test_a_child_in_care_proceedings_is_looked_after_under_an_interim_care_order(
    results: Path, tmp_path: Path
) -> None:
    """Each stretch in care proceedings in the year is an episode under C1 from the day it began;
    a care order is a new episode that day under C2 (a change of legal status only, the last
    episode ending X1); proceedings ending in an order to carers end E47, home E4A."""
    export_ssda903(results, YEAR, tmp_path / "903")
    episodes = {
        (row["CHILD"], _date(row["DECOM"])): row for row in _rows(tmp_path / "903" / "episodes.csv")
    }
    first, last = dt.date(YEAR - 1, 4, 1), dt.date(YEAR, 3, 31)
    enters: dict[object, list[tuple[dt.date, str]]] = {}
    for row in _log(results):
        if row["kind"] == "enter":
            assert isinstance(row["date"], dt.date)
            enters.setdefault(row["case"], []).append((row["date"], str(row["event"])))
    checked: Counter[str] = Counter()
    for case, states in enters.items():
        for (start, state), (end, after) in zip(states, [*states[1:], (None, "")], strict=True):
            if state != "care_proceedings" or start > last or (end is not None and end < first):
                continue
            row = episodes[f"SIM{case:07d}", start]
            assert (row["LS"], row["RNE"]) == ("C1", "S")
            if end is None or end > last:
                assert row["DEC"] == "" and row["REC"] == ""
                continue
            assert _date(row["DEC"]) == end
            expected = {"looked_after": "X1", "case_closed": "E47"}.get(after, "E4A")
            assert row["REC"] == expected
            checked[after] += 1
            if after == "looked_after":
                order = episodes[f"SIM{case:07d}", end]
                assert (order["LS"], order["RNE"]) == ("C2", "L")
    assert checked["looked_after"] and checked["case_closed"], checked


def test_care_leavers_are_reported_on_their_19th_to_21st_birthday_in_the_year(
    results: Path, tmp_path: Path
) -> None:
    export_ssda903(results, YEAR, tmp_path / "903")
    header = {row["CHILD"]: row for row in _rows(tmp_path / "903" / "header.csv")}
    in_care = {row["CHILD"] for row in _rows(tmp_path / "903" / "episodes.csv")}
    rows = _rows(tmp_path / "903" / "oc3.csv")
    assert rows, "Liverpool at 5% has care leavers turning 19 to 21 in a year"
    first, last = dt.date(YEAR - 1, 4, 1), dt.date(YEAR, 3, 31)
    assert len({row["CHILD"] for row in rows}) == len(rows)
    for row in rows:
        birth = _date(row["DOB"])
        assert row["DOB"] == header[row["CHILD"]]["DOB"]
        assert any(first <= birthday(birth, age) <= last for age in (19, 20, 21))
        assert row["IN_TOUCH"] == "YES" and row["ACTIV"] and row["ACCOM"]
        if row["CHILD"] not in in_care:
            assert header[row["CHILD"]]["MOTHER"] == ""


def test_the_same_results_export_byte_for_byte_the_same(results: Path, tmp_path: Path) -> None:
    one = export_ssda903(results, YEAR, tmp_path / "a")
    two = export_ssda903(results, YEAR, tmp_path / "b")
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]


def test_a_folder_not_written_by_export_is_refused_and_left_alone(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["returns", "export", str(results), "--year", str(YEAR), "-o", str(mine)]) == 2
    assert "not written by `casejourney returns export`" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_a_folder_without_a_run_record_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ReturnsError, match="casejourney simulate SCENARIO -o FOLDER"):
        export_ssda903(tmp_path, YEAR, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_year_begun_before_the_simulation_says_what_it_is_missing(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped scenarios start on 6 April: the collection year to March 2027 began 5 days
    earlier, with no referrals in them, and the cases opened back-dated into them read as that
    year's referrals (a scenario built from it sends too many referrals to an enquiry)."""
    capsys.readouterr()
    command = ["returns", "export", str(results), "--year", str(YEAR), "-o"]
    assert main([*command, str(tmp_path / "a")]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "the collection year began 5 days before the simulation (2026-04-06)" in said
    assert "--set start=2026-04-01" in said
    started = tmp_path / "from-1-april"
    casejourney.run_scenario(
        "liverpool-baseline", scale=0.01, out=started, seed=7, changes=["start=2026-04-01"]
    )
    assert (
        main(["returns", "export", str(started), "--year", str(YEAR), "-o", str(tmp_path / "b")])
        == 0
    )
    assert "before the simulation" not in capsys.readouterr().out


def test_export_rewrites_its_own_folder(results: Path, tmp_path: Path) -> None:
    folder = tmp_path / "903"
    export_ssda903(results, YEAR, folder)
    assert main(["returns", "export", str(results), "--year", str(YEAR), "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "cin-census.xml", "episodes.csv", "header.csv", "oc3.csv", "reviews.csv",
    ]  # fmt: skip


def test_each_return_is_the_same_written_alone_or_beside_the_other(
    results: Path, tmp_path: Path
) -> None:
    alone = export_ssda903(results, YEAR, tmp_path / "903")
    both = {p.name: p for p in export_returns(results, YEAR, tmp_path / "both")}
    assert _rows(tmp_path / "903" / "oc3.csv"), "the care leavers' draws are compared too"
    assert [p.read_bytes() for p in alone] == [both[p.name].read_bytes() for p in alone]
    # and the census is the one written alone, child by child, each from its own identity
    census, seed, last = Census(YEAR), caseload.run_seed(results), dt.date(YEAR, 3, 31)
    cases = caseload.iter_cases(caseload.event_log(results, 0))
    lines = [census.child(case, caseload.child(case, n, seed, 0, last)) for n, case in cases]
    assert (
        both["cin-census.xml"].read_text(encoding="utf-8")
        == census.header() + "".join(lines) + FOOTER
    )


def test_an_export_that_fails_part_way_leaves_the_folder_as_it_was(
    results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "returns"
    export_returns(results, YEAR, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    written = 0

    def child_then_fail(self: Census, case: Case, who: Child) -> str:
        nonlocal written
        written += 1
        if written > 100:
            raise OSError(28, "No space left on device")
        return real(self, case, who)

    real = Census.child
    monkeypatch.setattr(Census, "child", child_then_fail)
    with pytest.raises(OSError, match="No space left"):
        export_returns(results, YEAR, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["returns"]  # no half-written folder beside it
    with pytest.raises(OSError, match="No space left"):
        export_returns(results, YEAR, tmp_path / "new")
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["returns"]


def _validators_python() -> str | None:
    """Python of the validators' own environment (they pin numpy<1.25 and pandas<2)."""
    candidates = [os.environ.get("CASEJOURNEY_VALIDATORS_PYTHON", "")]
    candidates.append(str(HERE.parent / ".venv-validators" / "bin" / "python"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def test_data_to_insights_903_validator_finds_no_errors(results: Path, tmp_path: Path) -> None:
    python = _validators_python()
    if python is None:
        pytest.skip(
            "csc-validator-be-903 not installed: `make validators` makes .venv-validators "
            "(its own environment, as it pins numpy<1.25 and pandas<2)"
        )
    export_ssda903(results, YEAR, tmp_path / "903")
    done = subprocess.run(
        [python, str(HERE / "validators" / "run_903.py"), str(tmp_path / "903"), str(YEAR)],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}, report
    print(sys.version, report["failed"])


# --- the CIN census ------------------------------------------------------------------------------


def _iso(text: str | None) -> dt.date:
    assert text is not None
    return dt.date.fromisoformat(text)


def _census(results: Path, folder: Path) -> ET.Element:
    export_returns(results, YEAR, folder)
    return ET.parse(folder / "cin-census.xml").getroot()


def _log(results: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pq.read_table(
        results / "events" / "replication-0000.parquet", columns=["case", "date", "event", "kind"]
    ).to_pylist()
    return rows


def test_the_census_has_an_episode_for_each_referral_the_simulation_made_in_the_year(
    results: Path, tmp_path: Path
) -> None:
    root = _census(results, tmp_path / "out")
    first, last = dt.date(YEAR - 1, 4, 1), dt.date(YEAR, 3, 31)
    # Cases that arrived during the run (not open on its first day) begin at a contact: each of
    # their referrals is a new CIN episode.
    # (A case open on the first day, back-dated into the year, that is later re-referred has an
    # episode from its first day open as well: it is not one of these.)
    arrived: set[object] = set()
    seen: set[object] = set()
    referred: Counter[str] = Counter()
    for row in _log(results):
        if row["kind"] != "enter":
            continue
        if row["case"] not in seen and row["event"] == "contact":
            arrived.add(row["case"])
        seen.add(row["case"])
        if row["event"] == "referral" and row["case"] in arrived:
            assert isinstance(row["date"], dt.date)
            if first <= row["date"] <= last:
                referred[f"SIM{row['case']:07d}"] += 1
    census: Counter[str] = Counter()
    for child in root.iter("Child"):
        who = child.findtext("ChildIdentifiers/LAchildID") or ""
        for episode in child.iter("CINdetails"):
            if first <= _iso(episode.findtext("CINreferralDate")) <= last and who in referred:
                census[who] += 1
    assert sum(referred.values()) > 50
    assert census == referred
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == f"{YEAR}-03-31"


def test_every_census_date_is_on_or_before_the_reference_date_and_in_order(
    results: Path, tmp_path: Path
) -> None:
    root = _census(results, tmp_path / "out")
    last = dt.date(YEAR, 3, 31)
    for element in root.iter():
        if element.tag.endswith("Date") and element.tag != "ReferenceDate" and element.text:
            assert _iso(element.text) <= last, element.tag
    for episode in root.iter("CINdetails"):
        referral = _iso(episode.findtext("CINreferralDate"))
        closed = episode.findtext("CINclosureDate")
        assert (closed is None) == (episode.findtext("ReasonForClosure") is None)
        if closed:
            assert referral <= _iso(closed)
        for plan in episode.iter("ChildProtectionPlans"):
            start = _iso(plan.findtext("CPPstartDate"))
            assert referral <= start
            reviews = [_iso(r.text) for r in plan.iter("CPPreviewDate")]
            assert all(start < day for day in reviews)


def test_every_cp_plan_starting_in_the_year_starts_at_an_initial_conference_on_a_working_day(
    results: Path, tmp_path: Path
) -> None:
    root = _census(results, tmp_path / "out")
    first = dt.date(YEAR - 1, 4, 1)
    starts = 0
    for episode in root.iter("CINdetails"):
        conferences = {e.text for e in episode.iter("DateOfInitialCPC") if e.text}
        for plan in episode.iter("ChildProtectionPlans"):
            start = plan.findtext("CPPstartDate")
            if _iso(start) >= first:
                starts += 1
                assert start in conferences
                assert _iso(start).weekday() < 5
    assert starts > 5


def test_a_plan_before_the_simulated_period_counts_in_number_of_previous_cpp(
    results: Path, tmp_path: Path
) -> None:
    """The scenario's history rows are earlier plans: the census counts them as the DfE does.

    A child whose case carries an earlier CP plan (a `history` row) has NumberOfPreviousCPP of at
    least 1 on every plan; a child with none, on its first plan in the census, has 0 unless the
    simulation gave it a plan before.
    """
    earlier: Counter[str] = Counter()
    entered: dict[str, list[dt.date]] = {}
    for row in _log(results):
        who = f"SIM{row['case']:07d}"
        if row["kind"] == "history" and row["event"] == "cp_plan":
            earlier[who] += 1
        elif row["kind"] == "enter" and row["event"] == "cp_plan":
            assert isinstance(row["date"], dt.date)
            entered.setdefault(who, []).append(row["date"])
    root = _census(results, tmp_path / "out")
    with_history = without = 0
    for child in root.iter("Child"):
        who = child.findtext("ChildIdentifiers/LAchildID") or ""
        plans = [
            (_iso(plan.findtext("CPPstartDate")), int(plan.findtext("NumberOfPreviousCPP") or -1))
            for plan in child.iter("ChildProtectionPlans")
        ]
        if not plans:
            continue
        start, previous = min(plans)
        if earlier[who]:
            with_history += 1
            assert all(p >= earlier[who] for _, p in plans), who
        elif not any(day < start - dt.timedelta(days=7) for day in entered.get(who, [])):
            without += 1
            assert previous == 0, who
    assert with_history >= 3 and without >= 10  # liverpool-baseline has history: cp_plan


def test_a_child_in_both_returns_has_the_same_birth_and_sex_in_both(
    results: Path, tmp_path: Path
) -> None:
    root = _census(results, tmp_path / "out")
    header = {row["CHILD"]: row for row in _rows(tmp_path / "out" / "header.csv")}
    both = 0
    for child in root.iter("Child"):
        ids = child.find("ChildIdentifiers")
        assert ids is not None
        row = header.get(ids.findtext("LAchildID") or "")
        if row is None:
            continue
        both += 1
        assert _date(row["DOB"]) == _iso(ids.findtext("PersonBirthDate"))
        assert row["SEX"] == ids.findtext("Sex")
    assert both > 10


def test_the_census_export_is_byte_for_byte_repeatable(results: Path, tmp_path: Path) -> None:
    one = export_returns(results, YEAR, tmp_path / "a")
    two = export_returns(results, YEAR, tmp_path / "b")
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]


def test_data_to_insights_cin_validator_finds_no_errors(results: Path, tmp_path: Path) -> None:
    python = _validators_python()
    if python is None:
        pytest.skip(
            "csc-validator-be-cin not installed: `make validators` makes .venv-validators "
            "(its own environment, as it pins numpy<1.25 and pandas<2)"
        )
    export_returns(results, YEAR, tmp_path / "out")
    done = subprocess.run(
        [python, "-W", "ignore", str(HERE / "validators" / "run_cin.py"),
         str(tmp_path / "out" / "cin-census.xml"), str(YEAR)],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}, report
    assert report["failed"] == [], report


def test_a_case_open_in_pre_proceedings_on_the_first_day_resuming_its_plan_is_one_plan() -> None:
    """PLO is entered only from a CP plan, and a plan that resumes after it is one plan in the
    census: a case the warm start opened in PLO that goes back on its plan shows that plan from its
    first day, not a new plan starting when PLO ends (which, a few weeks long, read as a short plan
    and widened the plan stay from-returns fits). One that goes to court shows none."""
    from casejourney.calendar import default_calendar
    from casejourney.returns.caseload import Stream
    from casejourney.returns.cin import _Days, _episodes

    first, resumed, stepped = dt.date(2026, 3, 2), dt.date(2026, 6, 1), dt.date(2026, 9, 7)
    case = Case(enters=[(first, "plo"), (resumed, "cp_plan"), (stepped, "cin_plan")])
    (episode,) = _episodes(case, Stream(1, 0, 1), _Days(default_calendar()))
    assert [(p.start, p.end, p.previous) for p in episode.cp_plans] == [(first, stepped, 0)]
    assert episode.conference == first  # a Monday: a conference not from a section 47 enquiry
    to_court = Case(enters=[(first, "plo"), (resumed, "care_proceedings")])
    (episode,) = _episodes(to_court, Stream(1, 0, 2), _Days(default_calendar()))
    assert episode.cp_plans == []
    # An arrival's plan that goes into PLO and resumes: one plan from its conference, as before.
    arrival = Case(
        enters=[(dt.date(2026, 4, 6), "referral"), (dt.date(2026, 4, 7), "strategy_discussion"),
                (dt.date(2026, 4, 8), "s47_enquiry"), (dt.date(2026, 4, 27), "icpc"),
                (dt.date(2026, 4, 28), "cp_plan"), (dt.date(2026, 8, 3), "plo"),
                (dt.date(2026, 11, 2), "cp_plan"), (dt.date(2027, 1, 4), "cin_plan")]
    )  # fmt: skip
    (episode,) = _episodes(arrival, Stream(1, 0, 3), _Days(default_calendar()))
    assert [(p.start, p.end) for p in episode.cp_plans] == [
        (dt.date(2026, 4, 27), dt.date(2027, 1, 4))
    ]
