"""`looser-than-statute` for the constructs that change what is owed, not only when.

"May tighten, never loosen": a local rule that reuses a statutory id (or refines one) must owe no
less than statute on any record. Each construct is tried both ways: a local rule that loosens
statute through it is reported, at the construct's line; one that tightens it is not.
"""

from __future__ import annotations

from pathlib import Path

import casejourney
from casejourney.api import Level
from tests.conftest import WORKFLOWS

HEAD = (
    "id: local\ntitle: Local\nextends: national\n"
    "documents: [{id: doc, title: Local standards}]\n"
    "standards:\n"
)
SOURCE = "    source: {document: doc, section: '1', quote: Our standard.}\n"

APPROVAL = (
    "  - id: connected-person-temporary-approval\n"
    "    kind: deadline\n"
    "    title: Temporary approval\n"
    "    from: connected_person_placement\n"
    "    to: connected_person_approved\n"
    "    while: looked_after\n"
)
VISITS = (
    "  - id: lac-visits\n"
    "    kind: recurring\n"
    "    title: Visits\n"
    "    to: lac_visit\n"
    "    while: looked_after\n"
    "    first: 1 week\n"
    "    every: 6 weeks\n"
)
INTERVIEW = (
    "  - id: return-interview\n"
    "    kind: deadline\n"
    "    title: Return interview\n"
    "    from: returned_from_missing\n"
    "    to: return_interview\n"
    "    within: 72 hours\n"
    "    while: looked_after\n"
)


def looser(tmp_path: Path, body: str, head: str = HEAD) -> list[tuple[Level, int, str]]:
    """(level, line, message) of each looser-than-statute finding for a local file with ``body``."""
    local = tmp_path / "local.yaml"
    local.write_text(head + body + SOURCE, encoding="utf-8")
    return [
        (f.level, f.line, f.message)
        for f in casejourney.check_paths([local])
        if f.code == "looser-than-statute"
    ]


