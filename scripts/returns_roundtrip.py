"""The round trip at an authority's scale: simulate, export, from-returns, simulate; a table.

    python scripts/returns_roundtrip.py                        # docs/returns.md's table
    python scripts/returns_roundtrip.py --seeds 3 --replications 2 --scale 0.2   # a quick look

For each seed: ``casejourney simulate SCENARIO -n 1 --seed S`` for two collection years from the
first one's 1 April (``--set start=YYYY-04-01 --set horizon=105 weeks``: a run from the
scenario's own start, 6 April, would leave the first year's first days unsimulated, its referrals
missing and the cases open on the first day read as referred then), ``casejourney returns
export`` of each year, then for each base
``casejourney scenario from-returns --base BASE -n 0`` on the first year (the command itself
builds the scenario) and the built scenario simulated ``--replications`` times (its own seed),
each replication's first year exported and read back as its returns.

The rebuilt scenario starts where the first year's returns end, so what it should reproduce is
the original run's *next* year: a run that is not in a steady state (a warm start whose stocks
are still moving towards the level its flows and stays hold) moves on in that year too, and the
returns it was built from are a year behind. The table gives, for every figure from-returns
prints, the first year's returns, the original's next year and each base's rebuilt one, as the
mean over the seeds, with the spread (standard deviation) of one seed's figure between seeds and,
for the rebuilt, of a single replication (pooled over seeds): what "within sampling noise" is
measured against. Each step's folder is kept under ``--work`` for tracing.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import casejourney
from casejourney.cli import main as cli
from casejourney.returns.figures import Figures, summarise
from casejourney.returns.read import read_returns

ROOT = Path(__file__).resolve().parent.parent


def _figures(folder: Path, year: int) -> Figures:
    return summarise(read_returns(folder / "cin-census.xml", folder, year))


def _round_trip(
    scenario: str,
    seed: int,
    bases: list[str],
    replications: int,
    year: int,
    scale: float,
    horizon: str,
    work: Path,
) -> tuple[Figures, Figures, dict[str, list[Figures]]]:
    """One seed's two years of returns and each base's rebuilt replications' second year."""
    run = work / f"run-{seed}"
    casejourney.run_scenario(
        scenario,
        replications=1,
        seed=seed,
        scale=scale,
        out=run,
        force=True,
        changes=[f"start={year - 1}-04-01", f"horizon={horizon}"],
    )
    exported = work / f"returns-{seed}"
    casejourney.export_returns(run, year, exported)
    following = work / f"returns-{seed}-next"
    casejourney.export_returns(run, year + 1, following)
    found: dict[str, list[Figures]] = {}
    for base in bases:
        built = work / f"built-{seed}-{base}.yaml"
        with contextlib.redirect_stdout(sys.stderr):  # its table of the returns: not ours
            code = cli(
                [
                    "scenario", "from-returns", "--cin", str(exported / "cin-census.xml"),
                    "--ssda903", str(exported), "--year", str(year), "--base", base,
                    "-n", "0", "-o", str(built),
                ]
            )  # fmt: skip
        if code:
            raise SystemExit(f"from-returns failed on seed {seed}, base {base}")
        simulated = work / f"sim-{seed}-{base}"
        # at the returns' own scale: the built scenario already has the scaled run's demand
        casejourney.run_scenario(str(built), replications=replications, out=simulated, force=True)
        found[base] = []
        for replication in range(replications):
            folder = work / f"sim-{seed}-{base}-returns-{replication}"
            casejourney.export_returns(simulated, year + 1, folder, replication=replication)
            found[base].append(_figures(folder, year + 1))
    return _figures(exported, year), _figures(following, year + 1), found


def _cell(name: str, values: list[float], spread: float | None) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "–"
    mean = statistics.fmean(values)
    digits = ".1f" if "%" in name else ",.0f"
    text = format(mean, digits)
    if spread is not None and not math.isnan(spread):
        text += f" ± {format(spread, digits)}"
    return text


def _sd(groups: list[list[float]]) -> float:
    """The standard deviation of one value, pooled over groups (each about its own mean)."""
    squares = sum(sum((v - statistics.fmean(g)) ** 2 for v in g) for g in groups if len(g) > 1)
    freedom = sum(len(g) - 1 for g in groups if len(g) > 1)
    return math.sqrt(squares / freedom) if freedom else math.nan


def table(
    returns: list[Figures],
    following: list[Figures],
    simulated: dict[str, list[list[Figures]]],
    year: int,
) -> list[str]:
    """The markdown table: each figure, the returns' and each base's, mean ± one year's spread."""
    bases = list(simulated)
    head = [
        f"returns {year - 1}-{year % 100:02d}",
        f"original {year}-{(year + 1) % 100:02d}",
        *(f"rebuilt on {base}" for base in bases),
    ]
    lines = [
        "| figure | " + " | ".join(head) + " |",
        "|---|" + "---:|" * len(head),
    ]
    for name in returns[0].counts:
        row = []
        for years in (returns, following):
            own = [f.counts[name] for f in years]
            row.append(_cell(name, own, statistics.stdev(own) if len(own) > 1 else None))
        for base in bases:
            groups = [[f.counts.get(name, math.nan) for f in seed] for seed in simulated[base]]
            means = [statistics.fmean(g) for g in groups]
            row.append(_cell(name, means, _sd(groups)))
        lines.append(f"| {name} | " + " | ".join(row) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the round trips and print the table; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="liverpool-baseline")
    parser.add_argument("--bases", nargs="+", default=["liverpool-baseline", "national-baseline"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[3, 4, 5])
    parser.add_argument("--replications", "-n", type=int, default=4)
    parser.add_argument("--year", type=int, default=2027, help="the collection year exported")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--horizon",
        default="105 weeks",
        help="the original run's horizon from 1 April: it must reach 31 March after the second year",
    )
    parser.add_argument("--work", type=Path, default=ROOT / "results" / "roundtrip")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(  # at the start: the code that ran, not a commit made meanwhile
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    returns: list[Figures] = []
    following: list[Figures] = []
    simulated: dict[str, list[list[Figures]]] = {base: [] for base in args.bases}
    started, cpu = time.perf_counter(), time.process_time()
    for seed in args.seeds:
        own, after, found = _round_trip(
            args.scenario,
            seed,
            args.bases,
            args.replications,
            args.year,
            args.scale,
            args.horizon,
            args.work,
        )
        returns.append(own)
        following.append(after)
        for base, figures in found.items():
            simulated[base].append(figures)
        print(f"seed {seed} done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    print(
        f"<!-- scripts/returns_roundtrip.py at {commit}: {args.scenario}, seeds "
        f"{' '.join(map(str, args.seeds))}, {args.replications} replications of each built "
        f"scenario, scale {args.scale}; {time.process_time() - cpu:.0f} s of CPU time -->"
    )
    print("\n".join(table(returns, following, simulated, args.year)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
