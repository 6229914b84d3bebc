"""Side-by-side comparison of authorities' standards: one row per standard, one column each.

Consumes resolved ``Workflow`` objects; produces a ``Comparison`` of cells (the timescale in force,
whether it is inherited, overridden or local, looser than statute, and its citation), and renders it
as text, CSV, Markdown, JSON or a self-contained HTML table.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from casejourney.calendar import Duration
from casejourney.checks.timing import looser_standards
from casejourney.report.rules import short_timescale, timescale_text
from casejourney.spec.findings import Citation
from casejourney.spec.resolve import Standard, Workflow


class CellStatus(StrEnum):
    """Where a cell's standard comes from, relative to the authority it is shown for."""

    INHERITED = "inherited"  # as the parent file says
    OVERRIDDEN = "overridden"  # the authority replaced an inherited standard
    LOCAL = "local"  # only this authority (no inherited counterpart)
    ABSENT = "absent"  # not in force here


@dataclass(frozen=True)
class Cell:
    """One standard under one authority."""

    authority: str
    text: str
    status: CellStatus
    differs: bool
    looser: bool
    acknowledged: bool
    citation: Citation | None
    standard: Standard | None = None

    @property
    def marker(self) -> str:
        """``*`` differs from the first authority, ``!`` looser than statute (see :func:`marker`)."""
        return marker(self)


@dataclass(frozen=True)
class Row:
    """One standard across the authorities compared."""

    id: str
    kind: str
    title: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Comparison:
    """The whole side-by-side table."""

    authorities: tuple[str, ...]
    titles: tuple[str, ...]
    rows: tuple[Row, ...]

    def render(self, fmt: str) -> str:
        """The comparison as ``markdown``, ``json`` or ``html`` text (a self-contained page)."""
        renderers = {"markdown": as_markdown, "json": as_json, "html": as_html}
        if fmt not in renderers:
            raise ValueError(f"no format {fmt!r}; known: {', '.join(renderers)}")
        return renderers[fmt](self)

    def flat_rows(self) -> list[dict[str, str | int]]:
        """One flat row per standard, for CSV: each authority's words, value, unit and source."""
        return as_flat_rows(self)


def _cell(
    workflow: Workflow,
    standard: Standard | None,
    baseline: str | None,
    looser: dict[str, list[str]],
) -> Cell:
    if standard is None:
        return Cell(workflow.id, "", CellStatus.ABSENT, baseline is not None, False, False, None)
    if standard.inherited:
        status = CellStatus.INHERITED
    elif standard.replaces is not None:
        status = CellStatus.OVERRIDDEN
    else:
        status = CellStatus.LOCAL
    text = short_timescale(standard)
    return Cell(
        authority=workflow.id,
        text=text,
        status=status,
        differs=baseline is not None and text != baseline,
        looser=standard.id in looser,
        acknowledged=standard.id in looser and bool(standard.spec.acknowledged_deviation),
        citation=standard.citation,
        standard=standard,
    )


def compare(workflows: Sequence[Workflow]) -> Comparison:
    """Compare standards across ``workflows``; the first is the baseline for "differs"."""
    order: dict[str, Standard] = {}
    for workflow in workflows:
        for standard in workflow.standards.values():
            order.setdefault(standard.id, standard)
    looser = {w.id: looser_standards(w) for w in workflows}
    rows = []
    first = workflows[0]
    for ident, example in order.items():
        base = first.standards.get(ident)
        baseline = short_timescale(base) if base is not None else None
        cells = tuple(
            _cell(w, w.standards.get(ident), baseline if w is not first else None, looser[w.id])
            for w in workflows
        )
        rows.append(Row(ident, example.kind, example.spec.title, cells))
    return Comparison(
        authorities=tuple(w.id for w in workflows),
        titles=tuple(w.title for w in workflows),
        rows=tuple(rows),
    )


def marker(cell: Cell) -> str:
    """A short text marker: ``*`` differs from the first authority, ``!`` looser than statute."""
    marks = ""
    if cell.differs and cell.status is not CellStatus.ABSENT:
        marks += "*"
    if cell.looser:
        marks += "!" if not cell.acknowledged else "(!)"
    return marks


def as_records(comparison: Comparison) -> list[dict[str, Any]]:
    """One JSON-ready record per row, with every cell's citation."""
    out = []
    for row in comparison.rows:
        cells = {}
        for cell in row.cells:
            cells[cell.authority] = {
                "timescale": cell.text or None,
                "timescale_words": timescale_text(cell.standard) if cell.standard else None,
                "status": cell.status.value,
                "differs_from_first": cell.differs,
                "looser_than_statute": cell.looser,
                "acknowledged": cell.acknowledged,
                "source": None
                if cell.citation is None
                else {
                    "document": cell.citation.document,
                    "section": cell.citation.section,
                    "quote": cell.citation.quote,
                },
            }
        out.append({"id": row.id, "kind": row.kind, "title": row.title, "authorities": cells})
    return out


