"""``extends:`` by id (beside the file, else the shipped one) or by a path from the file's folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import casejourney
from casejourney.cli import main
from tests.conftest import ROOT, WORKFLOWS

SCENARIOS = ROOT / "scenarios"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _refused(path: Path) -> list[str]:
    with pytest.raises(casejourney.SpecError) as caught:
        casejourney.load_scenario(str(path))
    return [f"{f.line}: {f.code}: {f.message}" for f in caught.value.findings]


def test_a_planners_own_scenario_extends_a_shipped_one_by_its_id(tmp_path: Path) -> None:
    mine = _write(
        tmp_path / "plans" / "more-referrals.yaml",
        "id: more-referrals\ntitle: More referrals\nextends: liverpool-baseline\n",
    )
    scenario, workflow = casejourney.load_scenario(str(mine))
    shipped, _ = casejourney.load_scenario("liverpool-baseline")
    assert workflow.id == "liverpool"
    assert scenario.title == "More referrals"
    assert scenario.teams == shipped.teams
    assert main(["check", str(mine)]) == 0  # check reads what simulate reads


def _with_seed(seed: int) -> str:
    """The shipped liverpool-baseline with another seed (a key no what-if here sets)."""
    text = (SCENARIOS / "liverpool-baseline.yaml").read_text(encoding="utf-8")
    changed = re.sub(r"^seed: .*$", f"seed: {seed}", text, count=1, flags=re.MULTILINE)
    assert changed != text
    return changed


def test_a_file_beside_it_comes_before_the_shipped_one(tmp_path: Path) -> None:
    _write(tmp_path / "liverpool-baseline.yaml", _with_seed(4242))
    mine = _write(tmp_path / "mine.yaml", "id: mine\ntitle: Mine\nextends: liverpool-baseline\n")
    scenario, _ = casejourney.load_scenario(str(mine))
    assert scenario.seed == 4242


def test_extends_by_a_path_from_the_files_folder(tmp_path: Path) -> None:
    # The copy's own `extends: national-baseline` is found among the shipped scenarios.
    _write(tmp_path / "shared" / "base.yaml", _with_seed(4242))
    mine = _write(
        tmp_path / "plans" / "mine.yaml", "id: mine\ntitle: Mine\nextends: ../shared/base.yaml\n"
    )
    scenario, _ = casejourney.load_scenario(str(mine))
    assert scenario.seed == 4242
    assert main(["check", str(mine)]) == 0


def test_a_path_that_names_nothing_says_where_it_looked(tmp_path: Path) -> None:
    mine = _write(
        tmp_path / "plans" / "mine.yaml", "id: mine\ntitle: t\nextends: ../shared/base.yaml\n"
    )
    [problem] = _refused(mine)
    assert problem.startswith("3: extends-unknown: extends '../shared/base.yaml': no such file")
    assert "plans" in problem


def test_an_unknown_id_lists_the_files_beside_and_the_shipped_ones(tmp_path: Path) -> None:
    mine = _write(tmp_path / "mine.yaml", "id: mine\ntitle: t\nextends: liverpool-baseline2\n")
    [problem] = _refused(mine)
    assert "no liverpool-baseline2.yaml beside this file or among the shipped scenarios" in problem
    assert "liverpool-baseline," in problem


def test_an_absolute_path_is_refused(tmp_path: Path) -> None:
    target = SCENARIOS / "liverpool-baseline.yaml"
    mine = _write(tmp_path / "mine.yaml", f"id: mine\ntitle: t\nextends: {target}\n")
    [problem] = _refused(mine)
    assert "write the path from this file's folder, not the root" in problem


def test_a_loop_through_paths_is_found(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "one.yaml", "id: one\ntitle: t\nextends: ../b/two.yaml\n")
    _write(tmp_path / "b" / "two.yaml", "id: two\ntitle: t\nextends: ../a/one.yaml\n")
    [problem] = _refused(tmp_path / "a" / "one.yaml")
    assert "extend each other in a loop: one.yaml → two.yaml → one.yaml" in problem


def test_an_authority_file_of_ones_own_extends_the_shipped_national_floor(tmp_path: Path) -> None:
    mine = _write(
        tmp_path / "leeds.yaml",
        "id: leeds\ntitle: Leeds City Council\nextends: national\n",
    )
    workflow = casejourney.load_workflow(str(mine))
    assert workflow.standards.keys() == casejourney.load_workflow("national").standards.keys()
    assert main(["check", str(mine)]) == 0


def test_an_authority_file_extends_another_by_its_path(tmp_path: Path) -> None:
    _write(
        tmp_path / "floor" / "national.yaml",
        (WORKFLOWS / "national.yaml").read_text(encoding="utf-8"),
    )
    mine = _write(
        tmp_path / "mine" / "leeds.yaml",
        "id: leeds\ntitle: Leeds City Council\nextends: ../floor/national.yaml\nremove_standards: [return-interview]\n",
    )
    workflow = casejourney.load_workflow(str(mine))
    assert "return-interview" not in workflow.standards
    assert "icpc-timing" in workflow.standards


def test_a_file_an_extended_scenario_names_is_read_beside_that_scenario(tmp_path: Path) -> None:
    # initial_cases: open-cases.csv in ../shared/base.yaml is ../shared/open-cases.csv, not
    # plans/open-cases.csv beside the scenario that extends it.
    _write(
        tmp_path / "shared" / "base.yaml",
        "id: base\ntitle: Base\nextends: knowsley-baseline\ninitial_caseload: {cp_plan: 0}\n"
        "initial_cases: open-cases.csv\n",
    )
    _write(
        tmp_path / "shared" / "open-cases.csv",
        "case,state,start,end,age\n1,cp_plan,2026-01-05,,7\n",
    )
    mine = _write(
        tmp_path / "plans" / "mine.yaml", "id: mine\ntitle: t\nextends: ../shared/base.yaml\n"
    )
    scenario, _ = casejourney.load_scenario(str(mine))
    assert len(scenario.initial_cases) == 1
