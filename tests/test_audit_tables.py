"""Each authority's audit table accounts for every timescale sentence in its documents.

``docs/authorities/NAME.md`` has, under "Every timescale sentence", one table per document it cites:
``| line | "words" | encoded by | or why not |``. These tests read those tables beside the plain-text
documents in ../shared/standards/ and the workflow files, and check that:

- every row's words are the document's own, starting on the line given;
- every duration, frequency, age or school year the scanner below finds in a document lies inside
  the words of some row (so a sentence cannot be left out of the audit);
- every rule id in a table is a standard in force for that authority, and every standard the
  authority's own file writes with a source in that document appears in its table;
- every row says which rules encode it or why none does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import casejourney
from casejourney.spec.yamlsafe import read_yaml
from tests.conftest import ROOT, STANDARDS, WORKFLOWS
from tests.test_sources import DOCUMENTS, fragments

AUTHORITIES = sorted(p.stem for p in WORKFLOWS.glob("*.yaml") if p.stem != "national")

_NUM = (
    r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen"
    r"|sixteen|eighteen|twenty|thirty|forty)"
)
_UNIT = r"(?:minutes?|hours?|(?:working |calendar )?days?|weeks?|months?|years?)"
#: What counts as a timescale: a number of units, a frequency word, a school year, an age.
TIMESCALE = re.compile(
    rf"\b{_NUM}[- ]{_UNIT}\b"
    r"|\b(?:fortnightly|weekly|monthly|quarterly|annually|annual|yearly|termly|six-monthly"
    r"|three-monthly|bi-monthly|daily)\b"
    rf"|\b{_NUM}[- ](?:weekly|monthly|yearly)\b"
    r"|\bonce an? (?:day|week|fortnight|month|term|year)\b"
    r"|\bfirst year\b"
    r"|\bwithin an? (?:day|week|fortnight|month|year)\b"
    r"|\bweek \d+\b"
    r"|\bevery (?:day|week|month|term|year)\b"
    r"|\beach term\b"
    r"|\bYear \d+\b"
    r"|\bbirthday\b"
    r"|\baged? \d+"
    r"|\bage of \d+",
    re.IGNORECASE,
)

_SECTION = re.compile(r"^#### `(?P<doc>[a-z0-9-]+)` \((?P<file>[^)]+)\)\s*$")
_ROW = re.compile(r'^\| (?P<line>\d+) \| "(?P<words>.*)" \| (?P<ids>[^|]*) \| (?P<why>[^|]*) \|$')


@dataclass(frozen=True)
class Row:
    """One audited sentence."""

    document: str
    line: int
    words: str
    ids: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Text:
    """A document with whitespace collapsed, and the line each character came from."""

    text: str
    lines: tuple[int, ...]


@cache
def document(name: str) -> Text:
    chars: list[str] = []
    lines: list[int] = []
    line, space = 1, True
    for char in (STANDARDS / name).read_text(encoding="utf-8"):
        if char.isspace():
            if not space:
                chars.append(" ")
                lines.append(line)
            space = True
            if char == "\n":
                line += 1
        else:
            chars.append(char)
            lines.append(line)
            space = False
    return Text("".join(chars), tuple(lines))


def audit(authority: str) -> tuple[dict[str, list[Row]], list[str]]:
    """The audit tables of an authority's page, by document, and any row that cannot be read."""
    page = ROOT / "docs" / "authorities" / f"{authority}.md"
    tables: dict[str, list[Row]] = {}
    unreadable: list[str] = []
    current: str | None = None
    in_audit = False
    for number, text in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if text.startswith("### "):
            in_audit = text.startswith("### Every timescale sentence")
            current = None
            continue
        if not in_audit:
            continue
        section = _SECTION.match(text)
        if section:
            current = section["doc"]
            tables[current] = []
            continue
        if current is None or not text.startswith("| ") or text.startswith("| line |"):
            continue
        row = _ROW.match(text)
        if row is None:
            unreadable.append(f"{page.name}:{number}: {text[:60]}")
            continue
        ids = tuple(re.findall(r"`([a-z0-9_-]+)`", row["ids"]))
        tables[current].append(
            Row(current, int(row["line"]), row["words"], ids, row["why"].strip())
        )
    return tables, unreadable


