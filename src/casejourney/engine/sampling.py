"""Random draws for the engine: vectorised numpy sampling, consumed one at a time from chunks.

Each purpose (a state's stays, its branches, a task's effort) has its own stream, seeded from the
replication's ``SeedSequence`` and the purpose's name, so two scenarios that differ in one place
keep the same draws everywhere else (common random numbers make comparisons sharper).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import Any, final

import numpy as np

from casejourney.calendar import Unit
from casejourney.engine.model import Draw

#: Draws are made this many at a time.
CHUNK = 4096

_Z90 = 1.2815515655446004  # standard normal 90th percentile


def generator(seed: np.random.SeedSequence, purpose: str) -> np.random.Generator:
    """A generator for ``purpose`` derived from ``seed`` (stable across model changes)."""
    derived = np.random.SeedSequence(
        entropy=seed.entropy, spawn_key=(*seed.spawn_key, zlib.crc32(purpose.encode()))
    )
    return np.random.default_rng(derived)


def sample(draw: Draw, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` amounts from ``draw``, as floats in its unit."""
    p = draw.params
    if draw.shape == "fixed":
        return np.full(size, p[0], dtype=float)
    if draw.shape == "uniform":
        return rng.uniform(p[0], p[1], size)
    if draw.shape == "triangular":
        if p[0] == p[2]:
            return np.full(size, p[0], dtype=float)
        return rng.triangular(p[0], p[1], p[2], size)
    if draw.shape == "lognormal":
        sigma = math.log(p[1] / p[0]) / _Z90
        return rng.lognormal(math.log(p[0]), sigma, size)
    return rng.exponential(p[0], size)


def whole_units(draw: Draw, amounts: np.ndarray) -> tuple[Unit, np.ndarray]:
    """Amounts rounded to whole units of a calendar length; hours become whole days (rounded up)."""
    unit = draw.unit or Unit.DAYS
    whole = np.maximum(0, np.rint(amounts)).astype(np.int64)
    if unit is Unit.HOURS:
        days = np.ceil(amounts / 24).astype(np.int64)
        return Unit.DAYS, np.where(whole > 0, days, 0)
    if unit is Unit.YEARS:
        return Unit.MONTHS, 12 * whole
    return unit, whole


@final
class Draws:
    """Values from ``make(CHUNK)``, one at a time (``next``), for ever: a stream of draws.

    A chunk is made when the one before is used up. A plain class with typed fields and one
    method, so that compiled (``scripts/build_native.py``) a draw is a direct call and a list
    look-up; the engine takes millions a run.
    """

    __slots__ = ("at", "make", "size", "values")

    def __init__(self, make: Callable[[int], np.ndarray]) -> None:
        self.make = make
        self.values: list[Any] = []
        self.at = 0
        self.size = 0

    def next(self) -> Any:
        """The next value (a Python int, float or tuple)."""
        at = self.at
        if at >= self.size:
            self.values = self.make(CHUNK).tolist()
            self.size = len(self.values)
            at = 0
        self.at = at + 1
        return self.values[at]


def stream(make: Callable[[int], np.ndarray]) -> Draws:
    """Values from ``make(CHUNK)``, one at a time, for ever (Python ints or floats)."""
    return Draws(make)
