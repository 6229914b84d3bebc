"""An authority's own returns read in: the CIN census XML and the SSDA903 CSVs, pseudonymised.

Consumes one collection year's CIN census file and SSDA903 folder (header, episodes; oc3 if
present); produces ``Returns``: each child's CIN episodes and periods of care under a salted hash
of its id. Nothing identifying is kept (no ids, names, postcodes, dates of birth); problems are
reported by file, record position and field, never by a child's id or any value from the record.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import secrets
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from casejourney.returns.caseload import ReturnsError

__all__ = ["CarePeriod", "Episode", "Returns", "ReturnsInputError", "read_returns"]

#: Problems listed one by one before the rest are only counted.
MAX_LISTED = 20
_HEADER_COLUMNS = ("CHILD",)
_EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "DEC", "REC")
_OC3_COLUMNS = ("CHILD", "IN_TOUCH")


class ReturnsInputError(ReturnsError):
    """Returns that cannot be read: every problem, by file, record position and field."""


@dataclass
class Episode:
    """One CIN episode (``CINdetails``), its modules as (start, end or None) and so on."""

    referral: dt.date
    closed: dt.date | None = None
    reason: str = ""
    nfa: bool = False
    conference: dt.date | None = None  # an initial conference at the CIN-details level
    assessments: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)
    #: start, initial conference date (or None), whether one was not required
    s47s: list[tuple[dt.date, dt.date | None, bool]] = field(default_factory=list)
    cin_plans: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)
    #: start, end (or None), previous plans the child had
    cp_plans: list[tuple[dt.date, dt.date | None, int]] = field(default_factory=list)


#: The SSDA903 legal status of a child in care proceedings: an interim care order.
IN_PROCEEDINGS = frozenset({"C1"})


@dataclass
class CarePeriod:
    """One period of care: consecutive SSDA903 episodes."""

    start: dt.date
    end: dt.date | None
    reason: str  # REC of the last episode ("" while open)
    legal_status: str  # LS of the last episode
    #: Each episode's start and legal status, in order.
    statuses: list[tuple[dt.date, str]] = field(default_factory=list)

    @property
    def court(self) -> tuple[dt.date, dt.date | None] | None:
        """The stretch in care proceedings (an interim care order) the period began with.

        Its start and end (None while open), or None if the period did not begin in court.
        """
        if not self.statuses or self.statuses[0][1] not in IN_PROCEEDINGS:
            return None
        for start, status in self.statuses:
            if status not in IN_PROCEEDINGS:
                return self.start, start
        return self.start, self.end

    @property
    def care(self) -> tuple[dt.date, dt.date | None] | None:
        """The stretch looked after other than in proceedings.

        Its start and end (None while open), or None if the period was all in court.
        """
        court = self.court
        if court is None:
            return self.start, self.end
        if court[1] is None or court[1] == self.end:
            return None
        return court[1], self.end


@dataclass
class Returns:
    """One collection year of an authority's returns, keyed by salted hashes of child ids."""

    year: int
    cin: dict[str, list[Episode]]
    care: dict[str, list[CarePeriod]]
    care_leavers_in_touch: int | None  # from oc3.csv, when the folder has one
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def first(self) -> dt.date:
        """The first day of the collection year."""
        return dt.date(self.year - 1, 4, 1)

    @property
    def last(self) -> dt.date:
        """The reference date: the last day of the collection year."""
        return dt.date(self.year, 3, 31)


class _Problems:
    """Record-level problems: listed (up to MAX_LISTED) and counted by kind."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.counts: Counter[str] = Counter()

    def skip(self, where: str, kind: str, detail: str) -> None:
        self.counts[kind] += 1
        if len(self.notes) < MAX_LISTED:
            self.notes.append(f"{where}: {detail}; skipped")


class _Pseudonyms:
    """Child ids → salted hashes (a new random salt each run: hashes never link two runs)."""

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(16)

    def __call__(self, child_id: str) -> str:
        return hashlib.blake2b(child_id.encode(), key=self._salt, digest_size=12).hexdigest()


def read_returns(cin: Path, ssda903: Path, year: int) -> Returns:
    """Read one collection year's CIN census and SSDA903 folder, pseudonymised.

    Records that cannot be used are skipped, each noted by file, position and field, and counted;
    a file that cannot be read at all raises :class:`ReturnsInputError` with every such problem.
    """
    fatal: list[str] = []
    problems = _Problems()
    pseudonym = _Pseudonyms()
    episodes = _read_cin(cin, year, pseudonym, problems, fatal)
    care = _read_ssda903(ssda903, year, pseudonym, problems, fatal)
    in_touch = _read_oc3(ssda903 / "oc3.csv", fatal)
    if fatal:
        raise ReturnsInputError("cannot read the returns:\n  " + "\n  ".join(fatal))
    return Returns(year, episodes, care, in_touch, problems.counts, problems.notes)


# --- the CIN census ------------------------------------------------------------------------------


def _iso(text: str | None) -> dt.date | None:
    if text is None or not text.strip():
        return None
    return dt.date.fromisoformat(text.strip())


class _Bad(Exception):
    """A record's field that cannot be used (the message names the field, never its value)."""


