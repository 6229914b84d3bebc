"""Hypothesis strategies shared by every property test (one module, as in attrs' test suite).

Dates run from 2020 to 2035 (the window `check` compares timescales over) and are weighted towards
the weeks where working-day arithmetic goes wrong: 15 December to 5 January, and Easter.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from casejourney.calendar import Duration, Unit

FIRST = dt.date(2020, 1, 1)
LAST = dt.date(2035, 12, 31)


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _offset(anchor: st.SearchStrategy[dt.date], low: int, high: int) -> st.SearchStrategy[dt.date]:
    return st.builds(lambda day, n: day + dt.timedelta(days=n), anchor, st.integers(low, high))


#: Any day in the window.
any_dates = st.dates(FIRST, LAST)
#: 15 December to 5 January: Christmas, Boxing Day, substitute days and New Year.
christmas_dates = _offset(st.integers(2020, 2034).map(lambda y: dt.date(y, 12, 15)), 0, 21)
#: The week before Easter to the week after: Good Friday and Easter Monday.
easter_dates = _offset(st.integers(2020, 2035).map(easter_sunday), -8, 8)
#: Dates for calendar properties: a third each from the whole window, Christmas and Easter.
dates = st.one_of(any_dates, christmas_dates, easter_dates)

#: Working-day counts as written in standards (1 working day ... a quarter of a year).
working_day_counts = st.integers(min_value=1, max_value=70)
#: Month counts for calendar-month arithmetic, backwards and forwards.
month_counts = st.integers(min_value=-60, max_value=60)
#: Local closure days, on and around the bank holidays.
closure_days = st.frozensets(dates, max_size=8)

#: Any valid duration.
durations = st.builds(
    Duration, value=st.integers(min_value=1, max_value=400), unit=st.sampled_from(list(Unit))
)


# --- Workflows valid by construction -------------------------------------------------------------

_UNITS = ["days", "working days", "weeks", "months"]


@st.composite
def workflow_data(draw: st.DrawFn) -> dict:
    """A root workflow as YAML-ready data that checks clean by construction.

    States 0..n-1 are spread over phases; every state i > 0 has an edge from some j < i (so every
    state is reachable), every non-terminal state has an edge to some k > i (so the last state,
    the only terminal one, is reachable from everywhere), plus random backward edges (loops such
    as re-referral). Standards of all four kinds are drawn between declared events; lead times
    only run from activities that no deadline mentions, so no negative cycle can arise.
    """
    n = draw(st.integers(3, 9))
    n_phases = draw(st.integers(1, min(4, n)))
    phase_of = [min(i * n_phases // n, n_phases - 1) for i in range(n)]
    states = [{"id": f"s{i}", "phase": f"p{phase_of[i]}", "label": f"State {i}"} for i in range(n)]
    states[0]["initial"] = True
    states[-1]["terminal"] = True
    edges: set[tuple[int, int]] = set()
    for i in range(1, n):
        edges.add((draw(st.integers(0, i - 1)), i))
    for i in range(n - 1):
        if not any(a == i and b > i for a, b in edges):
            edges.add((i, draw(st.integers(i + 1, n - 1))))
    for _ in range(draw(st.integers(0, n))):
        a = draw(st.integers(1, n - 2)) if n > 2 else 0
        b = draw(st.integers(0, a))
        edges.add((a, b))
    activities = [f"a{j}" for j in range(draw(st.integers(1, 3)))]
    duration = st.builds(lambda v, u: f"{v} {u}", st.integers(1, 30), st.sampled_from(_UNITS))
    events = [s["id"] for s in states] + [f"exit:s{i}" for i in range(n - 1)] + activities[:1]
    standards: list[dict] = []
    for k in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["deadline", "recurring", "max_duration", "lead_time"]))
        base = {
            "id": f"std-{k}",
            "kind": kind,
            "title": f"Standard {k}",
            "source": {"document": "law", "section": f"s.{k}", "quote": f"Rule {k}."},
        }
        scope = draw(st.sampled_from([s["id"] for s in states[:-1]]))
        if kind == "deadline":
            base |= {
                "from": draw(st.sampled_from(events)),
                "to": draw(st.sampled_from(events)),
                "within": draw(duration),
            }
        elif kind == "recurring":
            base |= {
                "to": draw(st.sampled_from(activities)),
                "while": scope,
                "every": draw(duration),
            }
        elif kind == "max_duration":
            base |= {"while": scope, "within": draw(duration)}
        else:
            if len(activities) < 2:
                continue
            base |= {
                "from": activities[-1],
                "to": draw(st.sampled_from([s["id"] for s in states])),
                "at_least": draw(duration),
            }
        standards.append(base)
    return {
        "id": "generated",
        "title": "A generated workflow",
        "documents": [{"id": "law", "title": "A law for tests"}],
        "phases": [{"id": f"p{j}", "label": f"Phase {j}"} for j in range(n_phases)],
        "states": states,
        "activities": [{"id": a, "label": a.upper()} for a in activities],
        "transitions": [
            {"trigger": f"t{a}_{b}", "source": f"s{a}", "dest": f"s{b}"} for a, b in sorted(edges)
        ],
        "standards": standards,
    }


# --- Journeys through a workflow ------------------------------------------------------------------


@st.composite
def journeys(draw: st.DrawFn, workflow: object, start: st.SearchStrategy[dt.date] = dates) -> list:
    """A legal journey through ``workflow``: state entries and activities with random gaps."""
    from casejourney.machine import TransitionTable
    from casejourney.tracking import CaseEvent

    table = TransitionTable.from_workflow(workflow)  # type: ignore[arg-type]
    activities = sorted(workflow.activities)  # type: ignore[attr-defined]
    day = draw(start)
    state = table.initial
    events = [CaseEvent(day, state)]
    for _ in range(draw(st.integers(0, 14))):
        day += dt.timedelta(days=draw(st.integers(0, 45)))
        options = table.triggers(state)
        if activities and (not options or draw(st.booleans())):
            events.append(CaseEvent(day, draw(st.sampled_from(activities))))
            continue
        if not options:
            break
        state = table.fire(state, draw(st.sampled_from(options)))
        events.append(CaseEvent(day, state))
    return events
