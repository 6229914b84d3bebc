"""The engine's only output: flat, immutable records, held column by column.

``EventLog`` has one row per event in the order the engine emitted them (which, for any one case,
is the order things happened to it). ``Snapshots`` holds what the engine counted at the end of each
week (servers in post, hours, queues, cases open), so that conservation can be checked against the
event log. Neither holds anything but numbers and the names of states, tasks, teams and diaries.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class Kind(IntEnum):
    """What a row of the event log records."""

    ENTER = 0  # the case entered state `event` (team holding it, worker allocated or -1)
    TASK = 1  # task `event` was done
    MARK = 2  # the case reached milestone `event`
    WORK = 3  # a server finished work on `event` (a state's own work, or preparing a task)
    ALLOCATE = 4  # the case was allocated to `worker` after waiting (or moved to another)
    PLACE = 5  # the case took a place in diary/pool `team` (team column: place pool index)
    DROP = 6  # queued work that no longer applied was taken off the queue
    QUEUED = 7  # work still queued when the run ended
    OVERFLOW = 8  # the case needed a place and none was free
    ADJOURN = 9  # a booked entry (`event`) did not go ahead and was booked again for `due`
    LEAVER = 10  # the case's worker left: it waits for another (worker: the leaver)
    HISTORY = 11  # before the simulated period the case was in state `event` from `day` to `due`


#: Column names and numpy types of the event log, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("case", "i4"),
    ("day", "i4"),
    ("event", "i2"),
    ("kind", "i1"),
    ("team", "i2"),
    ("worker", "i4"),
    ("released", "f8"),  # when the work joined the queue (or the booking was asked for)
    ("started", "f8"),  # when a server started it (fractional day)
    ("hours", "f4"),  # server hours it took
    ("due", "i4"),  # the due day it was queued with (NO_DUE: none)
)

#: Per-case columns of the event log (``EventLog.cases``), indexed by case id: ``birth``, the
#: day the case's subject was born (for rules owed in an age band). Kept in memory for the
#: measures, not written to the results.
CASE_COLUMNS: tuple[tuple[str, str], ...] = (("birth", "i4"),)
#: Besides ``birth``, ``cases`` holds one int8 column per trait the run drew (``Model.traits``),
#: named after it: each case's value.

#: ``due`` of a row that has no due day.
NO_DUE = -(2**31)

_ARRAY_CODES = {"i4": "i", "i2": "h", "i1": "b", "f8": "d", "f4": "f"}

#: One row packed as bytes (native byte order, no padding), and the same layout as a numpy record.
_ROW = struct.Struct("=" + "".join(_ARRAY_CODES[code] for _, code in COLUMNS))
_RECORD = np.dtype([(name, code) for name, code in COLUMNS])

#: Packed rows are moved into the columns once this many bytes are waiting (see ``flush``).
FLUSH_BYTES = 1 << 22


class LogBuilder:
    """Append-only columns; ``freeze`` turns them into an :class:`EventLog`.

    Rows arrive packed, one ``bytes`` per row, in ``pending`` (one call per row rather than one
    per column); ``flush`` moves them into the columns a few megabytes at a time, so the columns
    stay contiguous and ``freeze`` copies nothing.
    """

    __slots__ = (
        "case",
        "day",
        "due",
        "event",
        "hours",
        "kind",
        "pending",
        "released",
        "started",
        "team",
        "worker",
    )

    def __init__(self) -> None:
        self.case = array("i")
        self.day = array("i")
        self.event = array("h")
        self.kind = array("b")
        self.team = array("h")
        self.worker = array("i")
        self.released = array("d")
        self.started = array("d")
        self.hours = array("f")
        self.due = array("i")
        self.pending = bytearray()

    def flush(self) -> None:
        """Move the packed rows waiting in ``pending`` into the columns."""
        if not self.pending:
            return
        rows = np.frombuffer(self.pending, dtype=_RECORD)
        for name, _ in COLUMNS:
            column: array[int] | array[float] = getattr(self, name)
            column.frombytes(rows[name].tobytes())
        del rows  # the buffer cannot be resized while a view of it exists
        self.pending.clear()

    def freeze(
        self,
        names: tuple[str, ...],
        teams: tuple[str, ...],
        replication: int,
        cases: dict[str, np.ndarray] | None = None,
    ) -> EventLog:
        """The columns as numpy arrays (copied out of the builder); ``cases``: per-case columns."""
        self.flush()
        # Views on the builder's buffers, not copies: the builder is not appended to again.
        columns = {name: np.frombuffer(getattr(self, name), dtype=code) for name, code in COLUMNS}
        return EventLog(
            replication=replication, names=names, teams=teams, columns=columns, cases=cases or {}
        )


@dataclass(frozen=True)
class EventLog:
    """One replication's events as columns (see :data:`COLUMNS`), in emission order."""

    replication: int
    names: tuple[str, ...]  # event code -> name
    teams: tuple[str, ...]  # team code -> name (place pools follow, for PLACE rows)
    columns: dict[str, np.ndarray]
    # Per-case columns, indexed by case id (see :data:`CASE_COLUMNS`); empty if not known.
    cases: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns["case"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def digest(self) -> str:
        """A SHA-256 of every column, for reproducibility checks.

        Each column's bytes are hashed where they lie (a contiguous column is not copied: a
        national year's log is hundreds of megabytes).
        """
        import hashlib

        h = hashlib.sha256()
        for name, _ in COLUMNS:
            h.update(name.encode())
            h.update(np.ascontiguousarray(self.columns[name]).data.cast("B"))
        h.update("\n".join(self.names).encode())
        return h.hexdigest()

    def release(self, *names: str) -> None:
        """Let go of columns ``names`` (their memory is freed if nothing else holds them).

        For a caller that owns the log and reads it no further (``metrics.measure`` with
        ``release``): reading a released column afterwards raises ``KeyError``.
        """
        for name in names:
            self.columns.pop(name, None)


@dataclass(frozen=True)
class Snapshots:
    """What the engine counted at the end of each week: (day, subject, measure, value) rows."""

    replication: int
    day: np.ndarray
    subject: tuple[str, ...]
    measure: tuple[str, ...]
    value: np.ndarray

    def series(self, subject: str, measure: str) -> tuple[np.ndarray, np.ndarray]:
        """(days, values) of one measure of one subject."""
        mask = np.array(
            [
                s == subject and m == measure
                for s, m in zip(self.subject, self.measure, strict=True)
            ],
            dtype=bool,
        )
        return self.day[mask], self.value[mask]


def row_writer(log: LogBuilder) -> Callable[..., None]:
    """A fast appender of one event-log row: packed into ``log.pending`` in one call.

    Call ``log.flush`` now and then (the run does, daily, past ``FLUSH_BYTES``) to keep
    ``pending`` small; ``freeze`` flushes what is left.
    """
    pack, extend = _ROW.pack, log.pending.extend

    def row(
        case: int,
        day: int,
        event: int,
        kind: int,
        team: int = -1,
        worker: int = -1,
        released: float = math.nan,
        started: float = math.nan,
        hours: float = math.nan,
        due: int = NO_DUE,
    ) -> None:
        extend(pack(case, day, event, kind, team, worker, released, started, hours, due))

    return row


#: Weekly counts that join across independent parts by their maximum (the rest add up).
_JOINED_BY_MAX = frozenset({"most_over_limit"})


class LogJoiner:
    """Independent parts' logs joined into one as each part ends (see :func:`join_logs`).

    Each part's columns are appended to the joined columns and released at once, so joining
    needs the joined log and one part's, never the parts' logs and the joined log together.
    """

    def __init__(self) -> None:
        self.columns = {name: array(_ARRAY_CODES[code]) for name, code in COLUMNS}
        # per-case columns (``birth`` and any traits), made on the first part: name -> (type, data)
        self.cases: dict[str, tuple[np.dtype, bytearray]] | None = None
        self.with_cases = True
        self.offset = 0  # cases in the parts joined so far
        self.servers: np.ndarray | None = None  # servers of each team in the parts so far
        self.about: tuple[int, tuple[str, ...], tuple[str, ...]] | None = None

    def add(self, log: EventLog, servers: tuple[int, ...]) -> None:
        """Append part ``log`` (``servers``: its servers in post by team); empties its columns."""
        if self.about is None:
            self.about = (log.replication, log.names, log.teams)
        teams = len(servers)
        if self.servers is None:
            self.servers = np.zeros(teams, dtype=np.int64)
        offset = self.offset
        cases = int(log["case"].max()) + 1 if len(log) else 0
        # "worker" before "team": shifting server ids reads the part's team column
        for name, code in sorted(COLUMNS, key=lambda column: column[0] == "team"):
            piece = log.columns.pop(name)
            if name == "case":
                piece = piece.astype(code)
                piece += offset
            elif name == "worker" and teams:
                team = log.columns["team"]
                held = (piece >= 0) & (team >= 0) & (team < teams)
                shift = self.servers[np.where(held, team, 0)]
                piece = piece.astype(code)
                piece += np.where(held, shift, 0).astype(piece.dtype)
            self.columns[name].frombytes(np.ascontiguousarray(piece, dtype=code).tobytes())
            del piece
        if self.cases is None:
            self.cases = {name: (column.dtype, bytearray()) for name, column in log.cases.items()}
        self.with_cases = self.with_cases and bool(log.cases) and set(log.cases) == set(self.cases)
        if self.with_cases:
            for name, (dtype, joined) in self.cases.items():
                own = np.zeros(cases, dtype=dtype)
                piece = log.cases[name][:cases]
                own[: len(piece)] = piece
                joined += own.tobytes()
        self.offset += cases
        self.servers += np.asarray(servers, dtype=np.int64)

    def freeze(self) -> EventLog:
        """The joined log (its columns are views on the joiner's, which is not added to again)."""
        assert self.about is not None, "no part was joined"
        replication, names, teams = self.about
        columns = {name: np.frombuffer(self.columns[name], dtype=code) for name, code in COLUMNS}
        cases = (
            {
                name: np.frombuffer(joined, dtype=dtype)
                for name, (dtype, joined) in self.cases.items()
            }
            if self.with_cases and self.cases is not None
            else {}
        )
        return EventLog(
            replication=replication, names=names, teams=teams, columns=columns, cases=cases
        )


def join_logs(logs: list[EventLog], servers: list[tuple[int, ...]]) -> EventLog:
    """Independent parts' logs as one: part after part, case ids and server ids following on.

    ``servers[i]`` is part i's servers in post by team: part i's server k of team t becomes
    server k + (servers of team t in parts before i). Each part's columns are released as soon
    as they are copied (:class:`LogJoiner`, which a run of many parts uses as each part ends).
    """
    joiner = LogJoiner()
    for log, own in zip(logs, servers, strict=True):
        joiner.add(log, own)
    return joiner.freeze()


def join_snapshots(parts: list[Snapshots]) -> Snapshots:
    """Independent parts' weekly counts as one: added up (the largest, for ``most_*``)."""
    first = parts[0]
    for other in parts[1:]:
        if (
            other.subject != first.subject
            or other.measure != first.measure
            or not np.array_equal(other.day, first.day)
        ):
            raise ValueError("the parts' weekly counts do not line up")
    values = np.stack([p.value for p in parts])
    by_max = np.array([m in _JOINED_BY_MAX for m in first.measure], dtype=bool)
    value = np.where(by_max, values.max(axis=0), values.sum(axis=0))
    return Snapshots(first.replication, first.day, first.subject, first.measure, value)
