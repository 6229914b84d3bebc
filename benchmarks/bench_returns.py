"""Returns speed: exporting a national year, and importing an authority the size of Liverpool.

Run: python benchmarks/bench_returns.py [--scale S]            (export)
     python benchmarks/bench_returns.py --results DIR          (export an existing results folder)
     python benchmarks/bench_returns.py --import [--scale S]   (import)
Export: simulates one replication of national-baseline (England's volume, as its 153 areas;
--scale for a quick look) into a temporary folder, or takes --results (a folder written by
``casejourney simulate national-baseline -n 1 -o DIR``, so the simulation is not repeated), then
times ``casejourney returns export`` (the SSDA903 CSVs and the CIN census) for the collection year
the run covers: the command itself, in a fresh process, so its time (start-up included) and its
peak memory are its own. Target: a national year exported in at most 2 minutes.
Import: simulates liverpool-baseline at --scale (default 1.4: about 10,000 referrals a year) for
--years (default 5) so that the last year's caseload carries that much history (periods of care
and plans begun years before, earlier plans), exports that last collection year's returns, then
times reading them in, summarising them and listing the open cases to carry (``scenario
from-returns`` without its comparison simulation), in a fresh process. Target: at most 30 s.
Prints figures; asserts nothing (tests never time anything).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = "import sys; from casejourney.cli import main; sys.exit(main(sys.argv[1:]))"
EXPORT = """
import sys, time, resource
began, cpu = time.perf_counter(), time.process_time()
from casejourney.cli import main
code = main(["returns", "export", *sys.argv[1:]])
seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{seconds:.1f} {cpu:.1f} {peak:.0f}", file=sys.stderr)
sys.exit(code)
"""


IMPORT = """
import sys, time, resource
from pathlib import Path
began, cpu = time.perf_counter(), time.process_time()
from casejourney.returns.build import cases_csv
from casejourney.returns.figures import carried_cases, summarise
from casejourney.returns.read import read_returns
folder, year = Path(sys.argv[1]), int(sys.argv[2])
returns = read_returns(folder / "cin-census.xml", folder, year)
read = time.perf_counter() - began
figures = summarise(returns)
cases_csv(carried_cases(returns))  # the open cases, one by one, as from-returns writes them
seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
oldest = min(e.referral for es in returns.cin.values() for e in es)
print(f"{seconds:.1f} {cpu:.1f} {read:.1f} {peak:.0f} {figures.referrals} {len(returns.cin)} {len(returns.care)} {oldest}")
"""


def _years_of(root: Path, years: int) -> Path:
    """liverpool-baseline run for ``years`` years: a scenario file extending it, beside a copy."""
    folder = root / "scenarios"
    folder.mkdir()
    for path in (ROOT / "scenarios").glob("*.yaml"):
        (folder / path.name).write_bytes(path.read_bytes())
    scenario = folder / f"liverpool-{years}-years.yaml"
    scenario.write_text(
        f"id: liverpool-{years}-years\ntitle: Liverpool for {years} years\n"
        f"extends: liverpool-baseline\nhorizon: {52 * years} weeks\n",
        encoding="utf-8",
    )
    return scenario


def bench_import(scale: float, years: int) -> None:
    """Simulate Liverpool for years, export its last year's returns, then time reading them."""
    with tempfile.TemporaryDirectory() as root:
        results, out = Path(root) / "run", Path(root) / "returns"
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", CLI, "simulate", str(_years_of(Path(root), years)), "-n", "1",
             "--scale", str(scale), "-o", str(results)],
            check=True, capture_output=True,
        )  # fmt: skip
        simulated = time.perf_counter() - began
        start = json.loads((results / "run.json").read_text(encoding="utf-8"))["start"]
        year = int(start[:4]) + years
        subprocess.run(
            [sys.executable, "-c", EXPORT, str(results), "--year", str(year), "-o", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        size = sum(p.stat().st_size for p in out.iterdir()) / 2**20
        done = subprocess.run(
            [sys.executable, "-c", IMPORT, str(out), str(year)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        seconds, cpu, read, peak, referrals, children, in_care, oldest = done.stdout.split()
        print(
            f"liverpool-baseline at scale {scale} for {years} years (simulated in {simulated:.0f} s):"
            f" returns {year - 1}-{year % 100:02d}, {size:.1f} MiB; oldest referral {oldest}"
        )
        print(f"{referrals} referrals, {children} children in the census, {in_care} in care")
        print(f"imported in {seconds} s (read {read} s; target <= 30 s), {cpu} s of CPU time")
        print(f"peak memory of the import: {peak} MiB")


def main() -> None:
    """Simulate, then time the export (or the import)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=None, help="Scale (default 1; import 1.4).")
    parser.add_argument("--import", dest="imports", action="store_true", help="Time the import.")
    parser.add_argument("--years", type=int, default=5, help="Years simulated before the import.")
    parser.add_argument("--results", type=Path, help="Export this results folder (no simulation).")
    options = parser.parse_args()
    if options.imports:
        bench_import(options.scale or 1.4, options.years)
        return
    scale = options.scale or 1.0
    with tempfile.TemporaryDirectory() as root:
        results, out = options.results or Path(root) / "run", Path(root) / "903"
        if options.results is None:
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", CLI, "simulate", "national-baseline", "-n", "1",
                 "--scale", str(scale), "-o", str(results)],
                check=True, capture_output=True,
            )  # fmt: skip
            simulated = time.perf_counter() - began
            print(f"national-baseline at scale {scale}: simulated in {simulated:.1f} s")
        run = json.loads((results / "run.json").read_text(encoding="utf-8"))
        year = int(run["start"][:4]) + 1
        done = subprocess.run(
            [sys.executable, "-c", EXPORT, str(results), "--year", str(year), "-o", str(out)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        seconds, cpu, peak = done.stderr.split()[-3:]
        size = sum(p.stat().st_size for p in out.iterdir()) / 2**20
        settings = run["settings"]
        print(f"{results}: {run['scenario']} at scale {settings['scale']}, seed {settings['seed']}")
        print(
            f"CIN census and SSDA903 {year - 1}-{year % 100:02d} exported in {seconds} s "
            f"({cpu} s of CPU time; target <= 120 s), {size:.0f} MiB written"
        )
        print(f"peak memory of the export: {peak} MiB")
        print(done.stdout.strip())


if __name__ == "__main__":
    main()
