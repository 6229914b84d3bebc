"""Every hostile input of issue 17, under 2 GiB of memory and 30 s: a message and a non-zero exit.

``python -m tests.fuzz.limits`` runs ``casejourney check`` and ``casejourney simulate`` on each
scenario input of the corpus and on a FIFO, ``/dev/zero``, a symlink loop and a name too long for
the file system, each in its own process with ``RLIMIT_AS`` at 2 GiB and a 30 s timeout, and
prints one line per run (figures in docs/fuzzing.md).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT_BYTES = 2 * 1024**3
TIMEOUT = 30


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def run(args: list[str]) -> tuple[int | str, float, str]:
    """Exit code (or "timeout"), seconds, and the first line of what it printed."""
    command = [
        sys.executable,
        "-c",
        "import sys; from casejourney.cli import main; sys.exit(main())",
    ]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            preexec_fn=_limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - started, ""
    shown = (done.stderr.strip() or done.stdout.strip()).splitlines()
    traceback = "Traceback" in done.stderr
    first = ("TRACEBACK " if traceback else "") + (shown[0] if shown else "")
    return done.returncode, time.perf_counter() - started, first


def main() -> None:
    """Run every hostile input both ways and print the table."""
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        (here / "scenarios").mkdir()
        inputs: list[Path] = []
        for path in sorted((ROOT / "tests" / "fuzz" / "corpus" / "scenario").glob("*.yaml")):
            target = here / "scenarios" / path.name.split("--")[0].replace(".yaml", "")
            target = target.with_name(f"{path.stem.split('--')[1]}.yaml")
            target.write_bytes(path.read_bytes())
            inputs.append(target)
        os.mkfifo(here / "scenarios" / "fifo.yaml")
        (here / "scenarios" / "zero.yaml").symlink_to("/dev/zero")
        (here / "scenarios" / "loop.yaml").symlink_to(here / "scenarios" / "loop.yaml")
        inputs += [here / "scenarios" / n for n in ("fifo.yaml", "zero.yaml", "loop.yaml")]
        # A name longer than the file system allows (ENAMETOOLONG): never a file, only a path.
        inputs.append(here / "scenarios" / ("a" * 300 + ".yaml"))
        for shipped in (ROOT / "scenarios").glob("*.yaml"):  # what the inputs extend
            (here / "scenarios" / shipped.name).write_bytes(shipped.read_bytes())
        worst = 0.0
        failures = 0
        for path in inputs:
            for command in (
                ["check"],
                [
                    "simulate",
                    "--scale",
                    "0.001",
                    "-n",
                    "1",
                    "--event-log",
                    "none",
                    "-o",
                    str(here / "out"),
                ],
            ):
                code, seconds, first = run([command[0], str(path), *command[1:]])
                worst = max(worst, seconds)
                bad = code in (0, "timeout") or first.startswith("TRACEBACK") or not first
                failures += bad
                print(
                    f"{'FAIL' if bad else 'ok  '} {command[0]:8} {path.name:22} exit {code!s:7} {seconds:5.1f} s  {first[:110]}"
                )
        print(
            f"{len(inputs) * 2} runs under {LIMIT_BYTES // 1024**3} GiB and {TIMEOUT} s: {failures} without a message and a non-zero exit; slowest {worst:.1f} s"
        )


if __name__ == "__main__":
    main()
