"""YAML data → ``WorkflowFileSpec``, turning pydantic's errors into findings a person can act on."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from casejourney.errors import DurationError
from casejourney.spec.findings import Finding, Level, display_path
from casejourney.spec.models import STANDARD_KINDS, WorkflowFileSpec
from casejourney.spec.yamlsafe import KeyPath, YamlDocument, read_yaml


def read_workflow_file(
    path: Path,
) -> tuple[WorkflowFileSpec | None, YamlDocument | None, list[Finding]]:
    """Read and validate one workflow file, reporting every problem in it at once."""
    doc, findings = read_yaml(path)
    if doc is None:
        return None, None, findings
    spec, problems = validate_document(doc, WorkflowFileSpec)
    return spec, doc, problems


M = TypeVar("M", bound=BaseModel)


def validate_document(doc: YamlDocument, model: type[M]) -> tuple[M | None, list[Finding]]:
    """Validate ``doc.data`` against ``model``; on failure, one finding per problem."""
    shown = display_path(doc.path)
    if not isinstance(doc.data, dict):
        msg = f"the file must be a mapping of keys ({', '.join(list(model.model_fields)[:4])}, ...)"
        return None, [Finding(shown, 1, Level.ERROR, "invalid-value", msg)]
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        findings = [_finding(doc, model, error) for error in exc.errors()]
        return None, sorted(set(findings))


def _finding(doc: YamlDocument, model: type[BaseModel], error: Any) -> Finding:
    shown = display_path(doc.path)
    path = _data_path(doc.data, error["loc"])
    line = doc.line_of(path)
    where = _render_path(path)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = _allowed_keys(model, doc.data, path[:-1])
        near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{near[0]}'?" if near else f"known keys: {', '.join(sorted(allowed))}"
        return Finding(
            shown, line, Level.ERROR, "unknown-key", f"unknown key '{key}' at {where}; {hint}"
        )
    if isinstance(ctx.get("error"), DurationError) or (
        kind in {"greater_than", "enum"} and path and path[-1] in {"value", "unit"}
    ):
        message = str(ctx["error"]) if "error" in ctx else error["msg"]
        return Finding(shown, line, Level.ERROR, "bad-duration", f"{where}: {message}")
    if kind == "missing":
        # The missing key is not in the data, so ``path`` stops at its parent: name it.
        missing = error["loc"][-1] if error["loc"] else None
        if isinstance(missing, str):
            where = _render_path((*path, missing))
        return Finding(shown, line, Level.ERROR, "missing-key", f"{where} is required; add it")
    if kind == "union_tag_invalid":
        kinds = ", ".join(STANDARD_KINDS)
        return Finding(
            shown, line, Level.ERROR, "invalid-value", f"{where}: unknown kind; use one of {kinds}"
        )
    if kind == "string_pattern_mismatch":
        got = _value_at(doc.data, path)
        msg = f"{where}: {got!r} is not a valid id or event; use lowercase letters, digits, _ and -"
        return Finding(shown, line, Level.ERROR, "invalid-value", msg)
    return Finding(shown, line, Level.ERROR, "invalid-value", f"{where}: {error['msg']}")


def _data_path(data: Any, loc: tuple[Any, ...]) -> KeyPath:
    """Drop the parts of pydantic's ``loc`` that are not in the data (union tags, validator names)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif not isinstance(node, dict | list):
            break
    return tuple(path)


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _render_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the file"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if origin is typing.Annotated:
        return _models_in(get_args(annotation)[0])
    if origin in {tuple, list, typing.Union, types.UnionType}:
        return [m for arg in get_args(annotation) for m in _models_in(arg)]
    return []


def _allowed_keys(root: type[BaseModel], data: Any, path: KeyPath) -> list[str]:
    candidates: list[type[BaseModel]] = [root]
    node = data
    for part in path:
        node = node[part]
        if isinstance(part, int):
            continue
        model = _pick(candidates, None)
        field = next(
            (f for name, f in model.model_fields.items() if (f.alias or name) == part), None
        )
        if field is None:
            return []
        candidates = _models_in(field.annotation)
    model = _pick(candidates, node)
    return [f.alias or name for name, f in model.model_fields.items()] if candidates else []


def _pick(candidates: list[type[BaseModel]], node: Any) -> type[BaseModel]:
    if len(candidates) > 1 and isinstance(node, dict):
        kind = STANDARD_KINDS.get(str(node.get("kind")))
        if kind is not None:
            return kind
    return candidates[0]
