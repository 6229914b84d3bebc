"""The YAML reader keeps its guarantees whether its events come from libyaml (C) or pure Python.

``read_yaml`` reads events with libyaml's C parser when PyYAML has it (six to seven times faster);
the composer that keeps the alias, depth and size budget, the YAML 1.2 resolver and the safe
constructor are the same Python code either way. These tests run every guarantee under both, and
compare the two on every shipped file and every input that ever crashed the loaders.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casejourney.spec import yamlsafe
from casejourney.spec.yamlsafe import read_yaml
from tests.conftest import ROOT

HAS_LIBYAML = yamlsafe._CParser is not None


@pytest.fixture(params=["libyaml", "python"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with libyaml's events, then with pure Python's."""
    if request.param == "libyaml" and not HAS_LIBYAML:
        pytest.skip("this PyYAML has no libyaml")
    monkeypatch.setattr(yamlsafe, "USE_LIBYAML", request.param == "libyaml")
    return str(request.param)


def _read(tmp_path: Path, text: str) -> tuple[Any, dict[Any, int] | None, list[tuple[str, int]]]:
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    doc, findings = read_yaml(path)
    return (
        doc.data if doc else None,
        doc.lines if doc else None,
        [(f.code, f.line) for f in findings],
    )


def test_libyaml_is_used_when_pyyaml_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    if not HAS_LIBYAML:
        pytest.skip("this PyYAML has no libyaml")
    monkeypatch.setattr(yamlsafe, "USE_LIBYAML", True)
    assert isinstance(yamlsafe._new_loader("a: 1\n"), yamlsafe._FastLoader)
    monkeypatch.setattr(yamlsafe, "USE_LIBYAML", False)
    assert not isinstance(yamlsafe._new_loader("a: 1\n"), yamlsafe._FastLoader)


def test_only_true_and_false_are_booleans_and_1e3_is_a_number(tmp_path: Path, reader: str) -> None:
    data, _, findings = _read(tmp_path, "a: no\nb: yes\nc: off\nd: true\ne: False\nf: 1e3\n")
    assert findings == []
    assert data == {"a": "no", "b": "yes", "c": "off", "d": True, "e": False, "f": 1000.0}


def test_every_key_has_its_line(tmp_path: Path, reader: str) -> None:
    text = "id: w\n\n# a comment\nstates:\n  - id: a\n    label: A\n  - {id: b, label: B}\n"
    _, lines, findings = _read(tmp_path, text)
    assert findings == [] and lines is not None
    assert lines[("id",)] == 1 and lines[("states",)] == 4
    assert lines[("states", 0, "label")] == 6 and lines[("states", 1, "label")] == 7


def test_a_repeated_key_keeps_the_last_value_and_its_line(tmp_path: Path, reader: str) -> None:
    data, lines, findings = _read(tmp_path, "id: w\ntitle: one\ntitle: two\n")
    assert findings == [] and lines is not None
    assert data == {"id": "w", "title": "two"} and lines[("title",)] == 3


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        pytest.param(
            "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(
                f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            ),
            "yaml-alias-bomb",
            6,  # the second alias of line 6 passes 100,000 values
            id="billion laughs",
        ),
        pytest.param(
            "a: &a 1\n" + "".join(f"k{i}: *a\n" for i in range(101)),
            "yaml-alias-bomb",
            102,
            id="more than 100 aliases",
        ),
        pytest.param("a: &a [1, *a]\n", "yaml-alias-bomb", 1, id="an alias inside itself"),
        pytest.param(
            "".join("  " * i + f"k{i}:\n" for i in range(120)), "too-large", 100, id="deep blocks"
        ),
        pytest.param(
            "a: 1\nb: " + "[" * 100 + "\n" + "[" * 5000 + "]" * 5100 + "\n",
            "too-large",
            {"libyaml": 2, "python": 3},  # the 101st level counting the mapping, or bracket
            id="deep brackets",
        ),
        pytest.param(
            "x:\n" + "".join(f"  - {i}\n" for i in range(25_000)),
            "too-large",
            19_999,  # 20,001 values: the mapping, its key, its list and 19,998 items
            id="too many values",
        ),
        pytest.param("a: !!python/object/apply:os.system ['true']\n", "yaml-unsafe", 1, id="tag"),
        pytest.param("a: !!int 1e3\n", "yaml-syntax", 1, id="a tag on a value it cannot hold"),
        pytest.param("a: [1, 2\nb: 3\n", "yaml-syntax", 2, id="an unclosed bracket"),
    ],
)
def test_the_budget_and_safety_hold(
    tmp_path: Path, reader: str, text: str, code: str, line: int | dict[str, int]
) -> None:
    data, _, findings = _read(tmp_path, text)
    assert data is None and findings == [(code, line[reader] if isinstance(line, dict) else line)]


def test_an_impossible_date_stays_text(tmp_path: Path, reader: str) -> None:
    data, _, findings = _read(tmp_path, "start: 2026-02-30\nend: 2026-03-01\n")
    assert findings == [] and data["start"] == "2026-02-30" and str(data["end"]) == "2026-03-01"


def _inputs() -> Iterator[Path]:
    yield from sorted((ROOT / "workflows").glob("*.yaml"))
    yield from sorted((ROOT / "scenarios").glob("*.yaml"))
    yield from sorted((ROOT / "tests" / "fuzz" / "corpus").rglob("*.yaml"))


def _same(a: Any, b: Any) -> bool:
    """Equal, counting NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@pytest.mark.skipif(not HAS_LIBYAML, reason="this PyYAML has no libyaml")
def test_both_readers_agree_on_every_shipped_file_and_every_input_that_once_crashed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = list(_inputs())
    assert len(files) > 40
    for path in files:
        results = []
        for fast in (True, False):
            monkeypatch.setattr(yamlsafe, "USE_LIBYAML", fast)
            results.append(read_yaml(path))
        (fast_doc, fast_findings), (pure_doc, pure_findings) = results
        shown = path.relative_to(ROOT)
        assert [(f.code, f.line) for f in fast_findings] == [
            (f.code, f.line) for f in pure_findings
        ], shown
        assert (fast_doc is None) == (pure_doc is None), shown
        if fast_doc is not None and pure_doc is not None:
            assert _same(fast_doc.data, pure_doc.data), shown
            assert fast_doc.lines == pure_doc.lines, shown
