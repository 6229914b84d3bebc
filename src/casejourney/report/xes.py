"""A results folder's event logs as IEEE 1849-2016 XES, for process-mining tools.

Consumes ``events/replication-NNNN.parquet`` and ``run.json`` (and the workflow, for labels);
produces ``events/replication-NNNN.xes.gz``: the journey (states entered and left, visits and
meetings, milestones) as one trace per case, valid against the standard's XML Schema, and beside
it ``replication-NNNN-engine.xes.gz``: the engine's own records (work done, allocations, places,
queues) for whoever wants to mine the workload. Case identifiers are the simulation's own case
numbers: no person is behind them. The writer streams: one pass, one string per event.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import quoteattr

import numpy as np

from casejourney.errors import CasejourneyError
from casejourney.spec.resolve import Workflow

__all__ = [
    "ENGINE_KINDS",
    "JOURNEY_KINDS",
    "XES_VERSION",
    "XesError",
    "label",
    "labels_of",
    "write_xes",
]

#: The ``xes.version`` of the log element (the schema types it ``xs:decimal``).
XES_VERSION = "1.0"
#: Event-log kinds that are the child's journey; the rest are the engine's bookkeeping.
JOURNEY_KINDS = ("enter", "task", "mark")
ENGINE_KINDS = ("work", "allocate", "place", "drop", "queued", "overflow")

# The standard extensions used (IEEE 1849-2016, section 7), with their defining URIs.
_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
)
_COLUMNS = ["case", "date", "event", "kind", "team", "worker", "due_date"]


class XesError(CasejourneyError):
    """A results folder's event log cannot be written as XES."""


def _timestamp(day: dt.date) -> str:
    """An xs:dateTime for a simulated day (midnight UTC: the simulation counts whole days)."""
    return f"{day.isoformat()}T00:00:00.000+00:00"


def _string(key: str, value: str) -> str:
    return f'<string key="{key}" value={quoteattr(value)}/>'


def _header(record: Mapping[str, Any], replication: int, engine: bool) -> str:
    scenario = str(record.get("scenario", "scenario"))
    seed = record.get("settings", {}).get("seed")
    parts = [f'<log xes.version="{XES_VERSION}">']
    parts += [f'<extension name="{n}" prefix="{p}" uri="{u}"/>' for n, p, u in _EXTENSIONS]
    parts += [
        '<global scope="trace">',
        _string("concept:name", "UNKNOWN"),
        "</global>",
        '<global scope="event">',
        _string("concept:name", "UNKNOWN"),
        '<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>',
        _string("lifecycle:transition", "complete"),
        "</global>",
        # classifier names are xs:NCName: no spaces
        '<classifier name="Activity" keys="concept:name"/>',
        '<classifier name="ActivityAndLifecycle" keys="concept:name lifecycle:transition"/>',
        _string(
            "concept:name",
            f"{scenario}, replication {replication}" + (", engine records" if engine else ""),
        ),
        _string("lifecycle:model", "standard"),
        _string("source", "casejourney simulation (simulated cases, no personal data)"),
        _string("scenario", scenario),
        _string("authority", str(record.get("authority", ""))),
        f'<int key="replication" value="{replication}"/>',
    ]
    if isinstance(seed, int):
        parts.append(f'<int key="seed" value="{seed}"/>')
    return "\n".join(parts) + "\n"


def labels_of(workflow: Workflow | None) -> dict[str, str]:
    """Human names for the event log's ids: states, activities, and milestones like ``age:15``."""
    if workflow is None:
        return {}
    names = {s.id: s.label for s in workflow.states.values()}
    names.update({a.id: a.label for a in workflow.activities.values()})
    return names


def label(ident: str, names: Mapping[str, str]) -> str:
    """An event-log id in words: its label in the workflow, or ``age:15`` → "Reaches age 15"."""
    if ident in names:
        return names[ident]
    if ident.startswith("age:"):
        return f"Reaches age {ident[4:]}"
    return ident.replace("_", " ").capitalize()


