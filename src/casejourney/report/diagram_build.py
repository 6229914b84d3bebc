"""Regenerate ``diagrams/``: every shipped workflow's pathway as DOT, SVG and PDF.

Consumes ``workflows/*.yaml``; produces ``<id>.dot`` (the deterministic source a test compares),
``<id>.svg`` (hover for sources) and ``<id>.pdf`` (for print, on exactly A4 pages with no type
under 6 pt: every source numbered in the notes, and a page per phase after the overview when the
whole is too small to read on one page). Run ``python -m casejourney.report.diagram_build diagrams/``;
``--check`` only reports stale or missing files (exit 1), writing nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from casejourney.checks import check_workflow
from casejourney.errors import CasejourneyError, SpecError
from casejourney.report.diagram import diagram_model
from casejourney.report.render_dot import DIGEST_PREFIX, digest, dot_source
from casejourney.report.render_image import (
    Format,
    Renderer,
    render,
    render_dot_text,
    write_atomic,
)
from casejourney.spec import Level, Workflow, load_workflow, workflows_dir

__all__ = ["IMAGE_FORMATS", "build", "expected_dot", "main", "stale"]

IMAGE_FORMATS = (Format.svg, Format.pdf)


def _load(path: Path) -> Workflow:
    workflow = load_workflow(str(path))
    errors = [f for f in check_workflow(workflow) if f.level is Level.ERROR]
    if errors:
        raise SpecError(errors)
    return workflow


def expected_dot(directory: Path) -> dict[str, str]:
    """The DOT source every workflow in ``directory`` should have, by authority id.

    Raises:
        SpecError: a workflow has errors (every finding attached).

    """
    return {
        path.stem: dot_source(diagram_model(_load(path)))
        for path in sorted(directory.glob("*.yaml"))
    }


def stale(outdir: Path, directory: Path) -> list[str]:
    """Problems with ``outdir`` against the workflows in ``directory`` ("" list when current)."""
    problems: list[str] = []
    expected = expected_dot(directory)
    for name, source in expected.items():
        dot_file = outdir / f"{name}.dot"
        if not dot_file.is_file() or dot_file.read_text(encoding="utf-8") != source:
            problems.append(f"{dot_file}: missing or stale")
        svg = outdir / f"{name}.svg"
        marker = f"{DIGEST_PREFIX}{digest(source)}"
        if not svg.is_file() or marker not in svg.read_text(encoding="utf-8"):
            problems.append(f"{svg}: missing or not drawn from the current DOT")
        if not (outdir / f"{name}.pdf").is_file():
            problems.append(f"{outdir / f'{name}.pdf'}: missing")
    for old in sorted(outdir.glob("*.dot")):
        if old.stem not in expected:
            problems.append(f"{old}: no workflow {old.stem}.yaml any more")
    return problems


def build(outdir: Path, directory: Path) -> list[Path]:
    """Write ``<id>.dot``, ``.svg`` and ``.pdf`` for every workflow; remove orphaned ones.

    Raises:
        SpecError: a workflow has errors.
        DiagramError: Graphviz ``dot`` is not installed (the PDFs need it).

    """
    outdir.mkdir(parents=True, exist_ok=True)
    expected = expected_dot(directory)
    written: list[Path] = []
    for name, source in expected.items():
        target = outdir / f"{name}.dot"
        write_atomic(target, source.encode("utf-8"))
        written.append(target)
        target = outdir / f"{name}.svg"
        write_atomic(target, render_dot_text(source, Format.svg, Renderer.dot))
        written.append(target)
        target = outdir / f"{name}.pdf"
        model = diagram_model(_load(directory / f"{name}.yaml"))
        write_atomic(target, render(model, Format.pdf, Renderer.dot, notes=True)[0])
        written.append(target)
    for old in sorted(outdir.iterdir()):
        if old.suffix in {".dot", ".svg", ".pdf"} and old.stem not in expected:
            old.unlink()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m casejourney.report.diagram_build [OUTDIR] [--check]``."""
    parser = argparse.ArgumentParser(
        prog="python -m casejourney.report.diagram_build", description=__doc__.splitlines()[0]
    )
    parser.add_argument("outdir", nargs="?", default="diagrams", type=Path)
    parser.add_argument("--workflows", type=Path, default=None, help="folder of workflow files")
    parser.add_argument("--check", action="store_true", help="report stale files; write nothing")
    args = parser.parse_args(argv)
    directory = args.workflows or workflows_dir()
    try:
        if args.check:
            problems = stale(args.outdir, directory)
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                print(f"regenerate with: {parser.prog} {args.outdir}", file=sys.stderr)
            return 1 if problems else 0
        for path in build(args.outdir, directory):
            print(path)
    except SpecError as exc:
        for finding in exc.findings:
            print(finding.render(), file=sys.stderr)
        return 1
    except CasejourneyError as exc:
        print(f"casejourney: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
