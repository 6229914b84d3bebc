"""The JSON Schema editors use: committed copy up to date, and it accepts every shipped workflow."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from casejourney.spec.schema import schema_text
from casejourney.spec.yamlsafe import read_yaml
from tests.conftest import INVALID, WORKFLOWS

SCHEMA_FILE = WORKFLOWS / "workflow.schema.json"
SHIPPED = sorted(WORKFLOWS.glob("*.yaml"))


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "workflows/workflow.schema.json is out of date with the models: run `make schema`"
    )


def as_json_data(path: Path) -> Any:
    """The file as an editor's YAML extension sees it: dates are strings."""
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
def test_shipped_workflow_validates_against_the_schema(path: Path, validator: Any) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(as_json_data(path))
    ]
    assert errors == []


@pytest.mark.parametrize(
    "name",
    [
        "unknown-key.yaml",
        "misspelt-within.yaml",
        "unknown-unit.yaml",
        "negative-duration.yaml",
        "zero-duration.yaml",
    ],
)
def test_schema_underlines_mistakes_as_you_type(name: str, validator: Any) -> None:
    assert list(validator.iter_errors(as_json_data(INVALID / name)))
