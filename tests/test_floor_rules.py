"""The statutory floor's rules do for a child what their regulation says, to the day.

Each test pins the due dates and outcomes one rule gives a made-up record, so that a rule encoded
with the wrong interval, switch, children or anchor fails here (the audit's rows in
docs/authorities/audit.md rely on these).
"""

from __future__ import annotations

import datetime as dt

import pytest

import casejourney
from casejourney.api import Workflow
from casejourney.spec.models import ChildAttributes
from casejourney.tracking import CaseEvent, Outcome, track

D = dt.date


@pytest.fixture(scope="module")
def national() -> Workflow:
    return casejourney.load_workflow("national")


def events(*pairs: tuple[str, str]) -> list[CaseEvent]:
    return [CaseEvent(D.fromisoformat(day), name) for day, name in pairs]


def owed(found: list, standard: str) -> list[tuple[int, D, D | None, Outcome]]:
    return [(i.occurrence, i.due, i.done, i.outcome) for i in found if i.standard == standard]


BEFORE_ASSESSMENT = "lac-visits-placed-with-parents-before-assessment"


def test_reg_28_3_weekly_until_the_first_review_then_six_weekly(national: Workflow) -> None:
    # reg 28(3): "Where regulation 19 applies ... at least once a week until the first review ...
    # and ... thereafter at intervals of not more than six weeks." In care on Monday 5 January
    # 2026 with a parent whose assessment is not complete; visited on the 12th and the 19th, the
    # first review on Friday 30 January, visited on 2 February and 16 March.
    log = events(
        ("2026-01-05", "looked_after"),
        ("2026-01-12", "lac_visit"),
        ("2026-01-19", "lac_visit"),
        ("2026-01-30", "lac_review"),
        ("2026-02-02", "lac_visit"),
        ("2026-03-16", "lac_visit"),
    )
    child = ChildAttributes(placement="parents_before_assessment")
    found = owed(track(national, log, until=D(2026, 4, 1), child=child), BEFORE_ASSESSMENT)
    assert found[:5] == [
        (1, D(2026, 1, 12), D(2026, 1, 12), Outcome.MET),
        (2, D(2026, 1, 19), D(2026, 1, 19), Outcome.MET),
        # weekly still: the review on the 30th comes after this one opened
        (3, D(2026, 1, 26), D(2026, 2, 2), Outcome.LATE),
        # after the first review: six weeks from the visit on 2 February
        (4, D(2026, 3, 16), D(2026, 3, 16), Outcome.MET),
        (5, D(2026, 4, 27), None, Outcome.PENDING),
    ]
    # Placed with a parent after the assessment (reg 28(5) or (4) instead): not owed.
    assert (
        owed(
            track(national, log, until=D(2026, 4, 1), child=ChildAttributes(placement="parents")),
            BEFORE_ASSESSMENT,
        )
        == []
    )
    # Nor where the record does not say where the child lives.
    assert owed(track(national, log, until=D(2026, 4, 1)), BEFORE_ASSESSMENT) == []


def test_reg_19_placements_are_living_with_a_parent_for_reg_28_4_and_5(national: Workflow) -> None:
    log = events(("2026-01-05", "looked_after"), ("2026-01-12", "lac_visit"))
    for status, rule in (
        ("care_order", "lac-visits-placed-with-parents"),
        ("interim_care_order", "lac-visits-interim-order-with-parents"),
    ):
        child = ChildAttributes(placement="parents_before_assessment", legal_status=status)
        assert owed(track(national, log, until=D(2026, 2, 1), child=child), rule)[0][1:] == (
            D(2026, 1, 12),
            D(2026, 1, 12),
            Outcome.MET,
        )
