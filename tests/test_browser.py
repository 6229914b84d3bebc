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
        else:
            axes = svg.locator('g[id*="-axes_"]').count()
            assert axes >= panels, f"{ident}: {axes} panels drawn of {panels}"
            assert svg.locator("path").count() > 10 * panels, f"{ident}: panels are empty"
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


def test_chromium_is_found_where_the_install_script_puts_it() -> None:
    if _missing() and not os.environ.get("CI"):
        pytest.skip("the browser test needs " + " and ".join(_missing()))
    assert shutil.which("chromium") or CHROMIUM.exists()
