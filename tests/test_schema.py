"""The JSON Schema editors use: committed copy up to date, and it accepts every shipped workflow."""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from casejourney.spec.schema import SCENARIO_ID, WORKFLOW_ID, schema_text
from tests.conftest import INVALID, ROOT, WORKFLOWS, schema_validator, yaml_as_json

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


# --- what an editor shows: every key described, kinds told apart, files that name their schema ---

SCENARIO_SCHEMA = ROOT / "scenarios" / "scenario.schema.json"
SHIPPED_FILES = sorted(
    p for folder in (WORKFLOWS, ROOT / "scenarios") for p in folder.rglob("*.yaml")
)


def _undescribed(node: Any, path: str = "") -> list[str]:
    """Every property in a schema without a description (an ``if``'s condition is not a key)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            if not value.get("description"):
                found.append(f"{path}/{key}")
        for key, value in node.items():
            if key != "if":
                found += _undescribed(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _undescribed(value, f"{path}[{i}]")
    return found


@pytest.mark.parametrize(
    "schema_file", [SCHEMA_FILE, SCENARIO_SCHEMA], ids=["workflow", "scenario"]
)
def test_every_key_is_described(schema_file: Path) -> None:
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert _undescribed(schema) == []


def test_each_schema_names_itself() -> None:
    ids = {json.loads(f.read_text(encoding="utf-8"))["$id"] for f in (SCHEMA_FILE, SCENARIO_SCHEMA)}
    assert ids == {WORKFLOW_ID, SCENARIO_ID}


def _liverpool_with_deadline() -> tuple[dict[str, Any], dict[str, Any]]:
    data = yaml_as_json(WORKFLOWS / "liverpool.yaml")
    deadline = next(s for s in data["standards"] if s["kind"] == "deadline")
    return data, deadline


def test_a_misspelt_key_in_a_standard_is_the_only_complaint(validator: Any) -> None:
    data, deadline = _liverpool_with_deadline()
    deadline["whille"] = deadline.pop("while", ["referral"])
    messages = [e.message for e in validator.iter_errors(data)]
    # Not "'while', 'within' were unexpected" from the kinds it is not.
    assert messages == ["Additional properties are not allowed ('whille' was unexpected)"]


def test_a_misspelt_kind_lists_the_kinds(validator: Any) -> None:
    data, deadline = _liverpool_with_deadline()
    deadline["kind"] = "dedline"
    messages = [e.message for e in validator.iter_errors(data)]
    assert len(messages) == 1
    assert "'dedline' is not one of" in messages[0]
    assert all(
        kind in messages[0] for kind in ("deadline", "lead_time", "recurring", "max_duration")
    )


_MODELINE = re.compile(r"^#\s+yaml-language-server\s*:\s*\$schema=(\S+)\s*$", re.MULTILINE)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shipped_file_names_the_schema_of_its_kind(path: Path) -> None:
    from casejourney.api import _is_scenario

    lines = _MODELINE.findall(path.read_text(encoding="utf-8"))
    assert len(lines) == 1, "add `# yaml-language-server: $schema=<path to the schema>`"
    schema = (path.parent / lines[0]).resolve()
    assert schema == (SCENARIO_SCHEMA if _is_scenario(path) else SCHEMA_FILE)


def test_the_documented_vs_code_setting_maps_every_shipped_file() -> None:
    page = (ROOT / "docs" / "workflow-format.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(\{\s*\"yaml\.schemas\".*?)```", page, re.DOTALL)
    assert block is not None, "docs/workflow-format.md shows the VS Code setting"
    mapping = json.loads(block.group(1))["yaml.schemas"]
    from casejourney.api import _is_scenario

    for path in SHIPPED_FILES:
        relative = path.relative_to(ROOT).as_posix()
        # A glob's * stays within one folder, as in VS Code.
        schemas = [
            (ROOT / schema).resolve()
            for schema, globs in mapping.items()
            if any(PurePosixPath(relative).match(glob) for glob in globs)
        ]
        assert schemas == [SCENARIO_SCHEMA if _is_scenario(path) else SCHEMA_FILE], relative


@pytest.mark.parametrize(
    "text",
    [
        "15 working days",
        "15 Working Days",
        "15 WORKING DAYS",
        "1 Calendar  Day",
        "15 working_days",
        " 5 days ",
        "24 hours",
        "15 working\tdays",
        "15 wd",
        "0 days",
        "1.5 weeks",
        "three days",
        "5 dayss",
    ],
)
def test_schema_and_loader_read_the_same_timescales(text: str, validator: Any) -> None:
    from casejourney.calendar import Duration
    from casejourney.errors import DurationError

    try:
        Duration.parse(text)
        loader = True
    except DurationError:
        loader = False
    data = yaml_as_json(WORKFLOWS / "national.yaml")
    deadline = next(s for s in data["standards"] if s["kind"] == "deadline")
    deadline["within"] = text
    assert (not list(validator.iter_errors(data))) is loader


# --- draft-07: what Red Hat's YAML language server (VS Code, and editors on the same server) reads ---

#: Keywords of drafts 2019-09 and 2020-12. A draft-07 validator skips them, so a check written
#: with one would never show in the editor.
_LATER_DRAFTS = {
    "$defs",
    "prefixItems",
    "$anchor",
    "$dynamicAnchor",
    "$dynamicRef",
    "$recursiveAnchor",
    "$recursiveRef",
    "$vocabulary",
    "contentSchema",
    "dependentRequired",
    "dependentSchemas",
    "maxContains",
    "minContains",
    "unevaluatedItems",
    "unevaluatedProperties",
}


def _schemas_in(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every subschema with its path (property names and data such as defaults are not keywords)."""
    if not isinstance(node, dict):
        return []
    found = [(path, node)]
    for key, value in node.items():
        if key in {"const", "default", "enum", "examples"}:
            continue
        if key in {"definitions", "$defs", "properties", "patternProperties"}:
            for name, item in value.items():
                found += _schemas_in(item, f"{path}/{key}/{name}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                found += _schemas_in(item, f"{path}/{key}[{i}]")
        else:
            found += _schemas_in(value, f"{path}/{key}")
    return found


@pytest.mark.parametrize(
    "schema_file", [SCHEMA_FILE, SCENARIO_SCHEMA], ids=["workflow", "scenario"]
)
def test_each_schema_is_draft_07_as_the_yaml_extension_reads_it(schema_file: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator
    jsonschema.Draft7Validator.check_schema(schema)
    nodes = _schemas_in(schema)
    assert [f"{path}: {key}" for path, node in nodes for key in node if key in _LATER_DRAFTS] == []
    # Draft-07 ignores every keyword beside a $ref: only words for the editor may stand there.
    words = {"$ref", "description", "title", "default", "examples"}
    assert [path for path, node in nodes if "$ref" in node and not node.keys() <= words] == []
    definitions = schema["definitions"]
    unresolved = [
        f"{path}: {node['$ref']}"
        for path, node in nodes
        if "$ref" in node
        and not (
            node["$ref"].startswith("#/definitions/")
            and node["$ref"].removeprefix("#/definitions/") in definitions
        )
    ]
    assert unresolved == []


def test_the_generator_writes_a_tuple_in_draft_07_and_refuses_what_it_cannot() -> None:
    from pydantic import BaseModel

    from casejourney.spec.schema import _draft_07

    jsonschema = pytest.importorskip("jsonschema")

    class Pair(BaseModel):
        pair: tuple[int, str]

    pair = jsonschema.Draft7Validator(_draft_07(Pair.model_json_schema()))
    assert pair.is_valid({"pair": [1, "a"]})
    assert not pair.is_valid({"pair": ["a", 1]})
    assert not pair.is_valid({"pair": [1, "a", "b"]})
    # 2020-12's items beside prefixItems is what may follow the tuple: draft-07's additionalItems
    rest = jsonschema.Draft7Validator(
        _draft_07(
            {"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "string"}}
        )
    )
    assert rest.is_valid([1, "a", "b"])
    assert not rest.is_valid([1, "a", 2])
    # a check beside a $ref, which draft-07 would ignore, goes into an allOf
    beside = jsonschema.Draft7Validator(
        _draft_07(
            {
                "$defs": {"Day": {"type": "integer"}},
                "properties": {"day": {"$ref": "#/$defs/Day", "maximum": 7}},
            }
        )
    )
    assert beside.is_valid({"day": 7})
    assert not beside.is_valid({"day": 8})
    assert not beside.is_valid({"day": "Monday"})
    with pytest.raises(ValueError, match="unevaluatedProperties"):
        _draft_07({"type": "object", "unevaluatedProperties": False})
