"""The day's phases: one SimPy process each, waking at a fixed fraction of every day.

Each day runs arrivals, then the agenda (planned exits, releases of tasks, booked tasks and
entries, work finished on earlier days), then each team's shift in turn, then (weekly) the counts,
so the order of things within a day is explicit and the same in every run.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from casejourney.engine.model import DAY

if TYPE_CHECKING:
    from casejourney.engine.run import Run

# Phases of a day (fractions of DAY; exact in binary floating point).
ARRIVE = 0.0
AGENDA = 0.25
SHIFT = 0.5
COUNT = 0.875


def start(env: simpy.Environment, run: Run) -> None:
    """Start every phase's process for ``run`` in ``env``."""
    env.process(_arrivals(env, run))
    env.process(_agenda(env, run))
    for index in range(len(run.teams)):
        env.process(_shifts(env, run, index))
    env.process(_counts(env, run))


def _arrivals(env: simpy.Environment, run: Run) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(ARRIVE)
    while True:
        run.arrive(math.floor(env.now))
        yield env.timeout(DAY)


def _agenda(env: simpy.Environment, run: Run) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(AGENDA)
    while True:
        run.agenda(math.floor(env.now))
        yield env.timeout(DAY)


def _shifts(env: simpy.Environment, run: Run, team: int) -> Generator[simpy.Event, Any, None]:
    # Teams take their turn in index order, inside the shift phase.
    yield env.timeout(SHIFT + 0.25 * team / (len(run.teams) + 1))
    while True:
        run.shift(team, math.floor(env.now))
        yield env.timeout(DAY)


def _counts(env: simpy.Environment, run: Run) -> Generator[simpy.Event, Any, None]:
    every = run.model.snapshot_every
    span = max(1, run.model.end - run.model.start)
    yield env.timeout(COUNT + every - 1)
    while True:
        day = math.floor(env.now)
        run.count(day)
        if run.progress is not None:
            run.progress(min(1.0, (day + 1 - run.model.start) / span))
        yield env.timeout(every * DAY)
