"""JSON Schemas for workflow and scenario files, generated from the models.

Editors use them to check a file as it is typed. They are written in JSON Schema draft-07, the
draft Red Hat's YAML language server (VS Code's YAML extension, and the editors built on the same
server) implements; pydantic writes draft 2020-12, so its output is rewritten (:func:`_draft_07`).
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


#: The draft both schemas declare (and are written in).
DRAFT_07 = "http://json-schema.org/draft-07/schema#"

#: Keywords of drafts 2019-09 and 2020-12 with no draft-07 rewrite here: a draft-07 validator
#: ignores them, so a model that makes pydantic write one fails the generator rather than leaving
#: a check editors silently skip.
_NEWER_KEYWORDS = frozenset(
    {
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
)

#: Keywords whose value maps names to schemas (a property may be called anything).
_NAMED_SCHEMAS = frozenset({"$defs", "definitions", "properties", "patternProperties"})

#: Keywords whose value is data, not a schema: left exactly as written.
_DATA = frozenset({"const", "default", "enum", "examples"})

#: Keywords that say what a value is for, and check nothing.
_ANNOTATIONS = frozenset(
    {
        "$comment",
        "default",
        "deprecated",
        "description",
        "examples",
        "readOnly",
        "title",
        "writeOnly",
    }
)


def _schema(model: type[BaseModel], title: str, ident: str) -> dict[str, object]:
    raw = _tell_kinds_apart(model.model_json_schema(by_alias=True, mode="validation"))
    schema: dict[str, object] = {**_draft_07(raw), "$id": ident}
    schema["$schema"] = DRAFT_07
    schema["title"] = title
    return schema


def _draft_07(node: Any) -> Any:
    """A draft 2020-12 schema from pydantic, as the same checks in draft-07.

    - ``$defs`` becomes ``definitions``, and every ``$ref`` follows it;
    - a tuple's ``prefixItems`` becomes ``items`` as a list, with ``additionalItems`` (false when
      nothing may follow; pydantic states the length with ``minItems``/``maxItems`` as well);
    - a ``$ref`` beside a check goes into an ``allOf``, as draft-07 ignores every keyword beside a
      ``$ref``. A ``$ref`` beside only a description or a default stays as it is: no check is
      lost, and the YAML language server shows that description on hover (the field's own words,
      "local closure days on top of bank holidays"), where through an ``allOf`` it shows the
      referenced model's.
    """
    if isinstance(node, list):
        return [_draft_07(item) for item in node]
    if not isinstance(node, dict):
        return node
    newer = _NEWER_KEYWORDS & node.keys()
    if newer:
        names = ", ".join(sorted(newer))
        raise ValueError(
            f"the models give JSON Schema keywords draft-07 does not have ({names}): rewrite them"
            " in casejourney.spec.schema._draft_07, or change the model"
        )
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DATA:
            out[key] = value
        elif key in _NAMED_SCHEMAS:
            out["definitions" if key == "$defs" else key] = {
                name: _draft_07(item) for name, item in value.items()
            }
        elif key == "$ref":
            out[key] = value.replace("#/$defs/", "#/definitions/", 1)
        elif key == "prefixItems":
            out["items"] = _draft_07(value)
            out["additionalItems"] = _draft_07(node.get("items", False))
        elif key == "items" and "prefixItems" in node:
            continue  # what may follow the tuple: additionalItems above
        else:
            out[key] = _draft_07(value)
    if "$ref" in out and not out.keys() <= _ANNOTATIONS | {"$ref"}:
        out["allOf"] = [{"$ref": out.pop("$ref")}, *out.get("allOf", [])]
    return out


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
    definitions = schema.get("definitions", {})
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
