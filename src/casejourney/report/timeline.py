"""One child's journey as a timeline picture: a ``Journey`` → a 16:9 SVG for a slide or a handout.

Consumes a ``Journey`` (dated states and activities, tracked standard instances); produces SVG text
built with ``xml.etree.ElementTree``: the stages as bands coloured by phase, activities as ticks, and
one lane per standard with a marker at each due date. Hovering a marker shows the standard, its
outcome and its source. Nothing personal is drawn: a journey holds no names, dates of birth or ids.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from casejourney.journey import Journey
from casejourney.report.render_dot import FONT, phase_colour, shade, tint
from casejourney.spec.resolve import Workflow
from casejourney.tracking import Instance, Outcome

__all__ = ["timeline_svg"]

_SVG_NS = "http://www.w3.org/2000/svg"

# Phase colours and the font come from the pathway diagrams (render_dot), so a phase looks the same
# in both pictures; outcomes use the same Okabe–Ito palette, with shape as well as colour.
_MET = "#009E73"  # Okabe–Ito bluish green
_BREACH = "#D55E00"  # Okabe–Ito vermilion
_BREACH_TEXT = "#A64800"  # vermilion darkened to 5.6:1 on white, for small text
_MET_TEXT = "#006E51"  # bluish green darkened for small text
_PENDING = "#0072B2"  # Okabe–Ito blue
_WITHDRAWN = "#8C8C8C"
_INK = "#1A1A1A"
_MUTED = "#595959"
_GRID = "#D9D9D9"
_STRIPE = "#F3F3F3"

# The canvas: 16:9, in SVG user units (about pixels on a 1600-wide slide).
_WIDTH, _HEIGHT = 1600.0, 900.0
_MARGIN = 24.0
_LABEL_WIDTH = 440.0  # lane labels at the left
_SUMMARY_WIDTH = 130.0  # lane summaries at the right
_GAP = 16.0
_HEADER = 112.0
_SECTION = 28.0  # a section heading ("Stages", "Timescales")
_AXIS = 52.0
_LEGEND = 96.0  # room for the legend to wrap onto a third line
_MIN_ROW, _MAX_ROW = 20.0, 46.0

_OUTCOME_WORDS = {
    Outcome.MET: "met",
    Outcome.LATE: "late",
    Outcome.MISSED: "missed",
    Outcome.WITHDRAWN: "no longer applied",
    Outcome.PENDING: "still open",
}
# Drawn last on top: a breach must never hide under a met marker in a dense lane.
_DRAW_ORDER = {
    Outcome.WITHDRAWN: 0,
    Outcome.MET: 1,
    Outcome.PENDING: 2,
    Outcome.LATE: 3,
    Outcome.MISSED: 4,
}


# --- what is drawn ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stay:
    """One stretch of time in a state: entered on ``start``, left on ``end``."""

    state: str
    start: dt.date
    end: dt.date
    ongoing: bool  # still in this state at the end of the record


@dataclass
class _Lane:
    """A row of the picture: a state (with its stays) or a standard (with its instances)."""

    key: str
    label: str
    tooltip: str
    colour: str = _INK
    edge: str = _INK
    stays: list[_Stay] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)


def _stays(journey: Journey) -> list[_Stay]:
    """Each stretch spent in a state, in order."""
    states = journey.workflow.states
    entries = [e for e in journey.events if e.name in states]
    out: list[_Stay] = []
    for i, event in enumerate(entries):
        if i + 1 < len(entries):
            out.append(_Stay(event.name, event.day, entries[i + 1].day, ongoing=False))
        elif states[event.name].terminal:
            out.append(_Stay(event.name, event.day, event.day, ongoing=False))
        else:
            out.append(_Stay(event.name, event.day, max(event.day, journey.until), ongoing=True))
    return out


def _phase_colours(workflow: Workflow) -> dict[str, tuple[str, str]]:
    """Each phase's band fill and edge: its diagram colour, lightened, with a darker border.

    Lightening keeps ticks legible on the band, and a vermilion or black phase from being read as a
    breach or a gap.
    """
    return {
        p: (tint(phase_colour(i), 0.35), shade(phase_colour(i), 0.3))
        for i, p in enumerate(workflow.phases)
    }


def _state_lanes(journey: Journey) -> list[_Lane]:
    """One lane per state visited, in the order first entered."""
    workflow = journey.workflow
    colours = _phase_colours(workflow)
    lanes: dict[str, _Lane] = {}
    for stay in _stays(journey):
        state = workflow.states[stay.state]
        if stay.state not in lanes:
            phase = workflow.phases[state.phase].label
            fill, edge = colours[state.phase]
            lanes[stay.state] = _Lane(
                stay.state, state.label, f"{state.label} ({phase})", fill, edge
            )
        lanes[stay.state].stays.append(stay)
    return list(lanes.values())


def _standard_lanes(journey: Journey) -> list[_Lane]:
    """One lane per standard that applied, in the order each first fell due."""
    lanes: dict[str, _Lane] = {}
    for instance in sorted(journey.instances, key=lambda i: (i.due, i.opened)):
        if instance.standard not in lanes:
            standard = journey.workflow.standards[instance.standard]
            lanes[instance.standard] = _Lane(
                instance.standard,
                standard.spec.title,
                f"{standard.spec.title}\n{_source(journey.workflow, instance.standard)}",
            )
        lanes[instance.standard].instances.append(instance)
    return list(lanes.values())


# --- words --------------------------------------------------------------------------------------


def _day(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _long_day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}" if n == 1 else f"{n:g} {word}s"


def _lateness(instance: Instance) -> str:
    """How late, in the standard's own terms: working or school days, or calendar days."""
    if instance.unit in ("working_days", "school_days"):
        return _plural(instance.late_units, instance.unit.replace("_", " ")[:-1])
    return _plural(instance.late_days, "day")


