"""Through the command line, the shipped M/M/c scenarios reproduce Erlang C (slow tier).

A planner's scenario file is the way most people meet the engine, so the queueing check is made
through it too: `casejourney simulate queueing-mmc[-50|-90]` (Poisson arrivals through the day,
every day open, c = 5 servers, exponential work) against Erlang C's mean wait in the queue and the
servers' utilisation.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from casejourney.cli import main

SERVERS = 5


def erlang_c_wait(servers: int, offered: float) -> float:
    """Mean wait in the queue (days) of an M/M/c queue with service rate 1 a day."""
    rho = offered / servers
    top = offered**servers / math.factorial(servers) / (1 - rho)
    waits = top / (sum(offered**k / math.factorial(k) for k in range(servers)) + top)
    return waits / (servers - offered)


def summary(folder: Path, measure: str, subject: str) -> float:
    with (folder / "summary.csv").open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["metric"] == measure and row["subject"] == subject:
                return float(row["mean"])
    raise AssertionError(f"{measure} for {subject} not in {folder}/summary.csv")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scenario", "load"),
    [("queueing-mmc-50", 0.5), ("queueing-mmc", 0.8), ("queueing-mmc-90", 0.9)],
)
def test_the_shipped_queueing_scenario_matches_erlang_c(
    tmp_path: Path, scenario: str, load: float
) -> None:
    out = tmp_path / scenario
    assert main(["simulate", scenario, "--replications", "12", "--jobs", "2", "-o", str(out)]) == 0
    expected = erlang_c_wait(SERVERS, load * SERVERS)
    wait = summary(out, "team.wait_days_mean", "servers")
    assert abs(wait - expected) <= 0.05 * expected, (
        f"mean wait {wait:.4f} d, Erlang C {expected:.4f} d"
    )
    utilisation = summary(out, "team.utilisation_pct", "servers")
    assert abs(utilisation - 100 * load) <= 1.0, f"utilisation {utilisation:.1f}%"
