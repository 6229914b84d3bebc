"""Charts for the HTML report: results → self-contained SVG (matplotlib), one figure per question.

Consumes :class:`~casejourney.report.charts_data.RunResults` (one run, or several to compare);
produces :class:`Chart` objects whose ``svg`` is inline SVG text with its own unique ids, so many
can sit in one HTML page. Text stays text (searchable, sharp when printed, small); colours are
Okabe–Ito (safe for every common colour-vision deficiency) and every run also differs by line
style and marker, so a greyscale print still tells them apart.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from casejourney.report.charts_data import RunResults, Series

__all__ = [
    "RUN_COLOURS",
    "Chart",
    "caseload",
    "drift",
    "on_time_overview",
    "on_time_weekly",
    "queues",
    "work_in_progress",
]

# Okabe & Ito (2008), as in the pathway diagrams: one per run, in the order given.
RUN_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
RUN_DASHES: tuple[Any, ...] = ("-", "--", "-.", ":")
RUN_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LIMIT_COLOUR = "#1A1A1A"
GRID_COLOUR = "#D9D9D9"
TEXT_COLOUR = "#1A1A1A"
WIDTH_INCHES = 9.6  # the page's text width at 100 px per inch, less margins
#: At most this many standards get their own weekly panel; the rest are in the table.
MAX_WEEKLY_PANELS = 30
#: No part of a chart is taller than this (inches as drawn): printed at the page's width it fits
#: an A4 page with its heading, so the browser never cuts a chart across two pages. A taller
#: chart is drawn in parts, one below the other, with the same scales.
PART_INCHES = 10.5
#: Weekly % on time pools this many weeks (to the week shown), so sparse standards read steadily.
ROLLING_WEEKS = 4

_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text: searchable, selectable, sharp in print
    "svg.hashsalt": "casejourney",  # the same results give the same SVG
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8.5,
    "axes.edgecolor": "#808080",
    "axes.labelcolor": TEXT_COLOUR,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID_COLOUR,
    "grid.linewidth": 0.6,
    "xtick.color": "#4D4D4D",
    "ytick.color": "#4D4D4D",
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "figure.dpi": 100,
}


@dataclass(frozen=True)
class Chart:
    """One figure of the report.

    Attributes:
        ident: the figure's id in the page (also prefixes every id inside its SVG).
        title: the heading shown above it.
        caption: what it shows and how to read it, in a sentence or two (units, intervals).
        svg: inline SVG text (no XML declaration), ``role="img"`` with an accessible label.
        panels: how many panels it has (a browser test checks each figure drew).

    """

    ident: str
    title: str
    caption: str
    svg: str
    panels: int


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(cast(Any, _STYLE)):
        yield


def _figure(height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_INCHES, height), layout="constrained")


_ID = re.compile(r'\bid="([^"]+)"')


def to_svg(figure: Any, ident: str, label: str) -> str:
    """The figure as inline SVG: ids made unique with ``ident``, no XML prologue or metadata."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    ids = set(_ID.findall(text))

    def rename(match: re.Match[str]) -> str:
        return f"{ident}-{match.group(1)}"

    if ids:
        names = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        text = re.sub(rf'(?<=id=")({names})(?=")', rename, text)
        text = re.sub(rf"(?<=url\(#)({names})(?=\))", rename, text)
        text = re.sub(rf'(?<=href="#)({names})(?=")', rename, text)
    # scale to the page: drop the fixed size, keep the viewBox (and so the aspect ratio)
    head_end = text.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    head += f' width="100%" role="img" aria-label="{_attr(label)}" class="chart-svg"'
    return head + text[head_end:]


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def _grid(count: int, columns: int, row_height: float = 2.05) -> tuple[Any, list[Any]]:
    """A figure of ``count`` small panels, ``columns`` to a row (unused cells removed)."""
    rows = max(1, math.ceil(count / columns))
    figure = _figure(row_height * rows + 0.6)
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for spare in axes[count:]:
        spare.remove()
    return figure, axes[:count]


def _mdates() -> Any:
    """``matplotlib.dates`` (untyped: held as Any so strict typing stays on elsewhere)."""
    import matplotlib.dates

    return matplotlib.dates