def spans(row: Row) -> list[tuple[int, int]]:
    """Where a row's words are in its document: each place whose first word is on its line."""
    doc = document(DOCUMENTS[row.document])
    parts = fragments(row.words)
    found = []
    for match in re.finditer(re.escape(parts[0]), doc.text):
        if doc.lines[match.start()] != row.line:
            continue
        end, ok = match.end(), True
        for part in parts[1:]:
            at = doc.text.find(part, end)
            if at < 0:
                ok = False
                break
            end = at + len(part)
        if ok:
            found.append((match.start(), end))
    return found


def own_standards(authority: str) -> dict[str, str]:
    """The standards an authority's own file writes: id → the document its source cites."""
    doc, _ = read_yaml(WORKFLOWS / f"{authority}.yaml")
    assert doc is not None
    return {
        s["id"]: s["source"]["document"]
        for s in doc.data.get("standards") or []
        if isinstance(s, dict) and isinstance(s.get("source"), dict)
    }


def cited_documents(authority: str) -> list[str]:
    doc, _ = read_yaml(WORKFLOWS / f"{authority}.yaml")
    assert doc is not None
    return [d["id"] for d in doc.data.get("documents") or [] if d["id"] in DOCUMENTS]


needs_texts = pytest.mark.skipif(not STANDARDS.is_dir(), reason="../shared/standards is not here")


@pytest.mark.parametrize("authority", AUTHORITIES)
def test_every_document_has_a_readable_table(authority: str) -> None:
    tables, unreadable = audit(authority)
    assert unreadable == []
    assert sorted(tables) == sorted(cited_documents(authority))


@needs_texts
@pytest.mark.parametrize("authority", AUTHORITIES)
def test_rows_quote_the_document_at_their_line(authority: str) -> None:
    tables, _ = audit(authority)
    wrong = [
        f"{row.document} line {row.line}: {row.words[:60]!r}"
        for rows in tables.values()
        for row in rows
        if not spans(row)
    ]
    assert wrong == []


@needs_texts
@pytest.mark.parametrize("authority", AUTHORITIES)
def test_every_timescale_in_the_documents_is_in_a_row(authority: str) -> None:
    tables, _ = audit(authority)
    missed = []
    for name, rows in tables.items():
        doc = document(DOCUMENTS[name])
        covered = [span for row in rows for span in spans(row)]
        for match in TIMESCALE.finditer(doc.text):
            if not any(a <= match.start() and match.end() <= b for a, b in covered):
                missed.append(f"{name} line {doc.lines[match.start()]}: {match.group()!r}")
    assert missed == []


@pytest.mark.parametrize("authority", AUTHORITIES)
def test_rule_ids_exist_and_every_rule_appears(authority: str) -> None:
    tables, _ = audit(authority)
    in_force = set(casejourney.load_workflow(authority).standards)
    named = {rule for rows in tables.values() for row in rows for rule in row.ids}
    assert named - in_force == set(), "ids in the audit table that are not standards"
    by_document: dict[str, set[str]] = {}
    for rows in tables.values():
        for row in rows:
            by_document.setdefault(row.document, set()).update(row.ids)
    absent = [
        f"{rule} (cites {cited})"
        for rule, cited in own_standards(authority).items()
        if cited in DOCUMENTS and rule not in by_document.get(cited, set())
    ]
    assert absent == [], "standards missing from their document's audit table"


@pytest.mark.parametrize("authority", AUTHORITIES)
def test_every_row_is_encoded_or_says_why_not(authority: str) -> None:
    tables, _ = audit(authority)
    silent = [
        f"{row.document} line {row.line}"
        for rows in tables.values()
        for row in rows
        if not row.ids and not row.why
    ]
    assert silent == []


def test_the_scanner_finds_what_the_issue_names() -> None:
    found = [
        m.group()
        for m in TIMESCALE.finditer(
            "seen awake at least every three weeks; reviewed every term; at Year 9; prior to "
            "their 16th birthday; supervised fortnightly; once a year; at six weekly intervals"
        )
    ]
    assert found == [
        "three weeks",
        "every term",
        "Year 9",
        "birthday",
        "fortnightly",
        "once a year",
        "six weekly",
    ]


def test_a_row_at_the_wrong_line_is_not_found() -> None:
    if not STANDARDS.is_dir():
        pytest.skip("../shared/standards is not here")
    words = "I will see the child within 3 working days of allocation; sooner if needed."
    right = Row("knowsley-sw", 158, words, ("child-seen-after-allocation",), "")
    assert spans(right)
    assert spans(Row("knowsley-sw", 157, words, (), "")) == []


def test_the_audit_pages_are_here() -> None:
    assert {p.stem for p in Path(ROOT / "docs" / "authorities").glob("*.md")} >= set(AUTHORITIES)
