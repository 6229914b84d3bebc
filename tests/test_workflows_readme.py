"""The worked example in workflows/README.md works as written."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import casejourney
from casejourney.api import Level

README = Path(__file__).parent.parent / "workflows" / "README.md"


def test_worked_example_checks_clean_and_tightens_the_icpc(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    header, activities, standards = (re.sub(r"(?m)^   ", "", b) for b in blocks[:3])
    (tmp_path / "anyshire.yaml").write_text(header + activities + standards, encoding="utf-8")
    shutil.copy(README.parent / "national.yaml", tmp_path / "national.yaml")
    findings = casejourney.check_paths([tmp_path / "anyshire.yaml"])
    assert [f for f in findings if f.level is Level.ERROR] == []
    answer = casejourney.due_date(
        dt.date(2026, 12, 18), standard="icpc-timing", authority="anyshire", directory=tmp_path
    )
    national = casejourney.due_date(
        dt.date(2026, 12, 18), standard="icpc-timing", directory=tmp_path
    )
    assert answer.due == dt.date(2027, 1, 8)
    assert national.due == dt.date(2027, 1, 13)
