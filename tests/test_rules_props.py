"""Property-based proof that the rules are consistent: within each authority, against statute, across.

Parametrised over ``workflows/*.yaml``, so a new authority file is covered without new code.
Failures print the smallest counter-example Hypothesis finds, with the citations involved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import networkx as nx
import pytest
import yaml
from hypothesis import assume, given, note
from hypothesis import strategies as st

import casejourney
from casejourney.api import Level
from casejourney.calendar import WorkingCalendar
from casejourney.checks import check_workflow
from casejourney.checks.structure import journey_graph
from casejourney.spec.models import DeadlineSpec, LeadTimeSpec, MaxDurationSpec, RecurringSpec
from casejourney.tracking import BREACHES, CaseEvent, track
from tests import strategies

ROOT = Path(__file__).parent.parent
AUTHORITIES = sorted(p.stem for p in (ROOT / "workflows").glob("*.yaml"))
LOCAL = [a for a in AUTHORITIES if a != "national"]
NATIONAL = casejourney.load_workflow("national")
LOADED = {name: casejourney.load_workflow(name) for name in AUTHORITIES}


def _durations(spec: object) -> list[tuple[str, object]]:
    if isinstance(spec, DeadlineSpec | MaxDurationSpec):
        return [("within", spec.within)]
    if isinstance(spec, RecurringSpec):
        return [("first", spec.first or spec.every), ("every", spec.every)]
    if isinstance(spec, LeadTimeSpec):
        return [("at_least", spec.at_least)]
    return []


# --- refinement ---------------------------------------------------------------------------------


@pytest.mark.parametrize("authority", LOCAL)
@given(day=strategies.dates)
def test_no_override_falls_due_later_than_statute_unless_acknowledged(
    authority: str, day: dt.date
) -> None:
    workflow = LOADED[authority]
    calendar = workflow.calendar
    for standard in workflow.standards.values():
        national = standard.replaces
        if standard.inherited or national is None or standard.spec.acknowledged_deviation:
            continue
        for (field, mine), (_, theirs) in zip(
            _durations(standard.spec), _durations(national.spec), strict=False
        ):
            local_due = calendar.add(day, mine)  # type: ignore[arg-type]
            statute_due = calendar.add(day, theirs)  # type: ignore[arg-type]
            if field == "at_least":
                assert local_due >= statute_due, (standard.citation, national.citation)
            else:
                assert local_due <= statute_due, (
                    f"{authority} '{standard.id}' {field}: due {local_due} from {day}, statute {statute_due}",
                    standard.citation.render(),
                    national.citation.render(),
                )


# --- structure ----------------------------------------------------------------------------------


@pytest.mark.parametrize("authority", AUTHORITIES)
def test_every_state_reachable_and_every_state_can_finish(authority: str) -> None:
    workflow = LOADED[authority]
    graph = journey_graph(workflow)
    start = workflow.initial_state
    assert nx.descendants(graph, start) | {start} == set(workflow.states)
    terminals = {s.id for s in workflow.states.values() if s.terminal}
    for state in workflow.states:
        assert state in terminals or nx.descendants(graph, state) & terminals, state


@pytest.mark.parametrize("authority", AUTHORITIES)
def test_no_contradictory_timescales(authority: str) -> None:
    codes = {f.code for f in check_workflow(LOADED[authority])}
    assert "contradictory-timescales" not in codes


# --- determinism and monotonicity ---------------------------------------------------------------


@pytest.mark.parametrize("authority", AUTHORITIES)
@given(data=st.data())
def test_same_events_same_outcome(authority: str, data: st.DataObject) -> None:
    workflow = LOADED[authority]
    events = data.draw(strategies.journeys(workflow))
    until = events[-1].day + dt.timedelta(days=30)
    assert track(workflow, events, until=until) == track(workflow, list(events), until=until)


@pytest.mark.parametrize("authority", AUTHORITIES)
@given(data=st.data())
def test_delaying_an_event_never_turns_the_breach_it_settles_into_a_met_standard(
    authority: str, data: st.DataObject
) -> None:
    workflow = LOADED[authority]
    events = data.draw(strategies.journeys(workflow))
    assume(len(events) >= 2)
    until = events[-1].day + dt.timedelta(days=60)
    before = track(workflow, events, until=until)
    index = data.draw(st.integers(1, len(events) - 1))
    event = events[index]
    limit = events[index + 1].day if index + 1 < len(events) else until
    new_day = data.draw(st.dates(event.day, max(event.day, limit)))
    delayed = [*events[:index], CaseEvent(new_day, event.name), *events[index + 1 :]]
    after = {(i.standard, i.opened, i.occurrence): i for i in track(workflow, delayed, until=until)}
    note(f"delayed {event.name} from {event.day} to {new_day}")
    for instance in before:
        settled_here = instance.done == event.day and instance.kind in {"deadline", "max_duration"}
        if not (settled_here and instance.outcome in BREACHES):
            continue
        later = after.get((instance.standard, instance.opened, instance.occurrence))
        if later is not None and later.done == new_day:
            assert later.outcome in BREACHES, (instance, later)


@pytest.mark.parametrize("authority", AUTHORITIES)
@given(day=strategies.dates, closed=strategies.dates)
def test_a_closure_day_never_brings_a_due_date_forward(
    authority: str, day: dt.date, closed: dt.date
) -> None:
    workflow = LOADED[authority]
    plain = WorkingCalendar(workflow.closure_days)
    with_closure = WorkingCalendar((*workflow.closure_days, closed))
    for standard in workflow.standards.values():
        for _, duration in _durations(standard.spec):
            assert with_closure.add(day, duration) >= plain.add(day, duration), standard.id  # type: ignore[arg-type]


# --- cross-authority ----------------------------------------------------------------------------


@pytest.mark.parametrize("authority", LOCAL)
@given(data=st.data())
def test_every_statutory_standard_applies_under_each_authority(
    authority: str, data: st.DataObject
) -> None:
    workflow = LOADED[authority]
    assert set(NATIONAL.standards) <= set(workflow.standards)
    events = data.draw(strategies.journeys(NATIONAL))
    until = events[-1].day + dt.timedelta(days=30)
    statutory = {i.standard for i in track(NATIONAL, events, until=until)}
    local = {i.standard for i in track(workflow, events, until=until)}
    assert statutory <= local, statutory - local


def test_a_standard_id_has_one_kind_everywhere() -> None:
    kinds: dict[str, set[str]] = {}
    for workflow in LOADED.values():
        for standard in workflow.standards.values():
            kinds.setdefault(standard.id, set()).add(standard.kind)
    assert {k: v for k, v in kinds.items() if len(v) > 1} == {}


# --- generated workflows ------------------------------------------------------------------------


@given(data=strategies.workflow_data())
def test_generated_workflows_check_clean(
    tmp_path_factory: pytest.TempPathFactory, data: dict
) -> None:
    folder = tmp_path_factory.mktemp("generated")
    path = folder / "generated.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    findings = casejourney.check_paths([path])
    assert [f.render() for f in findings if f.level is Level.ERROR] == []


def test_instances_are_frozen_records() -> None:
    events = [CaseEvent(dt.date(2026, 1, 5), "contact"), CaseEvent(dt.date(2026, 1, 6), "referral")]
    [instance, *_] = track(NATIONAL, events)
    with pytest.raises(dataclasses.FrozenInstanceError):
        instance.due = dt.date(2030, 1, 1)  # type: ignore[misc]
