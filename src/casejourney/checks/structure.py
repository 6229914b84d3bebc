"""Checks on the shape of the journey graph (networkx): entry, reachability, exits, traps."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from casejourney.spec.findings import Finding, Level
from casejourney.spec.resolve import Workflow


def journey_graph(workflow: Workflow) -> nx.DiGraph:
    """States as nodes, transitions as edges (only those between declared states)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(workflow.states)
    for t in workflow.transitions:
        if t.spec.source in workflow.states and t.spec.dest in workflow.states:
            graph.add_edge(t.spec.source, t.spec.dest)
    return graph


def initial_state(workflow: Workflow) -> Iterator[Finding]:
    """``no-initial-state`` / ``several-initial-states``: exactly one state must be initial."""
    initial = [s for s in workflow.states.values() if s.initial]
    if not initial:
        first = next(iter(workflow.states.values()), None)
        where = (
            first.location
            if first
            else workflow.locations.get(("phase", next(iter(workflow.phases), "")))
        )
        if where is not None:
            yield where.finding(
                Level.ERROR,
                "no-initial-state",
                "no state is marked initial: true; mark the entry state",
            )
    for extra in initial[1:]:
        names = ", ".join(s.id for s in initial)
        yield extra.location.finding(
            Level.ERROR,
            "several-initial-states",
            f"several states are initial ({names}); keep initial: true on one only",
        )


def unreachable_states(workflow: Workflow) -> Iterator[Finding]:
    """``unreachable-state``: no route from the initial state reaches it."""
    initial = [s.id for s in workflow.states.values() if s.initial]
    if len(initial) != 1:
        return
    graph = journey_graph(workflow)
    reachable = nx.descendants(graph, initial[0]) | {initial[0]}
    for state in workflow.states.values():
        if state.id not in reachable:
            yield state.location.finding(
                Level.ERROR,
                "unreachable-state",
                f"state '{state.id}' cannot be reached from '{initial[0]}'; add a transition into it",
            )


def exits(workflow: Workflow) -> Iterator[Finding]:
    """``no-exit`` and ``terminal-has-exit``: only terminal states end a journey."""
    graph = journey_graph(workflow)
    for state in workflow.states.values():
        out = graph.out_degree(state.id)
        if not state.terminal and out == 0:
            yield state.location.finding(
                Level.ERROR,
                "no-exit",
                f"state '{state.id}' has no transition out and is not terminal; "
                "add a transition or mark it terminal: true",
            )
        if state.terminal and out > 0:
            triggers = ", ".join(sorted(workflow.triggers_from(state.id)))
            yield state.location.finding(
                Level.ERROR,
                "terminal-has-exit",
                f"terminal state '{state.id}' has transitions out ({triggers}); terminal states absorb",
            )


def traps(workflow: Workflow) -> Iterator[Finding]:
    """``trap``: sets of states from which no terminal state can be reached."""
    graph = journey_graph(workflow)
    terminals = [s.id for s in workflow.states.values() if s.terminal]
    can_finish: set[str] = set(terminals)
    for terminal in terminals:
        can_finish |= nx.ancestors(graph, terminal)
    stuck = graph.subgraph(n for n in graph if n not in can_finish)
    for component in nx.strongly_connected_components(stuck):
        # Report only closed sets with exits (a dead end is already `no-exit`).
        if all(graph.out_degree(n) == 0 for n in component) and len(component) == 1:
            continue
        if any(succ not in component for n in component for succ in graph.successors(n)):
            continue
        members = sorted(component, key=lambda n: workflow.states[n].location.line)
        first = workflow.states[members[0]]
        yield first.location.finding(
            Level.ERROR,
            "trap",
            f"no terminal state can be reached from {{{', '.join(members)}}}; "
            "add a transition out of this set towards closure",
        )