def line_of(tmp_path: Path, key: str) -> int:
    lines = (tmp_path / "local.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip().startswith(f"{key}:"))


# ends_on ----------------------------------------------------------------------------------------


def test_a_deadline_ended_by_an_event_statute_does_not_end_it_on_is_looser(
    tmp_path: Path,
) -> None:
    # Statute's return interview is owed whatever happens next; a local rule ending it at the
    # next placement move owes nothing to a child moved before the interview.
    [(level, line, message)] = looser(tmp_path, INTERVIEW + "    ends_on: placement_move\n")
    assert level is Level.ERROR
    assert line == line_of(tmp_path, "ends_on")
    assert "ends_on placement_move" in message and "national's is not ended by it" in message


def test_a_deadline_ended_by_another_event_than_statutes_is_looser(tmp_path: Path) -> None:
    # reg 24's approval ends with the placement (placement_move); ending it on a review as well
    # (instead) lets a review withdraw an approval statute still wants.
    body = APPROVAL + "    within: 16 weeks\n    ends_on: lac_review\n"
    [(level, line, message)] = looser(tmp_path, body)
    assert level is Level.ERROR and line == line_of(tmp_path, "ends_on")
    assert "national's ends only on placement_move" in message


def test_the_same_ends_on_or_none_at_all_is_not_looser(tmp_path: Path) -> None:
    # Without ends_on a local rule owes more than statute (a move does not end it): tighter.
    assert looser(tmp_path, APPROVAL + "    within: 12 weeks\n    ends_on: placement_move\n") == []
    assert looser(tmp_path, APPROVAL + "    within: 16 weeks\n") == []


# extension --------------------------------------------------------------------------------------


def test_an_extension_statute_does_not_allow_is_looser(tmp_path: Path) -> None:
    body = INTERVIEW + "    extension: {event: lac_review, by: 1 day}\n"
    [(level, line, message)] = looser(tmp_path, body)
    assert level is Level.ERROR and line == line_of(tmp_path, "extension")
    assert "national's has no extension" in message


def test_an_extension_on_another_event_than_statutes_is_looser(tmp_path: Path) -> None:
    body = APPROVAL + "    within: 16 weeks\n    extension: {event: lac_review, by: 8 weeks}\n"
    [(level, line, message)] = looser(tmp_path, body)
    assert level is Level.ERROR and line == line_of(tmp_path, "extension")
    assert "national's is extended only by temporary_approval_extended" in message


def test_a_longer_extension_of_a_shorter_deadline_is_not_looser(tmp_path: Path) -> None:
    # 12 weeks, extendable by 12: due at 12 weeks, or 24 once extended, never after statute's 16
    # (or 16 + 8): tighter, though its extension alone is longer than statute's.
    body = (
        APPROVAL
        + "    within: 12 weeks\n"
        + "    extension: {event: temporary_approval_extended, by: 12 weeks}\n"
    )
    assert looser(tmp_path, body) == []
    # One week more in all is looser: 12 + 13 weeks against 16 + 8.
    body = body.replace("by: 12 weeks", "by: 13 weeks")
    [(_, _, message)] = looser(tmp_path, body)
    assert "extension.by 13 weeks is looser than national's 8 weeks" in message


# nth ----------------------------------------------------------------------------------------------


MIDDLE = (
    "id: middle\ntitle: Middle\nextends: national\n"
    "documents: [{id: doc, title: Middle standards}]\n"
    "standards:\n"
    "  - id: care-plan-again\n"
    "    kind: deadline\n"
    "    title: Care plan twice within 20 working days\n"
    "    from: looked_after\n"
    "    to: care_plan\n"
    "    within: 20 working days\n"
    "    nth: 2\n"
    "    while: looked_after\n"
    "    source: {document: doc, section: '1', quote: Twice.}\n"
)
AGAIN = (
    "  - id: care-plan-again\n"
    "    kind: deadline\n"
    "    title: Care plan within 20 working days\n"
    "    from: looked_after\n"
    "    to: care_plan\n"
    "    within: 20 working days\n"
    "    while: looked_after\n"
)


def test_a_first_occurrence_where_the_parent_wants_a_second_is_looser(tmp_path: Path) -> None:
    (tmp_path / "middle.yaml").write_text(MIDDLE, encoding="utf-8")
    head = HEAD.replace("extends: national", "extends: middle")
    [(level, line, message)] = looser(tmp_path, AGAIN + "    nth: 1\n", head)
    assert level is Level.ERROR and line == line_of(tmp_path, "nth")
    assert "met by the first care_plan after looked_after" in message
    assert "middle's needs the second" in message
    # Asking for a third is tighter.
    assert looser(tmp_path, AGAIN + "    nth: 3\n", head) == []
    assert looser(tmp_path, AGAIN + "    nth: 2\n", head) == []


# then, second, restart_on -----------------------------------------------------------------------


def test_a_step_that_drops_statutes_event_is_looser(tmp_path: Path) -> None:
    # reg 28(2)(c): three-monthly only after the placement's first year *and* its agreement as
    # long-term. Three-monthly after a year whatever is agreed owes fewer visits.
    body = (
        VISITS
        + "    then:\n      - {after: 1 year, every: 3 months}\n"
        + "    restart_on: placement_move\n"
    )
    [(level, line, message)] = looser(tmp_path, body)
    assert level is Level.ERROR and line == line_of(tmp_path, "then")
    assert "then: every 3 months is looser than national's every 6 weeks (at 1 year in scope)" in (
        message
    )


def test_a_step_that_switches_sooner_than_statutes_is_looser(tmp_path: Path) -> None:
    # Three-monthly once agreed as long-term, without waiting for the placement's first year.
    body = (
        VISITS
        + "    then:\n      - {after_first: long_term_home_agreed, every: 3 months}\n"
        + "    restart_on: placement_move\n"
    )
    [(_, line, message)] = looser(tmp_path, body)
    assert line == line_of(tmp_path, "then")
    assert "(from the start, once long_term_home_agreed has happened)" in message


def test_steps_as_strict_as_statutes_or_stricter_are_not_looser(tmp_path: Path) -> None:
    same = (
        VISITS
        + "    then:\n      - {after: 1 year, and_after_first: long_term_home_agreed, "
        + "every: 3 months}\n    restart_on: placement_move\n"
    )
    assert looser(tmp_path, same) == []
    # Six-weekly throughout, agreed or not: more visits than statute.
    assert looser(tmp_path, VISITS + "    restart_on: placement_move\n") == []
    # Weekly until the first review, then as statute: stricter still.
    stricter = VISITS.replace("every: 6 weeks", "every: 1 week") + (
        "    then:\n      - {after_first: lac_review, every: 6 weeks}\n"
        "      - {after: 1 year, and_after_first: long_term_home_agreed, every: 3 months}\n"
        "    restart_on: placement_move\n"
    )
    assert looser(tmp_path, stricter) == []


def test_a_second_longer_than_statutes_interval_is_looser(tmp_path: Path) -> None:
    body = VISITS + "    second: 8 weeks\n    restart_on: placement_move\n"
    [(_, _, message)] = looser(tmp_path, body)
    assert "second: every 8 weeks is looser than national's every 6 weeks" in message


def test_a_schedule_that_does_not_restart_where_statutes_does_is_looser(tmp_path: Path) -> None:
    # "within one week of the start of any placement": without restart_on a move owes nothing new.
    [(level, line, message)] = looser(tmp_path, VISITS)
    assert level is Level.ERROR
    assert (
        "restart_on: the schedule does not restart, but national's restarts on placement_move"
        in (message)
    )
    body = VISITS + "    restart_on: lac_review\n"
    [(_, line, message)] = looser(tmp_path, body)
    assert line == line_of(tmp_path, "restart_on")
    assert "restarts on lac_review" in message


# lead times: at_least 0 days, conditional --------------------------------------------------------

LEAD = (
    "  - id: pa-visit-before-review\n"
    "    kind: lead_time\n"
    "    title: Visit before each review\n"
    "    from: care_leaver_visit\n"
    "    to: pathway_plan_review\n"
    "    applies_to: {age_under: 18}\n"
)


def test_a_lead_time_of_zero_is_compared_both_ways(tmp_path: Path) -> None:
    # Statute (reg 8(2)) says before the review, the same day at the latest: 0 days. A local
    # rule asking for the visit a day or more before is stricter.
    assert looser(tmp_path, LEAD + "    at_least: 0 days\n") == []
    assert looser(tmp_path, LEAD + "    at_least: 2 days\n") == []
    # A middle file asking for 3 working days: a local 0 days is looser.
    middle = (
        "id: middle\ntitle: Middle\nextends: national\n"
        "documents: [{id: doc, title: Middle standards}]\n"
        "standards:\n" + LEAD + "    at_least: 3 working days\n"
        "    source: {document: doc, section: '1', quote: Three working days before.}\n"
    )
    (tmp_path / "middle.yaml").write_text(middle, encoding="utf-8")
    head = HEAD.replace("extends: national", "extends: middle")
    [(level, _, message)] = looser(tmp_path, LEAD + "    at_least: 0 days\n", head)
    assert level is Level.ERROR
    assert "at_least 0 days is looser than middle's 3 working days" in message


def test_a_conditional_lead_time_where_statutes_is_owed_is_looser(tmp_path: Path) -> None:
    [(_, line, message)] = looser(tmp_path, LEAD + "    at_least: 0 days\n    conditional: true\n")
    assert line == line_of(tmp_path, "conditional")
    assert "a pathway_plan_review with no care_leaver_visit before it owes nothing" in message


# deadlines: conditional, or_before ----------------------------------------------------------------


def test_a_conditional_or_windowed_deadline_where_statutes_is_not_is_looser(
    tmp_path: Path,
) -> None:
    [(_, line, message)] = looser(tmp_path, INTERVIEW + "    conditional: true\n")
    assert line == line_of(tmp_path, "conditional")
    assert "withdrawn however late" in message
    [(_, line, message)] = looser(tmp_path, INTERVIEW + "    or_before: true\n")
    assert line == line_of(tmp_path, "or_before")
    assert "a return_interview before returned_from_missing meets it" in message


def test_an_acknowledged_loosening_through_a_construct_is_a_note(tmp_path: Path) -> None:
    body = INTERVIEW + "    ends_on: placement_move\n    refines: return-interview\n"
    body = body.replace("id: return-interview", "id: return-interview-local") + (
        "    acknowledged_deviation: We do not chase an interview after a move.\n"
    )
    [(level, _, message)] = looser(tmp_path, body)
    assert level is Level.NOTE and "acknowledged: We do not chase" in message


def test_the_shipped_workflows_report_only_acknowledged_loosenings() -> None:
    # Liverpool's visits (three-monthly once the home is agreed, no restart at a move) are
    # looser than reg 28(2) through steps and restart_on, and say so.
    found = [
        f
        for f in casejourney.check_paths([WORKFLOWS])
        if f.code in ("looser-than-statute", "deviation-replaces-statute")
    ]
    assert all(f.level is Level.NOTE for f in found), [f.render() for f in found]
    liverpool = {
        f.message.split(":")[1].strip() for f in found if "lac-visits-liverpool" in f.message
    }
    assert liverpool == {"restart_on", "then"}
    # Liverpool's 20 days say nothing of the first review: beside statute's, which is due by it
    [assessment] = [f for f in found if "initial-health-assessment-liverpool" in f.message]
    assert "no before_first" in assessment.message and "acknowledged" in assessment.message


# before_first: due by the first of an event after `from`, if sooner ------------------------------

ASSESSMENT = (
    "  - id: initial-health-assessment\n"
    "    kind: deadline\n"
    "    title: Initial health assessment\n"
    "    from: looked_after\n"
    "    to: initial_health_assessment\n"
    "    within: 20 working days\n"
    "    while: looked_after\n"
    "    or_before: true\n"
)


def test_a_deadline_without_statutes_before_first_is_looser(tmp_path: Path) -> None:
    # Reg 7: before the first review, which may come before the 20 working days are up; a local
    # rule without it lets the assessment follow an early review.
    [(level, line, message)] = looser(tmp_path, ASSESSMENT)
    assert level is Level.ERROR
    assert line == line_of(tmp_path, "- id")  # no key of its own: the standard's line
    assert "before_first" in message and "national's is due by the first lac_review" in message
    # one due before the first of another event instead: at its key
    [(_, line, message)] = looser(tmp_path, ASSESSMENT + "    before_first: pep\n")
    assert line == line_of(tmp_path, "before_first")
    assert "before_first pep" in message and "first lac_review" in message


def test_statutes_before_first_kept_or_one_added_is_not_looser(tmp_path: Path) -> None:
    tighter = ASSESSMENT.replace("20 working days", "10 working days")
    assert looser(tmp_path, tighter + "    before_first: lac_review\n") == []
    # statute's return interview has none: a local one only brings the due date forward
    assert looser(tmp_path, INTERVIEW + "    before_first: lac_review\n") == []


# applies_to, while, effective: the children, stages and due dates it is owed for ---------------

HEALTH = (
    "  - id: health-assessment-under-five\n"
    "    kind: recurring\n"
    "    title: Review health assessment\n"
    "    to: review_health_assessment\n"
    "    every: 6 months\n"
)


def test_a_rule_owed_to_fewer_children_than_statutes_is_looser(tmp_path: Path) -> None:
    # Statute: six-monthly before the fifth birthday. Only for babies leaves out ages 1 to 4.
    body = HEALTH + "    while: looked_after\n    applies_to: {age_under: 1}\n"
    [(level, line, message)] = looser(tmp_path, body)
    assert level is Level.ERROR and line == line_of(tmp_path, "applies_to")
    assert "owed to fewer children than national's, owed to {'age_under': 5}" in message
    # Only for disabled children, or only in foster care: fewer children too.
    for band in ("{age_under: 5, disabled: true}", "{age_under: 5, placement: [foster_care]}"):
        assert (
            len(looser(tmp_path, HEALTH + f"    while: looked_after\n    applies_to: {band}\n"))
            == 1
        )
    # Under six, or every child: more children, not fewer.
    assert (
        looser(tmp_path, HEALTH + "    while: looked_after\n    applies_to: {age_under: 6}\n") == []
    )
    assert looser(tmp_path, HEALTH + "    while: looked_after\n") == []


def test_a_rule_owed_in_fewer_stages_than_statutes_is_looser(tmp_path: Path) -> None:
    # Statute's return interview is owed while looked after; a rule scoped to a stage a child in
    # care never reaches owes none.
    body = INTERVIEW.replace("while: looked_after", "while: care_leaver")
    [(_, line, message)] = looser(tmp_path, body)
    assert line == line_of(tmp_path, "while")
    assert "not owed in looked_after, where national's is" in message
    wider = INTERVIEW.replace("while: looked_after", "while: [looked_after, care_leaver]")
    assert looser(tmp_path, wider) == []


def test_a_rule_in_force_for_fewer_due_dates_than_statutes_is_looser(tmp_path: Path) -> None:
    [(_, line, message)] = looser(tmp_path, INTERVIEW + "    effective: {from: 2027-04-01}\n")
    assert line == line_of(tmp_path, "effective")
    assert (
        "effective due from 2027-04-01: not owed for due dates national's is owed for (always)"
        in (message)
    )
