"""The functions behind ``casejourney``'s public names: load, check, look up, simulate.

Consumes workflow and scenario files; produces checked specs, findings, due dates and results.
``casejourney`` re-exports the everyday ones (see its ``__all__``); this module's ``__all__`` adds
the types they take and return. The command line is built on the two.
"""

from __future__ import annotations

import datetime as dt
import difflib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casejourney import checks
from casejourney.calendar import Duration, default_calendar
from casejourney.checks import check_paths as _check_paths
from casejourney.checks import check_workflow
from casejourney.errors import (
    CasejourneyError,
    SpecError,
    UnknownAuthorityError,
)
from casejourney.spec import (
    Finding,
    Level,
    Workflow,
    WorkflowLoader,
    scenarios_dir,
)
from casejourney.spec import load_workflow as _load_spec
from casejourney.spec.changes import ChangeError, apply_changes, parse_change
from casejourney.spec.extends import parent_file
from casejourney.spec.findings import Location
from casejourney.spec.models import DeadlineSpec, LeadTimeSpec, MaxDurationSpec, RecurringSpec
from casejourney.spec.resolve import checked_term_dates
from casejourney.spec.scenario import ScenarioSpec, read_scenario, scenario_findings
from casejourney.spec.yamlsafe import is_present, is_regular_file, read_yaml

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from casejourney.calibrate import Result as CalibrationResult
    from casejourney.experiment import EventLogFormat, Results
    from casejourney.journey import Journey
    from casejourney.report.charts_data import RunResults
    from casejourney.report.compare import Comparison
    from casejourney.report.diagram import Diagram
    from casejourney.report.formats import Format, Renderer
    from casejourney.returns.figures import Figures as ReturnsFigures
    from casejourney.sweep import Progress, SweepResult

__all__ = [
    "Backtest",
    "Calibration",
    "Checked",
    "DueAnswer",
    "Duration",
    "Finding",
    "Level",
    "Pathway",
    "PublishedScenario",
    "Results",
    "ReturnsScenario",
    "ScenarioSpec",
    "Workflow",
    "calibrate_scenario",
    "check_files",
    "check_paths",
    "check_results_folder",
    "compare_standards",
    "draw_pathway",
    "due_date",
    "export_results",
    "find_scenario_file",
    "journey_timeline",
    "load_scenario",
    "load_workflow",
    "rules_table",
    "run_backtest",
    "run_scenario",
    "run_sweep",
    "scenario_from_published",
    "scenario_from_returns",
    "simulated_returns",
    "walk_journey",
    "write_report",
    "writing_results",
]


def __getattr__(name: str) -> type[Results]:
    """``Results``, imported on first use (the simulator it comes with loads numpy)."""
    if name == "Results":
        from casejourney.experiment import Results

        return Results
    raise AttributeError(f"module 'casejourney.api' has no attribute {name!r}")


def check_paths(paths: list[Path], *, deep: bool = False) -> list[Finding]:
    """Check workflow and scenario files and folders; every finding at once, sorted.

    Args:
        paths: workflow or scenario files, or folders of them (a file naming an ``authority`` is a
            scenario, checked against that authority's workflow).
        deep: also run the property checks on each workflow that loads: refinement against
            statute on every start date 2000–2059, and tracking invariants on random journeys.

    """
    files, missing = checks.workflow_files(paths)
    scenarios = [path for path in files if _is_scenario(path)]
    workflows = [path for path in files if path not in scenarios]
    found: set[Finding] = set(missing)
    found.update(_check_paths(workflows))
    for path in scenarios:
        found.update(_scenario_checked(path)[2])
    if not deep:
        return sorted(found)
    from casejourney.verify import deep_findings

    loader = WorkflowLoader()
    for path in workflows:
        workflow, problems = loader.resolve(path)
        if workflow is None or checks.has_errors(problems):
            continue
        # Deep checks need the names to resolve; other errors still get their counter-examples.
        if not any(f.code == "unknown-reference" for f in check_workflow(workflow)):
            found.update(deep_findings(workflow))
    return sorted(found)


@dataclass(frozen=True)
class Checked:
    """What :func:`check_files` found: every finding, split by whose file it is in."""

    #: Every finding, sorted (as :func:`check_paths` returns them).
    findings: list[Finding]
    #: The YAML files checked: those named, and those in the folders named.
    files: list[Path]
    #: Findings in those files: the files named one by one first, then those found in folders.
    own: list[Finding]
    #: Findings in the files those build on (the shipped workflows a scenario uses, ...).
    others: list[Finding]

    @property
    def has_errors(self) -> bool:
        """Whether any finding, in any file, is an error."""
        return checks.has_errors(self.findings)


def check_files(paths: list[Path], *, deep: bool = False) -> Checked:
    """Check workflow and scenario files and folders, as ``casejourney check`` does.

    Like :func:`check_paths`, and says which findings are in the files named (or in the folders
    named) and which are in the files those build on.
    """
    from casejourney.spec.findings import display_path
    from casejourney.spec.yamlsafe import is_folder

    findings = check_paths(paths, deep=deep)
    files, _ = checks.workflow_files(paths)
    named = {display_path(p) for p in files} | {display_path(p) for p in paths}
    explicit = {display_path(p) for p in paths if not is_folder(p)}
    own = sorted((f for f in findings if f.file in named), key=lambda f: f.file not in explicit)
    others = [f for f in findings if f.file not in named]
    return Checked(findings, files, own, others)


def rules_table(workflow: Workflow) -> list[dict[str, str]]:
    """Every standard in force as a row of words, as ``casejourney rules`` shows it.

    Each row has ``id``, ``kind``, ``rule`` (the title, and for whom if not every child),
    ``timescale`` ("within 15 working days"), ``from`` (the authority, "(inherited)" if so) and
    ``source`` (document and section). :func:`casejourney.rules_records` gives the same
    standards as data.
    """
    from casejourney.report.rules import scope_text, timescale_text

    rows = []
    for standard in workflow.standards.values():
        scope = scope_text(standard)
        rows.append(
            {
                "id": standard.id,
                "kind": standard.kind,
                "rule": standard.spec.title + (f"\n({scope})" if scope else ""),
                "timescale": timescale_text(standard),
                "from": standard.authority + (" (inherited)" if standard.inherited else ""),
                "source": f"{standard.citation.document}, {standard.citation.section}",
            }
        )
    return rows


