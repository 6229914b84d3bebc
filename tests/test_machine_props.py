"""Stateful property tests: random legal journeys through every shipped workflow.

A Hypothesis ``RuleBasedStateMachine`` fires random legal triggers and records random activities
with random gaps, and after every step checks the invariants a trainer and a planner rely on: the
state is declared, terminal states absorb, the fast transition table agrees with ``transitions``,
and the standards tracked from the events are self-consistent and deterministic.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import casejourney
from casejourney.errors import IllegalStepError
from casejourney.machine import JourneyMachine, TransitionTable
from casejourney.tracking import CaseEvent, Outcome, track

WORKFLOWS = sorted(p.stem for p in (Path(__file__).parent.parent / "workflows").glob("*.yaml"))


def journey_test(authority: str) -> type[RuleBasedStateMachine]:
    workflow = casejourney.load_workflow(authority)
    table = TransitionTable.from_workflow(workflow)
    activities = sorted(workflow.activities)

    class Journey(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.machine = JourneyMachine(workflow)
            self.table_state = table.initial
            self.day = dt.date(2026, 12, 14)
            self.events = [CaseEvent(self.day, self.machine.state)]

        @precondition(lambda self: not self.machine.is_terminal)
        @rule(data=st.data(), gap=st.integers(0, 90))
        def move(self, data: st.DataObject, gap: int) -> None:
            trigger = data.draw(st.sampled_from(self.machine.legal_triggers()))
            self.day += dt.timedelta(days=gap)
            state = self.machine.fire(trigger)
            self.table_state = table.fire(self.table_state, trigger)
            self.events.append(CaseEvent(self.day, state))

        @precondition(lambda self: bool(activities))
        @rule(activity=st.sampled_from(activities or ["none"]), gap=st.integers(0, 40))
        def record(self, activity: str, gap: int) -> None:
            self.day += dt.timedelta(days=gap)
            self.events.append(CaseEvent(self.day, activity))

        @rule(trigger=st.sampled_from(sorted({t.spec.trigger for t in workflow.transitions})))
        def illegal_triggers_raise(self, trigger: str) -> None:
            if trigger in self.machine.legal_triggers():
                return
            with pytest.raises(IllegalStepError):
                self.machine.fire(trigger)
            with pytest.raises(IllegalStepError):
                table.fire(self.table_state, trigger)

        @invariant()
        def state_is_declared_and_table_agrees(self) -> None:
            assert self.machine.state in workflow.states
            assert self.table_state == self.machine.state
            assert sorted(table.triggers(self.table_state)) == self.machine.legal_triggers()

        @invariant()
        def terminal_states_absorb(self) -> None:
            if self.machine.is_terminal:
                assert self.machine.legal_triggers() == []

        @invariant()
        def standards_are_consistent(self) -> None:
            end = self.day + dt.timedelta(days=30)
            instances = track(workflow, self.events, until=end)
            assert instances == track(workflow, self.events, until=end), "same events, same outcome"
            for i in instances:
                assert i.due >= i.opened, i
                if i.outcome is Outcome.MET:
                    assert i.done is not None and i.done <= i.due, i
                elif i.outcome is Outcome.LATE:
                    assert i.done is not None and i.done > i.due and i.late_days > 0, i
                elif i.outcome is Outcome.MISSED:
                    assert i.done is None and i.due < end, i
                elif i.outcome is Outcome.PENDING:
                    assert i.done is None and i.due >= self.events[0].day, i
            self._recurring_has_no_silent_gaps(instances)

        def _recurring_has_no_silent_gaps(self, instances: list) -> None:
            """Each occurrence starts where the last ended (done or due) or at a new stretch."""
            entries = {e.day for e in self.events if e.name in workflow.states}
            by_standard: dict[str, list] = {}
            for i in instances:
                if i.kind == "recurring":
                    by_standard.setdefault(i.standard, []).append(i)
            for chain in by_standard.values():
                chain.sort(key=lambda i: i.occurrence)
                for before, after in itertools.pairwise(chain):
                    allowed = {before.due, before.done} | entries
                    assert after.opened in allowed, (before, after)

    Journey.__name__ = f"Journey_{authority}"
    return Journey


@pytest.mark.parametrize("authority", WORKFLOWS)
def test_random_journeys_keep_every_invariant(authority: str) -> None:
    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        journey_test(authority),
        settings=settings(
            max_examples=settings.default.max_examples // 3 or 5, stateful_step_count=25
        ),
    )
