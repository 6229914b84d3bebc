"""The scenario JSON Schema: committed copy up to date, and every shipped scenario validates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from casejourney.spec.schema import scenario_schema_text as schema_text
from casejourney.spec.yamlsafe import read_yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "scenarios" / "scenario.schema.json"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_committed_scenario_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "scenarios/scenario.schema.json is out of date with the models: run `make schema`"
    )


def as_json_data(path: Path) -> Any:
    doc, findings = read_yaml(path)
    assert doc is not None, findings

    def plain(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(doc.data)


@pytest.fixture(scope="module")
def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenario_validates_against_the_schema(path: Path, validator: Any) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(as_json_data(path))
    ]
    assert errors == []


def test_schema_underlines_a_misspelt_key(validator: Any) -> None:
    data = as_json_data(ROOT / "scenarios" / "national-baseline.yaml")
    data["teams"]["front_door"]["headcont"] = 3
    assert list(validator.iter_errors(data))
