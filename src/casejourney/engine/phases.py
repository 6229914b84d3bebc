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


def start(env: simpy.Environment, run: Run) -> list[Run]:
    """Start every phase's process for ``run`` in ``env``.

    The processes reach the run through the list returned: clear it when the run is over, and the
    run is freed as soon as it is dropped (the environment and its processes form reference cycles
    that only the cyclic garbage collector frees, and the run's millions of objects would wait for
    it, and cost it a scan, if the processes held the run itself).
    """
    held = [run]
    env.process(_arrivals(env, held))
    env.process(_agenda(env, held))
    for index in range(len(run.teams)):
        env.process(_shifts(env, held, index, len(run.teams)))
    env.process(_counts(env, held, run.model.snapshot_every, run.model.start, run.model.end))
    return held


def _arrivals(env: simpy.Environment, held: list[Run]) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(ARRIVE)
    while held:
        held[0].arrive(math.floor(env.now))
        yield env.timeout(DAY)


def _agenda(env: simpy.Environment, held: list[Run]) -> Generator[simpy.Event, Any, None]:
    yield env.timeout(AGENDA)
    while held:
        held[0].agenda(math.floor(env.now))
        yield env.timeout(DAY)


def _shifts(
    env: simpy.Environment, held: list[Run], team: int, teams: int
) -> Generator[simpy.Event, Any, None]:
    # Teams take their turn in index order, inside the shift phase.
    yield env.timeout(SHIFT + 0.25 * team / (teams + 1))
    while held:
        held[0].shift(team, math.floor(env.now))
        yield env.timeout(DAY)


def _counts(
    env: simpy.Environment, held: list[Run], every: int, first: int, end: int
) -> Generator[simpy.Event, Any, None]:
    span = max(1, end - first)
    yield env.timeout(COUNT + every - 1)
    while held:
        run = held[0]
        day = math.floor(env.now)
        run.count(day)
        if run.progress is not None:
            run.progress(min(1.0, (day + 1 - first) / span))
        del run
        yield env.timeout(every * DAY)
