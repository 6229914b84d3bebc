"""Compile the engine with mypyc for a faster run (``make install`` runs this; pure Python otherwise).

Run: python scripts/build_native.py          (compile, unless the build is already up to date)
     python scripts/build_native.py --clean  (remove the build: pure Python again)
     python scripts/build_native.py --require (as the first, but fail if it cannot compile)

The compiled modules go to ``src/casejourney/engine/_native/``, never beside the sources, with a
manifest of the sources' SHA-256 they were built from. ``casejourney.engine`` imports them only
while every engine source still matches the manifest; after an edit it says once that the build is
stale and runs the pure Python sources (``make install`` builds again). The same seed gives the same
event log either way (``EventLog.digest()``). Needs mypy (the dev extra, which brings mypyc),
setuptools and a C compiler with Python's headers; without them the engine stays pure Python and
this says why in one line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
ENGINE = SRC / "casejourney" / "engine"
NATIVE = ENGINE / "_native"
MANIFEST = "manifest.json"
GROUP = "casejourney.engine._native.engine"  # mypyc's shared library: _native/engine__mypyc.*
SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"

# Run in a child process with cwd=src: build the extensions into argv[1] (C files in argv[2]).
_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify
out, work, modules = sys.argv[1], sys.argv[2], sys.argv[3:]
setup(
    name="casejourney-engine-native",
    ext_modules=mypycify(modules, opt_level="3", target_dir=work + "/c", group_name={group!r}),
    script_args=["build_ext", "--build-lib", out, "--build-temp", work + "/o", "--quiet"],
)
"""


def sources() -> dict[str, str]:
    """The engine's compiled sources (every module but ``__init__``): name -> SHA-256."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(ENGINE.glob("*.py"))
        if path.name != "__init__.py"
    }


def up_to_date() -> bool:
    """Whether the build in ``_native`` was made from the sources as they are, for this Python."""
    try:
        manifest = json.loads((NATIVE / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return (
        manifest.get("suffix") == SUFFIX
        and manifest.get("sources") == sources()
        and all((NATIVE / name).is_file() for name in manifest.get("files", ()))
    )


def missing() -> str | None:
    """What compiling needs and this machine lacks (None: nothing)."""
    for module in ("mypyc", "setuptools"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[dev]' brings it)"
    compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
    if not compiler or shutil.which(compiler[0]) is None:
        return f"no C compiler ({compiler[0] if compiler else 'cc'} not found)"
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.is_file():
        return f"no Python headers ({headers} not found; e.g. apt-get install python3-dev)"
    return None


def clean() -> None:
    """Remove the build (and any compiled module left beside the sources by older builds)."""
    shutil.rmtree(NATIVE, ignore_errors=True)
    for path in [*ENGINE.glob("*.so"), *ENGINE.glob("*.pyd"), *SRC.glob("*__mypyc*")]:
        path.unlink()


def build() -> str | None:
    """Compile the engine into ``_native``; returns why it could not (None: built)."""
    before = sources()
    modules = [f"casejourney/engine/{name}" for name in before]
    with tempfile.TemporaryDirectory(prefix="casejourney-native-") as work:
        out = Path(work) / "out"
        done = subprocess.run(
            [sys.executable, "-c", _SETUP.format(group=GROUP), str(out), work, *modules],
            cwd=SRC,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
            print("\n".join(tail), file=sys.stderr)
            return "mypyc failed (its last lines are above)"
        if sources() != before:
            return "the engine's sources changed while compiling: run it again"
        built = sorted((out / "casejourney" / "engine").rglob(f"*{SUFFIX}"))
        staging = ENGINE / "_native.new"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for path in built:
            shutil.copy2(path, staging / path.name)
        manifest = {"suffix": SUFFIX, "sources": before, "files": [p.name for p in built]}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        old = ENGINE / "_native.old"
        shutil.rmtree(old, ignore_errors=True)
        if NATIVE.exists():
            NATIVE.rename(old)
        staging.rename(NATIVE)
        shutil.rmtree(old, ignore_errors=True)
    return None


def main(argv: list[str]) -> int:
    """Build (or clean) as asked; a build that cannot be made leaves pure Python, in one line."""
    if "--clean" in argv:
        clean()
        print("engine: pure Python (the compiled build is removed)")
        return 0
    if up_to_date():
        print("engine: compiled with mypyc (up to date)")
        return 0
    if os.environ.get("CASEJOURNEY_PURE_PYTHON"):
        clean()
        print("engine: pure Python (CASEJOURNEY_PURE_PYTHON is set)")
        return 0
    clean()
    why = missing() or build()
    if why is None:
        print(
            f"engine: compiled with mypyc ({len(sources())} modules, in {NATIVE.relative_to(ROOT)})"
        )
        return 0
    print(f"engine: pure Python, not compiled: {why}")
    return 1 if "--require" in argv else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
