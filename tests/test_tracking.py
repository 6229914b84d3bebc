"""Standards tracking on tiny hand-written case histories: the outcomes a practitioner expects."""

from __future__ import annotations

import datetime as dt

import pytest

import casejourney
import casejourney.api
from casejourney.tracking import CaseEvent, Outcome, track

D = dt.date


@pytest.fixture(scope="module")
def national() -> casejourney.api.Workflow:
    return casejourney.load_workflow("national")


def events(*pairs: tuple[str, str]) -> list[CaseEvent]:
    return [CaseEvent(D.fromisoformat(day), name) for day, name in pairs]


def only(instances: list, standard: str) -> list:
    return [i for i in instances if i.standard == standard]


def test_icpc_across_christmas_is_due_on_the_fifteenth_working_day(national) -> None:
    log = events(
        ("2026-12-17", "contact"),
        ("2026-12-18", "referral"),
        ("2026-12-18", "strategy_discussion"),
        ("2026-12-21", "s47_enquiry"),
        ("2027-01-13", "icpc"),
    )
    [icpc] = only(track(national, log), "icpc-timing")
    assert icpc.due == D(2027, 1, 13)
    assert icpc.outcome is Outcome.MET


def test_icpc_one_working_day_late_is_late_by_one_working_day(national) -> None:
    log = events(
        ("2026-12-18", "contact"),
        ("2026-12-18", "referral"),
        ("2026-12-18", "strategy_discussion"),
        ("2026-12-21", "s47_enquiry"),
        ("2027-01-14", "icpc"),
    )
    [icpc] = only(track(national, log), "icpc-timing")
    assert icpc.outcome is Outcome.LATE
    assert icpc.breached
    assert icpc.late_units == 1
    assert icpc.late_days == 1


def test_s47_ending_without_conference_withdraws_the_icpc_deadline(national) -> None:
    log = events(
        ("2026-03-02", "contact"),
        ("2026-03-02", "referral"),
        ("2026-03-03", "strategy_discussion"),
        ("2026-03-04", "s47_enquiry"),
        ("2026-03-10", "case_closed"),
    )
    [icpc] = only(track(national, log), "icpc-timing")
    assert icpc.outcome is Outcome.WITHDRAWN
    assert not icpc.breached


def test_an_enquiry_ending_in_no_action_after_the_due_date_is_no_missed_conference(
    national,
) -> None:
    # icpc-timing is conditional: a conference is owed only when the enquiry calls for one
    log = events(
        ("2026-03-02", "referral"),
        ("2026-03-03", "strategy_discussion"),
        ("2026-03-04", "s47_enquiry"),
        ("2026-04-20", "case_closed"),
    )
    [icpc] = only(track(national, log), "icpc-timing")
    assert icpc.outcome is Outcome.WITHDRAWN
    late = events(
        ("2026-03-02", "referral"),
        ("2026-03-03", "strategy_discussion"),
        ("2026-03-04", "s47_enquiry"),
        ("2026-04-20", "icpc"),
    )
    [icpc] = only(track(national, late), "icpc-timing")
    assert icpc.outcome is Outcome.LATE


def test_an_unconditional_deadline_left_after_its_due_date_is_missed() -> None:
    # Barnet: the strategy discussion's decisions are owed to every participant, no condition
    barnet = casejourney.load_workflow("barnet")
    log = events(
        ("2026-03-02", "referral"),
        ("2026-03-03", "strategy_discussion"),
        ("2026-03-04", "s47_enquiry"),
        ("2026-04-20", "case_closed"),
    )
    [shared] = only(track(barnet, log), "strategy-record-shared")
    assert shared.outcome is Outcome.MISSED


def test_open_deadline_past_due_at_end_of_record_is_missed(national) -> None:
    log = events(
        ("2026-03-02", "contact"),
        ("2026-03-02", "referral"),
        ("2026-03-03", "strategy_discussion"),
        ("2026-03-04", "s47_enquiry"),
    )
    [icpc] = only(track(national, log, until=D(2026, 6, 1)), "icpc-timing")
    assert icpc.outcome is Outcome.MISSED
    pending = only(track(national, log, until=D(2026, 3, 5)), "icpc-timing")
    assert pending[0].outcome is Outcome.PENDING


