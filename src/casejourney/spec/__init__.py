"""Workflow files → validated, resolved, frozen ``Workflow`` specs (the boundary of the system)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casejourney.errors import SpecError, UnknownAuthorityError
from casejourney.spec.findings import Citation, Finding, Level, Location
from casejourney.spec.yamlsafe import is_regular_file

if TYPE_CHECKING:
    from casejourney.spec.resolve import Standard, State, Transition, Workflow, WorkflowLoader

__all__ = [
    "Citation",
    "Finding",
    "Level",
    "Location",
    "Standard",
    "State",
    "Transition",
    "Workflow",
    "WorkflowLoader",
    "find_workflow_file",
    "load_workflow",
    "scenarios_dir",
    "workflows_dir",
]

ENV_VAR = "CASEJOURNEY_WORKFLOWS"

#: Names that need the models (pydantic) and the resolver: imported on first use, so that a
#: light module of this package (findings, the vocabulary of children's attributes) stays light.
_RESOLVED = frozenset({"Standard", "State", "Transition", "Workflow", "WorkflowLoader"})


def __getattr__(name: str) -> Any:
    """One of the resolver's names, imported on first use (PEP 562)."""
    if name not in _RESOLVED:
        raise AttributeError(f"module 'casejourney.spec' has no attribute {name!r}")
    value = getattr(importlib.import_module("casejourney.spec.resolve"), name)
    globals()[name] = value
    return value


def workflows_dir() -> Path:
    """Where shipped workflows are: $CASEJOURNEY_WORKFLOWS, ./workflows, or the installed copy."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    here = Path.cwd() / "workflows"
    if (here / "national.yaml").is_file():
        return here
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_data" / "workflows", package.parent.parent / "workflows"):
        if (candidate / "national.yaml").is_file():
            return candidate
    return here


def scenarios_dir() -> Path:
    """Where shipped scenarios are: beside the workflows folder."""
    return workflows_dir().parent / "scenarios"


def find_workflow_file(authority: str, directory: Path | None = None) -> Path:
    """The file for ``authority`` (a name such as ``liverpool``, or a path to a YAML file)."""
    as_path = Path(authority)
    if as_path.suffix in {".yaml", ".yml"}:
        if not is_regular_file(as_path):
            raise UnknownAuthorityError(f"{authority}: no such file")
        return as_path
    folder = directory or workflows_dir()
    path = folder / f"{authority}.yaml"
    if not is_regular_file(path):
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise UnknownAuthorityError(
            f"no workflow for authority '{authority}' in {folder}; known: {known}"
        )
    return path


def load_workflow(authority: str, directory: Path | None = None) -> Workflow:
    """Load and resolve one authority's workflow.

    Args:
        authority: a shipped authority name (``liverpool``) or a path to a workflow YAML file.
        directory: where to look for names; defaults to :func:`workflows_dir`.

    Raises:
        UnknownAuthorityError: no such authority.
        SpecError: the file (or one it extends) has errors; every finding is attached.

    """
    from casejourney.spec.resolve import WorkflowLoader

    path = find_workflow_file(authority, directory)
    workflow, findings = WorkflowLoader().resolve(path)
    errors = [f for f in findings if f.level is Level.ERROR]
    if workflow is None or errors:
        raise SpecError(errors or findings)
    return workflow
