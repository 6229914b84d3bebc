"""Places: pools of held places (homes, beds), and who waits for one.

A case entering a pool's states takes a free place, or waits in its overflow until a case leaving
gives one up (longest waiting first).
"""

from __future__ import annotations

from casejourney.engine.state import OVERFLOW, PLACE, RunState, trait


@trait
class Places(RunState):
    """Cases taking and giving up places."""

    def take_places(self, case: int, pools: tuple[int, ...], day: int) -> None:
        """A case entering pools' states needs at most one kind of place (by their shares)."""
        draw = self.place_draws[pools[0]].next()
        share = 0.0
        for pool in pools:
            share += self.model.places[pool].share
            if draw < share:
                self.take_place(case, pool, day)
                return

    def take_place(self, case: int, pool: int, day: int) -> None:
        """Take a place in ``pool`` (or wait in its overflow)."""
        holders = self.place_of[pool]
        if self.places_free[pool] > 0:
            self.places_free[pool] -= 1
            holders[case] = True
            self.row(case, day, self.state[case], PLACE, len(self.teams) + pool)
        else:
            holders[case] = False
            self.overflow[pool].append(case)
            self.overflowing[pool] += 1
            self.row(case, day, self.state[case], OVERFLOW, len(self.teams) + pool)

    def free_place(self, case: int, pool: int, day: int) -> None:
        """A case leaving a pool's states gives its place to the longest waiting case."""
        holders = self.place_of[pool]
        held = holders.pop(case, None)
        if held is None:
            return
        if not held:
            self.overflowing[pool] -= 1
            return
        queue = self.overflow[pool]
        while queue:
            waiting = queue.popleft()
            if holders.get(waiting) is False:
                holders[waiting] = True
                self.overflowing[pool] -= 1
                self.row(waiting, day, self.state[waiting], PLACE, len(self.teams) + pool)
                return
        self.places_free[pool] += 1
