"""Pathway diagrams, step two: a ``Diagram`` model → Graphviz DOT source (via the ``graphviz`` package).

Consumes ``casejourney.report.diagram.Diagram``; produces DOT text. Two flavours: ``html`` (the
canonical one: HTML-like labels, one tooltip per timescale) and ``plain`` (plain-text labels, for
Graphviz builds without HTML-like label support, such as the WebAssembly fallback).
"""

from __future__ import annotations

import hashlib
import html
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

import graphviz

from casejourney.report.diagram import (
    Arrow,
    Change,
    Diagram,
    NoteItem,
    PhaseBox,
    StateBox,
    TimescaleItem,
)
from casejourney.spec.findings import Citation

__all__ = [
    "FONT",
    "NEUTRAL",
    "OKABE_ITO",
    "Styles",
    "digest",
    "dot_source",
    "phase_colour",
    "shade",
    "tint",
    "to_digraph",
]

# A sans family list: Helvetica and Arial map to Liberation Sans (metric-compatible with Arial) on
# Linux, so the layout computed here fits the text on any machine that opens the SVG.
FONT = "Helvetica,Arial,sans-serif"

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency. One per phase, in the workflow's phase order (black, as a grey tint, comes last).
OKABE_ITO = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)
TIMESCALE_COLOUR = "#A64800"  # vermillion darkened to 5.6:1 contrast on white, for small text
TEXT_COLOUR = "#1A1A1A"
MUTED = "#6B6B6B"
STUB_COLOUR = "#9A9A9A"
EDGE_COLOUR = "#4D4D4D"
CHANGE_COLOUR = {
    Change.ADDED: "#0072B2",  # Okabe-Ito blue
    Change.REMOVED: "#8C8C8C",  # grey, drawn dashed
    Change.CHANGED: "#B34700",  # Okabe-Ito vermillion, darkened for text
    Change.SAME: TEXT_COLOUR,
}
CHANGE_MARK = {Change.ADDED: "+ ", Change.REMOVED: "− ", Change.CHANGED: "Δ ", Change.SAME: ""}

#: Extra DOT attributes by element id (``state-<id>``, ``arrow-<trigger>``), for overlays.
Styles = Mapping[str, Mapping[str, str]]

STATE_WIDTH = 34  # characters per line of a state's name
TIMESCALE_WIDTH = 50  # characters per line of a timescale
ARROW_WIDTH = 32  # characters per line of an arrow's label
START = "__start__"
NOTES = "__notes__"
PAGE_SIZE = "11.7,8.3!"  # A4 landscape, inches
PAD = 0.3  # inches of white Graphviz keeps around a drawing
PER_COLUMN = 6  # timescales in one column of a state before a second column starts
MAX_COLUMNS = 4  # more would make a busy state wider than an A4 page can print legibly
STUBS_PER_ROW = 3  # a phase drawn alone: the other phases' states leading into it, per row


def tint(colour: str, amount: float = 0.8) -> str:
    """``colour`` mixed with ``amount`` of white (a light background that keeps black text legible)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(c + (255 - c) * amount) for c in (red, green, blue))
    return "#" + "".join(f"{c:02X}" for c in mixed)


def shade(colour: str, amount: float = 0.35) -> str:
    """``colour`` mixed with ``amount`` of black (a border that stands out from its tint)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * (1 - amount)):02X}" for c in (red, green, blue))


#: Phases beyond the eight Okabe–Ito colours (national's ninth, "closed") are a neutral grey,
#: so no two phases share a hue.
NEUTRAL = "#8C8C8C"


def phase_colour(index: int) -> str:
    """The phase's Okabe–Ito colour; a neutral grey for any phase after the eighth."""
    return OKABE_ITO[index] if index < len(OKABE_ITO) else NEUTRAL


# --- tooltips -----------------------------------------------------------------------------------


def _cite(citation: Citation) -> str:
    return f"{citation.document}, {citation.section}: “{citation.quote}”"


def timescale_tooltip(item: TimescaleItem) -> str:
    """What hovering a timescale shows: the standard, then its source in the document's words."""
    lines = [f"{item.title} [{item.standard}]"]
    if item.scope:
        lines.append(f"Applies in: {item.scope}")
    if len(item.citations) == 2:
        lines += [f"Was: {_cite(item.citations[0])}", f"Now: {_cite(item.citations[1])}"]
    else:
        lines += [f"Source: {_cite(c)}" for c in item.citations]
    if item.change is not Change.SAME:
        lines.append(f"({item.change.value} in this comparison)")
    return "\n".join(lines)


def note_tooltip(notes: Sequence[NoteItem]) -> str:
    """The practice expectations on a state, each with its source."""
    lines = ["Practice expectations:"]
    for note in notes:
        mark = CHANGE_MARK[note.change]
        lines.append(f"• {mark}{note.text}")
        if note.citation is not None:
            lines.append(f"    {_cite(note.citation)}")
    return "\n".join(lines)


