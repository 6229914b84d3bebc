"""The scenario JSON Schema: committed copy up to date, and every shipped scenario validates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import casejourney
from casejourney.spec.schema import scenario_schema_text as schema_text
from tests.conftest import refused_scenario, schema_validator, yaml_as_json

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "scenarios" / "scenario.schema.json"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_committed_scenario_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "scenarios/scenario.schema.json is out of date with the models: run `make schema`"
    )


@pytest.fixture(scope="module")
def validator() -> Any:
    return schema_validator(SCHEMA_FILE)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenario_validates_against_the_schema(path: Path, validator: Any) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(yaml_as_json(path))
    ]
    assert errors == []


def test_schema_underlines_a_misspelt_key(validator: Any) -> None:
    data = yaml_as_json(ROOT / "scenarios" / "national-baseline.yaml")
    data["teams"]["front_door"]["headcont"] = 3
    assert list(validator.iter_errors(data))


def _assessment_headcount() -> str:
    """The line of Liverpool's baseline giving its assessment team's headcount, up to the number."""
    text = (ROOT / "scenarios" / "liverpool-baseline.yaml").read_text(encoding="utf-8")
    found = re.search(r"^  assessment:\n    headcount: [0-9.]+", text, flags=re.MULTILINE)
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ('"95"', "'95' is text, not a number; write the number without quotes (95)"),
        ("true", "true is a yes/no, not a number; write a number"),
    ],
)
def test_schema_and_loader_both_refuse_a_number_that_is_not_one(
    tmp_path: Path, validator: Any, given: str, words: str
) -> None:
    old = _assessment_headcount()
    new = old.rsplit(" ", 1)[0] + f" {given}"
    findings = refused_scenario(tmp_path, "liverpool-baseline", old, new)
    lines = (tmp_path / "liverpool-baseline.yaml").read_text().splitlines()
    line = lines.index("  assessment:") + 2  # the headcount below it, counting from 1
    assert [(f.line, f.code, f.message) for f in findings] == [
        (line, "invalid-value", f"teams.assessment.headcount: {words}")
    ]
    assert list(validator.iter_errors(yaml_as_json(tmp_path / "liverpool-baseline.yaml")))


def test_a_probability_in_quotes_is_refused_at_its_key(tmp_path: Path) -> None:
    findings = refused_scenario(
        tmp_path, "national-baseline", "    refer: 0.50", '    refer: "0.50"'
    )
    lines = (tmp_path / "national-baseline.yaml").read_text(encoding="utf-8").splitlines()
    assert [(f.line, f.message) for f in findings] == [
        (
            lines.index('    refer: "0.50"') + 1,
            "branches.contact.refer: '0.50' is text, not a number; write the number without "
            "quotes (0.50)",
        )
    ]


def test_a_misspelt_key_in_a_distribution_is_the_only_complaint(validator: Any) -> None:
    data = yaml_as_json(ROOT / "scenarios" / "national-baseline.yaml")
    data["stays"]["contact"] = {"dist": "lognormal", "median": 3, "p9": 5}
    messages = [e.message for e in validator.iter_errors(data)]
    # Not the complaints of the four distributions it is not.
    assert sorted(messages) == [
        "'p90' is a required property",
        "Additional properties are not allowed ('p9' was unexpected)",
    ]


def test_a_number_with_an_exponent_is_a_number_to_both(tmp_path: Path, validator: Any) -> None:
    # YAML 1.1 would read 9.5e1 as text; the editor (YAML 1.2) reads it as a number, and so do we.
    text = (ROOT / "scenarios" / "liverpool-baseline.yaml").read_text(encoding="utf-8")
    shipped = ROOT / "scenarios" / "national-baseline.yaml"
    (tmp_path / "national-baseline.yaml").write_text(shipped.read_text(encoding="utf-8"))
    path = tmp_path / "liverpool-baseline.yaml"
    old = _assessment_headcount()
    path.write_text(text.replace(old, old.rsplit(" ", 1)[0] + " 9.5e1"))
    scenario, _ = casejourney.load_scenario(str(path))
    assert scenario.teams["assessment"].headcount == 95
    assert not list(validator.iter_errors(yaml_as_json(path)))


@pytest.mark.parametrize(
    "profile",
    [
        "[1, 1, 1, 1, 1, 0.15, 0.1]",
        "[1, 1, 1, 1, 1, 0.15]",
        "[1, 1, 1, 1, 1, 0.15, 0.1, 1]",
        "[1, 1, 1, 1, 1, 0.15, 11]",
        "[1, 1, 1, 1, 1, -0.15, 0.1]",
        "[1, 1, 1, busy, 1, 0.15, 0.1]",
    ],
)
def test_schema_and_loader_check_the_weekday_profile_day_by_day(
    tmp_path: Path, validator: Any, profile: str
) -> None:
    # A tuple of seven multipliers: draft-07 checks each day only with `items` as a list.
    text = (ROOT / "scenarios" / "national-baseline.yaml").read_text(encoding="utf-8")
    old = "weekday_profile: [1, 1, 1, 1, 1, 0.15, 0.1]"
    assert old in text
    path = tmp_path / "national-baseline.yaml"
    path.write_text(text.replace(old, f"weekday_profile: {profile}"), encoding="utf-8")
    try:
        casejourney.load_scenario(str(path))
        loader = True
    except casejourney.SpecError:
        loader = False
    assert (not list(validator.iter_errors(yaml_as_json(path)))) is loader
    assert loader is (profile == "[1, 1, 1, 1, 1, 0.15, 0.1]")
