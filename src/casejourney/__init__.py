"""casejourney: children's social care journeys as timed state machines.

The public surface is the names in ``__all__``: load and check workflows and scenarios, look up
due dates, compare authorities, draw pathways, walk a journey, list the rules, simulate, sweep,
report and export, and the two errors to catch. The types those functions take and return
(``Workflow``, ``Results``, ``Finding``, ...) are in :mod:`casejourney.api`. Everything else is an implementation detail and may change. Each name is
imported when first used, so ``import casejourney`` (and ``casejourney --version``) stays quick;
the exceptions are drawn as a tree in :mod:`casejourney.errors`.
"""

from __future__ import annotations

import importlib
import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from casejourney.api import (
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
    from casejourney.errors import CasejourneyError, SpecError
    from casejourney.report.rules import rules_records
    from casejourney.returns import export_returns

try:
    __version__ = version("casejourney")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

#: Each public name and the module that defines it.
_HOMES = {
    "CasejourneyError": "casejourney.errors",
    "SpecError": "casejourney.errors",
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

#: Names that were public before the surface was narrowed: each still works, with a warning
#: naming its home in :mod:`casejourney.api`.
_MOVED = frozenset(
    {"DueAnswer", "Duration", "Finding", "Level", "Results", "ScenarioSpec", "Workflow"}
)

__all__ = [
    "CasejourneyError",
    "SpecError",
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
    if name in _MOVED:
        warnings.warn(
            f"casejourney.{name} is casejourney.api.{name} now; import it from there",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module("casejourney.api"), name)
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'casejourney' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    """The public names (and the module's own), for ``dir()`` and completion."""
    return sorted(set(globals()) | set(__all__))
