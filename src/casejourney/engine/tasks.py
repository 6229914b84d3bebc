"""Tasks: what is owed while a case is in a rule's scope, when it is planned, and what follows.

Recurring tasks are one agenda action at a time: each occurrence done plans the
next. Once-tasks follow an anchor (an entry, a milestone, another task); lead tasks come a set
time before a booked event. Each is planned on its due day moved early or late by the practice's
punctuality (more often late when the worker holding the case is over the team's reference
load), then booked in a diary or released into its team's queue.
"""

from __future__ import annotations

import datetime as dt
import itertools
from calendar import monthrange
from collections.abc import Sequence

from casejourney.calendar import DayGrid, Unit
from casejourney.engine.actions import Mark, Meet, Prepare, Release, Work, record
from casejourney.engine.model import Offset, TaskKind, TaskRule
from casejourney.engine.records import NO_DUE
from casejourney.engine.shifts import Shifter, shifter
from casejourney.engine.state import MARK_ROW, NAN, NO_LIMIT, PREPARE, TASK, WORK, RunState, trait


class Timing:
    """A task rule's intervals as (shift function, n) pairs, ready for the hot path."""

    __slots__ = (
        "at_least",
        "band",
        "every",
        "every_unit",
        "first",
        "second",
        "then",
        "then_units",
        "within",
    )

    def __init__(self, rule: TaskRule, grid: DayGrid) -> None:
        def compiled(offset: Offset | None) -> tuple[Shifter, int] | None:
            return None if offset is None else (shifter(grid, offset.unit), offset.n)

        self.every = compiled(rule.every)
        self.every_unit = (
            (self.every[0], self.every[1], rule.every.unit)
            if self.every is not None and rule.every is not None
            else None
        )
        self.then_units = [step.unit for _, step in rule.then]
        self.first = compiled(rule.first) or self.every
        self.second = compiled(rule.second)
        self.then = [(compiled(after), compiled(step)) for after, step in rule.then]
        self.within = compiled(rule.within)
        self.at_least = compiled(rule.at_least)
        # ages in months at an occurrence's opening for which the rule is owed: [low, high)
        self.band = (
            rule.min_age_months if rule.min_age_months is not None else 0,
            rule.max_age_months if rule.max_age_months is not None else NO_LIMIT,
        )


def age_groups(rules: Sequence[TaskRule]) -> list[tuple[int, ...]]:
    """For each rule, the recurring rules with age bands that share its chain (() for none).

    Rules for the same task, scope and traits with age bands (``TaskRule.min_age_months``) are one chain of
    occurrences, each timed by the rule whose band holds the case's age; their bands must not
    overlap.
    """
    groups: dict[tuple[int, frozenset[int] | None, object], list[int]] = {}
    for index, rule in enumerate(rules):
        if rule.kind is TaskKind.RECURRING and rule.banded:
            groups.setdefault((rule.task, rule.scope, rule.traits), []).append(index)
    out: list[tuple[int, ...]] = [()] * len(rules)
    for members in groups.values():
        bands = sorted(
            (r.min_age_months or 0, r.max_age_months if r.max_age_months is not None else NO_LIMIT)
            for r in (rules[i] for i in members)
        )
        for (_, high), (low, _) in itertools.pairwise(bands):
            if low < high:
                raise ValueError(
                    f"task rules {[rules[i].name for i in members]} have overlapping age bands"
                )
        for index in members:
            out[index] = tuple(members)
    return out


