"""The HTML report of one or more results folders: one self-contained file to open offline or print.

Consumes results folders (via :mod:`casejourney.report.charts_data`); produces one HTML page with
no scripts and no links outside itself: a headline panel, charts (inline SVG from
:mod:`casejourney.report.charts`), the pathway with the breach overlay
(:mod:`casejourney.report.overlay`), a table of every standard with its citation, the scenario's
assumptions, and what is needed to reproduce the run. With several folders, the first is the
base and every other is compared with it.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from casejourney.errors import CasejourneyError
from casejourney.report import charts
from casejourney.report.charts_data import (
    SMALL_COUNT,
    Difference,
    RunResults,
    difference,
    load_runs,
)
from casejourney.report.diagram import DiagramError
from casejourney.report.measures import Verdict, info, verdict
from casejourney.report.overlay import BACKLOG_BANDS, BREACH_BANDS, render_overlay
from casejourney.report.render_image import Format, Renderer, write_atomic
from casejourney.spec.models import RecurringSpec

__all__ = ["REPORT_NAME", "report_html", "write_report"]

#: The report's file name inside a results folder (``simulate --report``).
REPORT_NAME = "report.html"
#: How many standards the headline names.
HEADLINE_STANDARDS = 5
#: A standard needs this many instances due to be ranked by its % on time (fewer is noise).
MIN_DUE = 20
#: An interval wider than ± this many percentage points is called wide, and the report says
#: how many replications would narrow it to this.
WIDE = 5.0


def write_report(
    results_dirs: Sequence[Path],
    out: Path | None = None,
    *,
    workflows: Path | None = None,
    renderer: Renderer | str | None = None,
) -> Path:
    """Write the HTML report of ``results_dirs`` (the first is the base of any comparison).

    Args:
        results_dirs: results folders written by ``casejourney simulate``.
        out: the HTML file (default: ``report.html`` in the last folder).
        workflows: where the authorities' workflow files are (default: as the CLI looks).
        renderer: how to draw the pathway (``auto``, ``dot`` or ``wasm``; default: auto).

    Returns:
        The path written.

    Raises:
        ResultsError: a folder is missing, incomplete or unreadable.
        CasejourneyError: no results folder was given.

    """
    if not results_dirs:
        raise CasejourneyError("give at least one results folder")
    runs = load_runs([Path(d) for d in results_dirs], workflows)
    target = Path(out) if out is not None else Path(results_dirs[-1]) / REPORT_NAME
    write_atomic(target, report_html(runs, renderer=renderer).encode("utf-8"))
    return target


# --- formatting ----------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _pct(value: float, digits: int = 1) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}%"


def _interval(low: float, high: float, digits: int = 1, unit: str = "") -> str:
    if math.isnan(low) or math.isnan(high):
        return ""
    return f'<span class="ci">({low:.{digits}f}–{high:.{digits}f}{unit})</span>'


#: Marks a Wilson interval (a percentage of a few instances); the method section explains it.
WILSON_MARK = "†"


def _estimate_pct(run: RunResults, metric: str, subject: str) -> str:
    value = run.get(metric, subject).clipped()
    if not value.known:
        return "–"
    mark = (
        f'<sup class="mark" title="Wilson interval from {value.instances:.0f} instances">'
        f"{WILSON_MARK}</sup>"
        if value.method == "wilson"
        else ""
    )
    return f"{value.mean:.1f}% {_interval(value.low, value.high)}{mark}"


_VERDICT_WORDS = {
    Verdict.BETTER: "better",
    Verdict.WORSE: "worse",
    Verdict.UP: "clearly higher",
    Verdict.DOWN: "clearly lower",
    Verdict.NOISE: "within the noise",
    Verdict.UNKNOWN: "",
}
_VERDICT_CSS = {Verdict.BETTER: "better", Verdict.WORSE: "worse"}


def _change(diff: Difference, metric: str) -> str:
    """A change with its interval, and what it means for ``metric`` (better, worse or noise).

    Whether a rise is better is the measure's own property (:mod:`casejourney.report.measures`):
    a rise in % on time is better, a rise in a drift measure worse.
    """
    if math.isnan(diff.change):
        return "–"
    measure = info(metric)
    unit = measure.change_unit
    if abs(diff.change) < 0.05:
        text = f"±0.0 {unit}"
    else:
        arrow = "▲" if diff.change > 0 else "▼"
        text = f"{arrow} {diff.change:+.1f} {unit}"
    if math.isnan(diff.low):
        return f'<span class="change">{_e(text)}</span>'
    low, high = diff.low, diff.high
    if measure.is_share:  # a change of share stays within ±100
        low, high = max(-100.0, low), min(100.0, high)
    said = verdict(metric, diff.change, diff.low, diff.high)
    css = _VERDICT_CSS.get(said, "noise")
    return (
        f'<span class="change {css}">{_e(text)}</span> '
        f'<span class="ci">({_signed(low)} to {_signed(high)})</span> '
        f'<span class="verdict {css}">{_VERDICT_WORDS[said]}</span>'
    )


def _signed(value: float) -> str:
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _period(run: RunResults) -> str:
    last = run.week_starts[-1] + dt.timedelta(days=6) if run.week_starts else run.record.end
    warm = (run.record.report_start - run.record.start).days // 7
    return (
        f"{_date(run.record.report_start)} to {_date(last)} ({run.weeks} weeks"
        + (f", after {warm} weeks' warm-up" if warm else "")
        + ")"
    )


def _standard_label(run: RunResults, ident: str) -> str:
    return run.standard_label(ident)


def _owner(runs: Sequence[RunResults], ident: str) -> RunResults:
    return next(r for r in runs if ident in r.workflow.standards)


# --- the page ------------------------------------------------------------------------------------


def report_html(
    runs: Sequence[RunResults],
    *,
    renderer: Renderer | str | None = None,
    generated: dt.date | None = None,
) -> str:
    """The whole report as one HTML document (no scripts, nothing fetched from anywhere).

    Args:
        runs: one run, or several to compare with the first.
        renderer: how to draw the pathway (default: auto).
        generated: the date printed as the report's date (default: today).

    """
    base, last = runs[0], runs[-1]
    comparing = len(runs) > 1
    title = (
        f"{last.workflow.title}: {last.scenario.title}"
        if not comparing
        else f"{base.scenario.title} compared with " + ", ".join(r.scenario.title for r in runs[1:])
    )
    figures = [
        charts.on_time_overview(runs),
        charts.on_time_weekly(runs),
        charts.work_in_progress(runs),
        charts.queues(runs),
        charts.caseload(runs),
    ]
    drift_chart = charts.drift(runs)
    if drift_chart is not None:
        figures.append(drift_chart)
    sections = [
        ("headline", "Headline", _headline(runs)),
        ("charts", "Charts", "".join(_figure(c) for c in figures)),
        ("pathway", "The pathway, with breaches", _pathway(runs, renderer)),
        ("standards", "Every standard, with its source", _standards_table(runs)),
        (
            "drift",
            "Drift and workforce over the period",
            _drift_table(runs) + _workforce_table(runs),
        ),
        ("assumptions", "The scenario's assumptions", _assumptions(runs)),
        ("reproduce", "How to reproduce this run", _reproduce(runs)),
        ("method", "How to read the figures", _method(runs)),
    ]
    nav = "".join(f'<li><a href="#{ident}">{_e(name)}</a></li>' for ident, name, _ in sections)
    body = "".join(
        f'<section id="{ident}"><h2>{_e(name)}</h2>{content}</section>'
        for ident, name, content in sections
    )
    day = generated or dt.date.today()
    runs_line = "".join(
        f'<li><span class="swatch" style="background:{charts.RUN_COLOURS[i % len(charts.RUN_COLOURS)]}"></span>'
        f"<strong>{_e(r.label)}</strong>: {_e(r.scenario.title)} — {_e(r.workflow.title)}; "
        f"{r.record.replications} replications, seed {r.record.seed}"
        + (f", scale {r.record.scale:g}" if r.record.scale != 1 else "")
        + f"; reported {_e(_period(r))}; folder <code>{_e(r.folder)}</code></li>"
        for i, r in enumerate(runs)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="casejourney {_e(last.record.versions.get("casejourney", ""))}">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f'<header><p class="kicker">casejourney simulation report · {_e(_date(day))}</p>'
        f'<h1>{_e(title)}</h1><ul class="runs">{runs_line}</ul>{_warnings(runs)}'
        f'<nav aria-label="Contents"><ol>{nav}</ol></nav></header>'
        f"<main>{body}</main>"
        "<footer><p>Made by casejourney from simulated cases: no child's name, date of birth or "
        "identifier is in it. Every figure traces to a standard in the table of standards and "
        "to the files in the results folder.</p></footer>"
        "</body></html>\n"
    )


def _names(runs: Sequence[RunResults]) -> str:
    labels = [r.label for r in runs]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _warnings(runs: Sequence[RunResults]) -> str:
    notes: list[str] = []
    scaled = [r for r in runs if r.record.scale != 1]
    for scale in dict.fromkeys(r.record.scale for r in scaled):
        group = [r for r in scaled if r.record.scale == scale]
        notes.append(
            f"{_names(group)} {'was' if len(group) == 1 else 'were'} run at scale {scale:g}: "
            "demand, open cases, staff and slots were multiplied by that, so counts of cases are "
            "at that scale; percentages and caseloads per worker are comparable with a full run."
        )
    few = [r for r in runs if r.record.replications < 5]
    if few:
        counts = sorted({r.record.replications for r in few})
        notes.append(
            f"{_names(few)} {'has' if len(few) == 1 else 'have'} only "
            f"{' or '.join(str(c) for c in counts)} replication{'s' if counts != [1] else ''}: "
            "intervals are wide (or missing with one); run more (-n 20) before drawing conclusions."
        )
    if len({r.workflow.id for r in runs}) > 1:
        notes.append(
            "The runs are of different authorities: standards they do not share are shown for "
            "the run that has them; the pathway is the last run's."
        )
    if len({r.record.scale for r in runs}) > 1:
        notes.append("The runs were made at different scales: compare percentages, not counts.")
    if not notes:
        return ""
    return '<div class="notes" role="note">' + "".join(f"<p>{_e(n)}</p>" for n in notes) + "</div>"


def _figure(chart: charts.Chart) -> str:
    # On a phone the chart keeps a readable size and scrolls sideways in its own box.
    return (
        f'<figure class="chart" id="chart-{chart.ident}" data-panels="{chart.panels}">'
        f'<h3>{_e(chart.title)}</h3><div class="parts">{chart.svg}</div>'
        f"<figcaption>{_e(chart.caption)}</figcaption></figure>"
    )


# --- headline ------------------------------------------------------------------------------------


def _on_time_change(runs: Sequence[RunResults], ident: str) -> Difference:
    """The change in a standard's % on time, last run against the first."""
    return difference(runs[0], runs[-1], "standard.on_time_pct", ident)


