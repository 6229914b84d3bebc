"""What a diagram can be drawn as, and by what: the choices ``draw`` and ``report`` offer.

Kept apart from the renderer so the command line can list them without loading it.
"""

from __future__ import annotations

from enum import StrEnum


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