def test_review_conferences_first_three_months_then_six(national) -> None:
    log = events(
        ("2026-01-05", "contact"),
        ("2026-01-05", "referral"),
        ("2026-01-06", "strategy_discussion"),
        ("2026-01-07", "s47_enquiry"),
        ("2026-01-20", "icpc"),
        ("2026-01-20", "cp_plan"),
        ("2026-04-15", "review_conference"),
        ("2026-11-01", "review_conference"),
        ("2027-01-10", "cin_plan"),
    )
    reviews = only(track(national, log), "review-conference")
    assert [r.due for r in reviews] == [D(2026, 4, 20), D(2026, 10, 15)]
    assert [r.outcome for r in reviews] == [Outcome.MET, Outcome.LATE]
    assert reviews[1].late_days == 17


def test_a_long_gap_in_recurring_visits_records_every_missed_interval(national) -> None:
    log = events(
        ("2026-01-05", "contact"),
        ("2026-01-05", "referral"),
        ("2026-01-06", "cf_assessment"),
        ("2026-01-07", "cin_plan"),
        ("2026-01-08", "looked_after"),
        ("2026-01-12", "lac_visit"),
        ("2026-08-01", "cin_plan"),
    )
    visits = only(track(national, log), "lac-visits")
    assert visits[0].outcome is Outcome.MET
    missed = [v for v in visits if v.outcome is Outcome.MISSED]
    # 12 January to 1 August with visits due 6-weekly: 4 intervals pass with no visit.
    assert len(missed) == 4
    dues = [v.due for v in visits]
    assert dues == sorted(dues)


def test_proceedings_over_26_weeks_is_late(national) -> None:
    log = events(
        ("2026-01-05", "contact"),
        ("2026-01-05", "referral"),
        ("2026-01-06", "strategy_discussion"),
        ("2026-01-07", "s47_enquiry"),
        ("2026-01-08", "care_proceedings"),
        ("2026-09-01", "looked_after"),
    )
    [proceedings] = only(track(national, log), "proceedings-26-weeks")
    # "within twenty-six weeks beginning with the day on which the application was issued": the
    # day of issue (Thursday 8 January) is day 1, so the 26th week ends on Wednesday 8 July.
    assert proceedings.due == D(2026, 7, 8)
    assert proceedings.outcome is Outcome.LATE


def test_age_anchor_needs_a_date_of_birth_and_never_needs_it_written(national) -> None:
    log = events(
        ("2026-01-05", "contact"),
        ("2026-01-05", "referral"),
        ("2026-01-06", "strategy_discussion"),
        ("2026-01-07", "s47_enquiry"),
        ("2026-01-08", "care_proceedings"),
        # in care for 13 weeks by the 16th birthday, so eligible then (reg 42(1), reg 40(1))
        ("2026-03-01", "looked_after"),
        ("2026-09-10", "needs_assessment"),
    )
    assert only(track(national, log), "needs-assessment-16") == []
    [needs] = only(track(national, log, date_of_birth=D(2010, 7, 1)), "needs-assessment-16")
    assert needs.opened == D(2026, 7, 1)
    assert needs.due == D(2026, 10, 1)
    assert needs.outcome is Outcome.MET
    assert "2010" not in repr(needs)


def test_a_birthday_after_the_last_event_still_opens_what_counts_from_it(national) -> None:
    # A record tracked to a date after its last event: a birthday in between is a day of the
    # record like any other. In care from 1 March 2026 and nothing recorded after, tracked to
    # 1 December 2026: eligible on the 16th birthday (1 July), so the needs assessment (reg 42(1))
    # was due on 1 October and is missed, not silently not owed.
    log = events(("2026-01-05", "contact"), ("2026-03-01", "looked_after"))
    until = D(2026, 12, 1)
    [needs] = only(
        track(national, log, until=until, date_of_birth=D(2010, 7, 1)), "needs-assessment-16"
    )
    assert (needs.opened, needs.due, needs.outcome) == (
        D(2026, 7, 1),
        D(2026, 10, 1),
        Outcome.MISSED,
    )
    # Tracked only to the day before the birthday: not yet owed.
    assert (
        only(
            track(national, log, until=D(2026, 6, 30), date_of_birth=D(2010, 7, 1)),
            "needs-assessment-16",
        )
        == []
    )