def _shared(runs: Sequence[RunResults], standards: Sequence[str]) -> list[str]:
    """The standards both the first and the last run have (a change needs both)."""
    base, last = runs[0], runs[-1]
    return [s for s in standards if s in base.workflow.standards and s in last.workflow.standards]


def _ranked_by_change(runs: Sequence[RunResults], standards: Sequence[str]) -> list[str]:
    """Standards whose % on time moved: those clear of the noise first, then by size of change.

    A large change inside the noise never outranks a clear one: the reader sees first what
    the runs show, not what chance could have made.
    """
    scored = []
    for ident in _shared(runs, standards):
        diff = _on_time_change(runs, ident)
        if math.isnan(diff.change):
            continue
        said = verdict("standard.on_time_pct", diff.change, diff.low, diff.high)
        clear = said in (Verdict.BETTER, Verdict.WORSE)
        scored.append(((not clear, -abs(diff.change), ident), ident))
    return [ident for _, ident in sorted(scored)]


def _headline(runs: Sequence[RunResults]) -> str:
    last = runs[-1]
    comparing = len(runs) > 1
    standards = runs[0].standards_due()
    for run in runs[1:]:
        standards += [s for s in run.standards_due() if s not in standards]
    most_breached = sorted(
        standards,
        key=lambda s: (
            -last.get("standard.breached", s).mean if s in last.workflow.standards else 0,
            s,
        ),
    )[:HEADLINE_STANDARDS]
    below_90 = [s for s in standards if last.get("standard.on_time_pct", s).mean < 90]
    lines = [
        f'<p class="lede">In <strong>{_e(last.label)}</strong>, {len(standards)} standards had '
        f"instances due in the reported period; <strong>{len(below_90)}</strong> of them were met "
        "less than 90% of the time."
    ]
    if most_breached:
        worst = most_breached[0]
        lines[0] += (
            f" The most often breached: <strong>{_e(_standard_label(_owner(runs, worst), worst))}"
            f"</strong>, late {_num(last.get('standard.breached', worst).mean)} times "
            f"({_pct(100 - last.get('standard.on_time_pct', worst).mean)} of those due)."
        )
    lines[0] += "</p>"
    if comparing:
        lines.append(_comparison_sentence(runs, standards))
    lowest = sorted(
        (
            s
            for s in standards
            if s in last.workflow.standards and last.get("standard.due", s).mean >= MIN_DUE
        ),
        key=lambda s: (last.get("standard.on_time_pct", s).mean, s),
    )[:HEADLINE_STANDARDS]
    if comparing:
        moved = _ranked_by_change(runs, standards)[:HEADLINE_STANDARDS]
        first = _headline_table(
            runs,
            moved,
            f"The {len(moved)} standards whose % on time changed most: changes clear of the "
            "noise first, then the largest",
        )
    else:
        first = _headline_table(
            runs,
            most_breached,
            f"The {len(most_breached)} standards most often breached in {last.label}",
        )
    shown = list(dict.fromkeys([*(moved if comparing else most_breached), *lowest]))
    table = first + _headline_table(
        runs,
        lowest,
        f"The {len(lowest)} standards least often met on time in {last.label} "
        f"(of those with at least {MIN_DUE} due)",
    )
    return "".join(lines) + table + _precision_note(runs, shown) + _cards(runs)


