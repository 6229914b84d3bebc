"""Data files as other people's tools read them: duckdb and polars, and Excel's byte-order mark.

Every figure a planner loads should arrive as a number or a date, a missing one as null (never
NaN or the text ``nan``), and every CSV should open in Excel with ``≤`` and ``’`` intact.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from casejourney.cli import main
from casejourney.report.exports import write_tidy
from tests.test_report_data import simulated

duckdb = pytest.importorskip("duckdb")
pl = pytest.importorskip("polars")

BOM = b"\xef\xbb\xbf"
TABLES = ("summary", "weekly", "replications")
#: The one naming convention of docs/outputs.md: what is measured is ``metric``, of what ``subject``.
RETIRED_NAMES = {"measure", "key", "key_type"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("outputs") / "results"
    shutil.copytree(simulated(tmp_path_factory, "base"), copy)
    write_tidy(copy)
    return copy


def _float_columns(path: Path) -> list[str]:
    schema = pq.read_schema(path)
    return [f.name for f in schema if pa.types.is_floating(f.type)]


@pytest.mark.parametrize("name", TABLES)
def test_missing_figures_are_null_not_nan_in_parquet(folder: Path, name: str) -> None:
    path = folder / f"{name}.parquet"
    columns = _float_columns(path)
    assert columns
    con = duckdb.connect()
    nans = sum(
        con.execute(f"SELECT count(*) FROM '{path}' WHERE isnan(\"{c}\")").fetchone()[0]
        for c in columns
    )
    assert nans == 0
    if name == "weekly":  # weeks with nothing due have no % on time: they must be there, as null
        nulls = con.execute(
            f"SELECT count(*) FROM '{path}' WHERE metric = 'standard.on_time_pct' AND mean IS NULL"
        ).fetchone()[0]
        assert nulls > 0
    mean = con.execute(
        f"SELECT avg(mean) FROM '{path}' WHERE metric = 'standard.on_time_pct'"
        if name != "replications"
        else f"SELECT avg(value) FROM '{path}' WHERE metric = 'standard.on_time_pct'"
    ).fetchone()[0]
    assert mean is not None and 0 <= mean <= 100  # duckdb's AVG is a number, not NaN


def test_week_start_is_a_date_in_parquet_and_csv(folder: Path) -> None:
    schema = pq.read_schema(folder / "weekly.parquet")
    assert schema.field("week_start").type == pa.date32()
    con = duckdb.connect()
    kind = con.execute(
        f"SELECT typeof(week_start) FROM read_csv('{folder / 'weekly.csv'}') LIMIT 1"
    ).fetchone()[0]
    assert kind == "DATE"
    frame = pl.read_csv(folder / "weekly.csv", try_parse_dates=True)
    assert frame.schema["week_start"] == pl.Date


@pytest.mark.parametrize("name", [*TABLES, "metrics-tidy"])
def test_every_csv_opens_in_excel_and_reads_as_numbers(folder: Path, name: str) -> None:
    path = folder / f"{name}.csv"
    raw = path.read_bytes()
    assert raw.startswith(BOM), "a byte-order mark, so Excel reads the file as UTF-8"
    assert b"nan" not in raw.lower().replace(b"nanny", b""), "a missing figure is an empty cell"
    frame = pl.read_csv(path)
    assert frame.columns[0] in {"metric", "replication", "scenario"}, "the mark is not in a name"
    numbers = {"mean", "ci_low", "ci_high", "sd", "value"} & set(frame.columns)
    assert numbers
    for column in numbers:
        assert frame.schema[column].is_numeric(), f"{name}.csv: {column} read as text"


def test_every_file_names_what_it_measures_the_same_way(folder: Path) -> None:
    files = [
        *(folder / f"{t}.parquet" for t in TABLES),
        *sorted((folder / "events").glob("counts-*.parquet")),
    ]
    assert len(files) > len(TABLES)
    for path in files:
        names = set(pq.read_schema(path).names)
        assert {"metric", "subject"} <= names, path.name
        assert not names & RETIRED_NAMES, path.name
    tidy = pl.read_csv(folder / "metrics-tidy.csv")
    assert {"metric", "subject", "subject_type", "unit", "better"} <= set(tidy.columns)
    assert not set(tidy.columns) & RETIRED_NAMES


def test_the_compare_csv_has_values_and_units_beside_the_words(tmp_path: Path) -> None:
    out = tmp_path / "compare.csv"
    assert main(["compare", "national", "liverpool", "--format", "csv", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(BOM)
    con = duckdb.connect()
    row = con.execute(
        f"SELECT national, national_value, national_unit, typeof(national_value) "
        f"FROM read_csv('{out}') WHERE id = 'icpc-timing'"
    ).fetchone()
    assert row == ("≤ 15 wd", 15, "working_days", "BIGINT")


def test_the_rules_csv_has_values_and_units_beside_the_words(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["rules", "--authority", "national", "--format", "csv"]) == 0
    out = tmp_path / "rules.csv"
    out.write_bytes(capsysbinary.readouterr().out)
    con = duckdb.connect()
    row = con.execute(
        "SELECT within, within_value, within_unit, typeof(within_value), every_value, every_unit "
        f"FROM read_csv('{out}') WHERE id = 'icpc-timing'"
    ).fetchone()
    assert row == ("15 working days", 15, "working_days", "BIGINT", None, None)
    recurring = con.execute(
        f"SELECT every_value, every_unit FROM read_csv('{out}') WHERE id = 'review-conference'"
    ).fetchone()
    assert recurring is not None and recurring[1] == "months"
