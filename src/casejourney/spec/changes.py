"""A planner's what-ifs on the command line: ``--set PATH=VALUE``, absolute or relative.

Consumes a validated ``ScenarioSpec`` and changes such as ``teams.child_protection.headcount=25``,
``teams.child_protection.headcount=-10%``, ``teams.*.headcount=-10%`` or ``demand.scale=1.2``;
produces the changed scenario, validated again exactly as a scenario file is, so a change can never
make a scenario that a file could not. Nothing is evaluated: a value is read as YAML, safely.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from casejourney.errors import CasejourneyError
from casejourney.spec.scenario import ScenarioSpec

__all__ = [
    "Change",
    "ChangeError",
    "apply_changes",
    "change_at",
    "changed_title",
    "parse_change",
]

#: ``+20%``, ``-10%``, ``+2.5%``: a relative change, in per cent of the value in the scenario.
_PERCENT = re.compile(r"^\s*([+-]\s*\d+(?:\.\d+)?|\d+(?:\.\d+)?)\s*%\s*$")

#: The numbers in a distribution that a relative change scales (not its unit or its kind).
_DIST_NUMBERS = ("value", "low", "mode", "high", "median", "p90", "mean")

#: ``demand.scale=F`` multiplies the weekly arrival rate, whichever of the two the scenario gives.
_DEMAND_RATES = ("contacts_per_week", "referrals_per_week")


class ChangeError(CasejourneyError):
    """A ``--set`` (or ``--vary``) change cannot be read or does not fit the scenario."""


@dataclass(frozen=True)
class Change:
    """One change: a dotted path (``*`` for every key at a level) and what to do there.

    ``factor`` is set for a relative change (``-10%`` is 0.9; ``demand.scale=1.2`` is 1.2) and
    ``value`` for an absolute one.
    """

    path: str
    value: Any = None
    factor: float | None = None
    text: str = ""

    @property
    def relative(self) -> bool:
        """Whether the change multiplies what the scenario has rather than replacing it."""
        return self.factor is not None


def parse_change(text: str, option: str = "--set") -> Change:
    """``PATH=VALUE`` as a :class:`Change`.

    VALUE is a number, a word or a duration (``8 weeks``), read as YAML; ``+20%`` or ``-10%`` is a
    relative change; ``demand.scale=1.2`` multiplies demand by 1.2.

    Raises:
        ChangeError: the text is not ``PATH=VALUE``.

    """
    path, sep, raw = text.partition("=")
    path, raw = path.strip(), raw.strip()
    if not sep or not path or not raw:
        raise ChangeError(
            f"{option} {text!r}: write PATH=VALUE, e.g. teams.child_protection.headcount=25, "
            "teams.child_protection.headcount=-10% or demand.scale=1.2"
        )
    return change_at(path, raw, option)


def change_at(path: str, raw: Any, option: str = "--set") -> Change:
    """The change setting ``path`` to ``raw`` (a number, or text such as ``-10%``)."""
    text = f"{path}={raw}"
    if any(not part for part in path.split(".")):
        raise ChangeError(f"{option} {text!r}: the path has an empty part; write a.b.c")
    if isinstance(raw, str):
        percent = _PERCENT.match(raw)
        if percent is not None:
            factor = 1 + float(percent.group(1).replace(" ", "")) / 100
            if factor < 0:
                raise ChangeError(
                    f"{option} {text}: a fall of more than 100% leaves less than none"
                )
            return Change(path, factor=factor, text=text)
        value: Any = _read_value(raw)
    else:
        value = raw
    if path == "demand.scale":
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ChangeError(
                f"{option} {text}: demand.scale is a multiplier above 0 (1.2 = 20% more demand)"
            )
        return Change(path, factor=float(value), text=text)
    return Change(path, value=value, text=text)


def _read_value(raw: str) -> Any:
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    if isinstance(value, dict | list) or (value is None and raw not in {"null", "~"}):
        return raw
    return value


def apply_changes(
    scenario: ScenarioSpec,
    changes: Sequence[Change],
    option: str = "--set",
    *,
    retitle: bool = False,
) -> ScenarioSpec:
    """The scenario with every change made, validated again like a scenario file.

    With ``retitle``, the title says what changed (unless a change sets the title itself).

    Raises:
        ChangeError: a path names nothing in the scenario (with the nearest names), a relative
            change meets something that is not a number, or a value is not allowed there.

    """
    if not changes:
        return scenario
    data = scenario.model_dump(mode="json", by_alias=True)
    added: list[tuple[Change, list[str]]] = []
    for change in changes:
        if change.path == "demand.scale":
            assert change.factor is not None
            demand = data["demand"]
            for rate in _DEMAND_RATES:
                if demand.get(rate) is not None:
                    demand[rate] = _times(demand[rate], change.factor)
            continue
        added += [(change, where) for where in _apply(data, change, option)]
    if retitle and not any(c.path == "title" for c in changes):
        data["title"] = changed_title(scenario, changes)
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise ChangeError(_explain(exc, changes, added, option)) from None


def _apply(data: dict[str, Any], change: Change, option: str) -> list[list[str]]:
    """Make one change in the scenario's data; the paths of keys it added."""
    *parents, leaf = change.path.split(".")
    nodes: list[tuple[list[str], Any]] = [([], data)]
    for name in parents:
        step: list[tuple[list[str], Any]] = []
        for where, node in nodes:
            if not isinstance(node, dict):
                raise ChangeError(f"{option} {change.text}: {'.'.join(where)} is a single value")
            if name == "*":
                step += [([*where, key], value) for key, value in node.items()]
            elif name in node:
                step.append(([*where, name], node[name]))
            else:
                raise ChangeError(_unknown(change, option, where, name, node))
        nodes = step
    if not nodes:
        raise ChangeError(f"{option} {change.text}: '*' matched nothing in this scenario")
    added: list[list[str]] = []
    for where, node in nodes:
        if not isinstance(node, dict):
            raise ChangeError(f"{option} {change.text}: {'.'.join(where)} is a single value")
        keys = list(node) if leaf == "*" else [leaf]
        for key in keys:
            if key not in node:
                if change.relative:
                    raise ChangeError(_unknown(change, option, where, key, node))
                added.append([*where, key])
            node[key] = _changed(node.get(key), change, option, [*where, key])
    return added


