"""A simulated caseload as a synthetic children in need census (the DfE's CIN census XML).

Consumes one replication's cases, a case at a time (``caseload.iter_cases``); produces the census
for the collection year ending 31 March ``year``: one ``Child`` per case with a CIN episode open at
some time in the year, each episode (referral to closure) with the assessments, section 47
enquiries, CIN plans and child protection plans (with their review conferences) open in the year.
Identities are synthetic (``caseload``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import casejourney
from casejourney.calendar import WorkingCalendar, default_calendar
from casejourney.returns.caseload import (
    CARE_LEAVER,
    Case,
    Child,
    Stream,
    years_before,
)

__all__ = ["FOOTER", "Census"]

# The workflow's states (national.yaml) in a CIN episode, and those that close one.
_REFERRAL, _ASSESSMENT, _STRATEGY = "referral", "cf_assessment", "strategy_discussion"
_S47, _ICPC, _CP_PLAN, _CIN_PLAN = "s47_enquiry", "icpc", "cp_plan", "cin_plan"
_CLOSED, _EARLY_HELP = "case_closed", "early_help"
_CLOSING = frozenset({_CLOSED, _EARLY_HELP, CARE_LEAVER})
_OUTSIDE = frozenset({"contact"}) | _CLOSING
_PLO = "plo"
_LEGAL = frozenset({_PLO, "care_proceedings"})
# Census codes (DfE CIN census guide). Reasons for closure: RC1 adopted, RC4 special guardianship
# order, RC7 services ceased for any other reason, RC8 closed after assessment with no further
# action, RC9 closed after assessment and referred to early help.
_RC_ADOPTED, _RC_SGO, _RC_OTHER, _RC_NFA, _RC_EARLY_HELP = "RC1", "RC4", "RC7", "RC8", "RC9"
# What the simulation does not model is drawn from these fixed spreads (codes from the census
# code sets): referral sources (schools, health, police, LA services, individuals, other) ...
_SOURCES = ("2A", "3A", "3E", "5A", "5B", "1A", "1B", "4", "6", "9")
_SOURCE_WEIGHTS = (0.18, 0.07, 0.05, 0.28, 0.02, 0.06, 0.02, 0.12, 0.10, 0.10)
_SOURCE_TOTALS = tuple(itertools.accumulate(_SOURCE_WEIGHTS))
# ... primary need N1 abuse or neglect .. N9 cases other than children in need ...
_NEEDS = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
_NEED_WEIGHTS = (0.55, 0.04, 0.03, 0.14, 0.15, 0.02, 0.01, 0.04, 0.02)
_NEED_TOTALS = tuple(itertools.accumulate(_NEED_WEIGHTS))
# ... factors identified at assessment (21: no factors identified) ...
_FACTORS = ("3A", "3B", "4B", "1B", "2B", "16A", "17A", "22A", "24A", "18B")
_NO_FACTORS = "21"
# ... and categories of abuse for child protection plans.
_ABUSE = ("NEG", "EMO", "PHY", "SAB", "MUL")
_ABUSE_WEIGHTS = (0.50, 0.35, 0.07, 0.04, 0.04)
_ABUSE_TOTALS = tuple(itertools.accumulate(_ABUSE_WEIGHTS))
_ICPC_WITHIN = 15  # working days from the strategy discussion (Working Together 2023)
_DATE = operator.itemgetter(0)


@dataclass
class _Plan:
    start: dt.date
    end: dt.date | None
    reviews: list[dt.date] = field(default_factory=list)
    previous: int = 0  # child protection plans this child had before this one


@dataclass
class _Enquiry:
    start: dt.date
    strategy: dt.date
    icpc: dt.date | None = None
    ended: dt.date | None = None  # the enquiry ended without an initial conference


@dataclass
class _Episode:
    referral: dt.date
    closed: dt.date | None = None
    reason: str = ""
    nfa: bool = False
    conference: dt.date | None = None  # an initial conference not from a section 47 enquiry
    assessments: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)
    s47s: list[_Enquiry] = field(default_factory=list)
    cin_plans: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)
    cp_plans: list[_Plan] = field(default_factory=list)


class _Days:
    """The working-day sums the census needs, remembered (a national census asks millions)."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._working: dict[dt.date, bool] = {}
        self._after: dict[tuple[dt.date, int], dt.date] = {}

    def is_working_day(self, day: dt.date) -> bool:
        found = self._working.get(day)
        if found is None:
            found = self._working[day] = self.calendar.is_working_day(day)
        return found

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        found = self._after.get((day, n))
        if found is None:
            found = self._after[day, n] = self.calendar.add_working_days(day, n)
        return found


