"""What each measure means to a reader: its name in words, its unit, and which way is better.

Consumes the metric names :mod:`casejourney.metrics` writes (``standard.on_time_pct``, …);
produces :class:`MeasureInfo` records. This is the one place that says whether a rise is good
news: the report's "better"/"worse", the headline's ranking and the data files' ``better``
column all ask :func:`info`, so a drift measure (where a rise is bad) can never be read like
% on time (where a rise is good).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["MEASURES", "Better", "MeasureInfo", "Verdict", "info", "verdict"]


class Better(StrEnum):
    """Which way a measure moves when things get better for children and staff."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"  # a volume or a time that is neither good nor bad in itself


class Verdict(StrEnum):
    """What a change between two runs means, once its 95% interval is known."""

    BETTER = "better"
    WORSE = "worse"
    UP = "up"  # clearly higher, for a measure with no better direction
    DOWN = "down"
    NOISE = "within the noise"  # the interval includes zero
    UNKNOWN = "no interval"  # too few replications to say


@dataclass(frozen=True)
class MeasureInfo:
    """One measure: a name in words, its unit, and which way is better.

    Attributes:
        metric: the name in the data files (``standard.on_time_pct``).
        title: what it counts, in words (the ``description`` column of ``metrics-tidy.csv``).
        unit: ``%``, ``days``, ``cases``, ``instances`` … (``units``: the standard's own unit,
            working days or months).
        better: which way is better.
        counts: for a percentage of instances: the (numerator, denominator) count measures it is
            made from, so an interval can be drawn from the counts when they are small.

    """

    metric: str
    title: str
    unit: str
    better: Better
    counts: tuple[str, str] | None = None

    @property
    def is_share(self) -> bool:
        """Whether the measure is a percentage (its changes are in percentage points)."""
        return self.unit == "%"

    @property
    def change_unit(self) -> str:
        """The unit of a change: percentage points for a share, else the unit itself."""
        return "pts" if self.is_share else self.unit


_H, _L, _N = Better.HIGHER, Better.LOWER, Better.NEITHER