def _date(element: ET.Element, tag: str, required: bool = False) -> dt.date | None:
    text = element.findtext(tag)
    if text is None or not text.strip():
        if required:
            raise _Bad(f"{tag} missing")
        return None
    try:
        return _iso(text)
    except ValueError:
        raise _Bad(f"{tag} is not a date (YYYY-MM-DD)") from None


def _read_cin(
    path: Path, year: int, pseudonym: _Pseudonyms, problems: _Problems, fatal: list[str]
) -> dict[str, list[Episode]]:
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        fatal.append(f"{path}: no such file (the CIN census XML)")
        return {}
    except ET.ParseError as exc:
        line, column = exc.position
        fatal.append(f"{path}:{line}:{column}: not well-formed XML; export the census again")
        return {}
    except OSError as exc:
        fatal.append(f"{path}: cannot be read ({exc.strerror})")
        return {}
    reference = root.findtext("Header/CollectionDetails/ReferenceDate")
    if root.tag != "Message" or root.find("Children") is None:
        fatal.append(f"{path}: not a CIN census (no <Message> with <Children>)")
        return {}
    if reference is not None and reference.strip() != f"{year}-03-31":
        fatal.append(
            f"{path}: Header ReferenceDate is not {year}-03-31, the end of collection year "
            f"{year}; give the census for --year {year}, or the --year of this census"
        )
        return {}
    last = dt.date(year, 3, 31)
    seen: dict[str, int] = {}
    children: dict[str, list[Episode]] = {}
    for number, element in enumerate(root.iterfind("Children/Child"), start=1):
        where = f"{path.name}: Child {number}"
        child_id = (element.findtext("ChildIdentifiers/LAchildID") or "").strip()
        if not child_id:
            problems.skip(where, "child without LAchildID", "ChildIdentifiers/LAchildID missing")
            continue
        key = pseudonym(child_id)
        if key in seen:
            problems.skip(where, "duplicate child", f"LAchildID is the same as Child {seen[key]}'s")
            continue
        seen[key] = number
        episodes = []
        for index, details in enumerate(element.iterfind("CINdetails"), start=1):
            try:
                episodes.append(_episode(details, last))
            except _Bad as bad:
                problems.skip(f"{where}, CINdetails {index}", "CIN episode", str(bad))
        if episodes:
            children[key] = sorted(episodes, key=lambda e: e.referral)
    return children


def _span(
    details: ET.Element, tag: str, start: str, end: str, last: dt.date
) -> list[tuple[dt.date, dt.date | None]]:
    spans = []
    for index, module in enumerate(details.iterfind(tag), start=1):
        began = _date(module, start, required=True)
        ended = _date(module, end)
        assert began is not None
        if ended is not None and ended < began:
            raise _Bad(f"{tag} {index}: {end} is before {start}")
        if began > last or (ended is not None and ended > last):
            raise _Bad(f"{tag} {index}: a date after the reference date")
        spans.append((began, ended))
    return spans


def _episode(details: ET.Element, last: dt.date) -> Episode:
    referral = _date(details, "CINreferralDate", required=True)
    assert referral is not None
    closed = _date(details, "CINclosureDate")
    if referral > last or (closed is not None and closed > last):
        raise _Bad("CINreferralDate or CINclosureDate after the reference date")
    if closed is not None and closed < referral:
        raise _Bad("CINclosureDate is before CINreferralDate")
    nfa = (details.findtext("ReferralNFA") or "").strip().lower() in {"1", "true"}
    episode = Episode(
        referral=referral,
        closed=closed,
        reason=(details.findtext("ReasonForClosure") or "").strip(),
        nfa=nfa,
        conference=_date(details, "DateOfInitialCPC"),
        assessments=_span(
            details, "Assessments", "AssessmentActualStartDate", "AssessmentAuthorisationDate", last
        ),
        cin_plans=_span(details, "CINPlanDates", "CINPlanStartDate", "CINPlanEndDate", last),
    )
    for index, module in enumerate(details.iterfind("Section47"), start=1):
        start = _date(module, "S47ActualStartDate", required=True)
        icpc = _date(module, "DateOfInitialCPC")
        assert start is not None
        if icpc is not None and icpc < start:
            raise _Bad(f"Section47 {index}: DateOfInitialCPC is before S47ActualStartDate")
        not_required = (module.findtext("ICPCnotRequired") or "").strip().lower() in {"1", "true"}
        episode.s47s.append((start, icpc, not_required))
    spans = _span(details, "ChildProtectionPlans", "CPPstartDate", "CPPendDate", last)
    plans = details.iterfind("ChildProtectionPlans")
    for index, ((start, end), plan) in enumerate(zip(spans, plans, strict=True), start=1):
        previous = (plan.findtext("NumberOfPreviousCPP") or "0").strip() or "0"
        if not previous.isdigit():
            raise _Bad(f"ChildProtectionPlans {index}: NumberOfPreviousCPP is not a whole number")
        episode.cp_plans.append((start, end, int(previous)))
    return episode


