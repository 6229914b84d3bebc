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
import casejourney.api
from casejourney.machine import JourneyMachine, TransitionTable


def random_walks(workflow: casejourney.api.Workflow, n: int, seed: int) -> list[list[str]]:
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


def per_trigger(
    workflow: casejourney.api.Workflow, walks: list[list[str]], kind: str
) -> tuple[float, float]:
    """(µs per trigger, µs to build one machine), timed separately."""
    fired, trigger_time, build_time = 0, 0.0, 0.0
    for walk in walks:
        t0 = time.perf_counter()
        if kind == "table":
            table = TransitionTable.from_workflow(workflow)
            state = table.initial
            t1 = time.perf_counter()
            for trigger in walk:
                state = table.fire(state, trigger)
        else:
            machine = JourneyMachine(workflow, nested=(kind == "nested"))
            t1 = time.perf_counter()
            for trigger in walk:
                machine.fire(trigger)
        t2 = time.perf_counter()
        build_time += t1 - t0
        trigger_time += t2 - t1
        fired += len(walk)
    return trigger_time / fired * 1e6, build_time / len(walks) * 1e6


def model_size(workflow: casejourney.api.Workflow, nested: bool, n: int = 200) -> float:
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
    print(
        f"authority: {authority}; {len(workflow.states)} states, {len(workflow.transitions)} transitions"
    )
    print(f"{'machine':<8} {'µs/trigger':>11} {'µs/build':>10} {'KiB/machine':>12}")
    for kind in ("flat", "nested", "table"):
        cost, build = per_trigger(workflow, walks, kind)
        size = model_size(workflow, nested=(kind == "nested")) if kind != "table" else 0.0
        print(f"{kind:<8} {cost:>11.2f} {build:>10.0f} {size:>12.1f}")


if __name__ == "__main__":
    main()