def _stretches(case: Case) -> Iterator[tuple[dt.date, dt.date | None, str, str, str]]:
    """Each state the case was in: from, to (None if still there), state, before, after."""
    enters = sorted(case.enters, key=_DATE)
    before = ""
    for (date, state), (until, after) in zip(enters, [*enters[1:], (None, "")], strict=True):
        yield date, until, state, before, after
        before = state


def _episodes(case: Case, rng: Stream, calendar: _Days) -> list[_Episode]:
    """The case's CIN episodes: each from a referral (or its first day open) to its closure."""
    episodes: list[_Episode] = []
    episode: _Episode | None = None
    plans = case.earlier.get(_CP_PLAN, 0)  # plans before the simulated period
    strategy = conference = None
    on_plan = False  # on a CP plan, or in pre-proceedings or court since leaving one
    # A case open in pre-proceedings on the first day had a CP plan before it (PLO is entered only
    # from one): the day from which the census shows that plan if the case goes back on it.
    first_day, first_state = min(case.enters, key=_DATE, default=(None, ""))
    plan_since = first_day if first_state == _PLO else None
    for start, end, state, before, after in _stretches(case):
        if state in _OUTSIDE:
            on_plan = False
            continue
        if episode is None:
            episode = _Episode(referral=start)
            episodes.append(episode)
        if state == _STRATEGY:
            strategy = start
        elif state == _ICPC:
            conference = start
        elif state == _ASSESSMENT:
            episode.assessments.append((start, end))
        elif state == _S47:
            enquiry = _Enquiry(start=start, strategy=strategy or start)
            if after == _ICPC:
                enquiry.icpc = end
            elif end is not None:
                enquiry.ended = end
            episode.s47s.append(enquiry)
        elif state == _CIN_PLAN:
            episode.cin_plans.append((start, end))
        elif state == _CP_PLAN:
            begun = conference if before == _ICPC else None
            if _cp_plan(episode, case, start, end, begun, on_plan, plans, calendar, plan_since):
                plans += 1
        on_plan = (
            state == _CP_PLAN or (on_plan and state in _LEGAL) or (state == _PLO and not before)
        )
        if after in _CLOSING and end is not None:
            episode.closed = end
            episode.nfa = state == _REFERRAL and not (episode.assessments or episode.s47s)
            episode.reason = _reason(episode, state, after, rng)
            episode = None
    return episodes


def _cp_plan(
    episode: _Episode,
    case: Case,
    start: dt.date,
    end: dt.date | None,
    conference: dt.date | None,
    on_plan: bool,
    plans: int,
    calendar: _Days,
    since: dt.date | None = None,
) -> bool:
    """Add a stretch on a CP plan to the episode; whether it is a new plan.

    A plan starts at its initial conference (the census's rule; the simulation moves the case on
    when the conference's own work is done, often the next day). A child back on a plan after
    pre-proceedings or court without a new conference is still on the plan it had (the census
    has no PLO), and so is a case open in pre-proceedings on the first day: its plan (begun
    before the simulation) is shown from ``since``, that day. A plan with no conference before
    it at all (after an emergency application, or for a case open in court on the first day) is
    given one at the CIN-details level on its first working day, as the census records a
    conference not from a section 47 enquiry.
    """
    new = not (conference is None and on_plan and episode.cp_plans)
    if new and on_plan and since is not None:
        start = since  # the plan a case open in PLO on the first day had before it
    if not new:
        plan = episode.cp_plans[-1]
        plan.end = end
    else:
        if conference is None:
            conference = (
                start if calendar.is_working_day(start) else (calendar.add_working_days(start, 1))
            )
            if end is not None and conference >= end:
                conference = start
            if episode.conference is None:
                episode.conference = conference
        plan = _Plan(conference, end, [], plans)
        episode.cp_plans.append(plan)
    plan.reviews = [
        day for day in case.cp_reviews if plan.start < day and (plan.end is None or day <= plan.end)
    ]
    return new