MEASURES: dict[str, MeasureInfo] = {
    m.metric: m
    for m in (
        # standards: every instance due, on time or late
        MeasureInfo("standard.due", "instances of the standard falling due", "instances", _N),
        MeasureInfo("standard.met", "instances done on time", "instances", _N),
        MeasureInfo("standard.breached", "instances late or not done", "instances", _L),
        MeasureInfo(
            "standard.on_time_pct",
            "share of instances due that were on time",
            "%",
            _H,
            ("standard.met", "standard.due"),
        ),
        MeasureInfo("standard.late_days_median", "lateness of late instances: median", "days", _L),
        MeasureInfo(
            "standard.late_days_p90", "lateness of late instances: 90th percentile", "days", _L
        ),
        MeasureInfo(
            "standard.late_units_median",
            "lateness of late instances in the standard's unit: median",
            "units",
            _L,
        ),
        MeasureInfo(
            "standard.late_units_p90",
            "lateness of late instances in the standard's unit: 90th percentile",
            "units",
            _L,
        ),
        # stages: time in a stage is neither good nor bad in itself (a longer stay in a stable
        # placement is not a failure)
        MeasureInfo("stage.open", "cases open in the stage at the week's end", "cases", _N),
        MeasureInfo("stage.entered", "cases entering the stage", "cases", _N),
        MeasureInfo("stage.left", "cases leaving the stage", "cases", _N),
        MeasureInfo("stage.mean_days", "time in the stage of cases leaving it: mean", "days", _N),
        MeasureInfo(
            "stage.median_days", "time in the stage of cases leaving it: median", "days", _N
        ),
        MeasureInfo(
            "stage.p90_days", "time in the stage of cases leaving it: 90th percentile", "days", _N
        ),
        MeasureInfo(
            "stage.queued",
            "work in the stage waiting for a worker at the week's end",
            "pieces of work",
            _L,
        ),
        MeasureInfo(
            "stage.wait_days_mean",
            "wait for a worker of work started in the stage: mean",
            "days",
            _L,
        ),
        # teams: a busier team is not better or worse (idle staff are not the aim either)
        MeasureInfo(
            "team.queued", "work waiting for a worker at the week's end", "pieces of work", _L
        ),
        MeasureInfo("team.wait_days_mean", "wait for a worker of work started: mean", "days", _L),
        MeasureInfo(
            "team.wait_days_p90", "wait for a worker of work started: 90th percentile", "days", _L
        ),
        MeasureInfo("team.utilisation_pct", "share of available hours worked", "%", _N),
        MeasureInfo(
            "team.cases_per_worker", "cases held per worker in post", "cases per worker", _L
        ),
        MeasureInfo("team.unallocated", "cases waiting to be allocated to a worker", "cases", _L),
        MeasureInfo(
            "team.waited_unallocated",
            "cases that waited to be allocated to a worker",
            "cases",
            _L,
        ),
        MeasureInfo(
            "team.unallocated_wait_days_mean",
            "days a case waited to be allocated to a worker: mean",
            "days",
            _L,
        ),
        MeasureInfo(
            "team.casework_backlog_hours",
            "casework owed that the team had no hours for, at the week's end",
            "hours",
            _L,
        ),
        MeasureInfo(
            "team.most_over_limit", "most loaded worker's caseload less their limit", "points", _L
        ),
        # placements
        MeasureInfo(
            "place.overflow", "children needing a placement when none was free", "children", _L
        ),
        # meetings
        MeasureInfo(
            "meeting.extra_slots",
            "extra slots the chairs added for meetings that would otherwise miss their deadline",
            "meetings",
            _L,
        ),
        # drift: each drift measure counts something going wrong, so a rise is worse
        MeasureInfo(
            "drift.open_over", "cases open beyond the drift limit at the week's end", "cases", _L
        ),
        MeasureInfo("drift.ended", "stretches ending", "cases", _N),
        MeasureInfo("drift.ended_over", "stretches ending beyond the drift limit", "cases", _L),
        MeasureInfo(
            "drift.ended_over_pct",
            "share of stretches ending beyond the drift limit",
            "%",
            _L,
            ("drift.ended_over", "drift.ended"),
        ),
        MeasureInfo("drift.entered", "stretches starting", "cases", _N),
        MeasureInfo("drift.repeat", "second or later stretches starting", "cases", _L),
        MeasureInfo(
            "drift.repeat_pct",
            "share of stretches starting that were repeats",
            "%",
            _L,
            ("drift.repeat", "drift.entered"),
        ),
        MeasureInfo("drift.reached", "cases reaching the milestone", "cases", _N),
        MeasureInfo(
            "drift.missing", "cases reaching the milestone without the decision", "cases", _L
        ),
        MeasureInfo(
            "drift.missing_pct",
            "share reaching the milestone without the decision",
            "%",
            _L,
            ("drift.missing", "drift.reached"),
        ),
        # the whole caseload
        MeasureInfo("cases.arrived", "new cases arriving (engine count)", "cases", _N),
        MeasureInfo("cases.opening", "cases opening (engine count)", "cases", _N),
        MeasureInfo("cases.open", "cases open at the week's end (engine count)", "cases", _N),
        MeasureInfo("cases.closed", "cases closed (engine count)", "cases", _N),
    )
}


class UnknownMeasureError(KeyError):
    """A metric name this version does not describe (a results folder from another version?)."""


def info(metric: str) -> MeasureInfo:
    """What ``metric`` means: title, unit and which way is better.

    Raises:
        UnknownMeasureError: the metric is not one casejourney writes.

    """
    try:
        return MEASURES[metric]
    except KeyError:
        raise UnknownMeasureError(
            f"{metric!r} is not a measure this version of casejourney knows; "
            "was the results folder written by another version? simulate again"
        ) from None


def verdict(metric: str, change: float, low: float, high: float) -> Verdict:
    """What a change in ``metric`` means: better or worse only when its interval excludes zero.

    Args:
        metric: the measure's name.
        change: the later run's figure minus the first's.
        low: the lower end of the change's 95% interval (NaN when there is none).
        high: the upper end.

    """
    if math.isnan(change) or math.isnan(low) or math.isnan(high):
        return Verdict.UNKNOWN
    if low <= 0 <= high:
        return Verdict.NOISE
    rose = low > 0
    better = info(metric).better
    if better is Better.NEITHER:
        return Verdict.UP if rose else Verdict.DOWN
    return Verdict.BETTER if rose == (better is Better.HIGHER) else Verdict.WORSE