def load_workflow(authority: str, directory: Path | None = None) -> Workflow:
    """Load, resolve and check one authority's workflow; raise if it has any error.

    Args:
        authority: a shipped authority (``"liverpool"``) or a path to a workflow YAML file.
        directory: the folder to look in for names (default: :func:`workflows_dir`).

    Raises:
        UnknownAuthorityError: no workflow file for that name.
        SpecError: the workflow has errors; ``.findings`` lists every one.

    """
    workflow = _load_spec(authority, directory)
    errors = [f for f in check_workflow(workflow) if f.level is Level.ERROR]
    if errors:
        raise SpecError(errors)
    return workflow


@dataclass(frozen=True)
class DueAnswer:
    """A due date and how it was worked out."""

    due: dt.date
    explanation: str


def due_date(
    start: dt.date,
    *,
    within: str | None = None,
    standard: str | None = None,
    authority: str = "national",
    directory: Path | None = None,
) -> DueAnswer:
    """The due date ``within`` (e.g. ``"15 working days"``) or under ``standard`` from ``start``.

    For a lead time, ``start`` is the later event (e.g. the conference) and the answer is the
    latest date the earlier event may happen. For a recurring standard, the first occurrence.

    Raises:
        DurationError: ``within`` cannot be read.
        UnknownAuthorityError: no such authority.
        CasejourneyError: no such standard.

    """
    if within is not None:
        duration = Duration.parse(within)
        calendar = default_calendar()
        if authority != "national":  # its closure days and any term dates of its own
            calendar = load_workflow(authority, directory).calendar
        due = calendar.add(start, duration)
        return DueAnswer(due, f"{duration} after {start.isoformat()} (day 0)")
    workflow = load_workflow(authority, directory)
    found = workflow.standards.get(standard or "")
    if found is None:
        near = difflib.get_close_matches(standard or "", list(workflow.standards), n=3)
        hint = (
            f"did you mean {' or '.join(near)}?"
            if near
            else f"`casejourney rules --authority {workflow.id}` lists its {len(workflow.standards)}"
        )
        raise CasejourneyError(f"no standard '{standard}' for {workflow.id}; {hint}")
    spec, calendar = found.spec, workflow.calendar
    cite = found.citation.render()
    if isinstance(spec, LeadTimeSpec):
        due = calendar.subtract(start, spec.at_least)
        text = f"{spec.from_} at least {spec.at_least} before {spec.to} on {start.isoformat()}"
    elif isinstance(spec, RecurringSpec):
        first = spec.first or spec.every
        due = calendar.add(start, first)
        text = f"first {spec.to} within {first} of entering {', '.join(spec.while_)} on {start.isoformat()}"
    else:
        assert isinstance(spec, DeadlineSpec | MaxDurationSpec)
        due = calendar.add(start, spec.within)
        text = f"{spec.title}: {spec.within} after {start.isoformat()}"
    return DueAnswer(due, f"{text}\nsource: {cite}")


