"""Spec → findings: small, named, pure checks, reported all at once and sorted.

Each check takes a resolved ``Workflow`` and yields ``Finding`` objects with a stable code, the file
and line, and the citations involved. ``check_paths`` runs them over files and folders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from casejourney.checks import references, structure, timing
from casejourney.spec.findings import Finding, Level, display_path
from casejourney.spec.resolve import Workflow, WorkflowLoader
from casejourney.spec.yamlsafe import is_folder, is_present

__all__ = ["CHECKS", "check_paths", "check_workflow", "has_errors", "workflow_files"]

Check = Callable[[Workflow], Iterator[Finding]]

#: Every check, in the order a reader meets the problems.
CHECKS: tuple[Check, ...] = (
    references.unknown_references,
    references.unused_documents,
    references.secondary_quotes,
    structure.initial_state,
    structure.unreachable_states,
    structure.exits,
    structure.traps,
    timing.contradictions,
    timing.looser_than_statute,
    timing.same_obligation_two_values,
    timing.same_obligation_two_anchors,
    timing.unreachable_steps,
    timing.unsatisfiable_applies_to,
)


def check_workflow(workflow: Workflow) -> list[Finding]:
    """Every finding about one resolved workflow, sorted and de-duplicated."""
    found: set[Finding] = set()
    for check in CHECKS:
        found.update(check(workflow))
    # Reference errors make graph and timing checks meaningless; report them alone.
    if any(f.code == "unknown-reference" for f in found):
        found = {f for f in found if f.code in {"unknown-reference", "unused-document"}}
    return sorted(found)


def workflow_files(paths: Iterable[Path]) -> tuple[list[Path], list[Finding]]:
    """Expand folders to their ``*.yaml`` files; a path that does not exist is a finding."""
    files: list[Path] = []
    missing: list[Finding] = []
    for path in paths:
        if is_folder(path):
            files.extend(sorted(p for p in path.glob("*.y*ml")))
        elif is_present(path):
            files.append(path)  # a FIFO, a device, a symlink loop: reading it says what is wrong
        else:
            missing.append(
                Finding(
                    display_path(path), 1, Level.ERROR, "no-such-file", "no such file or folder"
                )
            )
    return files, missing


def check_paths(paths: Sequence[Path]) -> list[Finding]:
    """Check every workflow file in ``paths`` (files or folders); every finding, sorted."""
    files, found = workflow_files(paths)
    loader = WorkflowLoader()
    results: set[Finding] = set(found)
    for path in files:
        workflow, findings = loader.resolve(path)
        results.update(findings)
        if workflow is not None and not any(f.level is Level.ERROR for f in findings):
            results.update(check_workflow(workflow))
    return sorted(results)


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error."""
    return any(f.level is Level.ERROR for f in findings)