class _Log:
    """One replication's event log, columnar and ordered case by case (as the engine wrote)."""

    def __init__(self, table: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        def codes(name: str) -> tuple[np.ndarray, list[str]]:
            column = table[name].combine_chunks()
            if not pa.types.is_dictionary(column.type):
                column = pc.dictionary_encode(column)
            values = [("" if v is None else str(v)) for v in column.dictionary.to_pylist()]
            index = column.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)
            return index.astype(np.int64), [*values, ""]

        self.case = table["case"].to_numpy().astype(np.int64)
        self.day = table["date"].cast(pa.int32()).to_numpy().astype(np.int64)
        self.event, self.events = codes("event")
        self.kind, self.kinds = codes("kind")
        self.team, self.teams = codes("team")
        self.worker = table["worker"].to_numpy().astype(np.int64)
        due = table["due_date"].cast(pa.int32())
        self.due = due.fill_null(-(2**31)).to_numpy().astype(np.int64)

    def rows(self, kinds: Sequence[str]) -> np.ndarray:
        """Positions of the rows of ``kinds``, case by case, each case's in the order written."""
        wanted = np.isin(np.asarray(self.kinds, dtype=object), list(kinds))
        keep = np.flatnonzero(wanted[self.kind])
        result: np.ndarray = keep[np.argsort(self.case[keep], kind="stable")]
        return result

    def lists(self) -> None:
        """Python lists of the columns: a list item is many times quicker to get than a numpy one."""
        self.day_of: list[int] = self.day.tolist()
        self.event_of: list[int] = self.event.tolist()
        self.kind_of: list[int] = self.kind.tolist()
        self.team_of: list[int] = self.team.tolist()
        self.worker_of: list[int] = self.worker.tolist()
        self.due_of: list[int] = self.due.tolist()


_EPOCH = dt.date(1970, 1, 1)
#: zlib level 1: a third of level 9's time for XES, whose repeated tags compress well at any level.
_GZIP_LEVEL = 1
_NO_DUE = -(2**31)


class _Writer:
    """Turns rows into XES text in one pass.

    Everything that does not depend on the event's place in its case (its name, team, worker,
    kind and due date, escaped once) is put together per row before the pass, so writing an
    event is one string join.
    """

    def __init__(self, log: _Log, replication: int, names: Mapping[str, str]) -> None:
        log.lists()
        self.log = log
        self.replication = replication
        stamps: dict[int, str] = {}

        def stamp(day: int) -> str:
            found = stamps.get(day)
            if found is None:
                found = stamps[day] = _timestamp(_EPOCH + dt.timedelta(days=day))
            return found

        heads = [
            f'<event><string key="concept:name" value={quoteattr(label(e, names))}/>'
            '<date key="time:timestamp" value="'
            for e in log.events
        ]
        ids = [quoteattr(e) for e in log.events]
        kinds = [quoteattr(k) for k in log.kinds]
        groups = [f'<string key="org:group" value={quoteattr(t)}/>' if t else "" for t in log.teams]
        resources: dict[tuple[int, int], str] = {}

        def resource(team: int, worker: int) -> str:
            found = resources.get((team, worker))
            if found is None:
                name = log.teams[team]
                found = resources[(team, worker)] = groups[team] + (
                    f'<string key="org:resource" value={quoteattr(f"{name} worker {worker}")}/>'
                    if worker >= 0 and name
                    else ""
                )
            return found

        #: per row: the timestamp of its day
        self.stamp = [stamp(d) for d in log.day_of]
        #: per row: what comes before the timestamp
        self.head = [heads[c] for c in log.event_of]
        #: per row: the team and worker
        self.who = [resource(t, w) for t, w in zip(log.team_of, log.worker_of, strict=True)]
        #: per row: what ends the event, without and with its due date
        self.tail = [
            f'<string key="activity_id" value={ids[c]}/><string key="kind" value={kinds[k]}/>'
            for c, k in zip(log.event_of, log.kind_of, strict=True)
        ]
        self.due = [
            "" if d == _NO_DUE else f'<date key="due" value="{stamp(d)}"/>' for d in log.due_of
        ]

    def event(self, row: int, transition: str, when: int, order: int, ident: str, due: bool) -> str:
        """Row ``row`` as an event on the day of row ``when``, ``order``-th of case ``ident``."""
        return (
            f'{self.head[row]}{self.stamp[when]}"/><string key="lifecycle:transition" '
            f'value="{transition}"/>{self.who[row]}<string key="event_id" value="{ident}-{order}"/>'
            f'<int key="order" value="{order}"/>{self.tail[row]}'
            f"{self.due[row] if due else ''}</event>"
        )