# --- the SSDA903 ---------------------------------------------------------------------------------


def _rows(
    path: Path, columns: tuple[str, ...], fatal: list[str], required: bool = True
) -> list[tuple[int, dict[str, str]]] | None:
    """A CSV's rows as (line number, row), or None (with the reason in ``fatal``)."""
    if not path.is_file():
        if required:
            fatal.append(f"{path}: no such file (the SSDA903 {path.stem} table)")
        return None
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            names = [name.strip().upper() for name in reader.fieldnames or []]
            missing = [name for name in columns if name not in names]
            if missing:
                fatal.append(
                    f"{path}:1: no column {', '.join(missing)} (the DfE's SSDA903 names: "
                    f"{', '.join(columns)}, …); rename the column"
                )
                return None
            rows = []
            for line, row in enumerate(reader, start=2):
                rows.append(
                    (line, {(k or "").strip().upper(): (v or "").strip() for k, v in row.items()})
                )
            return rows
    except UnicodeDecodeError:
        fatal.append(f"{path}: not UTF-8 text; save it as CSV UTF-8")
    except csv.Error as exc:
        fatal.append(f"{path}: not a readable CSV ({exc})")
    return None


def _dmy(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def _read_ssda903(
    folder: Path, year: int, pseudonym: _Pseudonyms, problems: _Problems, fatal: list[str]
) -> dict[str, list[CarePeriod]]:
    if not folder.is_dir():
        fatal.append(f"{folder}: no such folder (the SSDA903 CSVs: header.csv, episodes.csv)")
        return {}
    header = _rows(folder / "header.csv", _HEADER_COLUMNS, fatal)
    rows = _rows(folder / "episodes.csv", _EPISODE_COLUMNS, fatal)
    if header is None or rows is None:
        return {}
    last = dt.date(year, 3, 31)
    children: set[str] = set()
    for line, row in header:
        key = pseudonym(row["CHILD"]) if row["CHILD"] else ""
        if not key:
            problems.skip(f"header.csv:{line}", "header row without CHILD", "CHILD missing")
        elif key in children:
            problems.skip(
                f"header.csv:{line}", "duplicate child", "CHILD appears on an earlier line"
            )
        children.add(key)
    episodes: dict[str, dict[dt.date, tuple[int, dt.date | None, str, str]]] = {}
    for line, row in rows:
        where = f"episodes.csv:{line}"
        if not row["CHILD"]:
            problems.skip(where, "episode without CHILD", "CHILD missing")
            continue
        try:
            start = _dmy(row["DECOM"])
        except ValueError:
            problems.skip(where, "episode date", "DECOM is not a date (DD/MM/YYYY)")
            continue
        try:
            end = _dmy(row["DEC"]) if row["DEC"] else None
        except ValueError:
            problems.skip(where, "episode date", "DEC is not a date (DD/MM/YYYY)")
            continue
        if end is not None and end < start:
            problems.skip(where, "episode date", "DEC is before DECOM")
            continue
        if start > last or (end is not None and end > last):
            problems.skip(where, "episode date", "a date after the reference date")
            continue
        key = pseudonym(row["CHILD"])
        if key not in children:
            problems.skip(where, "episode of a child not in header.csv", "CHILD not in header.csv")
            continue
        mine = episodes.setdefault(key, {})
        if start in mine:
            problems.skip(
                where, "duplicate episode", f"the same CHILD and DECOM as line {mine[start][0]}"
            )
            continue
        mine[start] = (line, end, row["REC"], row["LS"])
    return {key: _periods(mine) for key, mine in episodes.items()}


def _periods(episodes: dict[dt.date, tuple[int, dt.date | None, str, str]]) -> list[CarePeriod]:
    """Episodes chained into periods of care: one episode starts the day the last one ended."""
    periods: list[CarePeriod] = []
    for start in sorted(episodes):
        _, end, reason, status = episodes[start]
        if periods and periods[-1].end == start:
            periods[-1].end, periods[-1].reason, periods[-1].legal_status = end, reason, status
        else:
            periods.append(CarePeriod(start, end, reason if end else "", status))
        periods[-1].statuses.append((start, status))
    return periods


def _read_oc3(path: Path, fatal: list[str]) -> int | None:
    rows = _rows(path, _OC3_COLUMNS, fatal, required=False)
    if rows is None:
        return None
    return sum(row["IN_TOUCH"].upper() == "YES" for _, row in rows)
