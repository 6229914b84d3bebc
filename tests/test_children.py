"""Standards for some children only: a placement, a legal status, a plan, a disability.

Barnet's "best interest" decision within six months is for children whose plan is adoption; its
transitions plan at 16 years 3 months for disabled children in care. Such a standard is owed only
where the child's record says the child has it, is listed by `rules`, and is not simulated.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

import casejourney
from casejourney.cli import main
from casejourney.spec.models import AppliesToSpec, ChildAttributes
from casejourney.tracking import CaseEvent, track

IN_CARE = [
    CaseEvent(dt.date(2025, 1, 6), "looked_after"),
    CaseEvent(dt.date(2026, 6, 1), "lac_visit"),
]


def owed(child: ChildAttributes | None) -> set[str]:
    workflow = casejourney.load_workflow("barnet")
    found = track(
        workflow,
        IN_CARE,
        date_of_birth=dt.date(2015, 3, 1),
        child=child,
        standards=["adoption-best-interest-decision", "permanence-match", "lac-review"],
    )
    return {i.standard for i in found}


def test_an_adoption_standard_is_owed_only_to_a_child_with_that_plan() -> None:
    assert owed(None) == {"lac-review"}
    assert owed(ChildAttributes(plan="return_home")) == {"lac-review"}
    assert owed(ChildAttributes(plan="long_term_fostering")) == {"lac-review", "permanence-match"}
    assert owed(ChildAttributes(plan="adoption")) == {
        "lac-review",
        "permanence-match",
        "adoption-best-interest-decision",
    }


@pytest.mark.parametrize(
    ("band", "child", "expected"),
    [
        ({"disabled": True}, ChildAttributes(disabled=True), True),
        ({"disabled": True}, ChildAttributes(disabled=False), False),
        ({"disabled": True}, None, False),
        ({"placement": ["parents"]}, ChildAttributes(placement="parents"), True),
        ({"placement": ["parents"]}, ChildAttributes(placement="foster_care"), False),
        ({"age_under": 1}, None, True),  # an unknown age is the stricter reading: in scope
    ],
)
def test_what_is_not_known_of_a_child_is_not_counted_against_them(
    band: dict[str, object], child: ChildAttributes | None, expected: bool
) -> None:
    spec = AppliesToSpec.model_validate(band)
    assert spec.includes(None, dt.date(2026, 1, 5), child) is expected


def test_statute_visits_a_child_living_with_a_parent_under_a_care_order_six_weekly() -> None:
    workflow = casejourney.load_workflow("national")
    events = [
        CaseEvent(dt.date(2026, 1, 5), "looked_after"),
        CaseEvent(dt.date(2027, 6, 1), "lac_visit"),
    ]
    home = ChildAttributes(placement="parents", legal_status="care_order")
    found = track(workflow, events, child=home, standards=["lac-visits-placed-with-parents"])
    assert found[0].due == dt.date(2026, 1, 12)  # within one week
    assert found[1].due == found[0].due + dt.timedelta(weeks=6)  # missed: the next is 6 weeks on
    assert track(workflow, events, standards=["lac-visits-placed-with-parents"]) == []


def test_rules_and_journey_say_who_is_owed_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--authority", "barnet", "--format", "json"]) == 0
    records = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["adoption-best-interest-decision"]["applies_to"] == {"plan": ["adoption"]}
    assert records["adoption-best-interest-decision"]["outside_simulation"] is None
    assert "scenario draws" in records["adoption-best-interest-decision"]["simulated_if"]
    assert records["lac-review-barnet"]["outside_simulation"] is None
    path = "referral,strategy_discussion,s47_enquiry,care_proceedings,looked_after"
    args = ["journey", "--authority", "barnet", "--path", path, "--format", "json"]
    assert main(args) == 0
    plain = {i["standard"] for i in json.loads(capsys.readouterr().out)["standards"]}
    assert main([*args, "--plan", "adoption"]) == 0
    adoption = {i["standard"] for i in json.loads(capsys.readouterr().out)["standards"]}
    assert "adoption-best-interest-decision" not in plain
    assert "adoption-best-interest-decision" in adoption


def test_a_wrong_plan_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["journey", "--authority", "barnet", "--plan", "adopted"])
    assert code != 0
    assert "adoption" in capsys.readouterr().err


def test_journey_draws_the_child_from_the_scenario_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def child(*extra: str) -> dict[str, object]:
        assert main(["journey", "--seed", "7", "--format", "json", *extra]) == 0
        found: dict[str, object] = json.loads(capsys.readouterr().out)["child"]
        return found

    drawn = child()
    assert drawn == child(), "the same seed draws the same child"
    assert drawn["drawn"] == ["placement", "legal_status", "plan", "disabled"]
    told = child("--placement", "residential", "--not-disabled")
    assert told["placement"] == "residential" and told["disabled"] is False
    assert told["drawn"] == ["legal_status", "plan"]
    assert (told["legal_status"], told["plan"]) == (drawn["legal_status"], drawn["plan"])
    assert main(["journey", "--seed", "7"]) == 0
    table = capsys.readouterr().out
    assert "The child: placement" in table
    assert "drawn from national-baseline's children: shares with seed 7" in table
    assert main(["journey", "--help"]) == 0
    words = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "(unsaid: drawn from the scenario)" in words
    assert "the same seed, the same child" in words


def test_a_negative_seed_is_refused_with_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    # numpy takes no negative seed; the journey said so with a traceback.
    assert main(["journey", "--seed", "-1"]) != 0
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(casejourney.CasejourneyError, match="seed -1 is negative"):
        casejourney.walk_journey("national", dt.date(2026, 1, 5), seed=-1)
