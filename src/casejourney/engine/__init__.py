"""A generic discrete-event engine for cases moving through states under limited capacity.

Consumes a compiled :class:`Model` (states with stays and branch probabilities, tasks owed while in
states, teams of servers, booked slot diaries, held places); produces an :class:`EventLog` of flat
records and nothing else. It knows nothing of any domain: names are opaque strings, time is whole
days (:data:`DAY`), and randomness comes from one injected ``numpy.random.SeedSequence``.
"""

from __future__ import annotations

from casejourney.engine.model import (
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
from casejourney.engine.records import EventLog, Kind, Snapshots
from casejourney.engine.run import simulate, simulate_parts

__all__ = [
    "DAY",
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
