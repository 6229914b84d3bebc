"""The journey state machine: the ONLY module that imports ``transitions``.

Consumes a resolved ``Workflow``; produces ``JourneyMachine`` (reference semantics: which moves are
legal) and ``TransitionTable`` (the same moves as a plain dict, for the simulation's hot path). A
property test proves the two agree on random trigger sequences.

A flat machine is used, not a hierarchical one with phases as parent states: phases only group states
for drawing and for ``while`` scopes, which the workflow resolves itself, and a flat machine costs
several times less per trigger. ``python benchmarks/bench_machine.py`` on the 2-core reference
machine: flat 7.1 µs a trigger, 66 KiB a machine; nested 42.7 µs, 82 KiB; the plain table 0.12 µs.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from transitions import Machine, MachineError

from casejourney.errors import IllegalStepError
from casejourney.spec.resolve import Workflow


class _Case:
    """The model object ``transitions`` attaches ``state`` and trigger methods to."""

    state: str


class JourneyMachine:
    """One case's position in a workflow; illegal triggers raise ``IllegalStepError``."""

    def __init__(
        self, workflow: Workflow, *, initial: str | None = None, nested: bool = False
    ) -> None:
        self.workflow = workflow
        self._case = _Case()
        states = list(workflow.states)
        transitions = [
            {"trigger": t.spec.trigger, "source": t.spec.source, "dest": t.spec.dest}
            for t in workflow.transitions
        ]
        start = initial or workflow.initial_state
        if nested:
            from transitions.extensions import HierarchicalMachine

            self._machine: Machine = HierarchicalMachine(
                model=self._case,
                states=states,
                transitions=transitions,
                initial=start,
                auto_transitions=False,
                ignore_invalid_triggers=False,
            )
        else:
            self._machine = Machine(
                model=self._case,
                states=states,
                transitions=transitions,
                initial=start,
                auto_transitions=False,
                ignore_invalid_triggers=False,
                send_event=False,
            )

    @property
    def state(self) -> str:
        """The current state id."""
        return str(self._case.state)

    @property
    def is_terminal(self) -> bool:
        """Whether the case is in a terminal (absorbing) state."""
        return self.workflow.states[self.state].terminal

    def legal_triggers(self) -> list[str]:
        """Triggers that may be fired from the current state."""
        return sorted(self._machine.get_triggers(self.state))

    def fire(self, trigger: str) -> str:
        """Fire ``trigger``; return the new state.

        Raises:
            IllegalStepError: the trigger is unknown or not legal from here; names the legal ones.

        """
        try:
            self._case.trigger(trigger)  # type: ignore[attr-defined]
        except (MachineError, AttributeError):
            legal = self.legal_triggers()
            near = difflib.get_close_matches(trigger, legal, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise IllegalStepError(
                f"'{trigger}' is not a legal step from '{self.state}'; legal: "
                f"{', '.join(legal) or 'none (terminal state)'}{hint}"
            ) from None
        return self.state

    def move_to(self, state: str) -> str:
        """Move to ``state`` by the one transition that leads there from here.

        Raises:
            IllegalStepError: no transition leads there; names the states that can be reached.

        """
        options = {dest: trig for trig, dest in self.workflow.triggers_from(self.state).items()}
        if state not in options:
            reachable = sorted(options)
            known = list(self.workflow.states)
            near = difflib.get_close_matches(state, reachable or known, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            what = "unknown state" if state not in self.workflow.states else "no transition"
            raise IllegalStepError(
                f"{what}: cannot go from '{self.state}' to '{state}'; next states from here: "
                f"{', '.join(reachable) or 'none (terminal state)'}{hint}"
            )
        return self.fire(options[state])


@dataclass(frozen=True)
class TransitionTable:
    """The workflow's moves as a plain mapping, for code that fires millions of triggers."""

    moves: Mapping[tuple[str, str], str]
    terminal: frozenset[str]
    initial: str

    @classmethod
    def from_workflow(cls, workflow: Workflow) -> TransitionTable:
        """Compile ``workflow``'s transitions."""
        return cls(
            moves={(t.spec.source, t.spec.trigger): t.spec.dest for t in workflow.transitions},
            terminal=frozenset(s.id for s in workflow.states.values() if s.terminal),
            initial=workflow.initial_state,
        )

    def fire(self, state: str, trigger: str) -> str:
        """The state after ``trigger`` from ``state``; ``IllegalStepError`` if not legal."""
        try:
            return self.moves[(state, trigger)]
        except KeyError:
            raise IllegalStepError(f"'{trigger}' is not a legal step from '{state}'") from None

    def triggers(self, state: str) -> list[str]:
        """Legal triggers from ``state``, sorted."""
        return sorted(t for (s, t) in self.moves if s == state)
