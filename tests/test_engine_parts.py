"""A system split into independent parts (areas): shares, joined records, and the cost of splitting."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from casejourney.engine import (
    Draw,
    Kind,
    PlaceModel,
    SlotModel,
    TeamModel,
    simulate,
    simulate_parts,
    split,
)
from casejourney.engine.model import Opening, shares
from tests.test_engine import model

SEED = np.random.SeedSequence(5)


def busy_model():  # type: ignore[no-untyped-def]
    """The one-state model with more of everything to share out."""
    return model(
        teams=(TeamModel("team", (12.0,) * 3 + (20.0,) * 7, 8.0),),
        slots=(SlotModel("diary", 3.0),),
        places=(PlaceModel("room", 7, frozenset({0})),),
        opening=(Opening(0, 5, Draw("fixed", (10.0,))),),
    )


@pytest.mark.parametrize(("total", "parts"), [(0, 3), (7, 3), (10, 4), (153, 153), (5, 1)])
def test_shares_add_up_and_differ_by_at_most_one(total: int, parts: int) -> None:
    for turn in range(parts):
        found = shares(total, parts, turn)
        assert sum(found) == total and max(found) - min(found) <= 1


def test_splitting_shares_out_everything_and_keeps_each_caseload_limit() -> None:
    whole = busy_model()
    parts = split(whole, 3)
    assert len(parts) == 3
    assert np.allclose(sum(p.arrivals for p in parts), whole.arrivals)
    limits = Counter(limit for p in parts for limit in p.teams[0].limits)
    assert limits == Counter(whole.teams[0].limits)
    assert all(p.teams[0].servers >= 1 for p in parts)
    assert sum(p.places[0].places for p in parts) == 7
    assert sum(o.count for p in parts for o in p.opening) == 5
    assert sum(p.slots[0].per_week for p in parts) == pytest.approx(3.0)
    # the remainders do not all land on the first part
    sizes = [
        p.teams[0].servers + p.places[0].places + sum(o.count for o in p.opening) for p in parts
    ]
    assert max(sizes) - min(sizes) <= 1


def test_more_parts_than_servers_is_refused_naming_the_team() -> None:
    with pytest.raises(ValueError, match="team"):
        split(model(), 3)  # two servers


def test_one_part_runs_exactly_as_the_whole() -> None:
    whole = busy_model()
    alone, _ = simulate(whole, SEED)
    parted, _ = simulate_parts(split(whole, 1), SEED)
    assert alone.digest() == parted.digest()


def test_joined_parts_keep_cases_and_servers_apart_and_conserve_cases() -> None:
    parts = split(busy_model(), 3)
    log, snaps = simulate_parts(parts, SEED)
    again, _ = simulate_parts(parts, SEED)
    assert log.digest() == again.digest()
    # each part's own run, with its own seed, is in the joined log with its ids moved on
    case_at, worker_at = 0, 0
    cases = 0
    for index, part in enumerate(parts):
        own, _ = simulate(part, np.random.SeedSequence(5, spawn_key=(index,)))
        mine = (log["case"] >= case_at) & (log["case"] < case_at + own["case"].max() + 1)
        assert mine.sum() == len(own)
        assert np.array_equal(log["day"][mine], own["day"])
        worked = own["worker"] >= 0
        assert np.array_equal(log["worker"][mine][worked], own["worker"][worked] + worker_at)
        cases += np.unique(own["case"]).size
        case_at += int(own["case"].max()) + 1
        worker_at += part.teams[0].servers
    assert np.unique(log["case"]).size == cases
    work = log["kind"] == Kind.WORK
    assert set(np.unique(log["worker"][work])) <= set(range(10))
    # no joined server does more than one server's hours in a day
    hours = Counter()  # type: Counter[tuple[int, int]]
    for worker, day, h in zip(
        log["worker"][work], log["day"][work], log["hours"][work], strict=True
    ):
        hours[(int(worker), int(day))] += float(h)
    assert max(hours.values()) <= 8.0 + 1e-6
    _, arrived = snaps.series("all", "arrived")
    _, opened = snaps.series("all", "opening")
    _, open_ = snaps.series("all", "open")
    _, closed = snaps.series("all", "closed")
    assert np.array_equal(arrived + opened, open_ + closed)
    _, servers = snaps.series("team:team", "servers")
    assert (servers == 10).all()


def test_splitting_a_team_into_separate_areas_makes_work_wait_longer() -> None:
    # Eight servers at about 70% load, as one pool or as four pools of two: pooled, a piece of work
    # waits only if all eight are busy. Waits are mostly nights and weekends (work starts on open
    # days), so the difference is about a third here; a split never gains from pooling.
    loaded = model(
        end=240,
        arrivals=np.full(240, 8.0),
        teams=(TeamModel("team", (None,) * 8, 8.0),),
        continuous=True,
    )

    def mean_wait(parts: int) -> float:
        waits = []
        for seed in range(3):
            log, _ = simulate_parts(split(loaded, parts), np.random.SeedSequence(seed))
            work = log["kind"] == Kind.WORK
            waits.append(np.mean(log["started"][work] - log["released"][work]))
        return float(np.mean(waits))

    assert mean_wait(4) > 1.1 * mean_wait(1)