def _dates(run: RunResults) -> Any:
    return _mdates().date2num(list(run.week_starts))


def _date_axis(axis: Any, label: bool) -> None:
    mdates = _mdates()
    locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    if label:
        axis.set_xlabel("week starting")


def _alpha(runs: int) -> float:
    """Band opacity: lighter when several runs' bands overlap, so they do not turn to mud."""
    return 0.18 if runs == 1 else 0.11


def _band(
    axis: Any,
    x: Any,
    series: Series,
    index: int,
    *,
    clip: tuple[float, float] | None = None,
    alpha: float | None = None,
) -> None:
    """A run's weekly mean as a line, its 95% interval as a light band of the same colour."""
    colour = RUN_COLOURS[index % len(RUN_COLOURS)]
    low, high = series.low, series.high
    if clip is not None:
        low, high = np.clip(low, *clip), np.clip(high, *clip)
    with np.errstate(invalid="ignore"):
        axis.fill_between(x, low, high, color=colour, alpha=alpha or _alpha(1), linewidth=0)
    axis.plot(x, series.mean, color=colour, linestyle=RUN_DASHES[index % len(RUN_DASHES)])


def _legend(figure: Any, runs: Sequence[RunResults], extra: Sequence[tuple[Any, str]] = ()) -> None:
    """One legend for the figure: each run (line and band), then any extra marks."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    labels: list[str] = []
    for index, run in enumerate(runs):
        colour = RUN_COLOURS[index % len(RUN_COLOURS)]
        handles.append(Line2D([], [], color=colour, linestyle=RUN_DASHES[index % len(RUN_DASHES)]))
        labels.append(f"{run.label}: mean of {run.record.replications} replications")
        handles.append(Patch(color=colour, alpha=_alpha(len(runs)), linewidth=0))
        labels.append("95% interval" if len(runs) == 1 else f"{run.label}: 95% interval")
    for handle, label in extra:
        handles.append(handle)
        labels.append(label)
    figure.legend(
        handles,
        labels,
        loc="outside upper left",
        ncols=min(len(handles), 3 if len(runs) > 1 else 4),
    )


def _label(run: RunResults, ident: str) -> str:
    return run.standard_label(ident)


def _standards(runs: Sequence[RunResults]) -> list[str]:
    """Standards with anything due in any run; the first run's most breached first."""
    order = runs[0].standards_due()
    for run in runs[1:]:
        order += [s for s in run.standards_due() if s not in order]
    return order


def _parts(items: Sequence[str], per_part: int) -> list[list[str]]:
    """``items`` in consecutive parts of at most ``per_part`` (as even as possible)."""
    if not items:
        return [[]]
    count = math.ceil(len(items) / max(per_part, 1))
    size = math.ceil(len(items) / count)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def on_time_overview(runs: Sequence[RunResults]) -> Chart:
    """Every standard's % on time over the reported period, with its 95% interval, per run."""
    standards = _standards(runs)
    first = runs[0]
    standards.sort(key=lambda s: (_nan_last(first.get("standard.on_time_pct", s).mean), s))
    row = 0.3 * (1 + 0.25 * (len(runs) - 1))
    parts = _parts(standards, int((PART_INCHES - 1.0) / row))
    lows = [
        run.get("standard.on_time_pct", s).clipped().mean
        for run in runs
        for s in standards
        if not math.isnan(run.get("standard.on_time_pct", s).clipped().mean)
    ]
    floor = min(lows, default=0.0)  # by the means: an interval may run off the left edge
    left = max(0.0, math.floor((floor - 5) / 5) * 5)
    svgs = []
    for number, part in enumerate(parts):
        with _style():
            figure = _figure(1.0 + row * max(len(part), 1))
            axis = figure.add_subplot()
            y = np.arange(len(part))
            offsets = np.linspace(-0.18, 0.18, len(runs)) if len(runs) > 1 else np.zeros(1)
            for index, run in enumerate(runs):
                colour = RUN_COLOURS[index % len(RUN_COLOURS)]
                values = [run.get("standard.on_time_pct", s).clipped() for s in part]
                mean = np.array([v.mean for v in values])
                low = np.array([v.low for v in values])
                high = np.array([v.high for v in values])
                err = np.vstack(
                    [
                        np.where(np.isnan(low), 0, mean - low),
                        np.where(np.isnan(high), 0, high - mean),
                    ]
                )
                axis.errorbar(
                    mean,
                    y + offsets[index],
                    xerr=err,
                    fmt=RUN_MARKERS[index % len(RUN_MARKERS)],
                    color=colour,
                    ecolor=colour,
                    elinewidth=1.6,
                    capsize=3,
                    markersize=5.5,
                    label=f"{run.label} (mean, 95% interval)",
                )
            axis.set_yticks(
                y,
                [
                    _wrap(_label(first if s in first.workflow.standards else runs[-1], s), 58)
                    for s in part
                ],
            )
            axis.set_ylim(max(len(part), 1) - 0.5, -0.5)  # first at the top, no empty rows
            axis.set_xlim(left, 100.5)
            axis.set_xlabel("% of instances due in the reported period that were on time")
            axis.grid(axis="y", visible=False)
            figure.legend(loc="outside upper left", ncols=min(len(runs), 3))
            label = "Per cent on time by standard" + (
                f" (part {number + 1} of {len(parts)})" if len(parts) > 1 else ""
            )
            svgs.append(to_svg(figure, _part_id("overview", number), label))
    return Chart(
        "overview",
        "How often each standard was met",
        "Each standard's share of instances due in the reported period that were done on time: "
        "the mean across replications with its 95% confidence interval (t-interval across "
        "replications). Lowest first. Timescales are written as in the pathway diagram; the "
        "table below gives each one's source."
        + (f" Drawn in {len(parts)} parts on one scale." if len(parts) > 1 else ""),
        "".join(svgs),
        len(parts),
    )


