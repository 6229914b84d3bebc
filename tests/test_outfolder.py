"""Results folders: a user's files survive `simulate --out` and `sweep --out`, whatever happens."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

import casejourney.experiment as experiment
from casejourney import outfolder
from casejourney.cli import main
from casejourney.errors import OutputFolderError
from casejourney.outfolder import MARKER

QUICK = ["national-baseline", "--scale", "0.002", "-n", "1"]
SWEEP = [
    "sweep",
    "national-baseline",
    "--vary",
    "teams.front_door.headcount=1800",
    "--scale",
    "0.002",
    "-n",
    "1",
]


def _user_folder(path: Path) -> Path:
    """A folder as a user keeps it: a document, and a sub-folder of their own."""
    path.mkdir()
    (path / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (path / "photos").mkdir()
    (path / "photos" / "a.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return path


def _users_files_intact(path: Path) -> None:
    assert (path / "notes.txt").read_text(encoding="utf-8") == "my notes\n"
    assert (path / "photos" / "a.jpg").read_bytes() == b"\xff\xd8 not really a jpeg"


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if any replication starts: the folder must be refused before work starts."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a replication ran before the output folder was checked")

    monkeypatch.setattr("casejourney.runner.run_replication", refuse)


def test_a_folder_holding_a_users_file_survives_simulate_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_simulation: None
) -> None:
    mine = _user_folder(tmp_path / "Documents")
    assert main(["simulate", *QUICK, "--out", str(mine)]) == 2
    message = capsys.readouterr().err
    assert "not a casejourney results folder" in message and "--force" in message
    assert "notes.txt" in message
    _users_files_intact(mine)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt", "photos"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Documents"]  # no staging, no lock


def test_a_folder_holding_a_users_file_survives_sweep_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_simulation: None
) -> None:
    mine = _user_folder(tmp_path / "Documents")
    assert main([*SWEEP, "--out", str(mine)]) == 2
    assert "not a casejourney results folder" in capsys.readouterr().err
    _users_files_intact(mine)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt", "photos"]


def test_force_writes_beside_the_users_files_and_a_rerun_keeps_them(tmp_path: Path) -> None:
    mine = _user_folder(tmp_path / "Documents")
    assert main(["simulate", *QUICK, "--out", str(mine), "--force"]) == 0
    _users_files_intact(mine)
    assert (mine / "summary.csv").is_file() and (mine / MARKER).is_file()
    # Now a results folder: running again needs no --force and still keeps what is the user's.
    assert main(["simulate", *QUICK, "--seed", "5", "--out", str(mine)]) == 0
    _users_files_intact(mine)
    assert json.loads((mine / "run.json").read_text())["settings"]["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Documents"]


def test_force_never_overwrites_a_users_file_with_a_name_casejourney_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_simulation: None
) -> None:
    mine = _user_folder(tmp_path / "Documents")
    (mine / "summary.csv").write_text("my own summary\n", encoding="utf-8")
    assert main(["simulate", *QUICK, "--out", str(mine), "--force"]) == 2
    assert "summary.csv" in capsys.readouterr().err
    assert (mine / "summary.csv").read_text(encoding="utf-8") == "my own summary\n"


def test_force_sweep_writes_beside_the_users_files(tmp_path: Path) -> None:
    mine = _user_folder(tmp_path / "Documents")
    assert main([*SWEEP, "--out", str(mine), "--force"]) == 0
    _users_files_intact(mine)
    assert (mine / "sweep-summary.csv").is_file() and (mine / "frontier.svg").is_file()
    assert json.loads((mine / MARKER).read_text())["kind"] == "sweep"


def test_a_users_file_added_to_a_results_folder_survives_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert main(["simulate", *QUICK, "--out", str(out), "--event-log", "both"]) == 0
    (out / "my-analysis.xlsx").write_bytes(b"PK\x03\x04 spreadsheet")
    (out / "events" / "my-notes.txt").write_text("kept\n", encoding="utf-8")
    assert main(["simulate", *QUICK, "--out", str(out), "--event-log", "none"]) == 0
    assert (out / "my-analysis.xlsx").read_bytes() == b"PK\x03\x04 spreadsheet"
    assert (out / "events" / "my-notes.txt").read_text(encoding="utf-8") == "kept\n"
    assert not (out / "events" / "replication-0000.csv").exists()  # our old output is replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


@pytest.mark.parametrize("command", [["simulate", *QUICK], SWEEP[:-2]])
def test_an_out_path_that_cannot_be_a_folder_is_refused_before_work_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_simulation: None, command: list[str]
) -> None:
    afile = tmp_path / "report.txt"
    afile.write_text("mine\n", encoding="utf-8")
    assert main([*command, "--out", str(afile)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main([*command, "--out", str(afile / "under-a-file")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert afile.read_text(encoding="utf-8") == "mine\n"


def test_a_simulate_folder_is_not_taken_for_a_sweep_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_simulation: None
) -> None:
    out = tmp_path / "r"
    out.mkdir()
    outfolder.write_marker(out, outfolder.SIMULATE)
    assert main([*SWEEP, "--out", str(out)]) == 2
    assert "not sweep results" in capsys.readouterr().err


def test_stale_staging_of_a_killed_run_is_cleaned_but_a_stray_file_in_it_kept(
    tmp_path: Path,
) -> None:
    out = tmp_path / "results"
    stale = tmp_path / ".results.partial-999999"
    stale.mkdir()
    outfolder.write_marker(stale, outfolder.SIMULATE)
    (stale / "events").mkdir()
    (stale / "events" / "replication-0000.parquet").write_bytes(b"x" * 1000)
    (stale / "summary.csv").write_text("half\n", encoding="utf-8")
    lonely = tmp_path / ".results.partial-888888"
    lonely.mkdir()
    (lonely / "not-ours.txt").write_text("?\n", encoding="utf-8")
    assert main(["simulate", *QUICK, "--out", str(out)]) == 0
    assert not stale.exists()
    assert (lonely / "not-ours.txt").read_text(encoding="utf-8") == "?\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".results.partial-888888", "results"]


def test_results_of_a_run_killed_mid_swap_come_back(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert main(["simulate", *QUICK, "--out", str(out), "--seed", "4"]) == 0
    out.rename(tmp_path / ".results.old-999999")  # killed between the two renames
    with outfolder.claim(out, outfolder.SIMULATE):
        pass
    assert json.loads((out / "run.json").read_text())["settings"]["seed"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_stale_temporary_files_in_a_sweep_folder_are_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    assert main([*SWEEP, "--out", str(out)]) == 0
    litter = [out / ".frontier.svg.tmp-999999", out / "tasks" / f".{'a' * 32}.json.tmp-999999"]
    for path in litter:
        path.write_text("half", encoding="utf-8")
    (out / "mine.txt").write_text("kept\n", encoding="utf-8")
    assert main([*SWEEP, "--out", str(out)]) == 0
    assert not any(p.exists() for p in litter)
    assert (out / "mine.txt").read_text(encoding="utf-8") == "kept\n"


def test_two_runs_never_write_one_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_simulation: None
) -> None:
    out = tmp_path / "results"
    with outfolder.claim(out, outfolder.SIMULATE):  # another run holds it
        assert main(["simulate", *QUICK, "--out", str(out)]) == 2
        assert "being written by another casejourney run" in capsys.readouterr().err
    with outfolder.claim(tmp_path / "sweep", outfolder.SWEEP):
        assert main([*SWEEP, "--out", str(tmp_path / "sweep")]) == 2
        assert "being written by another casejourney run" in capsys.readouterr().err


def test_a_full_disk_is_a_message_and_the_old_results_stay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "results"
    assert main(["simulate", *QUICK, "--out", str(out), "--seed", "4"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def full(columns: object, stem: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(stem) + ".parquet")

    monkeypatch.setattr(experiment, "_write_table", full)
    assert main(["simulate", *QUICK, "--out", str(out), "--seed", "5"]) == 2
    message = capsys.readouterr().err
    assert "the disk is full" in message and "unchanged" in message
    assert "Traceback" not in message
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_discard_removes_only_the_names_casejourney_writes(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    (folder / "events").mkdir(parents=True)
    for name in ("summary.csv", "run.json", "events/replication-0001.parquet", "mine.csv"):
        (folder / name).write_text("x", encoding="utf-8")
    (folder / "events" / "holiday.jpg").write_text("x", encoding="utf-8")
    (folder / "summary.parquet").mkdir()  # a folder where we write a file: not ours
    kept = outfolder.discard(folder, outfolder.SIMULATE.tree)
    assert sorted(p.relative_to(folder).as_posix() for p in kept) == [
        "events/holiday.jpg",
        "mine.csv",
        "summary.parquet",
    ]
    assert not (folder / "summary.csv").exists()
    assert not (folder / "events" / "replication-0001.parquet").exists()


def test_an_older_casejourneys_unmarked_results_folder_is_still_accepted(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert main(["simulate", *QUICK, "--out", str(out)]) == 0
    (out / MARKER).unlink()
    outfolder.check(out, outfolder.SIMULATE)  # only our names and run.json: no error
    (out / "mine.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError):
        outfolder.check(out, outfolder.SIMULATE)


def test_the_frontier_chart_is_byte_reproducible(tmp_path: Path) -> None:
    from casejourney import sweep

    rows = [
        {
            "point": i,
            "teams.x.headcount": h,
            "standard": s,
            "replications": 2,
            "on_time_pct": p,
            "ci_low": p - 5,
            "ci_high": p + 5,
        }
        for i, (h, s, p) in enumerate(
            [(1, "a", 70.0), (2, "a", 85.0), (1, "b", 90.0), (2, "b", 95.0)]
        )
    ]
    written = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        sweep.write_frontier(rows, "teams.x.headcount", 80, tmp_path / name)
        written.append((tmp_path / name / "frontier.svg").read_bytes())
    assert written[0] == written[1]