@trait
class Tasks(RunState):
    """Tasks planned, released, booked and done."""

    def on_release(self, action: Release) -> None:
        """A task's planned day: queue its work, or record it done if it needs none."""
        index, case, token, due, limit, asked = action
        if self.lead_rule[index]:
            if self.terminal[self.state[case]]:
                return
        elif self.active[index].get(case) != token:
            return
        rule = self.tasks[index]
        team = rule.team
        if team == -1:
            team = self.state_team[self.state[case]]
        elif team == -2:
            team = -1
        effort = self.task_efforts[index]
        if team < 0 or effort is None:
            if self.today < limit:
                self.task_done(index, case, self.today, asked=asked, due=due)
            return
        self.teams[team].put(
            record(Work, (case, token, rule.task, effort.next(), due, asked, index, limit))
        )

    def on_meet(self, action: Meet) -> None:
        """A booked task takes place (if it still applies)."""
        rule, case, token, due, asked = action
        if self.active[rule].get(case) == token:
            self.booked[rule].pop(case, None)
            self.task_done(rule, case, self.today, asked=asked, due=due)

    def on_prepare(self, action: Prepare) -> None:
        """Preparing for a booked task (reports) joins the queue (if the task still applies)."""
        rule, case, token, booked_day = action
        if self.active[rule].get(case) == token:
            team = self.task_team(case, self.tasks[rule])
            effort = self.task_efforts[rule]
            if team >= 0 and effort is not None:
                code = self.tasks[rule].task
                work = Work(
                    case, token, code, effort.next(), booked_day, float(self.today), rule, booked_day
                )
                self.teams[team].put(work)

    def new_token(self) -> int:
        """A fresh token for a stretch in a rule's scope."""
        self.token += 1
        return self.token

    def owed_to(self, case: int, index: int) -> bool:
        """Whether the case has the traits a rule is owed for (``TaskRule.traits``)."""
        trait_of = self.trait_of
        return all(trait_of[t][case] in values for t, values in self.rule_traits[index])

    def start_rule(self, case: int, index: int, day: int) -> None:
        """The case entered a rule's scope on ``day`` (if the rule is owed to it)."""
        if self.rule_traits[index] and not self.owed_to(case, index):
            return
        group = self.age_group[index]
        if group:
            # one chain for the group: its first rule starts every member, then plans
            if index == group[0]:
                for member in group:
                    self.active[member][case] = self.new_token()
                    self.chain[member][case] = (0, day)
                self.plan_next(case, index, self.active[index][case], day, 0, day)
            return
        token = self.new_token()
        self.active[index][case] = token
        rule = self.tasks[index]
        if rule.kind is TaskKind.RECURRING:
            self.chain[index][case] = (0, day)
            self.plan_next(case, index, token, day, 0, day)

    def band_owner(self, case: int, group: tuple[int, ...], anchor: int) -> tuple[int, int]:
        """(rule, anchor) timing the occurrence that opens on ``anchor`` in an age-band group.

        The rule whose band holds the case's age on ``anchor``; else the rule whose band begins
        next, from the day it begins (-1 if none is left).
        """
        birth = self.birth[case]
        timing = self.timing
        best, start = -1, NO_LIMIT
        for member in group:
            low, high = timing[member].band
            begins = self.months_after(birth, low)
            if begins <= anchor:
                if high >= NO_LIMIT or anchor < self.months_after(birth, high):
                    return member, anchor
            elif begins < start:
                best, start = member, begins
        return best, (anchor if best < 0 else start)

    def months_after(self, day: int, months: int) -> int:
        """The first day ``months`` calendar months after ``day``.

        The same day of the month, or, where that month is too short (from the 29th to the
        31st), the first day of the next.

        Exact on any day, inside the run's grid or before it (a birth long before the start).
        """
        if months == 0:
            return day
        origin = self.grid.origin
        date = origin + dt.timedelta(days=day)
        year, month = divmod(date.year * 12 + date.month - 1 + months, 12)
        last = monthrange(year, month + 1)[1]
        if date.day <= last:
            return (dt.date(year, month + 1, date.day) - origin).days
        return (dt.date(year, month + 1, last) - origin).days + 1

    def due_after(self, index: int, count: int, anchor: int, entered: int) -> int:
        """The due day after ``count`` occurrences, the last on ``anchor`` (as tracking does)."""
        timing = self.timing[index]
        if count == 0:
            step = timing.first
        elif count == 1 and timing.second is not None:
            step = timing.second
        else:
            step = timing.every
            for after, later in timing.then:
                assert after is not None
                if after[0].at(entered, after[1]) <= anchor:
                    step = later
        assert step is not None
        return step[0].at(anchor, step[1])

    def jump(
        self, index: int, anchor: int, count: int, entered: int, today: int
    ) -> tuple[int, int]:
        """Skip whole intervals that end before ``today`` at once, where that is exact.

        Once the interval can no longer change (past the first two occurrences and every ``then``
        step), k intervals of days, weeks or working days (from a working day), or of months
        from a day of the month no later than the 28th, are one interval k times as long.
        """
        timing = self.timing[index]
        if count < 2 or timing.every is None:
            return anchor, count
        step = timing.every_unit
        assert step is not None
        for (after, later), later_unit in zip(timing.then, timing.then_units, strict=True):
            assert after is not None and later is not None
            if after[0].at(entered, after[1]) > anchor:
                return anchor, count
            step = (later[0], later[1], later_unit)
        shift, n, unit = step
        if unit is Unit.DAYS:
            longest = n
        elif unit is Unit.WEEKS:
            longest = 7 * n
        elif unit is Unit.WORKING_DAYS:
            longest = (7 * n) // 5 + 7  # at most: weekends and the Christmas bank holidays
        elif unit is Unit.MONTHS and self.grid.date(anchor).day <= 28:
            longest = 31 * n
        else:
            return anchor, count
        jumps = (today - anchor) // longest - 1
        if jumps < 1:
            return anchor, count
        return shift.at(anchor, n * jumps), count + jumps

    def plan_next(
        self, case: int, index: int, token: int, anchor: int, count: int, entered: int
    ) -> None:
        """Plan the next occurrence of a recurring task after one on ``anchor``."""
        group = self.age_group[index]
        today = self.today
        if group:
            found = self.banded_next(case, group, anchor, count, entered)
            if found is None:
                return
            index, anchor, count, due = found
            token = self.active[index].get(case, token)
        else:
            due = self.due_after(index, count, anchor, entered)
            while due < today:  # a case already open at the start: skip what fell due before
                anchor, count = self.jump(index, due, count + 1, entered, today)
                due = self.due_after(index, count, anchor, entered)
        self.chain[index][case] = (count, entered)
        rule = self.tasks[index]
        day = self.punctual_day(
            rule.punctuality,
            due,
            anchor + 1 if anchor + 1 > today else today,
            self.pressure(case, rule),
        )
        self.book_or_release(case, index, token, due, day, NO_LIMIT)

    def banded_next(
        self, case: int, group: tuple[int, ...], anchor: int, count: int, entered: int
    ) -> tuple[int, int, int, int] | None:
        """(rule, anchor, count, due) of the next occurrence in an age-band group (None: none).

        As ``plan_next``: occurrences that fell due before today are skipped, each timed by the
        rule owning the case's age on the day it opens.
        """
        today = self.today
        while True:
            index, anchor = self.band_owner(case, group, anchor)
            if index < 0:
                return None
            due = self.due_after(index, count, anchor, entered)
            if due >= today:
                return index, anchor, count, due
            months = self.timing[index].band[1]
            high = NO_LIMIT if months >= NO_LIMIT else self.months_after(self.birth[case], months)
            jumped, more = self.jump(index, due, count + 1, entered, min(today, high))
            anchor, count = (jumped, more) if jumped < high else (due, count + 1)

    def pressure(self, case: int, rule: TaskRule) -> float:
        """The load of the server holding ``case`` over its team's reference (1: no effect)."""
        team = self.state_team[self.state[case]]
        if team < 0 or (rule.team >= 0 and rule.team != team):
            return 1.0
        reference = self.references[team]
        holder = self.holder[case]
        if reference <= 0 or holder < 0:
            return 1.0
        return self.teams[team].load[holder] / reference

    def punctual_day(self, index: int, due: int, earliest: int, pressure: float = 1.0) -> int:
        """When a task due on ``due`` is planned (early, or late), not before ``earliest``.

        Under ``pressure`` (the server's load over the reference) the share done late is the
        practice's share times the pressure (at most all).
        """
        early, late = self.punctual_shift[index]
        if pressure == 1.0:
            code = self.punctual[index].next()
            day = late.at(due, code >> 1) if code & 1 else early.at(due, -(code >> 1))
        else:
            u, before, after = self.punctual_parts[index].next()
            share = (1.0 - self.model.punctuality[index].on_time) * pressure
            day = late.at(due, after) if u < share else early.at(due, -before)
        return day if day > earliest else earliest

    def book_or_release(
        self, case: int, index: int, token: int, due: int, day: int, limit: int
    ) -> None:
        """Book the task's slot, or plan its release into the queue on ``day``."""
        rule = self.tasks[index]
        if rule.slots >= 0:
            booked = self.book(rule.slots, day)
            self.booked[index][case] = booked
            self.schedule(booked, record(Meet, (index, case, token, due, float(self.today))))
            if self.task_efforts[index] is not None and booked < self.end:
                # preparation (reports) starts a fortnight before the booked_day
                prepare = max(self.today, self.working_shift.at(booked, -PREPARE))
                self.schedule(prepare, record(Prepare, (index, case, token, booked)))
            for lead in self.lead_for.get(rule.task, ()):
                self.trigger_lead(case, lead, booked)
            return
        for lead in self.lead_for.get(rule.task, ()):
            self.trigger_lead(case, lead, day)
        self.schedule(day, record(Release, (index, case, token, due, limit, float(day))))

    def task_team(self, case: int, rule: TaskRule) -> int:
        """Which team does the task: its own, or the team holding the case (-1: nobody)."""
        if rule.team >= 0:
            return rule.team
        if rule.team == -2:
            return -1
        return self.state_team[self.state[case]]

    def task_done(
        self,
        index: int,
        case: int,
        day: int,
        *,
        team: int = -1,
        server: int = -1,
        asked: float = NAN,
        started: float = NAN,
        hours: float = NAN,
        due: int = NO_DUE,
    ) -> None:
        """Record a task done, then plan what follows from it."""
        rule = self.tasks[index]
        if server >= 0 and rule.slots >= 0:
            # a server finished preparing for a booked task: work, not the task itself
            self.row(case, day, rule.task, WORK, team, server, asked, started, hours, due)
            return
        self.row(case, day, rule.task, TASK, team, server, asked, started, hours, due)
        if rule.kind is TaskKind.RECURRING:
            found = self.chain[index].get(case)
            token = self.active[index].get(case)
            if found is not None and token is not None:
                count, entered = found
                self.plan_next(case, index, token, day, count + 1, entered)
        for once in self.once_after.get(rule.task, ()):
            scope = self.tasks[once].scope
            if scope is None or self.state[case] in scope:
                self.trigger_once(case, once, day)

    def trigger_once(
        self, case: int, index: int, anchor: int, only_if_due_from: int | None = None
    ) -> None:
        """A once-task's anchor happened on ``anchor``: plan it."""
        rule = self.tasks[index]
        token = self.active[index].get(case)
        if token is None:
            return
        within = self.timing[index].within
        assert within is not None
        due = within[0].at(anchor, within[1])
        if only_if_due_from is not None and due < only_if_due_from:
            return
        day = self.punctual_day(
            rule.punctuality, due, max(anchor, self.today), self.pressure(case, rule)
        )
        self.book_or_release(case, index, token, due, day, NO_LIMIT)

    def trigger_lead(self, case: int, index: int, target: int) -> None:
        """A task that must come at least some time before a booked event on ``target``."""
        if self.rule_traits[index] and not self.owed_to(case, index):
            return
        rule = self.tasks[index]
        at_least = self.timing[index].at_least
        assert at_least is not None
        due = at_least[0].at(target, -at_least[1])
        day = self.punctual_day(rule.punctuality, due, self.today, self.pressure(case, rule))
        day = min(day, target)
        self.schedule(day, Release(index, case, 0, due, target, float(day)))

    def schedule_marks(self, case: int) -> None:
        """Schedule the case's coming milestones (each once)."""
        for code, years in self.model.marks:
            day = self.birth[case] + round(years * 365.25)
            if self.today <= day < self.end and (case, code) not in self.marks_scheduled:
                self.marks_scheduled.add((case, code))
                self.schedule(day, Mark(case, code))

    def on_mark(self, action: Mark) -> None:
        """A milestone: recorded if the case is open and where milestones matter."""
        case, code = action
        state = self.state[case]
        scope = self.model.mark_scope
        if self.terminal[state] or (scope is not None and state not in scope):
            self.marks_scheduled.discard((case, code))
            return
        self.row(case, self.today, code, MARK_ROW, self.state_team[state], self.holder[case])
        for once in self.once_after.get(code, ()):
            rule_scope = self.tasks[once].scope
            if rule_scope is None or state in rule_scope:
                self.trigger_once(case, once, self.today)
