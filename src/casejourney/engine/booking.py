"""Booking: slot diaries (a team of chairs, a list of hearings) and booked entries into states.

A diary has a number of free slots each open day. A booked entry takes the free slot nearest the
day wanted, on or before it (or, against a deadline, the latest free slot on or before the
deadline less a margin), else the first free one after; a share of booked entries are adjourned and
booked again after a notice period. A diary may keep extra slots for entries that would otherwise
miss their deadline: they take the latest of those on or before it. It may also hold back a share
of its slots for entries booked against the deadline (ring-fenced): other bookings take a held slot
only when it is close, within the diary's release time.
"""

from __future__ import annotations

import numpy as np

from casejourney.engine.actions import ArriveBooked
from casejourney.engine.model import Model
from casejourney.engine.state import ADJOURN, NAN, PREPARE, RunState, Shift, trait


def diary(model: Model, index: int, share: float = 1.0) -> list[int]:
    """Free slots on each day of the run: the weekly number (times ``share``) over open days."""
    per_day = model.slots[index].per_week * share / 5.0
    days = np.arange(model.start, model.end + 1)
    is_open = model.open_days[days - model.grid.first]
    total = np.floor(np.cumsum(is_open * per_day) + 1e-9)
    free: list[int] = np.diff(np.concatenate(([0.0], total))).astype(int).tolist()
    return free


@trait
class Booking(RunState):
    """Booking slots and booked entries."""

    def on_arrive_booked(self, action: ArriveBooked) -> None:
        """A booked entry's day: it goes ahead, or (a share of them) is adjourned."""
        case, entry, state, asked = action
        if self.entries[case] != entry:
            return
        diary = self.state_slots[state]
        draws = self.adjourn_draws[diary]
        if draws is not None and draws.next() < self.model.slots[diary].adjourn:
            self.adjourned(diary, case, entry, state, asked)
        else:
            self.enter(case, state, self.today, asked=asked)

    def book(
        self,
        index: int,
        day: int,
        window: bool = True,
        notice: tuple[Shift, int] | None = None,
        deadline: bool = False,
        priority: bool = False,
    ) -> int:
        """Book the free slot nearest ``day``, on it or before it.

        Before it: up to a fortnight (``window``), else as early as the notice allows. Never
        sooner than the notice from today; failing that, against a ``deadline``, the latest of the
        diary's extra slots on or before ``day``; failing that, the first free one after ``day``.
        A booking against the deadline (or with ``priority``: one booked again) may take the
        diary's held slots, and takes them first; any other takes a held slot only on a day
        within the diary's release time from today.
        """
        notice_shift, notice_n = notice if notice is not None else self.notice[index]
        earliest = notice_shift.at(self.today, notice_n)
        diary, start, end = self.diaries[index], self.start, self.end
        first = self.diary_first[index]
        while first < end and diary[first - start] == 0:
            first += 1
        self.diary_first[index] = first
        if max(day, earliest) >= end:
            # Wanted after the record ends: taking a slot from the last fortnight instead would
            # starve work that is due inside the record.
            return end
        target = max(day, earliest)
        held = self.held_slots[index]
        if held is None:
            held, opened = diary, start  # no held slots: none open
        elif deadline or priority:
            opened = end
        else:
            release_shift, release_n = self.release[index]
            opened = release_shift.at(self.today, release_n) + 1
        # days before ``first`` have no general slot but may have an open held one
        floor = first if opened <= earliest else earliest
        low = max(earliest, floor)
        if window:
            low = max(low, self.working_shift.at(target, -PREPARE))
        slot = target
        while slot >= low and (
            slot >= end
            or (diary[slot - start] == 0 and (slot >= opened or held[slot - start] == 0))
        ):
            slot -= 1
        extra = self.extra_slots[index] if deadline else None
        if slot < low and extra is not None:
            slot = min(target, end - 1)
            while slot >= earliest and extra[slot - start] == 0:
                slot -= 1
            if slot >= earliest:
                extra[slot - start] -= 1
                self.extra_taken[index] += 1
                return slot
        if slot < low:
            slot = max(target, floor)
            while (
                slot < end
                and diary[slot - start] == 0
                and (slot >= opened or held[slot - start] == 0)
            ):
                slot += 1
        if slot >= end:
            return end
        at = slot - start
        if slot < opened and held[at] > 0 and (opened == end or diary[at] == 0):
            held[at] -= 1
        else:
            diary[at] -= 1
        return slot

    def book_entry(self, index: int, case: int, day: int) -> int:
        """Book the entry a case is leaving for, against the diary's deadline if it has one."""
        within = self.within[index]
        if within is None:
            return self.book(index, day)
        anchor = self.model.slots[index].anchor
        since = self.anchor_day[anchor].get(case, day)
        deadline = within[0].at(since, within[1])
        aim = self.aims[index]
        if aim is not None:
            deadline = aim[1].at(deadline, -int(aim[0].next()))
        return self.book(index, max(deadline, day), window=False, deadline=True)

    def adjourned(self, index: int, case: int, entry: int, state: int, asked: float) -> None:
        """A booked entry did not go ahead: book the first free slot after the notice."""
        shift, n = self.renotice[index]
        # booked again as it was booked: an entry against a deadline keeps its priority
        again = self.book(
            index,
            shift.at(self.today, n),
            window=False,
            notice=(shift, n),
            priority=self.within[index] is not None,
        )
        self.row(case, self.today, state, ADJOURN, -1, -1, asked, NAN, 0.0, again)
        self.schedule(again, ArriveBooked(case, entry, state, asked))

    def cancel_booking(self, rule: int, case: int) -> None:
        """Give back the slot a case had booked for a task that no longer applies."""
        booked = self.booked[rule].pop(case, None)
        if booked is not None and booked > self.today and booked < self.end:
            index = self.tasks[rule].slots
            self.diaries[index][booked - self.start] += 1
            self.diary_first[index] = min(self.diary_first[index], booked)
