r"""Rebuild the shipped baselines of the four authorities with rule files, calibrated.

Each of ``scenarios/{knowsley,barnet,liverpool,coventry}-baseline.yaml`` is the authority's
scenario for the DfE year to March 2024 built from its published figures (``casejourney scenario
from-published``, with what its own rules add from ``data/local/``), with the back-test's
behaviours (``casejourney.backtest.PARAMETERS``, in the file's ``calibrate:`` block) fitted to
the authority's published outcomes for that year by ``casejourney calibrate``. Beside them, in
``scenarios/calibration/``, the targets each was fitted to and its fit table, so that the same
fit can be repeated with the ordinary command::

    casejourney calibrate scenarios/liverpool-baseline.yaml \
        --targets scenarios/calibration/liverpool-2024-targets.csv --trials 16 -n 3

Run from the project's root (a few minutes of one core per authority):
``python scripts/calibrate_baselines.py [--trials 16] [--replications 3] [AUTHORITY ...]``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import sys
from pathlib import Path

import yaml

from casejourney import backtest, calibrate, frompublished, published
from casejourney.spec.scenario import ScenarioSpec

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2024
AUTHORITIES = ("Knowsley", "Barnet", "Liverpool", "Coventry")
MARKER = (
    "# written by scripts/calibrate_baselines.py (casejourney scenario from-published + calibrate)"
)


def one(name: str, trials: int, replications: int, seed: int) -> str:
    """Build, calibrate and write one authority's baseline; its fit as text."""
    rows = published.load()
    who = frompublished.find_authority(rows, name)
    built = frompublished.build(rows, who.name, YEAR)
    slug = who.slug
    built.data["id"] = f"{slug}-baseline"
    built.data["title"] = f"{who.name}, year to March {YEAR} (DfE's published figures, calibrated)"
    built.data["calibrate"] = {
        "parameters": {
            path: {"low": p.low, "high": p.high, "unit": p.unit}
            for path, p in backtest.PARAMETERS.items()
        },
        "replications": replications,
    }
    built.notes[("calibrate",)] = (
        f"what was fitted (the back-test's behaviours) to scenarios/calibration/{slug}-{YEAR}-targets.csv"
    )
    outdir = ROOT / "scenarios" / "calibration"
    outdir.mkdir(parents=True, exist_ok=True)
    targets = backtest.targets_of(backtest._row(rows, who.code, YEAR), YEAR)
    targets_path = outdir / f"{slug}-{YEAR}-targets.csv"
    calibrate.write_targets(targets, targets_path)
    spec = ScenarioSpec.model_validate(yaml.safe_load(frompublished.to_yaml(built, "#")))
    dumped = spec.model_dump(mode="json", by_alias=True)
    params = dict(backtest.PARAMETERS)
    result = calibrate.calibrate(
        [calibrate.Case(dumped, targets)],
        params,
        trials=trials,
        replications=replications,
        jobs=1,
        seed=seed,
    )
    # shipped dated as the national baseline (a planning year from April 2026, after a warm-up),
    # so that what-ifs, returns and examples keep their dates; every number keeps its source
    nat = frompublished._shipped("national-baseline")
    data = copy.deepcopy(built.data)
    notes = dict(built.notes)
    for key in ("start", "warm_up", "horizon"):
        data[key] = nat[key]
    notes[("start",)] = (
        f"the national baseline's planning year (with its warm-up and horizon): the year to March "
        f"{YEAR}'s published inputs and fitted behaviour, simulated forward"
    )
    notes.pop(("horizon",), None)
    data = {k: data[k] for k in _order(data)}
    for path, value in result.best.items():
        calibrate.set_in_raw(data, dumped, path, value)
        low, high = result.ranges[path]
        spec_p = params[path]
        notes[tuple(path.split("."))] = (
            f"calibrated: 95% range {low:.4g}–{high:.4g} {spec_p.unit} "
            f"(tried {spec_p.low:g}–{spec_p.high:g})"
        )
    head = [
        f"{who.name}'s baseline: its published figures for the DfE year to March {YEAR}, with the",
        "behaviours no publication gives fitted to its published outcomes for that year.",
        f"Built by `casejourney scenario from-published --authority {who.name} --year {YEAR}`,",
        f"calibrated like `casejourney calibrate` ({trials} trials × {replications} replications, "
        f"seed {seed}, loss {result.loss:.2f})",
        f"against scenarios/calibration/{targets_path.name} (fit table: {slug}-{YEAR}-fit.csv).",
        f"Rebuild: python scripts/calibrate_baselines.py {who.name}",
        "Fit (target | simulated mean (95% interval) | gap):",
        *(
            f"  {f.target.measure} {f.target.year}: {f.target.value:g} | {f.simulated.mean:.4g} "
            f"({f.simulated.low:.4g}–{f.simulated.high:.4g}) | {f.gap:+.3g}"
            for f in result.fits
        ),
        "",
        *built.head,
    ]
    text = frompublished.to_yaml(frompublished.Built(data, notes, head, []), MARKER)
    text += "\n# yaml-language-server: $schema=scenario.schema.json\n"  # for an editor
    ScenarioSpec.model_validate(yaml.safe_load(text))  # what is written loads
    (ROOT / "scenarios" / f"{slug}-baseline.yaml").write_text(text, encoding="utf-8")
    fit = io.StringIO()
    rows_out = calibrate.fit_rows(result)
    writer = csv.DictWriter(fit, fieldnames=list(rows_out[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows_out)
    (outdir / f"{slug}-{YEAR}-fit.csv").write_text(fit.getvalue(), encoding="utf-8")
    return "\n".join(
        f"  {r['measure']}: {r['target']:g} | {r['simulated_mean']:g} "
        f"({r['low']:g}–{r['high']:g}) | {r['gap']:+g}"
        for r in rows_out
    )


def _order(data: dict[str, object]) -> list[str]:
    """Keys with ``warm_up`` just after ``start``."""
    keys = [k for k in data if k != "warm_up"]
    at = keys.index("start") + 1 if "start" in keys else len(keys)
    return [*keys[:at], "warm_up", *keys[at:]]


def main(argv: list[str] | None = None) -> int:
    """Rebuild the baselines named (all four by default)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("authorities", nargs="*", default=list(AUTHORITIES))
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260401)
    args = parser.parse_args(argv)
    for name in args.authorities:
        if name.capitalize() not in AUTHORITIES:
            parser.error(f"{name}: one of {', '.join(AUTHORITIES)}")
        print(f"{name}:", flush=True)
        print(one(name, args.trials, args.replications, args.seed), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
