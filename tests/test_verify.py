"""`casejourney check --deep`: the property checks, run from the command line on a user's file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import casejourney
from casejourney.cli import main
from casejourney.verify import deep_findings

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("authority", sorted(p.stem for p in (ROOT / "workflows").glob("*.yaml")))
def test_shipped_workflows_pass_the_deep_checks(authority: str) -> None:
    workflow = casejourney.load_workflow(authority)
    assert [f.render() for f in deep_findings(workflow, journeys=150)] == []


def test_deep_check_prints_a_dated_counter_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(ROOT / "workflows" / "national.yaml", tmp_path / "national.yaml")
    (tmp_path / "loose.yaml").write_text(
        """id: loose
title: A loose authority
extends: national
documents: [{id: doc, title: Loose standards}]
standards:
  - id: icpc-timing
    kind: deadline
    title: ICPC within three weeks
    from: strategy_discussion
    to: icpc
    within: 3 weeks
    while: [strategy_discussion, s47_enquiry]
    source: {document: doc, section: "2.1", quote: "within three weeks"}
""",
        encoding="utf-8",
    )
    assert main(["check", "--deep", str(tmp_path / "loose.yaml")]) == 1
    text = capsys.readouterr().out
    assert "counter-example: from Sat 08 Jan 2000 it falls due Sat 29 Jan 2000" in text
    assert "national requires Fri 28 Jan 2000" in text
    assert 'Loose standards, 2.1: "within three weeks"' in text