#: Graphviz refuses a quoted string longer than 16,384 characters; a state's tooltip stays under.
STATE_TOOLTIP_LIMIT = 15_000


def state_tooltip(state: StateBox) -> str:
    """What hovering a state shows: its name, its timescales with sources, its notes."""
    parts = [state.label]
    if state.initial:
        parts[0] += " (the journey starts here)"
    if state.terminal:
        parts[0] += " (the journey ends here)"
    if state.change is not Change.SAME:
        parts[0] += f" ({state.change.value} in this comparison)"
    full = [*parts, *(timescale_tooltip(t) for t in state.timescales)]
    if state.notes:
        full.append(note_tooltip(state.notes))
    text = "\n\n".join(full)
    if len(text) <= STATE_TOOLTIP_LIMIT:
        return text
    # too long for Graphviz's quoted strings: the timescales without their quotes (hovering a
    # timescale in the box still shows its source in the document's words)
    short = [f"{t.title} [{t.standard}]" for t in state.timescales]
    parts.append("\n".join(short) + "\n(hover a timescale for its source)")
    if state.notes:
        parts.append("Practice expectations:\n" + "\n".join(f"• {n.text}" for n in state.notes))
    return "\n\n".join(parts)[:STATE_TOOLTIP_LIMIT]


def arrow_tooltip(arrow: Arrow, names: dict[str, str]) -> str:
    """What hovering an arrow shows: the move, then every standard that governs it."""
    head = f"{arrow.label}: {names.get(arrow.source, arrow.source)} → "
    head += names.get(arrow.dest, arrow.dest)
    if arrow.change is not Change.SAME:
        head += f" ({arrow.change.value} in this comparison)"
    items = [*arrow.timescales, *arrow.governed_by]
    return "\n\n".join([head, *(timescale_tooltip(t) for t in items)])


def phase_tooltip(phase: PhaseBox) -> str:
    """What hovering a phase's label shows."""
    return "\n\n".join([phase.label, *(timescale_tooltip(t) for t in phase.timescales)])


# --- footnotes ----------------------------------------------------------------------------------

#: Characters per line of a footnote's source.
NOTE_WIDTH = 110


@dataclass(frozen=True)
class Footnote:
    """One numbered note under the diagram: a standard and its source, or a state's practice."""

    number: int
    heading: str
    lines: tuple[str, ...]


class Footnotes:
    """Numbers for every timescale and practice note, in the order a reader meets them.

    Sources and practice expectations are tooltips on screen; printed, on a slide or in a PDF they
    are lost, so ``draw --notes`` numbers them and lists them under the diagram.
    """

    def __init__(self, diagram: Diagram) -> None:
        self.notes: list[Footnote] = []
        self._items: dict[str, int] = {}
        self._states: dict[str, int] = {}
        for item in diagram.throughout:
            self._item(item)
        for phase in diagram.phases:
            for item in phase.timescales:
                self._item(item)
            for state in diagram.states:
                if state.phase != phase.id or state.stub:
                    continue
                for item in state.timescales:
                    self._item(item)
                if state.notes:
                    self._states[state.id] = self._add(
                        f"Practice expectations: {state.label}",
                        [
                            f"• {CHANGE_MARK[n.change]}{n.text}"
                            + (f" ({_cite(n.citation)})" if n.citation else "")
                            for n in state.notes
                        ],
                    )
        for arrow in diagram.arrows:
            for item in arrow.timescales:
                self._item(item)

    def _add(self, heading: str, lines: list[str]) -> int:
        number = len(self.notes) + 1
        self.notes.append(Footnote(number, heading, tuple(lines)))
        return number

    def _item(self, item: TimescaleItem) -> None:
        if item.standard in self._items:
            return
        lines = [f"Applies in: {item.scope}"] if item.scope else []
        if len(item.citations) == 2:
            lines += [f"Was: {_cite(item.citations[0])}", f"Now: {_cite(item.citations[1])}"]
        else:
            lines += [_cite(c) for c in item.citations]
        self._items[item.standard] = self._add(f"{item.title} [{item.standard}]", lines)

    def item(self, item: TimescaleItem) -> int | None:
        """The number of a timescale's note."""
        return self._items.get(item.standard)

    def state(self, state: StateBox) -> int | None:
        """The number of a state's practice expectations."""
        return self._states.get(state.id)


def _numbered(text: str, number: int | None) -> str:
    return text if number is None else f"{text} [{number}]"


# --- labels -------------------------------------------------------------------------------------


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_on_hyphens=False) or [text]


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _tip(text: str) -> str:
    """Tooltip text for an HTML-like label attribute (newlines as character references)."""
    return _esc(text).replace("\n", "&#10;")