def as_json(comparison: Comparison) -> str:
    """The comparison as JSON text."""
    return json.dumps(as_records(comparison), indent=2) + "\n"


def timescale_amount(standard: Standard) -> tuple[int, str]:
    """The standard's main timescale as a number and a unit: (45, "working_days").

    The limit of a deadline or a total time, the notice of a lead time, the interval of a
    recurring standard (its first and second, if any, are in the words beside it).
    """
    for name in ("within", "at_least", "every"):
        duration: Duration | None = getattr(standard.spec, name, None)
        if duration is not None:
            return duration.value, duration.unit.value
    raise AssertionError(f"{standard.id}: a standard with no timescale")  # the models forbid it


def as_flat_rows(comparison: Comparison) -> list[dict[str, str | int]]:
    """One row per standard, for CSV: per authority the timescale in words and as a number and unit.

    The number and unit sort and filter in Excel; the words (``≤ 1 wd *``) are for reading.
    Beside them: whether it is looser than statute, where it comes from, and its source.
    """
    rows = []
    for row in comparison.rows:
        flat: dict[str, str | int] = {"id": row.id, "kind": row.kind, "title": row.title}
        for cell in row.cells:
            flat[cell.authority] = f"{cell.text}{' ' + marker(cell) if marker(cell) else ''}"
            value, unit = ("", "") if cell.standard is None else timescale_amount(cell.standard)
            flat[f"{cell.authority}_value"] = value
            flat[f"{cell.authority}_unit"] = unit
            flat[f"{cell.authority}_looser_than_statute"] = (
                "" if cell.standard is None else "yes" if cell.looser else "no"
            )
            flat[f"{cell.authority}_status"] = cell.status.value
            flat[f"{cell.authority}_source"] = cell.citation.render() if cell.citation else ""
        rows.append(flat)
    return rows


def as_markdown(comparison: Comparison) -> str:
    """A Markdown table with numbered citation footnotes."""
    notes: dict[Citation, int] = {}
    head = "| standard | " + " | ".join(comparison.authorities) + " |"
    lines = [head, "|" + "---|" * (len(comparison.authorities) + 1)]
    for row in comparison.rows:
        cells = []
        for cell in row.cells:
            if cell.status is CellStatus.ABSENT:
                cells.append("")
                continue
            assert cell.citation is not None
            number = notes.setdefault(cell.citation, len(notes) + 1)
            text = cell.text if cell.status is CellStatus.INHERITED else f"**{cell.text}**"
            cells.append(f"{text}{' ' + marker(cell) if marker(cell) else ''} [^{number}]")
        lines.append(f"| {row.title} (`{row.id}`) | " + " | ".join(cells) + " |")
    lines += [
        "",
        "**Bold**: set by that authority (not inherited). `*` differs from the first column. "
        "`!` looser than statute; `(!)` looser and acknowledged in the file.",
        "",
    ]
    lines += [f"[^{n}]: {c.render()}" for c, n in notes.items()]
    return "\n".join(lines) + "\n"


#: What a cell's standing is called on the page: a word, not only a colour.
_STATUS_WORDS = {
    CellStatus.INHERITED: "inherited",
    CellStatus.OVERRIDDEN: "set locally, replacing the inherited one",
    CellStatus.LOCAL: "local only",
    CellStatus.ABSENT: "not in force",
}
_STATUS_TAGS = {
    CellStatus.INHERITED: "inherited",
    CellStatus.OVERRIDDEN: "overrides",
    CellStatus.LOCAL: "local",
    CellStatus.ABSENT: "",
}

#: The abbreviations the cells use, spelt out.
UNITS = (
    ("h", "hours"),
    ("d", "days (calendar days)"),
    ("wd", "working days (Monday to Friday, not bank holidays)"),
    ("sd", "school days (working days in a school term, not half-term)"),
    ("wk", "weeks"),
    ("term", "school terms (by the end of the n-th term to begin after)"),
    ("mo", "calendar months"),
    ("yr", "years"),
    ("sch yr", "school years (by the 31 August ending the n-th to begin after)"),
    ("≤", "within (at most)"),
    ("≥ … before", "at least that long before"),
    ("every", "a recurring obligation; 1st, 2nd: the first and second times"),
)


