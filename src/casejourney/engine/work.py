"""Work: each team's queue of work and its servers' working day.

A piece of work (:class:`~casejourney.engine.actions.Work`) joins its team's queue when a case
enters a state with its own work or a task falls due; servers take it in earliest-due-date (or
first-come) order and, once started on an open day, work on it through their working hours until
it is done. Work that no longer applies when it comes up (the case moved on) is dropped and
recorded as such. Queued work comes before the cases' background casework: servers work it at
their whole rate, and the casework takes the hours left (the rest is carried as backlog).
"""

from __future__ import annotations

import heapq
import math

from casejourney.engine.actions import Done, Work, record
from casejourney.engine.pools import ServerPool
from casejourney.engine.state import DROP, NAN, NO_LIMIT, QUEUED, TASK, WORK, RunState, trait


def _spread(by_day: list[float], began: float, finish: float, rate: float) -> None:
    """Put a piece's hours on the open days it is worked on, at the server's rate."""
    k, last = int(began), math.ceil(finish) - 1
    by_day[k] += (k + 1 - began) * rate
    for on in range(k + 1, min(last, len(by_day))):
        by_day[on] += rate
    if last < len(by_day):
        by_day[last] += (finish - last) * rate


@trait
class Queues(RunState):
    """Teams' queues and shifts."""

    def on_done(self, action: Done) -> None:
        """A server finished a piece of work begun on an earlier day."""
        self.done(action.item, action.team, action.server, action.started)

    def shift(self, index: int, day: int) -> None:
        """One team's working day: serve the queue, then handle what finished today."""
        self.today = day
        offset = day - self.first
        if not self.open[offset]:
            return
        team = self.teams[index]
        k = self.rank[offset]
        rate = team.hours_per_day  # timed work first, at the worker's whole rate
        hours = team.hours_per_day * team.servers
        team.hours_available += hours
        while True:
            self.serve(index, team, day, k, rate)
            if not self.pending:
                break
            self.drain()
            if not team.keys or not team.free_before(k + 1):
                break
        # the cases' casework takes the day's hours that queued work left; what does not fit is
        # not dropped but carried as the team's backlog
        wanted = team.background / 5.0
        given = min(wanted, max(0.0, hours - team.worked_by_day[k]))
        team.casework_hours += given
        if wanted > given:
            team.casework_unmet += wanted - given

    def serve(self, index: int, team: ServerPool, day: int, k: int, rate: float) -> None:
        """Start queued work while a server is free before the end of day ``k`` (open-day clock).

        A server's clock counts open days: day ``k`` is [k, k + 1). Work released earlier is
        available from the start of the day; work released today (at a fraction of the day, for
        queueing checks) from then.
        """
        team.start_day(k)
        idle, later, busy = team.idle, team.later, team.busy
        heappop, heappush = heapq.heappop, heapq.heappush
        end_of_day = k + 1
        open_list = self.open_list
        entries, active, lead = self.entries, self.active, self.lead_rule
        bucket, start, end = self.bucket, self.start, self.end
        by_key, keys = team.by_key, team.keys
        by_day = team.worked_by_day
        today: list[tuple[Work, int, float]] = []
        while keys and (idle or later or (busy and busy[0][0] < end_of_day)):
            key = keys[0]
            waiting = by_key[key]
            item = waiting.popleft()
            if not waiting:
                heappop(keys)
                del by_key[key]
            case, token, _, hours, _, released, rule, _ = item
            team.queued -= 1
            team.queued_hours -= hours
            if rule < 0:
                ok = entries[case] == token
            elif lead[rule]:
                ok = not self.terminal[self.state[case]]
            else:
                ok = active[rule].get(case) == token
            if not ok:
                self.drop(item, index, day)
                continue
            if idle:
                server = idle.pop()
                began = float(k)
            else:
                if later:  # the stack ran dry: order the servers freed today
                    busy.extend(later)
                    later.clear()
                    heapq.heapify(busy)
                at, server = heappop(busy)
                began = at if at > k else k
            if released > day:
                position = k + (released - day)
                if position > began:
                    began = position
            finish = began + hours / rate
            if finish < end_of_day and idle:
                later.append((finish, server))  # not needed before the stack runs dry
            else:
                heappush(busy, (finish, server))
            last = math.ceil(finish) - 1
            if last <= k:
                by_day[k] += hours
                today.append((item, server, day + (began - k)))
            else:
                _spread(by_day, began, finish, rate)
                finish_day = open_list[last] if last < len(open_list) else end
                if finish_day < end:
                    found = bucket[finish_day - start]
                    assert found is not None
                    found.append(record(Done, (item, index, server, day + (began - k))))
        for item, server, started in today:  # finished today: in the order they were started
            self.done(item, index, server, started)

    def release_work(self, case: int, state: int, entry: int, due: int, at: float) -> None:
        """Put the state's own work in its team's queue."""
        effort = self.efforts[state]
        assert effort is not None
        self.teams[self.state_team[state]].put(
            record(Work, (case, entry, state, effort.next(), due, at, -1, NO_LIMIT))
        )

    def valid(self, item: Work) -> bool:
        """Whether queued work still applies."""
        case, token, rule = item.case, item.token, item.rule
        if rule < 0:
            return bool(self.entries[case] == token)
        if self.lead_rule[rule]:
            return not self.terminal[self.state[case]]
        return bool(self.active[rule].get(case) == token)

    def drop(self, item: Work, team: int, day: int) -> None:
        """Record queued work that no longer applies being taken off the queue."""
        self.row(
            item.case, day, item.code, DROP, team, -1, item.released, float(day), 0.0, item.due
        )

    def done(self, item: Work, team: int, server: int, started: float) -> None:
        """A server of ``team`` finished ``item``."""
        day = self.today
        case, token, code, hours, due, released, rule, limit = item
        if rule < 0:
            if self.entries[case] != token:
                self.drop(item, team, day)
                return
            self.row(case, day, code, WORK, team, server, released, started, hours, due)
            self.work_left[case] = 0
            if self.waiting[case]:
                self.waiting[case] = 0
                self.leave(case, day)
            return
        if day >= limit or not self.valid(item):
            self.drop(item, team, day)
            return
        if self.plain[rule] and not self.once_after.get(code):
            self.row(case, day, code, TASK, team, server, released, started, hours, due)
            found = self.chain[rule].get(case)
            if found is not None:
                self.plan_next(case, rule, token, day, found[0] + 1, found[1])
            return
        self.task_done(
            rule,
            case,
            day,
            team=team,
            server=server,
            asked=released,
            started=started,
            hours=hours,
            due=due,
        )

    def queued_at_end(self) -> None:
        """Record the work still queued when the run ends."""
        for index, team in enumerate(self.teams):
            for item in team.queued_items():
                if self.valid(item):
                    self.row(
                        item.case,
                        self.end - 1,
                        item.code,
                        QUEUED,
                        index,
                        -1,
                        item.released,
                        NAN,
                        item.hours,
                        item.due,
                    )
