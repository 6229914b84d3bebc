"""The public surface: ``casejourney.__all__`` is small, pinned, and every name in it works."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

import casejourney

#: The public names. Adding or removing one is an API change: update docs/api.md with it.
PUBLIC = [
    "CasejourneyError",
    "SpecError",
    "__version__",
    "check_paths",
    "compare_standards",
    "draw_pathway",
    "due_date",
    "export_results",
    "export_returns",
    "load_scenario",
    "load_workflow",
    "rules_records",
    "run_scenario",
    "run_sweep",
    "walk_journey",
    "write_report",
]

#: ``casejourney.api``'s own names beyond those: the types the functions take and return, and
#: the steps behind the other commands (the command line is built on the two lists).
API = [
    "Backtest",
    "Calibration",
    "Checked",
    "DueAnswer",
    "Duration",
    "Finding",
    "Level",
    "Pathway",
    "PublishedScenario",
    "Results",
    "ReturnsScenario",
    "ScenarioSpec",
    "Workflow",
    "calibrate_scenario",
    "check_files",
    "check_results_folder",
    "find_scenario_file",
    "journey_timeline",
    "rules_table",
    "run_backtest",
    "scenario_from_published",
    "scenario_from_returns",
    "simulated_returns",
    "writing_results",
]

#: Public until the surface was narrowed: each still resolves, with a warning saying where it is.
MOVED = ["DueAnswer", "Duration", "Finding", "Level", "Results", "ScenarioSpec", "Workflow"]

ROOT = Path(__file__).resolve().parent.parent


def test_the_public_names_are_pinned() -> None:
    assert casejourney.__all__ == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(casejourney, name) is not None
    assert name in dir(casejourney)


def test_every_public_name_is_in_the_api_page() -> None:
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [name for name in [*PUBLIC, *API] if f"`{name}" not in page]
    assert not missing


def test_the_api_modules_names_are_pinned_and_resolve() -> None:
    import casejourney.api

    # The public functions are there too, but for the two casejourney takes from their own
    # modules (rules_records, export_returns).
    functions = [n for n in PUBLIC if n[0].islower() and not n.startswith("_")]
    expected = sorted(set(API) | set(functions) - {"rules_records", "export_returns"})
    assert casejourney.api.__all__ == expected
    assert [n for n in casejourney.api.__all__ if getattr(casejourney.api, n, None) is None] == []


@pytest.mark.parametrize("name", MOVED)
def test_a_name_that_left_the_surface_still_works_with_a_warning(name: str) -> None:
    import casejourney.api

    assert name not in casejourney.__all__
    with pytest.warns(DeprecationWarning, match=f"casejourney.api.{name}"):
        value = getattr(casejourney, name)
    assert value is getattr(casejourney.api, name)


def test_a_name_outside_the_surface_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'find_workflow_file'"):
        casejourney.find_workflow_file  # noqa: B018 (an implementation detail now, in casejourney.spec)


def test_submodules_still_import_by_name() -> None:
    from casejourney import metrics

    assert metrics.__name__ == "casejourney.metrics"


def test_the_surface_does_what_its_names_say() -> None:
    from casejourney.api import DueAnswer, ScenarioSpec, Workflow

    workflow = casejourney.load_workflow("national")
    assert isinstance(workflow, Workflow)
    answer = casejourney.due_date(dt.date(2026, 12, 18), within="15 working days")
    assert isinstance(answer, DueAnswer)
    assert answer.due == dt.date(2027, 1, 13)
    assert casejourney.rules_records(workflow)
    scenario, _ = casejourney.load_scenario("national-baseline")
    assert isinstance(scenario, ScenarioSpec)
    assert issubclass(casejourney.SpecError, casejourney.CasejourneyError)


def test_authorities_compare_through_the_api() -> None:
    comparison = casejourney.compare_standards(["national", "liverpool"])
    assert comparison.authorities == ("national", "liverpool")
    assert all(len(row.cells) == 2 for row in comparison.rows)
    assert comparison.render("markdown").startswith("| standard | national | liverpool |")
    assert {"national_value", "liverpool_unit"} <= set(comparison.flat_rows()[0])
    with pytest.raises(casejourney.CasejourneyError, match="at least two"):
        casejourney.compare_standards(["national"])


def test_a_pathway_draws_through_the_api(tmp_path: Path) -> None:
    (pathway,) = casejourney.draw_pathway(["national", "liverpool"], compare=True)
    assert pathway.name == "national-vs-liverpool" and pathway.authority == "liverpool"
    data, _ = pathway.render("dot")
    assert data.startswith(b"digraph")
    (phase,) = casejourney.draw_pathway(["national"], phase="front_door")
    assert phase.fits_page_at("png") is None  # one phase is drawn to be read
    phase.write(tmp_path / "front.dot", "dot")
    assert (tmp_path / "front.dot").read_bytes().startswith(b"digraph")
    with pytest.raises(casejourney.CasejourneyError, match="at least one other"):
        casejourney.draw_pathway(["national"], compare=True)


def test_a_journey_walks_through_the_api() -> None:
    start = dt.date(2026, 1, 5)
    journey = casejourney.walk_journey("national", start, path=["referral", "case_closed"])
    assert [e.name for e in journey.events][:2] == ["contact", "referral"]
    assert journey.events[0].day == start
    assert journey.instances and all(i.opened >= start for i in journey.instances)
    with pytest.raises(casejourney.CasejourneyError, match="placement 'moon'"):
        casejourney.walk_journey("national", start, placement="moon")


def test_a_run_reports_and_exports_through_the_api(tmp_path: Path) -> None:
    folder = tmp_path / "base"
    casejourney.run_scenario("national-baseline", replications=1, scale=0.005, out=folder)
    written = casejourney.export_results(folder, xes=False)
    assert written == [folder / "metrics-tidy.csv"]
    assert casejourney.write_report([folder]) == folder / "report.html"
    # A comparison is named after its base, in the last folder, so it never overwrites either.
    compared = casejourney.write_report([folder, folder])
    assert compared == folder / "report-vs-base.html"
    assert "<svg" in compared.read_text(encoding="utf-8")


def _imported_by(code: str) -> set[str]:
    """Top-level packages a fresh interpreter has imported after running ``code``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return {name.split(".")[0] for name in done.stdout.split()} | {
        name for name in done.stdout.split() if name.startswith("casejourney")
    }


