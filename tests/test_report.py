"""The HTML report: self-contained, every chart present, every standard cited, reproducible."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from casejourney.cli import main
from casejourney.report import charts
from casejourney.report.charts_data import load_runs
from casejourney.report.html import REPORT_NAME, report_html, write_report
from tests.test_report_data import simulated

MAX_BYTES = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "base")


@pytest.fixture(scope="module")
def plus15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "plus15")


class _Page(HTMLParser):
    """Collects what a test needs: every URL the page would fetch, ids, figures."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []
        self.ids: list[str] = []
        self.figures: list[dict[str, str | None]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href", "xlink:href"):
            value = found.get(key)
            if value and not value.startswith("#") and tag != "a":
                self.fetches.append(value)
        if tag == "link":
            self.fetches.append(str(found.get("href")))
        if tag in ("img", "iframe", "object", "embed"):
            self.fetches.append(str(found.get("src") or found.get("data")))
        if "id" in found and tag not in ("svg",) and found["id"]:
            self.ids.append(str(found["id"]))
        if tag == "figure":
            self.figures.append(found)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


@pytest.fixture(scope="module")
def single(base: Path) -> str:
    return report_html(load_runs([base]), generated=dt.date(2026, 11, 24))


@pytest.fixture(scope="module")
def compared(base: Path, plus15: Path) -> str:
    return report_html(load_runs([base, plus15]), generated=dt.date(2026, 11, 24))


def test_the_report_is_one_self_contained_file(single: str) -> None:
    page = _parse(single)
    assert page.scripts == 0, "no scripts: it must open and print on a locked-down laptop"
    assert page.fetches == [], "nothing fetched from anywhere: it must open offline"
    assert not re.search(r"(?:src|href)=\"https?://", single)
    assert "@import" not in single and "url(http" not in single
    assert len(single.encode("utf-8")) < MAX_BYTES


def test_ids_are_unique_across_all_the_inline_charts(single: str) -> None:
    ids = re.findall(r'\sid="([^"]+)"', single)
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, sorted(duplicates)[:10]


def test_every_chart_is_present_with_a_caption_and_an_accessible_label(single: str) -> None:
    page = _parse(single)
    idents = [f.get("id") for f in page.figures]
    for expected in ("overview", "weekly", "wip", "queues", "caseload", "drift", "pathway"):
        assert f"chart-{expected}" in idents
    for figure in re.findall(r'<figure class="chart[^"]*".*?</figure>', single, flags=re.DOTALL):
        assert "<svg" in figure and "<figcaption>" in figure
        assert re.search(
            r'<svg[^>]*(role="img"[^>]*aria-label="[^"]+"|aria-label="[^"]+"[^>]*role="img")',
            figure,
        )


def test_the_headline_names_the_most_breached_standards_with_intervals(
    base: Path, single: str
) -> None:
    run = load_runs([base])[0]
    top = run.standards_due()[0]
    headline = single.split('<section id="headline">', 1)[1].split("</section>", 1)[0]
    assert f'href="#std-{top}"' in headline
    assert re.search(r"\d+\.\d% <span class=\"ci\">\(\d+\.\d–\d+\.\d\)</span>", headline)


def test_every_standard_appears_with_its_citation(base: Path, single: str) -> None:
    import html

    run = load_runs([base])[0]
    table = single.split('<section id="standards">', 1)[1].split("</section>", 1)[0]
    for ident, standard in run.workflow.standards.items():
        assert f'id="std-{ident}"' in table
        assert html.escape(standard.citation.quote, quote=True) in table
        assert html.escape(standard.citation.section, quote=True) in table


def test_assumptions_and_reproduction_are_given(base: Path, single: str) -> None:
    run = load_runs([base])[0]
    assumptions = single.split('<section id="assumptions">', 1)[1].split("</section>", 1)[0]
    assert "contacts per week" in assumptions
    assert "Branch probabilities" in assumptions and "refer 50.0%" in assumptions
    assert "Teams" in assumptions and "caseload limit" in assumptions
    reproduce = single.split('<section id="reproduce">', 1)[1].split("</section>", 1)[0]
    assert f"--seed {run.record.seed} -n {run.record.replications}" in reproduce
    assert run.record.digests[0][1] in reproduce
    for package in ("casejourney", "numpy", "simpy"):
        assert f">{package}<" in reproduce
    assert "scale 0.005" in single  # a scaled run says so at the top


def test_a_comparison_shows_changes_against_the_first_run(compared: str) -> None:
    headline = compared.split('<section id="headline">', 1)[1].split("</section>", 1)[0]
    assert "Against <strong>England, baseline (year ending March 2025)</strong>" in headline
    assert "Change: England, demand +15% vs England, baseline (year ending March 2025)" in headline
    assert re.search(r"pts</span> <span class=\"ci\">\([+-]\d", headline)
    assumptions = compared.split('<section id="assumptions">', 1)[1].split("</section>", 1)[0]
    assert "What differs" in assumptions and "multiplier: 1.15" in assumptions
    assert 'class="differs"' in assumptions
    assert "paired t-interval" in compared  # same seed: common random numbers
    assert len(compared.encode("utf-8")) < MAX_BYTES


def test_runs_are_told_apart_by_more_than_colour() -> None:
    assert len(set(charts.RUN_COLOURS[:4])) == 4
    assert len(set(charts.RUN_DASHES)) == len(charts.RUN_DASHES)
    assert len(set(charts.RUN_MARKERS)) == len(charts.RUN_MARKERS)


def test_the_same_results_give_the_same_report(base: Path, single: str) -> None:
    again = report_html(load_runs([base]), generated=dt.date(2026, 11, 24))
    assert again == single


def test_write_report_puts_it_in_the_results_folder(base: Path, tmp_path: Path) -> None:
    written = write_report([base], tmp_path / "r.html")
    assert written == tmp_path / "r.html" and written.stat().st_size > 10_000
    default = write_report([base])
    assert default == base / REPORT_NAME and default.is_file()


def test_the_report_command_writes_a_comparison(
    base: Path,
    plus15: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "compare.html"
    assert main(["report", str(base), str(plus15), "-o", str(target)]) == 0
    assert target.is_file()
    assert f"wrote {target}" in capsys.readouterr().err


def test_the_report_command_explains_a_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    message = capsys.readouterr().err
    assert "no such results folder" in message and "Traceback" not in message


def test_no_chart_is_taller_than_a_printed_page(compared: str) -> None:
    """A chart taller than an A4 page is cut across two when printed: tall ones come in parts."""
    boxes = re.findall(r'<svg[^>]*viewBox="0 0 ([\d.]+) ([\d.]+)"[^>]*class="chart-svg"', compared)
    boxes += re.findall(r'<svg[^>]*class="chart-svg"[^>]*viewBox="0 0 ([\d.]+) ([\d.]+)"', compared)
    assert len(boxes) >= 5
    for width, height in boxes:
        # printed 182 mm wide (A4 less margins), a part must leave room for its heading in 269 mm
        assert float(height) / float(width) * 182 <= 240, (width, height)
    assert re.search(r'id="chart-overview".*?class="parts"', compared, flags=re.DOTALL)


def test_the_pathway_prints_phase_by_phase(base: Path, single: str) -> None:
    workflow = load_runs([base])[-1].workflow
    phases = [
        p
        for p in workflow.phases.values()
        if any(s.phase == p.id for s in workflow.states.values())
    ]
    pages = re.findall(r'<figure class="phase-page"><figcaption>The pathway, ([^:]+):', single)
    assert pages == [p.label for p in phases]
    ids = re.findall(r'\sid="([^"]+)"', single)
    assert len(ids) == len(set(ids)), "a second drawing of the same graph keeps ids unique"
