"""Every random draw a run makes, each from its own named stream.

Each purpose (a state's stays, a branch, a team's efforts, punctuality, adjournments, turnover…)
has its own generator spawned from the run's seed by name (``sampling.generator``), so adding a
draw for one purpose never shifts another's: the same seed gives the same run, and two scenarios
that differ in one place keep common random numbers everywhere else.
"""

from __future__ import annotations

import numpy as np

from casejourney.calendar import Unit
from casejourney.engine.model import Draw, Model
from casejourney.engine.sampling import Draws, generator, sample, stream, whole_units
from casejourney.engine.shifts import Shifter, shifter


def whole_unit_stream(draw: Draw, rng: np.random.Generator) -> Draws:
    """Endless draws of ``draw`` rounded to whole units of its own unit."""
    return stream(lambda n: whole_units(draw, sample(draw, rng, n))[1])


class Streams:
    """The run's random streams, built once from its model and seed."""

    def __init__(self, model: Model, seed: np.random.SeedSequence) -> None:
        self.model = model
        self.seed = seed
        self.states = model.states
        self.grid = grid = model.grid
        n = len(model.states)
        self.arrival_rng = generator(seed, "arrivals")
        self.stays = [self._stay_stream(i) for i in range(n)]
        self.stay_units = [self._stay_unit(i) for i in range(n)]
        self.stay_shift = [shifter(grid, unit) for unit in self.stay_units]
        self.by_exit = [self._exit_stays(i) for i in range(n)]
        self.by_entry: list[dict[int, Draws] | None] = [
            {
                source: whole_unit_stream(
                    draw, generator(seed, f"stay:{model.names[source]}->{s.name}")
                )
                for source, draw in s.entry_stays
            }
            or None
            for s in model.states
        ]
        self.branches = [self._branch_stream(i) for i in range(n)]
        self.efforts: list[Draws | None] = [
            self.amounts(s.effort, f"effort:{s.name}") if s.effort else None for s in model.states
        ]
        self.task_efforts: list[Draws | None] = [
            self.amounts(r.effort, f"effort:{r.name}") if r.effort else None for r in model.tasks
        ]
        self.punctual = [self._punctuality_stream(i) for i in range(len(model.punctuality))]
        self.punctual_parts = [self._punctuality_parts(i) for i in range(len(model.punctuality))]
        self.punctual_shift = [
            (
                shifter(grid, whole_units(p.early, np.zeros(1))[0]),
                shifter(grid, whole_units(p.late, np.zeros(1))[0]),
            )
            for p in model.punctuality
        ]
        self.ages = self.amounts(model.ages, "ages")
        self.trait_draws = [self._trait_stream(t.name, t.weights) for t in model.traits]
        self.place_draws = [
            self.amounts(Draw("uniform", (0.0, 1.0)), f"place:{p.name}") for p in model.places
        ]
        self.adjourn_draws = [
            self.amounts(Draw("uniform", (0.0, 1.0)), f"adjourn:{d.name}") if d.adjourn else None
            for d in model.slots
        ]
        self.aims: list[tuple[Draws, Shifter] | None] = [
            (
                whole_unit_stream(d.aim, generator(seed, f"aim:{d.name}")),
                shifter(grid, whole_units(d.aim, np.zeros(1))[0]),
            )
            if d.aim is not None
            else None
            for d in model.slots
        ]
        self.turnover_rng = generator(seed, "turnover")
        self.history_draws = [
            (
                self.amounts(Draw("uniform", (0.0, 1.0)), f"history:{i}"),
                self.amounts(h.ago, f"history-ago:{i}"),
                self.amounts(h.length, f"history-length:{i}"),
            )
            for i, h in enumerate(model.history)
        ]

    def amounts(self, draw: Draw, purpose: str) -> Draws:
        """Endless draws of ``draw`` from the stream named ``purpose``."""
        rng = generator(self.seed, purpose)
        return stream(lambda n: sample(draw, rng, n))

    def _stay_unit(self, index: int) -> Unit:
        stay = self.states[index].stay
        return whole_units(stay, np.zeros(1))[0] if stay else Unit.WORKING_DAYS

    def _stay_stream(self, index: int) -> Draws:
        state = self.states[index]
        if state.stay is None:
            return stream(lambda n: np.ones(n, dtype=np.int64))
        return whole_unit_stream(state.stay, generator(self.seed, f"stay:{state.name}"))

    def _exit_stays(
        self, index: int
    ) -> dict[int, tuple[Draws, Shifter]] | None:
        """Exit -> (stream of whole units, shifter) for the stays that depend on the exit."""
        state = self.states[index]
        if not any(state.exit_stays):
            return None
        found = {}
        for exit_, draw in zip(state.exits, state.exit_stays, strict=True):
            if draw is not None:
                purpose = f"stay:{state.name}->{self.model.names[exit_]}"
                found[exit_] = (
                    whole_unit_stream(draw, generator(self.seed, purpose)),
                    shifter(self.grid, whole_units(draw, np.zeros(1))[0]),
                )
        return found

    def _trait_stream(self, name: str, weights: tuple[float, ...]) -> Draws:
        rng = generator(self.seed, f"trait:{name}")
        p = np.asarray(weights, dtype=float)
        p = p / p.sum()
        return stream(lambda n: rng.choice(len(p), size=n, p=p))

    def _branch_stream(self, index: int) -> Draws:
        state = self.states[index]
        if state.terminal or not state.exits:
            return stream(lambda n: np.full(n, -1, dtype=np.int64))
        rng = generator(self.seed, f"branch:{state.name}")
        exits = np.asarray(state.exits, dtype=np.int64)
        p = np.asarray(state.weights, dtype=float)
        p = p / p.sum()
        return stream(lambda n: exits[rng.choice(len(exits), size=n, p=p)])

    def _punctuality_stream(self, index: int) -> Draws:
        spec = self.model.punctuality[index]
        rng = generator(self.seed, f"punctuality:{index}")

        def make(n: int) -> np.ndarray:
            late = rng.random(n) >= spec.on_time
            _, early = whole_units(spec.early, sample(spec.early, rng, n))
            _, later = whole_units(spec.late, np.maximum(1.0, sample(spec.late, rng, n)))
            return np.where(late, 2 * np.maximum(later, 1) + 1, 2 * early)

        return stream(make)

    def _punctuality_parts(self, index: int) -> Draws:
        """(uniform, whole units early, whole units late) triples, for tasks under pressure."""
        spec = self.model.punctuality[index]
        rng = generator(self.seed, f"punctuality-parts:{index}")

        def make(n: int) -> np.ndarray:
            _, early = whole_units(spec.early, sample(spec.early, rng, n))
            _, later = whole_units(spec.late, np.maximum(1.0, sample(spec.late, rng, n)))
            found = np.empty(n, dtype=object)
            found[:] = list(
                zip(
                    rng.random(n).tolist(),
                    early.tolist(),
                    np.maximum(later, 1).tolist(),
                    strict=True,
                )
            )
            return found

        return stream(make)