def _part_id(ident: str, number: int) -> str:
    """The id prefix of a chart's part: the first keeps the chart's own."""
    return ident if number == 0 else f"{ident}-part{number + 1}"


def _nan_last(value: float) -> float:
    return math.inf if math.isnan(value) else value


def on_time_weekly(runs: Sequence[RunResults]) -> Chart:
    """% on time week by week (by the week an instance fell due), one panel per standard."""
    standards = _standards(runs)
    shown = standards[:MAX_WEEKLY_PANELS]
    columns, row_height = 3, 2.05
    parts = _parts(shown, columns * int((PART_INCHES - 0.6) / row_height))
    svgs = []
    for number, part in enumerate(parts):
        with _style():
            figure, axes = _grid(len(part), columns, row_height)
            for i, (axis, ident) in enumerate(zip(axes, part, strict=True)):
                owner = next(r for r in runs if ident in r.workflow.standards)
                for index, run in enumerate(runs):
                    _band(
                        axis,
                        _dates(run),
                        run.on_time_rolling(ident, ROLLING_WEEKS),
                        index,
                        clip=(0, 100),
                        alpha=_alpha(len(runs)),
                    )
                axis.set_title(_wrap(_label(owner, ident), 44), fontsize=8.5)
                axis.set_ylim(_low_limit(runs, ident), 101)
                axis.set_ylabel("% on time" if i % columns == 0 else "")
                _date_axis(axis, i >= len(part) - columns)
            _legend(figure, runs)
            svgs.append(
                to_svg(
                    figure,
                    _part_id("weekly", number),
                    "Per cent on time by week, one panel per standard",
                )
            )
    rest = len(standards) - len(shown)
    more = f" The {rest} least breached standards are in the table only." if rest > 0 else ""
    return Chart(
        "weekly",
        "On time, week by week",
        f"For each standard, the share of instances falling due that were done on time, each "
        f"week's point pooling the {ROLLING_WEEKS} weeks to it (so a standard with a few "
        "instances a week does not swing between 0% and 100%). Line: mean across replications; "
        "band: 95% interval. Gaps are weeks with nothing due. Panels run from the most often "
        "breached standard." + more,
        "".join(svgs),
        len(shown),
    )


def _low_limit(runs: Sequence[RunResults], ident: str) -> float:
    means = [run.on_time_rolling(ident, ROLLING_WEEKS).mean for run in runs]
    lows = [float(np.nanmin(m)) for m in means if np.any(~np.isnan(m))]
    floor = min(lows, default=0.0)
    return float(max(0.0, math.floor((floor - 5) / 10) * 10))


