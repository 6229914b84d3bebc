"""Write docs/validation.md: the model beside DfE's published figures, and a sensitivity table.

    python scripts/validate.py                 # the full page (about 30-60 minutes on 2 cores)
    python scripts/validate.py --quick         # a smoke run: 1 replication, small scale

The England years and the sensitivity table are kept beside the page (docs/.validation-*.pickle,
keyed by their settings and the commit), so a rerun at the same commit, to add back-tests finished
since, takes minutes. Nothing in the page is typed by hand: every figure comes from this run and the published data in
data/published/. The year to March 2025's outcomes are withheld there on purpose: the page shows
the model's prediction for them beside an empty published column.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from casejourney import backtest, published, validation
from casejourney.spec import load_workflow

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def _cached(path: Path, key: object, make: Callable[[], T]) -> T:
    """``make()``, kept in ``path`` for a rerun with the same ``key`` (a later part may fail)."""
    if path.is_file():
        with path.open("rb") as handle:
            found = pickle.load(handle)
        if found[0] == key:
            return found[1]  # type: ignore[no-any-return]
    value = make()
    with path.open("wb") as handle:
        pickle.dump((key, value), handle)
    return value


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run the validation and write the page; 0 on success."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "validation.md")
    parser.add_argument("--england-replications", type=int, default=5)
    parser.add_argument(
        "--england-scale",
        type=float,
        default=0.25,
        help="share of England's 153 areas simulated (percentages do not depend on it; counts are scaled back)",
    )
    parser.add_argument("--sensitivity-replications", type=int, default=20)
    parser.add_argument(
        "--sensitivity-weeks",
        type=int,
        default=None,
        help="reported weeks (default: the scenario's 52)",
    )
    parser.add_argument("--jobs", type=int, default=validation.default_jobs())
    parser.add_argument(
        "--quick", action="store_true", help="1 replication, small scale: a smoke run"
    )
    parser.add_argument(
        "--cached-backtests",
        action="store_true",
        help="use only back-tests already finished (kept between runs); list the rest as not run",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.england_replications, args.england_scale, args.sensitivity_replications = 1, 0.05, 1
        args.sensitivity_weeks = 4
    if not args.out.parent.is_dir():
        print(f"{args.out.parent}: no such folder", file=sys.stderr)
        return 2
    began = time.time()
    years = (2022, 2023, 2024, 2025)
    print(
        f"England {years}: {args.england_replications} replications at scale {args.england_scale} ...",
        flush=True,
    )
    cache = args.out.with_name(f".{args.out.stem}-england-cache.pickle")
    key = (years, args.england_replications, args.england_scale, _commit())
    england = _cached(
        cache,
        key,
        lambda: validation.england_years(
            years, args.england_replications, args.england_scale, args.jobs
        ),
    )
    print(
        f"Liverpool sensitivity: {args.sensitivity_replications} replications per cell ...",
        flush=True,
    )
    team = "child_protection"
    cells = _cached(
        args.out.with_name(f".{args.out.stem}-sensitivity-cache.pickle"),
        (args.sensitivity_replications, args.sensitivity_weeks, _commit()),
        lambda: validation.sensitivity(
            "liverpool-baseline",
            team,
            args.sensitivity_replications,
            args.jobs,
            args.sensitivity_weeks,
        ),
    )
    workflow = load_workflow("liverpool")
    titles = {sid: s.spec.title for sid, s in workflow.standards.items()}
    standards = validation.main_standards(cells, 7)
    print("Back-tests (issue 15) ...", flush=True)
    backtests = backtest.section(
        quick=args.quick, jobs=args.jobs, run_missing=not args.cached_backtests
    )
    minutes = (time.time() - began) / 60
    page = PAGE.format(
        date=dt.date.today().isoformat(),
        commit=_commit(),
        command=" ".join(
            ["python scripts/validate.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        minutes=f"{minutes:.0f}",
        england_reps=args.england_replications,
        scale=args.england_scale,
        areas=round(153 * args.england_scale),
        calibration=", ".join(str(y) for y in validation.CALIBRATION_YEARS),
        england=validation.england_table(england),
        sens_reps=args.sensitivity_replications,
        sens_weeks=args.sensitivity_weeks or 52,
        sensitivity=validation.sensitivity_table(cells, team, standards, titles),
        monotone=_monotone_text(cells, standards),
        load=validation.baseline_load(cells),
        response=validation.load_response_table(published.load(), cells),
        backtests=backtests,
    )
    staging = args.out.with_name(f".{args.out.name}.tmp-{os.getpid()}")
    staging.write_text(page, encoding="utf-8")
    staging.replace(args.out)
    print(f"wrote {args.out} in {minutes:.1f} minutes")
    return 0


def _monotone_text(cells: dict, standards: list[str]) -> str:  # type: ignore[type-arg]
    keys = ["dfe.icpc_within_15wd_pct", *(f"standard.on_time_pct:{s}" for s in standards)]
    broken = validation.monotonicity(cells, keys)
    if not broken:
        return (
            "**Monotone:** in every pair of neighbouring cells, more staff never made a measure "
            "above worse, and more demand never made one better, beyond the 95% intervals."
        )
    return "**Not monotone beyond the intervals** in these pairs:\n\n" + "\n".join(
        f"- {line}" for line in broken
    )


PAGE = """# Validation: the model beside the published figures

