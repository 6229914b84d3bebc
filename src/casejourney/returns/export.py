"""A simulated caseload as a synthetic SSDA903 return (children looked after) for one collection year.

Consumes one replication's event log from a results folder; produces ``header.csv``,
``episodes.csv`` and ``reviews.csv`` with the DfE column names and codes. Child ids are synthetic
(``SIM`` + the simulation's case number), dates of birth are drawn from the run's seed and made
consistent with the ages the simulation marked, so nothing here ever stood for a person.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

from casejourney.calendar import birthday
from casejourney.returns.caseload import (
    CARE_LEAVER,
    CARE_PROCEEDINGS,
    Case,
    Child,
    ReturnsError,
    care_stretches,
    child,
    event_log,
    ever_in_care,
    iter_cases,
    run_seed,
    run_start,
    years_before,
)
from casejourney.returns.cin import FOOTER, Census

__all__ = ["ReturnsError", "export_returns", "export_ssda903"]

#: The CIN census file in an exported folder.
CIN_FILE = "cin-census.xml"

#: The marker that makes an output folder recognisably ours (never replace a folder without it).
MARKER = ".casejourney-returns"

HEADER = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODES = (
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
)  # fmt: skip
REVIEWS = ("CHILD", "DOB", "REVIEW", "REVIEW_CODE")
OC3 = ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM")

# SSDA903 codes used (DfE SSDA903 guidance): legal status V2 single period of accommodation under
# s20, C1 interim care order (every child in care proceedings: the simulation does not say which
# are at home), C2 full care order (after proceedings); N1 abuse or neglect, U4 foster placement
# with other foster carer, PR1 own provision; reasons for a new episode S started to be looked after,
# L change of legal status only; reasons an episode ceased E4A returned home, E8 ceased for any
# other reason (which includes leaving care at 18), X1 a new episode begins the same day, E47
# special guardianship order to relatives or friends (proceedings ended in a permanence order);
# PN1 child attended the review.
_LS, _CIN, _PLACE, _PROVIDER, _REVIEW_CODE = "V2", "N1", "U4", "PR1", "PN1"
_LS_INTERIM, _LS_CARE_ORDER = "C1", "C2"
_REC_HOME, _REC_EIGHTEEN, _REC_NEXT, _REC_SGO = "E4A", "E8", "X1", "E47"
# PN0: the child was under 4 at the review. URN: a made-up Ofsted registration number.
_REVIEW_UNDER_4, _URN = "PN0", "SC999999"
# Care leavers (OC3), on their 19th, 20th or 21st birthday in the year while the simulation has them
# in touch (in the care_leaver state): activity (F2/P2 education, F4/P4 training or employment,
# G4-G6 not) and accommodation (suitable: K independent living, D semi-independent, E supported
# lodgings, B with parents or relatives, G ordinary lodgings) drawn from the run's seed.
_OC3_AGES = (19, 20, 21)
_ACTIV = ("F2", "P2", "F4", "P4", "G4", "G5", "G6")
_ACCOM = ("K1", "K1", "D1", "E1", "B1", "G1")


def _d(date: dt.date | None) -> str:
    return "" if date is None else date.strftime("%d/%m/%Y")


def _csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


class _Ssda903:
    """The SSDA903 tables of the collection year ending 31 March ``year``, a case at a time.

    Every home postcode is ``home`` and every placement postcode ``placement`` (by default two
    postcodes in Liverpool city centre, the first its municipal buildings), so the validators can
    place each episode in an authority without any child's address.
    """

    def __init__(self, year: int, home: str = "L2 2DH", placement: str = "L1 0AA") -> None:
        self.year, self.home, self.placement = year, home, placement
        self.first, self.last = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
        self.school_age = years_before(dt.date(year - 2, 8, 31), 4)
        self.header: list[tuple[object, ...]] = []
        self.episodes: list[tuple[object, ...]] = []
        self.reviews: list[tuple[object, ...]] = []
        self.oc3: list[tuple[object, ...]] = []

    def add(self, case: Case, who: Callable[[], Child]) -> None:
        """The case's rows, if it was in care or a care leaver in touch in the year.

        ``who`` gives the case's identity (``caseload.child``), asked for only if the case has rows.
        """
        first, last = self.first, self.last
        if not ever_in_care(case):
            return
        periods = [
            (stretches, after)
            for stretches, after in care_stretches(case)
            if stretches[0][0] <= last and (stretches[-1][1] is None or stretches[-1][1] >= first)
        ]
        leaving = [(start, end) for start, end, state in _stretches(case) if state == CARE_LEAVER]
        if not periods and not leaving:
            return
        child = who()
        dob = _d(child.birth)
        touch = [
            day
            for day in (birthday(child.birth, age) for age in _OC3_AGES)
            if first <= day <= last and any(s <= day and (e is None or e > day) for s, e in leaving)
        ]
        if not periods and not touch:
            return
        # UN1 (no UPN yet) only for a child under school age; UN5 (sources disagree) otherwise.
        upn = "UN1" if self.school_age < child.birth else "UN5"
        # Not known to be a mother; not asked of a care leaver who was not looked after this year.
        mother = "0" if child.sex == "F" and periods else ""
        self.header.append((child.id, child.sex, dob, child.ethnic, upn, mother, ""))
        if touch:
            activ = _ACTIV[child.rng.below(len(_ACTIV))]
            accom = _ACCOM[child.rng.below(len(_ACCOM))]
            self.oc3.append((child.id, dob, "YES", activ, accom))
        for stretches, after in periods:
            self._episodes(child.id, stretches, after)
        for date in case.reviews:
            if first <= date <= last:
                code = _REVIEW_CODE if years_before(date, 4) >= child.birth else _REVIEW_UNDER_4
                self.reviews.append((child.id, dob, _d(date), code))

    def _episodes(
        self, child: str, stretches: list[tuple[dt.date, dt.date | None, str]], after: str
    ) -> None:
        """A period of care's episodes in the year: one per stretch, by legal status.

        In court: C1 (started to be looked after); after a care order, a new episode the same day
        under C2 (a change of legal status only); accommodated: V2. The period's last episode ends
        as the case left care: E8 to leaving care, E47 for a special guardianship order at the end
        of proceedings, E4A otherwise (home).
        """
        first, last = self.first, self.last
        for index, (start, end, state) in enumerate(stretches):
            if start > last or (end is not None and end < first):
                continue
            court = state == CARE_PROCEEDINGS
            if index == 0:
                rne, status = "S", _LS_INTERIM if court else _LS
            else:
                rne, status = "L", _LS_INTERIM if court else _LS_CARE_ORDER
            ended = end is not None and end <= last
            if not ended:
                rec = ""
            elif index < len(stretches) - 1:
                rec = _REC_NEXT
            elif after == CARE_LEAVER:
                rec = _REC_EIGHTEEN
            elif court and after == "case_closed":
                rec = _REC_SGO
            else:
                rec = _REC_HOME
            self.episodes.append(
                (child, _d(start), rne, status, _CIN, _PLACE, _PROVIDER,
                 _d(end) if ended else "", rec, "", self.home, self.placement, _URN)
            )  # fmt: skip

    def tables(self) -> dict[str, str]:
        """The files: name → CSV text."""
        return {
            "header.csv": _csv(HEADER, self.header),
            "episodes.csv": _csv(EPISODES, self.episodes),
            "reviews.csv": _csv(REVIEWS, self.reviews),
            "oc3.csv": _csv(OC3, self.oc3),
        }


def _stretches(case: Case) -> list[tuple[dt.date, dt.date | None, str]]:
    """Each state the case was in: from, to (None while still there), state."""
    enters = sorted(case.enters, key=lambda item: item[0])
    ends: list[dt.date | None] = [date for date, _ in enters[1:]]
    return [(date, end, state) for (date, state), end in zip(enters, [*ends, None], strict=True)]


def export_ssda903(results: Path, year: int, out: Path, replication: int = 0) -> list[Path]:
    """Write the synthetic SSDA903 return into ``out`` atomically; returns the files written.

    ``out`` must be new or a folder this module wrote before (it holds our marker file).
    """
    _refuse_foreign(out)
    seed = run_seed(results)
    cases = iter_cases(event_log(results, replication))
    table, last = _Ssda903(year), dt.date(year, 3, 31)
    with _without_gc():
        for number, case in cases:
            table.add(case, partial(child, case, number, seed, replication, last))
    with _staging(out) as folder:
        names = _write(folder, table.tables())
    return [out / name for name in names]


def export_returns(
    results: Path,
    year: int,
    out: Path,
    replication: int = 0,
    notes: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write both synthetic returns into ``out`` atomically: the SSDA903 CSVs and the CIN census.

    ``out`` must be new or a folder this module wrote before (it holds our marker file). One pass
    over the event log, a case at a time: each case's census ``Child`` goes straight to the file
    and its SSDA903 rows (a small share of cases) are kept, so the memory held is the log's
    picked columns and the SSDA903's rows, not the caseload's objects nor the census's text.
    ``notes`` is told, before anything is written, when the year began before the simulation.
    """
    _refuse_foreign(out)
    seed = run_seed(results)  # a results folder, before the event log is read
    said = before_the_run(results, year)
    if said and notes is not None:
        notes(said)
    cases = iter_cases(event_log(results, replication))
    table, census, last = _Ssda903(year), Census(year), dt.date(year, 3, 31)
    with _staging(out) as folder, _without_gc():
        with (folder / CIN_FILE).open("w", encoding="utf-8") as xml:
            write = xml.write
            write(census.header())
            for number, case in cases:
                who = child(case, number, seed, replication, last)
                if ever_in_care(case):  # the same identity, its own draws from here on
                    table.add(case, partial(replace, who, rng=who.rng.fork()))
                write(census.child(case, who))
            write(FOOTER)
        names = [*_write(folder, table.tables()), CIN_FILE]
    return [out / name for name in names]


