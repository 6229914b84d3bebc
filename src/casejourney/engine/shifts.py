"""Days moved by whole calendar units, for the run's hot paths: ``DayGrid.shift`` as small objects.

``shifter(grid, unit).at(day, n)`` is ``grid.shift(day, unit, n)``: the day ``n`` units after
``day`` (before, if ``n`` < 0) on the run's calendar. Days, weeks and working days (every stay,
task and booking moves a day by one of them, millions of times a run) are plain classes with
typed fields, so compiled (``scripts/build_native.py``) a move is a direct call and a few list
look-ups; any other unit goes through ``DayGrid.shifter``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import final

from casejourney.calendar import DayGrid, Unit


class Shifter:
    """Moves a day by whole units of one calendar length (``at``)."""

    __slots__ = ()

    def at(self, day: int, n: int) -> int:
        """The day ``n`` units after ``day`` (as ``DayGrid.shift``)."""
        raise NotImplementedError


@final
class WorkingDays(Shifter):
    """Working days: the n-th working day after (before) the day, within the grid."""

    __slots__ = ("cum", "first", "is_working", "last", "top", "working")

    def __init__(self, grid: DayGrid) -> None:
        self.first: int = grid.first
        self.last: int = grid.last
        self.cum: list[int] = grid.cum_list  # working days in [first, d], at d - first
        self.working: list[int] = grid.working_list  # the working days, in order
        self.is_working: list[int] = [int(flag) for flag in grid.is_working_list]
        self.top: int = len(self.working) - 1

    def at(self, day: int, n: int) -> int:
        """The n-th working day after ``day`` (before, if ``n`` < 0; ``day`` itself if 0)."""
        first, last = self.first, self.last
        if day < first or day > last:
            day = first if day < first else last
        if n == 0:
            return day
        index = day - first
        pick = self.cum[index] + n - 1 if n > 0 else self.cum[index] - self.is_working[index] + n
        if pick > self.top:
            return last
        return self.working[pick] if pick >= 0 else first


@final
class Days(Shifter):
    """Days (``step`` 1) or weeks (``step`` 7), within the grid."""

    __slots__ = ("first", "last", "step")

    def __init__(self, grid: DayGrid, step: int) -> None:
        self.first: int = grid.first
        self.last: int = grid.last
        self.step: int = step

    def at(self, day: int, n: int) -> int:
        """``n`` steps after ``day``."""
        found = day + self.step * n
        return self.first if found < self.first else (self.last if found > self.last else found)


@final
class OtherUnits(Shifter):
    """Any other unit (months, school days, terms…): ``DayGrid.shifter``'s function."""

    __slots__ = ("move",)

    def __init__(self, move: Callable[[int, int], int]) -> None:
        self.move = move

    def at(self, day: int, n: int) -> int:
        """``n`` units after ``day``."""
        return self.move(day, n)


def shifter(grid: DayGrid, unit: Unit) -> Shifter:
    """The shifter for ``unit``: ``shifter(grid, unit).at(d, n) == grid.shift(d, unit, n)``."""
    if unit is Unit.WORKING_DAYS:
        return WorkingDays(grid)
    if unit is Unit.DAYS or unit is Unit.WEEKS:
        return Days(grid, 7 if unit is Unit.WEEKS else 1)
    return OtherUnits(grid.shifter(unit))
