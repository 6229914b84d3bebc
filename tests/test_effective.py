"""Effective dates: a standard in force from a date, and one that supersedes another.

Liverpool's "Allocating a PA prior to young people's 17th Birthday (from May 2024) (16th birthday
from September 2024)" is two rules in force one after the other, not a contradiction: each child is
owed one of them, judged by the due date, and never both.
"""

from __future__ import annotations

import datetime as dt

import pytest

import casejourney
from casejourney.calendar import birthday
from casejourney.spec.models import EffectiveSpec
from casejourney.tracking import CaseEvent, track

MAY, SEPTEMBER = "pa-allocation-from-may-2024", "pa-allocation-from-september-2024"
LAST = dt.date(2026, 12, 31)  # the record runs past every birthday these tests need


def owed(sixteenth: dt.date) -> dict[str, dt.date]:
    """The PA rules owed to a child in care since 2022 whose 16th birthday is ``sixteenth``."""
    workflow = casejourney.load_workflow("liverpool")
    born = dt.date(sixteenth.year - 16, sixteenth.month, sixteenth.day)
    events = [CaseEvent(dt.date(2022, 1, 10), "looked_after"), CaseEvent(LAST, "lac_visit")]
    found = track(
        workflow,
        events,
        until=dt.date(2027, 1, 1),
        date_of_birth=born,
        standards=[MAY, SEPTEMBER, "pa-allocation"],
    )
    return {i.standard: i.due for i in found}


def test_a_16th_birthday_from_september_2024_is_owed_the_newer_rule_only() -> None:
    sixteenth = dt.date(2024, 10, 10)
    assert owed(sixteenth) == {
        SEPTEMBER: sixteenth,
        "pa-allocation": dt.date(2026, 4, 10),  # "usually by 17.5", the bottom line
    }


def test_a_16th_birthday_before_september_is_owed_the_may_rule() -> None:
    # 17th birthday on 10 August 2025: from May 2024, and the September rule (16th birthday on
    # 10 August 2024) is not yet in force for this child.
    sixteenth = dt.date(2024, 8, 10)
    assert owed(sixteenth) == {
        MAY: birthday(dt.date(2008, 8, 10), 17),
        "pa-allocation": dt.date(2026, 2, 10),
    }


def test_a_17th_birthday_before_may_2024_is_owed_neither() -> None:
    assert set(owed(dt.date(2023, 3, 1))) == {"pa-allocation"}


def test_asking_for_the_older_rule_alone_still_honours_the_newer() -> None:
    workflow = casejourney.load_workflow("liverpool")
    born = dt.date(2008, 10, 10)
    events = [CaseEvent(dt.date(2022, 1, 10), "looked_after"), CaseEvent(LAST, "lac_visit")]
    assert (
        track(workflow, events, until=dt.date(2027, 1, 1), date_of_birth=born, standards=[MAY])
        == []
    )


def test_the_two_rules_are_not_reported_as_a_contradiction() -> None:
    findings = casejourney.check_paths([casejourney.load_workflow("liverpool").path])
    for finding in findings:
        assert not (MAY in finding.message and SEPTEMBER in finding.message), finding.render()


@pytest.mark.parametrize(
    ("effective", "day", "owed"),
    [
        ({"from": dt.date(2024, 5, 1)}, dt.date(2024, 4, 30), False),
        ({"from": dt.date(2024, 5, 1)}, dt.date(2024, 5, 1), True),
        ({"until": dt.date(2024, 9, 1)}, dt.date(2024, 8, 31), True),
        ({"until": dt.date(2024, 9, 1)}, dt.date(2024, 9, 1), False),
    ],
)
def test_from_is_inclusive_and_until_exclusive(
    effective: dict[str, dt.date], day: dt.date, owed: bool
) -> None:
    assert EffectiveSpec.model_validate(effective).includes(day) is owed