def _changed(current: Any, change: Change, option: str, where: list[str]) -> Any:
    if change.factor is None:
        return change.value
    factor = change.factor
    name = ".".join(where)
    if isinstance(current, bool) or current is None:
        raise ChangeError(
            f"{option} {change.text}: {name} is {_shown(current)} in this scenario, not a number; "
            "give a value instead of a percentage"
        )
    if isinstance(current, int):
        return round(current * factor)
    if isinstance(current, float):
        return _times(current, factor)
    if isinstance(current, dict) and "dist" in current:
        return {
            k: (_times(v, factor) if k in _DIST_NUMBERS and isinstance(v, int | float) else v)
            for k, v in current.items()
        }
    if isinstance(current, dict) and set(current) == {"value", "unit"}:
        return {**current, "value": max(1, round(current["value"] * factor))}
    if isinstance(current, dict):
        raise ChangeError(
            f"{option} {change.text}: {name} is a group of settings; name one of them "
            f"({', '.join(map(str, current))})"
        )
    raise ChangeError(f"{option} {change.text}: {name} is {_shown(current)}, not a number")


def _times(value: float, factor: float) -> float:
    """``value × factor`` without binary noise in the resolved scenario (3.6, not 3.5999…)."""
    return round(value * factor, 9)


def _shown(value: Any) -> str:
    return "empty" if value is None else repr(value)


def _unknown(change: Change, option: str, where: list[str], name: str, node: dict[str, Any]) -> str:
    place = ".".join(where) or "the scenario"
    keys = [str(k) for k in node]
    near = difflib.get_close_matches(name, keys, n=1)
    hint = f"did you mean {'.'.join([*where, near[0]])}?" if near else f"it has: {', '.join(keys)}"
    if not keys:
        hint = "it is empty in this scenario"
    return f"{option} {change.text}: no '{name}' in {place}; {hint}"


def _explain(
    exc: ValidationError,
    changes: Sequence[Change],
    added: Sequence[tuple[Change, list[str]]],
    option: str,
) -> str:
    """The validation errors, each said against the change that caused it."""
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        culprit = next(
            (c for c in reversed(changes) if _matches(c.path, loc)),
            None,
        )
        if error["type"] == "extra_forbidden":
            new = next((c for c, where in added if where == loc[: len(where)]), culprit)
            key = loc[-1]
            parent = ScenarioSpec.model_json_schema()
            known = _known_keys(parent, loc[:-1])
            near = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {'.'.join([*loc[:-1], near[0]])}?" if near else ""
            text = new.text if new is not None else ".".join(loc)
            lines.append(f"{option} {text}: '{key}' is not a setting there{hint}")
            continue
        message = error["msg"]
        name = ".".join(part for part in loc if not part.startswith(("function-", "tagged-")))
        text = culprit.text if culprit is not None else ", ".join(c.text for c in changes)
        lines.append(f"{option} {text}: {name}: {message}")
    return "\n".join(dict.fromkeys(lines))


def _matches(path: str, loc: Sequence[str]) -> bool:
    parts = path.split(".")
    if path == "demand.scale":
        return bool(loc) and loc[0] == "demand"
    return all(p in {"*", q} for p, q in zip(parts, loc, strict=False)) and len(loc) >= len(parts)


def _known_keys(schema: dict[str, Any], loc: Sequence[str]) -> list[str]:
    """The settings the JSON Schema allows at ``loc`` (for a did-you-mean)."""
    defs = schema.get("$defs", {})
    node: dict[str, Any] = schema
    for part in loc:
        node = _deref(node, defs)
        if "properties" in node and part in node["properties"]:
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        elif isinstance(node.get("patternProperties"), dict) and node["patternProperties"]:
            node = next(iter(node["patternProperties"].values()))
        else:
            return []
    node = _deref(node, defs)
    return list(node.get("properties", {}))


def _deref(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    for _ in range(10):
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            found = [n for n in node["anyOf"] if n.get("type") != "null"]
            if len(found) != 1:
                return node
            node = found[0]
        else:
            return node
    return node


def changed_title(scenario: ScenarioSpec, changes: Sequence[Change]) -> str:
    """The scenario's title with its changes, so tables and reports tell the runs apart."""
    if not changes:
        return scenario.title
    return f"{scenario.title}, with " + ", ".join(_said(c) for c in changes)


def _said(change: Change) -> str:
    if change.path == "demand.scale" and change.factor is not None:
        return f"demand ×{change.factor:g}"
    if change.factor is not None:
        percent = (change.factor - 1) * 100
        return f"{change.path} {'+' if percent >= 0 else '−'}{abs(percent):g}%"
    return f"{change.path} = {change.value}"
