"""Cases: per-case columns, entering and leaving states, the cases open on the first day.

A case is not a process: its columns (state, entry count, worker holding it, planned exit…) live in
compact arrays in ``RunState``, and its next move is an entry in the day's agenda. Entering a state
hands the case between teams (``allocation``), plans the end of its stay, queues the state's own
work (``work``), and starts or stops what the move starts and stops (tasks, places, milestones),
precomputed for every pair of states in :func:`move_table`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from casejourney.engine.actions import ArriveBooked, Exit, record
from casejourney.engine.model import Carried, Model, TaskKind
from casejourney.engine.sampling import generator, sample, whole_units
from casejourney.engine.state import ENTER, HISTORY, NAN, RunState, trait

#: Batches of 1,024 more draws for a carried case open longer than its first 32 draws of the stay
#: (a stay with one chance in 64,000 of lasting so long runs on for a fresh one instead).
_MORE_BATCHES = 64


@dataclass
class Move:
    """What entering ``new`` from ``prev`` starts and stops (precomputed for every pair)."""

    stop: tuple[int, ...]  # rules whose scope is left
    start: tuple[int, ...]  # rules whose scope is entered
    once: tuple[int, ...]  # once-rules whose anchor this move signals
    place_leave: tuple[int, ...]
    place_enter: tuple[int, ...]
    marks: bool  # the mark scope is entered

    @property
    def quiet(self) -> bool:
        """Nothing starts or stops."""
        return not (
            self.stop
            or self.start
            or self.once
            or self.place_leave
            or self.place_enter
            or self.marks
        )


def move_table(model: Model) -> list[list[Move]]:
    """``table[prev + 1][new]`` for every pair of states (prev = -1: a case's first entry)."""
    n = len(model.states)
    return [[_move(model, prev, new) for new in range(n)] for prev in range(-1, n)]


def _move(model: Model, prev: int, new: int) -> Move:
    terminal = [s.terminal for s in model.states]
    marks = model.mark_scope

    def inside(scope: frozenset[int] | None, state: int) -> bool:
        if state < 0:
            return False
        if scope is None:
            return not terminal[state]
        return state in scope

    stop, start, once = [], [], []
    signals = model.signals.get((prev, new), ())
    for index, rule in enumerate(model.tasks):
        if rule.kind is TaskKind.LEAD:
            continue
        was, now = inside(rule.scope, prev), inside(rule.scope, new)
        if was and not now:
            stop.append(index)
        elif now and not was:
            start.append(index)
        if (
            rule.kind is TaskKind.ONCE
            and now
            and any(code == rule.anchor and inside(rule.scope, check) for code, check in signals)
        ):
            once.append(index)
    place_leave, place_enter = [], []
    for index, pool in enumerate(model.places):
        was, now = prev in pool.states, new in pool.states
        if was and not now:
            place_leave.append(index)
        elif now and not was:
            place_enter.append(index)
    enters_marks = bool(model.marks) and inside(marks, new) and not inside(marks, prev)
    return Move(
        tuple(stop),
        tuple(start),
        tuple(once),
        tuple(place_leave),
        tuple(place_enter),
        enters_marks,
    )


@trait
class Cases(RunState):
    """Cases arriving, entering and leaving states."""

    def on_exit(self, action: Exit) -> None:
        """A planned end of stay: leave, or wait for the state's own work to be done."""
        case = action.case
        if self.entries[case] == action.entry:
            if self.work_left[case]:
                self.waiting[case] = 1
            else:
                self.leave(case, self.today)

    def new_case(self, day: int, age: float) -> int:
        """A new case id, with its day of birth (for milestones) and its traits."""
        case = len(self.state)
        self.state.append(-1)
        self.entries.append(0)
        self.holder.append(-1)
        self.exit_at.append(0)
        self.work_left.append(0)
        self.waiting.append(0)
        self.birth.append(day - round(age * 365.25))
        for values, draws in zip(self.trait_of, self.trait_draws, strict=True):
            values.append(int(draws.next()))
        self.next_state.append(-1)
        self.deferred.append(0)
        self.open_now += 1
        return case

    def earlier_stays(self, case: int, opening_state: int, before: int) -> None:
        """Write the case's stays that ended before day ``before`` (see ``History``)."""
        for index, history in enumerate(self.model.history):
            share = history.share
            if opening_state >= 0:
                share = self.history_opening[index].get(opening_state, share)
            chance, ago, length = self.history_draws[index]
            if chance.next() >= share:
                continue
            ended = before - 1 - int(ago.next())
            began = ended - max(1, int(length.next()))
            first = self.grid.first + 1
            if began < first:
                continue
            self.row(case, began, history.state, HISTORY, -1, -1, NAN, NAN, 0.0, ended)

    def open_cases(self) -> None:
        """The cases already open on the first day, entered on a back-dated day.

        Cases open at a moment are a length-biased sample (long stays are more likely to be caught
        open), so each stay is drawn with probability proportional to its length and the case has
        already spent a uniform share of it: the open load then neither drains nor piles up
        while new cases take over.
        """
        self.today = self.start
        for index, opening in enumerate(self.model.opening):
            state = opening.state
            ages = self.streams.amounts(opening.ages, f"opening-ages:{index}")
            rng = generator(self.streams.seed, f"opening:{index}")
            candidates = 4 * opening.count
            units, lengths, exits = self.opening_draws(state, candidates, rng)
            weights = np.maximum(lengths, 1).astype(float)
            chosen = rng.choice(candidates, size=opening.count, p=weights / weights.sum())
            shares = rng.random(opening.count)
            for pick, share in zip(chosen.tolist(), shares.tolist(), strict=True):
                stay = int(units[pick])
                entered = max(self.start - int(share * lengths[pick]), self.grid.first + 1)
                case = self.new_case(self.start, ages.next())
                self.opened += 1
                if self.model.history:
                    self.earlier_stays(case, state, entered)
                if exits is not None:  # its way out goes with the stay drawn for it
                    self.next_state[case] = int(exits[pick])
                self.enter(case, state, entered, stay=stay, opening=True)
        if self.model.carried is not None:
            self.open_carried(self.model.carried)
        self.drain()

    def opening_draws(
        self, state: int, candidates: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Stays to choose open cases' from: (whole units, days, way out or None).

        Where the stay depends on the way out (``exit_stays``), each candidate's way out is drawn
        first and its stay from that way's distribution, so that the open cases are the
        length-biased sample of the mixture (a short way out is rarely caught open), and each
        keeps its way out.
        """
        spec = self.states[state]
        unit = self.stay_units[state]
        start = np.full(candidates, self.start)
        if spec.stay is None:
            units = np.ones(candidates, dtype=np.int64)
            return units, self.grid.add_units(start, unit, units) - self.start, None
        if self.by_exit[state] is None or not spec.exits:
            units = whole_units(spec.stay, sample(spec.stay, rng, candidates))[1]
            return units, self.grid.add_units(start, unit, units) - self.start, None
        way, units, ends = self.exit_draws(state, start, rng)
        return units, ends - self.start, np.asarray(spec.exits, dtype=np.int64)[way]

    def exit_draws(
        self, state: int, entered: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ways out (indices into the state's exits), and the stays that go with them.

        Each way is drawn by its weight, then its own stay: whole units and the day it ends.
        """
        spec = self.states[state]
        assert spec.stay is not None
        p = np.asarray(spec.weights, dtype=float)
        way = rng.choice(len(spec.exits), size=len(entered), p=p / p.sum())
        units = np.zeros(len(entered), dtype=np.int64)
        ends = np.zeros(len(entered), dtype=np.int64)
        for i, draw in enumerate(spec.exit_stays):
            mask = way == i
            count = int(mask.sum())
            if not count:
                continue
            own_unit, found = whole_units(draw or spec.stay, sample(draw or spec.stay, rng, count))
            units[mask] = found
            ends[mask] = self.grid.add_units(entered[mask], own_unit, found)
        return way, units, ends

    def open_carried(self, carried: Carried) -> None:
        """The cases carried from records, each entering its state on its own day.

        Each writes its earlier stays as history, then draws its stay from the state's own given
        that it has lasted until the first day, from the stay's own tail (up to some 65,000 draws:
        a case open longer than nearly any stay runs on for a fresh one). Days before the
        calendar's range are moved to its first day.
        """
        ages = self.streams.amounts(self.model.ages, "carried-ages")
        rng = generator(self.streams.seed, "carried")
        tail = generator(self.streams.seed, "carried-tail")  # the others' draws stay as they were
        earlier: dict[int, list[tuple[int, int, int]]] = {}
        for index, state, began, ended in carried.earlier:
            earlier.setdefault(index, []).append((state, began, ended))
        first = self.grid.first + 1
        for index, (state, since, age) in enumerate(
            zip(carried.state, carried.since, carried.age, strict=True)
        ):
            case = self.new_case(self.start, ages.next() if age != age else age)  # NaN: drawn
            self.opened += 1
            for past, began, ended in earlier.get(index, ()):
                if began >= first:
                    self.row(case, began, past, HISTORY, -1, -1, NAN, NAN, 0.0, ended)
            entered = min(max(since, first), self.start)
            if carried.unknown and carried.unknown[index] and self.model.history:
                self.earlier_stays(case, -1, entered)  # an arrival's chance of earlier stays
            stay, way = self.stay_since(state, entered, rng, tail)
            if way >= 0:  # its way out goes with the stay drawn for it
                self.next_state[case] = way
            self.enter(case, state, entered, stay=stay, opening=True)

    def stay_since(
        self, state: int, entered: int, rng: np.random.Generator, tail: np.random.Generator
    ) -> tuple[int, int]:
        """A stay in ``state`` from ``entered`` that goes on past the first day, and its way out.

        Whole units, and the way out that goes with them (-1: chosen when it ends). Where the stay
        depends on the way out (``exit_stays``) both are drawn together, so a case open for a year
        rarely leaves by a way out whose stays are short (a CP plan that went into pre-proceedings
        within months). A case open longer than the first draws draws on from ``tail``.
        """
        spec = self.states[state]
        if spec.stay is None:
            return 1, -1
        way_out = -1
        if self.by_exit[state] is not None and spec.exits:
            way, found, ends = self.exit_draws(state, np.full(64, entered), rng)
            later = np.flatnonzero(ends > self.start)
            if len(later):
                pick = int(later[0])
                return int(found[pick]), int(spec.exits[int(way[pick])])
            # open longer than any drawn: it leaves by the way whose stay came nearest
            way_out = int(spec.exits[int(way[int(np.argmax(ends))])])
        unit = self.stay_units[state]
        draws = whole_units(spec.stay, sample(spec.stay, rng, 32))[1]
        ends = self.grid.add_units(np.full(len(draws), entered), unit, draws)
        later = np.flatnonzero(ends > self.start)
        if len(later):
            return int(draws[later[0]]), way_out
        # Long open: more draws, so that it still runs on by the stay's own tail. A fresh stay
        # from the first day (below) made a case open for 8 years, in a state whose median stay is
        # months, leave within a year twice as often as the tail says (issue 19's round trip).
        joint = self.by_exit[state] is not None and bool(spec.exits)
        for _ in range(_MORE_BATCHES):
            if joint:  # the way out and its stay together, as above
                way, more, ends = self.exit_draws(state, np.full(1024, entered), tail)
            else:
                more = whole_units(spec.stay, sample(spec.stay, tail, 1024))[1]
                ends = self.grid.add_units(np.full(len(more), entered), unit, more)
            later = np.flatnonzero(ends > self.start)
            if len(later):
                pick = int(later[0])
                return int(more[pick]), int(spec.exits[int(way[pick])]) if joint else way_out

        def past(units: int) -> bool:
            return bool(self.grid.add_units(np.array([entered]), unit, units)[0] > self.start)

        low, high = 0, 1  # the fewest units reaching past the first day, then a fresh stay
        while not past(high):
            low, high = high, 2 * high
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if past(middle) else (middle, high)
        return high + int(draws[0]), way_out

    def enter(
        self,
        case: int,
        new: int,
        day: int,
        *,
        at: float | None = None,
        asked: float = NAN,
        stay: int | None = None,
        opening: bool = False,
    ) -> None:
        """``case`` enters state ``new`` on ``day``."""
        prev = self.state[case]
        self.entries[case] += 1
        entry = self.entries[case]
        self.state[case] = new
        self.wip[new] += 1
        if prev >= 0:
            self.wip[prev] -= 1
        if self.is_anchor[new]:
            self.anchor_day[new][case] = day
        team_new = self.state_team[new]
        holder, freed = self.change_team(case, prev, new, team_new)
        self.row(case, day, new, ENTER, team_new, holder, asked)
        if freed >= 0:
            self.fill(freed, day)
        if self.terminal[new]:
            self.open_now -= 1
            self.closed += 1
            self.work_left[case] = 0
        if not self.quiet[prev + 1][new]:
            self.moved(case, prev, new, day, opening)
        if not self.terminal[new]:
            if stay is None and prev >= 0:
                by_entry = self.by_entry[new]
                if by_entry is not None and prev in by_entry:
                    stay = by_entry[prev].next()
            self.stay(case, new, day, entry, holder, day if at is None else at, stay, opening)

    def change_team(self, case: int, prev: int, new: int, team_new: int) -> tuple[int, int]:
        """Hand the case over between teams; returns its server and a team with room freed."""
        team_prev = self.state_team[prev] if prev >= 0 else -1
        if team_prev != team_new:
            freed = team_prev if team_prev >= 0 and self.leave_team(case, prev, team_prev) else -1
            return (self.join_team(case, new, team_new) if team_new >= 0 else -1), freed
        if team_new >= 0:
            holder, room = self.move_within(case, prev, new, team_new)
            return holder, (team_new if room else -1)
        return self.holder[case], -1

    def stay(
        self,
        case: int,
        new: int,
        day: int,
        entry: int,
        holder: int,
        at: float,
        stay: int | None,
        opening: bool,
    ) -> None:
        """Plan the end of the stay in ``new`` and queue the state's own work."""
        pace = self.pace[new]
        if pace > 0 and not opening:
            pool = self.teams[self.state_team[new]]
            if holder < 0 and pool.with_limits:
                self.deferred[case] = 1  # starts when a server is allocated (``fill``)
                self.exit_at[case] = self.end
                self.work_left[case] = 0
                return
            if holder >= 0 and stay is None and self.by_exit[new] is None:
                units = self.stays[new].next()
                least = self.least[new]
                if units > least:
                    ratio = (pool.load[holder] / pace) ** self.elasticity[new]
                    units = least + round((units - least) * ratio)
                stay = units
        leave = self.planned_leave(case, new, day, stay, opening)
        extra = self.extra_shift[new]
        if extra is not None:
            leave = extra[0].at(leave, extra[1])
        if leave < self.today:
            leave = self.today
        self.exit_at[case] = leave
        self.waiting[case] = 0
        team = self.state_team[new]
        if self.effort_of[new] and not opening and team >= 0:
            self.work_left[case] = 1
            if holder >= 0 or not self.teams[team].with_limits:
                self.release_work(case, new, entry, leave, at)
        else:
            self.work_left[case] = 0
        if leave > self.today:
            if leave < self.end:
                self.exit_case[leave - self.start].append(case)
                self.exit_entry[leave - self.start].append(entry)
        else:
            self.pending.append(record(Exit, (case, entry)))

    def planned_leave(self, case: int, new: int, day: int, stay: int | None, opening: bool) -> int:
        """The day the stay in ``new`` entered on ``day`` ends (before any extra stay).

        Where the stay depends on the way out, the way out is drawn first (kept in
        ``next_state``) unless a stay is given; an open case's way out may come with its stay.
        """
        by_exit = self.by_exit[new]
        if by_exit is None:
            units = self.stays[new].next() if stay is None else stay
            return self.stay_shift[new].at(day, units)
        if stay is None:  # the way out first, then the stay that goes with it
            choice = self.branches[new].next()
            self.next_state[case] = choice
            found = by_exit.get(choice)
            if found is None:
                return self.stay_shift[new].at(day, self.stays[new].next())
            return found[1].at(day, found[0].next())
        if opening and self.next_state[case] >= 0:  # a way out drawn with the stay
            found = by_exit.get(self.next_state[case])
            return (self.stay_shift[new] if found is None else found[1]).at(day, stay)
        self.next_state[case] = -1
        return self.stay_shift[new].at(day, stay)

    def moved(self, case: int, prev: int, new: int, day: int, opening: bool) -> None:
        """Start and stop what a move from ``prev`` to ``new`` starts and stops."""
        move = self.moves[prev + 1][new]
        for rule in move.stop:
            self.active[rule].pop(case, None)
            self.chain[rule].pop(case, None)
            self.cancel_booking(rule, case)
        for pool in move.place_leave:
            self.free_place(case, pool, day)
        if self.terminal[new]:
            return
        if move.place_enter:
            self.take_places(case, move.place_enter, day)
        for rule in move.start:
            self.start_rule(case, rule, day)
        for rule in move.once:
            if not opening or day >= self.start:
                self.trigger_once(case, rule, day)
            else:
                self.trigger_once(case, rule, day, only_if_due_from=self.start)
        if move.marks:
            self.schedule_marks(case)

    def leave(self, case: int, day: int) -> None:
        """The stay is over and the work done: choose the way out and take it (or book it)."""
        current = self.state[case]
        if self.by_exit[current] is not None and self.next_state[case] >= 0:
            new = self.next_state[case]
        else:
            new = self.branches[current].next()
        if new < 0:
            return
        diary = self.state_slots[new]
        if diary < 0:
            self.enter(case, new, day)
            return
        booked = self.book_entry(diary, case, day)
        self.schedule(booked, ArriveBooked(case, self.entries[case], new, float(day)))
        for rule in self.lead_for.get(new, ()):
            self.trigger_lead(case, rule, booked)
