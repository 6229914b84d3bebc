"""Cost of one trigger and one model on the journey machine: flat vs nested, and the plain table.

Run: python benchmarks/bench_machine.py [authority]
Prints µs per trigger and KiB per model object; no assertions (figures go in the closing note).
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np

import casejourney
from casejourney.machine import JourneyMachine, TransitionTable


def random_walks(workflow: casejourney.Workflow, n: int, seed: int) -> list[list[str]]:
    """Legal trigger sequences restarted at the initial state whenever a terminal state is hit."""
    rng = np.random.default_rng(seed)
    table = TransitionTable.from_workflow(workflow)
    walks, state, current = [], table.initial, []
    for _ in range(n):
        options = table.triggers(state)
        if not options:
            walks.append(current)
            state, current = table.initial, []
            continue
        trigger = options[int(rng.integers(len(options)))]
        current.append(trigger)
        state = table.fire(state, trigger)
    walks.append(current)
    return walks


def per_trigger(workflow: casejourney.Workflow, walks: list[list[str]], kind: str) -> float:
    fired = 0
    start = time.perf_counter()
    for walk in walks:
        if kind == "table":
            table = TransitionTable.from_workflow(workflow)
            state = table.initial
            for trigger in walk:
                state = table.fire(state, trigger)
        else:
            machine = JourneyMachine(workflow, nested=(kind == "nested"))
            for trigger in walk:
                machine.fire(trigger)
        fired += len(walk)
    return (time.perf_counter() - start) / fired * 1e6


def model_size(workflow: casejourney.Workflow, nested: bool, n: int = 200) -> float:
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    keep = [JourneyMachine(workflow, nested=nested) for _ in range(n)]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    size = sum(s.size_diff for s in after.compare_to(before, "filename"))
    del keep
    return size / n / 1024


def main() -> None:
    authority = sys.argv[1] if len(sys.argv) > 1 else "national"
    workflow = casejourney.load_workflow(authority)
    walks = random_walks(workflow, 20_000, seed=1)
    print(f"authority: {authority}; {len(workflow.states)} states, {len(workflow.transitions)} transitions")
    print(f"{'machine':<10} {'µs/trigger (incl. build)':>26} {'KiB/machine':>12}")
    for kind in ("flat", "nested", "table"):
        cost = per_trigger(workflow, walks, kind)
        size = model_size(workflow, nested=(kind == "nested")) if kind != "table" else 0.0
        print(f"{kind:<10} {cost:>26.1f} {size:>12.1f}")


if __name__ == "__main__":
    main()
