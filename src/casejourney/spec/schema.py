"""JSON Schemas for workflow and scenario files, generated from the models.

Editors use them to check a file as it is typed.
Run ``python -m casejourney.spec.schema`` (or ``make schema``) to rewrite
``workflows/workflow.schema.json`` and ``scenarios/scenario.schema.json``; tests fail when a
committed copy drifts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from casejourney.spec.models import WorkflowFileSpec
from casejourney.spec.scenario import ScenarioSpec

#: Each schema's ``$id``: a name, not an address (nothing is fetched from it). Files point at the
#: schema beside them with a ``# yaml-language-server: $schema=...`` line (docs/workflow-format.md,
#: "Checking as you type"; tests/test_schema.py checks every shipped file has one).
WORKFLOW_ID = "urn:casejourney:schema:workflow"
SCENARIO_ID = "urn:casejourney:schema:scenario"


def _schema(model: type[BaseModel], title: str, ident: str) -> dict[str, object]:
    schema: dict[str, object] = {
        **_tell_kinds_apart(model.model_json_schema(by_alias=True, mode="validation")),
        "$id": ident,
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


def _tell_kinds_apart(node: Any) -> Any:
    """Each tagged union (``kind:`` of a standard, ``dist:`` of a distribution) as if/then.

    Pydantic writes ``oneOf`` with OpenAPI's ``discriminator``, which JSON Schema validators
    ignore: they try every kind, so one misspelt key in a deadline reads "'while', 'within' were
    unexpected" (the other kinds' complaints). With if/then, only the kind the object names is
    checked, and a misspelt kind is "not one of" the kinds.
    """
    if isinstance(node, list):
        return [_tell_kinds_apart(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _tell_kinds_apart(value) for key, value in node.items()}
    tag = node.get("discriminator")
    if not (isinstance(tag, dict) and "oneOf" in node):
        return node
    field, mapping = tag["propertyName"], tag["mapping"]
    rest = {k: v for k, v in node.items() if k not in {"discriminator", "oneOf"}}
    return {
        **rest,
        "type": "object",
        "required": [field],
        "properties": {
            field: {
                "enum": list(mapping),
                "description": f"which kind: {', '.join(mapping)}; the other keys depend on it",
            }
        },
        "allOf": [
            {
                "if": {"properties": {field: {"const": kind}}, "required": [field]},
                "then": {"$ref": ref},
            }
            for kind, ref in mapping.items()
        ],
    }


def workflow_schema() -> dict[str, object]:
    """The JSON Schema of a workflow file."""
    return _schema(WorkflowFileSpec, "casejourney workflow file", WORKFLOW_ID)


def scenario_schema() -> dict[str, object]:
    """The JSON Schema of a scenario file."""
    schema = _schema(ScenarioSpec, "casejourney scenario file", SCENARIO_ID)
    # A scenario that extends another gives only what it changes (nested mappings are merged
    # key by key), so only its id and title are always required; a distribution is given whole.
    schema["required"] = ["id", "title"]
    definitions = schema.get("$defs", {})
    assert isinstance(definitions, dict)
    for name, definition in definitions.items():
        if not name.endswith("Dist"):
            definition.pop("required", None)
    return schema


def _text(schema: dict[str, object]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_text() -> str:
    """The workflow schema as the text committed to the repository."""
    return _text(workflow_schema())


def scenario_schema_text() -> str:
    """The scenario schema as the text committed to the repository."""
    return _text(scenario_schema())


def _write(target: Path, text: str) -> None:
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    print(f"wrote {target}")


def main(argv: list[str] | None = None) -> int:
    """Write both schemas (into ./workflows and ./scenarios, or below the folder given)."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path()
    _write(root / "workflows" / "workflow.schema.json", schema_text())
    _write(root / "scenarios" / "scenario.schema.json", scenario_schema_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
