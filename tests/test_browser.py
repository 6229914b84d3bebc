"""The HTML report in a real browser: headless Chromium opens it offline, every chart draws.

Needs Debian's ``chromium`` (``scripts/install-system-deps.sh``) and the ``playwright`` package
(a dev dependency). Playwright is only the driver: it never downloads a browser here. Skipped
with the reason when either is missing; in CI (``CI`` set) a missing one is a failure.
Screenshots go to ``$CASEJOURNEY_SCREENSHOTS`` when set (to look at), else to the test's tmp dir.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casejourney.report.html import write_report
from tests.test_report_data import simulated

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "base")


@pytest.fixture(scope="module")
def plus15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "plus15")


def _missing() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Debian's chromium at {CHROMIUM} (bash scripts/install-system-deps.sh)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[dev]')")
    return missing


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    missing = _missing()
    if missing:
        reason = "the browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test, but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data-dir
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1100, "height": 1400},
        )
        try:
            yield context
        finally:
            context.close()


def _screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CASEJOURNEY_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser: Any, report: Path) -> tuple[Any, list[str], list[str]]:
    """Open the report; return the page, console errors and anything fetched from outside."""
    page = browser.new_page()
    errors: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: (
            fetched.append(r.url) if not r.url.startswith(("file:", "data:", "about:")) else None
        ),
    )
    page.goto(report.resolve().as_uri(), wait_until="load")
    return page, errors, fetched


def _check_every_chart_drew(page: Any) -> int:
    figures = page.locator("figure.chart")
    count = figures.count()
    assert count >= 7, f"expected every chart and the pathway, found {count} figures"
    for i in range(count):
        figure = figures.nth(i)
        ident = figure.get_attribute("id")
        svg = figure.locator("svg").first
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, (ident, box)
        panels = int(figure.get_attribute("data-panels") or "1")
        if ident == "chart-pathway":
            assert svg.locator("g.node").count() > 5, "the pathway drew its states"
            assert svg.locator("g.edge").count() > 5, "the pathway drew its moves"
        else:  # a tall chart is drawn in parts, one SVG each
            parts = figure.locator("svg.chart-svg")
            axes = parts.locator('g[id*="-axes_"]').count()
            assert axes >= panels, f"{ident}: {axes} panels drawn of {panels}"
            assert parts.locator("path").count() > 10 * panels, f"{ident}: panels are empty"
    return count


def _check(browser: Any, report: Path, shot: Path) -> None:
    page, errors, fetched = _open(browser, report)
    try:
        assert errors == [], errors
        assert fetched == [], f"the report fetched {fetched}: it must work offline"
        _check_every_chart_drew(page)
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000
        # printed: the browser lays it out on A4 without losing a chart
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    finally:
        page.close()


def test_the_baseline_report_opens_cleanly(
    browser: Any,
    base: Path,
    tmp_path: Path,
) -> None:
    report = write_report([base], tmp_path / "baseline.html")
    _check(browser, report, _screenshots(tmp_path) / "report-baseline.png")


def test_the_comparison_report_opens_cleanly(
    browser: Any,
    base: Path,
    plus15: Path,
    tmp_path: Path,
) -> None:
    report = write_report([base, plus15], tmp_path / "comparison.html")
    _check(browser, report, _screenshots(tmp_path) / "report-comparison.png")


def test_the_pathway_can_be_shown_at_full_size(
    browser: Any,
    base: Path,
    tmp_path: Path,
) -> None:
    report = write_report([base], tmp_path / "zoom.html")
    page, errors, _ = _open(browser, report)
    try:
        svg = page.locator("#chart-pathway svg")
        fitted = svg.bounding_box()["width"]
        page.locator("label.zoom").click()
        full = svg.bounding_box()["width"]
        assert full > fitted * 1.3, (fitted, full)
        page.locator("#chart-pathway .scroll").screenshot(
            path=str(_screenshots(tmp_path) / "report-pathway-full-size.png")
        )
        assert errors == []
    finally:
        page.close()


# --- a phone, and paper ---------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
#: Text smaller than this many CSS pixels cannot be read on a phone held at arm's length.
PHONE_TEXT_PX = 9.5
#: A4 portrait less the report's 14 mm margins, in CSS pixels (96 per inch).
A4_TEXT_WIDTH_PX, A4_TEXT_HEIGHT_PX = 182 / 25.4 * 96, 269 / 25.4 * 96
#: A4 landscape less the pathway pages' 10 mm margins.
A4_LANDSCAPE_WIDTH_PX = 277 / 25.4 * 96
#: The pathway's timescales (10 pt as drawn) printed below this many points cannot be read (the
#: whole Liverpool pathway on one page printed them at about 2 pt).
PRINT_TEXT_PT = 5.0

_SMALLEST_TEXT = """(selector) => [...document.querySelectorAll(selector)].map(svg => {
  let least = Infinity;
  svg.querySelectorAll('text').forEach(t => {
    const h = t.getBoundingClientRect().height;
    if (h > 0 && h < least) least = h;
  });
  return [svg.closest('figure').id || svg.closest('figure').className, least];
})"""


#: The smallest Graphviz font (in points, at least ``least``) of each SVG, as drawn on the page.
_SMALLEST_FONT = """([selector, least]) => [...document.querySelectorAll(selector)].map(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll('text[font-size]')]
    .map(t => parseFloat(t.getAttribute('font-size'))).filter(size => size >= least);
  return [svg.getAttribute('aria-label'), Math.min(...sizes) * scale * 0.75];
})"""


def _report(tmp_path: Path, *folders: Path) -> Path:
    return write_report(list(folders), tmp_path / "report.html")


def test_the_report_reads_on_a_phone(
    browser: Any, base: Path, plus15: Path, tmp_path: Path
) -> None:
    page, errors, _ = _open(browser, _report(tmp_path, base, plus15))
    try:
        page.set_viewport_size(PHONE)
        assert errors == []
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width} px)"
        sizes = page.evaluate(_SMALLEST_TEXT, "figure.chart svg")
        assert len(sizes) >= 7
        small = [(where, round(px, 1)) for where, px in sizes if px < PHONE_TEXT_PX]
        assert small == [], f"chart text too small to read on a phone: {small}"
        assert page.locator("main").count() == 1
        page.screenshot(path=str(_screenshots(tmp_path) / "report-phone.png"))
    finally:
        page.close()


def _pdf_pages(pdf: bytes) -> list[list[tuple[float, str]]]:
    """Each page's text, as (height on the page, text) from top to bottom."""
    import io

    from pypdf import PdfReader

    pages = []
    for sheet in PdfReader(io.BytesIO(pdf)).pages:
        found: list[tuple[float, str]] = []

        def keep(
            text: str, cm: Any, tm: Any, *_: Any, found: list[tuple[float, str]] = found
        ) -> None:
            if text.strip():
                found.append((float(cm[5]) + float(tm[5]) * float(cm[3]), " ".join(text.split())))

        sheet.extract_text(visitor_text=keep)
        pages.append(sorted(found, key=lambda item: -item[0]))
    return pages


