"""casejourney: children's social care journeys as timed state machines.

The public surface is the names in ``__all__``: load and check workflows and scenarios, look up
due dates, compare authorities, draw pathways, walk a journey, list the rules, simulate, sweep,
report and export. Everything else is an implementation detail and may change. Each name is
imported when first used, so ``import casejourney`` (and ``casejourney --version``) stays quick;
the exceptions are drawn as a tree in :mod:`casejourney.errors`.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from casejourney.api import (
        DueAnswer,
        check_paths,
        compare_standards,
        draw_pathway,
        due_date,
        export_results,
        load_scenario,
        load_workflow,
        run_scenario,
        run_sweep,
        walk_journey,
        write_report,
    )
    from casejourney.calendar import Duration
    from casejourney.errors import CasejourneyError, SpecError
    from casejourney.experiment import Results
    from casejourney.report.rules import rules_records
    from casejourney.returns import export_returns
    from casejourney.spec import Finding, Level, Workflow
    from casejourney.spec.scenario import ScenarioSpec

try:
    __version__ = version("casejourney")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

#: Each public name and the module that defines it.
_HOMES = {
    "CasejourneyError": "casejourney.errors",
    "DueAnswer": "casejourney.api",
    "Duration": "casejourney.calendar",
    "Finding": "casejourney.spec",
    "Level": "casejourney.spec",
    "Results": "casejourney.experiment",
    "ScenarioSpec": "casejourney.spec.scenario",
    "SpecError": "casejourney.errors",
    "Workflow": "casejourney.spec",
    "check_paths": "casejourney.api",
    "compare_standards": "casejourney.api",
    "draw_pathway": "casejourney.api",
    "due_date": "casejourney.api",
    "export_results": "casejourney.api",
    "export_returns": "casejourney.returns",
    "load_scenario": "casejourney.api",
    "load_workflow": "casejourney.api",
    "rules_records": "casejourney.report.rules",
    "run_scenario": "casejourney.api",
    "run_sweep": "casejourney.api",
    "walk_journey": "casejourney.api",
    "write_report": "casejourney.api",
}

__all__ = [
    "CasejourneyError",
    "DueAnswer",
    "Duration",
    "Finding",
    "Level",
    "Results",
    "ScenarioSpec",
    "SpecError",
    "Workflow",
    "__version__",
    "check_paths",
    "compare_standards",
    "draw_pathway",
    "due_date",
    "export_results",
    "export_returns",
    "load_scenario",
    "load_workflow",
    "rules_records",
    "run_scenario",
    "run_sweep",
    "walk_journey",
    "write_report",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'casejourney' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    """The public names (and the module's own), for ``dir()`` and completion."""
    return sorted(set(globals()) | set(__all__))
