"""A simulated caseload as a synthetic SSDA903 return (children looked after) for one collection year.

Consumes one replication's event log from a results folder; produces ``header.csv``,
``episodes.csv`` and ``reviews.csv`` with the DfE column names and codes. Child ids are synthetic
(``SIM`` + the simulation's case number), dates of birth are drawn from the run's seed and made
consistent with the ages the simulation marked, so nothing here ever stood for a person.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from casejourney.calendar import birthday
from casejourney.returns.caseload import (
    CARE_LEAVER,
    LOOKED_AFTER,
    Case,
    ReturnsError,
    care_periods,
    child,
    event_log,
    read_cases,
    run_seed,
    years_before,
)
from casejourney.returns.cin import cin_census_xml

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

# SSDA903 codes used (DfE SSDA903 guidance): V2 single period of accommodation under s20, N1 abuse
# or neglect, U4 foster placement with other foster carer, PR1 own provision, E4A returned home,
# E8 ceased for any other reason (which includes leaving care at 18), PN1 child attended the review.
_LS, _CIN, _PLACE, _PROVIDER, _REVIEW_CODE = "V2", "N1", "U4", "PR1", "PN1"
_REC_HOME, _REC_EIGHTEEN = "E4A", "E8"
# PN0: the child was under 4 at the review. URN: a made-up Ofsted registration number.
_REVIEW_UNDER_4, _URN = "PN0", "SC999999"
# Care leavers (OC3), on their 19th, 20th or 21st birthday in the year while the simulation has them
# in touch (in the care_leaver state): activity (F2/P2 education, F4/P4 training or employment,
# G4-G6 not) and accommodation (suitable: K independent living, D semi-independent, E supported
# lodgings, B with parents or relatives, G ordinary lodgings) drawn from the run's seed.
_OC3_AGES = (19, 20, 21)
_CARE = frozenset({LOOKED_AFTER, CARE_LEAVER})
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


def ssda903_tables(
    results: Path,
    year: int,
    replication: int = 0,
    home: str = "L2 2DH",
    placement: str = "L1 0AA",
    cases: dict[int, Case] | None = None,
) -> dict[str, str]:
    """The SSDA903 files (name → CSV text) for the collection year ending 31 March ``year``.

    Every home postcode is ``home`` and every placement postcode ``placement`` (by default two
    postcodes in Liverpool city centre, the first its municipal buildings), so the validators can
    place each episode in an authority without any child's address.
    """
    seed = run_seed(results)
    if cases is None:
        cases = read_cases(event_log(results, replication))
    first, last = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
    header: list[tuple[object, ...]] = []
    episodes: list[tuple[object, ...]] = []
    reviews: list[tuple[object, ...]] = []
    oc3: list[tuple[object, ...]] = []
    for number, case in sorted(cases.items()):
        if not any(state in _CARE for _, state in case.enters):
            continue
        periods = [
            p for p in care_periods(case) if p[0] <= last and (p[1] is None or p[1] >= first)
        ]
        leaving = [(start, end) for start, end, state in _stretches(case) if state == CARE_LEAVER]
        if not periods and not leaving:
            continue
        who = child(case, number, seed, replication, last)
        dob = _d(who.birth)
        touch = [
            day
            for day in (birthday(who.birth, age) for age in _OC3_AGES)
            if first <= day <= last and any(s <= day and (e is None or e > day) for s, e in leaving)
        ]
        if not periods and not touch:
            continue
        # UN1 (no UPN yet) only for a child under school age; UN5 (sources disagree) otherwise.
        upn = "UN1" if years_before(dt.date(year - 2, 8, 31), 4) < who.birth else "UN5"
        # Not known to be a mother; not asked of a care leaver who was not looked after this year.
        mother = "0" if who.sex == "F" and periods else ""
        header.append((who.id, who.sex, dob, who.ethnic, upn, mother, ""))
        if touch:
            activ = _ACTIV[who.rng.below(len(_ACTIV))]
            accom = _ACCOM[who.rng.below(len(_ACCOM))]
            oc3.append((who.id, dob, "YES", activ, accom))
        for start, end, after in periods:
            ended = end is not None and end <= last
            rec = "" if not ended else (_REC_EIGHTEEN if after == CARE_LEAVER else _REC_HOME)
            episodes.append(
                (who.id, _d(start), "S", _LS, _CIN, _PLACE, _PROVIDER,
                 _d(end) if ended else "", rec, "", home, placement, _URN)
            )  # fmt: skip
        for date in case.reviews:
            if first <= date <= last:
                code = _REVIEW_CODE if years_before(date, 4) >= who.birth else _REVIEW_UNDER_4
                reviews.append((who.id, dob, _d(date), code))
    return {
        "header.csv": _csv(HEADER, header),
        "episodes.csv": _csv(EPISODES, episodes),
        "reviews.csv": _csv(REVIEWS, reviews),
        "oc3.csv": _csv(OC3, oc3),
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
    return _write_folder(out, ssda903_tables(results, year, replication))


def export_returns(results: Path, year: int, out: Path, replication: int = 0) -> list[Path]:
    """Write both synthetic returns into ``out`` atomically: the SSDA903 CSVs and the CIN census.

    ``out`` must be new or a folder this module wrote before (it holds our marker file).
    """
    _refuse_foreign(out)
    run_seed(results)  # a results folder, before the event log is read
    cases = read_cases(event_log(results, replication))
    files = ssda903_tables(results, year, replication, cases=cases)
    files[CIN_FILE] = cin_census_xml(results, year, replication, cases=cases)
    return _write_folder(out, files)


def _refuse_foreign(out: Path) -> None:
    if out.exists() and not (out / MARKER).is_file():
        raise ReturnsError(
            f"{out}: exists and was not written by `casejourney returns export`; "
            "choose a new folder"
        )


def _write_folder(out: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (name → text) as the folder ``out``: whole, or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    for name, text in files.items():
        (staging / name).write_text(text, encoding="utf-8")
    (staging / MARKER).write_text("written by casejourney returns export\n", encoding="utf-8")
    if out.exists():
        old = out.with_name(f".{out.name}-old-{os.getpid()}")
        out.rename(old)
        staging.rename(out)
        for path in old.iterdir():
            path.unlink()
        old.rmdir()
    else:
        staging.rename(out)
    return [out / name for name in files]