def test_local_standard_changes_the_due_date(national) -> None:
    barnet = casejourney.load_workflow("barnet")
    log = events(
        ("2026-12-17", "contact"),
        ("2026-12-18", "referral"),
        ("2026-12-18", "strategy_discussion"),
        ("2026-12-21", "s47_enquiry"),
        ("2027-01-13", "icpc"),
    )
    # Barnet: "15 days from initial strategy discussion"; statute: 15 working days.
    [mine] = only(track(barnet, log), "icpc-timing")
    [theirs] = only(track(national, log), "icpc-timing")
    assert theirs.due == D(2027, 1, 13)
    assert mine.due == D(2027, 1, 2)


def test_a_baby_standard_stops_at_the_first_birthday() -> None:
    barnet = casejourney.load_workflow("barnet")
    start = dt.date(2026, 1, 5)
    case = [CaseEvent(start, "referral"), CaseEvent(start + dt.timedelta(days=1), "cin_plan")]
    until = dt.date(2026, 12, 31)
    baby = only(
        track(barnet, case, until=until, date_of_birth=dt.date(2025, 7, 1)), "cin-baby-seen-awake"
    )
    assert baby, "a baby in need is owed visits seen awake"
    assert all(i.opened < dt.date(2026, 7, 1) for i in baby)
    assert not only(
        track(barnet, case, until=until, date_of_birth=dt.date(2014, 1, 1)), "cin-baby-seen-awake"
    )
    # With no date of birth, the stricter reading: the standard applies.
    assert only(track(barnet, case, until=until), "cin-baby-seen-awake")


def test_statute_stays_in_force_beside_barnets_looser_first_review() -> None:
    # Barnet: "the first CiC review has been held within one month"; reg 33: "within 20 working
    # days". Coming into care on Wednesday 1 January 2020 (a bank holiday), statute's 20th working
    # day is Wednesday 29 January and Barnet's month ends on Saturday 1 February.
    barnet = casejourney.load_workflow("barnet")
    log = events(
        ("2019-12-30", "referral"), ("2020-01-01", "looked_after"), ("2020-01-31", "lac_review")
    )
    [statute] = only(track(barnet, log), "lac-review")[:1]
    [local] = only(track(barnet, log), "lac-review-barnet")[:1]
    assert (statute.due, statute.outcome) == (D(2020, 1, 29), Outcome.LATE)
    assert (local.due, local.outcome) == (D(2020, 2, 1), Outcome.MET)
    assert barnet.standards["lac-review"].authority == "national"


def test_a_journey_in_barnet_care_meets_both_statute_and_the_local_deviation() -> None:
    from casejourney.journey import walk

    barnet = casejourney.load_workflow("barnet")
    scenario, _ = casejourney.load_scenario("barnet-baseline")
    journey = walk(
        barnet,
        scenario,
        D(2019, 12, 2),
        path=["referral", "cf_assessment", "cin_plan", "looked_after"],
        until=D(2021, 12, 31),
    )
    for ident in ("lac-review", "lac-review-barnet", "lac-visits", "lac-visits-barnet"):
        outcomes = {i.outcome for i in only(list(journey.instances), ident)}
        assert outcomes <= {Outcome.MET, Outcome.PENDING}, (ident, outcomes)
        assert Outcome.MET in outcomes, ident


def test_barnets_contact_screening_counts_from_receipt_of_the_contact_beside_statute() -> None:
    # "contacts are screened for a management decision ... no longer than 24 hours of being
    # received": from the contact, not from the referral; statute's 1 working day from the
    # referral stays in force.
    barnet = casejourney.load_workflow("barnet")
    log = events(
        ("2026-01-05", "contact"), ("2026-01-06", "referral"), ("2026-01-07", "cf_assessment")
    )
    [screening] = only(track(barnet, log), "contact-screening")
    [statute] = only(track(barnet, log), "referral-decision")
    assert (screening.opened, screening.due, screening.outcome) == (
        D(2026, 1, 5),
        D(2026, 1, 6),
        Outcome.LATE,
    )
    assert (statute.opened, statute.due, statute.outcome) == (
        D(2026, 1, 6),
        D(2026, 1, 7),
        Outcome.MET,
    )
    assert statute.standard in barnet.standards and barnet.standards[statute.standard].inherited


