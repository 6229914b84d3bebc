"""Every mistake a user (or an attacker) can put in a file is a finding with file and line.

One test per finding of issue 17: the crash sites (a traceback before), the nonsense numbers that
were accepted, and files that are not regular files. `check` must refuse what `simulate` cannot do.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import casejourney
import casejourney.simulate as simulate
from casejourney.cli import main
from casejourney.spec import scenario as scenario_module
from casejourney.spec import yamlsafe
from casejourney.spec.yamlsafe import read_yaml
from tests.conftest import ROOT, refused_scenario

BASELINE = "national-baseline"


def _check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _edited(folder: Path, old: str, new: str, name: str = BASELINE) -> Path:
    text = (ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")
    assert old in text, f"{name}.yaml no longer holds {old!r}"
    path = folder / f"{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# --- misspelt keys at every level: the mistake a real user makes most ----------------------------


@pytest.mark.parametrize(
    ("old", "new", "typo", "suggested"),
    [
        ("    headcount: 2050 ", "    headcountt: 2050 ", "headcountt", "headcount"),
        (
            "    slots_per_week: 4500 ",
            "    slot_per_week: 4500 ",
            "slot_per_week",
            "slots_per_week",
        ),
        ("    places: 57500 ", "    place: 57500 ", "place", "places"),
        ("    on_time: 0.92 ", "    on_tme: 0.92 ", "on_tme", "on_time"),
        (
            "    title: Child protection plans",
            "    titel: Child protection plans",
            "titel",
            "title",
        ),
        ("{dist: triangular, low: 0, mode: 2", "{dist: triangular, lo: 0, mode: 2", "lo", "low"),
    ],
    ids=["teams", "meetings", "placements", "practice", "drift", "a distribution"],
)
def test_a_misspelt_nested_key_gets_a_did_you_mean_from_its_own_keys(
    tmp_path: Path, old: str, new: str, typo: str, suggested: str
) -> None:
    findings = refused_scenario(tmp_path, BASELINE, old, new)
    unknown = [f for f in findings if f.code == "unknown-key"]
    assert unknown, [f.render() for f in findings]
    assert f"unknown key '{typo}'" in unknown[0].message
    assert f"did you mean '{suggested}'?" in unknown[0].message
    text = (tmp_path / f"{BASELINE}.yaml").read_text(encoding="utf-8")
    where = re.search(rf"[\s{{]{typo}:", text)
    assert where is not None and unknown[0].line == text[: where.end()].count("\n") + 1


# --- the other crash sites -------------------------------------------------------------------------


def test_a_control_character_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _edited(tmp_path, "title: England", "title: \x01England")
    code, shown = _check(path, capsys)
    assert code == 1 and "Traceback" not in shown
    assert f"{BASELINE}.yaml:7: error encoding: character U+0001" in shown


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_line_separator_only_yaml_counts_is_refused_at_the_line_an_editor_shows(
    tmp_path: Path, separator: str
) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(f"id: w\ntitle: one{separator}two\n", encoding="utf-8")
    doc, findings = read_yaml(path)
    assert doc is None and [(f.line, f.code) for f in findings] == [(2, "encoding")]


def test_an_impossible_date_is_a_finding_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _edited(tmp_path, "start: 2026-04-06", "start: 2026-02-30")
    code, shown = _check(path, capsys)
    assert code == 1 and "Traceback" not in shown
    assert "'2026-02-30' is not a date in the calendar; write YYYY-MM-DD" in shown
    assert f"{BASELINE}.yaml:9:" in shown


def test_aliases_chained_past_the_depth_limit_are_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 1"]
    lines += [f"a{i}: &a{i} {'[' * 90}*a{i - 1}{']' * 90}" for i in range(1, 40)]
    path = tmp_path / "chain.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc, findings = read_yaml(path)
    assert doc is None and [f.code for f in findings] == ["too-large"]
    assert "nested more than" in findings[0].message and findings[0].line > 1


def test_a_symlink_loop_is_unreadable_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    code, shown = _check(loop, capsys)
    assert code == 1 and "Traceback" not in shown
    assert "unreadable" in shown and "symbolic links" in shown


def test_a_fifo_and_dev_zero_in_a_folder_are_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    code, shown = _check(tmp_path, capsys)  # blocked for ever before: reading the FIFO
    assert code == 1
    assert "named pipe (FIFO), not a regular file" in shown
    assert "a device or socket, not a regular file" in shown


def test_a_file_of_many_small_values_is_refused_by_the_work_budget(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(
        "id: big\ntitle: t\nx:\n" + "".join(f"  - {i}\n" for i in range(200_000)),
        encoding="utf-8",
    )
    doc, findings = read_yaml(path)
    assert doc is None and [f.code for f in findings] == ["too-large"]
    assert f"more than {yamlsafe.MAX_NODES:,} values" in findings[0].message


# --- numbers: finite, and within what the tool can run ------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        ("re_refer: 0.226", "re_refer: .nan", "branches.early_help.re_refer", "not a finite"),
        ("re_refer: 0.226", "re_refer: 1.5", "branches.early_help.re_refer", "at most 1"),
        ("    headcount: 2050 ", "    headcount: 1e999 ", "front_door.headcount", "not a finite"),
        ("    headcount: 2050 ", "    headcount: 1000000000 ", "headcount", "at most 100,000"),
        (
            "    headcount: 2050 ",
            "    headcount: 1800\n    hours_per_week: .inf\n",
            "hours_per_week",
            "not a finite",
        ),
        ("    within: 3 months", "    within: 1000000 months", "within", "longer than 100"),
        ("horizon: 52 weeks ", "horizon: 520000 weeks ", "horizon", "longer than 100 years"),
        ("horizon: 52 weeks ", "horizon: 1300 weeks ", "simulated period", "last day"),
        ("start: 2026-04-06", "start: 1066-10-14", "start", "too small"),
        ("  cp_plan: 49420 ", "  cp_plan: 4942000000 ", "initial_caseload", "at most"),
    ],
    ids=[
        "nan-probability",
        "probability-over-one",
        "overflowing-headcount",
        "billion-headcount",
        "infinite-hours",
        "million-months",
        "ten-thousand-years",
        "past-the-calendar",
        "before-the-calendar",
        "huge-caseload",
    ],
)
def test_check_refuses_a_number_simulate_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, where: str, says: str
) -> None:
    path = _edited(tmp_path, old, new)
    code, shown = _check(path, capsys)
    assert code == 1 and "Traceback" not in shown
    errors = [line for line in shown.splitlines() if " error " in line]
    assert any(where in line and says in line for line in errors), shown
    assert main(["simulate", str(path), "--scale", "0.001", "-n", "1", "-o", str(tmp_path / "r")])
    assert not (tmp_path / "r").exists()


def test_the_checked_period_is_the_one_simulate_can_run() -> None:
    assert scenario_module.SIMULATION_MARGIN_DAYS == simulate.GRID_MARGIN_DAYS


def test_the_latest_period_check_allows_still_compiles(tmp_path: Path) -> None:
    """At the very edge of what `check` allows, `simulate` builds its calendar without error."""
    weeks = (scenario_module.LATEST_END - scenario_module.EARLIEST_START).days // 7 - 20
    path = _edited(tmp_path, "start: 2026-04-06", f"start: {scenario_module.EARLIEST_START}")
    text = path.read_text(encoding="utf-8").replace(
        "horizon: 52 weeks ", f"horizon: {weeks} weeks "
    )
    path.write_text(text, encoding="utf-8")
    scenario, workflow = casejourney.load_scenario(str(path))
    compiled = simulate.compile_scenario(workflow, scenario, scale=0.0005)
    assert compiled.frame.grid.date(compiled.frame.end) <= scenario_module.LATEST_END


# --- extends names an id or a .yaml file, never a bare path (see tests/test_extends.py) ------------


def test_extends_with_a_bare_path_is_refused_with_the_form_that_works(tmp_path: Path) -> None:
    inner = tmp_path / "scenarios"
    inner.mkdir()
    (tmp_path / "outside.yaml").write_text(
        (ROOT / "scenarios" / f"{BASELINE}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = inner / "what-if.yaml"
    path.write_text("id: what-if\ntitle: t\nextends: ../outside\n", encoding="utf-8")
    with pytest.raises(casejourney.SpecError) as caught:
        casejourney.load_scenario(str(path))
    [finding] = caught.value.findings
    assert finding.code == "extends-unknown" and finding.line == 3
    assert "not a path" in finding.message
    assert "../outside.yaml" in finding.message  # the form that is read


# --- a file's kind, messages in the user's order, hints for names -----------------------------


def _what_if(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{BASELINE}.yaml").write_text(
        (ROOT / "scenarios" / f"{BASELINE}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = folder / "what-if.yaml"
    path.write_text(f"{extra}id: what-if\ntitle: t\nextends: {BASELINE}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("folder", "extra"), [("scenarios", ""), ("elsewhere", "kind: scenario\n")]
)
def test_a_scenario_of_only_id_title_and_extends_is_checked_as_a_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str, extra: str
) -> None:
    path = _what_if(tmp_path / folder, extra)
    code, shown = _check(path, capsys)
    assert code == 0, shown
    assert "error" not in shown.split("checked")[0]


def test_check_shows_the_file_named_before_the_folders_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "leeds.yaml"
    mine.write_text("id: leeds\ntitle: Leeds\nextends: national\nstatez: []\n", encoding="utf-8")
    (tmp_path / "national.yaml").write_text(
        (ROOT / "workflows" / "national.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    code = main(["check", str(ROOT / "workflows"), str(mine)])
    shown = capsys.readouterr().out.splitlines()
    assert code == 1
    assert "unknown key 'statez'" in shown[0], shown[:3]
    assert any("barnet.yaml" in line for line in shown[1:])  # the folder's findings follow


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("liverpool-baseline.yaml", "the shipped one is liverpool-baseline"),
        ("scenarios/liverpool-baseline", "did you mean scenarios/liverpool-baseline.yaml?"),
        ("liverpol-baseline", "did you mean liverpool-baseline?"),
    ],
)
def test_a_scenario_named_almost_right_gets_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, hint: str
) -> None:
    assert main(["simulate", name, "-o", str(tmp_path / "r")]) == 2
    assert hint in capsys.readouterr().err


def test_an_unknown_standard_gets_a_did_you_mean_not_a_list_of_eighty(
    capsys: pytest.CaptureFixture[str],
) -> None:
    workflow = casejourney.load_workflow("national")
    real = next(iter(workflow.standards))
    assert main(["due", "--from", "2026-01-05", "--standard", real[:-1] + "x"]) == 2
    message = capsys.readouterr().err
    assert f"did you mean {real}" in message
    assert len(message) < 300


def test_deeply_nested_brackets_are_refused_at_the_first_bracket_too_deep(tmp_path: Path) -> None:
    """PyYAML's scanner slows with the square of the bracket depth (3,000 took 2.5 s), so the
    reader stops at the 101st open bracket, on its line, before the parser goes deeper. libyaml's
    scanner does not slow down, and its events stop at the 101st level counting the mapping, on
    line 2 (tests/test_yaml_reader.py runs both readers)."""
    path = tmp_path / "deep.yaml"
    path.write_text(
        "a: 1\nb: " + "[" * 100 + "\n" + "[" * 5000 + "]" * 5100 + "\n", encoding="utf-8"
    )
    doc, findings = read_yaml(path)
    line = 2 if yamlsafe.USE_LIBYAML and yamlsafe._CParser is not None else 3
    assert doc is None and [(f.code, f.line) for f in findings] == [("too-large", line)]


def test_simulate_names_what_is_wrong_with_a_file_that_is_not_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    os.mkfifo(tmp_path / "pipe.yaml")
    assert main(["simulate", str(loop), "-o", str(tmp_path / "r")]) == 1
    assert "Too many levels of symbolic links" in capsys.readouterr().err
    assert main(["simulate", str(tmp_path / "pipe.yaml"), "-o", str(tmp_path / "r")]) == 1
    assert "named pipe (FIFO)" in capsys.readouterr().err


def test_an_explicit_tag_on_a_value_it_cannot_hold_is_a_finding(tmp_path: Path) -> None:
    """Found by the long fuzzing run: `!!int 1e3` made PyYAML raise ValueError."""
    path = tmp_path / "w.yaml"
    path.write_text("id: w\ntitle: t\nx: !!int 1e3\n", encoding="utf-8")
    doc, findings = read_yaml(path)
    assert doc is None and [f.code for f in findings] == ["yaml-syntax"]


# --- a name longer than the file system allows (found by the long fuzzing run) -------------------

_TOO_LONG = "a" * 300  # most file systems allow 255 bytes per path component


@pytest.mark.parametrize(
    ("folder", "name", "key"),
    [
        ("scenarios", "liverpool-baseline", "authority"),
        ("scenarios", "liverpool-demand-plus-15", "extends"),
        ("workflows", "knowsley", "extends"),
    ],
)
def test_a_name_too_long_for_the_file_system_is_a_finding_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str, name: str, key: str
) -> None:
    """`Path.is_file` raises ENAMETOOLONG rather than saying False: it was an OSError, no line."""
    for kind in ("scenarios", "workflows"):
        (tmp_path / kind).mkdir()
        for shipped in (ROOT / kind).glob("*.yaml"):
            (tmp_path / kind / shipped.name).write_bytes(shipped.read_bytes())
    path = tmp_path / folder / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    edited = re.sub(rf"^{key}: .*$", f"{key}: {_TOO_LONG}", text, count=1, flags=re.M)
    assert edited != text
    line = 1 + text[: re.search(rf"^{key}: ", text, flags=re.M).start()].count("\n")  # type: ignore[union-attr]
    path.write_text(edited, encoding="utf-8")
    code, shown = _check(path, capsys)
    assert code == 1, shown
    assert re.search(rf"{name}\.yaml:{line}: error [a-z\-]+: .*{_TOO_LONG}", shown), shown
    assert "Traceback" not in shown and "File name too long" not in shown


@pytest.mark.parametrize("inside", [False, True], ids=["file", "folder"])
def test_check_names_a_file_whose_name_is_too_long(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], inside: bool
) -> None:
    # It was `casejourney: FILE: File name too long` (exit 2): an OSError, not a finding.
    long_name = tmp_path / (f"{_TOO_LONG}/x.yaml" if inside else f"{_TOO_LONG}.yaml")
    for fmt in ("text", "json"):
        assert main(["check", str(long_name), "--format", fmt]) == 1
        captured = capsys.readouterr()
        shown = captured.out + captured.err
        assert "Traceback" not in shown and "casejourney:" not in shown
        if fmt == "text":
            assert f"{_TOO_LONG}" in shown and ":1: error unreadable: cannot read file: " in shown
            assert "shorten the name" in shown
        else:
            [finding] = json.loads(captured.out)
            assert (finding["line"], finding["code"]) == (1, "unreadable")


def test_simulate_names_a_scenario_file_whose_name_is_too_long(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_name = str(tmp_path / f"{_TOO_LONG}.yaml")
    assert main(["simulate", long_name, "-o", str(tmp_path / "r")]) == 1
    message = capsys.readouterr().err
    assert f"{_TOO_LONG}.yaml:1: error unreadable: cannot read file: File name too long" in message
    assert not (tmp_path / "r").exists()


# --- an initial_cases file that is not there (found by the fuzzer, 3 December) -------------------


@pytest.mark.parametrize("name", ["open-cases.csv", "\r\nfrom", "\x01", "a" * 300])
def test_a_missing_initial_cases_file_is_named_at_the_scenarios_line(
    tmp_path: Path, name: str
) -> None:
    """The finding named the CSV file at line 0 (the file is not there, so it has no lines)."""
    (tmp_path / "national-baseline.yaml").write_bytes(
        (ROOT / "scenarios" / "national-baseline.yaml").read_bytes()
    )
    path = tmp_path / "carried.yaml"
    path.write_text(
        f"id: carried\ntitle: t\nextends: national-baseline\ninitial_cases: {json.dumps(name)}\n",
        encoding="utf-8",
    )
    spec, _, findings = scenario_module.read_scenario(path)
    assert spec is None
    where = [(Path(f.file).name, f.line, f.code) for f in findings]
    assert where == [("carried.yaml", 4, "initial-cases")]
    assert f"no such file {name!r}" in findings[0].message
