"""Exports for other tools: the event log as IEEE 1849 XES, the measures as tidy CSV."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import casejourney
from casejourney.cli import main
from casejourney.report.exports import (
    TIDY_COLUMNS,
    TIDY_NAME,
    ExportError,
    write_tidy,
    write_xes,
)
from tests.test_report_data import simulated

D = dt.date
#: The XML Schema of IEEE Std 1849-2016 (tests/data/xes/README.md says where it comes from).
XSD = Path(__file__).parent / "data" / "xes" / "xes-ieee-1849-2016.xsd"

# (case, date, event, kind, team, worker, due) in the order an engine emits them: cases interleaved
ROWS = [
    (7, D(2026, 7, 6), "contact", "enter", "front_door", 3, None),
    (2, D(2026, 6, 1), "cp_plan", "enter", "child_protection", 5, None),
    (7, D(2026, 7, 6), "contact", "work", "front_door", 3, None),
    (7, D(2026, 7, 7), "referral", "enter", "front_door", -1, None),
    (2, D(2026, 6, 10), "cp_visit", "task", "child_protection", 5, D(2026, 6, 12)),
    (7, D(2026, 7, 8), "strategy_discussion", "enter", "assessment", 9, None),
    (7, D(2026, 7, 20), "case_closed", "enter", None, -1, None),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory, "base")


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    (folder / "events").mkdir(parents=True)
    case, date, event, kind, team, worker, due = zip(*ROWS, strict=True)
    table = pa.table(
        {
            "replication": pa.array([0] * len(ROWS), pa.int32()),
            "case": pa.array(case, pa.int32()),
            "date": pa.array(date, pa.date32()),
            "event": pa.array(event).dictionary_encode(),
            "kind": pa.array(kind).dictionary_encode(),
            "team": pa.array(team, pa.string()),
            "worker": pa.array(worker, pa.int32()),
            "due_date": pa.array(due, pa.date32()),
        }
    )
    pq.write_table(table, folder / "events" / "replication-0000.parquet")
    record = {
        "scenario": "tiny",
        "authority": "national",
        "start": "2026-04-06",
        "report_start": "2026-07-06",
        "end": "2027-07-05",
        "settings": {"replications": 1, "seed": 7},
    }
    (folder / "run.json").write_text(json.dumps(record), encoding="utf-8")
    nan = float("nan")
    measures = pa.table(
        {
            "replication": [0, 0, 0, 1],
            "metric": [
                "standard.due",
                "standard.on_time_pct",
                "standard.late_units_median",
                "stage.open",
            ],
            "subject": ["icpc-timing", "icpc-timing", "icpc-timing", "cp_plan"],
            "week": [0, 0, -1, 3],
            "value": [5.0, nan, 2.0, 12.0],
        }
    )
    pq.write_table(measures, folder / "replications.parquet")
    return folder


def _attrs(element: ET.Element) -> dict[str, str]:
    return {
        child.get("key", ""): child.get("value", "") for child in element if child.tag != "event"
    }


def _journey(folder: Path) -> Path:
    written = write_xes(folder, compress=False)
    assert [p.name for p in written] == ["replication-0000.xes", "replication-0000-engine.xes"]
    return written[0]


def test_the_xes_log_follows_the_standard(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    root = ET.parse(_journey(folder)).getroot()
    assert root.tag == "log"  # the IEEE schema has no target namespace
    assert root.get("xes.version") == "1.0"
    prefixes = {e.get("prefix") for e in root.findall("extension")}
    assert {"concept", "time", "lifecycle", "org"} <= prefixes
    scopes = {g.get("scope") for g in root.findall("global")}
    assert scopes == {"trace", "event"}
    names = [c.get("name", "") for c in root.findall("classifier")]
    assert names and all(" " not in n for n in names)  # xs:NCName
    assert _attrs(root)["concept:name"] == "tiny, replication 0"


def test_the_xes_logs_are_valid_against_the_ieee_1849_2016_schema(tmp_path: Path) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(XSD))
    for path in write_xes(_folder(tmp_path), compress=False):
        schema.validate(str(path))


def test_one_trace_per_case_in_case_order_with_timed_events(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    workflow = casejourney.load_workflow("national")
    traces = ET.parse(_journey(folder)).getroot().findall("trace")
    # case ids carry the replication, so merged logs never fuse two cases
    assert [_attrs(t)["concept:name"] for t in traces] == ["0-2", "0-7"]
    events = [_attrs(e) for e in traces[1].findall("event")]
    label = {s.id: s.label for s in workflow.states.values()}
    assert [(e["concept:name"], e["lifecycle:transition"]) for e in events] == [
        (label["contact"], "start"),
        (label["contact"], "complete"),
        (label["referral"], "start"),
        (label["referral"], "complete"),
        (label["strategy_discussion"], "start"),
        (label["strategy_discussion"], "complete"),
        (label["case_closed"], "complete"),  # the journey ends: nothing starts
    ]
    stamps = [dt.datetime.fromisoformat(e["time:timestamp"]) for e in events]
    assert stamps == sorted(stamps)
    assert stamps[0] == dt.datetime(2026, 7, 6, tzinfo=dt.UTC)
    # contact starts and completes on the same day: the order attribute keeps them in order
    assert [int(e["order"]) for e in events] == list(range(len(events)))
    assert (
        events[0]["org:group"] == "front_door"
        and events[0]["org:resource"] == "front_door worker 3"
    )
    assert "org:resource" not in events[2]  # no worker allocated yet
    work = [e for e in events if e["kind"] not in ("enter", "task", "mark")]
    assert not work, "queue and work records are not journey events"


def test_every_event_has_a_unique_id(tmp_path: Path) -> None:
    root = ET.parse(_journey(_folder(tmp_path))).getroot()
    ids = [_attrs(e)["event_id"] for e in root.iter("event")]
    assert len(ids) == len(set(ids)) == 9


def test_cases_open_at_the_start_say_so(tmp_path: Path) -> None:
    traces = ET.parse(_journey(_folder(tmp_path))).getroot().findall("trace")
    opened = {_attrs(t)["concept:name"]: _attrs(t)["open_at_start"] for t in traces}
    assert opened == {"0-2": "true", "0-7": "false"}  # case 2 was already on a plan


def test_engine_records_go_to_their_own_log(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    engine = write_xes(folder, compress=False)[1]
    events = [_attrs(e) for e in ET.parse(engine).getroot().iter("event")]
    assert [(e["kind"], e["activity_id"]) for e in events] == [("work", "contact")]
    assert not write_xes(folder, compress=False, engine=False)[1:]


def test_visits_are_complete_events_with_their_due_date(tmp_path: Path) -> None:
    trace = ET.parse(_journey(_folder(tmp_path))).getroot().findall("trace")[0]
    events = [_attrs(e) for e in trace.findall("event")]
    assert [e["lifecycle:transition"] for e in events] == ["start", "complete"]
    visit = events[1]
    assert visit["kind"] == "task" and visit["activity_id"] == "cp_visit"
    assert visit["due"] == "2026-06-12T00:00:00.000+00:00"
    # the case is still on its plan at the end: its stay has no complete event
    assert events[0]["activity_id"] == "cp_plan"


def test_milestones_have_human_names() -> None:
    from casejourney.report.xes import label, labels_of

    names = labels_of(casejourney.load_workflow("national"))
    assert label("age:15", names) == "Reaches age 15"
    assert label("strategy_discussion", names) == names["strategy_discussion"]


def test_no_attribute_could_carry_personal_data(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    keys: set[str] = set()
    for path in write_xes(folder, compress=False):
        keys |= {a.get("key", "") for a in ET.parse(path).getroot().iter() if a.get("key")}
    allowed = {
        "concept:name",
        "time:timestamp",
        "lifecycle:transition",
        "lifecycle:model",
        "org:group",
        "org:resource",
        "event_id",
        "activity_id",
        "order",
        "kind",
        "due",
        "source",
        "scenario",
        "authority",
        "seed",
        "replication",
        "case",
        "open_at_start",
    }
    assert keys <= allowed


def test_compressed_xes_is_the_same_log(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    plain = write_xes(folder, compress=False)[0]
    zipped = write_xes(folder)[0]
    assert zipped.name == "replication-0000.xes.gz"
    assert gzip.decompress(zipped.read_bytes()) == plain.read_bytes()
    assert write_xes(folder)[0].read_bytes() == zipped.read_bytes()  # reproducible bytes


def test_xes_without_an_event_log_says_how_to_get_one(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "events" / "replication-0000.parquet").unlink()
    with pytest.raises(ExportError, match="--event-log parquet"):
        write_xes(folder)
    with pytest.raises(ExportError, match=r"no run\.json"):
        write_xes(tmp_path)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
def test_pm4py_reads_the_log_and_discovers_a_model(base: Path, tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py")
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(base, copy)
    journey = write_xes(copy, replications=[0], engine=False)[0]
    log = pm4py.read_xes(str(journey))
    assert len(log) > 0 and log["case:concept:name"].str.startswith("0-").all()
    net, initial, final = pm4py.discover_petri_net_inductive(log)
    assert len(net.transitions) > 3
    fitness = pm4py.fitness_token_based_replay(log, net, initial, final)
    assert fitness["log_fitness"] > 0.5


def test_tidy_csv_is_long_with_units(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    written = write_tidy(folder)
    assert written == folder / TIDY_NAME
    raw = written.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a byte-order mark, so Excel reads UTF-8"
    rows = list(csv.DictReader(written.read_text(encoding="utf-8-sig").splitlines()))
    assert tuple(rows[0]) == TIDY_COLUMNS
    assert len(rows) == 4
    due, pct, late, open_ = rows
    assert due["metric"] == "standard.due" and due["value"] == "5.0" and due["unit"] == "instances"
    assert due["period"] == "week" and due["week"] == "0" and due["week_start"] == "2026-07-06"
    assert due["subject_type"] == "standard" and due["subject"] == "icpc-timing"
    assert pct["better"] == "higher" and due["better"] == "neither"
    assert pct["value"] == "" and pct["unit"] == "%"  # nothing due that week: no figure
    assert late["period"] == "whole period" and late["week"] == "" and late["week_start"] == ""
    assert late["unit"] == "working days"  # the standard's own unit (15 working days)
    assert open_["replication"] == "1" and open_["week_start"] == "2026-07-27"
    assert open_["unit"] == "cases" and open_["subject_type"] == "stage"


def test_export_command_on_a_simulated_run(base: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(base, copy)
    assert main(["export", str(copy), "-r", "1"]) == 0
    assert (copy / TIDY_NAME).is_file()
    engine, xes = sorted((copy / "events").glob("*.xes.gz"))
    assert (xes.name, engine.name) == ("replication-0001.xes.gz", "replication-0001-engine.xes.gz")
    root = ET.fromstring(gzip.decompress(xes.read_bytes()))
    record = json.loads((copy / "run.json").read_text(encoding="utf-8"))
    cases = next(r["cases"] for r in record["replications"] if r["replication"] == 1)
    assert len(root.findall("trace")) == cases
    rows = len((copy / TIDY_NAME).read_text(encoding="utf-8-sig").splitlines()) - 1
    assert rows == pq.read_metadata(copy / "replications.parquet").num_rows


def test_duckdb_reads_the_tidy_csv_whole_by_itself(tmp_path: Path) -> None:
    # duckdb guesses a CSV's quoting from its first 20,480 rows. The first description with a
    # comma in it ("..., at the week's end") came after them in a Liverpool run, so duckdb took
    # the file to have no quoting and stopped at that row: "Expected Number of Columns: 13
    # Found: 14". Every description is now quoted.
    duckdb = pytest.importorskip("duckdb")
    folder = _folder(tmp_path)
    weeks = 25_000
    measures = pa.table(
        {
            "replication": [0] * (weeks + 1),
            "metric": [*["standard.due"] * weeks, "team.casework_backlog_hours"],
            "subject": [*["icpc-timing"] * weeks, "front_door"],
            "week": [*range(weeks), 0],
            "value": [1.0] * (weeks + 1),
        }
    )
    pq.write_table(measures, folder / "replications.parquet")
    written = write_tidy(folder)
    rows = duckdb.sql(f"select metric, description from '{written}'").fetchall()
    assert len(rows) == weeks + 1
    assert rows[-1] == (
        "team.casework_backlog_hours",
        "casework owed that the team had no hours for, at the week's end",
    )
    # and Python's own reader still reads the same rows
    read = list(csv.DictReader(written.read_text(encoding="utf-8-sig").splitlines()))
    assert read[-1]["description"] == rows[-1][1] and len(read) == weeks + 1
