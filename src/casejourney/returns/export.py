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
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from casejourney.errors import CasejourneyError

__all__ = ["ReturnsError", "export_ssda903"]

#: The marker that makes an output folder recognisably ours (never replace a folder without it).
MARKER = ".casejourney-returns"

HEADER = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODES = (
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
)  # fmt: skip
REVIEWS = ("CHILD", "DOB", "REVIEW", "REVIEW_CODE")

# The workflow states that mean "looked after" and the state that follows care at 18.
_LOOKED_AFTER = "looked_after"
_CARE_LEAVER = "care_leaver"
_REVIEW_TASK = "lac_review"
# SSDA903 codes used (DfE SSDA903 guidance): V2 single period of accommodation under s20, N1 abuse
# or neglect, U4 foster placement with other foster carer, PR1 own provision, E4A returned home,
# E8 ceased for any other reason (which includes leaving care at 18), PN1 child attended the review.
_LS, _CIN, _PLACE, _PROVIDER, _REVIEW_CODE = "V2", "N1", "U4", "PR1", "PN1"
_REC_HOME, _REC_EIGHTEEN = "E4A", "E8"
# PN0: the child was under 4 at the review. URN: a made-up Ofsted registration number.
_REVIEW_UNDER_4, _URN = "PN0", "SC999999"
_ETHNIC = ("WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "AIND", "BAFR", "OOTH")


class ReturnsError(CasejourneyError):
    """A results folder cannot be written as returns, or returns cannot be read."""


@dataclass
class _Case:
    enters: list[tuple[dt.date, str]] = field(default_factory=list)
    ages: list[tuple[dt.date, int]] = field(default_factory=list)
    reviews: list[dt.date] = field(default_factory=list)


def _cases(log: Path) -> dict[int, _Case]:
    try:
        table = pq.read_table(log, columns=["case", "date", "event", "kind"])
    except (OSError, ValueError) as exc:
        raise ReturnsError(f"{log}: not a readable event log ({exc})") from None
    # Keep only the rows a return needs before leaving Arrow: a national log has millions of tasks.
    kind, event = pc.cast(table["kind"], pa.string()), pc.cast(table["event"], pa.string())
    wanted = pc.or_(
        pc.is_in(kind, value_set=pa.array(["enter", "mark"])),
        pc.and_(pc.equal(kind, "task"), pc.equal(event, _REVIEW_TASK)),
    )
    table = pa.table({"case": table["case"], "date": table["date"], "event": event, "kind": kind})
    table = table.filter(wanted)
    cases: dict[int, _Case] = {}
    columns = [table.column(name).to_pylist() for name in ("case", "date", "event", "kind")]
    for case, date, event, kind in zip(*columns, strict=True):
        if kind == "enter":
            cases.setdefault(case, _Case()).enters.append((date, event))
        elif kind == "mark" and event.startswith("age:"):
            cases.setdefault(case, _Case()).ages.append((date, int(event[4:])))
        elif kind == "task" and event == _REVIEW_TASK:
            cases.setdefault(case, _Case()).reviews.append(date)
    return cases


def _periods(case: _Case) -> list[tuple[dt.date, dt.date | None, str]]:
    """Each period of care: its start, its end (None while open) and where the case went next."""
    periods: list[tuple[dt.date, dt.date | None, str]] = []
    start: dt.date | None = None
    for date, state in case.enters:
        if state == _LOOKED_AFTER and start is None:
            start = date
        elif state != _LOOKED_AFTER and start is not None:
            periods.append((start, date, state))
            start = None
    if start is not None:
        periods.append((start, None, ""))
    return periods


def _birth(case: _Case, rng: np.random.Generator, until: dt.date) -> dt.date:
    """A synthetic date of birth consistent with the ages the simulation marked."""
    if case.ages:
        date, age = case.ages[0]
        return _years_before(date, age)
    leaving = [end for _, end, after in _periods(case) if end and after == _CARE_LEAVER]
    if leaving:  # care ends on the 18th birthday
        return _years_before(leaving[0], 18)
    # Otherwise born up to 16 years before the case began, and under 18 throughout its care.
    first = case.enters[0][0]
    ends = [end or until for _, end, _ in _periods(case)]
    latest = min(max(ends), until) if ends else until
    earliest = max(_years_before(latest, 18), _years_before(first, 16)) + dt.timedelta(days=1)
    span = max((first - earliest).days, 1)
    return earliest + dt.timedelta(days=int(rng.integers(span)))


def _years_before(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year - years)
    except ValueError:  # 29 February
        return date.replace(year=date.year - years, day=28)


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
) -> dict[str, str]:
    """The SSDA903 files (name → CSV text) for the collection year ending 31 March ``year``.

    Every home postcode is ``home`` and every placement postcode ``placement`` (by default two
    postcodes in Liverpool city centre, the first its municipal buildings), so the validators can
    place each episode in an authority without any child's address.
    """
    record = results / "run.json"
    if not record.is_file():
        raise ReturnsError(
            f"{results}: not a results folder (no run.json); write one with "
            "`casejourney simulate SCENARIO -o FOLDER`"
        )
    seed = int(json.loads(record.read_text(encoding="utf-8"))["settings"]["seed"])
    log = results / "events" / f"replication-{replication:04d}.parquet"
    if not log.is_file():
        raise ReturnsError(
            f"{log}: no event log; simulate with `--event-log parquet` (the default) to keep one"
        )
    first, last = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
    header: list[tuple[object, ...]] = []
    episodes: list[tuple[object, ...]] = []
    reviews: list[tuple[object, ...]] = []
    for number, case in sorted(_cases(log).items()):
        rng = np.random.default_rng([seed, replication, number])
        periods = [p for p in _periods(case) if p[0] <= last and (p[1] is None or p[1] >= first)]
        if not periods:
            continue
        child = f"SIM{number:07d}"
        birth = _birth(case, rng, last)
        dob = _d(birth)
        sex = "MF"[int(rng.integers(2))]
        # UN1 (no UPN yet) only for a child under school age; UN5 (sources disagree) otherwise.
        upn = "UN1" if _years_before(dt.date(year - 2, 8, 31), 4) < birth else "UN5"
        mother = "0" if sex == "F" else ""  # not known to be a mother
        ethnic = _ETHNIC[int(rng.integers(len(_ETHNIC)))]
        header.append((child, sex, dob, ethnic, upn, mother, ""))
        for start, end, after in periods:
            ended = end is not None and end <= last
            rec = "" if not ended else (_REC_EIGHTEEN if after == _CARE_LEAVER else _REC_HOME)
            episodes.append(
                (child, _d(start), "S", _LS, _CIN, _PLACE, _PROVIDER,
                 _d(end) if ended else "", rec, "", home, placement, _URN)
            )  # fmt: skip
        for date in case.reviews:
            if first <= date <= last:
                code = _REVIEW_CODE if _years_before(date, 4) >= birth else _REVIEW_UNDER_4
                reviews.append((child, dob, _d(date), code))
    return {
        "header.csv": _csv(HEADER, header),
        "episodes.csv": _csv(EPISODES, episodes),
        "reviews.csv": _csv(REVIEWS, reviews),
    }


def export_ssda903(results: Path, year: int, out: Path, replication: int = 0) -> list[Path]:
    """Write the synthetic SSDA903 return into ``out`` atomically; returns the files written.

    ``out`` must be new or a folder this function wrote before (it holds our marker file).
    """
    if out.exists() and not (out / MARKER).is_file():
        raise ReturnsError(
            f"{out}: exists and was not written by `casejourney returns export`; "
            "choose a new folder"
        )
    tables = ssda903_tables(results, year, replication)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    for name, text in tables.items():
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
    return [out / name for name in tables]
