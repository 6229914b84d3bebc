"""YAML data → ``WorkflowFileSpec``, turning pydantic's errors into findings a person can act on."""

from __future__ import annotations

import collections.abc
import difflib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from casejourney.errors import DurationError
from casejourney.spec.findings import Finding, Level, display_path
from casejourney.spec.models import STANDARD_KINDS, NotANumber, WorkflowFileSpec
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
        kind in {"greater_than", "greater_than_equal", "enum"}
        and path
        and path[-1] in {"value", "unit"}
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
    return Finding(shown, line, Level.ERROR, "invalid-value", f"{where}: {_explain(error, ctx)}")


def _explain(error: Any, ctx: dict[str, Any]) -> str:
    """Pydantic's message in a planner's words, with what to write instead."""
    kind, got = error["type"], error.get("input")
    if isinstance(got, NotANumber):
        return got.message
    if kind == "finite_number":
        return f"{got!r} is not a finite number (.nan and .inf are not allowed); write a number"
    if kind in {"less_than_equal", "less_than"}:
        most = ctx.get("le", ctx.get("lt"))
        word = "at most" if kind == "less_than_equal" else "below"
        return f"{_number(got)} is too large; it must be {word} {_number(most)}"
    if kind in {"greater_than_equal", "greater_than"}:
        least = ctx.get("ge", ctx.get("gt"))
        word = "at least" if kind == "greater_than_equal" else "above"
        return f"{_number(got)} is too small; it must be {word} {_number(least)}"
    if kind.startswith("date_") and isinstance(got, str):
        return f"{got!r} is not a date in the calendar; write YYYY-MM-DD, e.g. 2026-04-06"
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.6g}"
    return f"{int(value):,}"


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


def _flatten(annotation: Any) -> list[Any]:
    """The alternatives of an annotation, through ``Annotated``, unions and ``| None``."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten(get_args(annotation)[0])
    if origin in {typing.Union, types.UnionType}:
        return [a for arg in get_args(annotation) for a in _flatten(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _inside(annotation: Any, part: str | int) -> list[Any]:
    """What the value at ``part`` within a value of type ``annotation`` may be."""
    if _is_model(annotation):
        fields = annotation.model_fields.items()
        return [f.annotation for name, f in fields if (f.alias or name) == part]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in {dict, Mapping, collections.abc.Mapping} and len(args) == 2:
        return [args[1]]  # any key: a team's name, a state's id
    if origin in {list, tuple, collections.abc.Sequence} and args and isinstance(part, int):
        if origin is tuple and (len(args) != 2 or args[1] is not Ellipsis):
            return [args[part]] if part < len(args) else []
        return [args[0]]
    return []


def _allowed_keys(root: type[BaseModel], data: Any, path: KeyPath) -> list[str]:
    """The keys allowed in the mapping at ``path``: its own model's, at any depth.

    Follows the models' annotations (fields, mappings of teams or states, lists) rather than the
    data alone, so a misspelt key inside ``teams.front_door`` is matched against a team's keys.
    """
    candidates: list[Any] = [root]
    node = data
    for part in path:
        candidates = [inner for c in candidates for a in _flatten(c) for inner in _inside(a, part)]
        node = node[part]
    models = [m for c in candidates for m in _flatten(c) if _is_model(m)]
    if not models:
        return []
    model = _pick(models, node)
    return [f.alias or name for name, f in model.model_fields.items()]


def _pick(candidates: list[type[BaseModel]], node: Any) -> type[BaseModel]:
    """The alternative a tagged mapping names (``kind: deadline``, ``dist: lognormal``)."""
    if len(candidates) > 1 and isinstance(node, dict):
        kind = STANDARD_KINDS.get(str(node.get("kind")))
        if kind is not None and kind in candidates:
            return kind
        for model in candidates:
            for name, field in model.model_fields.items():
                tag = get_args(field.annotation) if get_origin(field.annotation) is Literal else ()
                if len(tag) == 1 and node.get(field.alias or name) == tag[0]:
                    return model
    return candidates[0]
