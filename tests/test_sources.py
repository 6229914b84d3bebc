"""Every quote from an authority's practice standards is the document's own words, verbatim.

The plain-text documents live in ../shared/standards/; without them these tests skip. Files are
found by glob, so a new authority's workflow is covered as soon as it is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from casejourney.spec.yamlsafe import read_yaml
from tests.conftest import STANDARDS, WORKFLOWS

#: Document ids used in workflow files → the plain-text file in ../shared/standards/.
DOCUMENTS = {
    "knowsley-sw": "knowsley-social-work-practice-standards.txt",
    "knowsley-7": "knowsley-practice-standards-seven.txt",
    "barnet-2019": "barnet-practice-standards-2019.txt",
    "lcc-2024": "liverpool-practice-standards-2024.txt",
    "coventry": "coventry-practice-standards.txt",
}


def collapse(text: str) -> str:
    return " ".join(text.split())


def fragments(quote: str) -> list[str]:
    """A quote's verbatim pieces: ' ... ' marks words left out."""
    return [
        part for part in (p.strip() for p in re.split(r"\s*\.\.\.\s*", collapse(quote))) if part
    ]


def sources(data: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every standard's and every state note's source in a workflow file, named for test ids."""
    if not isinstance(data, dict):
        return
    for standard in data.get("standards") or []:
        if isinstance(standard, dict) and isinstance(standard.get("source"), dict):
            yield f"standard {standard.get('id')}", standard["source"]
    for state in data.get("states") or []:
        if not isinstance(state, dict):
            continue
        for number, note in enumerate(state.get("notes") or [], start=1):
            if isinstance(note, dict) and isinstance(note.get("source"), dict):
                yield f"state {state.get('id')} note {number}", note["source"]


def cases() -> list[Any]:
    found = []
    for file in sorted(WORKFLOWS.glob("*.yaml")):
        doc, _ = read_yaml(file)
        if doc is None:
            continue  # test_check reports it
        for where, source in sources(doc.data):
            if source.get("document") in DOCUMENTS:
                found.append(pytest.param(file.name, source, id=f"{file.stem}: {where}"))
    return found


CASES = cases()


@cache
def document_text(name: str) -> str:
    return collapse((STANDARDS / name).read_text(encoding="utf-8"))


@pytest.mark.skipif(not STANDARDS.is_dir(), reason="../shared/standards is not here")
@pytest.mark.parametrize(("file", "source"), CASES)
def test_quote_is_verbatim(file: str, source: dict[str, Any]) -> None:
    name = DOCUMENTS[source["document"]]
    if not (STANDARDS / name).is_file():
        pytest.skip(f"{name} is not in {STANDARDS}")
    text = document_text(name)
    missing = [part for part in fragments(source["quote"]) if part not in text]
    assert missing == [], f"{file}, {source.get('section')}: not in {name}: {missing}"


def test_quotes_were_found() -> None:
    # Guards against the walk silently finding nothing (and so testing nothing).
    cited = {case.values[1]["document"] for case in CASES}
    assert {"knowsley-sw", "knowsley-7", "coventry"} <= cited
    assert "knowsley: standard child-seen-after-allocation" in {case.id for case in CASES}
    assert "knowsley: state contact note 1" in {case.id for case in CASES}


def test_fragments_split_on_ellipses() -> None:
    assert fragments("  within one week ...  at intervals\n of six weeks ... ") == [
        "within one week",
        "at intervals of six weeks",
    ]


def test_documents_map_to_files_that_exist() -> None:
    if not STANDARDS.is_dir():
        pytest.skip("../shared/standards is not here")
    assert {name: (STANDARDS / name).is_file() for name in DOCUMENTS.values()} == dict.fromkeys(
        DOCUMENTS.values(), True
    )


# --- the national floor: statute and statutory guidance --------------------------------------

#: Document ids in national.yaml → the stored primary text in data/primary/.
PRIMARY = {"cppcr2010": "cppcr2010.txt", "clr2010": "clr2010.txt", "ca1989": "ca1989.txt"}
PRIMARY_DIR = WORKFLOWS.parent / "data" / "primary"
#: National standards whose primary text is not stored yet (see data/primary/README.md). Empty:
#: every primary quote is checked; a quote whose primary text cannot be found is marked secondary.
UNCHECKED: frozenset[str] = frozenset()


def national_standards() -> list[dict[str, Any]]:
    doc, _ = read_yaml(WORKFLOWS / "national.yaml")
    assert doc is not None
    return [s for s in doc.data["standards"] if isinstance(s, dict)]


def test_national_primary_quotes_are_the_primary_texts_words() -> None:
    wrong, unchecked = [], set()
    for standard in national_standards():
        source = standard["source"]
        if source.get("quote_kind", "primary") != "primary":
            continue
        if standard["id"] in UNCHECKED or source["document"] not in PRIMARY:
            unchecked.add(standard["id"])
            continue
        text = collapse((PRIMARY_DIR / PRIMARY[source["document"]]).read_text(encoding="utf-8"))
        missing = [part for part in fragments(source["quote"]) if part not in text]
        if missing:
            wrong.append(f"{standard['id']} ({source['section']}): {missing}")
    assert wrong == []
    # A new primary quote must be checked against a stored text, or marked secondary.
    assert unchecked <= UNCHECKED


def test_secondary_quotes_name_their_source() -> None:
    secondary = {
        s["id"]: s["source"].get("secondary_source")
        for s in national_standards()
        if s["source"].get("quote_kind") == "secondary"
    }
    assert secondary, "the floor has secondary quotes; the walk found none"
    assert all(secondary.values())


def test_a_changed_word_is_caught() -> None:
    text = collapse((PRIMARY_DIR / "cppcr2010.txt").read_text(encoding="utf-8"))
    assert "within five working days of the start of the placement" in text
    assert "within five days of the start of the placement" not in text


def test_the_old_reg_33_misquote_is_caught() -> None:
    # The floor once quoted reg 33(2) in words the regulation does not use; the stored text
    # would have caught it.
    text = collapse((PRIMARY_DIR / "cppcr2010.txt").read_text(encoding="utf-8"))
    assert "subsequent reviews must be carried out at intervals of not more than six months" in text
    assert "not more than six months after the date of the previous review" not in text


def test_check_lists_every_secondary_quote() -> None:
    import casejourney

    findings = casejourney.check_paths([WORKFLOWS / "national.yaml"])
    listed = {f.message.split("'")[1] for f in findings if f.code == "secondary-quote"}
    assert listed == {
        s["id"] for s in national_standards() if s["source"].get("quote_kind") == "secondary"
    }
