"""The statutory floor's rules do for a child what their regulation says, to the day.

Each test pins the due dates and outcomes one rule gives a made-up record, so that a rule encoded
with the wrong interval, switch, children or anchor fails here (the audit's rows in
docs/authorities/audit.md rely on these).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import casejourney
from casejourney.api import Workflow
from casejourney.journey import walk
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


ELIGIBLE = "needs-assessment-eligible-after-16"
BORN = D(2010, 3, 10)  # 14 on 10 March 2024, 16 on 10 March 2026, 18 on 10 March 2028


UNTIL = D(2027, 6, 1)


def needs(national: Workflow, *pairs: tuple[str, str], until: D = UNTIL) -> dict:
    found = track(national, events(*pairs), until=until, date_of_birth=BORN)
    return {
        rule: [(i.opened, i.due, i.done, i.outcome) for i in found if i.standard == rule]
        for rule in (ELIGIBLE, "needs-assessment-16")
    }


def test_reg_42_1_a_child_who_comes_into_care_after_16_is_owed_it_once_eligible(
    national: Workflow,
) -> None:
    # reg 42(1): "not more than three months after the date on which C ... becomes an eligible
    # child after that age"; eligible: looked after 13 weeks in all since 14 (reg 40(1)). In care
    # from 11 May 2026 (16 and 2 months), never before: eligible 91 days later, 10 August 2026.
    came = ("2026-05-11", "looked_after")
    assert needs(national, came, ("2026-11-10", "needs_assessment")) == {
        ELIGIBLE: [(D(2026, 8, 10), D(2026, 11, 10), D(2026, 11, 10), Outcome.MET)],
        "needs-assessment-16": [],  # not looked after on the birthday
    }
    late = needs(national, came, ("2026-11-11", "needs_assessment"))[ELIGIBLE]
    assert late == [(D(2026, 8, 10), D(2026, 11, 10), D(2026, 11, 11), Outcome.LATE)]
    # Left care after 12 weeks: never eligible, owed nothing.
    assert needs(national, came, ("2026-08-03", "cin_plan"))[ELIGIBLE] == []


def test_reg_42_1_time_in_care_since_14_adds_up(national: Workflow) -> None:
    # 61 days in care at 14 (1 June to 1 August 2024), back in care at 16 on 1 April 2026:
    # 30 more days make 13 weeks, so eligible on 1 May 2026.
    owed = needs(
        national,
        ("2024-06-01", "looked_after"),
        ("2024-08-01", "cin_plan"),
        ("2026-04-01", "looked_after"),
    )[ELIGIBLE]
    assert [(opened, due) for opened, due, _, _ in owed] == [(D(2026, 5, 1), D(2026, 8, 1))]
    # Time in care before the 14th birthday does not count (1 January 2023 to 1 March 2024).
    owed = needs(
        national,
        ("2023-01-01", "looked_after"),
        ("2024-03-01", "cin_plan"),
        ("2026-04-10", "looked_after"),
    )[ELIGIBLE]
    assert [(opened, due) for opened, due, _, _ in owed] == [(D(2026, 7, 10), D(2026, 10, 10))]


def test_reg_42_1_the_two_limbs_divide_the_children_at_13_weeks_on_the_birthday(
    national: Workflow,
) -> None:
    # 16 on 10 March 2026. In care from 9 December 2025: 91 days, 13 weeks, on the birthday, so
    # eligible then: the first limb, due 10 June. From 10 December: 90 days, eligible the next
    # day: the second limb, due 11 June. Each is owed one assessment, never both.
    later = ("2026-12-01", "lac_review")  # the record goes on past the birthday
    assert needs(national, ("2025-12-09", "looked_after"), later) == {
        ELIGIBLE: [],
        "needs-assessment-16": [(D(2026, 3, 10), D(2026, 6, 10), None, Outcome.MISSED)],
    }
    assert needs(national, ("2025-12-10", "looked_after"), later) == {
        ELIGIBLE: [(D(2026, 3, 11), D(2026, 6, 11), None, Outcome.MISSED)],
        "needs-assessment-16": [],
    }
    # In care since 13: eligible on the birthday.
    found = needs(national, ("2023-05-01", "looked_after"), later)
    assert found[ELIGIBLE] == []
    assert [due for _, due, _, _ in found["needs-assessment-16"]] == [D(2026, 6, 10)]
    # An assessment done before becoming eligible counts (or_before): the simulation schedules
    # one from the birthday for every child looked after then.
    found = needs(national, ("2026-02-09", "looked_after"), ("2026-04-01", "needs_assessment"))
    assert found[ELIGIBLE] == [(D(2026, 5, 11), D(2026, 8, 11), D(2026, 4, 1), Outcome.MET)]


def test_reg_42_1_is_owed_only_to_a_child_under_18(national: Workflow) -> None:
    # Eligible means aged 16 or 17: in care from 8 December 2027, eligible on 8 March 2028,
    # two days before turning 18; from 10 December, eligible on the 18th birthday: not owed.
    until = D(2028, 9, 1)
    assert len(needs(national, ("2027-12-08", "looked_after"), until=until)[ELIGIBLE]) == 1
    assert needs(national, ("2027-12-10", "looked_after"), until=until)[ELIGIBLE] == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_journey_schedules_the_assessment_for_a_child_eligible_after_16(
    national: Workflow, seed: int
) -> None:
    scenario, _ = casejourney.load_scenario("national-baseline")
    walked = walk(
        national,
        scenario,
        D(2026, 5, 1),  # 16 and a month and a half
        path=["referral", "cf_assessment", "cin_plan", "looked_after"],
        rng=np.random.default_rng(seed),
        until=D(2027, 12, 1),
        date_of_birth=BORN,
    )
    entered = next(e.day for e in walked.events if e.name == "looked_after")
    owed = [i for i in walked.instances if i.standard == ELIGIBLE]
    assert [i.opened for i in owed] == [entered + dt.timedelta(days=91)]
    assert owed[0].outcome in (Outcome.MET, Outcome.LATE)  # scheduled, on time or late


def test_reg_42_1_first_limb_is_measured_on_a_run_as_tracking_finds_it() -> None:
    # The simulation's records (as the vectorised metrics read them) and tracking agree on which
    # children are eligible on their 16th birthday: 91 days in care (met), 90 (not owed), and
    # two stays adding up to 91 (owed) or to 90 (not owed).
    from tests.test_metrics import frame_for, reference, vectorised

    frame = frame_for("national", weeks=52)

    def stay(entered: str, *more: tuple[str, str]) -> list[tuple[str, str]]:
        return [(entered, "looked_after"), *more, ("2027-03-10", "age:16")]

    cases = [
        [*stay("2026-12-09"), ("2027-05-01", "needs_assessment")],
        stay("2026-12-10"),
        stay("2026-11-02", ("2026-11-12", "cin_plan"), ("2026-12-19", "looked_after")),
        stay("2026-11-02", ("2026-11-12", "cin_plan"), ("2026-12-20", "looked_after")),
    ]
    tracked = [r for r in reference(frame, cases) if r[0] == "needs-assessment-16"]
    assert [(r[1], r[3]) for r in tracked] == [(0, D(2027, 3, 10)), (2, D(2027, 3, 10))]
    assert [r for r in vectorised(frame, cases) if r[0] == "needs-assessment-16"] == tracked


# --- the Public Law Outline's case management hearing (PD 12A) ----------------------------------


def cmh(national: Workflow, hearing: str) -> list[tuple[str, D, D | None, Outcome]]:
    # Proceedings issued on Monday 2 March 2026: day 1. Day 12 is Friday 13 March, day 18
    # Thursday 19 March.
    log = events(("2026-03-02", "care_proceedings"), (hearing, "case_management_hearing"))
    found = track(national, log, until=D(2026, 5, 1))
    return [
        (i.standard, i.due, i.done, i.outcome)
        for i in found
        if i.standard in ("cmh-not-later-than-day-18", "cmh-not-before-day-12")
    ]


def test_pd12a_cmh_on_day_12_and_on_day_18_meet_the_window(national: Workflow) -> None:
    for hearing in ("2026-03-13", "2026-03-19"):
        found = cmh(national, hearing)
        assert sorted({s for s, *_ in found}) == [
            "cmh-not-before-day-12",
            "cmh-not-later-than-day-18",
        ]
        assert {o for *_, o in found} == {Outcome.MET}, hearing
    late = [f for f in cmh(national, "2026-03-19") if f[0] == "cmh-not-later-than-day-18"]
    assert late == [("cmh-not-later-than-day-18", D(2026, 3, 19), D(2026, 3, 19), Outcome.MET)]


def test_pd12a_cmh_on_day_19_is_late_and_on_day_11_too_early(national: Workflow) -> None:
    # "Not later than day 18": day 19 (Friday 20 March) is a day late, as the 26 weeks
    # "beginning with the day" of issue are counted. "Not before day 12": day 11 (12 March)
    # breaks the lead time, while the deadline is met.
    late = {s: (due, o) for s, due, _, o in cmh(national, "2026-03-20")}
    assert late["cmh-not-later-than-day-18"] == (D(2026, 3, 19), Outcome.LATE)
    assert late["cmh-not-before-day-12"][1] == Outcome.MET
    early = {s: (due, o) for s, due, _, o in cmh(national, "2026-03-12")}
    assert early["cmh-not-later-than-day-18"] == (D(2026, 3, 19), Outcome.MET)
    # the lead time: issue needed by 1 March for a hearing on the 12th; it came on the 2nd
    assert early["cmh-not-before-day-12"] == (D(2026, 3, 1), Outcome.LATE)


def test_pd12a_cmh_and_the_termly_pep_are_not_simulated(national: Workflow) -> None:
    # The scenarios have no hearing task and were calibrated without termly PEP reviews: these
    # rules are tracked, not simulated, and say why.
    for ident in ("cmh-not-later-than-day-18", "cmh-not-before-day-12", "pep-review-termly"):
        reason = national.standards[ident].spec.outside_simulation
        assert reason and "calibrated" in reason


def test_26_weeks_end_on_the_181st_day_after_issue(national: Workflow) -> None:
    # s.32(1)(a)(ii): "twenty-six weeks beginning with the day on which the application was
    # issued": issued Monday 2 March 2026, the 26 weeks end on Sunday 30 August (the 182nd day
    # counting the day of issue as the first).
    log = events(("2026-03-02", "care_proceedings"), ("2026-08-31", "care_order"))
    found = [
        (i.due, i.outcome)
        for i in track(national, log, until=D(2026, 10, 1))
        if i.standard == "proceedings-26-weeks"
    ]
    assert found and found[0][0] == D(2026, 8, 30)


# --- the personal education plan reviewed each term ------------------------------------------


def test_pep_reviewed_once_in_each_school_term(national: Workflow) -> None:
    # Born 1 June 2015, in care from Monday 15 September 2025 (autumn term). Reviews on
    # 1 October 2025 and 14 May 2026: none in the spring term, so the review due by its end
    # (27 March 2026, on the shipped term dates) is late.
    log = events(
        ("2025-09-15", "looked_after"),
        ("2025-10-01", "pep_review"),
        ("2026-05-14", "pep_review"),
    )
    found = owed(
        track(national, log, until=D(2026, 6, 1), date_of_birth=D(2015, 6, 1)),
        "pep-review-termly",
    )
    assert found[:2] == [
        (1, D(2026, 3, 27), D(2025, 10, 1), Outcome.MET),
        (2, D(2026, 3, 27), D(2026, 5, 14), Outcome.LATE),
    ]
    # A two-year-old in care is owed none (children of school age or in early years, from 3).
    young = track(national, log, until=D(2026, 6, 1), date_of_birth=D(2023, 9, 1))
    assert owed(young, "pep-review-termly") == []


def test_pd12a_cmh_and_termly_pep_second_reading_edges(national: Workflow) -> None:
    # Second reading (a helper who built neither rule). The hearing's days are calendar days,
    # bank holidays included: issued Friday 27 March 2026, day 18 is Easter Monday 13 April, so a
    # hearing on Tuesday 14 April is late; day 12 (7 April) meets the lead time.
    found = {
        i.standard: (i.due, i.outcome)
        for i in track(
            national,
            events(("2026-03-27", "care_proceedings"), ("2026-04-14", "case_management_hearing")),
            until=D(2026, 6, 1),
        )
        if i.standard.startswith("cmh-")
    }
    assert found["cmh-not-later-than-day-18"] == (D(2026, 4, 13), Outcome.LATE)
    assert found["cmh-not-before-day-12"][1] == Outcome.MET
    # Once in each term: a review in the Easter holiday (5 April) is late for the spring term
    # and counts for no term; the next is due by the end of the summer term (20 July), and a
    # summer-holiday review (10 August) leaves the autumn term's owed by its end (18 December).
    born = D(2015, 6, 1)
    log = events(
        ("2025-09-01", "looked_after"),
        ("2025-10-01", "pep_review"),
        ("2026-04-05", "pep_review"),
        ("2026-07-01", "pep_review"),
        ("2026-08-10", "pep_review"),
    )
    assert owed(
        track(national, log, until=D(2027, 1, 31), date_of_birth=born), "pep-review-termly"
    ) == [
        (1, D(2026, 3, 27), D(2025, 10, 1), Outcome.MET),
        (2, D(2026, 3, 27), D(2026, 4, 5), Outcome.LATE),
        (3, D(2026, 7, 20), D(2026, 7, 1), Outcome.MET),
        (4, D(2026, 12, 18), D(2026, 8, 10), Outcome.MET),
        (5, D(2026, 12, 18), None, Outcome.MISSED),
        (6, D(2027, 3, 26), None, Outcome.PENDING),
    ]
    # Leaving care at 18 ends it: born 1 February 2009, a care leaver on the birthday; after the
    # review of 1 October 2026 (late for the summer term) the one due by 26 March 2027 is not owed.
    log = events(
        ("2025-09-01", "looked_after"),
        ("2026-10-01", "pep_review"),
        ("2027-02-01", "care_leaver"),
    )
    adult = track(national, log, until=D(2027, 6, 1), date_of_birth=D(2009, 2, 1))
    assert [f for f in owed(adult, "pep-review-termly") if f[3] is not Outcome.WITHDRAWN] == [
        (1, D(2026, 3, 27), None, Outcome.MISSED),
        (2, D(2026, 7, 20), D(2026, 10, 1), Outcome.LATE),
    ]
    # In care at 2 years 11 months (born 15 October 2022, in care 15 September 2025): each
    # occurrence is judged by the age on the day it opens, so the first owed is the summer
    # term's (opening 27 March 2026), not the spring term's (a stated limit, not the guidance's).
    young = owed(
        track(
            national,
            events(("2025-09-15", "looked_after")),
            until=D(2026, 9, 1),
            date_of_birth=D(2022, 10, 15),
        ),
        "pep-review-termly",
    )
    assert [(due, o) for _, due, _, o in young] == [
        (D(2026, 7, 20), Outcome.MISSED),
        (D(2026, 12, 18), Outcome.PENDING),
    ]