def replications_needed(replications: int, half_width: float, target: float = WIDE) -> int:
    """About how many replications would narrow an interval of ``half_width`` to ``target``.

    An interval's width falls with the square root of the replications (of the instances, for a
    Wilson interval, which grow with them), so n × (half-width ÷ target)² of them.
    """
    return max(replications + 1, math.ceil(replications * (half_width / target) ** 2))


def _precision_note(runs: Sequence[RunResults], standards: Sequence[str]) -> str:
    """A note when the headline's intervals are wide: which is widest, and the -n to narrow it."""
    widest: tuple[float, str, RunResults, str] | None = None
    for run in runs:
        for ident in standards:
            estimate = run.get("standard.on_time_pct", ident).clipped()
            half = estimate.half_width
            if not math.isnan(half) and (widest is None or half > widest[0]):
                widest = (half, ident, run, f"its % on time in {run.label}")
    if len(runs) > 1:
        for ident in _shared(runs, standards):
            diff = _on_time_change(runs, ident)
            half = (diff.high - diff.low) / 2
            if not math.isnan(half) and (widest is None or half > widest[0]):
                widest = (half, ident, runs[-1], "the change in its % on time")
    if widest is None or widest[0] <= WIDE:
        return ""
    half, ident, run, what = widest
    n = max(r.record.replications for r in runs)
    needed = replications_needed(n, half)
    scaled = any(r.record.scale < 1 for r in runs)
    return (
        '<div class="notes" role="note"><p><strong>Wide intervals.</strong> Some 95% intervals '
        f"above are wider than ±{WIDE:g} percentage points: the widest, ±{half:.1f}, is "
        f"{_e(what)} for <strong>{_e(_standard_label(_owner(runs, ident), ident))}</strong>. "
        f"An interval narrows with the square root of the replications: about {needed:,} "
        f"replications (<code>-n {needed}</code>, with the same seed for every run) would bring it "
        f"to ±{WIDE:g}"
        + (", or fewer at full scale (a scaled run has fewer instances)" if scaled else "")
        + ".</p></div>"
    )