def find_scenario_file(name: str) -> Path:
    """A scenario by path, or by name among the shipped ones (``national-baseline``)."""
    as_path = Path(name)
    shipped = sorted(p.stem for p in scenarios_dir().glob("*.yaml"))
    if as_path.suffix in {".yaml", ".yml"}:
        if not is_present(as_path):
            hint = ""
            if as_path.stem in shipped:
                hint = f"; the shipped one is {as_path.stem} (or {scenarios_dir() / as_path.name})"
            elif is_regular_file(Path("scenarios") / as_path.name):
                hint = f"; did you mean scenarios/{as_path.name}?"
            raise CasejourneyError(f"{name}: no such scenario file{hint}")
        return as_path
    path = scenarios_dir() / f"{name}.yaml"
    if not is_regular_file(path):
        if is_regular_file(Path(f"{name}.yaml")):
            raise CasejourneyError(f"no scenario '{name}'; did you mean {name}.yaml?")
        near = difflib.get_close_matches(as_path.name, shipped, n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise CasejourneyError(
            f"no scenario '{name}' in {scenarios_dir()}; {hint}known: {', '.join(shipped) or 'none'}"
        )
    return path


def load_scenario(
    name: str, workflows: Path | None = None, changes: Sequence[str] = ()
) -> tuple[ScenarioSpec, Workflow]:
    """Load a scenario and its authority's workflow, checking one against the other.

    Args:
        name: a scenario file or a shipped scenario's name.
        workflows: folder of workflow files.
        changes: what-ifs as ``PATH=VALUE`` (``teams.child_protection.headcount=25``), relative
            (``teams.child_protection.headcount=-10%``, ``teams.*.headcount=-10%``) or
            ``demand.scale=1.2``; the changed scenario is checked again, and its title says what
            changed.

    Raises:
        SpecError: the scenario (or its workflow) has errors; every finding is attached.
        CasejourneyError: a change cannot be read, names nothing, or makes the scenario invalid.

    """
    parsed = [parse_change(text) for text in changes]  # a typo is reported before any loading
    path = find_scenario_file(name)
    scenario, workflow, findings = _scenario_checked(path, workflows)
    problems = [f for f in findings if f.level is Level.ERROR]
    if problems or scenario is None or workflow is None:
        raise SpecError(problems)
    if not parsed:
        return scenario, workflow
    changed = apply_changes(scenario, parsed, retitle=True)
    doc, _ = read_yaml(path)
    assert doc is not None  # it was read a moment ago
    before = {f.message for f in findings}
    new = [
        f.message
        for f in scenario_findings(changed, workflow, doc)
        if f.level is Level.ERROR and f.message not in before
    ]
    if new:
        raise ChangeError(
            "with " + ", ".join(c.text for c in parsed) + ": " + "; ".join(dict.fromkeys(new))
        )
    return changed, workflow


def _scenario_checked(
    path: Path, workflows: Path | None = None
) -> tuple[ScenarioSpec | None, Workflow | None, list[Finding]]:
    """A scenario file read and checked against its workflow, with every finding."""
    scenario, doc, findings = read_scenario(path)
    if scenario is None or doc is None:
        return None, None, findings
    authority = scenario.authority
    folder = workflows
    if Path(authority).suffix and not Path(authority).is_absolute():
        authority = str(path.parent / authority)  # a workflow file beside the scenario
    if folder is None and not Path(authority).suffix:
        sibling = path.resolve().parent.parent / "workflows"
        folder = sibling if is_regular_file(sibling / f"{authority}.yaml") else None
    try:
        workflow = load_workflow(authority, folder)
    except SpecError as problem:
        return scenario, None, findings + list(problem.findings)
    except UnknownAuthorityError as problem:
        where = Location(doc.path, doc.line_of(("authority",)))
        return (
            scenario,
            None,
            [*findings, where.finding(Level.ERROR, "unknown-reference", str(problem))],
        )
    if scenario.term_dates is not None:
        # The scenario's own term dates replace the workflow's, checked before any work.
        where = Location(doc.path, doc.line_of(("term_dates",)))
        problems: list[Finding] = []
        terms = checked_term_dates((path.parent / scenario.term_dates, where), problems)
        if terms is None:
            return scenario, None, findings + problems
        workflow = replace(workflow, term_dates=terms)
    return scenario, workflow, findings + scenario_findings(scenario, workflow, doc)


#: Top-level keys only a scenario has (both kinds of file have ``id``, ``title`` and ``extends``).
_SCENARIO_KEYS = frozenset(
    field.alias or name for name, field in ScenarioSpec.model_fields.items()
) - {"id", "title", "extends", "kind"}


def _is_scenario(path: Path, seen: frozenset[Path] = frozenset()) -> bool:
    """Whether a YAML file is a scenario rather than a workflow.

    Decided by where it lives (a ``scenarios`` or ``workflows`` folder), else by its ``kind:``
    key; only a file with neither is judged by its keys, and one holding nothing but ``id``,
    ``title`` and ``extends`` by what it extends.
    """
    folder = path.absolute().parent.name
    if folder in {"scenarios", "workflows"}:
        return folder == "scenarios"
    doc, _ = read_yaml(path)
    if doc is None or not isinstance(doc.data, dict):
        return False
    kind = doc.data.get("kind")
    if kind in {"scenario", "workflow"}:
        return bool(kind == "scenario")
    if _SCENARIO_KEYS & set(doc.data):
        return True
    parent = doc.data.get("extends")
    if not isinstance(parent, str):
        return False
    named, _ = parent_file(path, parent, None, "scenario")
    if named is not None:
        return named not in seen | {path} and _is_scenario(named, seen | {path})
    # Not beside it: a shipped scenario's id (a shipped workflow's would be a workflow).
    return is_regular_file(scenarios_dir() / f"{parent}.yaml")


def check_results_folder(out: Path, *, force: bool = False) -> None:
    """Refuse ``out`` now, before any work, if writing a results folder there could lose files.

    Accepted: a folder that does not exist yet (in a folder that can be written), an empty one,
    or one casejourney wrote; with ``force``, any folder where none of the user's files has a
    name casejourney writes. :func:`run_scenario` checks again before it writes.

    Raises:
        OutputFolderError: what is wrong, and what to do instead.

    """
    from casejourney import outfolder

    outfolder.check(out, outfolder.SIMULATE, force)


@contextmanager
def writing_results(out: Path) -> Iterator[None]:
    """Around adding files to the results folder ``out``: an OS error becomes a clear message.

    Raises:
        OutputFolderError: the disk is full, or the folder could not be written (the files
            already there are untouched).

    """
    from casejourney import outfolder

    with outfolder.writing(out):
        yield


def run_scenario(
    name: str,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    scale: float = 1.0,
    out: Path | None = None,
    event_log: EventLogFormat = "parquet",
    workflows: Path | None = None,
    progress: Callable[[float], None] | None = None,
    force: bool = False,
    changes: Sequence[str] = (),
    scheduler: str | None = None,
) -> Results:
    """Simulate a scenario's replications; write the results folder if ``out`` is given.

    Args:
        name: a scenario file or a shipped scenario's name.
        replications: how many (default: the scenario's).
        seed: the seed (default: the scenario's); replication r uses SeedSequence(seed).spawn(n)[r].
        jobs: replications run in this many processes (the answer does not change).
        scale: multiply demand, open cases, staff and slots (0.1 for a quick look).
        out: the results folder; casejourney's files in it are replaced when the run completes.
        event_log: parquet, csv, both or none.
        workflows: folder of workflow files.
        progress: called with the number of replications finished (fractions while one runs).
        force: write into an existing folder casejourney did not make (nothing in it is lost).
        changes: what-ifs, as for :func:`load_scenario` (``demand.scale=1.2``); the results
            folder records them.
        scheduler: run the replications on this Dask scheduler (``tcp://host:8786``), or
            ``"local"`` for a LocalCluster of ``jobs`` workers (the answer does not change).

    Raises:
        SpecError: the scenario or its workflow has errors.
        OutputFolderError: ``out`` is not a results folder, is in use, or could not be written.
        TaskError: a replication failed, even run again (nothing is written).

    """
    from casejourney.experiment import Settings, run

    scenario, workflow = load_scenario(name, workflows, changes)
    settings = Settings(
        replications=replications or scenario.replications,
        seed=scenario.seed if seed is None else seed,
        jobs=jobs,
        scale=scale,
        event_log=event_log,
        changes=tuple(changes),
        scheduler=scheduler,
    )
    return run(workflow, scenario, settings, out=out, progress=progress, force=force)


def write_report(
    results: Sequence[Path],
    output: Path | None = None,
    *,
    workflows: Path | None = None,
    renderer: Renderer | str | None = None,
) -> Path:
    """Write one self-contained HTML report of results folders; return the file written.

    Args:
        results: results folders written by :func:`run_scenario` (or ``casejourney simulate``);
            with several, the first is the base the others are compared with.
        output: the HTML file (default: ``report.html`` in a single folder; for a comparison,
            ``report-vs-<first folder>.html`` in the last).
        workflows: folder of workflow files.
        renderer: how to draw the pathway: ``auto`` (dot if installed, else WebAssembly),
            ``dot`` or ``wasm``.

    Raises:
        ResultsError: a folder is missing, incomplete or unreadable.
        CasejourneyError: no results folder was given.

    """
    from casejourney.report.html import REPORT_NAME
    from casejourney.report.html import write_report as _write_report

    folders = [Path(folder) for folder in results]
    if output is None and len(folders) > 1:
        output = folders[-1] / f"report-vs-{folders[0].resolve().name}.html"
    elif output is None and folders:
        output = folders[0] / REPORT_NAME
    return _write_report(folders, output, workflows=workflows, renderer=renderer)


def export_results(
    results: Path,
    *,
    xes: bool = True,
    tidy: bool = True,
    replications: Sequence[int] | None = None,
    compress: bool = True,
    workflows: Path | None = None,
) -> list[Path]:
    """Export a results folder for other tools; return the files written (the tidy CSV first).

    Args:
        results: a results folder written by :func:`run_scenario` (or ``casejourney simulate``).
        xes: write each replication's event log as IEEE XES for process-mining tools
            (``events/replication-NNNN.xes.gz``, and ``-engine.xes.gz`` for the engine's records);
            the folder needs a Parquet event log.
        tidy: write every measure as tidy CSV for Excel or Power BI (``metrics-tidy.csv``).
        replications: XES of these replications only (default: all).
        compress: gzip the XES (``.xes.gz``).
        workflows: folder of workflow files.

    Raises:
        ExportError: the folder has no measures or event log, or they cannot be read.

    """
    from casejourney.report.exports import write_tidy, write_xes

    written = [write_tidy(results, workflows=workflows)] if tidy else []
    if xes:
        written += write_xes(
            results, replications=replications, compress=compress, workflows=workflows
        )
    return written


def run_sweep(
    name: str,
    vary: Sequence[str],
    out: Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    dask: bool = False,
    scale: float = 1.0,
    staff: str | None = None,
    target: float = 80.0,
    workflows: Path | None = None,
    progress: Callable[[Progress], None] | None = None,
    force: bool = False,
    changes: Sequence[str] = (),
) -> SweepResult:
    """Run a scenario over a grid of settings, resumably; write the sweep folder and its frontier.

    Each finished (point, replication) is kept in ``out/tasks`` as soon as it finishes, so a
    second call with the same arguments skips them. Every point uses the same random numbers
    for replication r (common random numbers), whichever executor runs it.

    Args:
        name: a scenario file or a shipped scenario's name.
        vary: axes as ``path=a,b,c`` or ``path=start:stop:step`` (stop included), relative
            values too (``demand.scale=1,1.1,1.2``, ``teams.child_protection.headcount=-20%,0%``).
        out: the sweep folder: new, empty or an earlier sweep's.
        replications: per point (default: the scenario's).
        seed: the sweep's seed (default: the scenario's).
        jobs: local processes (the answer does not change).
        scheduler: run on this Dask scheduler (``tcp://host:8786``).
        dask: run on a Dask LocalCluster on this machine.
        scale: multiply demand, open cases, staff and slots.
        staff: the axis the frontier minimises (default: the first ending in ``.headcount``,
            else the first).
        target: the frontier's threshold, % on time.
        workflows: folder of workflow files.
        progress: called with how far the sweep has got (``done``, ``failed``, ``total``,
            ``skipped``), first before any task runs.
        force: write into an existing folder that is not a sweep folder, beside its files.
        changes: what-ifs applied at every point, as for :func:`load_scenario`.

    Returns:
        The sweep: ``ran``, ``skipped``, ``summary`` (a row per point and measure), ``points``,
        ``staff`` and ``frontier`` (the rows of ``frontier.csv``).

    Raises:
        OutputFolderError: ``out`` cannot be used (checked before anything is loaded or run).
        SpecError: the scenario or its workflow has errors.
        TaskError: some tasks failed after retries (the rest are kept; call again to resume).

    """
    from dataclasses import replace

    from casejourney import outfolder, runner
    from casejourney import sweep as sweeping

    outfolder.check(out, outfolder.SWEEP, force)  # before loading or running anything
    axes = [sweeping.parse_vary(v) for v in vary]
    spec, workflow = load_scenario(name, workflows, changes)
    tasks = sweeping.plan(
        workflow,
        spec,
        axes,
        replications=replications or spec.replications,
        seed=spec.seed if seed is None else seed,
        scale=scale,
    )
    executor = (
        runner.executor(jobs, scheduler)
        if scheduler or not dask
        else runner.Dask.connect("local")  # Dask's own choice of workers
    )
    found = sweeping.run(tasks, out, executor, progress=progress, force=force)
    axis = staff or next((a.path for a in axes if a.path.endswith(".headcount")), axes[0].path)
    with outfolder.writing(out):
        frontier = sweeping.write_frontier(found.summary, axis, target, out)
    return replace(found, points=len(sweeping.grid(axes)), staff=axis, frontier=frontier)


def walk_journey(
    authority: str,
    start: dt.date,
    *,
    path: Sequence[str] | None = None,
    seed: int = 7,
    age: float = 8.0,
    scenario: str = "national-baseline",
    placement: str | None = None,
    legal_status: str | None = None,
    plan: str | None = None,
    disabled: bool | None = None,
    workflows: Path | None = None,
) -> Journey:
    """Walk one child through an authority's pathway: each dated event and each timescale.

    Args:
        authority: a shipped authority (``"liverpool"``) or a path to a workflow file.
        start: the date of the first contact.
        path: a scripted route: states (or triggers) after the first contact; without it,
            branches and timings are drawn at random with ``seed``.
        seed: the random seed of a random route, and of the child's attributes not given.
        age: the child's age in years at first contact, for age-based standards (the date of
            birth it implies is kept in memory only).
        scenario: the scenario whose branch probabilities, timings and children's shares are
            used.
        placement: where the child is placed, for standards for some placements only; unsaid,
            drawn from the scenario's ``children:`` shares with ``seed`` (the same seed, the same
            child), or left unknown (not counted) where the scenario gives no shares.
        legal_status: the child's legal status when looked after, likewise.
        plan: the child's plan for permanence, likewise.
        disabled: whether the child is disabled, likewise.
        workflows: folder of workflow files.

    Returns:
        The journey: ``.events`` (``day``, ``name``), ``.instances`` (each standard's
        ``opened``, ``due``, ``done``, ``outcome``, ``breached``, ``late_days``), ``.until``,
        ``.workflow``, ``.child`` (the placement, legal status, plan and disability the
        standards knew) and ``.drawn`` (which of those were drawn from the scenario).

    Raises:
        CasejourneyError: a placement, legal status or plan casejourney does not know, or a
            negative seed.
        IllegalStepError: a step of ``path`` is not a legal move; the message names the legal ones.

    """
    import dataclasses

    import numpy as np

    from casejourney.journey import draw_child, walk
    from casejourney.spec.children import LEGAL_STATUSES, PLACEMENTS, PLANS
    from casejourney.spec.models import ChildAttributes

    if seed < 0:
        raise CasejourneyError(f"seed {seed} is negative; give a whole number from 0")
    for what, value, known in (
        ("placement", placement, PLACEMENTS),
        ("legal status", legal_status, LEGAL_STATUSES),
        ("plan", plan, PLANS),
    ):
        if value is not None and value not in known:
            raise CasejourneyError(f"{what} {value!r} is not one of: {', '.join(known)}")
    given = ChildAttributes(
        placement=placement, legal_status=legal_status, plan=plan, disabled=disabled
    )
    workflow = load_workflow(authority, workflows)
    spec, _ = load_scenario(scenario, workflows)
    # What is not given is drawn from the scenario's shares, with streams of its own.
    child, drawn = draw_child(spec.children, seed, given)
    # The child's date of birth is derived in memory for age-based standards and never returned.
    date_of_birth = start - dt.timedelta(days=round(age * 365.25))
    rng = None if path is not None else np.random.default_rng(seed)
    found = walk(
        workflow, spec, start, path=path, rng=rng, date_of_birth=date_of_birth, child=child
    )
    return dataclasses.replace(found, drawn=drawn)


def journey_timeline(journey: Journey) -> str:
    """A journey from :func:`walk_journey` as a timeline picture: SVG text, 16:9.

    Each stage is a band coloured by its phase, each activity a tick, each standard a lane with a
    marker at every due date (met, late by how much, missed, open); tooltips give the sources.
    Nothing personal is drawn.
    """
    from casejourney.report.timeline import timeline_svg

    return timeline_svg(journey)


def compare_standards(authorities: Sequence[str], workflows: Path | None = None) -> Comparison:
    """Authorities' standards side by side: a row per standard, a cell per authority.

    Args:
        authorities: two or more authorities (names or workflow files); the first is the
            baseline the others are marked against.
        workflows: folder of workflow files.

    Returns:
        The comparison: ``.authorities``, ``.rows`` (each with ``.cells``: the timescale in
        force, whether it is inherited, overridden or local, ``.differs`` from the first,
        ``.looser`` than statute, ``.citation``, ``.marker``), ``.render("markdown" | "json" |
        "html")`` and ``.flat_rows()`` for CSV.

    Raises:
        CasejourneyError: fewer than two authorities.
        UnknownAuthorityError: no such authority.
        SpecError: an authority's workflow has errors.

    """
    from casejourney.report.compare import compare

    if len(authorities) < 2:
        raise CasejourneyError("name at least two authorities, e.g. national liverpool")
    return compare([load_workflow(authority, workflows) for authority in authorities])


@dataclass(frozen=True)
class Pathway:
    """A pathway diagram ready to draw: what :func:`draw_pathway` returns.

    ``name`` is a file-name stem (``liverpool``, ``national-vs-liverpool``, ``liverpool-overlay``),
    ``authority`` the id of the workflow drawn, ``phases`` its phases' ids.
    """

    name: str
    authority: str
    phases: tuple[str, ...] = ()
    diagram: Diagram | None = None
    runs: tuple[RunResults, ...] = ()
    phase: str | None = None

    def render(
        self,
        fmt: Format | str = "svg",
        renderer: Renderer | str | None = None,
        *,
        notes: bool = False,
    ) -> tuple[bytes, Renderer]:
        """The drawing as ``fmt`` bytes (svg, png, pdf or dot), and the renderer that drew it.

        ``renderer``: ``auto`` (dot if installed, else WebAssembly), ``dot`` or ``wasm``.
        ``notes``: number every timescale and list each with its source under the drawing (not
        for an overlay).
        """
        from casejourney.report.formats import Format

        if self.diagram is None:
            from casejourney.report.overlay import render_overlay

            return render_overlay(list(self.runs), Format(fmt), renderer, phase=self.phase)
        from casejourney.report.render_image import render

        return render(self.diagram, Format(fmt), renderer, notes=notes)

    def write(
        self,
        path: Path,
        fmt: Format | str = "svg",
        renderer: Renderer | str | None = None,
        *,
        notes: bool = False,
    ) -> Renderer:
        """Draw into ``path`` atomically (an earlier file is replaced whole or not at all)."""
        from casejourney.report.render_image import write_atomic

        data, used = self.render(fmt, renderer, notes=notes)
        write_atomic(path, data)
        return used

    def phase_files(
        self,
        path: Path,
        fmt: Format | str = "svg",
        renderer: Renderer | str | None = None,
        *,
        notes: bool = False,
    ) -> dict[str, Path]:
        """Where each phase goes beside ``path`` when the whole is too small to read on a page.

        ``l.svg`` → ``{"front_door": l-1-front-door.svg, …}`` (numbered in the pathway's phase
        order). Empty when the whole reads at page size, for PDF (one file, a page per phase),
        DOT, one phase, a comparison, an overlay, and when only the WebAssembly renderer is
        installed (it cannot measure the layout).
        """
        from casejourney.report.formats import Format, Renderer
        from casejourney.report.render_image import choose_renderer

        fmt = Format(fmt)
        if (
            fmt not in (Format.svg, Format.png)
            or choose_renderer(fmt, renderer) is not Renderer.dot
        ):
            return {}
        if self.fits_page_at(fmt, notes=notes) is None:
            return {}
        return {
            phase: path.with_name(f"{path.stem}-{n}-{phase.replace('_', '-')}{path.suffix}")
            for n, phase in enumerate(self.phases, 1)
        }

    def write_with_phases(
        self,
        path: Path,
        phase_files: Mapping[str, Path],
        fmt: Format | str = "svg",
        renderer: Renderer | str | None = None,
        *,
        notes: bool = False,
    ) -> tuple[Renderer, list[Path]]:
        """Draw the whole into ``path`` and each phase into ``phase_files`` (see there).

        Everything is drawn before anything is written, and each file is written atomically.
        Returns the renderer and the phase files written (phases with no states have none).
        """
        from casejourney.report.formats import Format
        from casejourney.report.render_image import phase_drawings, write_atomic

        data, used = self.render(fmt, renderer, notes=notes)
        pages = (
            phase_drawings(self.diagram, Format(fmt), renderer, notes=notes)
            if phase_files and self.diagram is not None
            else []
        )
        for phase, page in pages:
            write_atomic(phase_files[phase], page)
        write_atomic(path, data)
        return used, [phase_files[phase] for phase, _ in pages]

    def fits_page_at(self, fmt: Format | str = "svg", *, notes: bool = False) -> float | None:
        """The scale a whole pathway too small to read must be drawn at to fit its page.

        The page is a slide for png, an A4 page otherwise. None when the pathway reads at its
        size, and for one phase or an overlay.
        """
        if self.diagram is None or self.diagram.focus is not None:
            return None
        from casejourney.report.formats import Format
        from casejourney.report.render_image import (
            A4_LANDSCAPE,
            SLIDE_INCHES,
            fitted_scale,
            natural_size,
            too_small_to_print,
        )

        size = natural_size(self.diagram, notes)
        if not too_small_to_print(size):
            return None
        return fitted_scale(size, SLIDE_INCHES if Format(fmt) is Format.png else A4_LANDSCAPE)


def draw_pathway(
    authorities: Sequence[str] = (),
    *,
    compare: bool = False,
    phase: str | None = None,
    overlay: Sequence[Path] = (),
    workflows: Path | None = None,
) -> list[Pathway]:
    """An authority's pathway (states, moves, every timescale with its source), ready to draw.

    Args:
        authorities: one authority (a name or a workflow file); with ``compare``, the base first
            and then the others, one pathway each marked with what it adds, removes or changes.
        compare: mark each later authority against the first.
        phase: draw one phase alone, with the moves in and out as stubs.
        overlay: results folders of :func:`run_scenario`: the runs' authority's pathway coloured
            by how often each timescale was breached (several: compared, first → last); an
            authority named with them must be the runs' own.
        workflows: folder of workflow files.

    Raises:
        CasejourneyError: the authorities do not fit the request (one to draw, at least two to
            compare, the runs' own for an overlay).
        DiagramError: no such phase.
        UnknownAuthorityError: no such authority.
        SpecError: a workflow has errors.
        ResultsError: a results folder is missing, incomplete or unreadable.

    """
    if overlay:
        from casejourney.report.charts_data import load_runs

        if compare:
            raise CasejourneyError("an overlay draws one authority's pathway; compare runs instead")
        runs = load_runs(list(overlay), workflows)
        drawn = runs[-1].workflow.id
        if authorities and (
            len(authorities) > 1 or load_workflow(authorities[0], workflows).id != drawn
        ):
            raise CasejourneyError(f"{overlay[-1]} is a run of '{drawn}', not of {authorities[0]}")
        name = f"{drawn}-overlay" + (f"-{phase}" if phase else "")
        return [Pathway(name, drawn, runs=tuple(runs), phase=phase)]
    from casejourney.report.diagram import compare_model, diagram_model, select_phase

    if compare:
        if len(authorities) < 2:
            raise CasejourneyError("compare needs a base and at least one other authority")
        base = load_workflow(authorities[0], workflows)
        others = (load_workflow(other, workflows) for other in authorities[1:])
        diagrams = [(other.id, compare_model(base, other)) for other in others]
    else:
        if len(authorities) != 1:
            raise CasejourneyError("give one authority to draw, or compare=True and several")
        workflow = load_workflow(authorities[0], workflows)
        diagrams = [(workflow.id, diagram_model(workflow))]
    if phase is not None:
        diagrams = [(ident, select_phase(diagram, phase)) for ident, diagram in diagrams]
    return [
        Pathway(diagram.name, ident, tuple(p.id for p in diagram.phases), diagram=diagram)
        for ident, diagram in diagrams
    ]


#: The first line of every scenario file :func:`scenario_from_published` writes; it replaces
#: only files that start with it.
PUBLISHED_MARKER = "# written by `casejourney scenario from-published`"

#: The first line of every scenario file :func:`calibrate_scenario` writes, likewise.
CALIBRATED_MARKER = "# written by `casejourney calibrate`"


def _write_atomically(path: Path, text: str, *, check_scenario: bool = False) -> None:
    """Write ``text`` to ``path`` whole or not at all (a scenario is checked to load first)."""
    import os
    import shutil
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.stem}-", dir=path.parent))
    try:
        staged = staging / path.name
        staged.write_text(text, encoding="utf-8")
        if check_scenario:
            load_scenario(str(staged))  # refuses (SpecError) what would not run
        os.replace(staged, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_scenario_target(path: Path, marker: str, command: str) -> None:
    """Refuse to write a scenario to ``path`` unless it is new or ``command`` wrote it."""
    if path.suffix not in {".yaml", ".yml"}:
        raise CasejourneyError(f"{path}: a scenario file ends in .yaml")
    if path.exists() and not path.read_text(encoding="utf-8").startswith(marker):
        raise CasejourneyError(
            f"{path}: exists and was not written by `casejourney {command}`; choose a new file"
        )


@dataclass(frozen=True)
class PublishedScenario:
    """What :func:`scenario_from_published` wrote."""

    path: Path
    title: str
    #: The workflow (rules) the scenario uses.
    authority: str
    #: One line per figure DfE suppressed, and where its stand-in came from.
    fallbacks: tuple[str, ...]


def scenario_from_published(
    authority: str, year: int, out: Path | None = None
) -> PublishedScenario:
    """Write a scenario for any authority from DfE's published figures for one year.

    Demand, branch shares, the open caseload from the previous 31 March and the workforce come
    from the published figures, each number with its source as a comment; a suppressed figure
    comes from the region's median, else England's. The file is checked to load before it is
    written, atomically.

    Args:
        authority: as DfE names it, loosely (``"st helens"``); ``"england"`` for England.
        year: the DfE year by its end (2024 is April 2023 to March 2024).
        out: the scenario file (default: ``<id>.yaml`` in the working folder); an existing file
            is replaced only if this function wrote it.

    Raises:
        CasejourneyError: an unknown authority or year, or ``out`` is not ours to replace.

    """
    from casejourney import frompublished, published

    built = frompublished.build(published.load(), authority, year)
    path = out or Path(f"{built.data['id']}.yaml")
    _check_scenario_target(path, PUBLISHED_MARKER, "scenario from-published")
    _write_atomically(path, frompublished.to_yaml(built, PUBLISHED_MARKER), check_scenario=True)
    return PublishedScenario(
        path, built.data["title"], built.data["authority"], tuple(built.fallbacks)
    )


@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate_scenario` wrote, and the fit."""

    #: The fitted scenario.
    path: Path
    #: The fit table beside it (``-fit.csv``): target, simulated mean and interval, gap.
    fit_table: Path
    #: ``.best`` values, their 95% ``.ranges``, the ``.fits`` and every trial.
    result: CalibrationResult


def calibrate_scenario(
    scenario: str,
    targets: Path,
    *,
    trials: int = 40,
    replications: int | None = None,
    scale: float = 1.0,
    jobs: int = 1,
    out: Path | None = None,
    seed: int = 20260401,
    scheduler: str | None = None,
    progress: Callable[[int, float, float], None] | None = None,
) -> Calibration:
    """Fit a scenario's ``calibrate:`` parameters to published targets; write the fitted scenario.

    Each trial runs the scenario ``replications`` times with the same seeds as every other trial
    and scores the means against the targets; the best trial is written as a scenario, each
    parameter with its 95% range, and the fit table beside it. Each finished replication is kept
    beside ``out`` (``.NAME.trials``) until the end, so a calibration that was killed, called
    again with the same arguments, resumes and gives the same result. See docs/calibration.md.

    Args:
        scenario: a scenario file or a shipped scenario's name, with a ``calibrate:`` block.
        targets: CSV of published targets: ``measure,value,year,source``.
        trials: parameter sets tried.
        replications: per trial (default: the block's).
        scale: simulate this share of the scenario (counts are scaled back).
        jobs: worker processes.
        out: the fitted scenario (default: ``<scenario>-calibrated.yaml`` beside it); an existing
            file is replaced only if this function wrote it.
        seed: the optimiser's seed.
        scheduler: run the replications on this Dask scheduler, or ``"local"``.
        progress: called after each trial with (trials done, its loss, the best loss).

    Raises:
        CasejourneyError: no ``calibrate:`` block, unreadable targets, a target's year the
            scenario does not simulate, or ``out`` is not ours to replace (all before any run).

    """
    from casejourney import calibrate

    spec, _ = load_scenario(scenario)
    source = find_scenario_file(scenario)
    if spec.calibrate is None:
        raise CasejourneyError(
            f"{source}: no calibrate: block; add one naming the parameters to fit, e.g.\n"
            "calibrate:\n  parameters:\n    stays.cp_plan.median: {low: 20, high: 45, unit: weeks}"
        )
    wanted = calibrate.read_targets(targets)
    calibrate.check_years(spec, wanted, str(targets))
    path = out or source.with_name(f"{source.stem}-calibrated.yaml")
    _check_scenario_target(path, CALIBRATED_MARKER, "calibrate")  # before hours of trials
    dumped = spec.model_dump(mode="json", by_alias=True)
    params = dict(spec.calibrate.parameters)
    result = calibrate.calibrate(
        [calibrate.Case(dumped, tuple(wanted))],
        params,
        trials=trials,
        replications=replications or spec.calibrate.replications,
        scale=scale,
        jobs=jobs,
        seed=seed,
        progress=progress,
        scheduler=scheduler,
        store=calibrate.trials_folder(path),
    )
    text = calibrate.fitted_text(source, dumped, result, params, targets, CALIBRATED_MARKER)
    _write_atomically(path, text, check_scenario=True)
    table = path.with_name(f"{path.stem}-fit.csv")
    _write_atomically(table, _csv_text(calibrate.fit_rows(result)))
    calibrate.forget(calibrate.trials_folder(path))
    return Calibration(path, table, result)


def _csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text for a file, with a UTF-8 byte-order mark first so Excel reads it right."""
    import csv
    import io

    buffer = io.StringIO()
    buffer.write("\ufeff")
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


@dataclass(frozen=True)
class Backtest:
    """A back-test: an authority calibrated on some years' published outcomes, another predicted.

    ``answer`` holds ``authority``, ``calibrated_on``, ``year``, ``predicted`` (per measure:
    ``mean``, ``low``, ``high``; None where not simulated), ``observed`` (per measure; None
    where the data has none) and ``fitted`` (per parameter: ``value``, ``low``, ``high``,
    ``unit``).
    """

    answer: Mapping[str, Any]

    def public(self) -> dict[str, Any]:
        """The documented JSON (what ``casejourney backtest --format json`` prints)."""
        from casejourney import backtest

        return backtest.public(self.answer)

    def errors(self) -> dict[str, float | None]:
        """Each predicted measure's error, in order: predicted mean less published.

        In points, working days, or for a count as a % of published; None where either is
        missing.
        """
        from casejourney import backtest

        return {m: backtest.error(self.answer, m) for m in backtest.PREDICTED}


def run_backtest(
    authority: str,
    calibrate_on: Sequence[int],
    predict: int,
    *,
    trials: int = 30,
    replications: int = 3,
    scale: float | None = None,
    jobs: int = 1,
    progress: Callable[[int, float, float], None] | None = None,
    scheduler: str | None = None,
) -> Backtest:
    """Calibrate an authority on published outcomes of some years, then predict another year.

    Args:
        authority: as DfE names it; ``"england"`` for England.
        calibrate_on: DfE years whose published outcomes the behaviour is fitted to.
        predict: the DfE year to predict (from its own published inputs).
        trials: calibration trials.
        replications: per trial (twice this to predict).
        scale: share simulated (default: 1 for an authority, 0.02 of England's areas).
        jobs: worker processes.
        progress: called after each trial with (trials done, its loss, the best loss).
        scheduler: run the replications on this Dask scheduler, or ``"local"``.

    Raises:
        CasejourneyError: an unknown authority, a year outside the data, or the predicted year
            among the calibration years.

    """
    from casejourney import backtest

    settings = backtest.Settings(
        trials=trials, replications=replications, scale=scale, jobs=jobs, scheduler=scheduler
    )
    return Backtest(backtest.run(authority, calibrate_on, predict, settings, progress))


#: The first line of every scenario file :func:`scenario_from_returns` writes; it replaces
#: only files that start with it (and the open cases beside them).
RETURNS_MARKER = "# written by `casejourney scenario from-returns`"


@dataclass(frozen=True)
class ReturnsScenario:
    """What :func:`scenario_from_returns` wrote, and the returns' own figures."""

    path: Path
    #: The open cases carried, each with its own dates (``NAME.cases.csv``); None if none.
    cases: Path | None
    #: How many open cases were carried.
    carried: int
    #: What came from the base scenario, one line each.
    kept: tuple[str, ...]
    #: The returns' figures: ``.year`` and ``.counts`` (name → value).
    figures: ReturnsFigures


def scenario_from_returns(
    cin: Path,
    ssda903: Path,
    year: int,
    out: Path | None = None,
    *,
    base: str = "national-baseline",
    notes: Callable[[str], None] | None = None,
) -> ReturnsScenario:
    """Write a scenario from an authority's own returns (CIN census and SSDA903) for one year.

    Arrivals, branch shares, stays (survival analysis, open cases censored) and the open
    caseload on 31 March come from the returns; everything else from ``base``. Each open case is
    carried with its own dates in ``NAME.cases.csv`` beside the scenario. Child ids are replaced
    by salted hashes on reading; nothing identifying is written. Both files are written whole or
    not at all, after the scenario is checked to load.

    Args:
        cin: the CIN census XML of the collection year.
        ssda903: folder of the year's SSDA903 CSVs.
        year: the collection year by its end (2027 is April 2026 to March 2027).
        out: the scenario file (default: ``from-returns-YEAR.yaml`` in the working folder); an
            existing file is replaced only if this function wrote it.
        base: the scenario giving the rules, workforce and all the returns cannot show.
        notes: called with each thing said while reading (records skipped, and why), before
            the scenario is built.

    Raises:
        CasejourneyError: ``out`` (or the open cases beside it) is not ours to replace.
        ReturnsError: the returns cannot be read.
        SpecError: the scenario built would not load.

    """
    from casejourney.returns.build import build_scenario, cases_csv
    from casejourney.returns.figures import carried_cases, summarise
    from casejourney.returns.read import read_returns

    path = out or Path(f"from-returns-{year}.yaml")
    if path.suffix not in {".yaml", ".yml"}:
        raise CasejourneyError(f"{path}: a scenario file ends in .yaml")
    ours = path.exists() and path.read_text(encoding="utf-8").startswith(RETURNS_MARKER)
    if path.exists() and not ours:
        raise CasejourneyError(
            f"{path}: exists and was not written by `casejourney scenario from-returns`; "
            "choose a new file"
        )
    cases = path.with_name(f"{path.stem}.cases.csv")
    if cases.exists() and not ours:
        raise CasejourneyError(
            f"{cases}: exists beside a scenario not written by `casejourney scenario "
            "from-returns`; choose a new file name"
        )
    returns = read_returns(cin, ssda903, year)
    said = [*returns.notes]
    said += [f"skipped {count:,} × {kind}" for kind, count in sorted(returns.skipped.items())]
    if notes is not None:
        for line in said:
            notes(line)
    figures = summarise(returns)
    carried = carried_cases(returns)
    base_spec, _ = load_scenario(base)
    document, kept = build_scenario(
        figures,
        base_spec.model_dump(mode="json", by_alias=True),
        path.stem,
        f"Built from the {year - 1}-{year % 100:02d} returns (base: {base_spec.id})",
        carried,
        cases.name,
    )
    _write_from_returns(
        path, document, kept, year, base_spec.id, cases_csv(carried) if carried else None
    )
    return ReturnsScenario(path, cases if carried else None, len(carried), tuple(kept), figures)