def test_statutory_visits_start_again_at_each_new_placement(national) -> None:
    # reg 28(2): "within one week of the start of the placement"; six-weekly in the placement's
    # first year. A move on 1 April restarts the clock: the next visit is due within a week of it,
    # not six weeks after the last one.
    log = events(
        ("2026-01-05", "looked_after"),
        ("2026-01-09", "lac_visit"),
        ("2026-02-16", "lac_visit"),
        ("2026-03-20", "placement_move"),
        ("2026-03-30", "lac_visit"),
    )
    visits = only(track(national, log, until=D(2026, 4, 10)), "lac-visits")
    assert [(v.opened, v.due, v.outcome) for v in visits] == [
        (D(2026, 1, 5), D(2026, 1, 12), Outcome.MET),
        (D(2026, 1, 9), D(2026, 2, 20), Outcome.MET),
        (D(2026, 3, 20), D(2026, 3, 27), Outcome.LATE),
        (D(2026, 3, 30), D(2026, 5, 11), Outcome.PENDING),
    ]


def test_the_45_working_day_assessment_clock_runs_through_a_section_47_route(national) -> None:
    # WT2023: the assessment concludes "no longer than 45 working days from the point of the
    # referral"; an enquiry under section 47 is carried out through that assessment, so the clock
    # is not withdrawn when the case goes to a strategy discussion.
    log = events(
        ("2026-01-05", "contact"),
        ("2026-01-05", "referral"),
        ("2026-01-06", "strategy_discussion"),
        ("2026-01-07", "s47_enquiry"),
        ("2026-04-01", "cin_plan"),
    )
    [assessment] = only(track(national, log), "assessment-timescale")
    assert (assessment.due, assessment.done, assessment.outcome) == (
        D(2026, 3, 9),
        D(2026, 4, 1),
        Outcome.LATE,
    )


def test_liverpool_visits_stay_weekly_until_the_first_review_however_late_it_is() -> None:
    # Liverpool ELEVEN: "weekly until their first CiC Review. After that we will visit at least
    # every six weeks". The switch is the Review itself, not a fixed 20 working days: with the
    # Review held late (day 36), the visit after day 20 is still owed within a week.
    liverpool = casejourney.load_workflow("liverpool")
    log = events(
        ("2026-01-05", "looked_after"),
        ("2026-01-08", "lac_visit"),
        ("2026-01-15", "lac_visit"),
        ("2026-01-22", "lac_visit"),
        ("2026-01-29", "lac_visit"),
        ("2026-02-05", "lac_visit"),
        ("2026-02-10", "lac_review"),
        ("2026-02-12", "lac_visit"),
    )
    visits = only(track(liverpool, log, until=D(2026, 3, 1)), "lac-visits-liverpool")
    assert [(v.opened, v.due) for v in visits] == [
        (D(2026, 1, 5), D(2026, 1, 8)),
        (D(2026, 1, 8), D(2026, 1, 15)),
        (D(2026, 1, 15), D(2026, 1, 22)),
        (D(2026, 1, 22), D(2026, 1, 29)),
        (D(2026, 1, 29), D(2026, 2, 5)),  # day 31: past 20 working days, still weekly
        (D(2026, 2, 5), D(2026, 2, 12)),  # the Review on 10 Feb comes after this anchor
        (D(2026, 2, 12), D(2026, 3, 26)),  # after the Review: six-weekly
    ]
    assert all(v.outcome in (Outcome.MET, Outcome.PENDING) for v in visits)


def test_a_review_held_early_switches_liverpools_visits_to_six_weekly_early() -> None:
    liverpool = casejourney.load_workflow("liverpool")
    log = events(
        ("2026-01-05", "looked_after"),
        ("2026-01-07", "lac_visit"),
        ("2026-01-12", "lac_review"),
        ("2026-01-14", "lac_visit"),
    )
    [*_, last] = only(track(liverpool, log, until=D(2026, 2, 1)), "lac-visits-liverpool")
    assert (last.opened, last.due, last.outcome) == (
        D(2026, 1, 14),
        D(2026, 2, 25),
        Outcome.PENDING,
    )