#: What a start-up must not load: each costs tenths of a second (benchmarks/bench_startup.py).
HEAVY = {
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "pydantic",
    "optuna",
    "lifelines",
    "networkx",
    "transitions",
    "simpy",
    "holidays",
    "graphviz",
    "casejourney.spec.models",
    "casejourney.calendar",
    "casejourney.experiment",
    "casejourney.report.render_image",
}


def test_import_casejourney_loads_nothing_heavy() -> None:
    assert not _imported_by("import casejourney") & HEAVY


def test_the_command_line_parses_without_loading_anything_heavy() -> None:
    # What `casejourney --help` and `--version` load: every command registered, none run.
    code = "import typer\nfrom casejourney.cli import app\ntyper.main.get_command(app)"
    assert not _imported_by(code) & HEAVY


def test_the_help_texts_constants_agree_with_their_homes() -> None:
    from casejourney import backtest, calibrate
    from casejourney.cli import published

    assert published.ENGLAND_SCALE == backtest.ENGLAND_SCALE
    assert calibrate.default_jobs() == published.DEFAULT_JOBS


def test_metrics_read_a_codebook_not_the_simulator() -> None:
    # Measures are of an event log and what its codes mean; nothing about how it was simulated.
    imported = _imported_by("import casejourney.metrics")
    assert "casejourney.simulate" not in imported
    assert "casejourney.codebook" in imported


def test_the_command_line_contract_forbids_every_internal_module() -> None:
    """A new subpackage is forbidden to the command line too, unless the contract says otherwise.

    The import-linter contract lists what ``casejourney.cli`` may not import; one missing from
    the list would be a way round the API that nothing checks.
    """
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c.get("source_modules") == ["casejourney.cli"]
    )
    package = ROOT / "src" / "casejourney"
    internal = {
        f"casejourney.{p.stem}"
        for p in package.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").is_file()) and not p.name.startswith("_")
    } - {"casejourney.api", "casejourney.errors", "casejourney.cli"}
    assert set(contract["forbidden_modules"]) == internal


def test_check_files_says_whose_file_each_finding_is_in(tmp_path: Path) -> None:
    from casejourney.api import check_files

    scenario = tmp_path / "mine.yaml"
    scenario.write_text(
        "kind: scenario\nid: mine\ntitle: Mine\nextends: national-baseline\nreplications: -1\n",
        encoding="utf-8",
    )
    checked = check_files([scenario])
    assert checked.files == [scenario]
    assert checked.own and all(f.file.endswith("mine.yaml") for f in checked.own)
    assert all(not f.file.endswith("mine.yaml") for f in checked.others)
    assert checked.has_errors
    assert sorted(checked.own + checked.others) == checked.findings


