"""Property tests: one meaning of "when is the next occurrence due", wherever it is computed.

``schedule`` owns it on calendar dates (``interval``, used by tracking and journey) and on the day
grid (``grid_due``, used by the vectorised metrics); the engine's hot path keeps its own compiled
copy (``Tasks.due_after``, generic over task rules). On random recurring standards, stretches and
counts, all of them give the same due day.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import casejourney.engine
from casejourney import schedule
from casejourney.calendar import DayGrid, Duration, Unit, default_calendar
from casejourney.engine.model import TaskKind, TaskRule
from casejourney.simulate import _offset
from casejourney.spec.models import RecurringSpec


def _tasks_source() -> ModuleType:
    """The engine's tasks module run from its Python source, whichever build the engine uses.

    ``Tasks.due_after`` is called here on a stand-in holding only the timings; a mypyc-compiled
    method takes only a real run. The compiled build is held to the sources by
    ``tests/test_native.py`` (the same event log, digest for digest).
    """
    path = Path(casejourney.engine.__file__).resolve().parent / "tasks.py"
    spec = importlib.util.spec_from_file_location("_engine_tasks_source", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_SOURCE = _tasks_source()
Tasks, Timing = _SOURCE.Tasks, _SOURCE.Timing

CAL = default_calendar()
ORIGIN = dt.date(2026, 1, 5)
GRID = DayGrid(CAL, ORIGIN, -800, 6000)

SOURCE = {"document": "d", "section": "s", "quote": "q"}
UNITS = [Unit.DAYS, Unit.WORKING_DAYS, Unit.SCHOOL_DAYS, Unit.WEEKS, Unit.MONTHS, Unit.YEARS]
#: Counted on school terms: "every term" is due by the end of the next term.
SCHOOL = [Unit.TERMS, Unit.SCHOOL_YEARS]

durations = st.one_of(
    st.builds(
        lambda value, unit: f"{value} {unit.value}",
        st.integers(1, 14),
        st.sampled_from(UNITS).filter(lambda u: u is not Unit.YEARS),
    ),
    st.builds(
        lambda value, unit: f"{value} {unit.value}", st.integers(1, 3), st.sampled_from(SCHOOL)
    ),
)


@st.composite
def recurring_specs(draw: st.DrawFn) -> RecurringSpec:
    data: dict[str, Any] = {
        "id": "visits",
        "kind": "recurring",
        "title": "Visits",
        "source": SOURCE,
        "to": "visit",
        "while": "in_care",
        "every": draw(durations),
    }
    if draw(st.booleans()):
        data["first"] = draw(durations)
    if draw(st.booleans()):
        data["second"] = draw(durations)
    afters = sorted(draw(st.lists(st.integers(1, 30), max_size=3, unique=True)))
    data["then"] = [{"after": f"{a} months", "every": draw(durations)} for a in afters]
    return RecurringSpec.model_validate(data)


def test_step_index_and_its_vectorised_form_agree_on_every_case() -> None:
    spec = RecurringSpec.model_validate(
        {
            "id": "v",
            "kind": "recurring",
            "title": "V",
            "source": SOURCE,
            "to": "visit",
            "while": "in_care",
            "every": "6 weeks",
            "first": "1 week",
            "second": "2 weeks",
            "then": [
                {"after": "1 year", "every": "3 months"},
                {"after": "2 years", "every": "4 months"},
            ],
        }
    )
    for done in range(4):
        for reached in itertools.product([False, True], repeat=2):
            one = schedule.step_index(spec, done, list(reached))
            many = schedule.step_indices(spec, np.array([done]), [np.array([r]) for r in reached])
            assert int(many[0]) == one
    # the last step reached wins; the first two occurrences ignore the steps
    assert schedule.step_index(spec, 2, [True, True]) == schedule.THEN + 1
    assert schedule.step_index(spec, 0, [True, True]) == schedule.FIRST
    assert schedule.step_index(spec, 1, [True, True]) == schedule.SECOND


@settings(max_examples=200, deadline=None)
@given(
    spec=recurring_specs(),
    entered=st.integers(-300, 1500),
    since=st.lists(st.integers(0, 900), min_size=1, max_size=12),
    done=st.lists(st.integers(0, 5), min_size=12, max_size=12),
)
def test_calendar_grid_and_engine_agree_on_every_due_day(
    spec: RecurringSpec, entered: int, since: list[int], done: list[int]
) -> None:
    anchors = np.array([entered + d for d in since], dtype=np.int64)
    counts = np.array(done[: len(since)], dtype=np.int64)
    starts = np.full(len(since), entered, dtype=np.int64)
    grid_due, _ = schedule.grid_due(GRID, spec, anchors, counts, starts)

    # the engine, from the task rule the simulation compiles for this standard
    rule = TaskRule(
        name=spec.id,
        kind=TaskKind.RECURRING,
        task=0,
        every=_offset(spec.every),
        first=_offset(spec.first) if spec.first else None,
        second=_offset(spec.second) if spec.second else None,
        then=tuple((_offset(s.after), _offset(s.every)) for s in spec.then),
    )
    engine = SimpleNamespace(timing=[Timing(rule, GRID)])

    for anchor, count, due in zip(
        anchors.tolist(), counts.tolist(), grid_due.tolist(), strict=True
    ):
        on_dates = CAL.add(
            GRID.date(anchor),
            schedule.interval(CAL, spec, GRID.date(entered), GRID.date(anchor), count),
        )
        assert GRID.date(due) == on_dates
        assert Tasks.due_after(engine, 0, count, anchor, entered) == due


def test_a_then_step_applies_from_the_occurrence_after_its_time_has_passed() -> None:
    spec = RecurringSpec.model_validate(
        {
            "id": "v",
            "kind": "recurring",
            "title": "V",
            "source": SOURCE,
            "to": "visit",
            "while": "in_care",
            "first": "1 week",
            "every": "6 weeks",
            "then": [{"after": "1 year", "every": "3 months"}],
        }
    )
    entered = dt.date(2026, 1, 5)
    before = dt.date(2027, 1, 4)  # a day short of the year: still 6-weekly
    after = dt.date(2027, 1, 5)
    assert schedule.interval(CAL, spec, entered, before, 5) == Duration.parse("6 weeks")
    assert schedule.interval(CAL, spec, entered, after, 5) == Duration.parse("3 months")
    assert schedule.interval(CAL, spec, entered, after, 0) == Duration.parse("1 week")


@settings(max_examples=200, deadline=None)
@given(
    first=durations,
    every=durations,
    later=durations,
    entered=st.integers(-300, 1500),
    since=st.lists(st.integers(0, 400), min_size=1, max_size=8),
    review=st.one_of(st.none(), st.integers(0, 400)),
    done=st.integers(0, 4),
)
def test_a_step_switched_by_an_event_means_the_same_on_dates_and_on_the_grid(
    first: str,
    every: str,
    later: str,
    entered: int,
    since: list[int],
    review: int | None,
    done: int,
) -> None:
    spec = RecurringSpec.model_validate(
        {
            "id": "v",
            "kind": "recurring",
            "title": "V",
            "source": SOURCE,
            "to": "visit",
            "while": "in_care",
            "first": first,
            "every": every,
            "then": [{"after_first": "review", "every": later}],
        }
    )
    anchors = np.array([entered + d for d in since], dtype=np.int64)
    seen_day = schedule.NEVER if review is None else entered + review
    due, index = schedule.grid_due(
        GRID,
        spec,
        anchors,
        np.full(len(since), done, dtype=np.int64),
        np.full(len(since), entered, dtype=np.int64),
        {"review": np.full(len(since), seen_day, dtype=np.int64)},
    )
    seen = {} if review is None else {"review": GRID.date(entered + review)}
    for anchor, day, step in zip(anchors.tolist(), due.tolist(), index.tolist(), strict=True):
        interval = schedule.interval(CAL, spec, GRID.date(entered), GRID.date(anchor), done, seen)
        assert GRID.date(day) == CAL.add(GRID.date(anchor), interval)
        switched = review is not None and entered + review <= anchor and done >= 1
        assert (step == schedule.THEN) == switched


@settings(max_examples=200, deadline=None)
@given(
    every=durations,
    later=durations,
    after_months=st.integers(1, 14),
    entered=st.integers(-300, 1500),
    since=st.lists(st.integers(0, 700), min_size=1, max_size=8),
    agreed=st.one_of(st.none(), st.integers(0, 700)),
    done=st.integers(0, 4),
)
def test_a_step_switched_by_a_time_and_an_event_waits_for_both_on_dates_and_on_the_grid(
    every: str,
    later: str,
    after_months: int,
    entered: int,
    since: list[int],
    agreed: int | None,
    done: int,
) -> None:
    # reg 28(2)(c): three-monthly after the placement's first year, where it is to last until 18.
    spec = RecurringSpec.model_validate(
        {
            "id": "v",
            "kind": "recurring",
            "title": "V",
            "source": SOURCE,
            "to": "visit",
            "while": "in_care",
            "every": every,
            "then": [
                {
                    "after": f"{after_months} months",
                    "and_after_first": "agreed",
                    "every": later,
                }
            ],
        }
    )
    assert schedule.watched(spec) == ("agreed",)
    anchors = np.array([entered + d for d in since], dtype=np.int64)
    seen_day = schedule.NEVER if agreed is None else entered + agreed
    due, index = schedule.grid_due(
        GRID,
        spec,
        anchors,
        np.full(len(since), done, dtype=np.int64),
        np.full(len(since), entered, dtype=np.int64),
        {"agreed": np.full(len(since), seen_day, dtype=np.int64)},
    )
    seen = {} if agreed is None else {"agreed": GRID.date(entered + agreed)}
    time_passed = CAL.add(GRID.date(entered), Duration.parse(f"{after_months} months"))
    for anchor, day, step in zip(anchors.tolist(), due.tolist(), index.tolist(), strict=True):
        interval = schedule.interval(CAL, spec, GRID.date(entered), GRID.date(anchor), done, seen)
        assert GRID.date(day) == CAL.add(GRID.date(anchor), interval)
        switched = (
            agreed is not None
            and entered + agreed <= anchor
            and time_passed <= GRID.date(anchor)
            and done >= 1
        )
        assert (step == schedule.THEN) == switched
