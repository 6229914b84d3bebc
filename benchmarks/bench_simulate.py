"""Simulation speed: national scale, cost per journey by size, a bare heapq loop, and --jobs.

Run: python benchmarks/bench_simulate.py [--quick]
     python benchmarks/bench_simulate.py --child year REFERRALS none|metrics [AREAS]
       (one measurement alone, printed as JSON: e.g. 632830 none for the national year only)
     python benchmarks/bench_simulate.py --child command SCALE
       (the whole command a planner runs, alone: e.g. 1 for the national year)
Prints figures (no assertions; tests never time anything), for the engine as installed: compiled
with mypyc where ``make install`` could build it (the first line says which), pure Python with
``CASEJOURNEY_PURE_PYTHON=1`` (the fresh processes inherit it), e.g.
     CASEJOURNEY_PURE_PYTHON=1 python benchmarks/bench_simulate.py --child year 632830 none
Compare the two in the same period, alternating, on a shared machine (at 27f0162, one national
year, 13.47 million events: compiled 44.5 / 46.0 s CPU, pure 71.8 / 68.6 s, the bare loop 6.2 /
6.5 s). Each measurement runs in a fresh process so that its peak memory is its own. What it measures:

1. One simulated year (no warm-up) of national-baseline at England's volume (~630,000 referrals,
   ~1.3 million contacts, the open caseload of 31 March, recurring visits and reviews included, as
   its 153 areas): seconds, events, events per second, peak memory; then the metrics over its log.
   Then the whole command a planner runs, `casejourney simulate national-baseline -n 1
   --event-log none` (the scenario's warm-up included; results written), in a process of its
   own: its peak memory and CPU seconds, as the operating system counts them for a child.
2. The same at 10,000 / 40,000 / 160,000 / 630,000 referrals: journeys (cases) per second. A
   smaller England has proportionally fewer areas of the same size (2 / 10 / 39 / 153). Then, for
   comparison, England as one area (one national pool of each team) at the smallest and largest size.
3. A bare heapq M/M/c loop over the same number of events as (1), and the ratio (CPU seconds).
4. Eight replications of the Liverpool scenario with --jobs 1 and --jobs 2.
"""

from __future__ import annotations

import heapq
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

NATIONAL_REFERRALS = 632_830
SIZES = (10_000, 40_000, 160_000, NATIONAL_REFERRALS)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_year(referrals: int, with_metrics: bool, areas: int | None = None) -> dict[str, float]:
    """Simulate one year at the volume that gives ``referrals`` referrals (in this process).

    ``areas``: split into this many (default: the scenario's 153, scaled with the volume).
    """
    import numpy as np

    import casejourney
    from casejourney import metrics
    from casejourney.engine import NATIVE, Kind
    from casejourney.simulate import compile_scenario, run_replication

    scenario, workflow = casejourney.load_scenario("national-baseline")
    scale = referrals / NATIONAL_REFERRALS
    compiled = compile_scenario(
        workflow, scenario, scale=scale, warm_up_days=0, horizon_days=364, areas=areas
    )
    started, cpu = time.perf_counter(), time.process_time()
    log, snapshots = run_replication(compiled, 0)
    simulated = time.perf_counter() - started
    simulated_cpu = time.process_time() - cpu
    peak_simulating = _peak_mib()
    code = compiled.frame.code("referral")
    found = {
        "scale": scale,
        "areas": len(compiled.parts),
        "seconds": simulated,
        "cpu_seconds": simulated_cpu,
        "events": len(log),
        "cases": int(np.count_nonzero(np.bincount(log["case"]))),  # not np.unique: no sorted copy
        "referrals": int(((log["kind"] == Kind.ENTER) & (log["event"] == code)).sum()),
        "peak_mib_simulating": peak_simulating,
        "compiled": float(NATIVE),
    }
    if with_metrics:
        started, cpu = time.perf_counter(), time.process_time()
        metrics.measure(log, snapshots, compiled.frame, release=True)  # as the command does
        found["metrics_seconds"] = time.perf_counter() - started
        found["metrics_cpu_seconds"] = time.process_time() - cpu
    found["peak_mib"] = _peak_mib()
    return found


def whole_command(scale: float) -> dict[str, float]:
    """Run ``casejourney simulate national-baseline -n 1 --event-log none`` as a child process.

    Its peak memory (maximum resident set size) and CPU seconds are the operating system's for
    the child (``RUSAGE_CHILDREN`` of this process, which starts no other).
    """
    command = [
        sys.executable,
        "-c",
        "import sys; from casejourney.cli import run; sys.argv[0] = 'casejourney'; sys.exit(run())",
        "simulate",
        "national-baseline",
        "-n",
        "1",
        "--event-log",
        "none",
        "--scale",
        repr(scale),
    ]
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        subprocess.run([*command, "--out", folder], check=True, capture_output=True)
        seconds = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "scale": scale,
        "seconds": seconds,
        "cpu_seconds": used.ru_utime + used.ru_stime,
        "peak_mib": used.ru_maxrss / 1024,
    }