def _write_from_returns(
    path: Path,
    document: dict[str, Any],
    kept: list[str],
    year: int,
    base: str,
    cases: str | None = None,
) -> None:
    """Write the scenario (and its open cases) whole or not at all, after checking it loads."""
    import os
    import shutil
    import tempfile

    import yaml

    head = [
        RETURNS_MARKER,
        f"# from the CIN census and SSDA903 of the collection year {year - 1}-{year % 100:02d};",
        f"# what the returns cannot show is from {base}:",
        *(f"#   {line}" for line in kept),
        "",
    ]
    text = "\n".join(head) + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.stem}-", dir=path.parent))
    try:
        staged = staging / path.name
        staged.write_text(text, encoding="utf-8")
        cases_path = path.with_name(f"{path.stem}.cases.csv")
        if cases is not None:
            (staging / cases_path.name).write_text(cases, encoding="utf-8")
        load_scenario(str(staged))  # refuses (SpecError) a scenario that would not run
        if cases is not None:
            os.replace(staging / cases_path.name, cases_path)
        os.replace(staged, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def simulated_returns(scenario: Path, year: int, replications: int) -> ReturnsFigures:
    """A scenario simulated, and measured as its own returns would measure it.

    Each replication is written as the returns of the collection year ending March ``year`` and
    read back; the figures are their means (a share is the share of all the replications'
    plans, so each plan counts once). Nothing is kept on disk.
    """
    import tempfile

    from casejourney.returns import export_returns
    from casejourney.returns.figures import mean_figures, summarise
    from casejourney.returns.read import read_returns

    with tempfile.TemporaryDirectory(prefix="casejourney-from-returns-") as root:
        results = Path(root) / "run"
        run_scenario(str(scenario), replications=replications, out=results)
        found = []
        for replication in range(replications):
            folder = Path(root) / f"returns-{replication}"
            export_returns(results, year, folder, replication=replication)
            found.append(summarise(read_returns(folder / "cin-census.xml", folder, year)))
    return mean_figures(found)