*Generated by `{command}` on {date} at commit `{commit}` in {minutes} minutes. Do not edit by
hand: run the script again.*

A planner's answer is only as good as the model's agreement with the world. This page puts the
simulation beside the Department for Education's published figures for England
(`data/published/england-la-csc.csv`, Open Government Licence), measured from the simulated event
log with the DfE's own definitions (`src/casejourney/dfe.py`): ICPC timeliness from the **start of
the s47 enquiry**, CP plans open on 31 March by how long they had lasted, second or subsequent
plans counting the case history written before the simulated period, stocks on 31 March.

## How each year is set up

Each DfE year (1 April to 31 March) is simulated from its own published **inputs** only
(`published.year_scenario`): referrals in the year; children in need, on CP plans and looked after
on the previous 31 March (the open caseload, with history); referrals ending in no further action;
assessments finding no need; s47 enquiries per referral, ICPCs per s47 enquiry and CP plans per
ICPC (so the counts of enquiries, ICPCs and plans are *input-driven*); the case-holding workforce's
size relative to 2025 (case-holding FTE: FTE in post grew 14% from 2022 to 2025, mostly outside
case-holding roles, while case holders grew 4%), its agency share, turnover and sickness.
Everything else comes from `scenarios/national-baseline.yaml`. No outcome in the table is an input.

**Calibrated, not predicted.** A few parameters no publication gives were set against the
calibration years ({calibration}) only: the conference booking margin (`aim_before`), the
adjournment shares, the s47 enquiry's stay, and the share of children with an earlier CP plan
(`history`, which makes the *second or subsequent plans* row a calibration target, marked so); CP
plans' length (`stays.cp_plan`, the lognormal fitted to those years' plans open by duration band by
`published.cp_plan_lengths`, so the band rows are marked *calibration* in those years); and the
share of CIN plans ending in care (`cin_accommodated`, fitted to those years' starts in care,
marked so too). CIN plans' and care leavers' stays are set by Little's law so that their opening
stocks (inputs) hold steady under the model's own inflow. 2024 and 2025 were not looked at while
setting any of them. The year to March 2025's timeliness and
duration figures are withheld from the data on purpose (the test the project is judged on): the
table shows the model's prediction beside an empty published cell.

England is simulated as {areas} of its 153 areas (`--england-scale {scale}`), {england_reps}
replications per year: percentages do not depend on the scale; counts are scaled back to England.
Intervals are 95% intervals for the mean over replications.

## England, year by year

{england}

Tolerances: ±3 points for percentages, ±1 working day for quartiles, ±3% for stocks, ±5% for flows.

## What staffing and demand do: Liverpool

`scenarios/liverpool-baseline.yaml` with the child protection team's headcount × 0.8, 0.9, 1.0, 1.1
and demand × 1.0, 1.15, 1.3; {sens_reps} replications per cell with common random numbers; % of
instances on time over {sens_weeks} reported weeks after the 13-week warm-up (95% interval), for the DfE ICPC measure and the
standards with most instances due. Caseload is cases held per worker in post (weekly mean);
unallocated is the weekly mean number of cases waiting for a worker.

{sensitivity}

{load}

{monotone}

**How steeply, beside the published figures.** Authorities' own year-on-year changes say how much
ICPC timeliness moves with load: each authority with figures in both years is a point (the change
in the log of its referrals per case-holding social worker, and the change in its % of ICPCs
within 15 working days), and the slope through them is the points lost per unit of log load
(calibration-era years only). The model's slope is read off the table above. A model much steeper
than the published slope over-states what a change of demand or staff does; one much flatter
under-states it. The published slopes are shallow, and their intervals are wide: year-on-year
changes in counting (Liverpool's referrals, 4,158 in 2023 and 8,050 in 2024) blur them.

{response}

What moves these answers, by mechanism: caseloads above a team's `reference_caseload` make paced
stays (assessments, s47 enquiries) longer and visits and reviews later in proportion; when every
worker is at the caseload limit, cases wait unallocated and their paced work does not start;
leavers' cases (more often agency workers') are reallocated and their work starts again;
conferences are booked against the DfE deadline in the chairs' diaries, and a share are adjourned.
Liverpool's scenario is built from its published figures for the year to March 2024 and calibrated
(the head of `scenarios/liverpool-baseline.yaml` says how and how well).

{backtests}"""


if __name__ == "__main__":
    sys.exit(main())
