"""Allocation: which worker holds which case, the waiting list, and staff leaving and starting.

Each team with load limits allocates a case to the worker with most room (``pools``); when
nobody has room the case waits unallocated, in order, and is allocated as room is freed
(:meth:`Allocation.fill`). Leavers (at the team's turnover rate) hand their cases back to the
waiting list and their post holds nothing until it is refilled.
"""

from __future__ import annotations

import heapq

import numpy as np

from casejourney.engine.state import ALLOCATE, LEAVER, RunState, trait

_LOOK_AHEAD = 8  # waiting cases tried when the first does not fit


@trait
class Allocation(RunState):
    """Cases joining and leaving teams' workers."""

    def join_team(self, case: int, state: int, index: int) -> int:
        """Hand the case to a team: allocate a server with room, or add it to the waiting list."""
        team = self.teams[index]
        team.background += self.casework[state]
        if not team.with_limits:
            return -1
        server = team.pick(self.points[state])
        if server < 0:
            team.waiting.append(case)
            team.unallocated += 1
        self.holder[case] = server
        return server

    def leave_team(self, case: int, state: int, index: int) -> bool:
        """The case leaves a team: free its server's room; True if room was freed."""
        team = self.teams[index]
        team.background -= self.casework[state]
        if not team.with_limits:
            return False
        server = self.holder[case]
        self.holder[case] = -1
        if server >= 0:
            team.release(server, self.points[state])
            return True
        team.unallocated -= 1
        return False

    def move_within(self, case: int, prev: int, new: int, index: int) -> tuple[int, bool]:
        """The case moves between two states of one team (its load points may change).

        Returns its server (-1: waiting) and whether room was freed for waiting cases.
        """
        team = self.teams[index]
        team.background += self.casework[new] - self.casework[prev]
        server = self.holder[case]
        if not team.with_limits or server < 0:
            return server, False
        change = self.points[new] - self.points[prev]
        if change == 0:
            return server, False
        if team.load[server] + change <= team.limits[server] + 1e-9:
            team.load[server] += change
            heapq.heappush(team.alloc, (-(team.limits[server] - team.load[server]), server))
            return server, change < 0
        team.release(server, self.points[prev])
        moved = team.pick(self.points[new])
        self.holder[case] = moved
        if moved < 0:
            team.waiting.append(case)
            team.unallocated += 1
        return moved, True

    def fill(self, index: int, day: int) -> None:
        """Allocate waiting cases in order while servers have room.

        A case too big for any server's room waits without holding up the next few.
        """
        team = self.teams[index]
        waiting = team.waiting
        skipped: list[int] = []
        while waiting and len(skipped) < _LOOK_AHEAD:
            case = waiting.popleft()
            state = self.state[case]
            if self.holder[case] >= 0 or self.state_team[state] != index or case in skipped:
                continue
            server = team.pick(self.points[state])
            if server < 0:
                skipped.append(case)
                continue
            team.unallocated -= 1
            self.holder[case] = server
            self.row(case, day, state, ALLOCATE, index, server)
            if self.deferred[case]:
                self.deferred[case] = 0
                self.stay(case, state, day, self.entries[case], server, float(day), None, False)
            elif self.work_left[case]:
                self.release_work(case, state, self.entries[case], self.exit_at[case], float(day))
        waiting.extendleft(reversed(skipped))

    def staff_changes(self, index: int, day: int) -> None:
        """A week's leavers and new starters in a team that holds cases.

        Leavers are drawn at the team's turnover rate (its agency workers' at theirs); each one's
        cases go back to the waiting list (work on them starts again when they are allocated), and
        the post holds no cases until it is filled ``refill`` (``agency_refill``) days later.
        """
        spec = self.model.teams[index]
        team = self.teams[index]
        vacant = self.vacant_until[index]
        while vacant and vacant[0][0] <= day:
            _, server, limit = heapq.heappop(vacant)
            team.limits[server] = limit
            heapq.heappush(team.alloc, (-(limit - team.load[server]), server))
        empty = {server for _, server, _ in vacant}
        agency = min(spec.agency, team.servers)
        groups = [(0, team.servers - agency, spec.turnover, spec.refill)]
        if agency:
            groups.append((team.servers - agency, agency, spec.agency_turnover, spec.agency_refill))
        for first, posts, rate, refill in groups:
            self.leavers(index, day, first, posts, rate, refill, empty)

    def leavers(
        self,
        index: int,
        day: int,
        first: int,
        posts: int,
        rate: float,
        refill: int,
        empty: set[int],
    ) -> None:
        """A week's leavers among servers ``first .. first + posts - 1`` leaving at ``rate``."""
        team = self.teams[index]
        vacant = self.vacant_until[index]
        filled = sum(1 for s in range(first, first + posts) if s not in empty)
        expected = filled * rate * 7 / 365.25
        leavers = int(self.streams.turnover_rng.poisson(expected)) if expected > 0 else 0
        if leavers:
            chosen = (first + self.streams.turnover_rng.permutation(posts)).tolist()
            gone = [s for s in chosen if s not in empty][:leavers]
            holder = np.frombuffer(self.holder, dtype=np.int32)
            state = np.frombuffer(self.state, dtype=np.int16)
            own = np.asarray(self.state_team, dtype=np.int64)[np.maximum(state, 0)] == index
            for server in gone:
                heapq.heappush(vacant, (day + refill, server, team.limits[server]))
                team.limits[server] = 0.0
                for case in np.flatnonzero((holder == server) & own & (state >= 0)).tolist():
                    current = self.state[case]
                    if self.terminal[current]:
                        continue
                    team.release(server, self.points[current])
                    self.holder[case] = -1
                    team.waiting.append(case)
                    team.unallocated += 1
                    self.row(case, day, current, LEAVER, index, server)
                    if (
                        self.pace[current] > 0
                        and self.effort_of[current]
                        and not self.deferred[case]
                    ):
                        self.work_left[case] = 1  # the new server starts the state's own work again
        self.fill(index, day)
