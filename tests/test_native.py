"""The engine compiled with mypyc (``scripts/build_native.py``): never stale, same results as pure.

``make install`` compiles the engine where it can; these check that a build is used only while it
matches the sources exactly (an edited engine runs as edited, and says once why it is not the
build), that the compiled and pure engines write the same event log, and that the suite itself runs
the compiled engine wherever it can be built (what users of ``make install`` get).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

import casejourney
import casejourney.engine as engine
from casejourney.engine import native_build
from casejourney.simulate import compile_scenario, run_replication

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")
PACKAGE = Path(casejourney.__file__).resolve().parent
compiled_only = pytest.mark.skipif(not engine.NATIVE, reason=f"engine: {engine.BUILD}")


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_native", ROOT / "scripts/build_native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_build(here: Path) -> None:
    """An engine of two modules and a build of them, as the build script leaves one."""
    here.mkdir(exist_ok=True)
    (here / "__init__.py").write_text("")
    (here / "alpha.py").write_text("x = 1\n")
    (here / "beta.py").write_text("y = 2\n")
    native = here / "_native"
    native.mkdir()
    files = [f"alpha{SUFFIX}", f"beta{SUFFIX}"]
    for name in files:
        (native / name).write_bytes(b"")
    sources = {
        name: hashlib.sha256((here / name).read_bytes()).hexdigest()
        for name in ("alpha.py", "beta.py")
    }
    manifest = {"suffix": SUFFIX, "sources": sources, "files": files}
    (native / "manifest.json").write_text(json.dumps(manifest))


def test_a_build_runs_only_while_every_source_matches_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CASEJOURNEY_PURE_PYTHON", raising=False)
    assert native_build(tmp_path) == (
        False,
        "pure Python (not compiled; make install compiles it where it can)",
    )
    _fake_build(tmp_path)
    assert native_build(tmp_path) == (True, "compiled with mypyc")
    (tmp_path / "beta.py").write_text("y = 3\n")  # an edit after the build
    native, words = native_build(tmp_path)
    assert not native and "stale (beta.py changed" in words and "make install" in words
    (tmp_path / "beta.py").write_text("y = 2\n")
    (tmp_path / "gamma.py").write_text("z = 1\n")  # a module the build does not have
    native, words = native_build(tmp_path)
    assert not native and "gamma.py" in words
    (tmp_path / "gamma.py").unlink()
    (tmp_path / "_native" / f"alpha{SUFFIX}").unlink()
    assert native_build(tmp_path)[0] is False
    _fake_build(tmp_path / "again")  # editing __init__ (never compiled) does not matter
    (tmp_path / "again" / "__init__.py").write_text("# edited\n")
    assert native_build(tmp_path / "again")[0] is True
    monkeypatch.setenv("CASEJOURNEY_PURE_PYTHON", "1")
    assert native_build(tmp_path / "again") == (
        False,
        "pure Python (CASEJOURNEY_PURE_PYTHON is set)",
    )


def test_a_build_for_another_python_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CASEJOURNEY_PURE_PYTHON", raising=False)
    _fake_build(tmp_path)
    manifest = tmp_path / "_native" / "manifest.json"
    manifest.write_text(manifest.read_text().replace(SUFFIX, ".cpython-399-other.so"))
    native, words = native_build(tmp_path)
    assert not native and "another Python" in words


def _import_in(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import casejourney.engine as e, casejourney.engine.run as r;"
        "print(e.NATIVE, r.__file__.endswith('.py'))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(path), **env},
        capture_output=True,
        text=True,
        check=True,
    )


@compiled_only
def test_an_edited_engine_runs_its_sources_and_says_once_the_build_is_stale(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "casejourney"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = {"CASEJOURNEY_PURE_PYTHON": "", "_CASEJOURNEY_STALE_SAID": ""}
    fresh = _import_in(tmp_path, **env)
    assert fresh.stdout.split() == ["True", "False"] and fresh.stderr == ""
    work = copy / "engine" / "work.py"
    work.write_text(work.read_text() + "\n# an edit after the build\n")
    stale = _import_in(tmp_path, **env)
    assert stale.stdout.split() == ["False", "True"]  # the edited source is what runs
    assert stale.stderr.count("\n") == 1
    assert "stale (work.py changed" in stale.stderr and "make install" in stale.stderr


@compiled_only
def test_compiled_and_pure_engines_write_the_same_event_log() -> None:
    code = (
        "import casejourney, casejourney.engine as e;"
        "from casejourney.simulate import compile_scenario, run_replication;"
        "s, w = casejourney.load_scenario('liverpool-baseline');"
        "log, _ = run_replication(compile_scenario(w, s, horizon_days=91), 1);"
        "print(e.NATIVE, log.digest())"
    )
    pure = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "CASEJOURNEY_PURE_PYTHON": "1"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    scenario, workflow = casejourney.load_scenario("liverpool-baseline")
    log, _ = run_replication(compile_scenario(workflow, scenario, horizon_days=91), 1)
    assert pure.stdout.split() == ["False", log.digest()]


def test_the_engine_is_compiled_wherever_it_can_be() -> None:
    """Where a C compiler and mypyc are at hand, ``make install`` has compiled the engine."""
    if os.environ.get("CASEJOURNEY_PURE_PYTHON"):
        pytest.skip("CASEJOURNEY_PURE_PYTHON is set")
    lacking = _build_script().missing()
    if lacking is not None:
        pytest.skip(f"cannot compile here: {lacking}")
    assert engine.NATIVE, f"engine: {engine.BUILD}; run make install (or scripts/build_native.py)"
