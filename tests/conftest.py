"""Shared fixtures and Hypothesis profiles: `dev` locally, `ci` (derandomised) when CI is set."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

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


def yaml_as_json(path: Path) -> Any:
    """A YAML file as an editor's YAML extension sees it for JSON Schema: dates are strings."""
    from casejourney.spec.yamlsafe import read_yaml

    doc, findings = read_yaml(path)
    assert doc is not None, findings

    def plain(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(doc.data)


def schema_validator(schema_file: Path) -> Any:
    """A committed schema file's validator, in draft-07 as editors read it (skips without jsonschema).

    Draft-07 is what Red Hat's YAML language server implements: a keyword of a later draft would
    be ignored here as it is in the editor, so a check it carries would fail its test.
    """
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    cls = jsonschema.Draft7Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def refused_scenario(folder: Path, name: str, old: str, new: str) -> list[Any]:
    """The findings that refuse shipped scenario ``name`` once ``old`` is replaced by ``new``.

    The edited file and national-baseline (which every scenario extends) are written to ``folder``.
    """
    import casejourney

    shipped = ROOT / "scenarios"
    text = (shipped / f"{name}.yaml").read_text(encoding="utf-8")
    assert old in text, f"{name}.yaml no longer contains {old!r}"
    (folder / "national-baseline.yaml").write_text(
        (shipped / "national-baseline.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (folder / f"{name}.yaml").write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(casejourney.SpecError) as caught:
        casejourney.load_scenario(str(folder / f"{name}.yaml"))
    return list(caught.value.findings)