def _plain(text: str) -> str:
    """A plain DOT string: backslashes kept literal, never mistaken for an HTML-like label."""
    return cast(str, graphviz.nohtml(text.replace("\\", "\\\\")))


def _item_colour(item: TimescaleItem, comparison: bool) -> str:
    if comparison:
        return CHANGE_COLOUR[item.change] if item.change is not Change.SAME else TEXT_COLOUR
    return TIMESCALE_COLOUR


class _Labels(Protocol):
    def state(self, state: StateBox, comparison: bool) -> str: ...
    def arrow(self, arrow: Arrow, comparison: bool) -> str: ...
    def phase(self, phase: PhaseBox, comparison: bool) -> str: ...
    def title(self, diagram: Diagram) -> str: ...


class HtmlLabels:
    """HTML-like labels: bold names, coloured timescales, one tooltip per timescale."""

    def __init__(self, footnotes: Footnotes | None = None, notes_below: bool = True) -> None:
        self.footnotes = footnotes
        self.notes_below = notes_below  # False: the notes are on pages of their own (PDF)

    def _number(self, item: TimescaleItem) -> int | None:
        return None if self.footnotes is None else self.footnotes.item(item)

    def _item(self, item: TimescaleItem, comparison: bool, ident: str, size: int = 10) -> str:
        mark = CHANGE_MARK[item.change] if comparison else ""
        lines = _wrap(_numbered(mark + item.text, self._number(item)), TIMESCALE_WIDTH)
        body = '<BR ALIGN="LEFT"/>'.join(_esc(line) for line in lines) + '<BR ALIGN="LEFT"/>'
        if item.change is Change.REMOVED:
            body = f"<S>{body}</S>"
        weight = ("<B>", "</B>") if item.kind == "deadline" and not comparison else ("", "")
        colour = _item_colour(item, comparison)
        return (
            f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" HREF="#" ID="{_esc(ident)}" '
            f'TOOLTIP="{_tip(timescale_tooltip(item))}">'
            f'<FONT POINT-SIZE="{size}" COLOR="{colour}">{weight[0]}{body}{weight[1]}</FONT>'
            "</TD></TR>"
        )

    def _block(
        self,
        items: Sequence[TimescaleItem],
        comparison: bool,
        prefix: str,
        size: int = 10,
        per_column: int = PER_COLUMN,
    ) -> str:
        """Timescale rows; past ``per_column`` of them, side-by-side columns.

        Landscape pages have width to spare, not height.
        """
        rows = [self._item(t, comparison, f"{prefix}-{t.standard}", size) for t in items]
        if len(rows) <= per_column:
            return "".join(rows)
        count = min(-(-len(rows) // per_column), MAX_COLUMNS)
        height = -(-len(rows) // count)
        columns = [rows[i : i + height] for i in range(0, len(rows), height)]
        gap = '<TD WIDTH="10"></TD>'  # white space between columns
        cells = gap.join(
            '<TD VALIGN="TOP" CELLPADDING="0"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="1">{"".join(column)}</TABLE></TD>'
            for column in columns
        )
        return (
            '<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="0"><TR>{cells}</TR></TABLE></TD></TR>'
        )

    def state(self, state: StateBox, comparison: bool) -> str:
        """A state: its name in bold, then its timescales, then a pointer to its notes."""
        colour = MUTED if state.stub or state.change is Change.REMOVED else TEXT_COLOUR
        if comparison and state.change in {Change.ADDED, Change.CHANGED}:
            colour = CHANGE_COLOUR[state.change]
        mark = CHANGE_MARK[state.change] if comparison else ""
        name = "<BR/>".join(_esc(line) for line in _wrap(mark + state.label, STATE_WIDTH))
        rows = [f'<TR><TD><FONT POINT-SIZE="13" COLOR="{colour}"><B>{name}</B></FONT></TD></TR>']
        rows.append(self._block(state.timescales, comparison, f"ts-{state.id}"))
        if state.notes:
            count = len(state.notes)
            words = f"{count} practice expectation{'s' if count != 1 else ''}"
            added = sum(n.change is Change.ADDED for n in state.notes)
            if comparison and added:
                words += f" ({added} added)"
            if self.footnotes is not None:
                words = _numbered(words, self.footnotes.state(state))
            rows.append(
                f'<TR><TD HREF="#" ID="notes-{_esc(state.id)}" '
                f'TOOLTIP="{_tip(note_tooltip(state.notes))}">'
                f'<FONT POINT-SIZE="9" COLOR="{MUTED}"><I>{_esc(words)}</I></FONT></TD></TR>'
            )
        return (
            '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            + "".join(rows)
            + "</TABLE>>"
        )

    def arrow(self, arrow: Arrow, comparison: bool) -> str:
        """An arrow: the move's label, then the timescales met by taking it."""
        mark = CHANGE_MARK[arrow.change] if comparison else ""
        colour = MUTED if arrow.stub else TEXT_COLOUR
        if comparison and arrow.change is not Change.SAME:
            colour = CHANGE_COLOUR[arrow.change]
        text = "<BR/>".join(_esc(line) for line in _wrap(mark + arrow.label, ARROW_WIDTH))
        rows = [f'<TR><TD><FONT POINT-SIZE="10" COLOR="{colour}">{text}</FONT></TD></TR>']
        rows.append(self._block(arrow.timescales, comparison, f"ts-{arrow.trigger}"))
        return (
            '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
            + "".join(rows)
            + "</TABLE>>"
        )

    def phase(self, phase: PhaseBox, comparison: bool) -> str:
        """A phase's heading, with the standards that apply to the whole phase."""
        mark = CHANGE_MARK[phase.change] if comparison else ""
        rows = [
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="15"><B>{_esc(mark + phase.label)}</B>'
            "</FONT></TD></TR>"
        ]
        rows.append(self._block(phase.timescales, comparison, f"ts-{phase.id}"))
        return (
            '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            + "".join(rows)
            + "</TABLE>>"
        )

    def title(self, diagram: Diagram) -> str:
        """Heading, sources with dates, the key, and the standards that apply throughout."""
        rows = [
            f'<TR><TD ALIGN="LEFT" COLSPAN="2"><FONT POINT-SIZE="24"><B>{_esc(_heading(diagram))}'
            "</B></FONT></TD></TR>",
        ]
        documents = '<BR ALIGN="LEFT"/>'.join(_esc(line) for line in diagram.documents)
        sources = (
            f'<TD ALIGN="LEFT" BALIGN="LEFT" VALIGN="TOP"><FONT POINT-SIZE="11" '
            f'COLOR="{MUTED}"><B>Sources</B><BR ALIGN="LEFT"/>{documents}<BR ALIGN="LEFT"/>'
            "</FONT></TD>"
        )
        key = f'<TD ALIGN="LEFT" VALIGN="TOP">{self._key(diagram)}</TD>'
        if diagram.focus is None:
            rows.append(f"<TR>{sources}{key}</TR>")
        else:
            # One phase is narrow: side by side, the sources and the key made its page 16.8
            # inches wide, so fitted to A4 its 9-pt type printed under 6 pt. One above the other.
            colspan = ' COLSPAN="2"'
            rows.append(f"<TR>{sources.replace('<TD', '<TD' + colspan, 1)}</TR>")
            rows.append(f"<TR>{key.replace('<TD', '<TD' + colspan, 1)}</TR>")
        if diagram.throughout:
            items = self._block(
                diagram.throughout, diagram.comparison is not None, "ts-throughout", 10, 8
            )
            where = (
                "where each applies: in its note"
                if self.footnotes
                else "hover for where each applies"
            )
            rows.append(
                '<TR><TD ALIGN="LEFT" COLSPAN="2"><TABLE BORDER="1" COLOR="#BBBBBB" '
                'CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" BGCOLOR="#FAFAFA">'
                f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="12"><B>Throughout the case</B> '
                f'<FONT COLOR="{MUTED}">({where})</FONT></FONT></TD></TR>'
                f"{items}</TABLE></TD></TR>"
            )
        return '<<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="0">' + "".join(rows) + "</TABLE>>"

    def _key(self, diagram: Diagram) -> str:
        def cell(sample: str, words: str, attrs: str = "") -> str:
            return (
                f'<TD {attrs} CELLPADDING="3">{sample}</TD>'
                f'<TD ALIGN="LEFT"><FONT POINT-SIZE="10">{_esc(words)}</FONT></TD>'
            )

        box = '<FONT POINT-SIZE="10">State</FONT>'
        samples = [
            cell(box, "a stage of the journey", 'BORDER="1" STYLE="ROUNDED" BGCOLOR="white"'),
            cell(
                '<TABLE BORDER="1" CELLBORDER="0" CELLPADDING="2" BGCOLOR="white"><TR><TD>'
                '<FONT POINT-SIZE="10">End</FONT></TD></TR></TABLE>',
                "double border: the journey ends",
                'BORDER="1"',
            ),
            cell('<FONT POINT-SIZE="14">●→</FONT>', "where the journey starts"),
        ]
        if diagram.comparison is None:
            samples.append(
                cell(
                    f'<FONT POINT-SIZE="10" COLOR="{TIMESCALE_COLOUR}"><B>≤ 15 working days'
                    + (" [1]" if self.footnotes else "")
                    + "</B></FONT>",
                    (
                        "timescale (its source: note 1 below)"
                        if self.notes_below
                        else "timescale (source: note 1)"
                    )
                    if self.footnotes
                    else "timescale (hover for its source)",
                )
            )
        else:
            base, other = diagram.comparison
            for change, words in (
                (Change.ADDED, f"added by {other}"),
                (Change.REMOVED, f"in {base}, not in {other}"),
                (Change.CHANGED, f"changed by {other} ({base} → {other})"),
            ):
                samples.append(
                    cell(
                        f'<FONT POINT-SIZE="10" COLOR="{CHANGE_COLOUR[change]}">'
                        f"<B>{_esc(CHANGE_MARK[change].strip())}</B></FONT>",
                        words,
                    )
                )
        samples.append(
            cell(
                f'<FONT POINT-SIZE="9" COLOR="{MUTED}"><I>2 practice expectations'
                + (" [2]" if self.footnotes else "")
                + "</I></FONT>",
                (
                    "read them, with sources, in the notes below"
                    if self.notes_below
                    else "read them in the notes"
                )
                if self.footnotes
                else "hover to read them, with sources",
            )
        )
        if diagram.focus is not None:
            samples.append(
                cell(
                    f'<FONT POINT-SIZE="10" COLOR="{STUB_COLOUR}">- - →</FONT>',
                    "to or from another phase",
                )
            )
        per_row = 3
        rows = "".join(
            "<TR>" + "".join(samples[i : i + per_row]) + "</TR>"
            for i in range(0, len(samples), per_row)
        )
        return f'<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="1">{rows}</TABLE>'


class PlainLabels:
    r"""Plain-text labels (``\l`` left-justified lines); tooltips carry the sources."""

    def __init__(self, footnotes: Footnotes | None = None) -> None:
        self.footnotes = footnotes

    def _items(self, items: Iterable[TimescaleItem], comparison: bool) -> list[str]:
        lines: list[str] = []
        for item in items:
            mark = CHANGE_MARK[item.change] if comparison else ""
            number = None if self.footnotes is None else self.footnotes.item(item)
            lines += _wrap(_numbered(mark + item.text, number), TIMESCALE_WIDTH)
        return lines

    def state(self, state: StateBox, comparison: bool) -> str:
        """A state's name, then its timescales and a note count, one per line."""
        mark = CHANGE_MARK[state.change] if comparison else ""
        lines = _wrap(mark + state.label, STATE_WIDTH)
        extra = self._items(state.timescales, comparison)
        if state.notes and self.footnotes is not None:
            count = f"{len(state.notes)} practice expectations"
            extra.append(_numbered(count, self.footnotes.state(state)))
        elif state.notes:
            extra.append(f"{len(state.notes)} practice expectations (hover)")
        text = "\\n".join(_esc_plain(line) for line in lines)
        if extra:
            text += "\\n" + "".join(_esc_plain(line) + "\\l" for line in extra)
        return text

    def arrow(self, arrow: Arrow, comparison: bool) -> str:
        """An arrow's label, then its timescales."""
        mark = CHANGE_MARK[arrow.change] if comparison else ""
        lines = _wrap(mark + arrow.label, ARROW_WIDTH) + self._items(arrow.timescales, comparison)
        return "\\n".join(_esc_plain(line) for line in lines)

    def phase(self, phase: PhaseBox, comparison: bool) -> str:
        """A phase's heading and phase-wide timescales."""
        mark = CHANGE_MARK[phase.change] if comparison else ""
        lines = [mark + phase.label, *self._items(phase.timescales, comparison)]
        return "\\n".join(_esc_plain(line) for line in lines)

    def title(self, diagram: Diagram) -> str:
        """Heading and sources; the key is omitted (tooltips say what each mark means)."""
        lines = [_heading(diagram), "Sources: " + "; ".join(diagram.documents)]
        if diagram.throughout:
            lines.append("Throughout the case:")
            lines += ["  " + t.text for t in diagram.throughout]
        return "".join(_esc_plain(line) + "\\l" for line in lines)


def notes_html(footnotes: Footnotes) -> str:
    """The numbered notes as an HTML-like table, in up to three columns."""

    def row(note: Footnote) -> str:
        lines = [line for text in note.lines for line in _wrap(text, NOTE_WIDTH)]
        body = '<BR ALIGN="LEFT"/>'.join(_esc(line) for line in lines)
        heading = '<BR ALIGN="LEFT"/>'.join(_esc(x) for x in _wrap(note.heading, NOTE_WIDTH))
        return (
            f'<TR><TD ALIGN="RIGHT" VALIGN="TOP"><FONT POINT-SIZE="10"><B>[{note.number}]</B>'
            f'</FONT></TD><TD ALIGN="LEFT" BALIGN="LEFT" VALIGN="TOP"><FONT POINT-SIZE="10">'
            f'<B>{heading}</B><BR ALIGN="LEFT"/></FONT><FONT POINT-SIZE="9" COLOR="{TEXT_COLOUR}">'
            f'{body}<BR ALIGN="LEFT"/></FONT></TD></TR>'
        )

    notes = footnotes.notes
    count = 1 if len(notes) <= 8 else 2 if len(notes) <= 30 else 3
    height = -(-len(notes) // count)
    columns = [notes[i : i + height] for i in range(0, len(notes), height)]
    cells = '<TD WIDTH="16"></TD>'.join(
        '<TD VALIGN="TOP"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">'
        + "".join(row(n) for n in column)
        + "</TABLE></TD>"
        for column in columns
    )
    return (
        '<<TABLE BORDER="1" COLOR="#BBBBBB" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="white"><TR><TD ALIGN="LEFT" COLSPAN="{2 * len(columns) - 1}">'
        '<FONT POINT-SIZE="13"><B>Notes: sources and practice expectations</B></FONT></TD></TR>'
        f"<TR>{cells}</TR></TABLE>>"
    )


def notes_plain(footnotes: Footnotes) -> str:
    r"""The numbered notes as plain text, one ``\l`` line each."""
    lines = ["Notes: sources and practice expectations"]
    for note in footnotes.notes:
        lines += _wrap(f"[{note.number}] {note.heading}", NOTE_WIDTH)
        lines += ["    " + x for text in note.lines for x in _wrap(text, NOTE_WIDTH)]
    return "".join(_esc_plain(line) + "\\l" for line in lines)


def _esc_plain(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _heading(diagram: Diagram) -> str:
    if diagram.comparison is not None:
        return diagram.title
    heading = f"{diagram.title}: the child's journey"
    if diagram.focus is not None:
        label = next(p.label for p in diagram.phases if p.id == diagram.focus)
        heading += f" ({label})"
    return heading


# --- the graph ----------------------------------------------------------------------------------


def to_digraph(
    diagram: Diagram,
    *,
    flavour: str = "html",
    styles: Styles | None = None,
    notes: bool = False,
    size: str = PAGE_SIZE,
    notes_block: bool = True,
    heading: bool = True,
) -> graphviz.Digraph:
    """The diagram as a ``graphviz.Digraph``.

    Args:
        diagram: the model from :func:`casejourney.report.diagram.diagram_model` (or
            ``compare_model`` / ``select_phase``).
        flavour: ``"html"`` (HTML-like labels; the canonical output) or ``"plain"``.
        styles: extra DOT attributes by element id (``state-<id>``, ``arrow-<trigger>``),
            applied last; overlays use it to colour states and arrows by their figures.
        notes: number every timescale and practice note and list them, with their sources,
            under the diagram (for print, PDF, PNG and projectors, where tooltips are lost).
        size: Graphviz's ``size`` (inches; ``!`` scales up as well as down to fit).
        notes_block: with ``notes``, list the notes under the drawing; ``False`` keeps only the
            numbers in the drawing (a PDF prints the list on pages of its own, see
            :func:`notes_page_source`).
        heading: draw the title block (sources, key, standards throughout); ``False`` gives a
            one-line title instead (a printed phase too big for its page has the block on a
            page of its own, see :func:`heading_page_source`).

    Returns:
        A digraph whose ``.source`` is deterministic for a given model.

    """
    footnotes = Footnotes(diagram) if notes else None
    labels: _Labels = (
        HtmlLabels(footnotes, notes_block) if flavour == "html" else PlainLabels(footnotes)
    )
    comparison = diagram.comparison is not None
    graph = graphviz.Digraph(name=diagram.name, strict=False)
    graph.attr(
        rankdir="TB",
        newrank="true",
        compound="true",
        fontname=FONT,
        fontsize="12",
        fontcolor=TEXT_COLOUR,
        labelloc="t",
        labeljust="l",
        nodesep="0.2",
        ranksep="0.22",
        pad=str(PAD),
        size=size,
        outputorder="edgesfirst",
        bgcolor="white",
        tooltip=_plain(_heading(diagram)),
    )
    if heading:
        graph.attr("graph", label=_label(labels.title(diagram), flavour))
    else:
        graph.attr("graph", label=_label(_esc_plain(_heading(diagram)) + "\\l", "plain"))
    graph.attr(
        "node",
        shape="box",
        style="rounded,filled",
        fillcolor="white",
        fontname=FONT,
        fontsize="12",
        margin="0.12,0.06",
        penwidth="1.4",
    )
    graph.attr(
        "edge",
        fontname=FONT,
        fontsize="10",
        color=EDGE_COLOUR,
        arrowsize="0.7",
        penwidth="1.1",
    )
    names = {s.id: s.label for s in diagram.states}
    order = {p.id: p.index for p in diagram.phases}
    phase_of = {s.id: s.phase for s in diagram.states}
    for phase in diagram.phases:
        with graph.subgraph(name=f"cluster_{phase.id}") as cluster:
            _phase(cluster, phase, comparison, labels, flavour)
            members = [s for s in diagram.states if s.phase == phase.id and not s.stub]
            for state in members:
                _state(cluster, state, comparison, labels, flavour, phase, styles)
            # one row per phase: the journey reads top to bottom, a phase's states side by side
            if len(members) > 1:
                with cluster.subgraph() as row:
                    row.attr(rank="same")
                    for state in members:
                        row.node(state.id)
            for state in members:
                if state.initial:
                    cluster.node(
                        START,
                        label="",
                        shape="circle",
                        style="filled",
                        fillcolor=TEXT_COLOUR,
                        color=TEXT_COLOUR,
                        width="0.2",
                        fixedsize="true",
                        tooltip="The journey starts here",
                    )
                    graph.edge(START, state.id, penwidth="1.6", tooltip="start")
    for state in diagram.states:
        if state.stub:
            _state(graph, state, comparison, labels, flavour, None, styles)
    _stack_stubs(graph, diagram)
    for arrow in diagram.arrows:
        # Phases are listed in journey order: a move back up the journey (a step-down, a
        # re-referral) must not push later phases further down the page.
        backwards = order.get(phase_of.get(arrow.dest, ""), 0) < order.get(
            phase_of.get(arrow.source, ""), 0
        )
        _arrow(graph, arrow, comparison, labels, flavour, names, backwards=backwards, styles=styles)
    if footnotes is not None and footnotes.notes and notes_block:
        text = notes_html(footnotes) if flavour == "html" else notes_plain(footnotes)
        graph.node(NOTES, label=_label(text, flavour), shape="plaintext", id="notes")
        # Below everything: an invisible, weightless edge from every state pushes it down a rank.
        for state in diagram.states:
            graph.edge(state.id, NOTES, style="invis", weight="0")
    return graph


def _stack_stubs(graph: graphviz.Digraph, diagram: Diagram) -> None:
    """A phase drawn alone: the states before and after it in rows of :data:`STUBS_PER_ROW`.

    Side by side, the eight phases that can close a case make the page twice as wide as it is
    tall, too small to read on A4; an invisible edge from each to the one a row further on
    stacks them.
    """
    if diagram.focus is None:
        return
    inside = {s.id for s in diagram.states if not s.stub}
    stubs = {s.id for s in diagram.states if s.stub}
    # A state the phase leads to is drawn below it, even if it also leads back in.
    after = list(
        dict.fromkeys(a.dest for a in diagram.arrows if a.dest in stubs and a.source in inside)
    )
    before = [
        state
        for state in dict.fromkeys(a.source for a in diagram.arrows if a.source in stubs)
        if state not in after
    ]
    for row in (before, after):
        for upper, lower in zip(row, row[STUBS_PER_ROW:], strict=False):
            graph.edge(upper, lower, style="invis")


def _label(text: str, flavour: str) -> str:
    return text if flavour == "html" else cast(str, graphviz.nohtml(text))


def _phase(
    cluster: graphviz.Digraph, phase: PhaseBox, comparison: bool, labels: _Labels, flavour: str
) -> None:
    colour = phase_colour(phase.index)
    lightness = 0.9 if colour == "#000000" else 0.82  # black's tint is a mid grey otherwise
    fill, border, style = tint(colour, lightness), shade(colour, 0.15), "rounded,filled"
    if comparison:
        fill, border = "#F4F4F4", "#BBBBBB"
        if phase.change is not Change.SAME:
            border = CHANGE_COLOUR[phase.change]
        if phase.change is Change.REMOVED:
            style = "rounded,filled,dashed"
    cluster.attr(
        label=_label(labels.phase(phase, comparison), flavour),
        style=style,
        fillcolor=fill,
        color=border,
        penwidth="1.5",
        fontname=FONT,
        fontsize="15",
        labeljust="l",
        margin="8",
        tooltip=_plain(phase_tooltip(phase)),
    )


def _state(
    graph: graphviz.Digraph,
    state: StateBox,
    comparison: bool,
    labels: _Labels,
    flavour: str,
    phase: PhaseBox | None,
    styles: Styles | None = None,
) -> None:
    attrs: dict[str, str] = {
        "label": _label(labels.state(state, comparison), flavour),
        "tooltip": _plain(state_tooltip(state)),
        "URL": "#",
        "id": f"state-{state.id}",
    }
    if phase is not None and not comparison:
        attrs["color"] = shade(phase_colour(phase.index), 0.3)
    if state.terminal:
        # square corners and a double border: distinct even in greyscale
        attrs.update(style="filled", peripheries="2")
    if state.initial:
        attrs["penwidth"] = "2.6"
    if comparison and state.change is not Change.SAME:
        attrs["color"] = CHANGE_COLOUR[state.change]
        attrs["penwidth"] = "2.6"
        if state.change is Change.REMOVED:
            attrs["style"] = "rounded,filled,dashed"
            attrs["fillcolor"] = "#F2F2F2"
    if state.stub:
        attrs.update(
            style="rounded,filled,dashed",
            color=STUB_COLOUR,
            fillcolor="#F2F2F2",
            fontcolor=STUB_COLOUR,
            penwidth="1",
            peripheries="1",
        )
    attrs.update((styles or {}).get(attrs["id"], {}))
    graph.node(state.id, **attrs)


def _arrow(
    graph: graphviz.Digraph,
    arrow: Arrow,
    comparison: bool,
    labels: _Labels,
    flavour: str,
    names: dict[str, str],
    *,
    backwards: bool = False,
    styles: Styles | None = None,
) -> None:
    tooltip = _plain(arrow_tooltip(arrow, names))
    attrs: dict[str, str] = {
        "label": _label(labels.arrow(arrow, comparison), flavour),
        "tooltip": tooltip,
        "labeltooltip": tooltip,
        "URL": "#",
        "id": f"arrow-{arrow.trigger}",
    }
    if backwards:
        attrs["weight"] = "0"
    if arrow.timescales and not comparison:
        attrs.update(color=TIMESCALE_COLOUR, penwidth="2")
    if comparison and arrow.change is not Change.SAME:
        attrs.update(color=CHANGE_COLOUR[arrow.change], penwidth="2")
        if arrow.change is Change.REMOVED:
            attrs["style"] = "dashed"
    if arrow.stub:
        attrs.update(style="dashed", color=STUB_COLOUR, fontcolor=STUB_COLOUR, penwidth="1")
    attrs.update((styles or {}).get(attrs["id"], {}))
    graph.edge(arrow.source, arrow.dest, **attrs)


def dot_source(
    diagram: Diagram,
    *,
    flavour: str = "html",
    notes: bool = False,
    size: str = PAGE_SIZE,
    notes_block: bool = True,
    heading: bool = True,
) -> str:
    """The diagram as DOT text, with a digest of itself in the graph's ``comment``.

    The digest is carried into rendered SVG as an XML comment, so a test can tell whether a
    committed SVG was rendered from the current DOT without rendering it again.
    """
    body = to_digraph(
        diagram,
        flavour=flavour,
        notes=notes,
        size=size,
        notes_block=notes_block,
        heading=heading,
    ).source
    return _with_digest(body)


def note_count(diagram: Diagram) -> int:
    """How many numbered notes ``--notes`` gives ``diagram``."""
    return len(Footnotes(diagram).notes)


def _page_graph(name: str, size: str) -> graphviz.Digraph:
    """An empty graph for a printed page of text (notes, a title block): its label is the page."""
    graph = graphviz.Digraph(name=name, strict=False)
    graph.attr(
        fontname=FONT,
        fontsize="12",
        fontcolor=TEXT_COLOUR,
        labelloc="t",
        labeljust="l",
        pad=str(PAD),
        size=size,
        bgcolor="white",
    )
    return graph


def notes_page_source(diagram: Diagram, first: int, last: int, *, size: str = PAGE_SIZE) -> str:
    """DOT for a page of ``diagram``'s numbered notes ``first`` to ``last`` (0-based, end excluded).

    The numbers are those of the drawing drawn with ``notes=True``; the heading names the drawing.
    """
    footnotes = Footnotes(diagram)
    footnotes.notes = footnotes.notes[first:last]
    graph = _page_graph(f"{diagram.name}_notes", size)
    graph.attr("graph", label=_label(_esc_plain(_heading(diagram)) + "\\l", "plain"))
    graph.attr("node", fontname=FONT)
    graph.node(NOTES, label=_label(notes_html(footnotes), "html"), shape="plaintext", id="notes")
    return _with_digest(graph.source)


def heading_page_source(diagram: Diagram, *, notes: bool = False, size: str = PAGE_SIZE) -> str:
    """DOT for a page of ``diagram``'s title block alone: heading, sources, key, standards throughout.

    For a printed phase too big for one page with it; the drawing follows with a one-line title
    (``dot_source(..., heading=False)``).
    """
    labels = HtmlLabels(Footnotes(diagram) if notes else None, notes_below=False)
    graph = _page_graph(f"{diagram.name}_heading", size)
    graph.attr("graph", label=_label(labels.title(diagram), "html"))
    return _with_digest(graph.source)


def digest(dot_text: str) -> str:
    """The sha256 of DOT text without its digest comment."""
    lines = [line for line in dot_text.splitlines() if not line.lstrip().startswith("comment=")]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


DIGEST_PREFIX = "casejourney_dot_sha256:"  # no hyphens: SVG comments escape them


def _with_digest(body: str) -> str:
    head, sep, rest = body.partition("{\n")
    marker = f'\tcomment="{DIGEST_PREFIX}{digest(body)}"\n'
    return head + sep + marker + rest
