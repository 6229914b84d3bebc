"""A team of servers: who holds which case (load points), and a queue of work they serve.

Generic: servers, points, keys and pieces of work. The run loop (``run.py``) decides what is
queued and when; this module keeps the bookkeeping that has to be fast and never over capacity.
"""

from __future__ import annotations

import heapq
from collections import deque

from casejourney.engine.actions import Work, record


class ServerPool:
    """A team's servers, queue and loads during a run."""

    __slots__ = (
        "alloc",
        "background",
        "busy",
        "by_key",
        "casework_backlog",
        "casework_hours",
        "casework_unmet",
        "edf",
        "held",
        "hours_available",
        "hours_per_day",
        "hours_worked",
        "idle",
        "keys",
        "later",
        "later_day",
        "limits",
        "load",
        "queued",
        "queued_hours",
        "servers",
        "triage",
        "triage_hours",
        "unallocated",
        "waiting",
        "with_limits",
        "worked_by_day",
    )

    def __init__(
        self,
        limits: tuple[float | None, ...],
        hours_per_day: float,
        edf: bool,
        triage: float = 1.0,
        triage_days: float = 0.0,
    ) -> None:
        self.servers = len(limits)
        self.with_limits = any(limit is not None for limit in limits)
        self.limits = [float(limit) if limit is not None else 0.0 for limit in limits]
        self.load = [0.0] * self.servers
        self.held = [0] * self.servers
        self.hours_per_day = hours_per_day
        # The queue, as a deque of work per key and a heap of the keys: the key is the due day
        # (earliest due first) or 0 (first come first served: work is queued in the order it is
        # released). Within a key, the piece queued first goes first.
        self.edf = edf
        self.by_key: dict[int, deque[Work]] = {}
        self.keys: list[int] = []
        # Servers free since before the current day are interchangeable (work they start starts
        # at the same moment), so they wait in a plain stack; those that become free during the
        # day wait in `later` (ordered only if the stack runs dry); those busy beyond it in a heap.
        self.idle: list[int] = list(range(self.servers - 1, -1, -1))
        self.later: list[tuple[float, int]] = []
        self.later_day = -1
        self.busy: list[tuple[float, int]] = []
        self.alloc: list[tuple[float, int]] = [(-lim, s) for s, lim in enumerate(self.limits)]
        heapq.heapify(self.alloc)
        self.waiting: deque[int] = deque()
        self.unallocated = 0
        self.background = 0.0  # casework hours a week of the cases in the team's states
        self.queued = 0
        self.queued_hours = 0.0
        # under a backlog of triage_hours queued, a piece gets only `triage` of its effort
        self.triage = triage
        self.triage_hours = triage_days * hours_per_day * self.servers
        self.hours_worked = 0.0
        self.hours_available = 0.0
        self.casework_hours = 0.0
        self.casework_unmet = 0.0  # this week's casework the team had no hours for
        self.casework_backlog = 0.0  # casework owed, worked down when the team has spare hours
        # hours worked on queued work by open day (the run sizes it: one entry per open day)
        self.worked_by_day: list[float] = []

    def queued_items(self) -> list[Work]:
        """Everything queued, in the order it would be served."""
        return [item for key in sorted(self.by_key) for item in self.by_key[key]]

    def put(self, item: Work) -> None:
        """Queue a piece of work (under its due day, if earliest due first).

        With triage, the piece's hours shrink with the backlog already queued.
        """
        case, token, code, hours, due, released, rule, limit = item
        if self.triage < 1.0 and self.queued_hours > 0:
            depth = min(1.0, self.queued_hours / self.triage_hours) if self.triage_hours else 1.0
            hours *= 1.0 - (1.0 - self.triage) * depth
            item = record(Work, (case, token, code, hours, due, released, rule, limit))
        key = due if self.edf else 0
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key[key] = deque()
            heapq.heappush(self.keys, key)
        found.append(item)
        self.queued += 1
        self.queued_hours += hours

    def free_before(self, end_of_day: float) -> bool:
        """Whether a server is free before ``end_of_day`` (open-day clock)."""
        return bool(self.idle or self.later or (self.busy and self.busy[0][0] < end_of_day))

    def start_day(self, k: int) -> None:
        """Servers that became free before open day ``k`` are idle from its start."""
        if self.later_day != k:
            self.idle.extend(server for _, server in self.later)
            self.later.clear()
            self.later_day = k
        busy = self.busy
        while busy and busy[0][0] <= k:
            self.idle.append(heapq.heappop(busy)[1])

    def pick(self, points: float) -> int:
        """The server with most room, if it has room for ``points``; else -1."""
        alloc, limits, load = self.alloc, self.limits, self.load
        while alloc:
            room, server = alloc[0]
            actual = limits[server] - load[server]
            if -room != actual:
                heapq.heappop(alloc)
                continue
            if actual + 1e-9 < points:
                return -1
            heapq.heapreplace(alloc, (-(actual - points), server))
            load[server] += points
            self.held[server] += 1
            return server
        return -1

    def release(self, server: int, points: float) -> None:
        """Take ``points`` off ``server``'s load."""
        self.load[server] -= points
        self.held[server] -= 1
        heapq.heappush(self.alloc, (-(self.limits[server] - self.load[server]), server))
        if len(self.alloc) > 4 * self.servers + 1024:
            self.alloc = [
                (-(lim - ld), s)
                for s, (lim, ld) in enumerate(zip(self.limits, self.load, strict=True))
            ]
            heapq.heapify(self.alloc)
