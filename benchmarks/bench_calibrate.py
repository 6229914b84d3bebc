"""Calibration time for an authority the size of Liverpool, and how its runs scale.

Run: python benchmarks/bench_calibrate.py [--trials 50] [--replications 4] [--jobs 2] [--quick]
Prints figures (no assertions). Liverpool's year to March 2024 is built from the published
figures (``scenario from-published``) and its six back-test behaviours are calibrated to its
published 2024 outcomes: trials × replications simulated years (50 × 4 = 200 by default). Then the
same batch of replications is run here, in 2 local processes and on a Dask LocalCluster of 1 and 2
workers, to show how the runs scale. The machine is shared: load from other work slows every figure.
"""

from __future__ import annotations

import argparse
import os
import time

from casejourney import backtest, calibrate, published, runner


def main() -> None:
    """Time one calibration and a batch of replications per runner."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=4, help="replications per scaling run")
    parser.add_argument("--quick", action="store_true", help="3 trials of 2 at scale 0.25")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.replications, args.scale, args.batch = 3, 2, 0.25, 2
    rows = published.load()
    data = backtest.year_data(rows, "Liverpool", 2024)
    row = next(r for r in rows if r.name == "Liverpool" and r.year == 2024)
    case = calibrate.Case(data, backtest.targets_of(row, 2024))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    began = time.perf_counter()
    result = calibrate.calibrate(
        [case],
        backtest.PARAMETERS,
        trials=args.trials,
        replications=args.replications,
        scale=args.scale,
        jobs=args.jobs,
    )
    wall = time.perf_counter() - began
    years = args.trials * args.replications
    print(
        f"calibrate Liverpool 2024 (scale {args.scale:g}): {args.trials} trials × "
        f"{args.replications} replications = {years} simulated years, {args.jobs} processes: "
        f"{wall / 60:.1f} min ({years / wall * 60:.1f} simulated years/min), best loss "
        f"{result.loss:.1f}"
    )
    [tasks] = calibrate.tasks([case], {}, args.batch, args.scale)
    for name, jobs, scheduler in (
        ("here, 1 process", 1, None),
        ("2 local processes", 2, None),
        ("Dask LocalCluster ×1", 1, "local"),
        ("Dask LocalCluster ×2", 2, "local"),
    ):
        with runner.using(jobs, scheduler) as executor:
            if scheduler:
                runner.run(tasks[:1], executor)  # start the cluster before timing
            started = time.perf_counter()
            runner.run(tasks, executor)
            seconds = time.perf_counter() - started
        print(
            f"{name:<22} {len(tasks)} simulated years in {seconds:6.1f} s "
            f"({len(tasks) / seconds * 60:5.1f} per min)"
        )


if __name__ == "__main__":
    main()
