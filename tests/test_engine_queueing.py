"""The engine against queueing theory: an M/M/c stage reproduces Erlang C (slow tier).

One state whose work is served by c servers, Poisson arrivals at uniformly random moments of each
day, exponential work, every day open. Erlang C gives the mean wait in the queue and the servers'
utilisation. At 90% load one long run has a standard deviation of several percent of the mean wait
(design.md section 7), so each load is run as independent replications and compared through their
mean: within 3 standard errors of the replication means, and within the stated tolerance.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math

import numpy as np
import pytest

from casejourney.calendar import DayGrid, Unit, default_calendar
from casejourney.engine import Draw, Kind, Model, StateModel, TeamModel, simulate

SERVERS = 5
HOURS_PER_DAY = 8.0
MEAN_WORK_HOURS = 8.0  # one day of one server: service rate 1 a day per server
DAYS = 15_000
WARM_UP = 500
REPLICATIONS = 12
#: Stated tolerance on the mean wait (relative), by load; utilisation within 1 percentage point.
TOLERANCE = {0.5: 0.06, 0.7: 0.05, 0.9: 0.06}


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits, for offered load ``offered`` = λ/μ erlangs."""
    rho = offered / servers
    top = offered**servers / math.factorial(servers) / (1 - rho)
    return top / (sum(offered**k / math.factorial(k) for k in range(servers)) + top)


def mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Erlang C mean wait in the queue."""
    offered = arrival_rate / service_rate
    return erlang_c(servers, offered) / (servers * service_rate - arrival_rate)


def one_stage(load: float, days: int = DAYS, discipline: str = "edf") -> Model:
    origin = dt.date(2001, 1, 1)
    grid = DayGrid(default_calendar(), origin, 0, days + 10)
    rate = load * SERVERS * HOURS_PER_DAY / MEAN_WORK_HOURS
    states = (
        StateModel(
            "queue",
            stay=Draw("fixed", (0.0,), Unit.DAYS),
            exits=(1,),
            weights=(1.0,),
            team=0,
            effort=Draw("exponential", (MEAN_WORK_HOURS,)),
        ),
        StateModel("served", terminal=True),
    )
    return Model(
        grid=grid,
        start=0,
        end=days,
        names=("queue", "served"),
        states=states,
        initial=0,
        arrivals=np.full(days, rate),
        open_days=np.ones(grid.last - grid.first + 1, dtype=bool),
        signals={},
        teams=(TeamModel("servers", (None,) * SERVERS, HOURS_PER_DAY),),
        continuous=True,
        discipline=discipline,  # type: ignore[arg-type]
    )


def replicate(load: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean wait (days) and utilisation of each replication, after the warm-up."""
    waits, busy = [], []
    for replication in range(REPLICATIONS):
        log, _ = simulate(one_stage(load), np.random.SeedSequence(1234, spawn_key=(replication,)))
        work = log["kind"] == Kind.WORK
        released, started, hours = log["released"][work], log["started"][work], log["hours"][work]
        after = released >= WARM_UP
        waits.append(float((started[after] - released[after]).mean()))
        counted = (started >= WARM_UP) & (started < DAYS - 50)
        busy.append(float(hours[counted].sum() / HOURS_PER_DAY / SERVERS / (DAYS - 50 - WARM_UP)))
    return np.array(waits), np.array(busy)


@pytest.mark.slow
@pytest.mark.parametrize("load", sorted(TOLERANCE))
def test_mmc_stage_reproduces_erlang_c(load: float) -> None:
    service_rate = HOURS_PER_DAY / MEAN_WORK_HOURS
    expected = mean_wait(SERVERS, load * SERVERS * service_rate, service_rate)
    waits, busy = replicate(load)
    mean = waits.mean()
    standard_error = waits.std(ddof=1) / math.sqrt(len(waits))
    assert abs(mean - expected) <= 3 * standard_error + 1e-9 or abs(mean / expected - 1) <= 0.01, (
        f"load {load}: mean wait {mean:.4f} days, Erlang C {expected:.4f}, SE {standard_error:.4f}"
    )
    assert abs(mean / expected - 1) <= TOLERANCE[load], (mean, expected)
    assert abs(busy.mean() - load) <= 0.01, (busy.mean(), load)


def test_erlang_c_formula_against_a_textbook_value() -> None:
    # 2 servers, 1 erlang: P(wait) = 1/3, mean wait 1/3 of a service time
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mean_wait(2, 1.0, 1.0) == pytest.approx(1 / 3)


@pytest.mark.parametrize("discipline", ["edf", "fifo"])
def test_servers_start_work_exactly_as_a_first_come_first_served_queue(discipline: str) -> None:
    # Replay the engine's own arrivals and work through the c-server FCFS recursion (each piece,
    # in order of arrival, goes to the server free soonest): every start time must agree. (Here
    # work is due the day it arrives, so earliest-due-first is first come first served too.)
    log, _ = simulate(one_stage(0.9, days=1500, discipline=discipline), np.random.SeedSequence(5))
    work = log["kind"] == Kind.WORK
    released, started = log["released"][work], log["started"][work]
    hours = log["hours"][work].astype(float)
    order = np.lexsort((started, released))
    free = [0.0] * SERVERS
    expected = []
    for arrival, amount in zip(released[order], hours[order] / HOURS_PER_DAY, strict=True):
        soonest = heapq.heappop(free)
        begin = max(arrival, soonest)
        heapq.heappush(free, begin + amount)
        expected.append(begin)
    # hours are stored as float32 in the log: agreement to a millionth of a day
    assert np.allclose(started[order], expected, atol=1e-5)
    assert len(expected) > 5000
