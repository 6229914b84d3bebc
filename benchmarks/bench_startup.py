"""Start-up cost of the command: CPU seconds for ``casejourney --version`` and ``--help``.

Run: python benchmarks/bench_startup.py [runs]   (default: 5)
Each command runs in a fresh interpreter, as a user's shell runs it; the figure is the child's
user + system CPU time (``os.wait4``), not wall time, so it stays comparable on a busy machine.
The target (issue 18) is 0.3 s; the best and the median of the runs are printed.

Measured on 3 December 2026 on the shared 2-core machine (load about 2), best of 5: before the
lazy imports (main at 373d52c) 0.73 CPU s for --version and 0.75 s for --help (every command
module, numpy, pyarrow, pydantic models and the calendar were imported before typer parsed a
word; 2.27 / 1.71 s when measured at load ~14); after them 0.14 s for each: the package's names
and the command modules' heavy imports load when a command runs, not when it is parsed
(tests/test_api.py checks that parsing loads none of them).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys


def cpu_seconds(arguments: list[str]) -> float:
    """User + system CPU seconds of one run of ``python -m casejourney.cli ARGUMENTS``."""
    child = subprocess.Popen(
        [sys.executable, "-c", "from casejourney.cli import run; run()", *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(child.pid, 0)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Time each command ``runs`` times; print the best and the median."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for arguments in (["--version"], ["--help"]):
        times = [cpu_seconds(arguments) for _ in range(runs)]
        print(
            f"casejourney {' '.join(arguments)}: best {min(times):.2f} CPU s, "
            f"median {statistics.median(times):.2f} CPU s over {runs} runs (target 0.3 s)"
        )


if __name__ == "__main__":
    main()
