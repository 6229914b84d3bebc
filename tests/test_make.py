"""The two commands of the README: `make demo` installs no browser; `make test` installs one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _commands(target: str) -> str:
    """What `make TARGET` would run (a dry run: nothing is installed)."""
    done = subprocess.run(
        ["make", "-n", "-C", str(ROOT), target, "VENV=.venv-dry-run"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_the_demo_installs_graphviz_and_no_browser() -> None:
    commands = _commands("demo")
    assert "install-system-deps.sh graphviz" in commands
    assert "chromium" not in commands


def test_the_tests_install_the_browser_the_browser_test_needs() -> None:
    assert "install-system-deps.sh graphviz chromium" in _commands("test")


def test_the_installer_refuses_a_program_it_does_not_know() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install-system-deps.sh"), "firefox"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown program 'firefox'" in done.stderr