def test_the_report_prints_on_a4_without_orphans_or_split_charts(
    browser: Any, base: Path, plus15: Path, tmp_path: Path
) -> None:
    page, errors, _ = _open(browser, _report(tmp_path, base, plus15))
    try:
        page.emulate_media(media="print")
        page.set_viewport_size({"width": round(A4_TEXT_WIDTH_PX), "height": 1000})
        headings = {
            " ".join(t.split())
            for t in page.locator("main h2, main h3:not(.legend h3)").all_inner_texts()
        }
        # no chart is taller than a page, and none may be cut across two
        for where, height, rule in page.evaluate(
            """() => [...document.querySelectorAll('svg.chart-svg')].map(s => [
                s.closest('figure').id, s.getBoundingClientRect().height,
                getComputedStyle(s).breakInside])"""
        ):
            assert height < A4_TEXT_HEIGHT_PX * 0.9, f"{where}: a part {height:.0f} px tall"
            assert rule == "avoid", where
        pdf = page.pdf(format="A4", print_background=True)
        (_screenshots(tmp_path) / "report-print.pdf").write_bytes(pdf)
        pages = _pdf_pages(pdf)
        assert len(pages) > 5
        for number, lines in enumerate(pages, 1):
            assert lines, f"page {number} is blank"
            last = lines[-1][1]
            assert last not in headings, f"page {number} ends with the heading {last!r}"
            assert [t for _, t in lines if t not in headings], f"page {number}: headings only"
        # the pathway: phase by phase, each legible on A4 landscape
        page.set_viewport_size({"width": round(A4_LANDSCAPE_WIDTH_PX), "height": 1000})
        phases = page.evaluate(_SMALLEST_FONT, [".print-phases svg", 10])
        assert len(phases) >= 5, "the pathway prints phase by phase"
        tiny = [(w, round(pt, 1)) for w, pt in phases if pt < PRINT_TEXT_PT]
        assert tiny == [], f"pathway text prints below {PRINT_TEXT_PT} pt: {tiny}"
        assert errors == []
    finally:
        page.close()


def test_the_compare_page_reads_on_a_phone_and_prints(browser: Any, tmp_path: Path) -> None:
    from casejourney.cli import main

    target = tmp_path / "compare.html"
    assert (
        main(["compare", "national", "barnet", "liverpool", "--format", "html", "-o", str(target)])
        == 0
    )
    page, errors, fetched = _open(browser, target)
    try:
        assert errors == [] and fetched == []
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator("main").count() == 1
        smallest = page.evaluate(
            """() => Math.min(...[...document.querySelectorAll('td, th, p, dd')]
                .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
        )
        assert smallest >= 12, smallest
        page.screenshot(path=str(_screenshots(tmp_path) / "compare-phone.png"))
        page.emulate_media(media="print")
        pages = _pdf_pages(page.pdf(print_background=True, prefer_css_page_size=True))
        words = " ".join(t for lines in pages for _, t in lines)
        assert "working days" in words and "calendar months" in words, "units explained"
        assert "Sources" in words and "Working Together" in words, "sources print"
    finally:
        page.close()


def test_chromium_is_found_where_the_install_script_puts_it() -> None:
    if _missing() and not os.environ.get("CI"):
        pytest.skip("the browser test needs " + " and ".join(_missing()))
    assert shutil.which("chromium") or CHROMIUM.exists()