def _headline_table(runs: Sequence[RunResults], standards: Sequence[str], caption: str) -> str:
    if not standards:
        return ""
    base, last = runs[0], runs[-1]
    comparing = len(runs) > 1
    head = ["Standard", "Late", "Due"]
    if comparing:
        head += [f"% on time: {r.label}" for r in runs] + [f"Change: {last.label} vs {base.label}"]
    else:
        head += ["% on time (95% interval)"]
    rows = []
    for ident in standards:
        owner = _owner(runs, ident)
        cells = [
            f'<th scope="row">{_e(_standard_label(owner, ident))} '
            f'<a class="ref" href="#std-{_e(ident)}">{_e(ident)}</a></th>',
            f'<td class="num">{" → ".join(_num(r.get("standard.breached", ident).mean) for r in runs)}</td>',
            f'<td class="num">{" → ".join(_num(r.get("standard.due", ident).mean) for r in runs)}</td>',
        ]
        cells += [
            f'<td class="num">{_estimate_pct(r, "standard.on_time_pct", ident)}</td>' for r in runs
        ]
        if comparing:
            cells.append(
                f"<td>{_change(_on_time_change(runs, ident), 'standard.on_time_pct')}</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    counts = " (late and due: mean counts over the reported period" + (
        ", first run → last)" if comparing else ")"
    )
    return (
        f'<table class="headline"><caption>{_e(caption + counts)}</caption><thead><tr>'
        + "".join(f'<th scope="col">{_e(h)}</th>' for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _comparison_sentence(runs: Sequence[RunResults], standards: Sequence[str]) -> str:
    base, last = runs[0], runs[-1]
    worse: list[tuple[float, str]] = []
    better: list[tuple[float, str]] = []
    for ident in _shared(runs, standards):
        diff = _on_time_change(runs, ident)
        said = verdict("standard.on_time_pct", diff.change, diff.low, diff.high)
        if said is Verdict.WORSE:
            worse.append((-abs(diff.change), ident))
        elif said is Verdict.BETTER:
            better.append((-abs(diff.change), ident))
    worse.sort()
    text = (
        f'<p class="lede">Against <strong>{_e(base.label)}</strong>, <strong>{_e(last.label)}</strong> '
        f"is clearly worse on <strong>{len(worse)}</strong> standard{'s' if len(worse) != 1 else ''} "
        f"and clearly better on <strong>{len(better)}</strong>; the rest moved within the noise "
        "(their 95% interval for the change includes zero)."
    )
    if worse:
        ident = worse[0][1]
        text += (
            f" The largest clear fall in % on time: "
            f"<strong>{_e(_standard_label(_owner(runs, ident), ident))}</strong>, "
            f"{_on_time_change(runs, ident).change:+.1f} percentage points."
        )
    changed = _changed_assumptions(runs)
    if changed:
        text += " What differs in the scenarios: " + "; ".join(
            f"{_e(key)}: {' → '.join(_e(v) for v in values)}" for key, values in changed[:6]
        )
        text += "." if len(changed) <= 6 else f"; and {len(changed) - 6} more (see assumptions)."
    return text + "</p>"


def _cards(runs: Sequence[RunResults]) -> str:
    last = runs[-1]
    cards: list[str] = []
    teams = [t for t in last.scenario.teams if last.get("team.utilisation_pct", t).known]
    if teams:
        busiest = max(teams, key=lambda t: last.get("team.utilisation_pct", t).mean)
        values = " → ".join(_estimate_pct(r, "team.utilisation_pct", busiest) for r in runs)
        cards.append(_card("Busiest team", f"{busiest.replace('_', ' ')}", f"utilisation {values}"))
    drift_rows = [(ident, spec) for ident, spec in last.scenario.drift.items()]
    worst_value, worst = -1.0, None
    for ident, spec in drift_rows:
        value = last.get(_DRIFT_PCT[spec.kind], ident).mean
        if not math.isnan(value) and value > worst_value:
            worst_value, worst = value, (ident, spec)
    if worst is not None:
        ident, spec = worst
        values = " → ".join(_estimate_pct(r, _DRIFT_PCT[spec.kind], ident) for r in runs)
        cards.append(_card("Most drift", spec.title, values))
    arrived = [r.series("cases.arrived", "all").mean for r in runs]
    if all(a.size and not math.isnan(float(a[-1])) for a in arrived):
        cards.append(
            _card(
                "Cases open at the end",
                "all stages",
                " → ".join(_num(float(r.series("cases.open", "all").mean[-1])) for r in runs),
            )
        )
    return '<div class="cards">' + "".join(cards) + "</div>" if cards else ""


def _card(kicker: str, title: str, value: str) -> str:
    return (
        f'<div class="card"><p class="kicker">{_e(kicker)}</p><p class="card-title">{_e(title)}</p>'
        f'<p class="card-value">{value}</p></div>'
    )


_DRIFT_PCT = {
    "longer_than": "drift.ended_over_pct",
    "repeat": "drift.repeat_pct",
    "missing_before": "drift.missing_pct",
}
_DRIFT_WORDS = {
    "longer_than": "of those ending in the period went beyond {limit}",
    "repeat": "of those starting in the period were a second or later one",
    "missing_before": "reached the milestone without the decision",
}


# --- the pathway ---------------------------------------------------------------------------------

_PROLOGUE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.DOTALL)


def _inline_svg(data: bytes, label: str, prefix: str = "") -> tuple[str, float]:
    """Graphviz SVG for inlining: no prologue, no fixed size; and its natural width in CSS px.

    ``prefix`` makes the ids of a second drawing of the same graph unique in the page.
    """
    svg = _PROLOGUE.sub("", data.decode("utf-8")).strip()
    head_end = svg.index(">")
    width = re.search(r'\swidth="([\d.]+)pt"', svg[:head_end])
    natural = float(width.group(1)) * 4 / 3 if width else 2400.0  # pt → CSS px
    head = re.sub(r'\s(width|height)="[^"]*"', "", svg[:head_end])
    head += f' role="img" aria-label="{_e(label)}"'
    svg = head + svg[head_end:]
    if prefix:
        svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', svg)
    # Graphviz links every element to "#" (for tooltips); keep the reader where they are.
    return svg.replace('xlink:href="#"', 'xlink:href="#pathway"'), natural


def _phase_pages(runs: Sequence[RunResults], renderer: Renderer | str | None) -> str:
    """The pathway phase by phase, for print only: the whole is too small to read on A4."""
    workflow = runs[-1].workflow
    pages = []
    for phase in workflow.phases.values():
        if not any(s.phase == phase.id for s in workflow.states.values()):
            continue
        try:
            data, _ = render_overlay(
                runs, Format.svg, renderer, phase=phase.id, key=False, fit_page=False, heading=False
            )
        except DiagramError:
            return ""
        svg, _ = _inline_svg(data, f"The pathway: {phase.label}", f"p-{phase.id}-")
        pages.append(
            f'<figure class="phase-page"><figcaption>The pathway, {_e(phase.label)}: each '
            f"timescale with its % late (colours as above)</figcaption>{svg}</figure>"
        )
    return '<div class="print-phases">' + "".join(pages) + "</div>"


def _pathway(runs: Sequence[RunResults], renderer: Renderer | str | None) -> str:
    try:
        data, used = render_overlay(runs, Format.svg, renderer, key=False, fit_page=False)
    except DiagramError as exc:
        return f'<p class="notes">The pathway could not be drawn here: {_e(exc)}</p>'
    svg, natural = _inline_svg(data, "The pathway, each timescale with its % late")
    key = "".join(
        f'<li><span class="line" style="border-top: {max(1.0, float(b.width)):.1f}px solid {b.colour}"></span>{_e(b.words)}</li>'
        for b in BREACH_BANDS
    )
    fill = "".join(
        f'<li><span class="box" style="background:{b.colour}"></span>{_e(b.words)}</li>'
        for b in BACKLOG_BANDS
    )
    names = " → ".join(r.label for r in runs)
    fill_heading = (
        "State fill: growth of cases open, last run vs first (last 4 weeks)"
        if len(runs) > 1
        else "State fill: growth of cases open, first 4 weeks → last 4"
    )
    return (
        f"<p>The authority's pathway, every timescale with the share of its instances that were "
        f"late in {_e(names)} (hover over a timescale for its counts, interval and source). "
        "Colours are the last run's.</p>"
        f'<div class="legend"><div><h3>Arrows and state borders: % late</h3><ul>{key}</ul></div>'
        f"<div><h3>{_e(fill_heading)}</h3><ul>{fill}</ul></div></div>"
        '<figure class="chart pathway" id="chart-pathway" data-panels="1">'
        '<input type="checkbox" id="pathway-zoom" class="zoom">'
        '<label for="pathway-zoom" class="zoom">Show at full size (scroll sideways)</label>'
        f"<style>#pathway-zoom:checked ~ .scroll svg {{ width: {natural:.0f}px; max-width: none; }}"
        f"@media screen and (max-width: 700px) {{ #chart-pathway .scroll svg "
        f"{{ width: {natural:.0f}px; max-width: none; }} }}</style>"
        f'<div class="scroll">{svg}</div>'
        f"<figcaption>Drawn by Graphviz ({_e(used.value)}). Open cases are the engine's counts at the "
        "end of each week, the mean of the first and of the last four reported weeks; terminal "
        "stages only accumulate, so they have none. Printed, the pathway follows phase by phase, "
        "a page each.</figcaption></figure>" + _phase_pages(runs, renderer)
    )


# --- tables --------------------------------------------------------------------------------------


def _standards_table(runs: Sequence[RunResults]) -> str:
    base, last = runs[0], runs[-1]
    comparing = len(runs) > 1
    order = list(dict.fromkeys(s for r in runs for s in r.standards_due()))
    rest = list(dict.fromkeys(s for r in runs for s in r.workflow.standards if s not in order))
    head = ["Standard", "Source"]
    for run in runs:
        prefix = f"{run.label}: " if comparing else ""
        head += [f"{prefix}due", f"{prefix}late", f"{prefix}% on time (95% interval)"]
    head.append("Late by: median / 90th percentile" + (f" ({last.label})" if comparing else ""))
    if comparing:
        head.append(f"Change in % on time, {last.label} vs {base.label} (95% interval)")
    rows = []
    for ident in order + rest:
        owner = _owner(runs, ident)
        standard = owner.workflow.standards[ident]
        citation = standard.citation
        cells = [
            f'<th scope="row" id="std-{_e(ident)}"><span class="ts">{_e(_standard_label(owner, ident))}</span>'
            f'<span class="title">{_e(standard.spec.title)}</span><code>{_e(ident)}</code>'
            f' <span class="kind">{_e(standard.kind.replace("_", " "))}</span></th>',
            f'<td class="cite"><span class="doc">{_e(citation.document)}</span>, {_e(citation.section)}'
            f"<q>{_e(citation.quote)}</q></td>",
        ]
        for run in runs:
            due = run.get("standard.due", ident).mean
            if ident not in run.workflow.standards:
                cells += ['<td class="num" colspan="3">not a standard here</td>']
                continue
            if math.isnan(due) or due <= 0:
                cells += ['<td class="num" colspan="3">none due in the period</td>']
                continue
            cells += [
                f'<td class="num">{_num(due)}</td>',
                f'<td class="num">{_num(run.get("standard.breached", ident).mean)}</td>',
                f'<td class="num">{_estimate_pct(run, "standard.on_time_pct", ident)}</td>',
            ]
        cells.append(f'<td class="num">{_lateness(last, ident)}</td>')
        if comparing:
            cells.append(
                f"<td>{_change(_on_time_change(runs, ident), 'standard.on_time_pct')}</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<p>Every standard in force, with the words of the document it comes from. Due and late "
        "are mean counts over the reported period; an instance counts in the week it fell due. "
        "Standards with nothing due come last.</p>"
        '<div class="wide"><table class="standards"><thead><tr>'
        + "".join(f'<th scope="col">{_e(h)}</th>' for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )


def _lateness(run: RunResults, ident: str) -> str:
    if ident not in run.workflow.standards:
        return "–"
    spec = run.workflow.standards[ident].spec
    median = run.get("standard.late_units_median", ident).mean
    p90 = run.get("standard.late_units_p90", ident).mean
    unit = None
    for name in ("within", "at_least", "every"):
        duration = getattr(spec, name, None)
        if duration is not None:
            unit = duration.unit.value.replace("_", " ")
            break
    if isinstance(spec, RecurringSpec) and any(
        d is not None and d.unit != spec.every.unit for d in (spec.first, spec.second)
    ):
        unit = None  # mixed units: calendar days say it plainly
    if unit is None or math.isnan(median):
        median = run.get("standard.late_days_median", ident).mean
        p90 = run.get("standard.late_days_p90", ident).mean
        unit = "days"
    if math.isnan(median):
        return "–"
    return f"{median:.0f} / {p90:.0f} {_e(unit)}"


def _drift_table(runs: Sequence[RunResults]) -> str:
    idents = list(dict.fromkeys(d for r in runs for d in r.scenario.drift))
    if not idents:
        return ""
    base, last = runs[0], runs[-1]
    head = ["Drift measure", "What is counted"] + [f"{r.label}: %" for r in runs]
    if len(runs) > 1:
        head.append(f"Change, {last.label} vs {base.label}")
    rows = []
    for ident in idents:
        spec = next(r.scenario.drift[ident] for r in runs if ident in r.scenario.drift)
        metric = _DRIFT_PCT[spec.kind]
        words = _DRIFT_WORDS[spec.kind].format(limit=spec.limit)
        scope = ", ".join(spec.while_)
        cells = [
            f'<th scope="row">{_e(spec.title)} <code>{_e(ident)}</code></th>',
            f"<td>Cases in {_e(scope)}: share {_e(words)}</td>",
        ]
        cells += [
            f'<td class="num">{_estimate_pct(r, _DRIFT_PCT[spec.kind], ident)}</td>' for r in runs
        ]
        if len(runs) > 1:
            cells.append(f"<td>{_change(difference(base, last, metric, ident), metric)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _table("Drift over the whole reported period (mean, 95% interval)", head, rows, "drift")


def _workforce_table(runs: Sequence[RunResults]) -> str:
    teams = list(dict.fromkeys(t for r in runs for t in r.scenario.teams))
    head = ["Team"]
    for run in runs:
        prefix = f"{run.label}: " if len(runs) > 1 else ""
        head += [
            f"{prefix}utilisation",
            f"{prefix}mean wait for work, days",
            f"{prefix}90th percentile wait, days",
        ]
    rows = []
    for team in teams:
        cells = [f'<th scope="row">{_e(team.replace("_", " "))}</th>']
        for run in runs:
            wait = run.get("team.wait_days_mean", team)
            p90 = run.get("team.wait_days_p90", team)
            cells += [
                f'<td class="num">{_estimate_pct(run, "team.utilisation_pct", team)}</td>',
                f'<td class="num">{_num(wait.mean, 1)} {_interval(max(0.0, wait.low), wait.high)}</td>',
                f'<td class="num">{_num(p90.mean, 1)}</td>',
            ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _table(
        "Workforce over the whole reported period: share of available hours worked, and how "
        "long work waited for a worker (mean, 95% interval)",
        head,
        rows,
        "workforce",
    )


def _table(caption: str, head: Sequence[str], rows: Iterable[str], css: str) -> str:
    return (
        f'<div class="wide"><table class="{css}"><caption>{_e(caption)}</caption><thead><tr>'
        + "".join(f'<th scope="col">{_e(h)}</th>' for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )


# --- assumptions ---------------------------------------------------------------------------------

_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Demand", ("start", "horizon", "warm_up", "demand", "initial_caseload")),
    (
        "Workforce",
        ("teams", "case_weights", "casework_hours_per_week", "effort_hours", "queue_discipline"),
    ),
    ("Branch probabilities", ("branches",)),
    ("Time in each stage", ("stays", "extra_stay")),
    ("Meetings and placements", ("meetings", "placements")),
    ("Practice and routines", ("practice", "routines")),
)
_NOT_ASSUMPTIONS = {"id", "title", "extends", "authority", "seed", "replications", "drift"}
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _value(value: Any) -> str:
    """An assumption's value in words: distributions and durations spelt out."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        return f"{value:,.6g}" if isinstance(value, float) else f"{value:,}"
    if isinstance(value, Mapping):
        unit = str(value.get("unit", "")).replace("_", " ")
        kind = value.get("dist")
        if kind is not None:
            numbers = {k: v for k, v in value.items() if k not in ("dist", "unit")}
            shown = ", ".join(f"{k} {_value(v)}" for k, v in numbers.items())
            return f"{kind}: {shown} {unit}".strip()
        if set(value) == {"value", "unit"}:
            return f"{_value(value['value'])} {unit}"
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) or "none"
    return str(value)


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if (
        isinstance(value, Mapping)
        and "dist" not in value
        and set(value) != {"value", "unit"}
        and value
    ):
        for key, inner in value.items():
            _flatten(f"{prefix} · {key}" if prefix else str(key), inner, out)
        return
    out[prefix] = _value(value)


def _assumption_rows(run: RunResults) -> dict[str, dict[str, str]]:
    """Section → key → value, for one run's scenario."""
    data = run.scenario.model_dump(mode="json", by_alias=True)
    sections: dict[str, dict[str, str]] = {}
    placed: set[str] = set()
    for name, keys in _SECTIONS:
        rows: dict[str, str] = {}
        for key in keys:
            if key not in data:
                continue
            placed.add(key)
            if key == "branches":
                for state, options in (data[key] or {}).items():
                    for option, p in options.items():
                        rows[f"{state} → {option}"] = f"{100 * float(p):.1f}%"
            elif key == "demand":
                demand = dict(data[key])
                seasons = demand.pop("seasonality", {}) or {}
                _flatten("demand", demand, rows)
                if seasons:
                    rows["demand · seasonality"] = ", ".join(
                        f"{_MONTHS[int(m)]} ×{float(v):g}"
                        for m, v in sorted(seasons.items(), key=lambda i: int(i[0]))
                    )
            else:
                _flatten(key, data[key], rows)
        sections[name] = rows
    other: dict[str, str] = {}
    for key, value in data.items():
        if key not in placed and key not in _NOT_ASSUMPTIONS:
            _flatten(key, value, other)
    if other:
        sections["Other"] = other
    return sections


def _changed_assumptions(runs: Sequence[RunResults]) -> list[tuple[str, list[str]]]:
    """Every assumption that differs between the runs: (key, value in each run)."""
    tables = [_assumption_rows(r) for r in runs]
    keys: list[tuple[str, str]] = []
    for table in tables:
        for section, rows in table.items():
            keys += [(section, k) for k in rows if (section, k) not in keys]
    changed = []
    for section, key in keys:
        values = [t.get(section, {}).get(key, "–") for t in tables]
        if len(set(values)) > 1:
            changed.append((key, values))
    return changed


def _joined(values: Sequence[str]) -> tuple[str, bool]:
    """One cell for several runs: the value, or "a → b" where they differ."""
    differs = len(set(values)) > 1
    return (" → ".join(values) if differs else values[0]), differs


def _cell(values: Sequence[str]) -> str:
    text, differs = _joined(values)
    return f'<td class="differs">◆ {_e(text)}</td>' if differs else f"<td>{_e(text)}</td>"


def _key_values(title: str, per_run: Sequence[Mapping[str, str]]) -> str:
    keys = list(dict.fromkeys(k for table in per_run for k in table))
    if not keys:
        return ""
    rows = [
        f'<tr><th scope="row">{_e(key)}</th>'
        + _cell([table.get(key, "–") for table in per_run])
        + "</tr>"
        for key in keys
    ]
    return _table(title, ["Assumption", "Value"], rows, "assumptions")


def _pivot(title: str, per_run: Sequence[Mapping[str, Mapping[str, str]]], row_name: str) -> str:
    """A table with one row per entry (a team, a meeting) and one column per field."""
    names = list(dict.fromkeys(n for table in per_run for n in table))
    if not names:
        return ""
    fields = list(dict.fromkeys(f for table in per_run for n in table for f in table[n]))
    rows = [
        f'<tr><th scope="row">{_e(name)}</th>'
        + "".join(_cell([t.get(name, {}).get(f, "–") for t in per_run]) for f in fields)
        + "</tr>"
        for name in names
    ]
    head = [row_name] + [f.replace("_", " ") for f in fields]
    return _table(title, head, rows, "assumptions pivot")


def _fields(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): _value(v) for k, v in value.items()}
    return {"value": _value(value)}


def _demand_rows(data: Mapping[str, Any]) -> dict[str, str]:
    rows = {k.replace("_", " "): _value(data.get(k)) for k in ("start", "horizon", "warm_up")}
    flat: dict[str, str] = {}
    values = dict(data.get("demand") or {})
    seasons = values.pop("seasonality", {}) or {}
    _flatten("", values, flat)
    rows.update({k.replace("_", " "): v for k, v in flat.items()})
    if seasons:
        rows["seasonality (month × demand)"] = ", ".join(
            f"{_MONTHS[int(m)]} ×{float(v):g}"
            for m, v in sorted(seasons.items(), key=lambda i: int(i[0]))
        )
    return rows


def _branch_rows(data: Mapping[str, Any]) -> dict[str, str]:
    return {
        state: " · ".join(
            f"{option.replace('_', ' ')} {100 * float(p):.1f}%" for option, p in options.items()
        )
        for state, options in (data.get("branches") or {}).items()
    }


def _work_rows(data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for key, column in (
        ("effort_hours", "effort per piece of work, hours"),
        ("casework_hours_per_week", "casework per held case, hours a week"),
        ("case_weights", "caseload weight, points"),
    ):
        for name, value in (data.get(key) or {}).items():
            table.setdefault(name, {})[column] = _value(value)
    return table


def _entries(dumps: Sequence[Mapping[str, Any]], key: str) -> list[dict[str, dict[str, str]]]:
    return [{str(n): _fields(v) for n, v in (d.get(key) or {}).items()} for d in dumps]


def _assumptions(runs: Sequence[RunResults]) -> str:
    dumps = [r.scenario.model_dump(mode="json", by_alias=True) for r in runs]
    comparing = len(runs) > 1
    parts = [
        "<p>What the simulation assumed, as resolved from the scenario file (after "
        "<code>extends</code>); the seed and replications are in the next section."
        + (
            " Values that differ between the runs are marked ◆ and read first run → last."
            if comparing
            else ""
        )
        + "</p>"
    ]
    if comparing:
        changed = _changed_assumptions(runs)
        if changed:
            items = "".join(
                f"<li><strong>{_e(k)}</strong>: {' → '.join(_e(v) for v in values)}</li>"
                for k, values in changed
            )
            parts.append(f'<div class="notes"><h3>What differs</h3><ul>{items}</ul></div>')

    stays = [
        {
            **{k: _value(v) for k, v in (d.get("stays") or {}).items()},
            **{f"{k} (extra stay)": _value(v) for k, v in (d.get("extra_stay") or {}).items()},
        }
        for d in dumps
    ]
    blocks = [
        ("Demand", _key_values("Demand: new work arriving", [_demand_rows(d) for d in dumps])),
        (
            "Open cases at the start",
            _key_values(
                "Open cases on the first simulated day, by stage",
                [
                    {k: _value(v) for k, v in (d.get("initial_caseload") or {}).items()}
                    for d in dumps
                ],
            ),
        ),
        (
            "Branch probabilities",
            _key_values(
                "Branch probabilities: for each stage, the chance of each way out",
                [_branch_rows(d) for d in dumps],
            ),
        ),
        (
            "Time in each stage",
            _key_values("Time in each stage when no one is waiting for a worker", stays),
        ),
        ("Workforce", _pivot("Teams", _entries(dumps, "teams"), "Team")),
        (
            "Work and caseload weights",
            _pivot(
                "Work by stage or activity", [_work_rows(d) for d in dumps], "Stage or activity"
            ),
        ),
        ("Meetings", _pivot("Meetings (slots a week)", _entries(dumps, "meetings"), "Meeting")),
        ("Placements", _pivot("Placements", _entries(dumps, "placements"), "Placement")),
        (
            "Practice",
            _pivot(
                "Practice: how punctually visits and meetings happen",
                _entries(dumps, "practice"),
                "Applies to",
            ),
        ),
        (
            "Routines",
            _pivot("Routines: work no standard times", _entries(dumps, "routines"), "Routine"),
        ),
    ]
    shown = {
        "start",
        "horizon",
        "warm_up",
        "demand",
        "initial_caseload",
        "branches",
        "stays",
        "extra_stay",
        "teams",
        "effort_hours",
        "casework_hours_per_week",
        "case_weights",
        "meetings",
        "placements",
        "practice",
        "routines",
    }
    other: list[dict[str, str]] = []
    for d in dumps:
        flat: dict[str, str] = {}
        for key, value in d.items():
            if key not in shown and key not in _NOT_ASSUMPTIONS:
                _flatten(key, value, flat)
        other.append(flat)
    blocks.append(("Other", _key_values("Other assumptions", other)))
    for name, content in blocks:
        if content:
            parts.append(f"<details open><summary>{_e(name)}</summary>{content}</details>")
    return "".join(parts)


# --- reproduction and method ---------------------------------------------------------------------


def _reproduce(runs: Sequence[RunResults]) -> str:
    parts = []
    for run in runs:
        record = run.record
        command = (
            f"casejourney simulate {record.scenario} --seed {record.seed} -n {record.replications}"
            + (f" --scale {record.scale:g}" if record.scale != 1 else "")
            + "".join(f" --set {shlex.quote(change)}" for change in record.changes)
            + f" -o {shlex.quote(run.folder.name)}"
        )
        versions = "".join(
            f'<tr><th scope="row">{_e(k)}</th><td><code>{_e(v)}</code></td></tr>'
            for k, v in record.versions.items()
        )
        digests = "".join(
            f'<tr><td class="num">{r}</td><td class="num">{events:,}</td><td class="num">{cases:,}</td>'
            f"<td><code>{_e(sha)}</code></td></tr>"
            for r, sha, events, cases in record.digests
        )
        parts.append(
            f"<h3>{_e(run.label)}</h3>"
            f"<p>Scenario <code>{_e(record.scenario)}</code> on the rules of <code>{_e(record.authority)}</code>"
            f" (workflow files: {_e(', '.join(record.workflow_files) or record.authority)}); simulated from "
            f"{_e(_date(record.start))}, reported {_e(_period(run))}; seed <strong>{record.seed}</strong>, "
            f"{record.replications} replications, scale {record.scale:g}. Replication r uses "
            f"<code>SeedSequence({record.seed}).spawn(n)[r]</code>: the same seed and files give the "
            "same event logs, bit for bit, however many processes ran them. The command names the "
            "scenario by its id: give its file instead if it is not a shipped one. The scenario as "
            "resolved is <code>scenario.resolved.json</code> in the results folder.</p>"
            f'<pre class="command"><code>{_e(command)}</code></pre>'
            '<div class="cols"><div>'
            + _table("Versions", ["Package", "Version"], [versions], "versions")
            + "</div><div>"
            + _table(
                "Event logs (SHA-256 of each replication's log)",
                ["Replication", "Events", "Cases", "SHA-256"],
                [digests],
                "digests",
            )
            + "</div></div>"
        )
    return "".join(parts)


def _method(runs: Sequence[RunResults]) -> str:
    paired = len(runs) > 1 and all(
        r.record.seed == runs[0].record.seed
        and r.record.replications == runs[0].record.replications
        for r in runs
    )
    comparison = ""
    if len(runs) > 1:
        comparison = (
            "<li>A change between runs is the later run's figure minus the first run's, in "
            "percentage points. "
            + (
                "These runs share a seed and a number of replications, so replication r of each "
                "drew on the same random streams (common random numbers): the interval is a "
                "paired t-interval on the per-replication differences."
                if paired
                else "These runs do not share random streams, so the interval is Welch's for two "
                "independent samples."
            )
            + " A change is called better or worse only when its 95% interval excludes zero; "
            "otherwise it is within the noise. Which way is better belongs to the measure: a rise "
            "in % on time is better, a rise in a drift measure (cases over a limit, repeats, "
            "decisions missing) is worse. ▲ and ▼ say only which way the figure moved.</li>"
        )
    return (
        "<ul>"
        "<li>Each run is several replications of the same scenario with independent random "
        "streams. A figure is the mean across replications; its 95% interval is the t-interval "
        "across replications (the spread of the mean, not of single weeks). A percentage of "
        f"fewer than {SMALL_COUNT} instances (all replications together) is marked "
        f"{WILSON_MARK}: its interval is Wilson's, from the pooled counts, because a t-interval "
        "over a handful of 0% and 100% runs to the ends of the scale.</li>"
        "<li>An instance of a standard counts in the week it fell due, whatever happened later. "
        "On time: done by its due date. Late: done after it, or not done by the end of the run "
        "or by the time the case left the stage where it was owed. Pending instances (due after "
        "the run ends) are not counted.</li>"
        "<li>Counts (cases, instances) are per reported period of the run; at a scale below 1 "
        "they are scaled down with the demand and staff.</li>"
        + comparison
        + "<li>Files behind every figure, in each results folder: <code>summary.csv</code> "
        "(whole period), <code>weekly.csv</code> (week by week), <code>replications.csv</code> "
        "(each replication), <code>events/</code> (each replication's event log and weekly counts)."
        "</li></ul>"
    )


CSS = """
:root { --text: #1a1a1a; --muted: #595959; --rule: #d0d0d0; --band: #f3f6f9; --worse: #a63d00;
  --better: #005a8c; font-family: Arial, "Liberation Sans", Helvetica, sans-serif; color: var(--text); }
body { margin: 0 auto; max-width: 1040px; padding: 1.5rem 1.25rem 3rem; line-height: 1.45;
  font-size: 15px; background: #fff; }
h1 { font-size: 1.7rem; margin: .2rem 0 .6rem; line-height: 1.2; }
h2 { font-size: 1.3rem; border-bottom: 2px solid var(--text); padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
a { color: #005a8c; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .86em; }
.kicker { text-transform: uppercase; letter-spacing: .06em; font-size: .75rem; color: var(--muted); margin: 0; }
ul.runs { padding-left: 0; list-style: none; margin: .4rem 0; }
ul.runs li { margin: .2rem 0; }
.swatch { display: inline-block; width: 1.4em; height: .7em; margin-right: .4em; vertical-align: middle; }
nav ol { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; padding-left: 1.2rem; margin: .8rem 0 0; }
.notes { background: #fff8e5; border-left: 4px solid #e69f00; padding: .4rem .8rem; margin: .8rem 0; }
.notes p { margin: .3rem 0; }
.lede { font-size: 1.05rem; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.card { flex: 1 1 14rem; border: 1px solid var(--rule); border-top: 4px solid #0072b2; padding: .5rem .8rem; }
.card-title { font-weight: bold; margin: .2rem 0; }
.card-value { font-size: 1.15rem; margin: .2rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; margin: .6rem 0 1rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border-bottom: 1px solid var(--rule); padding: .35rem .45rem; vertical-align: top; text-align: left; }
thead th { background: var(--band); border-bottom: 2px solid var(--text); }
tbody tr:nth-child(even) { background: #fafafa; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.ci { color: var(--muted); font-size: .9em; }
.change { font-weight: bold; white-space: nowrap; }
.verdict { font-size: .85em; white-space: nowrap; }
.worse { color: var(--worse); } .better { color: var(--better); } .noise { color: var(--muted); }
a.ref { font-size: .8em; color: var(--muted); margin-left: .3em; }
table.standards th[scope=row] { min-width: 15rem; }
table.standards .ts { display: block; font-weight: bold; }
table.standards .title { display: block; font-weight: normal; color: var(--muted); }
table.standards .kind { font-weight: normal; color: var(--muted); font-size: .85em; }
td.cite { min-width: 16rem; font-size: .85em; }
td.cite .doc { font-style: italic; }
td.cite q { display: block; margin-top: .2rem; color: #333; }
tr.differs { background: #fff1e0 !important; }
.wide { overflow-x: auto; }
figure.chart { margin: 1.2rem 0 1.8rem; }
figure.chart h3 { margin-bottom: .2rem; }
figcaption { color: var(--muted); font-size: .88rem; max-width: 52rem; }
svg.chart-svg { display: block; height: auto; }
figure.pathway .scroll { overflow-x: auto; border: 1px solid var(--rule); }
figure.pathway svg { display: block; width: 100%; height: auto; }
input.zoom { margin: 0 .4rem .4rem 0; } label.zoom { font-size: .9rem; }
.legend { display: flex; flex-wrap: wrap; gap: 2rem; font-size: .88rem; }
.legend h3 { font-size: .95rem; margin: .3rem 0; }
.legend ul { list-style: none; padding: 0; margin: 0; }
.legend li { margin: .15rem 0; }
.legend .line { display: inline-block; width: 2.4em; vertical-align: middle; margin-right: .5em; }
.legend .box { display: inline-block; width: 2em; height: .9em; border: 1px solid #888; vertical-align: middle; margin-right: .5em; }
details summary { cursor: pointer; font-weight: bold; margin: .8rem 0 .2rem; }
pre.command { background: var(--band); padding: .5rem .8rem; overflow-x: auto; }
.cols { display: flex; flex-wrap: wrap; gap: 1.5rem; } .cols > div { flex: 1 1 20rem; min-width: 0; }
table.digests code { word-break: break-all; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--rule); }
.print-phases { display: none; }
@media screen and (max-width: 700px) {
  body { padding: 1rem .75rem 2rem; font-size: 16px; }
  h1 { font-size: 1.4rem; }
  figure.chart .parts { overflow-x: auto; }
  figure.chart .parts svg.chart-svg { width: 800px; max-width: none; }
  table { font-size: .85rem; }
  .wide, section table { display: block; overflow-x: auto; }
  td.cite, table.standards th[scope=row] { min-width: 12rem; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav, a.ref, .zoom { display: none; }
  figure.pathway svg { width: 100% !important; }
  h2, h3, caption { break-after: avoid; }
  table.headline, .cards, tr, svg.chart-svg, figure.phase-page { break-inside: avoid; }
  figure.chart { break-inside: auto; }
  svg.chart-svg { max-height: 250mm; }
  .print-phases { display: block; }
  figure.phase-page { page: pathway; break-before: page; margin: 0; }
  figure.phase-page svg { display: block; width: 100%; height: auto; max-height: 175mm; }
  figure.phase-page figcaption { font-size: 9pt; margin-bottom: 2mm; }
  section#pathway { page: pathway; }
  section#pathway p, .legend { font-size: 9pt; margin: 1mm 0; }
  section#pathway h2 { margin-top: 0; }
  figure.pathway { margin: 0; }
  figure.pathway .scroll { border: none; }
  figure.pathway svg { max-height: 165mm; }
  details > * { display: block; }
  .wide { overflow: visible; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
@page { size: A4 portrait; margin: 14mm; }
@page pathway { size: A4 landscape; margin: 10mm; }
"""
