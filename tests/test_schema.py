"""The JSON Schema editors use: committed copy up to date, and it accepts every shipped workflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casejourney.spec.schema import schema_text
from tests.conftest import INVALID, WORKFLOWS, schema_validator, yaml_as_json

SCHEMA_FILE = WORKFLOWS / "workflow.schema.json"
SHIPPED = sorted(WORKFLOWS.glob("*.yaml"))


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "workflows/workflow.schema.json is out of date with the models: run `make schema`"
    )


@pytest.fixture(scope="module")
def validator() -> Any:
    return schema_validator(SCHEMA_FILE)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_workflow_validates_against_the_schema(path: Path, validator: Any) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(yaml_as_json(path))
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
    assert list(validator.iter_errors(yaml_as_json(INVALID / name)))