def _cases(log: _Log, rows: np.ndarray) -> Iterator[tuple[int, list[int]]]:
    """(case number, its rows) for each case in ``rows`` (which come case by case)."""
    if not len(rows):
        return
    cases = log.case[rows]
    bounds = [0, *(np.flatnonzero(np.diff(cases)) + 1).tolist(), len(rows)]
    positions: list[int] = rows.tolist()
    numbers: list[int] = cases.tolist()
    for low, high in itertools.pairwise(bounds):
        yield numbers[low], positions[low:high]


def _journey(
    writer: _Writer, rows: np.ndarray, terminal: set[str], initial: str | None, start: int
) -> Iterator[str]:
    """Each case's journey as a trace, cases in number order, events in the order they happened.

    A stay in a state is an activity: ``start`` when the case enters, ``complete`` when it moves
    on (reaching a terminal state is one ``complete``). Visits, meetings and milestones are
    ``complete``. ``order`` numbers the events of a case, so that events on the same day (a
    referral and its decision) keep their order in tools that sort by time. A case already open
    on the first simulated day (back-dated, or first seen in a state other than the first) is
    marked ``open_at_start``.
    """
    log = writer.log
    enter = log.kinds.index("enter") if "enter" in log.kinds else -1
    ends = {i for i, name in enumerate(log.events) if name in terminal}
    first_state = log.events.index(initial) if initial in log.events else -1
    days, kinds, codes = log.day_of, log.kind_of, log.event_of
    # the loop below is the writer's hot path: everything it needs is a local list
    head, stamp, who, tail, due = writer.head, writer.stamp, writer.who, writer.tail, writer.due
    lifecycle = '"/><string key="lifecycle:transition" value="'
    for case, chunk in _cases(log, rows):
        first = chunk[0]
        open_at_start = days[first] < start or (
            kinds[first] == enter and first_state >= 0 and codes[first] != first_state
        )
        ident = f"{writer.replication}-{case}"
        events: list[str] = []
        open_row = -1
        for row in chunk:
            if kinds[row] == enter:
                if open_row >= 0:  # the stay in the state it leaves is complete
                    n = len(events)
                    events.append(
                        f'{head[open_row]}{stamp[row]}{lifecycle}complete"/>{who[open_row]}'
                        f'<string key="event_id" value="{ident}-{n}"/><int key="order" '
                        f'value="{n}"/>{tail[open_row]}</event>'
                    )
                    open_row = -1
                transition = "complete" if codes[row] in ends else "start"
                if transition == "start":
                    open_row = row
            else:
                transition = "complete"
            n = len(events)
            events.append(
                f'{head[row]}{stamp[row]}{lifecycle}{transition}"/>{who[row]}'
                f'<string key="event_id" value="{ident}-{n}"/><int key="order" value="{n}"/>'
                f"{tail[row]}{due[row]}</event>"
            )
        yield _trace(ident, case, open_at_start, events)


def _engine(writer: _Writer, rows: np.ndarray, start: int) -> Iterator[str]:
    """The engine's records of each case (work done, allocations, places, queues) as traces."""
    days = writer.log.day_of
    for case, chunk in _cases(writer.log, rows):
        ident = f"{writer.replication}-{case}"
        events = [writer.event(row, "complete", row, i, ident, True) for i, row in enumerate(chunk)]
        yield _trace(ident, case, days[chunk[0]] < start, events)