def _breach_label(instance: Instance) -> str:
    if instance.outcome is Outcome.LATE:
        return f"late by {_lateness(instance)}"
    return f"missed ({_lateness(instance)} overdue)"


def _short_breach_label(instance: Instance) -> str:
    counted = {"working_days": "wd", "school_days": "sd"}.get(instance.unit)
    unit = counted or "d"
    amount = instance.late_units if counted else instance.late_days
    return f"+{amount:g}{unit}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _source(workflow: Workflow, standard_id: str) -> str:
    citation = workflow.standards[standard_id].citation
    return f"Source: {citation.document}, {citation.section}:\n\u201c{citation.quote}\u201d"


def _instance_tooltip(workflow: Workflow, instance: Instance) -> str:
    title = workflow.standards[instance.standard].spec.title
    lines = [f"{title} ({_ordinal(instance.occurrence)})", f"Due {_day(instance.due)}"]
    if instance.outcome is Outcome.MET and instance.done is not None:
        lines.append(f"Met: done {_day(instance.done)}")
    elif instance.outcome is Outcome.LATE and instance.done is not None:
        lines.append(f"LATE: done {_day(instance.done)}, late by {_lateness(instance)}")
    elif instance.outcome is Outcome.MISSED:
        lines.append(f"MISSED: not done; {_lateness(instance)} overdue")
    elif instance.outcome is Outcome.PENDING:
        lines.append("Still open at the end of the record")
    else:
        lines.append("No longer applied: the case moved on before it fell due")
    lines.append(f"Opened {_day(instance.opened)}")
    lines.append(_source(workflow, instance.standard))
    return "\n".join(lines)


def _duration_words(start: dt.date, end: dt.date) -> str:
    days = (end - start).days
    if days < 1:
        return "same day"
    if days < 60:
        return _plural(days, "day")
    return _plural(round(days / 30.4375), "month")


# --- measuring text (no font metrics at hand: a conservative estimate for common sans fonts) ----

# Advance widths in em of Arial / Liberation Sans, rounded up; other sans fonts are close.
_WIDTHS = {
    **dict.fromkeys("ijl'|", 0.23),
    **dict.fromkeys(" .,:;!()[]ftrI-", 0.34),
    **dict.fromkeys("sczJ", 0.51),
    **dict.fromkeys("mM", 0.84),
    **dict.fromkeys("wW", 0.78),
    **dict.fromkeys("ABCDEGHKNOPQRSUVXYZ&", 0.72),
    **dict.fromkeys("FLT", 0.62),
    "…": 1.0,
}


def _text_width(text: str, size: float) -> float:
    """Estimated width of ``text`` at ``size`` (a little generous, so labels never collide)."""
    return size * sum(_WIDTHS.get(char, 0.57) for char in text) * 1.03


def _wrap(text: str, size: float, width: float) -> list[str]:
    """``text`` in at most two lines of ``width``, the second cut with an ellipsis if need be."""
    words = text.split()
    line = ""
    for n, word in enumerate(words):
        trial = f"{line} {word}".strip()
        if line and _text_width(trial, size) > width:
            return [line, _fit(" ".join(words[n:]), size, width)]
        line = trial
    return [line]