def test_a_conditional_lead_time_is_owed_only_where_its_first_event_happens() -> None:
    # Barnet 9.16: a request to exclude a family member is made to the Chair "at least 3 days in
    # advance of the Conference". A conference with no request owes nothing; a review conference
    # whose request came the day before it is late, one 4 days before is on time.
    barnet = casejourney.load_workflow("barnet")
    log = events(
        ("2026-01-05", "contact"),
        ("2026-01-06", "referral"),
        ("2026-01-07", "strategy_discussion"),
        ("2026-01-08", "s47_enquiry"),
        ("2026-01-20", "icpc"),
        ("2026-01-20", "cp_plan"),
        ("2026-04-13", "rcpc_exclusion_request"),
        ("2026-04-14", "review_conference"),
        ("2026-10-06", "rcpc_exclusion_request"),
        ("2026-10-10", "review_conference"),
        ("2027-04-06", "review_conference"),
    )
    found = track(barnet, log, until=D(2027, 5, 1))
    assert only(found, "icpc-exclusion-request") == []
    reviews = only(found, "rcpc-exclusion-request")
    assert [(r.done, r.outcome) for r in reviews] == [
        (D(2026, 4, 13), Outcome.LATE),
        (D(2026, 10, 6), Outcome.MET),
    ]
    # A lead time without `conditional` (the ICPC report shared) counts a conference without its
    # first event as missed.
    icpc_papers = only(found, "icpc-report-shared")
    assert [r.outcome for r in icpc_papers] == [Outcome.MISSED]


def test_the_initial_health_assessment_is_due_by_the_first_review_when_that_comes_sooner() -> None:
    # Reg 7: before the first placement or, if not practicable, "before the first review". The
    # first review may be held before its latest date (20 working days): the assessment is due by
    # the review itself, and one on the same day counts as before it.
    national = casejourney.load_workflow("national")
    early = events(
        ("2026-01-05", "looked_after"),
        ("2026-01-15", "lac_review"),
        ("2026-01-20", "initial_health_assessment"),
    )
    [late] = only(track(national, early, until=D(2026, 3, 1)), "initial-health-assessment")
    assert (late.due, late.outcome) == (D(2026, 1, 15), Outcome.LATE)
    same_day = events(
        ("2026-01-05", "looked_after"),
        ("2026-01-15", "initial_health_assessment"),
        ("2026-01-15", "lac_review"),
    )
    [met] = only(track(national, same_day, until=D(2026, 3, 1)), "initial-health-assessment")
    assert (met.due, met.outcome) == (D(2026, 1, 15), Outcome.MET)
    no_review = events(("2026-01-05", "looked_after"), ("2026-01-30", "initial_health_assessment"))
    [on_time] = only(track(national, no_review, until=D(2026, 3, 1)), "initial-health-assessment")
    assert (on_time.due, on_time.outcome) == (D(2026, 2, 2), Outcome.MET)  # 20 working days


def _visits_every_six_weeks(start: str, count: int) -> list[tuple[str, str]]:
    first = D.fromisoformat(start)
    return [((first + dt.timedelta(weeks=6 * n)).isoformat(), "lac_visit") for n in range(count)]


def test_statutory_visits_turn_three_monthly_only_after_the_first_year_of_a_long_term_placement(
    national,
) -> None:
    # reg 28(2)(c): "thereafter— ... where the placement is intended to last until C is aged 18,
    # at intervals of not more than three months, ... and in any other case, at intervals of not
    # more than six weeks". Both the year and the agreement must have come.
    start = [("2026-01-05", "looked_after"), *_visits_every_six_weeks("2026-01-09", 10)]
    until = D(2027, 4, 1)
    agreed = events(*start[:3], ("2026-02-10", "long_term_home_agreed"), *start[3:])
    # The visit on 22 Jan 2027 is the first after the placement's first year (5 Jan 2027) with the
    # home agreed as long-term: the next is due three months on, not six weeks.
    [*_, last] = only(track(national, agreed, until=until), "lac-visits")
    assert (last.opened, last.due, last.outcome) == (
        D(2027, 1, 22),
        D(2027, 4, 22),
        Outcome.PENDING,
    )
    # Without the agreement, the placement stays six-weekly after its first year.
    [*_, missed, _] = only(track(national, events(*start), until=until), "lac-visits")
    assert (missed.opened, missed.due, missed.outcome) == (
        D(2027, 1, 22),
        D(2027, 3, 5),
        Outcome.MISSED,
    )
    # Agreed only after the year: three-monthly from the first visit on or after the agreement.
    late = events(*start, ("2027-02-01", "long_term_home_agreed"), ("2027-03-05", "lac_visit"))
    [*_, before, after] = only(track(national, late, until=until), "lac-visits")
    assert (before.opened, before.due, before.outcome) == (
        D(2027, 1, 22),
        D(2027, 3, 5),
        Outcome.MET,
    )
    assert (after.opened, after.due) == (D(2027, 3, 5), D(2027, 6, 5))


