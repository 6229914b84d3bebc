"""The scenario JSON Schema: committed copy up to date, and every shipped scenario validates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casejourney.spec.schema import scenario_schema_text as schema_text
from tests.conftest import schema_validator, yaml_as_json

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
