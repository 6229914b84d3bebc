"""`simulate --report --xes` leaves the planner's whole bundle in the results folder."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from casejourney.cli import main


def test_simulate_with_report_and_xes_writes_every_output(tmp_path: Path) -> None:
    out = tmp_path / "results"
    code = main(
        [
            "simulate",
            "national-baseline",
            "--scale",
            "0.005",
            "-n",
            "1",
            "-o",
            str(out),
            "--report",
            "--xes",
        ]
    )
    assert code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html
    assert "<script src" not in html and "<link" not in html, "the report must open offline"
    tidy = (out / "metrics-tidy.csv").read_text(encoding="utf-8-sig").splitlines()
    assert {"metric", "subject", "value", "unit"} <= set(tidy[0].split(","))
    with gzip.open(out / "events" / "replication-0000.xes.gz") as handle:
        root = ET.parse(handle).getroot()
    assert root.tag.endswith("log") and any(child.tag.endswith("trace") for child in root)


def test_xes_needs_a_parquet_event_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "simulate",
            "national-baseline",
            "--scale",
            "0.005",
            "-n",
            "1",
            "-o",
            str(tmp_path / "r"),
            "--xes",
            "--event-log",
            "none",
        ]
    )
    assert code == 2
    assert "--xes needs --event-log parquet or both" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