def _panels(
    runs: Sequence[RunResults],
    subjects: Sequence[str],
    series: Callable[[RunResults, str], Series],
    title: Callable[[str], str],
    unit: str | Callable[[str], str],
    ident: str,
    label: str,
    columns: int = 4,
    decorate: Callable[[Any, str], None] | None = None,
    extra: Sequence[tuple[Any, str]] = (),
) -> str:
    unit_of = unit if callable(unit) else (lambda _: unit)
    wrap = 34 if columns >= 4 else 46
    row_height = 1.95
    svgs = []
    parts = _parts(subjects, columns * int((PART_INCHES - 0.6) / row_height))
    for number, part in enumerate(parts):
        with _style():
            figure, axes = _grid(len(part), columns, row_height)
            for i, (axis, subject) in enumerate(zip(axes, part, strict=True)):
                for index, run in enumerate(runs):
                    _band(
                        axis,
                        _dates(run),
                        series(run, subject),
                        index,
                        clip=(0, math.inf),
                        alpha=_alpha(len(runs)),
                    )
                axis.set_title(_wrap(title(subject), wrap), fontsize=8.5)
                axis.set_ylim(bottom=0)
                first_of_unit = i % columns == 0 or unit_of(subject) != unit_of(part[i - 1])
                axis.set_ylabel(unit_of(subject) if first_of_unit else "")
                if decorate is not None:
                    decorate(axis, subject)
                _date_axis(axis, i >= len(part) - columns)
            _legend(figure, runs, extra)
            svgs.append(to_svg(figure, _part_id(ident, number), label))
    return "".join(svgs)


def _state_label(runs: Sequence[RunResults], state: str) -> str:
    for run in runs:
        if state in run.workflow.states:
            return run.workflow.states[state].label
    return state


def work_in_progress(runs: Sequence[RunResults]) -> Chart:
    """Cases open in each stage at each week's end (work in progress), one panel per stage."""
    states: list[str] = []
    for run in runs:
        states += [
            s.id
            for s in run.workflow.states.values()
            if not s.terminal
            and s.id not in states
            and np.nanmax(np.nan_to_num(run.open_cases(s.id).mean), initial=0) > 0
        ]
    svg = _panels(
        runs,
        states,
        lambda run, s: run.open_cases(s),
        lambda s: _state_label(runs, s),
        "cases open",
        "wip",
        "Cases open at each week's end, one panel per stage",
    )
    return Chart(
        "wip",
        "Work in progress by stage",
        "Cases open in each stage at the end of each week (line: mean across replications; band: "
        "95% interval). Each panel has its own scale, starting at zero: a line that keeps rising "
        "is a backlog building up.",
        svg,
        len(states),
    )


def queues(runs: Sequence[RunResults]) -> Chart:
    """Work waiting for a worker, and cases waiting to be allocated, by team, week by week."""
    teams = list(dict.fromkeys(t for run in runs for t in run.scenario.teams))
    rows: list[tuple[str, str]] = [("team.queued", t) for t in teams]
    if any(np.nansum(run.series("team.unallocated", t).mean) > 0 for run in runs for t in teams):
        rows += [("team.unallocated", t) for t in teams]
    places = list(dict.fromkeys(p for run in runs for p in run.subjects("place.overflow")))
    rows += [("place.overflow", p) for p in places]
    words = {
        "team.queued": ("{} team: work waiting", "pieces of work"),
        "team.unallocated": ("{} team: cases unallocated", "cases"),
        "place.overflow": ("{}: children without a place", "children"),
    }
    keys = [f"{m}|{s}" for m, s in rows]

    def series(run: RunResults, key: str) -> Series:
        metric, subject = key.split("|", 1)
        return run.series(metric, subject)

    def title(key: str) -> str:
        metric, subject = key.split("|", 1)
        return words[metric][0].format(subject.replace("_", " ").capitalize())

    def unit(key: str) -> str:
        return words[key.split("|", 1)[0]][1]

    svg = _panels(runs, keys, series, title, unit, "queues", "Queues by team, week by week")
    return Chart(
        "queues",
        "Queues: work waiting for a worker",
        "Pieces of work (a stage's own work, or preparing a visit or meeting) released to a team "
        "but not yet started at each week's end; where any case waited for allocation, cases "
        "unallocated; and children needing a placement when none was free. Line: mean across "
        "replications; band: 95% interval.",
        svg,
        len(keys),
    )


