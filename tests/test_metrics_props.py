"""Property tests: the vectorised metrics find exactly the instances tracking finds, case by case.

Random legal journeys through each shipped workflow, with random activities between the moves
(so deadlines, windows, recurring schedules and lead times all open, close and overlap).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casejourney.machine import TransitionTable
from casejourney.simulate import Frame
from casejourney.tracking import CaseEvent
from tests.test_metrics import frame_for, reference, vectorised

AUTHORITIES = ["national", "barnet", "liverpool", "knowsley", "coventry"]


@cache
def _frame(authority: str) -> Frame:
    return frame_for(authority, weeks=104)


def _journey(frame: Frame, rng: np.random.Generator) -> list[tuple[str, str]]:
    workflow = frame.workflow
    table = TransitionTable.from_workflow(workflow)
    # Activities some standard names, so that the standards open and close often.
    named = set()
    for standard in workflow.standards.values():
        spec = standard.spec
        named.update(getattr(spec, name, None) for name in ("from_", "to", "restart_on"))
    activities = sorted(a for a in workflow.activities if a in named)
    day = dt.date(2026, 11, 2) + dt.timedelta(days=int(rng.integers(0, 200)))
    states = sorted(s.id for s in workflow.states.values() if not s.terminal)
    state = table.initial
    events = [CaseEvent(day, state)]
    for _ in range(int(rng.integers(1, 40))):
        day += dt.timedelta(days=int(rng.integers(0, 30)))
        options = table.triggers(state)
        if activities and (not options or rng.random() < 0.5):
            activity = activities[int(rng.integers(len(activities)))]
            events.append(CaseEvent(day, activity))
            # Sometimes the same activity again, weeks or months apart, so that recurring
            # schedules reach their second occurrence and their later steps.
            for _ in range(int(rng.integers(0, 4))):
                day += dt.timedelta(days=int(rng.integers(1, 120)))
                events.append(CaseEvent(day, activity))
        elif options and rng.random() < 0.7:
            state = table.fire(state, options[int(rng.integers(len(options)))])
            events.append(CaseEvent(day, state))
        elif not workflow.states[state].terminal:
            # A jump to any open state: records need not follow the shipped routes (a real
            # authority's data, or a re-entry into care), and both readings must still agree.
            state = states[int(rng.integers(len(states)))]
            events.append(CaseEvent(day, state))
        else:
            break
    return [(e.day.isoformat(), e.name) for e in events]


@pytest.mark.parametrize("authority", AUTHORITIES)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_vectorised_metrics_agree_with_tracking_on_random_journeys(
    authority: str, seed: int
) -> None:
    frame = _frame(authority)
    rng = np.random.default_rng(seed)
    cases = [_journey(frame, rng) for _ in range(4)]
    assert vectorised(frame, cases) == reference(frame, cases)
