"""The `casejourney` command: help everywhere, versions, errors without tracebacks, rules and due."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import typer

import casejourney
import casejourney.cli
from casejourney.cli import main
from casejourney.errors import UnknownAuthorityError
from tests.conftest import INVALID, WORKFLOWS


def _commands() -> list[tuple[tuple[str, ...], Any]]:
    """Every command in the tree as (path, command), the root first."""
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append((path, command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, (*path, name))

    walk(typer.main.get_command(casejourney.cli.app), ())
    return found


COMMANDS = _commands()
AUTHORITIES = sorted(p.stem for p in WORKFLOWS.glob("*.yaml"))


def test_the_documented_commands_exist() -> None:
    assert {path for path, _ in COMMANDS} >= {(), ("check",), ("rules",), ("due",)}


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "casejourney" for p, _ in COMMANDS]
)
def test_every_command_and_option_has_help(path: tuple[str, ...], command: Any) -> None:
    assert (command.help or "").strip(), f"command {' '.join(path)!r} has no help"
    missing = [p.name for p in command.params if not (getattr(p, "help", None) or "").strip()]
    assert missing == [], f"{' '.join(path) or 'casejourney'}: no help= for {missing}"


@pytest.mark.parametrize(
    "path", [p for p, _ in COMMANDS], ids=[" ".join(p) or "casejourney" for p, _ in COMMANDS]
)
def test_help_prints_and_exits_0(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*path, "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"casejourney {casejourney.__version__}"


# --- Errors: a message and an exit code; a traceback only with --debug ------------------------


def test_unknown_authority_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--authority", "nowhere"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("casejourney: no workflow for authority 'nowhere'")
    assert "national" in lines[0]  # says which authorities there are
    assert "Traceback" not in captured.err + captured.out


def test_debug_lets_the_exception_through() -> None:
    with pytest.raises(UnknownAuthorityError, match="nowhere"):
        main(["--debug", "rules", "--authority", "nowhere"])


def test_invalid_workflow_prints_findings_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--authority", str(INVALID / "no-exit.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tests/data/invalid/no-exit.yaml:5: error no-exit: ")
    assert "Traceback" not in err


def test_invalid_workflow_with_debug_raises_spec_error() -> None:
    with pytest.raises(casejourney.SpecError) as info:
        main(["--debug", "rules", "--authority", str(INVALID / "no-exit.yaml")])
    assert [f.code for f in info.value.findings] == ["no-exit"]


def test_bad_duration_is_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["due", "--from", "2026-12-18", "--within", "2 fortnights"]) == 2
    err = capsys.readouterr().err
    assert "unknown unit 'fortnights'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01", "--within", "1 day"], "YYYY-MM-DD"),
        (["--from", "18/12/2026", "--within", "1 day"], "YYYY-MM-DD"),
        (["--from", "2026-12-18"], "exactly one of --within or --standard"),
        (
            ["--from", "2026-12-18", "--within", "1 day", "--standard", "icpc-timing"],
            "exactly one of --within or --standard",
        ),
    ],
)
def test_due_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["due", *args]) == 2
    assert message in capsys.readouterr().err


# --- due -------------------------------------------------------------------------------------


def test_due_within(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["due", "--from", "2026-12-18", "--within", "15 working days"]) == 0
    out = capsys.readouterr().out
    assert out.split()[0] == "2027-01-13"
    assert "Wednesday 13 January 2027" in out


def test_due_one_day_is_a_calendar_day(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["due", "--from", "2026-01-09", "--within", "1 day"]) == 0
    assert capsys.readouterr().out.split()[0] == "2026-01-10"


def test_due_standard_cites_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["due", "--from", "2026-12-18", "--standard", "icpc-timing"]) == 0
    captured = capsys.readouterr()
    assert captured.out.split()[0] == "2027-01-13"
    assert "Working Together to Safeguard Children 2023" in captured.err
    assert "within 15 working days of the strategy discussion" in captured.err


def test_due_unknown_standard_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["due", "--from", "2026-12-18", "--standard", "icpc-timeing"]) == 2
    assert "icpc-timing" in capsys.readouterr().err


# --- rules -----------------------------------------------------------------------------------

DURATION_FIELD = {
    "deadline": "within",
    "max_duration": "within",
    "recurring": "every",
    "lead_time": "at_least",
}


def rules_json(authority: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    assert main(["rules", "--authority", authority, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert isinstance(records, list)
    return records


def test_rules_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    records = rules_json("national", capsys)
    assert records, "the national floor has standards"
    for record in records:
        assert {"id", "kind", "from", "to", "while", "first", "authority", "inherited"} <= set(
            record
        )
        # Above zero, but for a lead time of zero ("before it, on the same day": reg 8(2)).
        least = 0 if record["kind"] == "lead_time" else 1
        assert record[DURATION_FIELD[record["kind"]]]["value"] >= least, record["id"]
        assert {"document", "section", "quote"} <= set(record["source"])
        assert all(record["source"][k] for k in ("document", "section", "quote"))
    icpc = next(r for r in records if r["id"] == "icpc-timing")
    assert (icpc["kind"], icpc["from"], icpc["to"]) == ("deadline", "strategy_discussion", "icpc")
    assert icpc["within"] == {"value": 15, "unit": "working_days"}
    assert icpc["while"] == ["strategy_discussion", "s47_enquiry"]
    assert (icpc["authority"], icpc["inherited"]) == ("national", False)
    assert icpc["source"]["document"] == "Working Together to Safeguard Children 2023"
    assert (
        icpc["source"]["quote"].lower().startswith("the initial child protection conference should")
    )


@pytest.mark.parametrize("authority", AUTHORITIES)
def test_rules_say_which_are_inherited(authority: str, capsys: pytest.CaptureFixture[str]) -> None:
    records = rules_json(authority, capsys)
    assert len({r["id"] for r in records}) == len(records), "one record per standard id"
    for record in records:
        assert record["inherited"] == (record["authority"] != authority), record["id"]


def test_rules_csv_matches_json(capsys: pytest.CaptureFixture[str]) -> None:
    records = rules_json("national", capsys)
    assert main(["rules", "--authority", "national", "--format", "csv"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("\ufeff"), "a byte-order mark, so that Excel reads ≤ and ’ right"
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row["id"] for row in rows] == [r["id"] for r in records]
    # Quotes hold commas and quotation marks: they must survive the CSV round trip.
    assert [row["quote"] for row in rows] == [r["source"]["quote"] for r in records]
    icpc = next(row for row in rows if row["id"] == "icpc-timing")
    assert icpc["while"] == "strategy_discussion s47_enquiry"
    assert icpc["within"].startswith("15 working")


def test_rules_csv_has_a_column_for_a_paused_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    # Liverpool's family discussions pause while a child in care is visited three-monthly; the
    # first row (a deadline) has no pause of its own, and the CSV still has the column.
    assert main(["rules", "--authority", "liverpool", "--format", "csv"]) == 0
    text = capsys.readouterr().out.removeprefix("\ufeff")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert "long_term_home_agreed" in rows["management-oversight"]["pause"]
    # ... once the placement's first year has passed, until a move (reg 28(2)'s step)
    assert "placement_move" in rows["management-oversight"]["pause"]
    assert "year" in rows["management-oversight"]["pause"]
    assert rows["icpc-timing"]["pause"] == ""


def test_rules_csv_has_a_column_for_the_steps_of_a_schedule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Liverpool ELEVEN: six-weekly after the first Review, three-monthly once the home the child
    # lives in is agreed as long-term (the agreement counted only since the last move).
    assert main(["rules", "--authority", "liverpool", "--format", "csv"]) == 0
    text = capsys.readouterr().out.removeprefix("\ufeff")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["lac-visits-liverpool"]["then"] == (
        "every 6 weeks after the first lac_review; every 3 months after the first "
        "long_term_home_agreed, since the last placement_move"
    )
    assert rows["icpc-timing"]["then"] == ""


@pytest.mark.parametrize(("age", "babies"), [("12", False), ("0.2", True)])
def test_journey_owes_baby_visits_only_to_a_baby(
    age: str, babies: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["journey", "--authority", "barnet", "--start", "2026-01-05", "--age", age]
    main([*args, "--path", "referral,cf_assessment,cin_plan,case_closed", "--format", "json"])
    journey = json.loads(capsys.readouterr().out)
    visits = [e for e in journey["events"] if e["event"] == "baby_seen_awake"]
    owed = [i for i in journey["standards"] if i["standard"] == "cin-baby-seen-awake"]
    assert bool(visits) is babies
    assert bool(owed) is babies


def test_a_twelve_year_old_in_barnet_owes_no_baby_visits_and_no_staff_supervision(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The issue's own command: a seeded random route for a 12-year-old.
    assert main(["journey", "--authority", "barnet", "--age", "12", "--format", "json"]) == 0
    journey = json.loads(capsys.readouterr().out)
    events = {e["event"] for e in journey["events"]}
    owed = {i["standard"] for i in journey["standards"]}
    assert "baby_seen_awake" not in events
    assert "supervision" not in events, "a worker's supervision is not a child's event"
    assert not owed & {"cin-baby-seen-awake", "cp-baby-seen-awake", "lac-baby-seen-awake"}
    assert not owed & {"supervision-nqsw", "foster-carer-supervisory-visit"}
    assert any(i["kind"] == "recurring" for i in journey["standards"]), "visits are still owed"


def test_rules_list_worker_and_household_standards_as_outside_the_simulation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = {r["id"]: r for r in rules_json("barnet", capsys)}
    assert records["supervision-nqsw"]["per"] == "worker"
    assert records["foster-carer-annual-review"]["per"] == "household"
    assert "not tracked or simulated" in records["supervision-nqsw"]["outside_simulation"]
    assert records["cin-visits"]["per"] == "child"
    assert records["cin-visits"]["outside_simulation"] is None
    assert records["lac-baby-seen-awake"]["applies_to"] == {"age_under": 1}
