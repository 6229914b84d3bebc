"""A results folder → the figures that charts, the pathway overlay and the HTML report draw.

Consumes what ``casejourney simulate`` writes (``run.json``, ``scenario.resolved.json``,
``summary``/``weekly``/``replications`` Parquet, and ``events/counts-*.parquet`` when the event log
was kept) plus the authority's workflow; produces a frozen :class:`RunResults`. Nothing here
simulates: the report is a pure function of the folder, so it can be redrawn at any time.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from casejourney.errors import CasejourneyError, UnknownAuthorityError
from casejourney.metrics import t_quantile
from casejourney.report.diagram import timescale_labels
from casejourney.report.measures import MEASURES
from casejourney.spec import load_workflow
from casejourney.spec.resolve import Workflow
from casejourney.spec.scenario import ScenarioSpec

__all__ = [
    "Difference",
    "Estimate",
    "ResultsError",
    "RunRecord",
    "RunResults",
    "Series",
    "difference",
    "load_results",
    "load_runs",
]

#: The files a results folder must have for a report.
REQUIRED = ("run.json", "scenario.resolved.json", "summary.parquet", "weekly.parquet")

CONFIDENCE = 0.95
#: The normal quantile for :data:`CONFIDENCE` (Wilson intervals).
Z = 1.959963984540054
#: A percentage of instances drawn from fewer instances than this (all replications together)
#: gets a Wilson interval from the pooled counts: a t-interval across replications of a handful
#: of 0%s and 100%s runs to the ends of the scale and says little.
SMALL_COUNT = 50


class ResultsError(CasejourneyError):
    """A results folder is missing, incomplete, or cannot be read."""


@dataclass(frozen=True)
class Estimate:
    """A figure over the reported period across replications: mean and 95% interval.

    ``low``/``high`` are NaN with one replication (no interval can be given), unless the
    figure is a percentage of a few instances, whose interval is Wilson's from the counts
    (``method`` says which; ``instances`` how many there were, all replications together).
    """

    mean: float
    low: float
    high: float
    n: int
    method: str = "t"  # "t" across replications, or "wilson" from the pooled counts
    instances: float = math.nan

    @classmethod
    def missing(cls) -> Estimate:
        """No figure (nothing was measured)."""
        return cls(math.nan, math.nan, math.nan, 0)

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN without an interval)."""
        return (self.high - self.low) / 2

    @property
    def known(self) -> bool:
        """Whether there is a figure at all."""
        return not math.isnan(self.mean)

    def clipped(self, low: float = 0.0, high: float = 100.0) -> Estimate:
        """The interval clipped to the measure's possible range (a percentage: 0–100)."""
        return replace(
            self,
            low=self.low if math.isnan(self.low) else max(low, self.low),
            high=self.high if math.isnan(self.high) else min(high, self.high),
        )


def wilson(successes: float, trials: float) -> tuple[float, float]:
    """Wilson's 95% score interval for a proportion, in per cent (NaN, NaN with no trials).

    Unlike the normal ("Wald") interval it stays within 0–100 and is not of zero width at 0 or
    all: 3 of 3 gives 43.9–100, not 100–100.
    """
    if trials <= 0:
        return math.nan, math.nan
    p = min(max(successes / trials, 0.0), 1.0)
    z2 = Z * Z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    low = 0.0 if p == 0 else max(0.0, centre - half)  # exact at the ends, not 1e-15 off
    high = 1.0 if p == 1 else min(1.0, centre + half)
    return 100 * low, 100 * high


