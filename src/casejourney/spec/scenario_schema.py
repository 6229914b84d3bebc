"""JSON Schema for scenario files, generated from the models so editors validate as you type.

Run ``python -m casejourney.spec.scenario_schema`` (or ``make schema``) to rewrite
``scenarios/scenario.schema.json``; a test fails when the committed copy drifts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from casejourney.spec.scenario import ScenarioSpec


def scenario_schema() -> dict[str, object]:
    """The JSON Schema of a scenario file."""
    schema = ScenarioSpec.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "casejourney scenario file"
    # A scenario that extends another gives only what it changes (nested mappings are merged
    # key by key), so only its id and title are always required; a distribution is given whole.
    schema["required"] = ["id", "title"]
    definitions = schema.get("$defs", {})
    assert isinstance(definitions, dict)
    for name, definition in definitions.items():
        if not name.endswith("Dist"):
            definition.pop("required", None)
    return schema


def schema_text() -> str:
    """The schema as the text committed to the repository."""
    return json.dumps(scenario_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema next to the scenarios (or to the folder given)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("scenarios")
    target = folder / "scenario.schema.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(schema_text(), encoding="utf-8")
    tmp.replace(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
