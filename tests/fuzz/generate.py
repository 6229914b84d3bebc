"""Documents made from the formats' own keys, with values of every type, for Hypothesis and runs.

The keys come from the models (so the generated files reach deep into validation), misspelt now
and then; the values include NaN, infinities, huge and negative numbers, dates, durations, text
with control characters, lists and mappings nested to any depth.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, get_args, get_origin

import yaml
from hypothesis import strategies as st
from pydantic import BaseModel

from tests.fuzz.mutate import INTERESTING, UNICODE


def _keys_of(model: type[BaseModel], into: set[str]) -> set[str]:
    if model.__name__ in into:
        return into
    into.add(model.__name__)
    for name, info in model.model_fields.items():
        into.add(info.alias or name)
        stack: list[Any] = [info.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                _keys_of(annotation, into)
            elif get_origin(annotation) is not None:
                stack.extend(get_args(annotation))
    return into


def keys(kind: str) -> list[str]:
    """Every key the format knows at any level, and state and team names it uses."""
    from casejourney.spec.models import WorkflowFileSpec
    from casejourney.spec.scenario import ScenarioSpec

    model = WorkflowFileSpec if kind == "workflow" else ScenarioSpec
    found = {k for k in _keys_of(model, set()) if k[:1].islower()}
    found |= {"cp_plan", "referral", "front_door", "national", "national-baseline", "default"}
    found |= {"fixed", "lognormal", "deadline", "recurring", "weeks", "working_days"}
    return sorted(found)


_DURATIONS = ["15 working days", "1 day", "52 weeks", "3 months", "0 days", "1000000 months"]


def scalars() -> st.SearchStrategy[Any]:
    """Numbers, dates, durations and text a loader may meet."""
    return st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.dates(min_value=dt.date(1, 1, 1)),
        st.sampled_from(_DURATIONS + INTERESTING),
        st.text(
            alphabet=st.characters(codec="utf-8")
            | st.sampled_from([c for c in UNICODE if len(c) == 1]),
            max_size=30,
        ),
    )


def documents(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """Mappings shaped like a ``kind`` file: its keys, any values, nested."""
    names = keys(kind)
    key = st.sampled_from(names) | st.text(min_size=1, max_size=12)
    values = st.recursive(
        scalars(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=5),
        max_leaves=40,
    )
    base: dict[str, Any] = (
        {"id": "national", "title": "t"}
        if kind == "workflow"
        else {"id": "fuzzed", "title": "t", "authority": "national", "extends": "national-baseline"}
    )
    return st.dictionaries(key, values, max_size=8).map(lambda d: {**base, **d})


def document(rng: random.Random, kind: str, depth: int = 0) -> dict[str, Any]:
    """A document like :func:`documents` makes, from a ``random.Random`` (for long runs)."""
    names = keys(kind)

    def value(level: int) -> Any:
        roll = rng.random()
        if level < 6 and roll < 0.2:
            return [value(level + 1) for _ in range(rng.randrange(4))]
        if level < 6 and roll < 0.45:
            return {rng.choice(names): value(level + 1) for _ in range(rng.randrange(5))}
        return rng.choice(
            [
                rng.randint(-(10**6), 10**9),
                rng.choice([float("nan"), float("inf"), -1.5, 0.0, 1e308, 0.226]),
                rng.choice(_DURATIONS + INTERESTING),
                dt.date(rng.randrange(1, 9999), rng.randrange(1, 13), rng.randrange(1, 29)),
                rng.choice(UNICODE) + rng.choice(names),
                None,
                rng.random() < 0.5,
            ]
        )

    data = {rng.choice(names): value(depth + 1) for _ in range(rng.randrange(1, 9))}
    base: dict[str, Any] = (
        {"id": "national", "title": "t"}
        if kind == "workflow"
        else {"id": "fuzzed", "title": "t", "authority": "national", "extends": "national-baseline"}
    )
    return {**base, **data}


def dump(data: dict[str, Any]) -> bytes:
    """A document as YAML bytes (control characters escaped, as YAML requires)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