@dataclass(frozen=True)
class Series:
    """A measure week by week across replications (NaN where a week has no figure)."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def empty(cls, weeks: int) -> Series:
        """A series with no figures."""
        nan = np.full(weeks, np.nan)
        return cls(nan, nan.copy(), nan.copy())


@dataclass(frozen=True)
class RunRecord:
    """``run.json``: what was run, how, and with which versions."""

    scenario: str
    authority: str
    workflow_files: tuple[str, ...]
    start: dt.date
    report_start: dt.date
    end: dt.date
    replications: int
    seed: int
    scale: float
    jobs: int
    event_log: str
    versions: Mapping[str, str]
    digests: tuple[tuple[int, str, int, int], ...]  # replication, sha256, events, cases
    changes: tuple[str, ...] = ()  # the ``--set`` what-ifs, as typed

    @classmethod
    def of(cls, data: Mapping[str, Any], where: Path) -> RunRecord:
        """Read the parsed ``run.json``; a clear error names the key that is missing."""
        try:
            settings = data["settings"]
            return cls(
                scenario=str(data["scenario"]),
                authority=str(data["authority"]),
                workflow_files=tuple(str(f) for f in data.get("workflow_files", ())),
                start=dt.date.fromisoformat(data["start"]),
                report_start=dt.date.fromisoformat(data["report_start"]),
                end=dt.date.fromisoformat(data["end"]),
                replications=int(settings["replications"]),
                seed=int(settings["seed"]),
                scale=float(settings.get("scale", 1.0)),
                jobs=int(settings.get("jobs", 1)),
                event_log=str(settings.get("event_log", "")),
                changes=tuple(str(c) for c in settings.get("changes", ())),
                versions={str(k): str(v) for k, v in data.get("versions", {}).items()},
                digests=tuple(
                    (
                        int(r["replication"]),
                        str(r.get("event_log_sha256", "")),
                        int(r.get("events", 0)),
                        int(r.get("cases", 0)),
                    )
                    for r in data.get("replications", ())
                ),
            )
        except KeyError as exc:
            raise ResultsError(
                f"{where}: no {exc.args[0]!r}; was it written by `casejourney simulate`?"
            ) from None
        except (TypeError, ValueError) as exc:
            raise ResultsError(f"{where}: cannot read it ({exc})") from None


@dataclass(frozen=True)
class RunResults:
    """Everything a report shows about one results folder.

    Attributes:
        folder: the results folder.
        label: a name for legends and headings (the scenario's title, made unique among the
            runs compared).
        record: ``run.json``.
        scenario: the scenario as run (its seed and replications are the run's).
        workflow: the authority's rules (for titles, timescales and citations).
        summary: (metric, subject) → the figure over the reported period.
        weekly: (metric, subject) → the figure week by week.
        week_starts: the first day of each reported week.
        per_replication: (metric, subject) → replication → its figure over the reported period.
        counts: (metric, subject) → instances due or met, replications × weeks (for
            :data:`COUNTED` measures).
        points_per_worker: team → caseload points held per worker in post, week by week (empty
            when the run kept no event log, which is where the weekly counts are).
        open_by_state: state → cases open at each week's end, the engine's own count (empty
            without an event log; :meth:`open_cases` then falls back on ``stage.open``).

    """

    folder: Path
    label: str
    record: RunRecord
    scenario: ScenarioSpec
    workflow: Workflow
    summary: Mapping[tuple[str, str], Estimate]
    weekly: Mapping[tuple[str, str], Series]
    week_starts: tuple[dt.date, ...]
    per_replication: Mapping[tuple[str, str], Mapping[int, float]] = field(repr=False)
    counts: Mapping[tuple[str, str], np.ndarray] = field(repr=False)
    points_per_worker: Mapping[str, Series] = field(repr=False)
    open_by_state: Mapping[str, Series] = field(repr=False)

    @property
    def weeks(self) -> int:
        """Weeks reported."""
        return len(self.week_starts)

    def get(self, metric: str, subject: str) -> Estimate:
        """The figure over the reported period (missing if never measured).

        A percentage of fewer than :data:`SMALL_COUNT` instances (all replications together)
        has Wilson's interval from the pooled counts instead of the t-interval.
        """
        found = self.summary.get((metric, subject), Estimate.missing())
        measure = MEASURES.get(metric)
        if not found.known or measure is None or measure.counts is None:
            return found
        part, whole = (self._pooled(m, subject) for m in measure.counts)
        if math.isnan(whole):
            return found
        if whole >= SMALL_COUNT:
            return replace(found, instances=whole)
        low, high = wilson(part, whole)
        return replace(
            found,
            low=min(low, found.mean),
            high=max(high, found.mean),
            method="wilson",
            instances=whole,
        )

    def _pooled(self, metric: str, subject: str) -> float:
        """A count over the reported period, summed over all replications (NaN if unknown)."""
        total = self.summary.get((metric, subject))
        if total is not None and total.known:
            return total.mean * total.n
        weekly = self.counts.get((metric, subject))
        if weekly is None:
            return math.nan
        return float(np.nansum(weekly))

    @cached_property
    def standard_labels(self) -> dict[str, str]:
        """Each standard's timescale in words, as the pathway writes it; unique in the workflow."""
        return timescale_labels(self.workflow)

    def standard_label(self, ident: str) -> str:
        """One standard's timescale in words (:attr:`standard_labels`)."""
        return self.standard_labels[ident]

    def series(self, metric: str, subject: str) -> Series:
        """The weekly figures (all NaN if never measured)."""
        return self.weekly.get((metric, subject), Series.empty(self.weeks))

    def subjects(self, metric: str) -> list[str]:
        """Every subject measured by ``metric`` (weekly or over the period), in first-seen order."""
        seen = dict.fromkeys(s for m, s in self.weekly if m == metric)
        seen.update(dict.fromkeys(s for m, s in self.summary if m == metric))
        return list(seen)

    def open_cases(self, state: str) -> Series:
        """Cases open in ``state`` at each week's end: the engine's count, else ``stage.open``."""
        if self.open_by_state:
            return self.open_by_state.get(state, Series.empty(self.weeks))
        return self.series("stage.open", state)

    def on_time_rolling(self, standard: str, window: int = 4) -> Series:
        """% on time pooled over the ``window`` weeks to each week, across replications.

        Pooling (met ÷ due over the window, in each replication) keeps a standard with a few
        instances a week from swinging between 0% and 100%; the interval is still the
        t-interval across replications. Falls back on the weekly figure without the counts.
        """
        due = self.counts.get(("standard.due", standard))
        met = self.counts.get(("standard.met", standard))
        if due is None or met is None:
            return self.series("standard.on_time_pct", standard)
        pooled_due, pooled_met = _rolling(due, window), _rolling(met, window)
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = np.where(pooled_due > 0, 100 * pooled_met / pooled_due, np.nan)
        return _across(pct)

    def standards_due(self) -> list[str]:
        """The workflow's standards that had anything due, most breached first."""
        due = [s for s in self.workflow.standards if self.get("standard.due", s).mean > 0]
        return sorted(due, key=lambda s: (-self.get("standard.breached", s).mean, s))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def _columns(path: Path) -> dict[str, list[Any]]:
    import pyarrow.parquet as pq

    try:
        return dict(pq.read_table(path).to_pydict())
    except Exception as exc:  # pyarrow raises several kinds; all mean "cannot read it"
        raise ResultsError(f"{path}: cannot read it as Parquet ({exc})") from None


def _as_float(value: Any) -> float:
    return math.nan if value is None else float(value)


def load_results(
    folder: Path, workflows: Path | None = None, label: str | None = None
) -> RunResults:
    """Read one results folder written by ``casejourney simulate``.

    Args:
        folder: the results folder.
        workflows: where to find the authority's workflow (default: as the CLI looks).
        label: the name used in legends (default: the scenario's title).

    Raises:
        ResultsError: the folder is missing, incomplete or unreadable; the message says which file.
        UnknownAuthorityError: the run's authority has no workflow file here.

    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(
            f"{folder}: no such results folder; write one with `casejourney simulate SCENARIO -o {folder}`"
        )
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise ResultsError(
            f"{folder}: not a complete results folder (missing {', '.join(missing)}); "
            "write one with `casejourney simulate SCENARIO -o FOLDER`"
        )
    record = RunRecord.of(_read_json(folder / "run.json"), folder / "run.json")
    try:
        scenario = ScenarioSpec.model_validate(_read_json(folder / "scenario.resolved.json"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ResultsError(
            f"{folder / 'scenario.resolved.json'}: {where}: {first['msg']} "
            "(written by another version of casejourney? simulate again)"
        ) from None
    authority = record.authority
    candidate = Path(authority)
    if (
        candidate.suffix in {".yaml", ".yml"}
        and not candidate.is_absolute()
        and not candidate.is_file()
    ):
        authority = candidate.stem
    try:
        workflow = load_workflow(authority, workflows)
    except UnknownAuthorityError:
        # A workflow given by path (a test bench, an authority's own file) is recorded by its id;
        # the resolved scenario still holds the path it was read from.
        if not Path(scenario.authority).is_file():
            raise
        workflow = load_workflow(scenario.authority, workflows)

    summary = _summary(_columns(folder / "summary.parquet"))
    weekly, week_starts = _weekly(_columns(folder / "weekly.parquet"), record)
    per_replication, counts = _replications(folder / "replications.parquet", len(week_starts))
    points, open_ = _snapshots(folder / "events", scenario, record, len(week_starts))
    return RunResults(
        folder=folder,
        label=label or scenario.title,
        record=record,
        scenario=scenario,
        workflow=workflow,
        summary=summary,
        weekly=weekly,
        week_starts=week_starts,
        per_replication=per_replication,
        counts=counts,
        points_per_worker=points,
        open_by_state=open_,
    )


def load_runs(folders: Sequence[Path], workflows: Path | None = None) -> list[RunResults]:
    """Read several results folders; each is labelled by its scenario's title, made unique.

    Two runs of the same scenario are told apart by their folders (``title (folder)``).
    """
    runs = [load_results(f, workflows) for f in folders]
    titles = [r.scenario.title for r in runs]
    labels: list[str] = []
    for run in runs:
        label = run.scenario.title
        if titles.count(label) > 1:
            label = f"{label} ({run.folder.name})"
        while label in labels:
            label += "'"
        labels.append(label)
    return [replace(r, label=label) for r, label in zip(runs, labels, strict=True)]


def _summary(cols: dict[str, list[Any]]) -> dict[tuple[str, str], Estimate]:
    return {
        (str(m), str(s)): Estimate(_as_float(mean), _as_float(lo), _as_float(hi), int(n or 0))
        for m, s, mean, lo, hi, n in zip(
            cols["metric"],
            cols["subject"],
            cols["mean"],
            cols["ci_low"],
            cols["ci_high"],
            cols["n"],
            strict=True,
        )
    }


def _weekly(
    cols: dict[str, list[Any]], record: RunRecord
) -> tuple[dict[tuple[str, str], Series], tuple[dt.date, ...]]:
    weeks_in_run = max(0, (record.end - record.report_start).days // 7)
    found = [int(w) for w in cols["week"]]
    weeks = max([weeks_in_run, *(w + 1 for w in found)])
    starts = tuple(record.report_start + dt.timedelta(weeks=w) for w in range(weeks))
    rows: dict[tuple[str, str], list[np.ndarray]] = {}
    for metric, subject, week, mean, lo, hi in zip(
        cols["metric"],
        cols["subject"],
        found,
        cols["mean"],
        cols["ci_low"],
        cols["ci_high"],
        strict=True,
    ):
        if week < 0:
            continue
        key = (str(metric), str(subject))
        if key not in rows:
            rows[key] = [np.full(weeks, np.nan) for _ in range(3)]
        for array, value in zip(rows[key], (mean, lo, hi), strict=True):
            array[week] = _as_float(value)
    return {k: Series(*v) for k, v in rows.items()}, starts


#: Weekly counts kept replication by replication (for rates pooled over several weeks, and the
#: counts behind every percentage of instances, for Wilson intervals).
COUNTED = tuple(dict.fromkeys(m for i in MEASURES.values() if i.counts for m in i.counts))


def _replications(
    path: Path, weeks: int
) -> tuple[dict[tuple[str, str], dict[int, float]], dict[tuple[str, str], np.ndarray]]:
    """Each replication's own figures, read back from ``replications.parquet``.

    Returns the figures over the whole period (week -1), for paired differences, and the weekly
    counts of instances due and met (replications × weeks), for pooled rates.
    """
    if not path.is_file():
        return {}, {}
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, columns=["replication", "metric", "subject", "week", "value"])
    except Exception as exc:  # pyarrow raises several kinds; all mean "cannot read it"
        raise ResultsError(f"{path}: cannot read it as Parquet ({exc})") from None
    whole = table.filter(pc.equal(table["week"], -1)).to_pydict()
    out: dict[tuple[str, str], dict[int, float]] = {}
    for r, metric, subject, value in zip(
        whole["replication"], whole["metric"], whole["subject"], whole["value"], strict=True
    ):
        out.setdefault((str(metric), str(subject)), {})[int(r)] = _as_float(value)
    counted = table.filter(
        pc.and_(pc.is_in(table["metric"], _strings(COUNTED)), pc.greater_equal(table["week"], 0))
    ).to_pydict()
    reps = sorted({int(r) for r in counted["replication"]})
    row_of = {r: i for i, r in enumerate(reps)}
    counts: dict[tuple[str, str], np.ndarray] = {}
    for r, metric, subject, week, value in zip(
        counted["replication"],
        counted["metric"],
        counted["subject"],
        counted["week"],
        counted["value"],
        strict=True,
    ):
        if not 0 <= int(week) < weeks:
            continue
        key = (str(metric), str(subject))
        if key not in counts:
            counts[key] = np.full((len(reps), weeks), np.nan)
        counts[key][row_of[int(r)], int(week)] = _as_float(value)
    return out, counts


def _strings(values: Sequence[str]) -> Any:
    """A pyarrow array of strings (for ``is_in``)."""
    import pyarrow as pa

    return pa.array(list(values), pa.string())


def _rolling(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing sums over ``window`` weeks along each row (NaN counted as 0)."""
    total: np.ndarray = np.cumsum(np.nan_to_num(values), axis=1)
    shifted = np.zeros_like(total)
    shifted[:, window:] = total[:, :-window]
    result: np.ndarray = total - shifted
    return result


def _across(values: np.ndarray) -> Series:
    """Mean and 95% t-interval across replications (rows) of each week (columns)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.sum(~np.isnan(values), axis=0)
        mean = np.where(n > 0, np.nansum(values, axis=0) / np.maximum(n, 1), np.nan)
        centred = np.where(np.isnan(values), 0.0, values - mean)
        sd = np.sqrt(np.sum(centred**2, axis=0) / np.maximum(n - 1, 1))
    quantile = np.array(
        [t_quantile(0.5 + CONFIDENCE / 2, int(k) - 1) if k > 1 else np.nan for k in n]
    )
    half = quantile * sd / np.sqrt(np.maximum(n, 1))
    return Series(mean, mean - half, mean + half)


def _snapshots(
    events: Path, scenario: ScenarioSpec, record: RunRecord, weeks: int
) -> tuple[dict[str, Series], dict[str, Series]]:
    """From the engine's weekly counts: points per worker by team, and cases open by state.

    Caseload limits in a scenario are in points (a case weighs what ``case_weights`` says), so
    points held per worker in post is the figure to hold against them. Cases open in a state at
    each week's end are the engine's own count. Both are written beside the event log; a run
    without an event log has neither.
    """
    files = sorted(events.glob("counts-*.parquet")) if events.is_dir() else []
    if not files or weeks == 0:
        return {}, {}
    import pyarrow.parquet as pq

    teams = {f"team:{name}" for name in scenario.teams}
    points: dict[str, list[np.ndarray]] = {}
    open_: dict[str, list[np.ndarray]] = {}
    for path in files:
        try:
            cols = pq.read_table(path).to_pydict()
        except Exception as exc:  # pyarrow raises several kinds; all mean "cannot read it"
            raise ResultsError(f"{path}: cannot read it as Parquet ({exc})") from None
        held: dict[tuple[str, int], float] = {}
        servers: dict[tuple[str, int], float] = {}
        states: dict[str, np.ndarray] = {}
        for date, subject, measure, value in zip(
            cols["date"],
            cols["subject"],
            cols.get("metric", cols.get("measure", [])),  # "measure" in older folders
            cols["value"],
            strict=True,
        ):
            week = (date - record.report_start).days // 7
            if not 0 <= week < weeks:
                continue
            if subject in teams and measure in ("points_held", "servers"):
                target = held if measure == "points_held" else servers
                target[(subject[5:], week)] = _as_float(value)
            elif subject.startswith("state:") and measure == "open":
                row = states.setdefault(subject[6:], np.full(weeks, np.nan))
                row[week] = _as_float(value)
        for name in scenario.teams:
            row = np.full(weeks, np.nan)
            for week in range(weeks):
                s = servers.get((name, week), math.nan)
                if s > 0:
                    row[week] = held.get((name, week), math.nan) / s
            points.setdefault(name, []).append(row)
        for name, row in states.items():
            open_.setdefault(name, []).append(row)
    return (
        {name: _across(np.vstack(rows)) for name, rows in points.items()},
        {name: _across(np.vstack(rows)) for name, rows in open_.items()},
    )


@dataclass(frozen=True)
class Difference:
    """A change in a figure from one run to another, with a 95% interval and how it was got."""

    change: float
    low: float
    high: float
    paired: bool


def difference(base: RunResults, other: RunResults, metric: str, subject: str) -> Difference:
    """``other`` minus ``base`` for a whole-period figure, with a 95% interval.

    Runs with the same seed and replication count share random streams replication by
    replication (``SeedSequence(seed).spawn(n)[r]``: common random numbers), so their
    replications are paired and the interval is a paired t-interval, usually much narrower;
    otherwise Welch's interval for two independent samples.
    """
    a = base.per_replication.get((metric, subject), {})
    b = other.per_replication.get((metric, subject), {})
    change = other.get(metric, subject).mean - base.get(metric, subject).mean
    same_streams = (
        base.record.seed == other.record.seed
        and base.record.replications == other.record.replications
    )
    common = sorted(set(a) & set(b))
    if same_streams and len(common) > 1:
        d = np.array([b[r] - a[r] for r in common])
        d = d[~np.isnan(d)]
        if len(d) > 1:
            half = (
                t_quantile(0.5 + CONFIDENCE / 2, len(d) - 1)
                * float(d.std(ddof=1))
                / math.sqrt(len(d))
            )
            mean = float(d.mean())
            return Difference(mean, mean - half, mean + half, True)
    x = np.array([v for v in a.values() if not math.isnan(v)])
    y = np.array([v for v in b.values() if not math.isnan(v)])
    if len(x) < 2 or len(y) < 2:
        return Difference(change, math.nan, math.nan, False)
    vx, vy = float(x.var(ddof=1)) / len(x), float(y.var(ddof=1)) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0:
        return Difference(change, change, change, False)
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = t_quantile(0.5 + CONFIDENCE / 2, max(1, int(df))) * se
    return Difference(change, change - half, change + half, False)