def _fit(text: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width``."""
    if _text_width(text, size) <= width:
        return text
    cut = text
    while cut and _text_width(cut + "…", size) > width:
        cut = cut[:-1]
    return cut.rstrip(" ,;:(") + "…"


# --- geometry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Where things go: the canvas size, the plot's x range and the dates it spans."""

    width: float
    height: float
    row: float
    first: dt.date
    last: dt.date
    left: float
    right: float

    def x(self, day: dt.date) -> float:
        span = max((self.last - self.first).days, 1)
        return self.left + (self.right - self.left) * (day - self.first).days / span

    @property
    def font(self) -> float:
        return max(13.0, min(18.0, self.row * 0.6))

    @property
    def radius(self) -> float:
        return max(5.0, min(9.0, self.row * 0.28))


def _frame(journey: Journey, rows: int) -> _Frame:
    """Sizes the canvas: 16:9, rows as tall as fits; the whole canvas grows if rows would cramp."""
    fixed = _HEADER + 2 * _SECTION + _GAP + _AXIS + _LEGEND + _MARGIN
    row = min(_MAX_ROW, (_HEIGHT - fixed) / max(rows, 1))
    width, height = _WIDTH, _HEIGHT
    if row < _MIN_ROW:
        row = _MIN_ROW
        height = fixed + rows * row
        width = height * 16 / 9
    first = journey.events[0].day if journey.events else journey.until
    days = [journey.until, *(i.due for i in journey.instances)]
    days += [i.done for i in journey.instances if i.done is not None]
    last = max(days)
    # A little room after the last date, so end markers and labels are not cut off.
    span = max((last - first).days, 7)
    first -= dt.timedelta(days=max(1, round(span * 0.01)))
    last += dt.timedelta(days=max(1, round(span * 0.03)))
    left = _MARGIN + _LABEL_WIDTH + _GAP
    right = width - _MARGIN - _SUMMARY_WIDTH - _GAP
    return _Frame(width, height, row, first, last, left, right)


@dataclass(frozen=True)
class _Tick:
    day: dt.date
    label: str
    major: str = ""  # a year (or month) written under the first tick that starts it


def _month_starts(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = dt.date(first.year, first.month, 1)
    while day <= last:
        yield day
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _days(frame: _Frame, weekday: int | None = None) -> list[dt.date]:
    """Every day drawn (or every Monday, for ``weekday=0``)."""
    days = [frame.first + dt.timedelta(days=n) for n in range((frame.last - frame.first).days + 1)]
    return days if weekday is None else [d for d in days if d.weekday() == weekday]


def _ticks(frame: _Frame) -> tuple[list[_Tick], list[dt.date]]:
    """Labelled ticks and the light gridlines between them, spaced for the span drawn.

    Days or weeks for a short journey (a few weeks), months for a longer one, fewer labelled months
    as the span grows; a year (or month) is written once, under the first tick that starts it.
    """
    per_day = (frame.right - frame.left) / max((frame.last - frame.first).days, 1)
    room = frame.font * 3.6  # about the width of "Sep" or "28 Feb" plus a gap
    step = next((s for s in (1, 2, 7, 14) if s * per_day >= room * 1.7), None)
    if step is None:
        return _month_ticks(frame, per_day, room)
    ticks: list[_Tick] = []
    seen: set[tuple[int, int]] = set()
    for n, day in enumerate(_days(frame, 0 if step >= 7 else None)):
        if n % (step // 7 if step >= 7 else step):
            continue
        major = "" if (day.year, day.month) in seen else f"{day:%B %Y}"
        seen.add((day.year, day.month))
        ticks.append(_Tick(day, f"{day.day} {day:%b}", major))
    grid = [] if step == 1 else _days(frame) if step <= 7 else _days(frame, 0)
    return ticks, grid


def _month_ticks(frame: _Frame, per_day: float, room: float) -> tuple[list[_Tick], list[dt.date]]:
    step = next((s for s in (1, 2, 3, 6, 12) if s * 30.4 * per_day >= room), 24)
    months = [m for m in _month_starts(frame.first, frame.last) if m >= frame.first]
    ticks: list[_Tick] = []
    seen: set[int] = set()
    for day in months:
        if (day.month - 1) % step:
            continue
        major = "" if day.year in seen else str(day.year)
        seen.add(day.year)
        ticks.append(_Tick(day, "" if step == 12 else f"{day:%b}", major))
    if 7 * per_day >= 24:  # weekly gridlines on a journey of a few months, not on years
        return ticks, sorted({*months, *_days(frame, 0)})
    return ticks, months if 30.4 * per_day >= 6 else []


# --- drawing ------------------------------------------------------------------------------------


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    """A child element; attribute names use ``_`` for ``-`` (``font_size`` → ``font-size``)."""
    element = ET.SubElement(
        parent, tag, {k.rstrip("_").replace("_", "-"): _num(v) for k, v in attrs.items()}
    )
    if text is not None:
        element.text = text
    return element


def _num(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def _tip(parent: ET.Element, text: str) -> None:
    """A hover tooltip: the first child ``<title>``."""
    parent.insert(0, ET.Element("title"))
    parent[0].text = text


def _text(
    parent: ET.Element, x: float, y: float, text: str, size: float, **attrs: object
) -> ET.Element:
    return _el(parent, "text", text, x=x, y=y, font_size=size, **attrs)


@dataclass
class _Picture:
    """The SVG under construction and the frame it is drawn in."""

    journey: Journey
    frame: _Frame
    root: ET.Element

    def header(self, lanes: Sequence[_Lane]) -> None:
        workflow, f = self.journey.workflow, self.frame
        start = self.journey.events[0].day if self.journey.events else self.journey.until
        title = f"{workflow.title}: one child's journey from {_long_day(start)}"
        _text(
            self.root,
            _MARGIN,
            48,
            _fit(title, 30, f.width - 2 * _MARGIN),
            30.0,
            font_weight="bold",
            fill=_INK,
            class_="title",
        )
        counts = {o: sum(i.outcome is o for i in self.journey.instances) for o in Outcome}
        n = len(self.journey.instances)
        parts = [f"Record ends {_long_day(self.journey.until)}"]
        if n:
            parts.append(
                f"{_plural(n, 'due date')} across {_plural(len(lanes), 'standard')}: "
                f"{counts[Outcome.MET]} met on time, {counts[Outcome.LATE]} late, "
                f"{counts[Outcome.MISSED]} missed"
            )
            parts += [
                f"{counts[o]} {_OUTCOME_WORDS[o]}"
                for o in (Outcome.PENDING, Outcome.WITHDRAWN)
                if counts[o]
            ]
        else:
            parts.append("no timescale fell due")
        _text(
            self.root,
            _MARGIN,
            82,
            _fit("   ·   ".join(parts), 19.0, f.width - 2 * _MARGIN),
            19.0,
            fill=_MUTED,
            class_="subtitle",
        )

    def section(self, top: float, words: str, note: str) -> None:
        size = self.frame.font + 1
        y = top + _SECTION - 8
        head = _text(self.root, _MARGIN, y, words, size, font_weight="bold", fill=_INK)
        head.set("class", "section")
        _text(self.root, _MARGIN + _text_width(words, size) + 12, y, note, size - 2, fill=_MUTED)

    def stripes(self, lanes: Sequence[_Lane], top: float) -> None:
        f = self.frame
        for n, _lane in enumerate(lanes):
            if n % 2 == 0:
                _el(
                    self.root,
                    "rect",
                    x=_MARGIN,
                    y=top + n * f.row,
                    width=f.width - 2 * _MARGIN,
                    height=f.row,
                    fill=_STRIPE,
                )

    def label_style(self, lanes: Sequence[_Lane], *, swatch: bool) -> tuple[float, bool]:
        """One text size for a whole section of lane labels, and whether they wrap to two lines.

        One line at the full size if every label fits; else two lines if the rows are tall enough
        for a legible size; else one line at a size that fits more words, cut with an ellipsis.
        """
        f = self.frame
        width = self._label_width(swatch)
        widest = max((_text_width(lane.label, 1.0) for lane in lanes), default=1.0)
        one_line = min(f.font, width / widest)
        two_lines = min(f.font * 0.85, (f.row - 4) / 2.2)
        if one_line >= max(two_lines, 12.5):
            return one_line, False
        if two_lines >= 12.5:
            return two_lines, True
        return min(f.font, 14.5), False

    def _label_width(self, swatch: bool) -> float:
        return _LABEL_WIDTH - 6 - (self.frame.font * 0.8 + 8 if swatch else 0)

    def lane_label(self, lane: _Lane, y: float, style: tuple[float, bool], *, swatch: bool) -> None:
        f = self.frame
        size, wrap = style
        group = _el(self.root, "g", class_="lane-label")
        _tip(group, lane.tooltip)
        x = _MARGIN + 6
        if swatch:
            side = f.font * 0.8
            _el(
                group,
                "rect",
                x=x,
                y=y + (f.row - side) / 2,
                width=side,
                height=side,
                fill=lane.colour,
                stroke=lane.edge,
                stroke_width=1,
            )
            x += side + 8
        width = self._label_width(swatch)
        lines = _wrap(lane.label, size, width) if wrap else [_fit(lane.label, size, width)]
        first = y + f.row / 2 + size * 0.35 - (len(lines) - 1) * size * 0.55
        for n, line in enumerate(lines):
            _text(group, x, first + n * size * 1.1, line, size, fill=_INK)

    def summary(self, y: float, text: str, colour: str) -> None:
        f = self.frame
        x = f.width - _MARGIN - 6
        _text(
            self.root,
            x,
            y + f.row / 2 + f.font * 0.35,
            text,
            f.font - 1,
            fill=colour,
            text_anchor="end",
            class_="lane-summary",
        )


def _svg_root(frame: _Frame, journey: Journey) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": _SVG_NS,
            "width": _num(frame.width),
            "height": _num(frame.height),
            "viewBox": f"0 0 {_num(frame.width)} {_num(frame.height)}",
            "font-family": FONT,
            "role": "img",
            "class": "casejourney-timeline",
        },
    )
    _el(root, "title", f"One child's journey: {journey.workflow.title}")
    _el(
        root,
        "desc",
        "Stages of the journey as bands coloured by phase, activities as ticks, and one row per "
        "timescale with a marker at each due date: met, late, missed, still open.",
    )
    _el(root, "rect", x=0, y=0, width=frame.width, height=frame.height, fill="#FFFFFF")
    return root


def _draw_grid(picture: _Picture, top: float, bottom: float) -> None:
    f = picture.frame
    ticks, grid = _ticks(f)
    axis = _el(picture.root, "g", class_="axis")
    for day in grid:
        x = f.x(day)
        _el(axis, "line", x1=x, y1=top, x2=x, y2=bottom, stroke=_GRID, stroke_width=0.6)
    for tick in ticks:
        x = f.x(tick.day)
        strong = bool(tick.major) and tick.day.month == 1 and tick.day.day == 1
        _el(
            axis,
            "line",
            x1=x,
            y1=top,
            x2=x,
            y2=bottom + 6,
            stroke=_MUTED if strong else "#B0B0B0",
            stroke_width=1.2 if strong else 0.8,
        )
        if tick.label:
            _text(axis, x, bottom + 8 + f.font, tick.label, f.font, fill=_INK, text_anchor="middle")
        if tick.major:
            _text(
                axis,
                x,
                bottom + 12 + 2 * f.font,
                tick.major,
                f.font,
                fill=_INK,
                font_weight="bold",
                text_anchor="middle",
            )
    _el(axis, "line", x1=f.left, y1=bottom, x2=f.right, y2=bottom, stroke=_INK, stroke_width=1)


def _draw_record_end(picture: _Picture, top: float, bottom: float) -> None:
    f = picture.frame
    end = f.x(picture.journey.until)
    mark = _el(picture.root, "g", class_="record-end")
    _tip(mark, f"The record ends on {_day(picture.journey.until)}")
    _el(
        mark,
        "line",
        x1=end,
        y1=top - 4,
        x2=end,
        y2=bottom,
        stroke=_INK,
        stroke_width=1.2,
        stroke_dasharray="5 4",
    )
    _text(mark, end - 4, top - 6, "record ends", f.font - 2, fill=_MUTED, text_anchor="end")


def _activity_name(workflow: Workflow, name: str) -> str:
    return workflow.activities[name].label if name in workflow.activities else name


def _draw_states(picture: _Picture, lanes: Sequence[_Lane], top: float) -> None:
    f, workflow = picture.frame, picture.journey.workflow
    lane_of = {lane.key: n for n, lane in enumerate(lanes)}
    style = picture.label_style(lanes, swatch=True)
    for n, lane in enumerate(lanes):
        y = top + n * f.row
        picture.lane_label(lane, y, style, swatch=True)
        for stay in lane.stays:
            _draw_stay(picture, lane, stay, y)
    # Activities as a rug of ticks under the band of the state the case was in at the time.
    ticks = _el(picture.root, "g", class_="activities")
    current: str | None = None
    for event in picture.journey.events:
        if event.name in workflow.states:
            current = event.name
            continue
        if current is None or current not in lane_of:
            continue
        x, y = f.x(event.day), top + lane_of[current] * f.row
        tick = _el(
            ticks, "g", class_="activity", data_activity=event.name, data_day=event.day.isoformat()
        )
        _tip(tick, f"{_activity_name(workflow, event.name)}, {_day(event.day)}")
        _el(
            tick,
            "line",
            x1=x,
            y1=y + f.row * 0.68,
            x2=x,
            y2=y + f.row * 0.94,
            stroke=_INK,
            stroke_width=1.4,
        )


def _draw_stay(picture: _Picture, lane: _Lane, stay: _Stay, y: float) -> None:
    f, workflow = picture.frame, picture.journey.workflow
    group = _el(
        picture.root,
        "g",
        class_="state-band",
        data_state=stay.state,
        data_start=stay.start.isoformat(),
        data_end=stay.end.isoformat(),
    )
    state = workflow.states[stay.state]
    phase = workflow.phases[state.phase].label
    if stay.start == stay.end:
        when = _day(stay.start)
    else:
        when = f"{_day(stay.start)} to {_day(stay.end)} ({_duration_words(stay.start, stay.end)})"
        when += ", still open at the end of the record" if stay.ongoing else ""
    _tip(group, f"{state.label} ({phase})\n{when}")
    x0, x1 = f.x(stay.start), f.x(stay.end)
    top, height = y + f.row * 0.14, f.row * 0.5
    if x1 - x0 < 4:
        # A same-day stage (a conference, the closure) is a diamond, not a hairline band.
        cx, cy, r = (x0 + x1) / 2, top + height / 2, height * 0.62
        points = f"{cx:.1f},{cy - r:.1f} {cx + r:.1f},{cy:.1f} {cx:.1f},{cy + r:.1f} {cx - r:.1f},{cy:.1f}"
        _el(group, "polygon", points=points, fill=lane.colour, stroke=lane.edge, stroke_width=1.2)
        return
    _el(
        group,
        "rect",
        x=x0,
        y=top,
        width=x1 - x0,
        height=height,
        rx=3,
        fill=lane.colour,
        stroke=lane.edge,
        stroke_width=1,
    )
    if stay.ongoing:
        _el(
            group,
            "polygon",
            fill=lane.colour,
            stroke=lane.edge,
            stroke_width=1,
            points=f"{x1:.1f},{top - 3:.1f} {x1 + 9:.1f},{top + height / 2:.1f} "
            f"{x1:.1f},{top + height + 3:.1f}",
        )


# --- markers ------------------------------------------------------------------------------------


def _marker(parent: ET.Element, outcome: Outcome, cx: float, cy: float, r: float) -> None:
    """A marker whose shape, not only its colour, says the outcome."""
    if outcome is Outcome.MET:
        _el(parent, "circle", cx=cx, cy=cy, r=r, fill=_MET, stroke="#FFFFFF", stroke_width=1)
        _el(
            parent,
            "path",
            fill="none",
            stroke="#FFFFFF",
            stroke_width=max(1.6, r * 0.32),
            stroke_linecap="round",
            stroke_linejoin="round",
            d=f"M{cx - r * 0.5:.1f},{cy + r * 0.02:.1f} L{cx - r * 0.12:.1f},{cy + r * 0.4:.1f} "
            f"L{cx + r * 0.52:.1f},{cy - r * 0.38:.1f}",
        )
    elif outcome is Outcome.LATE:
        s = r * 1.25
        _el(
            parent,
            "polygon",
            fill=_BREACH,
            stroke="#FFFFFF",
            stroke_width=1,
            points=f"{cx:.1f},{cy - s:.1f} {cx + s:.1f},{cy:.1f} {cx:.1f},{cy + s:.1f} "
            f"{cx - s:.1f},{cy:.1f}",
        )
        _el(
            parent,
            "path",
            stroke="#FFFFFF",
            stroke_width=max(1.6, r * 0.3),
            stroke_linecap="round",
            d=f"M{cx:.1f},{cy - r * 0.5:.1f} V{cy + r * 0.1:.1f} "
            f"M{cx:.1f},{cy + r * 0.45:.1f} V{cy + r * 0.5:.1f}",
        )
    elif outcome is Outcome.MISSED:
        s = r * 0.8
        _el(parent, "circle", cx=cx, cy=cy, r=r * 1.1, fill="#FFFFFF")
        _el(
            parent,
            "path",
            stroke=_BREACH,
            stroke_width=max(2.5, r * 0.5),
            stroke_linecap="round",
            d=f"M{cx - s:.1f},{cy - s:.1f} L{cx + s:.1f},{cy + s:.1f} "
            f"M{cx - s:.1f},{cy + s:.1f} L{cx + s:.1f},{cy - s:.1f}",
        )
    elif outcome is Outcome.PENDING:
        _el(
            parent,
            "circle",
            cx=cx,
            cy=cy,
            r=r * 0.9,
            fill="#FFFFFF",
            stroke=_PENDING,
            stroke_width=2.2,
        )
    else:
        _el(
            parent,
            "circle",
            cx=cx,
            cy=cy,
            r=r * 0.7,
            fill="#FFFFFF",
            stroke=_WITHDRAWN,
            stroke_width=1.5,
            stroke_dasharray="2 2",
        )


@dataclass
class _Occupied:
    """Spans of a lane already taken by markers and labels, so labels never overlap them."""

    spans: list[tuple[float, float]] = field(default_factory=list)

    def free(self, x0: float, x1: float) -> bool:
        return all(x1 <= a or x0 >= b for a, b in self.spans)

    def take(self, x0: float, x1: float) -> None:
        self.spans.append((x0, x1))


def _draw_standards(picture: _Picture, lanes: Sequence[_Lane], top: float) -> None:
    f = picture.frame
    style = picture.label_style(lanes, swatch=False)
    for n, lane in enumerate(lanes):
        y = top + n * f.row
        cy = y + f.row / 2
        picture.lane_label(lane, y, style, swatch=False)
        group = _el(picture.root, "g", class_="standard-lane", data_standard=lane.key)
        occupied = _Occupied()
        for instance in lane.instances:
            x = f.x(instance.due)
            occupied.take(x - f.radius * 1.3, x + f.radius * 1.3)
        for instance in sorted(lane.instances, key=lambda i: (_DRAW_ORDER[i.outcome], i.due)):
            _draw_instance(picture, group, instance, cy)
        for instance in lane.instances:
            if instance.breached:
                _breach_text(picture, group, instance, cy, occupied)
        picture.summary(y, *_lane_summary(lane.instances))
    if not lanes:
        _text(
            picture.root,
            f.left,
            top + f.row * 0.7,
            "No timescale applied to this journey.",
            f.font,
            fill=_MUTED,
            font_style="italic",
        )


def _draw_instance(picture: _Picture, lane: ET.Element, instance: Instance, cy: float) -> None:
    f, workflow = picture.frame, picture.journey.workflow
    group = _el(
        lane,
        "g",
        class_=f"instance {instance.outcome.value}",
        data_standard=instance.standard,
        data_outcome=instance.outcome.value,
        data_occurrence=instance.occurrence,
        data_due=instance.due.isoformat(),
    )
    if instance.breached:
        group.set("data-breach", "true")
    _tip(group, _instance_tooltip(workflow, instance))
    x = f.x(instance.due)
    stop = instance.done
    if instance.outcome is Outcome.MISSED:
        stop = instance.due + dt.timedelta(days=instance.late_days)
    if instance.breached and stop is not None and stop != instance.due:
        # How overdue: a vermilion bar from the due date to when it was done (or stopped applying).
        xs = f.x(stop)
        dash = "4 3" if instance.outcome is Outcome.MISSED else "none"
        _el(
            group,
            "line",
            x1=x,
            y1=cy,
            x2=xs,
            y2=cy,
            stroke=_BREACH,
            stroke_width=3,
            stroke_dasharray=dash,
        )
        if instance.done is not None:
            _el(group, "circle", cx=xs, cy=cy, r=3, fill=_BREACH)
    _marker(group, instance.outcome, x, cy, f.radius)


def _breach_text(
    picture: _Picture, lane: ET.Element, instance: Instance, cy: float, occupied: _Occupied
) -> None:
    """'late by N working days' beside a breach, if there is room; a short form, or none."""
    f = picture.frame
    size = f.font - 1
    x = f.x(instance.due) + f.radius * 1.4 + 3
    if instance.done is not None or instance.outcome is Outcome.MISSED:
        stop = instance.done or instance.due + dt.timedelta(days=instance.late_days)
        x = max(x, f.x(stop) + 5)
    for text in (_breach_label(instance), _short_breach_label(instance)):
        width = _text_width(text, size)
        if x + width <= f.right + _GAP and occupied.free(x, x + width):
            occupied.take(x, x + width + 4)
            _text(
                lane,
                x,
                cy + size * 0.35,
                text,
                size,
                fill=_BREACH_TEXT,
                font_weight="bold",
                class_="breach-label",
            )
            return


def _lane_summary(instances: Sequence[Instance]) -> tuple[str, str]:
    late = sum(i.outcome is Outcome.LATE for i in instances)
    missed = sum(i.outcome is Outcome.MISSED for i in instances)
    if late or missed:
        parts = [f"{late} late"] if late else []
        parts += [f"{missed} missed"] if missed else []
        return ", ".join(parts) + f" of {len(instances)}", _BREACH_TEXT
    met = sum(i.outcome is Outcome.MET for i in instances)
    if met == len(instances):
        return ("met" if met == 1 else f"all {met} met"), _MET_TEXT
    words = [f"{met} met"] if met else []
    words += [
        f"{sum(i.outcome is o for i in instances)} {_OUTCOME_WORDS[o]}"
        for o in (Outcome.PENDING, Outcome.WITHDRAWN)
        if any(i.outcome is o for i in instances)
    ]
    return ", ".join(words), _MUTED


@dataclass
class _Flow:
    """Legend entries laid out left to right, wrapping onto a new line at the right margin."""

    size: float
    left: float
    right: float
    y: float
    x: float = 0.0

    def __post_init__(self) -> None:
        self.x = self.left

    def place(self, width: float) -> tuple[float, float]:
        """Where an entry ``width`` wide goes (its left end and text baseline)."""
        if self.x > self.left and self.x + width > self.right:
            self.x, self.y = self.left, self.y + self.size * 1.7
        x = self.x
        self.x += width + self.size * 1.4
        return x, self.y

    def newline(self) -> None:
        self.x, self.y = self.left, self.y + self.size * 1.7


def _draw_legend(picture: _Picture, lanes: Sequence[_Lane], top: float) -> None:
    f, workflow = picture.frame, picture.journey.workflow
    legend = _el(picture.root, "g", class_="legend")
    size = f.font - 1
    r = max(6.0, f.radius)
    flow = _Flow(size, _MARGIN + 6, f.width - _MARGIN, top + size)
    keys = [
        (Outcome.MET, "met on time"),
        (Outcome.LATE, "late (done after the due date)"),
        (Outcome.MISSED, "missed (not done)"),
        (Outcome.PENDING, "still open"),
        (Outcome.WITHDRAWN, "no longer applied"),
    ]
    for outcome, words in keys:
        x, y = flow.place(2 * r + 6 + _text_width(words, size))
        _marker(legend, outcome, x + r, y - size * 0.35, r)
        _text(legend, x + 2 * r + 6, y, words, size, fill=_INK)
    hint = "Markers sit on the due date; hover for the rule and its source."
    x, y = flow.place(_text_width(hint, size))
    _text(legend, x, y, hint, size, fill=_MUTED)
    flow.newline()
    x, y = flow.place(_text_width("Phases:", size) - size * 0.8)
    _text(legend, x, y, "Phases:", size, fill=_INK, font_weight="bold")
    colours = _phase_colours(workflow)
    side = size * 0.9
    for phase in dict.fromkeys(workflow.states[lane.key].phase for lane in lanes):
        label = workflow.phases[phase].label
        x, y = flow.place(side + 6 + _text_width(label, size))
        fill, edge = colours[phase]
        _el(
            legend,
            "rect",
            x=x,
            y=y - side * 0.85,
            width=side,
            height=side,
            fill=fill,
            stroke=edge,
            stroke_width=1,
        )
        _text(legend, x + side + 6, y, label, size, fill=_INK)
    x, y = flow.place(8 + _text_width("activity recorded", size))
    _el(legend, "line", x1=x, y1=y - size * 0.85, x2=x, y2=y + 2, stroke=_INK, stroke_width=1.4)
    _text(legend, x + 8, y, "activity recorded", size, fill=_INK)


def timeline_svg(journey: Journey) -> str:
    """One child's journey as a timeline picture (SVG text, 16:9).

    Each stage the case passed through is a band coloured by its phase; each activity recorded is a
    tick beneath the stage it happened in; each standard that applied has its own lane, labelled at
    the left, with a marker at every due date: met, late (with "late by N working days"), missed,
    still open, or no longer applied. Every marker's tooltip gives the standard, the due date, the
    outcome and the source (document, section and quote). Nothing personal is drawn.

    Args:
        journey: the dated journey and its standard instances.

    Returns:
        The SVG document as a string (UTF-8 text, with an XML declaration).

    """
    states = _state_lanes(journey)
    standards = _standard_lanes(journey)
    frame = _frame(journey, len(states) + max(len(standards), 1))
    picture = _Picture(journey, frame, _svg_root(frame, journey))
    picture.header(standards)
    states_top = _HEADER + _SECTION
    standards_top = states_top + len(states) * frame.row + _GAP + _SECTION
    bottom = standards_top + max(len(standards), 1) * frame.row
    # Stripes and gridlines first, so bands and markers are drawn over them.
    picture.stripes(states, states_top)
    picture.stripes(standards, standards_top)
    _draw_grid(picture, states_top, bottom)
    _draw_record_end(picture, states_top, bottom)
    picture.section(_HEADER, "Stages", "coloured by phase; ticks are activities recorded")
    _draw_states(picture, states, states_top)
    picture.section(
        standards_top - _SECTION, "Timescales", "one row per standard; a marker at each due date"
    )
    _draw_standards(picture, standards, standards_top)
    _draw_legend(picture, states, bottom + _AXIS)
    ET.indent(picture.root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        picture.root, encoding="unicode"
    )
