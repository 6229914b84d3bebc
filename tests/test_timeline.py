"""The journey timeline picture: SVG structure, not pixels (what is drawn, marked and cited)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import casejourney
from casejourney.cli import main
from casejourney.journey import Journey, walk
from casejourney.report.timeline import timeline_svg
from casejourney.spec.resolve import Workflow
from casejourney.tracking import CaseEvent, Outcome, track

NS = {"svg": "http://www.w3.org/2000/svg"}
PATH = "referral,strategy_discussion,s47_enquiry,icpc,cp_plan,cin_plan,case_closed"
VERMILION = "#D55E00"


@pytest.fixture(scope="module")
def national() -> Workflow:
    return casejourney.load_workflow("national")


@pytest.fixture(scope="module")
def scripted(national: Workflow) -> Journey:
    """The scripted national route, with typical (on-time) timings."""
    scenario, _ = casejourney.load_scenario("national-baseline")
    return walk(national, scenario, dt.date(2026, 12, 18), path=PATH.split(","))


@pytest.fixture(scope="module")
def breached(national: Workflow) -> Journey:
    """A hand-written record with one of each outcome: met, late, missed, pending, withdrawn."""
    events = [
        CaseEvent(dt.date(2026, 1, 5), "contact"),
        CaseEvent(dt.date(2026, 1, 6), "referral"),
        CaseEvent(dt.date(2026, 1, 7), "strategy_discussion"),  # met: decision within 1 wd
        CaseEvent(dt.date(2026, 1, 8), "s47_enquiry"),
        CaseEvent(dt.date(2026, 2, 9), "icpc"),  # late: 15 working days from 7 January is 28 Jan
        CaseEvent(dt.date(2026, 2, 9), "cp_plan"),
        # no core group at all: missed; no review conference before the record ends: pending
    ]
    until = dt.date(2026, 4, 1)
    instances = track(national, events, until=until)
    return Journey(national, tuple(events), tuple(instances), until)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{{{NS['svg']}}}g") if cls in g.get("class", "").split()]


def tooltip(element: ET.Element) -> str:
    title = element.find("svg:title", NS)
    assert title is not None and title.text, "every hoverable element has a <title>"
    return title.text


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{{{NS['svg']}}}text")]


def test_outcomes_of_the_hand_written_record(breached: Journey) -> None:
    # Guards the fixture: the picture tests below rely on every outcome being present.
    outcomes = {i.outcome for i in breached.instances}
    assert {Outcome.MET, Outcome.LATE, Outcome.MISSED, Outcome.PENDING} <= outcomes


def test_is_a_16_by_9_svg_with_the_authority_and_start_in_the_title(scripted: Journey) -> None:
    root = parse(timeline_svg(scripted))
    assert root.tag == f"{{{NS['svg']}}}svg"
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    assert width / height == pytest.approx(16 / 9, rel=0.01)
    heading = " ".join(texts(root)[:1])
    assert "National statutory floor (England)" in heading
    assert "18 December 2026" in heading


def test_every_stay_in_a_state_is_a_band(scripted: Journey) -> None:
    root = parse(timeline_svg(scripted))
    bands = groups(root, "state-band")
    entered = [e for e in scripted.events if e.name in scripted.workflow.states]
    assert [(b.get("data-state"), b.get("data-start")) for b in bands] == [
        (e.name, e.day.isoformat()) for e in entered
    ]
    for band in bands:
        state = scripted.workflow.states[band.get("data-state", "")]
        assert state.label in tooltip(band)
    labels = " ".join(texts(root))
    for event in entered:
        assert scripted.workflow.states[event.name].label in labels


def test_every_activity_is_a_tick(scripted: Journey) -> None:
    root = parse(timeline_svg(scripted))
    ticks = groups(root, "activity")
    activities = [e for e in scripted.events if e.name in scripted.workflow.activities]
    assert activities, "the scripted route records a core group and review conferences"
    assert sorted((t.get("data-activity"), t.get("data-day")) for t in ticks) == sorted(
        (e.name, e.day.isoformat()) for e in activities
    )


@pytest.mark.parametrize("which", ["scripted", "breached"])
def test_every_standard_instance_is_a_marker_in_its_own_lane(
    which: str, request: pytest.FixtureRequest
) -> None:
    journey: Journey = request.getfixturevalue(which)
    root = parse(timeline_svg(journey))
    markers = groups(root, "instance")
    assert Counter(
        (m.get("data-standard"), int(m.get("data-occurrence", "0")), m.get("data-outcome"))
        for m in markers
    ) == Counter((i.standard, i.occurrence, i.outcome.value) for i in journey.instances)
    lanes = groups(root, "standard-lane")
    assert [lane.get("data-standard") for lane in lanes] == list(
        dict.fromkeys(i.standard for i in sorted(journey.instances, key=lambda i: i.due))
    )
    for lane in lanes:
        inside = groups(lane, "instance")
        assert {m.get("data-standard") for m in inside} == {lane.get("data-standard")}


def test_breaches_are_marked_distinctly(breached: Journey) -> None:
    root = parse(timeline_svg(breached))
    for marker in groups(root, "instance"):
        outcome = Outcome(marker.get("data-outcome", ""))
        colours = {e.get("fill") for e in marker.iter()} | {e.get("stroke") for e in marker.iter()}
        if outcome in {Outcome.LATE, Outcome.MISSED}:
            assert marker.get("data-breach") == "true"
            assert VERMILION in colours
        else:
            assert marker.get("data-breach") is None
            assert VERMILION not in colours
    # Late and missed markers differ in shape too, not only from met ones in colour.
    shapes = {
        outcome: {e.tag for m in groups(root, outcome) for e in m if not e.tag.endswith("title")}
        for outcome in ("met", "late", "missed", "pending")
    }
    assert len({frozenset(s) for s in shapes.values()}) == len(shapes)


def test_a_late_instance_says_by_how_much(breached: Journey) -> None:
    late = next(i for i in breached.instances if i.outcome is Outcome.LATE)
    assert late.unit == "working_days"
    root = parse(timeline_svg(breached))
    words = f"late by {late.late_units:g} working days"
    assert words in " ".join(texts(root))
    marker = next(m for m in groups(root, "late") if m.get("data-standard") == late.standard)
    assert words in tooltip(marker)


def test_tooltips_carry_the_due_date_outcome_and_citation(breached: Journey) -> None:
    root = parse(timeline_svg(breached))
    for marker in groups(root, "instance"):
        standard = breached.workflow.standards[marker.get("data-standard", "")]
        due = dt.date.fromisoformat(marker.get("data-due", ""))
        tip = tooltip(marker)
        assert standard.spec.title in tip
        assert f"{due.day} {due:%b %Y}" in tip
        assert standard.citation.document in tip
        assert standard.citation.section in tip
        assert standard.citation.quote in tip
        outcome = marker.get("data-outcome")
        word = {"met": "Met", "late": "LATE", "missed": "MISSED", "pending": "Still open"}
        assert word.get(outcome or "", "No longer applied") in tip


def test_a_long_dense_journey_keeps_one_lane_per_standard_and_16_by_9() -> None:
    workflow = casejourney.load_workflow("liverpool")
    scenario, _ = casejourney.load_scenario("national-baseline")
    journey = walk(workflow, scenario, dt.date(2026, 1, 5), rng=np.random.default_rng(7))
    assert (journey.until - journey.events[0].day).days > 3 * 365, "seed 7 runs for years"
    root = parse(timeline_svg(journey))
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    assert width / height == pytest.approx(16 / 9, rel=0.01)
    standards = {i.standard for i in journey.instances}
    assert len(groups(root, "standard-lane")) == len(standards)
    assert len(groups(root, "instance")) == len(journey.instances)
    # One label per lane (states and standards), each at its own height: labels never overlap.
    heights = [
        min(float(t.get("y", "0")) for t in g.iter(f"{{{NS['svg']}}}text"))
        for g in groups(root, "lane-label")
    ]
    assert len(heights) == len(standards) + len(visited(journey))
    assert sorted(heights) == heights and len(set(heights)) == len(heights)


def visited(journey: Journey) -> set[str]:
    return {e.name for e in journey.events if e.name in journey.workflow.states}


def test_a_journey_with_no_standards_says_so() -> None:
    workflow = casejourney.load_workflow("national")
    scenario, _ = casejourney.load_scenario("national-baseline")
    journey = walk(workflow, scenario, dt.date(2026, 1, 5), path=["case_closed"])
    root = parse(timeline_svg(journey))
    assert not groups(root, "instance")
    assert any("No timescale applied" in t for t in texts(root))


def test_nothing_personal_is_drawn(national: Workflow) -> None:
    scenario, _ = casejourney.load_scenario("national-baseline")
    born = dt.date(2018, 3, 14)
    journey = walk(
        national, scenario, dt.date(2026, 12, 18), path=PATH.split(","), date_of_birth=born
    )
    svg = timeline_svg(journey)
    for written in (born.isoformat(), "14 Mar 2018", "14 March 2018", "2018"):
        assert written not in svg
    assert "age" not in " ".join(texts(parse(svg))).lower().split()


def test_cli_writes_the_svg(tmp_path: Path) -> None:
    target = tmp_path / "t.svg"
    code = main(
        [
            "journey",
            "--authority",
            "national",
            "--path",
            PATH,
            "--start",
            "2026-12-18",
            "--format",
            "svg",
            "-o",
            str(target),
        ]
    )
    assert code == 0
    root = parse(target.read_text(encoding="utf-8"))
    assert groups(root, "state-band") and groups(root, "instance")


def test_cli_draws_a_seeded_liverpool_journey(tmp_path: Path) -> None:
    target = tmp_path / "liverpool.svg"
    code = main(
        ["journey", "--authority", "liverpool", "--seed", "3", "--format", "svg", "-o", str(target)]
    )
    assert code == 0
    assert parse(target.read_text(encoding="utf-8")).tag.endswith("svg")