def as_html(comparison: Comparison) -> str:
    """A self-contained HTML page, readable on a phone and printable.

    Every cell says in words where its standard comes from (not by colour alone), the units are
    spelt out, and each source is a numbered note that prints (also shown on hover).
    """
    e = html.escape
    colours = {
        CellStatus.INHERITED: "#ffffff",
        CellStatus.OVERRIDDEN: "#e6f0fa",
        CellStatus.LOCAL: "#eaf6ee",
        CellStatus.ABSENT: "#f4f4f4",
    }
    notes: dict[Citation, int] = {}
    head = "".join(
        f'<th scope="col">{e(title)}<br><code>{e(a)}</code></th>'
        for a, title in zip(comparison.authorities, comparison.titles, strict=True)
    )
    body = []
    for row in comparison.rows:
        tds = []
        for cell in row.cells:
            if cell.status is CellStatus.ABSENT or cell.citation is None:
                tds.append(
                    f'<td class="absent" style="background:{colours[cell.status]}">'
                    '<span class="tag">not in force</span></td>'
                )
                continue
            number = notes.setdefault(cell.citation, len(notes) + 1)
            tip = e(cell.citation.render(), quote=True)
            style = f"background:{colours[cell.status]}"
            classes = ["looser"] if cell.looser else []
            words = [_STATUS_WORDS[cell.status]]
            if cell.differs:
                words.append(f"differs from {comparison.authorities[0]}")
            if cell.looser:
                words.append(
                    "looser than statute"
                    + (", acknowledged in the file" if cell.acknowledged else "")
                )
            tag = _STATUS_TAGS[cell.status]
            flags = (" " + e(marker(cell))) if marker(cell) else ""
            tds.append(
                f'<td class="{" ".join(classes)}" style="{style}" title="{tip}">'
                f'<span class="value">{e(cell.text)}</span>{flags} '
                f'<a class="note" href="#note-{number}" aria-label="source {number}">[{number}]</a>'
                f'<span class="tag">{e(tag)}</span>'
                f'<span class="sr">{e("; ".join(words))}</span></td>'
            )
        body.append(
            f'<tr><th scope="row">{e(row.title)}<br><code>{e(row.id)}</code></th>{"".join(tds)}</tr>'
        )
    sources = "".join(
        f'<li id="note-{n}">{e(c.render())}</li>'
        for c, n in sorted(notes.items(), key=lambda x: x[1])
    )
    units = "".join(f"<dt>{e(a)}</dt><dd>{e(b)}</dd>" for a, b in UNITS)
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>casejourney: standards compared</title>
<style>
body{{font-family:Arial,'Liberation Sans',system-ui,sans-serif;margin:0 auto;padding:1.25rem;color:#1a1a1a;max-width:80rem;line-height:1.4}}
h1{{font-size:1.5rem;margin:.2rem 0 .6rem}}
.scroll{{overflow-x:auto;position:relative}}
table{{border-collapse:collapse;font-size:.9rem;margin:.6rem 0 1rem}}
caption{{text-align:left;font-weight:bold;padding:.3rem 0}}
th,td{{border:1px solid #bbb;padding:.35rem .5rem;vertical-align:top;text-align:left}}
thead th{{background:#333;color:#fff;position:sticky;top:0}}
thead th code{{color:#ddd}}
code{{color:#555;font-size:.8rem}}
td.looser{{outline:3px solid #d55e00;outline-offset:-3px}}
.tag{{display:block;font-size:.75rem;color:#595959;text-transform:uppercase;letter-spacing:.04em}}
a.note{{font-size:.75rem;color:#005a8c}}
.sr{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}}
dl.units{{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.4rem 0 1rem}}
dl.units dt{{font-weight:bold}} dl.units dd{{margin:0}}
ol.sources{{font-size:.85rem;padding-left:2.2rem}}
@media (max-width:700px){{body{{padding:.75rem;font-size:16px}} table{{font-size:.85rem}}
  tbody th{{min-width:10rem}}}}
@media print{{thead th{{position:static}} body{{max-width:none;padding:0;font-size:9.5pt}}
  tr{{break-inside:avoid}} h2{{break-after:avoid}} .scroll{{overflow:visible}}
  *{{print-color-adjust:exact;-webkit-print-color-adjust:exact}}}}
@page{{size:A4 landscape;margin:10mm}}
</style></head><body><main>
<h1>Timescale standards compared</h1>
<p>Each cell is the timescale in force for that authority. Under it, in capitals, where it comes
from: <b>inherited</b> from the file it extends, <b>overrides</b> (the authority set its own,
replacing the inherited one; also tinted blue) or <b>local</b> (only this authority; tinted green).
<b>*</b>: differs from the first column. <b>!</b> and an orange box: looser than statute
(<b>(!)</b>: looser, and acknowledged in the file). [n]: its source, listed below (hover a cell to
see it).</p>
<h2>Units</h2>
<dl class="units">{units}</dl>
<div class="scroll"><table><caption>Standards down the side, authorities across</caption>
<thead><tr><th scope="col">Standard</th>{head}</tr></thead><tbody>
{chr(10).join(body)}
</tbody></table></div>
<h2>Sources</h2>
<ol class="sources">{sources}</ol>
</main></body></html>
"""