def test_the_rules_table_has_a_row_of_words_per_standard() -> None:
    from casejourney.api import rules_table

    workflow = casejourney.load_workflow("liverpool")
    rows = rules_table(workflow)
    assert [r["id"] for r in rows] == list(workflow.standards)
    assert {tuple(r) for r in rows} == {("id", "kind", "rule", "timescale", "from", "source")}
    assert any(r["from"].endswith("(inherited)") for r in rows)
    assert all(r["timescale"] and r["source"] for r in rows)


def test_a_journey_draws_as_a_timeline_through_the_api() -> None:
    from casejourney.api import journey_timeline

    journey = casejourney.walk_journey("national", dt.date(2026, 1, 5), seed=3)
    svg = journey_timeline(journey)
    assert svg.startswith("<?xml") and "<svg" in svg


def test_a_results_folder_is_checked_before_any_work(tmp_path: Path) -> None:
    from casejourney.api import check_results_folder, writing_results
    from casejourney.errors import OutputFolderError

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "summary.csv").write_text("the user's own\n", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="theirs"):
        check_results_folder(theirs)
    check_results_folder(tmp_path / "new")  # a folder not yet made is fine
    assert not (tmp_path / "new").exists()  # and checking it makes nothing
    with pytest.raises(OutputFolderError, match="the disk is full"), writing_results(theirs):
        raise OSError(28, "No space left on device", str(theirs / "metrics-tidy.csv"))


def test_a_scenario_from_published_figures_through_the_api(tmp_path: Path) -> None:
    from casejourney.api import PUBLISHED_MARKER, scenario_from_published

    path = tmp_path / "k.yaml"
    built = scenario_from_published("knowsley", 2024, path)
    assert built.path == path and built.authority == "knowsley"
    assert path.read_text(encoding="utf-8").startswith(PUBLISHED_MARKER)
    spec, _ = casejourney.load_scenario(str(path))
    assert spec.title == built.title
    scenario_from_published("knowsley", 2024, path)  # its own file: replaced
    theirs = tmp_path / "theirs.yaml"
    theirs.write_text("id: mine\n", encoding="utf-8")
    with pytest.raises(casejourney.CasejourneyError, match="not written by"):
        scenario_from_published("knowsley", 2024, theirs)
    assert theirs.read_text(encoding="utf-8") == "id: mine\n"


def test_a_calibration_refuses_its_output_before_any_trial(tmp_path: Path) -> None:
    from casejourney.api import calibrate_scenario, scenario_from_published

    scenario = scenario_from_published("knowsley", 2024, tmp_path / "k.yaml").path
    with scenario.open("a", encoding="utf-8") as handle:
        handle.write("calibrate:\n  parameters:\n    stays.cp_plan.median: {low: 20, high: 50}\n")
    targets = tmp_path / "t.csv"
    targets.write_text("measure,value,year,source\nicpc_within_15wd_pct,80,2024,DfE\n")
    theirs = tmp_path / "k-calibrated.yaml"  # the default output, not written by calibrate
    theirs.write_text("id: mine\n", encoding="utf-8")
    trials: list[int] = []
    with pytest.raises(casejourney.CasejourneyError, match="not written by `casejourney calib"):
        calibrate_scenario(
            str(scenario), targets, trials=1, progress=lambda n, *_: trials.append(n)
        )
    assert trials == []


def test_a_scenario_from_returns_through_the_api(tmp_path: Path) -> None:
    # simulated_returns is run by the command's own tests (tests/test_returns_import.py, -n 1).
    from casejourney.api import RETURNS_MARKER, scenario_from_returns

    casejourney.run_scenario("national-baseline", replications=1, scale=0.005, out=tmp_path / "r")
    returns = tmp_path / "returns"
    casejourney.export_returns(tmp_path / "r", 2027, returns)
    episodes = returns / "episodes.csv"
    lines = episodes.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = "NOBODY" + lines[1][lines[1].index(",") :]  # a child the header does not have
    episodes.write_text("".join(lines), encoding="utf-8")
    said: list[str] = []
    path = tmp_path / "mine.yaml"
    built = scenario_from_returns(
        returns / "cin-census.xml", returns, 2027, path, notes=said.append
    )
    assert any(line.startswith("skipped 1 ×") for line in said)
    assert path.read_text(encoding="utf-8").startswith(RETURNS_MARKER)
    assert built.kept and built.figures.year == 2027
    assert (built.cases is not None) == (built.carried > 0)
    spec, _ = casejourney.load_scenario(str(path))
    assert spec.id == "mine"
    theirs = tmp_path / "theirs.yaml"
    theirs.write_text("id: mine\n", encoding="utf-8")
    with pytest.raises(casejourney.CasejourneyError, match="not written by"):
        scenario_from_returns(returns / "nope.xml", returns, 2027, theirs)  # before reading
