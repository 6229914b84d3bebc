"""`casejourney check`: one small file per kind of mistake, each reported once, at the right line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import casejourney
import casejourney.api
from casejourney.api import Level
from casejourney.checks import has_errors
from casejourney.cli import main
from tests.conftest import INVALID, WORKFLOWS

# (file in tests/data/invalid, level, code, line, a fragment of the message)
CASES: list[tuple[str, Level, str, int, str]] = [
    ("yaml-syntax.yaml", Level.ERROR, "yaml-syntax", 4, "column 42"),
    ("yaml-unsafe.yaml", Level.ERROR, "yaml-unsafe", 4, "python/object/apply"),
    ("yaml-alias-bomb.yaml", Level.ERROR, "yaml-alias-bomb", 5, "aliases"),
    ("encoding.yaml", Level.ERROR, "encoding", 4, "not UTF-8 (byte 0xe9)"),
    ("unknown-key.yaml", Level.ERROR, "unknown-key", 5, "states[0].lable; did you mean 'label'?"),
    ("unknown-state.yaml", Level.ERROR, "unknown-reference", 5, "state 'meetnig'; did you mean 'meeting'?"),
    ("unknown-event.yaml", Level.ERROR, "unknown-reference", 9, "event 'reprot'; did you mean 'report'?"),
    ("duplicate-id.yaml", Level.ERROR, "duplicate-id", 6, "state 'review' is declared twice"),
    ("zero-duration.yaml", Level.ERROR, "bad-duration", 10, "'0 working days' must be above zero"),
    ("negative-duration.yaml", Level.ERROR, "bad-duration", 10, "'-3 days' must be above zero"),
    ("unknown-unit.yaml", Level.ERROR, "bad-duration", 10, "unknown unit 'fortnights'"),
    ("extends-unknown.yaml", Level.ERROR, "extends-unknown", 3, "no nationl.yaml beside this file"),
    ("cycle-a.yaml", Level.ERROR, "extends-cycle", 3, "cycle-a → cycle-b → cycle-a"),
    ("cycle-b.yaml", Level.ERROR, "extends-cycle", 3, "cycle-b → cycle-a → cycle-b"),
    ("unreachable-state.yaml", Level.ERROR, "unreachable-state", 5, "'orphan' cannot be reached from 'start'"),
    ("no-exit.yaml", Level.ERROR, "no-exit", 5, "'limbo' has no transition out"),
    ("trap.yaml", Level.ERROR, "trap", 5, "{ping, pong}"),
    ("contradictory-timescales.yaml", Level.ERROR, "contradictory-timescales", 12, "'report-before-meeting', 'meeting-after-report'"),
    ("contradictory-order.yaml", Level.ERROR, "contradictory-timescales", 12, "leave 5 working days too few"),
    ("looser-than-statute.yaml", Level.ERROR, "looser-than-statute", 7, "20 working days is looser than tiny's 15 working days"),
    ("looser-acknowledged.yaml", Level.NOTE, "looser-than-statute", 7, "acknowledged: The local document says 20"),
    ("deviation-replaces-statute.yaml", Level.ERROR, "deviation-replaces-statute", 7, "refines: meeting-timing"),
    ("same-obligation.yaml", Level.WARNING, "same-obligation-two-values", 7, "'meeting-timing' says within 15 working days; 'meeting-fast' says within 10 working days"),
    ("effective-empty.yaml", Level.ERROR, "invalid-value", 13, "no day is on or after 2024-09-01 and before 2024-05-01"),
    ("bad-supersedes.yaml", Level.ERROR, "bad-supersedes", 14, "supersedes 'meeting-timing', but only a deadline"),
    ("supersedes-unknown.yaml", Level.ERROR, "unknown-reference", 14, "did you mean 'meeting-timing'?"),
    ("unreachable-step.yaml", Level.ERROR, "unreachable-step", 15, "'after 1 year, every 2 weeks' can never apply"),
    ("unsatisfiable-applies-to.yaml", Level.ERROR, "unsatisfiable-applies-to", 13, "leaves out children aged 16"),
    ("id-mismatch.yaml", Level.ERROR, "id-mismatch", 1, "id 'id-mismatched' must match the file name 'id-mismatch'"),
]  # fmt: skip


def findings_for(name: str) -> list[casejourney.api.Finding]:
    return casejourney.check_paths([INVALID / name])


@pytest.mark.parametrize(
    ("name", "level", "code", "line", "fragment"), CASES, ids=[c[0] for c in CASES]
)
def test_each_mistake_is_reported_once_at_its_line(
    name: str, level: Level, code: str, line: int, fragment: str
) -> None:
    findings = findings_for(name)
    assert [(f.file, f.line, f.level, f.code) for f in findings] == [
        (f"tests/data/invalid/{name}", line, level, code)
    ], "\n".join(f.render() for f in findings)
    assert fragment in findings[0].message


def test_every_fixture_is_in_the_table() -> None:
    # A new fixture without a row would test nothing.
    others = {"tiny.yaml", "state-called-no.yaml", "misspelt-within.yaml", "three-problems.yaml"}
    assert {p.name for p in INVALID.glob("*.yaml")} == {c[0] for c in CASES} | others


def test_the_root_the_fixtures_extend_is_clean() -> None:
    assert findings_for("tiny.yaml") == []


def test_findings_that_compare_rules_cite_both() -> None:
    (contradiction,) = findings_for("contradictory-timescales.yaml")
    assert [c.quote for c in contradiction.citations] == [
        "The report shall be shared twenty working days before the meeting.",
        "The meeting shall be held within five working days of the report.",
    ]
    (looser,) = findings_for("looser-than-statute.yaml")
    assert [c.document for c in looser.citations] == [
        "Local practice standards",
        "A statute for tests",
    ]
    (same,) = findings_for("same-obligation.yaml")
    assert len(same.citations) == 2


def test_misspelt_required_key_names_the_near_match_and_the_missing_key() -> None:
    findings = findings_for("misspelt-within.yaml")
    assert [(f.line, f.code) for f in findings] == [(5, "missing-key"), (10, "unknown-key")]
    missing, unknown = findings
    assert "standards[0].within is required" in missing.message
    assert "unknown key 'wihtin'" in unknown.message
    assert "did you mean 'within'?" in unknown.message


def test_states_called_no_and_off_stay_strings() -> None:
    assert findings_for("state-called-no.yaml") == []
    workflow = casejourney.load_workflow(str(INVALID / "state-called-no.yaml"))
    assert {"no", "off"} <= set(workflow.states)
    assert workflow.triggers_from("no") == {"switch_off": "off"}


def test_all_findings_at_once_and_sorted() -> None:
    findings = findings_for("three-problems.yaml")
    assert [(f.line, f.code) for f in findings] == [
        (8, "unreachable-state"),
        (9, "no-exit"),
        (14, "looser-than-statute"),
    ]


def test_all_validation_problems_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(
        "id: many\n"
        "title: Several mistakes a validator must not stop at\n"
        "colour: blue\n"
        "states:\n"
        "  - {id: Start, initial: true}\n"
        "standards:\n"
        "  - {id: a, kind: deadline, title: A, from: x, to: y, within: 3 fortnights,\n"
        "     source: {document: d, section: s, quote: q}}\n",
        encoding="utf-8",
    )
    findings = casejourney.check_paths([path])
    assert [(f.line, f.code) for f in findings] == [
        (3, "unknown-key"),
        (5, "invalid-value"),
        (7, "bad-duration"),
    ]


def test_a_folder_reports_every_file(tmp_path: Path) -> None:
    for name in ("tiny.yaml", "no-exit.yaml", "trap.yaml"):
        (tmp_path / name).write_bytes((INVALID / name).read_bytes())
    findings = casejourney.check_paths([tmp_path])
    assert sorted((Path(f.file).name, f.code) for f in findings) == [
        ("no-exit.yaml", "no-exit"),
        ("trap.yaml", "trap"),
    ]
    assert findings == sorted(findings)


def test_a_missing_path_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    (finding,) = casejourney.check_paths([tmp_path / "nowhere.yaml"])
    assert finding.code == "no-such-file"


def test_the_shipped_scenarios_check_clean(capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = WORKFLOWS.parent / "scenarios"
    assert main(["check", str(WORKFLOWS), str(scenarios)]) == 0
    count = len(list(WORKFLOWS.glob("*.yaml"))) + len(list(scenarios.glob("*.yaml")))
    assert f"checked {count} files: 0 errors" in capsys.readouterr().err


def test_a_broken_what_if_scenario_is_checked_against_its_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a what-if names no authority (it inherits one); it is still a scenario, not a workflow
    scenarios = WORKFLOWS.parent / "scenarios"
    for name in ("national-baseline.yaml", "liverpool-baseline.yaml"):
        (tmp_path / name).write_bytes((scenarios / name).read_bytes())
    (tmp_path / "what-if.yaml").write_text(
        "id: what-if\ntitle: A typo\nextends: liverpool-baseline\n"
        "initial_caseload:\n  cp_plna: 600\n"
    )
    assert main(["check", str(tmp_path / "what-if.yaml")]) == 1
    out = capsys.readouterr().out
    assert "what-if.yaml:5: error unknown-reference: initial_caseload.cp_plna: unknown state" in out
    assert "known keys: activities" not in out  # not mistaken for a workflow


# --- Unsafe YAML -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:builtins.open",
        "!!python/object/new:builtins.open",
        "!!python/object:builtins.object",
        "!!python/name:builtins.open",
    ],
)
def test_python_tags_are_refused_and_never_run(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "ran.txt"
    path = tmp_path / "evil.yaml"
    path.write_text(f"id: evil\ntitle: {tag} [{str(marker)!r}, w]\n", encoding="utf-8")
    (finding,) = casejourney.check_paths([path])
    assert (finding.line, finding.code) == (2, "yaml-unsafe")
    assert "not allowed" in finding.message
    assert not marker.exists(), "a tag in a workflow file was executed"


def test_unknown_tags_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "include.yaml"
    path.write_text("id: include\ntitle: !include other.yaml\n", encoding="utf-8")
    (finding,) = casejourney.check_paths([path])
    assert (finding.line, finding.code) == (2, "yaml-unsafe")


def test_a_recursive_alias_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("id: loop\ntitle: &a [*a]\n", encoding="utf-8")
    (finding,) = casejourney.check_paths([path])
    assert (finding.line, finding.code) == (2, "yaml-alias-bomb")


def test_many_aliases_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    items = ", ".join(["*x"] * 150)
    path.write_text(f"id: aliases\nx: &x 1\ny: [{items}]\n", encoding="utf-8")
    (finding,) = casejourney.check_paths([path])
    assert (finding.line, finding.code) == (3, "yaml-alias-bomb")


def test_deep_nesting_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("id: deep\ntitle: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    (finding,) = casejourney.check_paths([path])
    assert (finding.line, finding.code) == (2, "too-large")


def test_a_few_anchors_and_aliases_are_fine(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_bytes((INVALID / "tiny.yaml").read_bytes())
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "id: anchors\n"
        "title: One source quoted by two standards\n"
        "extends: tiny\n"
        "standards:\n"
        "  - id: report-after-meeting\n"
        "    kind: deadline\n"
        "    title: Report within 5 working days of the meeting\n"
        "    from: meeting\n"
        "    to: report\n"
        "    within: 5 working days\n"
        "    source: &s4 {document: statute, section: s.4, quote: Reports follow meetings.}\n"
        "  - id: report-after-visit\n"
        "    kind: deadline\n"
        "    title: Report within 5 working days of a visit\n"
        "    from: visit\n"
        "    to: report\n"
        "    within: 5 working days\n"
        "    source: *s4\n",
        encoding="utf-8",
    )
    assert casejourney.check_paths([path]) == []


def test_non_utf8_bytes_give_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: latin1\ntitle: ok\n# Caf\u00e9\n".encode("latin-1"))
    (finding,) = casejourney.check_paths([path])
    assert (finding.line, finding.code) == (3, "encoding")


# --- The command -------------------------------------------------------------------------------

LINE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+): (?P<level>error|warning|note) (?P<code>[a-z-]+): (?P<message>.+)$")  # fmt: skip


def test_check_clean_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(INVALID / "tiny.yaml")]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "0 errors" in captured.err


def test_check_warnings_and_notes_alone_exit_0() -> None:
    assert main(["check", "tests/data/invalid/looser-acknowledged.yaml"]) == 0
    assert main(["check", "tests/data/invalid/same-obligation.yaml"]) == 0


def test_check_errors_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "tests/data/invalid/no-exit.yaml"]) == 1
    assert "1 error" in capsys.readouterr().err


def test_check_text_is_one_line_per_finding(capsys: pytest.CaptureFixture[str]) -> None:
    # Editors and CI read `file:line: level CODE: message`, one finding per line.
    assert main(["check", "tests/data/invalid/three-problems.yaml"]) == 1
    expected = casejourney.check_paths([INVALID / "three-problems.yaml"])
    heads = [line for line in capsys.readouterr().out.splitlines() if not line.startswith(" ")]
    assert heads == [f.render().splitlines()[0] for f in expected]
    parsed = [LINE.match(line) for line in heads]
    assert all(parsed), heads
    assert [(m["file"], int(m["line"]), m["code"]) for m in parsed if m] == [
        ("tests/data/invalid/three-problems.yaml", 8, "unreachable-state"),
        ("tests/data/invalid/three-problems.yaml", 9, "no-exit"),
        ("tests/data/invalid/three-problems.yaml", 14, "looser-than-statute"),
    ]


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["check", "--format", "json", "tests/data/invalid/contradictory-timescales.yaml"]) == 1
    )
    (finding,) = json.loads(capsys.readouterr().out)
    assert finding["file"] == "tests/data/invalid/contradictory-timescales.yaml"
    assert (finding["line"], finding["level"], finding["code"]) == (
        12,
        "error",
        "contradictory-timescales",
    )
    assert {c["section"] for c in finding["citations"]} == {"s.3", "s.4"}


def test_check_json_lists_every_finding_sorted(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", str(INVALID)]) == 1
    found = json.loads(capsys.readouterr().out)
    keys = [(f["file"], f["line"], f["level"], f["code"], f["message"]) for f in found]
    assert keys == sorted(keys)
    assert {f["code"] for f in found} >= {c[2] for c in CASES}


def test_check_shipped_workflows_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "workflows/"]) == 0, capsys.readouterr().out
    assert not has_errors(casejourney.check_paths([WORKFLOWS]))


def test_an_applies_to_no_child_can_satisfy_is_reported_at_its_line(tmp_path: Path) -> None:
    shipped = (WORKFLOWS / "barnet.yaml").read_text(encoding="utf-8")
    mutated = shipped.replace(
        "applies_to: {age_under: 1}", "applies_to: {age_from: 5, age_under: 1}", 1
    )
    assert mutated != shipped
    line = 1 + mutated[: mutated.index("age_from: 5")].count("\n")
    path = tmp_path / "barnet.yaml"
    path.write_text(mutated, encoding="utf-8")
    shutil.copy(WORKFLOWS / "national.yaml", tmp_path / "national.yaml")
    findings = [f for f in casejourney.check_paths([path]) if f.level is Level.ERROR]
    assert [f.line for f in findings] == [line]
    assert "no child is at least 5 and under 1" in findings[0].message


def test_applies_to_on_a_standard_owed_per_worker_is_reported_at_its_line(tmp_path: Path) -> None:
    shipped = (WORKFLOWS / "coventry.yaml").read_text(encoding="utf-8")
    mutated = shipped.replace(
        "    per: worker\n", "    per: worker\n    applies_to: {age_under: 1}\n"
    )
    assert mutated != shipped
    path = tmp_path / "coventry.yaml"
    path.write_text(mutated, encoding="utf-8")
    shutil.copy(WORKFLOWS / "national.yaml", tmp_path / "national.yaml")
    findings = [f for f in casejourney.check_paths([path]) if f.level is Level.ERROR]
    assert len(findings) == 1
    standard_line = 1 + mutated[: mutated.index("- id: staff-supervision")].count("\n")
    assert findings[0].line is not None and findings[0].line >= standard_line
    assert "owed per worker" in findings[0].message


def test_an_unknown_per_is_refused_with_the_choices(tmp_path: Path) -> None:
    shipped = (WORKFLOWS / "coventry.yaml").read_text(encoding="utf-8")
    mutated = shipped.replace("    per: worker\n", "    per: team\n")
    line = 1 + mutated[: mutated.index("per: team")].count("\n")
    path = tmp_path / "coventry.yaml"
    path.write_text(mutated, encoding="utf-8")
    shutil.copy(WORKFLOWS / "national.yaml", tmp_path / "national.yaml")
    findings = [f for f in casejourney.check_paths([path]) if f.level is Level.ERROR]
    assert [f.line for f in findings] == [line]
    assert "worker" in findings[0].message and "household" in findings[0].message


def test_barnets_two_icpc_anchors_are_reported_together_with_both_citations() -> None:
    findings = [
        f
        for f in casejourney.check_paths([WORKFLOWS / "barnet.yaml"])
        if f.code == "same-obligation-two-anchors"
    ]
    assert len(findings) == 1, [f.render() for f in findings]
    [finding] = findings
    assert finding.level is Level.WARNING
    assert "'icpc-timing' says within 15 days of strategy_discussion" in finding.message
    assert "'icpc-timing-s47-start' says within 15 working days of s47_enquiry" in finding.message
    quotes = [c.quote for c in finding.citations]
    assert any("15 days from initial strategy discussion" in q for q in quotes)
    assert any("15 working days from the start of the Section 47" in q for q in quotes)


def test_a_longer_extension_than_statute_allows_is_looser(tmp_path: Path) -> None:
    # reg 25(2): "once for a further period of up to eight weeks"; twelve is looser.
    local = tmp_path / "local.yaml"
    local.write_text(
        "id: local\ntitle: Local\nextends: national\n"
        "documents: [{id: doc, title: Local standards}]\n"
        "standards:\n"
        "  - id: connected-person-temporary-approval\n"
        "    kind: deadline\n"
        "    title: Temporary approval, extendable by 12 weeks\n"
        "    from: connected_person_placement\n"
        "    to: connected_person_approved\n"
        "    within: 16 weeks\n"
        "    while: looked_after\n"
        "    extension: {event: temporary_approval_extended, by: 12 weeks}\n"
        "    source: {document: doc, section: '1', quote: Twelve weeks more.}\n",
        encoding="utf-8",
    )
    found = [
        (f.code, f.line, f.message)
        for f in casejourney.check_paths([local])
        if f.level is Level.ERROR
    ]
    assert [(code, line) for code, line, _ in found] == [("looser-than-statute", 6)]
    assert "extension.by 12 weeks is looser than national's 8 weeks" in found[0][2]