def before_the_run(results: Path, year: int) -> str:
    """What is missing from a collection year that began before the simulation did ("" if none).

    The simulation makes no referrals before its first day, and a case it opens on that day with
    a back-dated entry has no referral before it: the census shows its episode beginning on that
    entry. When the entry falls in the year those cases read as the year's referrals, all of them
    already at an assessment, an enquiry or a plan, and the referrals of the days before the first
    day are missing. A scenario built from such a year sends too many of its referrals straight
    to a section 47 enquiry (Liverpool's round trip: 44 cases open in an enquiry on 6 April 2026,
    entered 1 to 5 April, and 2,146 enquiries against the original's 2,096 a year later).
    """
    start, first = run_start(results), dt.date(year - 1, 4, 1)
    if start is None or start <= first:
        return ""
    days = (start - first).days
    return (
        f"the collection year began {days} day{'s' * (days != 1)} before the simulation "
        f"({start.isoformat()}): none of its referrals in those days are in the returns, and "
        "the cases open on the simulation's first day whose back-dated entry falls in them show "
        "as referred then; simulate from 1 April (`--set start="
        f"{first.isoformat()}`) for a whole year"
    )


@contextmanager
def _without_gc() -> Iterator[None]:
    """Cyclic garbage collection off, for the length of an export.

    An export makes no reference cycles, and the collector's passes over the objects it does make
    (millions in a national year) cost about a fifth of its time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _refuse_foreign(out: Path) -> None:
    if out.exists() and not (out / MARKER).is_file():
        raise ReturnsError(
            f"{out}: exists and was not written by `casejourney returns export`; "
            "choose a new folder"
        )


def _write(folder: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return list(files)


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A new folder beside ``out`` to write into; it becomes ``out`` whole, or is removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        yield staging
        (staging / MARKER).write_text("written by casejourney returns export\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # ours: made just above
        raise
    if out.exists():
        old = out.with_name(f".{out.name}-old-{os.getpid()}")
        out.rename(old)
        staging.rename(out)
        for path in old.iterdir():
            path.unlink()
        old.rmdir()
    else:
        staging.rename(out)