def caseload(runs: Sequence[RunResults]) -> Chart:
    """Caseload points per worker in post, against the team's limit, one panel per team."""
    teams = [
        t
        for t in dict.fromkeys(t for run in runs for t in run.scenario.teams)
        if any(run.scenario.teams.get(t) and run.scenario.teams[t].caseload_limit for run in runs)
    ]
    points = all(run.points_per_worker for run in runs)

    def series(run: RunResults, team: str) -> Series:
        if points:
            return run.points_per_worker.get(team, Series.empty(run.weeks))
        return run.series("team.cases_per_worker", team)

    def decorate(axis: Any, team: str) -> None:
        for index, run in enumerate(runs):
            spec = run.scenario.teams.get(team)
            if spec is None or spec.caseload_limit is None:
                continue
            axis.axhline(
                spec.caseload_limit,
                color=LIMIT_COLOUR if index == 0 else RUN_COLOURS[index],
                linestyle=(0, (4, 2)),
                linewidth=1.3,
            )
            top = max(axis.get_ylim()[1], spec.caseload_limit * 1.15)
            axis.set_ylim(0, top)

    from matplotlib.lines import Line2D

    limit = Line2D([], [], color=LIMIT_COLOUR, linestyle=(0, (4, 2)), linewidth=1.3)
    unit = "points per worker" if points else "cases per worker"
    svg = _panels(
        runs,
        teams,
        series,
        lambda t: f"{t.replace('_', ' ').capitalize()} team",
        unit,
        "caseload",
        "Caseload per worker against the limit, one panel per team",
        columns=3,
        decorate=decorate,
        extra=[(limit, "caseload limit (scenario)")],
    )
    what = (
        "Caseload points held per worker in post at each week's end (each case weighted by the "
        "scenario's case weights, the unit its limits are set in)"
        if points
        else "Cases held per worker in post at each week's end (the run kept no event log, so "
        "the weighted points the limit is set in are not available; cases understate the load)"
    )
    return Chart(
        "caseload",
        "Caseload per worker against the limit",
        f"{what}; the dashed line is the team's caseload limit. Newly qualified workers have a "
        "lower limit of their own. Line: mean across replications; band: 95% interval.",
        svg,
        len(teams),
    )


_DRIFT_SERIES = {
    "longer_than": ("drift.open_over", "open beyond the limit", "cases"),
    "repeat": ("drift.repeat", "repeats starting that week", "cases"),
    "missing_before": ("drift.missing", "reached it without the decision", "cases"),
}


def drift(runs: Sequence[RunResults]) -> Chart | None:
    """The scenario's drift measures over time, one panel per measure (None if it has none)."""
    measures = list(dict.fromkeys(d for run in runs for d in run.scenario.drift))
    if not measures:
        return None

    def spec_of(ident: str) -> Any:
        return next(run.scenario.drift[ident] for run in runs if ident in run.scenario.drift)

    def series(run: RunResults, ident: str) -> Series:
        spec = run.scenario.drift.get(ident)
        if spec is None:
            return Series.empty(run.weeks)
        return run.series(_DRIFT_SERIES[spec.kind][0], ident)

    def title(ident: str) -> str:
        spec = spec_of(ident)
        return f"{spec.title}: {_DRIFT_SERIES[spec.kind][1]}"

    svg = _panels(
        runs,
        measures,
        series,
        title,
        "cases",
        "drift",
        "Drift indicators, week by week",
        columns=3,
    )
    return Chart(
        "drift",
        "Drift indicators over time",
        "Cases drifting, by week: for a time limit, cases still open beyond it at the week's end; "
        "for repeats, second or later episodes starting that week; for a missing decision, cases "
        "reaching the milestone that week without it. Line: mean across replications; band: 95% "
        "interval. The share over the whole period is in the drift table.",
        svg,
        len(measures),
    )
