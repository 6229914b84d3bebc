"""The YAML reader keeps its guarantees whether its events come from libyaml (C) or pure Python.

``read_yaml`` reads events with libyaml's C parser when PyYAML has it (six to seven times faster);
the composer that keeps the alias, depth and size budget, the YAML 1.2 resolver and the safe
constructor are the same Python code either way. These tests run every guarantee under both, and
compare the two on every shipped file and every input that ever crashed the loaders.
"""

from __future__ import annotations

import collections
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
    monkeypatch.setattr(yamlsafe, "_CACHE", collections.OrderedDict())  # read, not remembered
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


def test_a_key_given_twice_is_an_error_at_its_second_line_not_a_silent_choice(
    tmp_path: Path, reader: str
) -> None:
    # ``within: 5 days`` then ``within: 50 days`` in one standard kept the looser without a word
    data, _, findings = _read(tmp_path, "id: w\ns:\n  within: 5 days\n  within: 50 days\n")
    assert data is None and findings == [("duplicate-key", 4)]
    # the same name in different mappings, or as a value, is no repeat
    data, _, findings = _read(tmp_path, "a: {within: 1}\nb: {within: 2}\nc: [within, within]\n")
    assert findings == [] and data["b"] == {"within": 2}


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
        pytest.param('b: 1\nc:\n  - "ok \\uDBFF"\n', "yaml-syntax", 3, id="half a surrogate pair"),
        pytest.param('a: "\\ud83d\\ude00"\n', "yaml-syntax", 1, id="a UTF-16 pair"),
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
            yamlsafe._CACHE.clear()  # each reader parses the file itself
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


def test_a_file_read_again_unchanged_is_not_parsed_again_and_is_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = yamlsafe._parse

    def counting(path: Path, shown: str, raw: bytes) -> Any:
        parsed.append(raw.decode())
        return real(path, shown, raw)

    monkeypatch.setattr(yamlsafe, "_parse", counting)
    monkeypatch.setattr(yamlsafe, "_CACHE", collections.OrderedDict())
    path = tmp_path / "w.yaml"
    path.write_text("id: w\nstates: [{id: a}, {id: b}]\nshared: &s [1]\nagain: *s\n", "utf-8")
    first, _ = read_yaml(path)
    assert first is not None
    first.data["states"][0]["id"] = "changed by a caller"
    first.data["id"] = "changed too"
    first.lines.clear()
    second, _ = read_yaml(path)
    assert second is not None and len(parsed) == 1  # the second read came from the cache
    assert second.data["id"] == "w" and second.data["states"][0]["id"] == "a"
    assert second.lines[("states",)] == 2
    assert second.data["again"] is second.data["shared"]  # an alias is still one object
    path.write_text("id: w2\n", "utf-8")  # new bytes: read afresh
    third, _ = read_yaml(path)
    assert third is not None and third.data == {"id": "w2"} and len(parsed) == 2
    other = tmp_path / "copy.yaml"  # the same bytes elsewhere: its own path in every finding
    other.write_text("id: w2\n", "utf-8")
    fourth, _ = read_yaml(other)
    assert fourth is not None and fourth.path == other


def test_the_cache_keeps_only_the_last_files_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yamlsafe, "_CACHE", collections.OrderedDict())
    for i in range(yamlsafe._CACHE_FILES + 5):
        path = tmp_path / f"f{i}.yaml"
        path.write_text(f"id: f{i}\n", "utf-8")
        assert read_yaml(path)[0] is not None
    assert len(yamlsafe._CACHE) == yamlsafe._CACHE_FILES
    last = str(tmp_path / f"f{yamlsafe._CACHE_FILES + 4}.yaml")
    assert last in {name for name, _ in yamlsafe._CACHE}
    assert str(tmp_path / "f0.yaml") not in {name for name, _ in yamlsafe._CACHE}


def test_a_surrogate_escape_outside_double_quotes_is_plain_text(
    tmp_path: Path, reader: str
) -> None:
    data, _, findings = _read(tmp_path, "a: '\\uD800'\nb: \\uDFFF\nc: \"\\u00e9\"\n")
    assert findings == [] and data == {"a": "\\uD800", "b": "\\uDFFF", "c": "é"}


def test_a_timestamp_tag_on_what_is_not_a_date_stays_text(tmp_path: Path, reader: str) -> None:
    """Found by the third long fuzzing run: PyYAML raised AttributeError."""
    data, _, findings = _read(tmp_path, "a: !!timestamp not a date\nb: !!timestamp 2026-02-30\n")
    assert findings == [] and data == {"a": "not a date", "b": "2026-02-30"}
