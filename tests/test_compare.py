"""The compare page: status in words as well as colour, units spelt out, sources that print."""

from __future__ import annotations

import re

import casejourney
from casejourney.report.compare import as_html, compare


def _page() -> str:
    return as_html(compare([casejourney.load_workflow(a) for a in ("national", "barnet")]))


def test_every_cell_says_where_its_standard_comes_from_in_words() -> None:
    page = _page()
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page, flags=re.DOTALL)
    assert cells
    for cell in cells:
        tag = re.search(r'<span class="tag">([^<]*)</span>', cell)
        assert tag is not None and tag.group(1) in {
            "inherited",
            "overrides",
            "local",
            "not in force",
        }
    assert "overrides" in page and "local" in page


def test_the_units_are_explained_and_sources_are_numbered_notes() -> None:
    page = _page()
    for unit, words in (("wd", "working days"), ("mo", "calendar months"), ("wk", "weeks")):
        assert f"<dt>{unit}</dt><dd>{words}" in page
    numbers = set(re.findall(r'href="#note-(\d+)"', page))
    notes = set(re.findall(r'<li id="note-(\d+)">', page))
    assert numbers and numbers == notes
    assert "Working Together to Safeguard Children 2023" in page.split('<ol class="sources">')[1]


def test_the_page_has_one_main_landmark_and_a_viewport() -> None:
    page = _page()
    assert page.count("<main>") == 1 and page.count("</main>") == 1
    assert 'name="viewport"' in page
    assert re.search(r"<caption>", page)
