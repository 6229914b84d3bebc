"""How fast the YAML reader reads the shipped files, with libyaml's events and in pure Python.

Run: python benchmarks/bench_yaml_reader.py [--repeat 5]
Prints figures (no assertions): milliseconds per read of each shipped workflow and baseline
scenario with each reader (``read_yaml``'s cache emptied before every read, so each is parsed),
and with the cache (the file read again unchanged). The reader is most of the fuzzing harness's
time (docs/fuzzing.md). The machine is shared: load from other work slows every figure.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from casejourney.spec import yamlsafe

ROOT = Path(__file__).resolve().parents[1]


def _per_read(path: Path, repeat: int, *, fast: bool, cached: bool) -> float:
    yamlsafe.USE_LIBYAML = fast
    yamlsafe._CACHE.clear()
    yamlsafe.read_yaml(path)
    began = time.perf_counter()
    for _ in range(repeat):
        if not cached:
            yamlsafe._CACHE.clear()
        doc, _ = yamlsafe.read_yaml(path)
        assert doc is not None, path
    return (time.perf_counter() - began) / repeat * 1000


def main() -> None:
    """Time each reader on each shipped file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    if yamlsafe._CParser is None:
        print("this PyYAML has no libyaml: only the pure-Python reader is available")
    files = sorted((ROOT / "workflows").glob("*.yaml"))
    files += sorted((ROOT / "scenarios").glob("*-baseline.yaml"))
    print(f"{'file':<32}{'bytes':>8}{'python ms':>11}{'libyaml ms':>12}{'cached ms':>11}")
    totals = [0.0, 0.0, 0.0]
    for path in files:
        pure = _per_read(path, args.repeat, fast=False, cached=False)
        fast = _per_read(path, args.repeat, fast=True, cached=False)
        cached = _per_read(path, args.repeat, fast=True, cached=True)
        for i, value in enumerate((pure, fast, cached)):
            totals[i] += value
        size = path.stat().st_size
        print(f"{path.name:<32}{size:>8,}{pure:>11.1f}{fast:>12.1f}{cached:>11.1f}")
    print(f"{'all':<32}{'':>8}{totals[0]:>11.1f}{totals[1]:>12.1f}{totals[2]:>11.1f}")
    print(
        f"libyaml {totals[0] / totals[1]:.1f}× faster; cached {totals[0] / totals[2]:.0f}× faster"
    )


if __name__ == "__main__":
    main()
