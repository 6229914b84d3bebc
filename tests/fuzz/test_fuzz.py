"""The short fuzzing run CI does, and every input that once crashed, replayed for ever.

Each input must end in documented findings with a file and line, or load cleanly, within
``LIMIT_SECONDS``; the long run (``python -m tests.fuzz.run``) is in docs/fuzzing.md.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.generate import documents, dump
from tests.fuzz.harness import ROOT, Kind, probe, shipped_files, shipped_tree, warm_up
from tests.fuzz.mutate import OPERATORS, mutate

CORPUS = ROOT / "tests" / "fuzz" / "corpus"
#: Inputs per operator in the short run (the long run makes millions from the same code).
SHORT_RUN = 6


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the shipped workflows and scenarios; a test replaces one file at a time."""
    warm_up()
    yield shipped_tree(tmp_path_factory.mktemp("shipped"))


def _probe_as(tree: Path, kind: Kind, name: str, data: bytes) -> str | None:
    folder = tree / ("workflows" if kind == "workflow" else "scenarios")
    path = folder / name
    original = path.read_bytes() if path.exists() else None
    path.write_bytes(data)
    try:
        return probe(path, kind).failure
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_bytes(original)


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_mutated_shipped_files_give_documented_findings_or_load(tree: Path, operator: str) -> None:
    files = shipped_files()
    for index in range(SHORT_RUN):
        rng = random.Random(f"{operator}-{index}")
        kind, source = rng.choice(files)
        data = OPERATORS[operator](source.read_text(encoding="utf-8"), rng)
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")
        failure = _probe_as(tree, kind, source.name, raw)
        assert failure is None, f"{operator} #{index} of {source.name}: {failure}"


def test_combined_mutations_give_documented_findings_or_load(tree: Path) -> None:
    files = shipped_files()
    for index in range(SHORT_RUN * 3):
        rng = random.Random(index)
        kind, source = rng.choice(files)
        data, names = mutate(source.read_text(encoding="utf-8"), rng)
        failure = _probe_as(tree, kind, source.name, data)
        assert failure is None, f"seed {index} ({names}) of {source.name}: {failure}"


@pytest.mark.parametrize("kind", ["workflow", "scenario"])
def test_generated_documents_give_documented_findings_or_load(tree: Path, kind: Kind) -> None:
    name = "national.yaml" if kind == "workflow" else "fuzzed.yaml"

    @settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(documents(kind))
    def check(document: dict[str, object]) -> None:
        failure = _probe_as(tree, kind, name, dump(document))
        assert failure is None, failure

    check()


CRASHES = sorted(CORPUS.glob("*/*.yaml"))


@pytest.mark.parametrize("path", CRASHES, ids=[f"{p.parent.name}/{p.name}" for p in CRASHES])
def test_every_input_that_once_crashed_now_gives_documented_findings(
    tree: Path, path: Path
) -> None:
    kind: Kind = "workflow" if path.parent.name == "workflow" else "scenario"
    name = path.name.split("--")[0] + ".yaml"
    failure = _probe_as(tree, kind, name, path.read_bytes())
    assert failure is None, failure


# the timer's signal may land in a gc callback, where Python reports its exception as unraisable;
# the harness then judges the hang by the clock
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(
    ("limit", "wall"), [(0.001, 60.0), (5.0, 0.001)], ids=["processor time", "wall-clock time"]
)
def test_an_input_over_the_time_limit_is_a_hang(tmp_path: Path, limit: float, wall: float) -> None:
    """A file of 19,000 values (not read before, so parsed: tens of milliseconds) against 1 ms."""
    path = tmp_path / "workflows" / "big.yaml"
    path.parent.mkdir()
    path.write_text(
        f"id: big\ntitle: {tmp_path.name}\nx:\n" + "".join(f"  - {i}\n" for i in range(19_000)),
        encoding="utf-8",
    )
    outcome = probe(path, "workflow", limit=limit, wall=wall)
    assert outcome.failure is not None and outcome.failure.startswith("hang:")


def test_the_corpus_holds_the_crashes_of_issue_17() -> None:
    """The inputs that crashed `main` at fc6c93e stay here, so they are replayed for ever."""
    assert len(CRASHES) >= 6
