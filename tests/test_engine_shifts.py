"""The engine's day shifts (``engine.shifts``) move a day exactly as the calendar's grid does."""

from __future__ import annotations

import datetime as dt

import pytest

from casejourney.calendar import DayGrid, Unit, default_calendar
from casejourney.engine.shifts import shifter

GRID = DayGrid(default_calendar(), dt.date(2025, 1, 6), -400, 800)  # two Christmases, Easters


@pytest.mark.parametrize(
    "unit",
    [Unit.WORKING_DAYS, Unit.DAYS, Unit.WEEKS, Unit.MONTHS, Unit.YEARS, Unit.HOURS],
)
def test_every_day_moves_as_the_grid_moves_it(unit: Unit) -> None:
    move = shifter(GRID, unit)
    steps = range(-60, 61) if unit is not Unit.HOURS else range(-100, 101, 7)
    for day in range(GRID.first - 20, GRID.last + 21, 3):  # inside, and clamped from outside
        for n in steps:
            assert move.at(day, n) == GRID.shift(day, unit, n), (day, n)
