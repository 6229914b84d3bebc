"""How to read an event log: what its day numbers and event codes mean, and what to measure.

Consumes nothing; ``metrics`` reads logs through it, and the simulator's ``Frame`` is one (with the
scenario it was compiled from). A log from anywhere else (returns data, another simulator) can be
measured by giving its own codebook: names, calendar, reporting window, teams, rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from casejourney.calendar import DayGrid
from casejourney.spec.resolve import Workflow
from casejourney.spec.scenario import DriftSpec


@dataclass(frozen=True)
class Codebook:
    """What a run's day numbers and codes mean, and the rules its records are measured against.

    Attributes:
        workflow: the rules: states, phases and standards (what ``standard.*`` and ``stage.*``
            measures are of).
        grid: day numbers → dates and working days (day 0 is the first day of the grid).
        start: the first day recorded.
        report_start: the first day reported (after any warm-up).
        end: the first day not recorded.
        names: event code → the name of a state, activity or milestone.
        teams: team code → name.
        in_post: workers in post, by team code (for utilisation).
        drift: the drift measures to take, by id.
        not_simulated: standards the run did not follow, by id, with the reason (their instances
            are not measured: judging them against another standard's schedule would mislead).

    """

    workflow: Workflow
    grid: DayGrid
    start: int
    report_start: int
    end: int
    names: tuple[str, ...]
    teams: tuple[str, ...]
    in_post: tuple[int, ...]
    drift: Mapping[str, DriftSpec]
    not_simulated: Mapping[str, str] = field(default_factory=dict, kw_only=True)

    def code(self, name: str) -> int:
        """The event code of a state, activity or milestone (-1 if it has none)."""
        try:
            return self.names.index(name)
        except ValueError:
            return -1

    @property
    def weeks(self) -> int:
        """Whole weeks reported."""
        return (self.end - self.report_start) // 7

    def week_of(self, days: np.ndarray) -> np.ndarray:
        """Reported week index (0-based) of each day; negative before the window."""
        weeks: np.ndarray = np.floor_divide(np.asarray(days) - self.report_start, 7)
        return weeks
