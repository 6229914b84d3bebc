"""Export speed: a national year of national-baseline written as a synthetic SSDA903 return.

Run: python benchmarks/bench_returns.py [--scale S]
Simulates one replication of national-baseline (England's volume, as its 153 areas; --scale for a
quick look) into a temporary folder, then times ``casejourney returns export`` for the collection
year the run covers, in a fresh process so its peak memory is its own. Prints figures; asserts
nothing (tests never time anything). Target: a national year exported in at most 2 minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = "import sys; from casejourney.cli import main; sys.exit(main(sys.argv[1:]))"
EXPORT = """
import sys, time, resource
from pathlib import Path
from casejourney.returns import export_ssda903
began = time.perf_counter()
files = export_ssda903(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
seconds = time.perf_counter() - began
rows = {p.name: p.read_text(encoding="utf-8").count(chr(10)) - 1 for p in files}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{seconds:.1f}", peak, rows)
"""


def main() -> None:
    """Simulate, then time the export."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="Scale of England (default 1).")
    scale = parser.parse_args().scale
    with tempfile.TemporaryDirectory() as root:
        results, out = Path(root) / "run", Path(root) / "903"
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", CLI, "simulate", "national-baseline", "-n", "1",
             "--scale", str(scale), "-o", str(results)],
            check=True, capture_output=True,
        )  # fmt: skip
        simulated = time.perf_counter() - began
        start = json.loads((results / "run.json").read_text(encoding="utf-8"))["start"]
        year = int(start[:4]) + 1
        done = subprocess.run(
            [sys.executable, "-c", EXPORT, str(results), str(year), str(out)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        seconds, peak, rows = done.stdout.split(" ", 2)
        print(f"national-baseline at scale {scale}: simulated in {simulated:.1f} s")
        print(f"SSDA903 {year - 1}-{year % 100:02d} exported in {seconds} s (target <= 120 s)")
        print(f"peak memory of the export: {float(peak):.0f} MiB; rows: {rows.strip()}")


if __name__ == "__main__":
    main()