def _reason(episode: _Episode, state: str, after: str, rng: Stream) -> str:
    if state == "care_proceedings" and after == _CLOSED:  # a special guardianship order
        return _RC_SGO
    if state == "looked_after" and after == _CLOSED:  # adoption or special guardianship
        return _RC_ADOPTED if rng.random() < 0.45 else _RC_SGO
    only_assessed = not (episode.s47s or episode.cin_plans or episode.cp_plans)
    if state == _ASSESSMENT and only_assessed:
        return _RC_NFA if after == _CLOSED else _RC_EARLY_HELP
    return _RC_OTHER


def _in(start: dt.date, end: dt.date | None, first: dt.date, last: dt.date) -> bool:
    return start <= last and (end is None or end >= first)


def _upto(date: dt.date | None, last: dt.date) -> dt.date | None:
    return date if date is not None and date <= last else None


def _e(tag: str, value: object) -> str:
    return "" if value is None or value == "" else f"<{tag}>{value}</{tag}>"


def _assessments_xml(
    add: Callable[[str], None], episode: _Episode, rng: Stream, first: dt.date, last: dt.date
) -> None:
    """The episode's ``Assessments`` open in the year (factors for those completed)."""
    for start, end in episode.assessments:
        if not _in(start, end, first, last):
            continue
        done = _upto(end, last)
        add(f"<Assessments><AssessmentActualStartDate>{start.isoformat()}"
            "</AssessmentActualStartDate>")  # fmt: skip
        if done is not None:
            if episode.reason in {_RC_NFA, _RC_EARLY_HELP}:
                factors = [_NO_FACTORS]
            else:
                factors = sorted(rng.sample(_FACTORS, 1 + rng.below(3)))
            add(
                f"<AssessmentAuthorisationDate>{done.isoformat()}</AssessmentAuthorisationDate>"
                "<FactorsIdentifiedAtAssessment>"
                + "".join(f"<AssessmentFactors>{code}</AssessmentFactors>" for code in factors)
                + "</FactorsIdentifiedAtAssessment>"
            )
        add("</Assessments>")


def _cp_plans_xml(
    add: Callable[[str], None], episode: _Episode, rng: Stream, first: dt.date, last: dt.date
) -> None:
    """The episode's ``ChildProtectionPlans`` open in the year, with their review conferences."""
    for plan in episode.cp_plans:
        if not _in(plan.start, plan.end, first, last):
            continue
        ended = _upto(plan.end, last)
        category = _ABUSE[rng.pick(_ABUSE_TOTALS)]
        add(f"<ChildProtectionPlans><CPPstartDate>{plan.start.isoformat()}</CPPstartDate>")
        if ended is not None:
            add(f"<CPPendDate>{ended.isoformat()}</CPPendDate>")
        add(
            f"<InitialCategoryOfAbuse>{category}</InitialCategoryOfAbuse>"
            f"<LatestCategoryOfAbuse>{category}</LatestCategoryOfAbuse>"
            f"<NumberOfPreviousCPP>{plan.previous}</NumberOfPreviousCPP>"
        )
        reviews = [day.isoformat() for day in plan.reviews if first <= day <= last]
        if reviews:  # one Reviews block holding every review date (the DfE schema)
            add(
                "<Reviews>"
                + "".join(f"<CPPreviewDate>{day}</CPPreviewDate>" for day in reviews)
                + "</Reviews>"
            )
        add("</ChildProtectionPlans>")


