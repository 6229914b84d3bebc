"""The long fuzzing run: ``python -m tests.fuzz.run --minutes 60 --jobs 2`` (see docs/fuzzing.md).

Mutates the shipped files (nine mutations in ten) and generates documents (one in ten), feeds each
to the loaders (``harness.probe``), and prints how many inputs, failures and hangs, by operator,
with the input that took most processor time and the slowest. Every failing input is written to
``--corpus`` (default ``tests/fuzz/corpus``), named by kind, file and hash, to be replayed as a
test for ever after.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.fuzz.generate import document, dump
from tests.fuzz.harness import (
    LIMIT_SECONDS,
    ROOT,
    Kind,
    probe,
    shipped_files,
    shipped_tree,
    warm_up,
)
from tests.fuzz.mutate import mutate

CORPUS = ROOT / "tests" / "fuzz" / "corpus"


def one(rng: random.Random, tree: Path, texts: dict[Path, str], deep: bool) -> dict[str, Any]:
    """Make one input, probe it, put the shipped file back; what happened."""
    files = shipped_files()
    if rng.random() < 0.1:
        kind: Kind = rng.choice(["workflow", "scenario"])
        data = dump(document(rng, kind))
        name = "national.yaml" if kind == "workflow" else "fuzzed.yaml"
        operators = ["generated"]
    else:
        kind, source = rng.choice(files)
        data, operators = mutate(texts[source], rng)
        name = source.name
    folder = tree / ("workflows" if kind == "workflow" else "scenarios")
    path = folder / name
    shipped = ROOT / folder.name / name
    original = shipped.read_bytes() if shipped.exists() else None
    path.write_bytes(data)
    try:
        outcome = probe(path, kind, deep=deep)
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)
    return {
        "kind": kind,
        "name": name,
        "operators": operators,
        "failure": outcome.failure,
        "seconds": outcome.seconds,
        "cpu_seconds": outcome.cpu_seconds,
        "data": data if outcome.failure else None,
        "clean": not outcome.codes,
    }


def worker(args: tuple[int, int, float, bool]) -> dict[str, Any]:
    """Run inputs ``seed, seed+stride, ...`` until the deadline; tallies and failures."""
    seed, stride, deadline, deep = args
    texts = {p: p.read_text(encoding="utf-8") for _, p in shipped_files()}
    warm_up()
    tally: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    slowest = (0.0, "")
    busiest = (0.0, "")
    # The tree is written twice per input: in memory (/dev/shm) where there is one, as on disk
    # a file truncated and rewritten is flushed on close (a millisecond or more each time).
    memory = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=memory if memory.is_dir() else None) as folder:
        tree = shipped_tree(Path(folder))
        index = seed
        while time.time() < deadline:
            rng = random.Random(index)
            found = one(rng, tree, texts, deep)
            tally["inputs"] += 1
            tally["clean"] += found["clean"]
            for name in found["operators"]:
                tally[f"op:{name}"] += 1
            what = f"seed {index} ({found['name']}, {found['operators']})"
            if found["seconds"] > slowest[0]:
                slowest = (found["seconds"], what)
            if found["cpu_seconds"] > busiest[0]:
                busiest = (found["cpu_seconds"], what)
            if found["seconds"] > LIMIT_SECONDS and not found["failure"]:
                tally["waited"] += 1  # over the limit in wall-clock time only: it waited
            if found["failure"]:
                kind = "hangs" if found["failure"].startswith("hang") else "failures"
                tally[kind] += 1
                failures.append({**found, "seed": index})
            index += stride
    return {"tally": tally, "failures": failures, "slowest": slowest, "busiest": busiest}


def main() -> None:
    """Parse the options, run the workers, save failures, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deep", action="store_true", help="also run every check and compile")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    options = parser.parse_args()
    started = time.time()
    deadline = started + options.minutes * 60
    jobs = [(options.seed + j, options.jobs, deadline, options.deep) for j in range(options.jobs)]
    with multiprocessing.Pool(options.jobs) as pool:
        results = pool.map(worker, jobs)
    tally: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    for result in results:
        tally.update(result["tally"])
        failures += result["failures"]
    slowest = max(r["slowest"] for r in results)
    busiest = max(r["busiest"] for r in results)
    for failure in failures:
        digest = hashlib.sha256(failure["data"]).hexdigest()[:12]
        stem = Path(failure["name"]).stem
        target = options.corpus / failure["kind"] / f"{stem}--{digest}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(failure["data"])
        print(f"FAILURE seed {failure['seed']} -> {target}\n{failure['failure']}")
    elapsed = time.time() - started
    print(
        f"{tally['inputs']:,} inputs in {elapsed / 60:.1f} min ({tally['inputs'] / elapsed:.1f}/s, "
        f"{options.jobs} process{'es' if options.jobs != 1 else ''}, seed {options.seed}"
        f"{', deep' if options.deep else ''}): {tally['failures']} failures, {tally['hangs']} hangs; "
        f"{tally['clean']:,} loaded clean; most processor time {busiest[0]:.2f} s ({busiest[1]}); "
        f"slowest {slowest[0]:.2f} s ({slowest[1]}); {tally['waited']} over {LIMIT_SECONDS:g} s "
        "of wall-clock time only (waiting for the processor)"
    )
    print(
        "by operator: "
        + ", ".join(f"{k[3:]} {v:,}" for k, v in sorted(tally.items()) if k.startswith("op:"))
    )


if __name__ == "__main__":
    main()
