"""The pathway with a run's breaches on it: figures on the labels, colours by breach and backlog."""

from __future__ import annotations

import math
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from casejourney.cli import main
from casejourney.report.charts_data import RunResults, load_runs
from casejourney.report.overlay import (
    BACKLOG_BANDS,
    BREACH_BANDS,
    KEY_ID,
    OPEN_ITEM,
    band,
    overlay_dot,
    overlay_model,
    render_overlay,
)
from casejourney.report.render_image import Format
from tests.test_report_data import simulated


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "base")


@pytest.fixture(scope="module")
def plus15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "plus15")


@pytest.fixture(scope="module")
def run(base: Path) -> RunResults:
    return load_runs([base])[0]


def _late(run: RunResults, standard: str) -> float:
    return 100 - run.get("standard.on_time_pct", standard).mean


def test_bands_cover_every_value_in_order() -> None:
    assert band(math.nan, BREACH_BANDS) is None
    assert band(0.0, BREACH_BANDS) is BREACH_BANDS[0]
    assert band(5.0, BREACH_BANDS) is BREACH_BANDS[1]
    assert band(99.0, BREACH_BANDS) is BREACH_BANDS[-1]
    assert band(math.inf, BACKLOG_BANDS) is BACKLOG_BANDS[-1]  # from none open to some
    widths = [float(b.width) for b in BREACH_BANDS]
    assert widths == sorted(widths), "worse is thicker too, so a greyscale print keeps the order"


def test_every_timescale_carries_its_percentage_late(run: RunResults) -> None:
    over = overlay_model([run])
    items = [*over.diagram.timescales()]
    real = [t for t in items if t.standard != OPEN_ITEM]
    assert real
    for item in real:
        due = run.get("standard.due", item.standard).mean
        if due > 0:
            late = _late(run, item.standard)
            shown = f"{late:.1f}%" if late < 10 else f"{late:.0f}%"
            assert item.text.endswith(f"· {shown} late"), item.text
            assert "on time" in item.title  # the tooltip gives counts and the interval
        else:
            assert item.text.endswith("· none due")


def test_arrows_are_coloured_by_their_worst_timescale(run: RunResults) -> None:
    over = overlay_model([run])
    arrows = [a for a in over.diagram.arrows if a.timescales]
    assert arrows
    for arrow in arrows:
        worst = max(
            (
                _late(run, t.standard)
                for t in arrow.timescales
                if run.get("standard.due", t.standard).mean > 0
            ),
            default=math.nan,
        )
        expected = band(worst, BREACH_BANDS)
        style = over.styles.get(f"arrow-{arrow.trigger}")
        if expected is None:
            assert style is None
        else:
            assert style == {"color": expected.colour, "penwidth": expected.width}


def test_open_cases_are_shown_on_stages_but_not_on_terminal_ones(run: RunResults) -> None:
    over = overlay_model([run])
    for state in over.diagram.states:
        lines = [t for t in state.timescales if t.standard == OPEN_ITEM]
        if state.terminal:
            assert not lines
            assert "fillcolor" not in over.styles.get(f"state-{state.id}", {})
        elif lines:
            assert re.match(r"Open cases: [\d,]+ → [\d,]+", lines[0].text)


def test_a_comparison_reads_first_run_to_last(base: Path, plus15: Path) -> None:
    runs = load_runs([base, plus15])
    over = overlay_model(runs)
    lines = [t.text for t in over.diagram.timescales() if t.standard != OPEN_ITEM]
    assert any(re.search(r"late [\d.]+% → [\d.]+%", line) for line in lines)
    assert "England, baseline (year ending March 2025) → England, demand +15%" in over.diagram.title


def test_one_phase_alone_keeps_neighbours_greyed(run: RunResults) -> None:
    over = overlay_model([run], phase="child_protection")
    stubs = [s for s in over.diagram.states if s.stub]
    assert stubs
    for state in stubs:
        assert f"state-{state.id}" not in over.styles


def test_the_dot_has_the_key_and_the_colours(run: RunResults) -> None:
    over = overlay_model([run])
    text = overlay_dot(over, [run])
    assert KEY_ID in text and "% of instances due that were late" in text
    for ident, style in over.styles.items():
        if "color" in style:
            assert style["color"] in text, ident
    assert KEY_ID not in overlay_dot(over, [run], key=False)


def test_the_overlay_renders_as_svg(run: RunResults) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed (scripts/install-system-deps.sh installs it)")
    data, _ = render_overlay([run], Format.svg)
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    text = data.decode("utf-8")
    assert "% late" in text and "Open cases:" in text


def test_draw_overlay_writes_a_file(base: Path, tmp_path: Path) -> None:
    target = tmp_path / "overlay.dot"
    assert main(["draw", "--overlay", str(base), "--format", "dot", "-o", str(target)]) == 0
    assert "% late" in target.read_text(encoding="utf-8")


def test_draw_overlay_refuses_another_authority(
    base: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["draw", "liverpool", "--overlay", str(base), "-f", "dot", "-o", "-"]) != 0
    assert "is a run of 'national'" in capsys.readouterr().err


def test_tooltips_too_long_for_graphviz_lose_their_detail_not_their_figure(run: RunResults) -> None:
    from casejourney.report.diagram import diagram_model
    from casejourney.report.overlay import TOOLTIP_LIMIT, _items

    state = next(s for s in diagram_model(run.workflow).states if len(s.timescales) > 1)
    short = _items(state.timescales, [run], lambda items: "x")
    long = _items(state.timescales, [run], lambda items: "x" * (TOOLTIP_LIMIT + 1))
    assert [t.text for t in short] == [t.text for t in long]  # the figures stay on the label
    assert all("% late" in t.text or "none due" in t.text for t in long)
    assert [t.title for t in long] == [t.title for t in state.timescales]  # detail dropped
    assert all(len(a.title) > len(b.title) for a, b in zip(short, long, strict=True))


def test_an_overlay_pdf_is_on_a4_pages_with_no_type_under_6_pt(base: Path, tmp_path: Path) -> None:
    # Graphviz added its 0.5-inch margin outside the A4 size: the overlay's page was bigger
    # than A4, so printed it shrank and its type fell under 6 pt.
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed (scripts/install-system-deps.sh installs it)")
    from tests.test_diagram import _is_a4, _smallest_type_per_page

    target = tmp_path / "overlay.pdf"
    assert main(["draw", "--overlay", str(base), "-o", str(target)]) == 0
    pages = _smallest_type_per_page(target.read_bytes())
    assert [(round(w), round(h)) for w, h, _ in pages if not _is_a4(w, h)] == []
    assert min(pt for _, _, pt in pages) >= 6