def test_an_agreement_in_an_earlier_placement_does_not_carry_to_the_next(national) -> None:
    # Each placement starts the schedule again, and "the placement is intended to last until 18"
    # is said of each placement: the agreement is looked for in the placement itself.
    log = events(
        ("2025-01-06", "looked_after"),
        ("2025-02-03", "long_term_home_agreed"),
        ("2026-01-05", "placement_move"),
        *_visits_every_six_weeks("2026-01-09", 10),
    )
    [*_, missed, _] = only(track(national, log, until=D(2027, 4, 1)), "lac-visits")
    assert (missed.opened, missed.due, missed.outcome) == (
        D(2027, 1, 22),
        D(2027, 3, 5),
        Outcome.MISSED,
    )


def test_the_personal_adviser_visits_before_each_pathway_plan_review_that_day_at_the_latest(
    national,
) -> None:
    # reg 8(2): the personal adviser must visit "subsequently, before the pathway plan is reviewed
    # under regulation 7(3)": a lead time of zero. A record carries dates, not times, so a visit on
    # the review's day counts as before it, whichever the record lists first.
    log = events(
        ("2026-01-05", "care_leaver"),
        ("2026-01-09", "care_leaver_visit"),
        ("2026-03-02", "care_leaver_visit"),
        ("2026-03-04", "pathway_plan_review"),  # visited two days before: met
        ("2026-07-01", "pathway_plan_review"),
        ("2026-07-01", "care_leaver_visit"),  # the same day, listed after: met
        ("2026-12-01", "pathway_plan_review"),  # no visit since the last review: missed
        ("2026-12-02", "care_leaver_visit"),
    )
    reviews = only(track(national, log, until=D(2027, 1, 1)), "pa-visit-before-review")
    assert [(r.due, r.done, r.outcome) for r in reviews] == [
        (D(2026, 3, 4), D(2026, 3, 2), Outcome.MET),
        (D(2026, 7, 1), D(2026, 7, 1), Outcome.MET),
        (D(2026, 12, 1), None, Outcome.MISSED),
    ]


def test_an_extended_temporary_approval_is_due_eight_weeks_later(national) -> None:
    # reg 24: temporary approval of a connected person for up to 16 weeks; reg 25(2): "the
    # responsible authority may extend the temporary approval once for a further period of up to
    # eight weeks". Placed on Monday 5 January 2026: due 27 April, or 22 June if extended by then.
    def approval(*later: tuple[str, str]) -> tuple[dt.date, Outcome]:
        log = events(("2026-01-01", "looked_after"), ("2026-01-05", "connected_person_placement"))
        [found] = only(
            track(national, [*log, *events(*later)], until=D(2026, 9, 1)),
            "connected-person-temporary-approval",
        )
        return found.due, found.outcome

    approved = ("2026-06-01", "connected_person_approved")
    assert approval(approved) == (D(2026, 4, 27), Outcome.LATE)
    assert approval(("2026-04-20", "temporary_approval_extended"), approved) == (
        D(2026, 6, 22),
        Outcome.MET,
    )
    # An extension on the last day of the approval counts; one after it expired extends nothing.
    assert approval(("2026-04-27", "temporary_approval_extended"), approved)[0] == D(2026, 6, 22)
    assert approval(("2026-04-28", "temporary_approval_extended"), approved) == (
        D(2026, 4, 27),
        Outcome.LATE,
    )
    # Extended, and never approved: missed at the end of the extension.
    assert approval(("2026-03-02", "temporary_approval_extended")) == (
        D(2026, 6, 22),
        Outcome.MISSED,
    )


