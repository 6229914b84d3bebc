"""Shared fixtures and Hypothesis profiles: `dev` locally, `ci` (derandomised) when CI is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
STANDARDS = ROOT.parent / "shared" / "standards"
#: Small workflow files, one per kind of mistake, beside a tiny valid root (`tiny.yaml`).
INVALID = ROOT / "tests" / "data" / "invalid"


@pytest.fixture(autouse=True)
def _run_in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the repository's workflows whatever folder pytest was started from."""
    monkeypatch.chdir(ROOT)
