"""JSON Schema for workflow files, generated from the models so editors validate as you type.

Run ``python -m casejourney.spec.schema`` (or ``make schema``) to rewrite
``workflows/workflow.schema.json``; a test fails when the committed copy drifts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from casejourney.spec.models import WorkflowFileSpec


def workflow_schema() -> dict[str, object]:
    """The JSON Schema of a workflow file."""
    schema = WorkflowFileSpec.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "casejourney workflow file"
    return schema


def schema_text() -> str:
    """The schema as the text committed to the repository."""
    return json.dumps(workflow_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema next to the workflows (or to the folder given)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("workflows")
    target = folder / "workflow.schema.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(schema_text(), encoding="utf-8")
    tmp.replace(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
