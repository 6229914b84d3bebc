"""What a change means: every measure's better direction, the verdicts, ranking and intervals."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from casejourney.report.charts_data import Estimate, RunResults, load_runs, wilson
from casejourney.report.diagram import timescale_labels
from casejourney.report.html import replications_needed, report_html
from casejourney.report.measures import MEASURES, Better, Verdict, info, verdict
from casejourney.spec import load_workflow
from tests.conftest import ROOT, WORKFLOWS
from tests.test_report_data import simulated

_H, _L, _N = Better.HIGHER, Better.LOWER, Better.NEITHER

#: Which way is better, measure by measure, written out by hand: the table in
#: ``report/measures.py`` must agree with it, so a flipped direction fails here.
EXPECTED = {
    "standard.due": _N,
    "standard.met": _N,
    "standard.breached": _L,
    "standard.on_time_pct": _H,
    "standard.late_days_median": _L,
    "standard.late_days_p90": _L,
    "standard.late_units_median": _L,
    "standard.late_units_p90": _L,
    "stage.open": _N,
    "stage.entered": _N,
    "stage.left": _N,
    "stage.mean_days": _N,
    "stage.median_days": _N,
    "stage.p90_days": _N,
    "stage.queued": _L,
    "stage.wait_days_mean": _L,
    "team.queued": _L,
    "team.wait_days_mean": _L,
    "team.wait_days_p90": _L,
    "team.utilisation_pct": _N,
    "team.cases_per_worker": _L,
    "team.unallocated": _L,
    "team.waited_unallocated": _L,
    "team.unallocated_wait_days_mean": _L,
    "team.casework_backlog_hours": _L,
    "team.most_over_limit": _L,
    "place.overflow": _L,
    "meeting.extra_slots": _L,
    "drift.open_over": _L,
    "drift.ended": _N,
    "drift.ended_over": _L,
    "drift.ended_over_pct": _L,
    "drift.entered": _N,
    "drift.repeat": _L,
    "drift.repeat_pct": _L,
    "drift.reached": _N,
    "drift.missing": _L,
    "drift.missing_pct": _L,
    "cases.arrived": _N,
    "cases.opening": _N,
    "cases.open": _N,
    "cases.closed": _N,
}


def _written_by_metrics() -> set[str]:
    """Every metric name in the metrics module's source (literal, or ``cases.{…}``)."""
    source = (ROOT / "src" / "casejourney" / "metrics.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"([a-z]+\.[a-z][a-z0-9_]*)"', source))
    for prefix, variable in re.findall(r'f"([a-z]+)\.\{(\w+)\}"', source):
        options = re.search(rf"for {variable} in \(([^)]*)\)", source)
        assert options, f"cannot find what {prefix}.{{{variable}}} runs over"
        names |= {f"{prefix}.{o}" for o in re.findall(r'"(\w+)"', options.group(1))}
    return names


def test_every_measure_the_metrics_write_says_which_way_is_better() -> None:
    written = _written_by_metrics()
    assert {"standard.on_time_pct", "drift.ended_over_pct", "cases.open"} <= written
    assert written <= set(MEASURES), f"no direction for {sorted(written - set(MEASURES))}"


def test_every_measure_in_a_simulated_results_folder_is_described(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = simulated(tmp_path_factory, "base")
    found: set[str] = set()
    for name in ("summary.parquet", "weekly.parquet"):
        found |= set(pq.read_table(folder / name, columns=["metric"])["metric"].to_pylist())
    assert found <= set(MEASURES), f"no direction for {sorted(found - set(MEASURES))}"


@pytest.mark.parametrize("metric", sorted(MEASURES))
def test_each_measure_has_the_direction_a_planner_expects(metric: str) -> None:
    assert metric in EXPECTED, f"add {metric} to EXPECTED with the direction a planner reads"
    measure = info(metric)
    assert measure.better is EXPECTED[metric]
    assert measure.title and measure.unit
    if measure.counts is not None:
        part, whole = measure.counts
        assert measure.unit == "%" and part in MEASURES and whole in MEASURES


def test_a_rise_is_better_for_on_time_and_worse_for_drift() -> None:
    assert verdict("standard.on_time_pct", 1.2, 0.4, 2.0) is Verdict.BETTER
    assert verdict("standard.on_time_pct", -1.2, -2.0, -0.4) is Verdict.WORSE
    # the case: PLO pre-proceedings over 16 weeks, 67.9% → 69.1%, is worse, not better
    assert verdict("drift.ended_over_pct", 1.2, 0.4, 2.0) is Verdict.WORSE
    assert verdict("drift.missing_pct", -3.0, -5.0, -1.0) is Verdict.BETTER
    assert verdict("team.utilisation_pct", 3.0, 1.0, 5.0) is Verdict.UP
    assert verdict("drift.ended_over_pct", 1.2, -0.4, 2.0) is Verdict.NOISE
    assert verdict("drift.ended_over_pct", 1.2, float("nan"), float("nan")) is Verdict.UNKNOWN


def test_an_unknown_measure_is_named() -> None:
    with pytest.raises(KeyError, match=r"'standard\.made_up' is not a measure"):
        info("standard.made_up")


# --- intervals ------------------------------------------------------------------------------------


def test_wilson_intervals_stay_inside_the_scale_and_are_never_of_zero_width() -> None:
    low, high = wilson(3, 3)
    assert low == pytest.approx(43.85, abs=0.01) and high == 100.0
    low, high = wilson(0, 3)
    assert low == 0.0 and high == pytest.approx(56.15, abs=0.01)
    low, high = wilson(2, 3)
    assert (low, high) == (pytest.approx(20.77, abs=0.01), pytest.approx(93.85, abs=0.01))


def test_a_percentage_of_few_instances_gets_a_wilson_interval(base_run: RunResults) -> None:
    s = "assessment-45wd"
    few = replace(
        base_run,
        summary={
            **base_run.summary,
            ("standard.on_time_pct", s): Estimate(75.0, 0.0, 100.0, 2),
            ("standard.due", s): Estimate(1.5, 0.0, 8.0, 2),
            ("standard.met", s): Estimate(1.0, 0.0, 5.0, 2),
        },
    )
    got = few.get("standard.on_time_pct", s)
    assert got.method == "wilson" and got.instances == 3
    assert (got.low, got.high) == (pytest.approx(20.77, abs=0.01), pytest.approx(93.85, abs=0.01))
    many = replace(
        few,
        summary={
            **few.summary,
            ("standard.due", s): Estimate(150, 140, 160, 2),
            ("standard.met", s): Estimate(112.5, 100, 120, 2),
        },
    )
    got = many.get("standard.on_time_pct", s)
    assert got.method == "t" and (got.low, got.high) == (0.0, 100.0)


def test_replications_needed_grow_with_the_square_of_the_width() -> None:
    assert replications_needed(2, 10.0, 5.0) == 8
    assert replications_needed(20, 5.5, 5.0) == 25
    assert replications_needed(5, 1.0, 5.0) == 6  # never fewer than one more


# --- labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yaml")), ids=lambda p: p.stem)
def test_no_two_standards_share_a_label(path: Path) -> None:
    workflow = load_workflow(path.stem)
    labels = timescale_labels(workflow)
    assert set(labels) == set(workflow.standards)
    assert len(set(labels.values())) == len(labels)


def test_barnets_three_six_monthly_reassessments_are_told_apart() -> None:
    labels = timescale_labels(load_workflow("barnet"))
    assert labels["cin-assessment-update"].endswith("while child in need plan")
    assert labels["cp-assessment-update"].endswith("while child protection plan")


# --- the comparison report ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_run(tmp_path_factory: pytest.TempPathFactory) -> RunResults:
    return load_runs([simulated(tmp_path_factory, "base")])[0]


def _with(run: RunResults, metric: str, subject: str, values: list[float]) -> RunResults:
    mean = sum(values) / len(values)
    return replace(
        run,
        summary={**run.summary, (metric, subject): Estimate(mean, mean - 1, mean + 1, len(values))},
        per_replication={**run.per_replication, (metric, subject): dict(enumerate(values))},
    )


@pytest.fixture(scope="module")
def moved(base_run: RunResults) -> str:
    """A comparison in which a drift measure rises clearly, one standard falls clearly but a
    little, and a much-breached standard falls a lot within the noise."""
    first = replace(base_run, label="Before")
    second = replace(base_run, label="After")
    first = _with(first, "drift.ended_over_pct", "proceedings-over-26-weeks", [67.0, 68.0, 68.7])
    second = _with(second, "drift.ended_over_pct", "proceedings-over-26-weeks", [68.2, 69.2, 69.9])
    busiest = base_run.standards_due()[0]
    first = _with(first, "standard.on_time_pct", busiest, [60.0, 90.0, 75.0])
    second = _with(second, "standard.on_time_pct", busiest, [70.0, 60.0, 45.0])
    small = base_run.standards_due()[-1]
    first = _with(first, "standard.on_time_pct", small, [80.0, 81.0, 82.0])
    second = _with(second, "standard.on_time_pct", small, [78.1, 79.0, 79.9])
    first = replace(first, record=replace(first.record, replications=3))
    second = replace(second, record=replace(second.record, replications=3))
    return report_html([first, second], generated=dt.date(2026, 12, 2))


def _section(page: str, ident: str) -> str:
    return page.split(f'<section id="{ident}">', 1)[1].split("</section>", 1)[0]


def test_a_rise_in_drift_is_marked_worse_in_the_report(moved: str) -> None:
    drift = _section(moved, "drift")
    row = next(r for r in drift.split("<tr>") if "proceedings-over-26-weeks" in r)
    assert "▲ +1.2 pts" in row
    assert '<span class="verdict worse">worse</span>' in row
    assert "better" not in row


def test_the_headline_ranks_clear_changes_before_large_noisy_ones(
    moved: str, base_run: RunResults
) -> None:
    headline = _section(moved, "headline")
    table = headline.split('<table class="headline">', 2)[1]
    assert "changed most: changes clear of the noise first" in table
    rows = table.split("<tr>")[2:]
    small, busiest = base_run.standards_due()[-1], base_run.standards_due()[0]
    order = [next(i for i, r in enumerate(rows) if f"#std-{s}" in r) for s in (small, busiest)]
    assert order[0] == 0 and order[0] < order[1]
    assert '<span class="verdict worse">worse</span>' in rows[0]
    assert "within the noise" in rows[order[1]]
    assert "clearly worse on <strong>1</strong> standard " in headline


def test_wide_intervals_say_how_many_replications_would_narrow_them(moved: str) -> None:
    note = _section(moved, "headline").split("Wide intervals.", 1)[1].split("</div>", 1)[0]
    needed = int(re.search(r"<code>-n (\d+)</code>", note).group(1))  # type: ignore[union-attr]
    assert needed > 3


def test_docs_outputs_lists_every_measure_with_its_direction() -> None:
    text = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    rows = dict(
        (metric, (unit, better))
        for metric, unit, better in re.findall(
            r"^\| `([a-z]+\.[a-z0-9_]+)` \| ([^|]+) \| (\w+) \|", text, re.M
        )
    )
    assert rows == {m: (i.unit, i.better.value) for m, i in MEASURES.items()}