def _child_xml(
    who: Child,
    upn_unknown: str,
    episodes: list[_Episode],
    first: dt.date,
    last: dt.date,
    calendar: _Days,
) -> str:
    rng = who.rng
    parts = [
        f"<Child><ChildIdentifiers><LAchildID>{who.id}</LAchildID>"
        f"<UPNunknown>{upn_unknown}</UPNunknown>"
        f"<PersonBirthDate>{who.birth.isoformat()}</PersonBirthDate><Sex>{who.sex}</Sex>"
        f"</ChildIdentifiers><ChildCharacteristics><Ethnicity>{who.ethnic}</Ethnicity>"
        "<Disabilities><Disability>NONE</Disability></Disabilities></ChildCharacteristics>"
    ]
    add = parts.append
    for episode in episodes:
        closed = _upto(episode.closed, last)
        conference = (
            episode.conference
            if episode.conference and first <= episode.conference <= last
            else None
        )
        source = _SOURCES[rng.pick(_SOURCE_TOTALS)]
        harm = bool(episode.s47s or episode.cp_plans)
        need = "N1" if harm else _NEEDS[rng.pick(_NEED_TOTALS)]
        add(
            f"<CINdetails><CINreferralDate>{episode.referral.isoformat()}</CINreferralDate>"
            f"<ReferralSource>{source}</ReferralSource><PrimaryNeedCode>{need}</PrimaryNeedCode>"
        )
        if closed is not None:
            add(f"<CINclosureDate>{closed.isoformat()}</CINclosureDate>")
            add(_e("ReasonForClosure", episode.reason))
        if conference is not None:
            add(f"<DateOfInitialCPC>{conference.isoformat()}</DateOfInitialCPC>")
        _assessments_xml(add, episode, rng, first, last)
        for plan_start, plan_end in episode.cin_plans:
            if _in(plan_start, plan_end, first, last):
                ended = _upto(plan_end, last)
                add(f"<CINPlanDates><CINPlanStartDate>{plan_start.isoformat()}</CINPlanStartDate>")
                if ended is not None:
                    add(f"<CINPlanEndDate>{ended.isoformat()}</CINPlanEndDate>")
                add("</CINPlanDates>")
        for enquiry in episode.s47s:
            if not _in(enquiry.start, enquiry.icpc or enquiry.ended, first, last):
                continue
            icpc = _upto(enquiry.icpc, last)
            target = calendar.add_working_days(enquiry.strategy, _ICPC_WITHIN)
            not_needed = enquiry.ended is not None and enquiry.ended <= last
            add(
                f"<Section47><S47ActualStartDate>{enquiry.start.isoformat()}</S47ActualStartDate>"
                f"<InitialCPCtarget>{target.isoformat()}</InitialCPCtarget>"
            )
            if icpc is not None:
                add(f"<DateOfInitialCPC>{icpc.isoformat()}</DateOfInitialCPC>")
            add(f"<ICPCnotRequired>{'1' if not_needed else '0'}</ICPCnotRequired></Section47>")
        # The DfE schema puts ReferralNFA after the section 47 modules, before the CP plans.
        add(f"<ReferralNFA>{'1' if episode.nfa else '0'}</ReferralNFA>")
        _cp_plans_xml(add, episode, rng, first, last)
        add("</CINdetails>")
    parts.append("</Child>\n")
    return "".join(parts)


#: The census's last line, after every child.
FOOTER = "</Children></Message>\n"


class Census:
    """The CIN census for the collection year ending 31 March ``year``, written a child at a time.

    ``header()`` first, then ``child`` for each case in order of case number, then ``FOOTER``;
    ``lea`` is the three-digit DfE code of the authority named in the header (by default 341,
    Liverpool, whose postcodes the SSDA903 export uses too).
    """

    def __init__(self, year: int, lea: str = "341") -> None:
        self.year, self.lea = year, lea
        self.first, self.last = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
        self.calendar = _Days(default_calendar())
        self.school_age = years_before(dt.date(year - 2, 8, 31), 4)

    def header(self) -> str:
        """The XML declaration and the census's header, up to its list of children."""
        year = self.year
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<Message><Header>'
            f"<CollectionDetails><Collection>CIN</Collection><Year>{year}</Year>"
            f"<ReferenceDate>{self.last.isoformat()}</ReferenceDate></CollectionDetails>"
            f"<Source><SourceLevel>L</SourceLevel><LEA>{self.lea}</LEA>"
            f"<SoftwareCode>casejourney</SoftwareCode><Release>{casejourney.__version__}</Release>"
            f"<SerialNo>1</SerialNo><DateTime>{year}-04-01T00:00:00</DateTime></Source>"
            "<Content><CBDSLevels><CBDSLevel>Child</CBDSLevel></CBDSLevels></Content>"
            "</Header><Children>\n"
        )

    def child(self, case: Case, who: Child) -> str:
        """The case's ``Child`` (one line), or "" if no CIN episode of it is open in the year.

        ``who`` is the case's identity (``caseload.child``); its stream gives every further draw.
        """
        first, last = self.first, self.last
        episodes = [
            e
            for e in _episodes(case, who.rng, self.calendar)
            if _in(e.referral, e.closed, first, last)
        ]
        if not episodes:
            return ""
        upn = "UN1" if self.school_age < who.birth else "UN5"
        return _child_xml(who, upn, episodes, first, last, self.calendar)
