"""The pathway diagram with a run's breaches on it: results → an overlaid ``Diagram`` and its colours.

Consumes the pathway model (``diagram.diagram_model``) and one or more runs
(:class:`~casejourney.report.charts_data.RunResults`); produces the same model with each timescale's
% late (and each stage's open cases) written on its label, plus DOT styles that colour arrows and
state borders by how often their timescales were breached and fill states by how much their
backlog grew. Rendering reuses ``render_dot`` / ``render_image``. With several runs the figures
read "first run → last run" and the colours are the last run's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial

import graphviz
import numpy as np

from casejourney.report.charts_data import RunResults
from casejourney.report.diagram import (
    Arrow,
    Diagram,
    PhaseBox,
    StateBox,
    TimescaleItem,
    diagram_model,
    select_phase,
)
from casejourney.report.render_dot import (
    FONT,
    MUTED,
    TEXT_COLOUR,
    arrow_tooltip,
    phase_tooltip,
    shade,
    state_tooltip,
    to_digraph,
)
from casejourney.report.render_image import (
    Format,
    Renderer,
    choose_renderer,
    pdf_document,
    render_dot_text,
)

__all__ = [
    "BACKLOG_BANDS",
    "BREACH_BANDS",
    "Band",
    "Overlay",
    "overlay_dot",
    "overlay_model",
    "render_overlay",
]


@dataclass(frozen=True)
class Band:
    """One step of a colour scale: values below ``below`` get this colour, width and words."""

    below: float
    colour: str
    width: str
    words: str


# % of instances late. Grey, then Okabe–Ito orange and vermillion, then vermillion darkened:
# darker and thicker as it gets worse, so the order survives a greyscale print.
BREACH_BANDS = (
    Band(5.0, "#6B6B6B", "1.2", "under 5% late"),
    Band(15.0, "#E69F00", "2.4", "5% to 15% late"),
    Band(30.0, "#D55E00", "3.4", "15% to 30% late"),
    Band(math.inf, shade("#D55E00", 0.45), "4.6", "30% or more late"),
)
# Growth of cases open in a stage from the first reported week to the last: light blues (behind
# black text), so they never compete with the breach colours.
BACKLOG_BANDS = (
    Band(10.0, "#FFFFFF", "", "open cases grew under 10% (or fell)"),
    Band(25.0, "#DCEBF7", "", "grew 10% to 25%"),
    Band(50.0, "#A9CCE8", "", "grew 25% to 50%"),
    Band(math.inf, "#72A9D6", "", "grew 50% or more"),
)
KEY_ID = "overlay_key"
OPEN_ITEM = "cases-open"  # the id of the "open cases" line added to each state
#: Open cases are compared as the mean of this many weeks at each end (single weeks are noisy).
SMOOTH_WEEKS = 4


def band(value: float, bands: Sequence[Band]) -> Band | None:
    """The band ``value`` falls in (None for no value; infinity is in the last band)."""
    if math.isnan(value):
        return None
    return next((b for b in bands if value < b.below), bands[-1])


@dataclass(frozen=True)
class Overlay:
    """An overlaid pathway: the model with figures on its labels, and the styles that colour it."""

    diagram: Diagram
    styles: Mapping[str, Mapping[str, str]]
    runs: tuple[str, ...]


def _late(run: RunResults, standard: str) -> float:
    """% of instances due in the period that were late (NaN: none due, or not in this run)."""
    due = run.get("standard.due", standard).mean
    if math.isnan(due) or due <= 0:
        return math.nan
    return 100.0 - run.get("standard.on_time_pct", standard).mean


def _pct(value: float) -> str:
    if math.isnan(value):
        return "none due"
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"


def _item(item: TimescaleItem, runs: Sequence[RunResults]) -> TimescaleItem:
    """A timescale line with its % late appended, and the detail in its tooltip."""
    values = [_late(run, item.standard) for run in runs]
    if all(math.isnan(v) for v in values):
        text = f"{item.text} · none due"
    elif len(runs) == 1:
        text = f"{item.text} · {_pct(values[0])} late"
    else:
        text = f"{item.text} · late {' → '.join(_pct(v) for v in values)}"
    details = []
    for run in runs:
        on_time = run.get("standard.on_time_pct", item.standard).clipped()
        due = run.get("standard.due", item.standard).mean
        if math.isnan(due) or due <= 0:
            details.append(f"{run.label}: none due")
            continue
        interval = (
            f" (95% interval {on_time.low:.1f}–{on_time.high:.1f}% on time)"
            if not math.isnan(on_time.low)
            else ""
        )
        breached = run.get("standard.breached", item.standard).mean
        details.append(
            f"{run.label}: {breached:,.0f} late of {due:,.0f} due, {on_time.mean:.1f}% on time{interval}"
        )
    return replace(item, text=text, title=item.title + "\n" + "\n".join(details))


#: Graphviz refuses a quoted string longer than 16,384 characters; a tooltip stays below this.
TOOLTIP_LIMIT = 15_000


def _items(
    items: Sequence[TimescaleItem],
    runs: Sequence[RunResults],
    tooltip: Callable[[tuple[TimescaleItem, ...]], str],
) -> list[TimescaleItem]:
    """``items`` with their figures; counts and intervals in the tooltip only where it fits.

    An element's tooltip joins every timescale's (a state in care can carry a dozen, each with
    its source quoted in full), so the per-run detail is dropped where it would push the whole
    past what Graphviz accepts: the figure on the label stays.
    """
    detailed = [_item(t, runs) for t in items]
    if len(tooltip(tuple(detailed))) <= TOOLTIP_LIMIT:
        return detailed
    return [replace(d, title=t.title) for d, t in zip(detailed, items, strict=True)]


def _state_tip(state: StateBox, items: tuple[TimescaleItem, ...]) -> str:
    return state_tooltip(replace(state, timescales=items))


def _arrow_tip(arrow: Arrow, names: dict[str, str], items: tuple[TimescaleItem, ...]) -> str:
    return arrow_tooltip(replace(arrow, timescales=items), names)


def _phase_tip(phase: PhaseBox, items: tuple[TimescaleItem, ...]) -> str:
    return phase_tooltip(replace(phase, timescales=items))


def _worst(items: Sequence[TimescaleItem], run: RunResults) -> float:
    values = [_late(run, t.standard) for t in items if t.standard != OPEN_ITEM]
    known = [v for v in values if not math.isnan(v)]
    return max(known) if known else math.nan


def _ends(series: np.ndarray) -> tuple[float, float]:
    """Mean of the first and of the last ``SMOOTH_WEEKS`` weeks with figures (NaN if none)."""
    known = series[~np.isnan(series)]
    if len(known) == 0:
        return math.nan, math.nan
    span = min(SMOOTH_WEEKS, len(known))
    return float(known[:span].mean()), float(known[-span:].mean())


def _growth(first: float, last: float) -> float:
    if math.isnan(first) or math.isnan(last):
        return math.nan
    if first <= 0:
        return math.inf if last > 0 else 0.0
    return 100 * (last - first) / first


def _open_line(state: str, runs: Sequence[RunResults]) -> tuple[TimescaleItem | None, float]:
    """The "open cases" line for a state, and the growth (%) that colours it."""
    weeks = f"{SMOOTH_WEEKS} weeks"
    if len(runs) == 1:
        first, last = _ends(runs[0].open_cases(state).mean)
        if math.isnan(first) or max(first, last) <= 0:
            return None, math.nan
        growth = _growth(first, last)
        change = f" ({growth:+.0f}%)" if math.isfinite(growth) else ""
        text = f"Open cases: {first:,.0f} → {last:,.0f}{change}, first → last {weeks}"
        title = (
            f"Work in progress: cases open in this stage at the end of each week, the mean of the "
            f"first and of the last {weeks} reported (mean of {runs[0].record.replications} "
            f"replications of {runs[0].label})"
        )
    else:
        ends = [_ends(run.open_cases(state).mean)[1] for run in runs]
        if all(math.isnan(e) or e <= 0 for e in ends):
            return None, math.nan
        growth = _growth(ends[0], ends[-1])
        change = f" ({growth:+.0f}%)" if math.isfinite(growth) else ""
        text = f"Open, last {weeks}: " + " → ".join(_count(e) for e in ends) + change
        title = (
            f"Work in progress: cases open in this stage at the end of each of the last {weeks} "
            "reported, in " + " → ".join(r.label for r in runs) + " (means across replications)"
        )
    item = TimescaleItem(standard=OPEN_ITEM, kind="figure", text=text, title=title, citations=())
    return item, growth


def _count(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f}"


def overlay_model(
    runs: Sequence[RunResults], *, diagram: Diagram | None = None, phase: str | None = None
) -> Overlay:
    """The pathway of the runs' authority with their figures on it.

    Args:
        runs: one run, or several of the same authority to compare (the first is the base).
        diagram: the model to overlay (default: the last run's workflow's pathway).
        phase: draw one phase alone.

    Returns:
        The overlaid model and the DOT styles that colour it (by the last run's figures).

    """
    last = runs[-1]
    model = diagram or diagram_model(last.workflow)
    styles: dict[str, dict[str, str]] = {}
    states = []
    for state in model.states:
        items = _items(state.timescales, runs, partial(_state_tip, state))
        # a terminal state only accumulates: its "backlog" is every case ever closed
        skip = state.stub or state.terminal
        line, growth = (None, math.nan) if skip else _open_line(state.id, runs)
        if line is not None:
            items.append(line)
        style: dict[str, str] = {}
        breach = band(_worst(state.timescales, last), BREACH_BANDS)
        if breach is not None and breach is not BREACH_BANDS[0]:
            style.update(color=breach.colour, penwidth=breach.width)
        backlog = band(growth, BACKLOG_BANDS)
        if backlog is not None and backlog is not BACKLOG_BANDS[0]:
            style["fillcolor"] = backlog.colour
        if style:
            styles[f"state-{state.id}"] = style
        states.append(replace(state, timescales=tuple(items)))
    arrows = []
    names_of = {s.id: s.label for s in model.states}
    for arrow in model.arrows:
        breach = band(_worst(arrow.timescales, last), BREACH_BANDS)
        if breach is not None:
            styles[f"arrow-{arrow.trigger}"] = {
                "color": breach.colour,
                "penwidth": breach.width,
            }
        timescales = _items(arrow.timescales, runs, partial(_arrow_tip, arrow, names_of))
        arrows.append(replace(arrow, timescales=tuple(timescales)))
    phases = tuple(
        replace(p, timescales=tuple(_items(p.timescales, runs, partial(_phase_tip, p))))
        for p in model.phases
    )
    names = " → ".join(r.label for r in runs)
    result = replace(
        model,
        name=f"{model.name}-overlay",
        title=f"{model.title}, with breaches in {names}",
        phases=phases,
        states=tuple(states),
        arrows=tuple(arrows),
        throughout=tuple(_item(t, runs) for t in model.throughout),
    )
    if phase is not None:
        result = select_phase(result, phase)
        # neighbours outside the phase keep their greyed stub look
        for state in result.states:
            if state.stub:
                styles.pop(f"state-{state.id}", None)
    return Overlay(result, styles, tuple(r.label for r in runs))


def _key_html(over: Overlay, runs: Sequence[RunResults]) -> str:
    """The overlay's key: what the colours and figures mean, as an HTML-like label."""

    def swatch(colour: str, width: str) -> str:
        thick = max(1, round(float(width) * 1.4))
        return f'<TD WIDTH="34" HEIGHT="{thick}" FIXEDSIZE="TRUE" BGCOLOR="{colour}"></TD>'

    def fill(colour: str) -> str:
        return f'<TD WIDTH="34" HEIGHT="14" FIXEDSIZE="TRUE" BORDER="1" COLOR="{MUTED}" BGCOLOR="{colour}"></TD>'

    def words(text: str) -> str:
        return f'<TD ALIGN="LEFT"><FONT POINT-SIZE="10">{_esc(text)}</FONT></TD>'

    run = runs[-1]
    heading = (
        f"Breaches in {_esc(run.label)}: {run.record.replications} replications, "
        f"{run.weeks} weeks from {run.record.report_start:%-d %B %Y}"
    )
    rows = [
        f'<TR><TD COLSPAN="4" ALIGN="LEFT"><FONT POINT-SIZE="12"><B>{heading}</B></FONT></TD></TR>'
    ]
    growth = (
        "State fill: cases open, last run vs first (last 4 weeks)"
        if len(runs) > 1
        else "State fill: cases open, first 4 weeks → last 4"
    )
    rows.append(
        '<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="10"><B>Arrows and state borders: % of '
        'instances due that were late</B></FONT></TD><TD COLSPAN="2" ALIGN="LEFT"><FONT '
        f'POINT-SIZE="10"><B>{growth}</B></FONT></TD></TR>'
    )
    for breach, backlog in zip(BREACH_BANDS, BACKLOG_BANDS, strict=True):
        rows.append(
            f"<TR>{swatch(breach.colour, breach.width)}{words(breach.words)}"
            f"{fill(backlog.colour)}{words(backlog.words)}</TR>"
        )
    note = (
        "Each timescale shows its % late (first run → last run); hover for counts and intervals."
        if len(runs) > 1
        else "Each timescale shows its % late; hover for counts and 95% intervals."
    )
    rows.append(
        f'<TR><TD COLSPAN="4" ALIGN="LEFT"><FONT POINT-SIZE="10" COLOR="{MUTED}">{_esc(note)}</FONT></TD></TR>'
    )
    return (
        '<<TABLE BORDER="1" COLOR="#BBBBBB" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2" '
        f'BGCOLOR="#FFFFFF">{"".join(rows)}</TABLE>>'
    )


def _key_plain(over: Overlay, runs: Sequence[RunResults]) -> str:
    run = runs[-1]
    lines = [
        f"Breaches in {run.label}: {run.record.replications} replications, {run.weeks} weeks",
        "Arrows/borders by % late: "
        + "; ".join(f"{b.words}" for b in BREACH_BANDS)
        + " (grey, orange, vermillion, dark brown; thicker = worse)",
        "State fill by growth of open cases: white, light, mid, darker blue",
    ]
    return "".join(line.replace('"', '\\"') + "\\l" for line in lines)


def _esc(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def overlay_dot(
    over: Overlay,
    runs: Sequence[RunResults],
    *,
    flavour: str = "html",
    key: bool = True,
    fit_page: bool = True,
    heading: bool = True,
) -> str:
    """DOT text of an overlaid pathway.

    Args:
        over: the overlaid model and its styles.
        runs: the runs it shows (for the key's heading).
        flavour: ``"html"`` or ``"plain"`` labels (as ``render_dot``).
        key: draw the key (what colours and figures mean) above the journey.
        fit_page: keep the pathway's A4-landscape size; otherwise its natural size, for a page
            that lets the reader zoom.
        heading: draw the title block (sources, key, standards throughout); a printed page of
            one phase leaves it to the whole pathway's page, so the phase is drawn larger.

    """
    graph: graphviz.Digraph = to_digraph(over.diagram, flavour=flavour, styles=over.styles)
    if not fit_page:
        graph.attr(size="60,60")  # a bound, never reached: the natural size
    if not heading:
        graph.attr(label="")
    if not key:
        return str(graph.source)
    label = _key_html(over, runs) if flavour == "html" else graphviz.nohtml(_key_plain(over, runs))
    with graph.subgraph(name="overlay_key_rank") as top:
        top.attr(rank="min")
        top.node(
            KEY_ID,
            label=label,
            shape="plaintext" if flavour == "html" else "box",
            fontname=FONT,
            fontcolor=TEXT_COLOUR,
            style="solid",
            tooltip="What the overlay's colours and figures mean",
        )
    return str(graph.source)


def render_overlay(
    runs: Sequence[RunResults],
    fmt: Format = Format.svg,
    renderer: Renderer | str | None = None,
    *,
    phase: str | None = None,
    key: bool = True,
    fit_page: bool = True,
    heading: bool = True,
) -> tuple[bytes, Renderer]:
    """The overlaid pathway of ``runs`` as ``fmt`` bytes, and the renderer that drew it.

    ``key``, ``fit_page`` and ``heading`` are as for :func:`overlay_dot`.

    Raises:
        DiagramError: nothing installed can draw ``fmt``, or Graphviz failed (with how to mend it).

    """
    over = overlay_model(runs, phase=phase)
    chosen = choose_renderer(fmt, renderer)
    flavour = "plain" if chosen is Renderer.wasm else "html"
    if fmt is Format.pdf and chosen is Renderer.dot:
        # exactly A4, inside the margin, no type under 6 pt: the PDF scales the natural size
        text = overlay_dot(over, runs, flavour=flavour, key=key, fit_page=False, heading=heading)
        return pdf_document([text], over.diagram.title), chosen
    text = overlay_dot(over, runs, flavour=flavour, key=key, fit_page=fit_page, heading=heading)
    if fmt is Format.dot:
        return text.encode("utf-8"), chosen
    return render_dot_text(text, fmt, chosen), chosen