def bare_heapq(events: int) -> dict[str, float]:
    """A bare M/M/c queue on a heapq event list: the least a discrete-event loop in Python costs.

    Arrivals (Poisson) and departures (exponential service) are events on one heap; a server
    free takes the next arrival, else it waits in a FIFO queue. 40 servers at 90% load; an event
    is an arrival or a departure, as a row of the engine's log is one thing happening.
    """
    rng = random.Random(1)
    servers, load = 40, 0.9
    service = 1.0
    arrival = servers * load / service
    free = servers
    waiting: deque[float] = deque()
    queue: list[tuple[float, int, int]] = [(rng.expovariate(arrival), 0, 0)]  # (time, seq, kind)
    seq = 1
    served = 0
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(events):
        now, _, kind = heapq.heappop(queue)
        if kind == 0:  # an arrival: the next one, and service if a server is free
            heapq.heappush(queue, (now + rng.expovariate(arrival), seq, 0))
            seq += 1
            if free:
                free -= 1
                heapq.heappush(queue, (now + rng.expovariate(service), seq, 1))
                seq += 1
            else:
                waiting.append(now)
        else:  # a departure: the server takes the next in the queue
            served += 1
            if waiting:
                waiting.popleft()
                heapq.heappush(queue, (now + rng.expovariate(service), seq, 1))
                seq += 1
            else:
                free += 1
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "events": events,
        "served": served,
    }


def replications(jobs: int, count: int) -> dict[str, float]:
    """``count`` replications of the Liverpool scenario in ``jobs`` processes."""
    import casejourney

    started = time.perf_counter()
    results = casejourney.run_scenario(
        "liverpool-baseline", replications=count, jobs=jobs, event_log="none"
    )
    seconds = time.perf_counter() - started
    events = sum(r.events for r in results.replications.values())
    return {"seconds": seconds, "events": events, "jobs": jobs}


def _child(kind: str, *args: str) -> dict[str, float]:
    """Run one measurement in a fresh Python process and read its JSON answer."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args],
        check=True,
        capture_output=True,
        text=True,
    )
    answer: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def _size_row(found: dict[str, float]) -> None:
    print(
        f"   {found['areas']:>5} {found['referrals']:>10,} {found['cases']:>10,} "
        f"{found['events']:>11,} {found['seconds']:>8.1f} "
        f"{found['cases'] / found['seconds']:>11,.0f} {1e6 * found['seconds'] / found['events']:>9.2f}"
    )


def main(argv: list[str]) -> int:
    if argv[:1] in (["--help"], ["-h"]):
        print(__doc__)
        return 0
    if argv[:1] == ["--child"]:
        kind, *args = argv[1:]
        if kind == "year":
            areas = int(args[2]) if len(args) > 2 else None
            print(json.dumps(one_year(int(args[0]), args[1] == "metrics", areas)))
        elif kind == "command":
            print(json.dumps(whole_command(float(args[0]))))
        elif kind == "heapq":
            print(json.dumps(bare_heapq(int(args[0]))))
        else:
            print(json.dumps(replications(int(args[0]), int(args[1]))))
        return 0
    quick = "--quick" in argv
    sizes = SIZES[:2] if quick else SIZES
    from casejourney.engine import BUILD

    print(f"python {sys.version.split()[0]}; one core per process; figures from fresh processes")
    print(f"engine: {BUILD}\n")

    print("1. One simulated year at England's volume (national-baseline, no warm-up)")
    national = _child("year", str(sizes[-1]), "metrics")
    print(
        f"   referrals {national['referrals']:,}, cases {national['cases']:,}, "
        f"events {national['events']:,}\n"
        f"   simulation {national['cpu_seconds']:.1f} s CPU "
        f"({national['events'] / national['cpu_seconds']:,.0f} events/s; "
        f"{national['seconds']:.1f} s elapsed, which a shared machine inflates more), "
        f"peak memory {national['peak_mib_simulating']:,.0f} MiB\n"
        f"   metrics {national['metrics_cpu_seconds']:.1f} s CPU "
        f"({national['metrics_seconds']:.1f} s elapsed), peak memory with metrics "
        f"{national['peak_mib']:,.0f} MiB"
    )
    command = _child("command", repr(sizes[-1] / NATIONAL_REFERRALS))
    scaled = "" if command["scale"] == 1 else f" --scale {command['scale']:.3g}"
    print(
        f"   the whole command (casejourney simulate national-baseline -n 1 --event-log none"
        f"{scaled}, warm-up included): peak memory {command['peak_mib']:,.0f} MiB, "
        f"{command['cpu_seconds']:.1f} s CPU\n"
    )

    print("2. Cost per journey by size (one simulated year)")
    print(
        f"   {'areas':>5} {'referrals':>10} {'cases':>10} {'events':>11} {'seconds':>8} "
        f"{'journeys/s':>11} {'µs/event':>9}"
    )
    rates = []
    for size in sizes:
        found = national if size == sizes[-1] else _child("year", str(size), "none")
        rates.append(found["cases"] / found["seconds"])
        _size_row(found)
    print(f"   slowest / fastest journeys/s: {min(rates) / max(rates):.2f}")
    print("   England as one area (one national pool per team), for comparison:")
    for size in (sizes[0], sizes[-1]):
        _size_row(_child("year", str(size), "none", "1"))

    print("\n3. A bare heapq M/M/c loop (40 servers, 90% load) over the same number of events")
    bare = _child("heapq", str(int(national["events"])))
    print(
        f"   {bare['events']:,} events in {bare['cpu_seconds']:.1f} s CPU "
        f"({bare['events'] / bare['cpu_seconds']:,.0f} events/s); the engine, in the same run: "
        f"{national['events'] / national['cpu_seconds']:,.0f} events/s, "
        f"{national['cpu_seconds'] / bare['cpu_seconds']:.1f}× the bare loop's time per event\n"
    )

    count = 4 if quick else 8
    print(f"4. {count} replications of the Liverpool scenario")
    one = _child("jobs", "1", str(count))
    two = _child("jobs", "2", str(count))
    print(
        f"   --jobs 1: {one['seconds']:.1f} s; --jobs 2: {two['seconds']:.1f} s; "
        f"speed-up {one['seconds'] / two['seconds']:.2f}×"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
