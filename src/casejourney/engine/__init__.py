"""A generic discrete-event engine for cases moving through states under limited capacity.

Consumes a compiled :class:`Model` (states with stays and branch probabilities, tasks owed while in
states, teams of servers, booked slot diaries, held places); produces an :class:`EventLog` of flat
records and nothing else. It knows nothing of any domain: names are opaque strings, time is whole
days (:data:`DAY`), and randomness comes from one injected ``numpy.random.SeedSequence``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import sysconfig
from pathlib import Path


def native_build(here: Path) -> tuple[bool, str]:
    """Whether the compiled build in ``here / "_native"`` may run, and what runs, in words.

    It may while it was made (by ``scripts/build_native.py``) for this Python from the engine's
    sources exactly as they are: every module's SHA-256 matches its manifest. Otherwise the pure
    Python sources run: a build never shadows an edited source.
    """
    if os.environ.get("CASEJOURNEY_PURE_PYTHON"):
        return False, "pure Python (CASEJOURNEY_PURE_PYTHON is set)"
    try:
        manifest = json.loads((here / "_native" / "manifest.json").read_text())
    except (OSError, ValueError):
        return False, "pure Python (not compiled; make install compiles it where it can)"
    if manifest.get("suffix") != sysconfig.get_config_var("EXT_SUFFIX"):
        return False, "pure Python (the compiled build is for another Python; run make install)"
    current = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(here.glob("*.py"))
        if path.name != "__init__.py"
    }
    built = manifest.get("sources", {})
    changed = sorted(n for n in current.keys() | built.keys() if current.get(n) != built.get(n))
    if changed:
        return False, (
            f"pure Python: the compiled build is stale ({', '.join(changed)} changed since it was "
            "built; run make install to compile again)"
        )
    if not all((here / "_native" / name).is_file() for name in manifest.get("files", ())):
        return False, "pure Python (the compiled build is incomplete; run make install)"
    return True, "compiled with mypyc"


#: Whether the engine's modules are the mypyc build (``scripts/build_native.py``), and in words.
NATIVE, BUILD = native_build(Path(__file__).resolve().parent)
if NATIVE:
    # The compiled modules are found before the sources beside them.
    __path__.insert(0, str(Path(__file__).resolve().parent / "_native"))
elif (
    (Path(__file__).resolve().parent / "_native").exists()
    and not os.environ.get("CASEJOURNEY_PURE_PYTHON")
    and not os.environ.get("_CASEJOURNEY_STALE_SAID")
):  # a build there but not used is said once (not again in worker processes)
    os.environ["_CASEJOURNEY_STALE_SAID"] = "1"
    print(f"casejourney: engine {BUILD}", file=sys.stderr)

# The engine's modules, after the choice above of which build runs.
from casejourney.engine.model import (  # noqa: E402
    DAY,
    Draw,
    Model,
    Offset,
    PlaceModel,
    Punctuality,
    SlotModel,
    StateModel,
    TaskKind,
    TaskRule,
    TeamModel,
    Trait,
    split,
)
from casejourney.engine.records import EventLog, Kind, Snapshots  # noqa: E402
from casejourney.engine.run import simulate, simulate_parts  # noqa: E402

__all__ = [
    "BUILD",
    "DAY",
    "NATIVE",
    "Draw",
    "EventLog",
    "Kind",
    "Model",
    "Offset",
    "PlaceModel",
    "Punctuality",
    "SlotModel",
    "Snapshots",
    "StateModel",
    "TaskKind",
    "TaskRule",
    "TeamModel",
    "Trait",
    "simulate",
    "simulate_parts",
    "split",
]
