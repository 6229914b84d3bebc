"""The property every input must keep: a documented error with file and line, or success.

``probe`` feeds one file to the loaders the way ``check`` does (read, validate, resolve what it
extends, cross-check a scenario against its workflow and compile it when it is clean) and returns
an ``Outcome``; anything else — an exception, a finding without a file or line or with a code the
documentation does not list, or more than ``LIMIT_SECONDS`` of processor time (or
``WALL_LIMIT_SECONDS`` in all) — is a failure to keep in the corpus.
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import signal
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parents[2]
#: More processor time than this for one input is a hang.
LIMIT_SECONDS = 5.0
#: More wall-clock time than this is a hang too, processor or not (a read that blocks for ever).
#: Looser, because a long run at the lowest priority beside other work waits for the processor:
#: the second long run (docs/fuzzing.md) saw 609 inputs pass 5 s of wall-clock time that way,
#: none over 0.46 s of processor time.
WALL_LIMIT_SECONDS = 60.0

Kind = Literal["workflow", "scenario"]


@functools.cache
def documented_codes() -> frozenset[str]:
    """The finding codes ``docs/workflow-format.md`` and ``docs/scenario-format.md`` list."""
    codes: set[str] = set()
    for page in ("workflow-format.md", "scenario-format.md"):
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        for row in re.findall(r"^\| ([^|]+) \| (?:error|warning|note)", text, re.M):
            codes.update(re.findall(r"`([a-z][a-z\-]*)`", row))
    return frozenset(codes)


@dataclass
class Outcome:
    """What one input did: its findings' codes, or the failure and where it happened."""

    codes: list[str] = field(default_factory=list)
    failure: str | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0


class _Hang(BaseException):
    """Raised by the alarm: an input took longer than the limit."""


@contextlib.contextmanager
def _deadline(seconds: float, wall: float) -> Iterator[None]:
    """Raise ``_Hang`` after ``seconds`` of this process's processor time or ``wall`` seconds."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    armed = [True]

    def ring(signum: int, frame: object) -> None:
        if armed[0]:  # a signal delivered late, once the input is done, is not a hang
            raise _Hang

    previous = {sig: signal.signal(sig, ring) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, seconds)  # user and system time of this process
    signal.setitimer(signal.ITIMER_REAL, wall)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def shipped_tree(into: Path) -> Path:
    """Copy the shipped workflows and scenarios into ``into`` (mutated files replace one)."""
    for folder in ("workflows", "scenarios"):
        target = into / folder
        if not target.exists():
            shutil.copytree(ROOT / folder, target)
    return into


def shipped_files() -> list[tuple[Kind, Path]]:
    """Every shipped workflow and scenario file, with its kind."""
    found: list[tuple[Kind, Path]] = []
    found += [("workflow", p) for p in sorted((ROOT / "workflows").glob("*.yaml"))]
    found += [("scenario", p) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
    return found


def warm_up() -> None:
    """Load every shipped authority's workflow once, so no input is timed with that work."""
    for path in sorted((ROOT / "workflows").glob("*.yaml")):
        _workflow(path.stem)


@functools.cache
def _workflow(authority: str) -> object:
    import casejourney

    return casejourney.load_workflow(authority)


def _probe_workflow(path: Path, deep: bool) -> list[object]:
    from casejourney.checks import check_workflow
    from casejourney.spec.resolve import WorkflowLoader

    workflow, findings = WorkflowLoader().resolve(path)
    found: list[object] = list(findings)
    if workflow is not None and deep:
        found += check_workflow(workflow)
    return found


def _probe_scenario(path: Path, deep: bool) -> list[object]:
    from casejourney.spec.findings import Level
    from casejourney.spec.resolve import Workflow
    from casejourney.spec.scenario import read_scenario, scenario_findings

    spec, doc, findings = read_scenario(path)
    found: list[object] = list(findings)
    if spec is None or doc is None:
        return found
    try:
        workflow = _workflow(spec.authority)
    except Exception as exc:
        from casejourney.errors import CasejourneyError

        if not isinstance(exc, CasejourneyError):
            raise
        return found
    assert isinstance(workflow, Workflow)
    cross = scenario_findings(spec, workflow, doc)
    found += cross
    if deep and not any(getattr(f, "level", None) is Level.ERROR for f in [*findings, *cross]):
        from casejourney.simulate import compile_scenario

        compile_scenario(workflow, spec, scale=0.001)  # what passes check must compile
    return found


def probe(
    path: Path,
    kind: Kind,
    *,
    deep: bool = False,
    limit: float = LIMIT_SECONDS,
    wall: float = WALL_LIMIT_SECONDS,
) -> Outcome:
    """Load ``path`` as ``kind``; the outcome, with any failure described.

    ``limit`` is processor time, the work the loaders do whatever else the machine runs; ``wall``
    bounds the wall-clock time as well, for a hang that waits without working.
    """
    from casejourney.errors import CasejourneyError
    from casejourney.spec.findings import Finding, Level

    started = time.perf_counter()
    cpu = time.process_time()
    outcome = Outcome()
    try:
        with _deadline(limit, wall):
            found = (_probe_workflow if kind == "workflow" else _probe_scenario)(path, deep)
    except _Hang:
        outcome.failure = (
            f"hang: over {limit:g} s of processor time or {wall:g} s in all "
            f"({time.process_time() - cpu:.2f} s, {time.perf_counter() - started:.2f} s)"
        )
    except CasejourneyError as exc:  # a documented error raised rather than returned is fine
        outcome.codes = ["error"]
        if not str(exc):
            outcome.failure = "an error with no message"
    except (Exception, RecursionError, MemoryError):
        outcome.failure = "crash: " + "".join(traceback.format_exc(limit=-6))
    else:
        codes = documented_codes()
        for finding in found:
            assert isinstance(finding, Finding)
            outcome.codes.append(finding.code)
            problem = None
            if not finding.file or finding.line < 1:
                problem = "no file and line"
            elif finding.code not in codes:
                problem = f"undocumented code {finding.code!r}"
            elif not finding.message.strip():
                problem = "no message"
            elif finding.level not in tuple(Level):
                problem = "no level"
            if problem is not None:
                outcome.failure = f"finding with {problem}: {finding.render()}"
                break
    outcome.seconds = time.perf_counter() - started
    outcome.cpu_seconds = time.process_time() - cpu
    if outcome.failure is None and (outcome.cpu_seconds > limit or outcome.seconds > wall):
        # the timer's exception is lost where Python cannot raise it (a gc callback): the
        # clock, not the signal, has the last word
        outcome.failure = (
            f"hang: over {limit:g} s of processor time or {wall:g} s in all "
            f"({outcome.cpu_seconds:.2f} s, {outcome.seconds:.2f} s)"
        )
    return outcome