def test_liverpool_meets_again_before_the_first_review() -> None:
    # TEN: "Wherever possible, we will arrange a Care Planning Meeting before a child comes into
    # our care. Otherwise, we will meet within 10 days and again before the first review."
    liverpool = casejourney.load_workflow("liverpool")

    def again(*pairs: tuple[str, str]) -> tuple[dt.date, dt.date | None, Outcome]:
        [found] = only(
            track(liverpool, events(*pairs), until=D(2026, 4, 1)), "care-planning-meeting-again"
        )
        return found.due, found.done, found.outcome

    entered = ("2026-01-05", "looked_after")
    review = ("2026-01-26", "lac_review")
    # Two meetings after coming into care, the second before the first review: met.
    assert again(
        entered,
        ("2026-01-09", "care_planning_meeting"),
        ("2026-01-22", "care_planning_meeting"),
        review,
    ) == (D(2026, 1, 26), D(2026, 1, 22), Outcome.MET)
    # Only the meeting within 10 days: the second is missed at the review.
    assert again(entered, ("2026-01-09", "care_planning_meeting"), review) == (
        D(2026, 1, 26),
        None,
        Outcome.MISSED,
    )
    # A meeting before coming into care counts as the first: one more before the review meets it.
    assert again(
        ("2026-01-02", "care_planning_meeting"),
        entered,
        ("2026-01-20", "care_planning_meeting"),
        review,
    ) == (D(2026, 1, 26), D(2026, 1, 20), Outcome.MET)
    # No review yet: due 20 working days after coming into care (2 February).
    assert again(
        entered, ("2026-01-09", "care_planning_meeting"), ("2026-02-10", "care_planning_meeting")
    ) == (D(2026, 2, 2), D(2026, 2, 10), Outcome.LATE)


def test_a_child_moved_before_the_temporary_approval_ran_out_is_not_a_missed_approval(
    national,
) -> None:
    # reg 24 is met when the carer is approved, or the placement ends, within the temporary
    # approval. Placed on Monday 2 November 2026: 16 weeks end on 22 February 2027.
    def approval(*later: tuple[str, str]) -> tuple[dt.date, Outcome, int]:
        log = events(("2026-10-01", "looked_after"), ("2026-11-02", "connected_person_placement"))
        [found] = only(
            track(national, [*log, *events(*later)], until=D(2027, 6, 1)),
            "connected-person-temporary-approval",
        )
        return found.due, found.outcome, found.late_days

    # Moved on 11 January 2027 and never approved: the placement ended in time.
    assert approval(("2027-01-11", "placement_move")) == (D(2027, 2, 22), Outcome.WITHDRAWN, 0)
    # Never moved and never approved: missed, late until the end of the record (1 June 2027).
    assert approval() == (D(2027, 2, 22), Outcome.MISSED, 99)
    # Moved after the approval ran out (1 March 2027): still missed, late until the move.
    assert approval(("2027-03-01", "placement_move")) == (D(2027, 2, 22), Outcome.MISSED, 7)
    # Approved, then moved: met; an approval after the move meets nothing.
    approved, moved = ("2027-01-04", "connected_person_approved"), ("2027-01-11", "placement_move")
    assert approval(approved, moved)[1] is Outcome.MET
    assert approval(moved, ("2027-01-18", "connected_person_approved"))[1] is Outcome.WITHDRAWN


def test_a_move_into_the_connected_persons_home_recorded_after_the_placement_ends_nothing(
    national,
) -> None:
    # Records carry dates, not times: the move into the home on the day of the placement, listed
    # after it, is the same move, not the end of the placement (as a lead time's same-day `from`).
    def approval(*later: tuple[str, str]) -> tuple[dt.date, Outcome, int]:
        log = events(
            ("2026-10-01", "looked_after"),
            ("2026-11-02", "connected_person_placement"),
            ("2026-11-02", "placement_move"),
        )
        [found] = only(
            track(national, [*log, *events(*later)], until=D(2027, 6, 1)),
            "connected-person-temporary-approval",
        )
        return found.due, found.outcome, found.late_days

    # Never approved, never moved on: missed, not withdrawn on the day of the placement.
    assert approval() == (D(2027, 2, 22), Outcome.MISSED, 99)
    # Approved in time: met.
    assert approval(("2027-01-04", "connected_person_approved"))[1] is Outcome.MET
    # Moved on a later day, within the approval: that move ends it.
    assert approval(("2027-01-11", "placement_move")) == (D(2027, 2, 22), Outcome.WITHDRAWN, 0)
