"""Simulation invariants as properties over small random scenarios.

Hypothesis varies the authority, seed, demand, staffing and queue discipline of a small scenario;
every run must conserve cases, keep queues non-negative, keep every worker within their caseload
limit, hold every case in an allocating team or count it as waiting, never work a team past its
hours in a week, never let time run backwards, and give the same log for the same seed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import casejourney
from casejourney.engine import Kind
from casejourney.simulate import compile_scenario, run_replication

AUTHORITIES = ["national", "knowsley", "barnet", "liverpool", "coventry"]


@settings(max_examples=12, deadline=None)
@given(
    authority=st.sampled_from(AUTHORITIES),
    seed=st.integers(0, 10_000),
    demand=st.floats(0.5, 2.0),
    staff=st.floats(0.3, 1.5),
    discipline=st.sampled_from(["edf", "fifo"]),
)
def test_small_random_scenarios_keep_every_invariant(
    authority: str, seed: int, demand: float, staff: float, discipline: str
) -> None:
    scenario, _ = casejourney.load_scenario("national-baseline")
    workflow = casejourney.load_workflow(authority)
    teams = {
        name: team.model_copy(update={"headcount": max(1.0, team.headcount * staff)})
        for name, team in scenario.teams.items()
    }
    rate = scenario.demand.contacts_per_week
    demand_spec = scenario.demand.model_copy(
        update={"contacts_per_week": rate * demand if rate else rate}
    )
    varied = scenario.model_copy(
        update={"seed": seed, "teams": teams, "demand": demand_spec, "queue_discipline": discipline}
    )
    compiled = compile_scenario(workflow, varied, scale=0.002, horizon_days=6 * 7, warm_up_days=7)
    log, snaps = run_replication(compiled, 0)

    # same seed, same log
    again, _ = run_replication(
        compile_scenario(workflow, varied, scale=0.002, horizon_days=6 * 7, warm_up_days=7), 0
    )
    assert log.digest() == again.digest()

    # conservation: everything that arrived (or was open at the start) is open or closed
    _, arrived = snaps.series("all", "arrived")
    _, opening = snaps.series("all", "opening")
    _, open_ = snaps.series("all", "open")
    _, closed = snaps.series("all", "closed")
    assert np.array_equal(arrived + opening, open_ + closed)

    # no negative queue, nobody over their caseload limit
    for subject in {s for s in snaps.subject if s.startswith("team:")}:
        for measure in ("queued", "unallocated"):
            _, values = snaps.series(subject, measure)
            assert (values >= 0).all(), (subject, measure)
        _, over = snaps.series(subject, "most_over_limit")
        assert (over <= 1e-9).all(), subject

    # every case in a team that allocates is held by a worker or counted as waiting for one, and
    # no team works more hours in a week than it has
    model = compiled.parts[0]
    for index, team in enumerate(model.teams):
        subject = f"team:{team.name}"
        _, available = snaps.series(subject, "hours_available")
        _, worked = snaps.series(subject, "hours_worked")
        _, casework = snaps.series(subject, "casework_hours")
        assert (worked + casework <= available + 1e-6).all(), subject
        if len(compiled.parts) == 1 and any(limit is not None for limit in team.limits):
            _, held = snaps.series(subject, "cases_held")
            _, waiting = snaps.series(subject, "unallocated")
            in_states = sum(
                snaps.series(f"state:{state.name}", "open")[1]
                for state in model.states
                if state.team == index and not state.terminal
            )
            assert np.array_equal(held + waiting, in_states), subject

    # time never runs backwards: each case's moves are in date order, work starts after release
    enter = np.flatnonzero(log["kind"] == Kind.ENTER)
    cases, days = log["case"][enter], log["day"][enter]
    order = np.lexsort((np.arange(len(enter)), cases))
    same_case = cases[order][1:] == cases[order][:-1]
    assert (np.diff(days[order])[same_case] >= 0).all()
    work = (log["kind"] == Kind.WORK) | ((log["kind"] == Kind.TASK) & ~np.isnan(log["started"]))
    assert (log["started"][work] >= log["released"][work] - 1e-9).all()