def _trace(ident: str, case: int, open_at_start: bool, events: list[str]) -> str:
    return (
        f'<trace><string key="concept:name" value="{ident}"/><int key="case" value="{case}"/>'
        f'<boolean key="open_at_start" value="{"true" if open_at_start else "false"}"/>'
        + "".join(events)
        + "</trace>\n"
    )


@contextmanager
def _open_text(path: Path, compress: bool) -> Iterator[IO[str]]:
    if compress:
        # mtime=0: the same log gives the same bytes
        with (
            path.open("wb") as raw,
            gzip.GzipFile(
                filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=_GZIP_LEVEL
            ) as zipped,
            io.TextIOWrapper(zipped, encoding="utf-8", newline="\n") as handle,
        ):
            yield handle
    else:
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            yield handle


def _write(target: Path, header: str, traces: Iterator[str], compress: bool) -> None:
    partial = target.with_name(f".{target.name}.partial")
    with _open_text(partial, compress) as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        handle.write(header)
        buffer: list[str] = []
        for trace in traces:
            buffer.append(trace)
            if len(buffer) >= 512:
                handle.write("".join(buffer))
                buffer.clear()
        handle.write("".join(buffer))
        handle.write("</log>\n")
    partial.replace(target)


def write_xes(
    folder: Path,
    record: Mapping[str, Any],
    workflow: Workflow | None,
    *,
    replications: Sequence[int] | None = None,
    compress: bool = True,
    engine: bool = True,
) -> list[Path]:
    """Write each replication's journey (and engine records) as IEEE 1849-2016 XES.

    Args:
        folder: a results folder written with an event log in Parquet.
        record: its ``run.json``.
        workflow: the authority's workflow (labels, terminal and initial states), if found.
        replications: which replications (default: every one in ``events/``).
        compress: gzip the XES (``.xes.gz``, which process-mining tools open directly).
        engine: also write the engine's records (``replication-NNNN-engine.xes.gz``).

    Returns:
        The files written: each replication's journey log, then its engine log.

    Raises:
        XesError: no event log in Parquet, or one cannot be read.

    """
    import pyarrow.parquet as pq

    logs = sorted((folder / "events").glob("replication-*.parquet"))
    if not logs:
        raise XesError(
            f"{folder}: no event log in Parquet (events/replication-*.parquet); simulate again "
            "with --event-log parquet (the default) or both"
        )
    wanted = set(replications) if replications is not None else None
    names = labels_of(workflow)
    terminal = {s.id for s in workflow.states.values() if s.terminal} if workflow else set()
    initial = workflow.initial_state if workflow else None
    try:
        start = (dt.date.fromisoformat(str(record["start"])) - _EPOCH).days
    except (KeyError, ValueError):
        raise XesError(f"{folder / 'run.json'}: no valid start date") from None
    suffix = ".xes.gz" if compress else ".xes"
    written: list[Path] = []
    for path in logs:
        number = int(path.stem.rsplit("-", 1)[1])
        if wanted is not None and number not in wanted:
            continue
        try:
            log = _Log(pq.read_table(path, columns=_COLUMNS))
        except Exception as exc:  # pyarrow raises several kinds; all mean "cannot read it"
            raise XesError(f"{path}: cannot read it as Parquet ({exc})") from None
        writer = _Writer(log, number, names)
        target = path.with_name(f"replication-{number:04d}{suffix}")
        traces = _journey(writer, log.rows(JOURNEY_KINDS), terminal, initial, start)
        _write(target, _header(record, number, False), traces, compress)
        written.append(target)
        if engine:
            target = path.with_name(f"replication-{number:04d}-engine{suffix}")
            _write(
                target,
                _header(record, number, True),
                _engine(writer, log.rows(ENGINE_KINDS), start),
                compress,
            )
            written.append(target)
    return written
