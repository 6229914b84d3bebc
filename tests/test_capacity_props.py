"""What staff and demand do, as properties over small random scenarios.

For a random authority's rules, seed and demand level, with the same seeds throughout (common
random numbers): each step up in headcount (× 0.8, 0.9, 1.0, 1.1) never makes any standard worse
beyond noise, and 30% more demand never makes any standard better beyond noise. "Noise" is three
binomial standard errors of the smaller count plus two points, so a real reversal fails and the
wobble of a few dozen instances does not.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import casejourney
from casejourney.experiment import Settings, run
from casejourney.spec import Workflow
from casejourney.spec.scenario import ScenarioSpec

AUTHORITIES = ["national", "knowsley", "barnet", "liverpool", "coventry"]

#: on-time share (%) and instances due, per standard
Shares = dict[str, tuple[float, float]]


def _shares(workflow: Workflow, scenario: ScenarioSpec, seed: int) -> Shares:
    options = Settings(
        replications=2,
        seed=seed,
        event_log="none",
        scale=0.004,
        horizon_days=10 * 7,
        warm_up_days=28,
    )
    summary = run(workflow, scenario, options).summary()
    rows = {
        (m, s): mean
        for m, s, mean in zip(summary["metric"], summary["subject"], summary["mean"], strict=True)
    }
    return {
        s: (rows[("standard.on_time_pct", s)], 2 * rows.get(("standard.due", s), 0.0))
        for s in workflow.standards
        if ("standard.on_time_pct", s) in rows and not math.isnan(rows[("standard.on_time_pct", s)])
    }


def _worse_beyond_noise(before: Shares, after: Shares) -> list[str]:
    """Standards whose on-time share fell from ``before`` to ``after`` by more than noise."""
    worse = []
    for standard, (share, due) in before.items():
        if standard not in after:
            continue
        later, due_later = after[standard]
        n = max(1.0, min(due, due_later))
        # the pooled share: from the earlier one alone, a share near 100% would make any fall
        # look beyond noise (98.1% -> 89.4% from 63 instances is within it)
        p = min(max((share + later) / 200, 0.01), 0.99)
        noise = 300 * math.sqrt(p * (1 - p) / n) + 2.0
        if later < share - noise:
            worse.append(f"{standard}: {share:.1f} -> {later:.1f} (noise {noise:.1f}, n {n:.0f})")
    return worse


def _varied(scenario: ScenarioSpec, staff: float, demand: float) -> ScenarioSpec:
    teams = {
        name: team.model_copy(update={"headcount": max(1.0, team.headcount * staff)})
        for name, team in scenario.teams.items()
    }
    rate = scenario.demand.contacts_per_week
    spec = scenario.demand.model_copy(update={"contacts_per_week": rate * demand if rate else rate})
    return scenario.model_copy(update={"teams": teams, "demand": spec})


@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    authority=st.sampled_from(AUTHORITIES),
    seed=st.integers(0, 10_000),
    demand=st.sampled_from([0.8, 1.0, 1.2]),
)
def test_more_staff_never_worse_and_more_demand_never_better_beyond_noise(
    authority: str, seed: int, demand: float
) -> None:
    scenario, _ = casejourney.load_scenario("national-baseline")
    workflow = casejourney.load_workflow(authority)
    by_staff = [
        _shares(workflow, _varied(scenario, staff, demand), seed) for staff in (0.8, 0.9, 1.0, 1.1)
    ]
    for fewer, more in itertools.pairwise(by_staff):
        assert not _worse_beyond_noise(fewer, more), _worse_beyond_noise(fewer, more)
    busier = _shares(workflow, _varied(scenario, 1.0, demand * 1.3), seed)
    assert not _worse_beyond_noise(busier, by_staff[2]), _worse_beyond_noise(busier, by_staff[2])
