"""Property tests: the simulation's compiled moves agree with the `transitions` reference machine.

The engine never fires triggers through ``transitions`` (too slow for a national year): the adapter
compiles each state's ways out, via ``TransitionTable``, into destination codes and probabilities.
Random trigger sequences, legal or not, must give the same answers from the reference machine, the
table, and the compiled engine states.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import casejourney
import casejourney.api
from casejourney.errors import IllegalStepError
from casejourney.machine import JourneyMachine, TransitionTable
from casejourney.simulate import branch_options, compile_scenario

ROOT = Path(__file__).resolve().parent.parent
AUTHORITIES = sorted(p.stem for p in (ROOT / "workflows").glob("*.yaml"))


@pytest.fixture(scope="module", params=AUTHORITIES)
def compiled(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    scenario, _ = casejourney.load_scenario("national-baseline")
    workflow = casejourney.load_workflow(request.param)
    found = compile_scenario(workflow, scenario, scale=0.001, horizon_days=7, warm_up_days=0)
    return workflow, found


def _triggers(workflow: casejourney.api.Workflow) -> list[str]:
    return [*sorted({t.spec.trigger for t in workflow.transitions}), "not_a_trigger"]


@given(data=st.data())
def test_random_trigger_sequences_agree(compiled, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    workflow, found = compiled
    table = TransitionTable.from_workflow(workflow)
    machine = JourneyMachine(workflow)
    state = table.initial
    code = {name: i for i, name in enumerate(found.frame.names)}
    engine_states = found.model.states
    triggers = _triggers(workflow)
    for _ in range(data.draw(st.integers(1, 40))):
        trigger = data.draw(st.sampled_from(triggers))
        try:
            expected = machine.fire(trigger)
        except IllegalStepError:
            with pytest.raises(IllegalStepError):
                table.fire(state, trigger)
            assert machine.state == state  # an illegal trigger changes nothing
            continue
        assert table.fire(state, trigger) == expected
        # the engine can make exactly the moves the machine allows (those with a probability)
        assert code[expected] in engine_states[code[state]].exits or not (
            found.frame.scenario.branches.get(state, {}).get(trigger, 0) > 0
        )
        state = expected
        assert engine_states[code[state]].terminal == machine.is_terminal


def test_every_compiled_exit_is_a_legal_move_with_the_scenario_probability(compiled) -> None:  # type: ignore[no-untyped-def]
    workflow, found = compiled
    table = TransitionTable.from_workflow(workflow)
    code = {name: i for i, name in enumerate(found.frame.names)}
    for state in workflow.states.values():
        model = found.model.states[code[state.id]]
        machine = JourneyMachine(workflow, initial=state.id)
        legal = {code[table.fire(state.id, t)] for t in machine.legal_triggers()}
        assert set(model.exits) <= legal
        assert model.terminal == state.terminal
        if not state.terminal:
            exits, weights = branch_options(table, found.frame.scenario, state.id, code)
            assert (model.exits, model.weights) == (exits, weights)
            assert abs(sum(model.weights) - 1) < 1e-9
