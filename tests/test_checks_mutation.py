"""The checker checks itself: inject one defect into a valid workflow and `check` must report exactly it.

Each mutation is applied to every shipped workflow and to generated ones; the test asserts that
the one new error has the expected code and points at the line of the injected item. A checker
that misses an injected defect (or reports it somewhere else) fails here.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import casejourney
import casejourney.api
from casejourney.api import Level
from tests import strategies

ROOT = Path(__file__).parent.parent
AUTHORITIES = sorted(p.stem for p in (ROOT / "workflows").glob("*.yaml"))

Mutation = Callable[[dict[str, Any], casejourney.api.Workflow], str | None]


def _phase_of_terminal(workflow: casejourney.api.Workflow) -> tuple[str, str]:
    terminal = next(s for s in workflow.states.values() if s.terminal)
    return terminal.id, terminal.phase


def unreachable_state(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str:
    terminal, phase = _phase_of_terminal(workflow)
    data.setdefault("states", []).append({"id": "orphan_state", "phase": phase, "label": "Orphan"})
    data.setdefault("transitions", []).append(
        {"trigger": "orphan_leaves", "source": "orphan_state", "dest": terminal}
    )
    return "orphan_state"


def trap_state(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str:
    _, phase = _phase_of_terminal(workflow)
    data.setdefault("states", []).append({"id": "stuck_state", "phase": phase, "label": "Stuck"})
    data.setdefault("transitions", []).extend(
        [
            {"trigger": "get_stuck", "source": workflow.initial_state, "dest": "stuck_state"},
            {"trigger": "stay_stuck", "source": "stuck_state", "dest": "stuck_state"},
        ]
    )
    return "stuck_state"


def contradicting_lead_time(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    deadline = next(
        (
            s
            for s in workflow.standards.values()
            if s.kind == "deadline" and not s.spec.from_.startswith("age:")
        ),  # type: ignore[union-attr]
        None,
    )
    if deadline is None:
        return None
    spec = deadline.spec
    data.setdefault("standards", []).append(
        {
            "id": "injected-lead-time",
            "kind": "lead_time",
            "title": "Injected: the later event at least much later",
            "from": spec.from_,  # type: ignore[union-attr]
            "to": spec.to,  # type: ignore[union-attr]
            "at_least": f"{spec.within.value + 5} {spec.within.unit.value}",  # type: ignore[union-attr]
            "source": dict(spec.source.model_dump()),
        }
    )
    return "injected-lead-time"


def looser_than_statute(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    if "extends" not in data:
        return None
    own = {s["id"] for s in data.get("standards", [])}
    parent = next(
        (
            s
            for s in workflow.standards.values()
            if s.inherited and s.kind == "deadline" and s.id not in own
        ),
        None,
    )
    if parent is None:
        return None
    raw = parent.spec.model_dump(by_alias=True, exclude_none=True)
    raw["within"] = f"{parent.spec.within.value * 2} {parent.spec.within.unit.value}"  # type: ignore[union-attr]
    raw["title"] = "Injected: twice the statutory time"
    raw["source"] = dict(raw["source"])
    raw.pop("then", None)
    data.setdefault("standards", []).append(raw)
    return parent.id


def dangling_reference(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str:
    data.setdefault("transitions", []).append(
        {"trigger": "into_nowhere", "source": workflow.initial_state, "dest": "nowhere_state"}
    )
    return "into_nowhere"


def _own_standard(data: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The first standard of ``kind`` the file itself writes (None if it has none)."""
    return next((s for s in data.get("standards", []) if s.get("kind") == kind), None)


def unreachable_step(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A recurring standard whose first ``then`` step is overtaken by the next one at once."""
    recurring = next(
        (s for s in workflow.standards.values() if s.kind == "recurring" and s.spec.per_child),
        None,
    )
    if recurring is None:
        return None
    data.setdefault("activities", []).append({"id": "injected_call", "label": "Injected call"})
    data.setdefault("standards", []).append(
        {
            "id": "injected-steps",
            "kind": "recurring",
            "title": "Injected: a step that a later-listed step always overtakes",
            "to": "injected_call",
            "while": list(recurring.spec.while_),  # type: ignore[union-attr]
            "every": "1 week",
            "then": [
                {"after": "1 year", "every": "2 weeks"},
                {"after": "6 months", "every": "4 weeks"},
            ],
            "source": dict(recurring.spec.source.model_dump(exclude_defaults=True)),
        }
    )
    return "injected-steps"


def step_on_unknown_event(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A step switched by an event that no activity names ("until the first home visit")."""
    recurring = next(
        (s for s in workflow.standards.values() if s.kind == "recurring" and s.spec.per_child),
        None,
    )
    if recurring is None:
        return None
    data.setdefault("activities", []).append({"id": "injected_call", "label": "Injected call"})
    data.setdefault("standards", []).append(
        {
            "id": "injected-event-step",
            "kind": "recurring",
            "title": "Injected: weekly until an event no activity names",
            "to": "injected_call",
            "while": list(recurring.spec.while_),  # type: ignore[union-attr]
            "every": "1 week",
            "then": [{"after_first": "first_home_visitt", "every": "4 weeks"}],
            "source": dict(recurring.spec.source.model_dump(exclude_defaults=True)),
        }
    )
    return "injected-event-step"


def step_with_two_switches(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A step that says both when (a time) and on what (an event) it switches."""
    standard = next((s for s in data.get("standards", []) if s.get("then")), None)
    if standard is None:
        return None
    step = dict(standard["then"][0])
    step.setdefault("after", "1 year")
    step.setdefault("after_first", standard["to"])
    standard["then"] = [step, *standard["then"][1:]]
    return str(standard["id"])


def _injected_steps(
    data: dict[str, Any], workflow: casejourney.api.Workflow, ident: str, then: list[dict[str, Any]]
) -> str | None:
    """A new recurring standard with ``then`` steps, in the scope of the first per-child one."""
    recurring = next(
        (s for s in workflow.standards.values() if s.kind == "recurring" and s.spec.per_child),
        None,
    )
    if recurring is None:
        return None
    data.setdefault("activities", []).append({"id": "injected_call", "label": "Injected call"})
    data.setdefault("standards", []).append(
        {
            "id": ident,
            "kind": "recurring",
            "title": "Injected: a stepped schedule",
            "to": "injected_call",
            "while": list(recurring.spec.while_),  # type: ignore[union-attr]
            "every": "1 week",
            "then": then,
            "source": dict(recurring.spec.source.model_dump(exclude_defaults=True)),
        }
    )
    return ident


def unreachable_time_and_event_step(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A step waiting for a year and an event, overtaken by a plain step at six months."""
    return _injected_steps(
        data,
        workflow,
        "injected-time-and-event",
        [
            {"after": "1 year", "and_after_first": "injected_call", "every": "2 weeks"},
            {"after": "6 months", "every": "4 weeks"},
        ],
    )


def time_and_event_step_on_unknown_event(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A step waiting for a year and an event that no activity names."""
    return _injected_steps(
        data,
        workflow,
        "injected-time-and-unknown-event",
        [{"after": "1 year", "and_after_first": "long_term_hom_agreed", "every": "3 months"}],
    )


def event_step_without_its_time(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """``and_after_first`` without the ``after`` it adds to."""
    return _injected_steps(
        data,
        workflow,
        "injected-and-without-after",
        [{"and_after_first": "injected_call", "every": "3 months"}],
    )


def zero_lead_in_working_days(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A lead time of zero in a unit other than days (zero is '0 days': the day itself)."""
    standard = _own_standard(data, "lead_time")
    if standard is None:
        return None
    standard["at_least"] = "0 working days"
    return str(standard["id"])


def zero_deadline(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A deadline of zero: only a lead time may be zero ("before it, the same day")."""
    standard = _own_standard(data, "deadline")
    if standard is None:
        return None
    standard["within"] = "0 days"
    return str(standard["id"])


def _own_deadline_to_an_activity(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> dict[str, Any] | None:
    return next(
        (
            s
            for s in data.get("standards", [])
            if s.get("kind") == "deadline" and s.get("to") in workflow.activities
        ),
        None,
    )


def extension_by_unknown_event(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A deadline lengthened by an event no activity names."""
    standard = _own_standard(data, "deadline")
    if standard is None:
        return None
    standard["extension"] = {"event": "approval_extendd", "by": "8 weeks"}
    return str(standard["id"])


def extension_by_its_own_to(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A deadline 'extended' by the event that meets it: an extension that can never apply."""
    standard = _own_deadline_to_an_activity(data, workflow)
    if standard is None:
        return None
    standard["extension"] = {"event": standard["to"], "by": "8 weeks"}
    return str(standard["id"])


def zeroth_occurrence(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A deadline met by the 0th `to` after `from`: an occurrence that can never come."""
    standard = _own_standard(data, "deadline")
    if standard is None:
        return None
    standard["nth"] = 0
    return str(standard["id"])


def ends_on_unknown_event(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A deadline ended by an event no activity names."""
    standard = _own_standard(data, "deadline")
    if standard is None:
        return None
    standard["ends_on"] = "placement_mvoe"
    return str(standard["id"])


def ends_on_its_own_to(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A deadline 'ended' by the event that meets it: it could never be missed."""
    standard = _own_deadline_to_an_activity(data, workflow)
    if standard is None:
        return None
    standard["ends_on"] = standard["to"]
    return str(standard["id"])


def total_in_unknown_scope(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A clock started by a total time in a state no workflow declares."""
    standard = _own_standard(data, "deadline")
    if standard is None:
        return None
    standard["after_total"] = {"in": "looked_aftre", "of": "13 weeks"}
    return str(standard["id"])


def total_since_unknown_event(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A total time counted since an event nothing declares."""
    standard = _own_standard(data, "deadline")
    if standard is None:
        return None
    state = next(iter(workflow.states))
    standard["with_total"] = {"in": state, "of": "13 weeks", "since": "refferal"}
    return str(standard["id"])


def late_entry_without_scope(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A deadline owed on entering its scope late, with no scope to enter."""
    standard = _own_standard(data, "deadline")
    if standard is None:
        return None
    standard.pop("while", None)
    standard["late_entry"] = True
    return str(standard["id"])


def pause_on_unknown_event(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A recurring schedule paused by an event no activity names."""
    standard = _own_standard(data, "recurring")
    if standard is None:
        return None
    standard["pause"] = {"event": "long_term_home_agred", "in": standard["while"]}
    return str(standard["id"])


def pause_until_unknown_event(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A pause ended by an event no activity names (a misspelt placement move)."""
    standard = _own_standard(data, "recurring")
    if standard is None or not workflow.activities:
        return None
    event = next(iter(workflow.activities))
    standard["pause"] = {
        "event": event,
        "after": "1 year",
        "until": "placement_mvoe",
        "in": standard["while"],
    }
    return str(standard["id"])


def pause_until_its_own_event(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A pause ended by the very event that starts it."""
    standard = _own_standard(data, "recurring")
    if standard is None or not workflow.activities:
        return None
    event = next(iter(workflow.activities))
    standard["pause"] = {"event": event, "until": event, "in": standard["while"]}
    return str(standard["id"])


def step_since_unknown_event(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A step counted since an event no activity names (a misspelt placement move)."""
    return _injected_steps(
        data,
        workflow,
        "injected-step-since",
        [{"after_first": "injected_call", "since": "placement_mvoe", "every": "3 months"}],
    )


def step_since_its_own_event(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A step counted since the very event that switches it: it could never switch."""
    return _injected_steps(
        data,
        workflow,
        "injected-step-since-itself",
        [{"after_first": "injected_call", "since": "injected_call", "every": "3 months"}],
    )


def total_in_months(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A total time in months: no fixed number of days to add up to."""
    standard = _own_standard(data, "deadline")
    if standard is None:
        return None
    state = next(iter(workflow.states))
    standard["after_total"] = {"in": state, "of": "3 months"}
    return str(standard["id"])


def empty_window(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A standard in force from a date until an earlier one: no due date fits."""
    standard = _own_standard(data, "deadline") or _own_standard(data, "recurring")
    if standard is None:
        return None
    standard["effective"] = {"from": "2025-09-01", "until": "2024-09-01"}
    return str(standard["id"])


def unsatisfiable_applies_to(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """An age band no child fits: at least 16 and under 5."""
    standard = next(
        (
            s
            for s in data.get("standards", [])
            if s.get("kind") in {"recurring", "deadline"} and s.get("per", "child") == "child"
        ),
        None,
    )
    if standard is None:
        return None
    standard["applies_to"] = {"age_from": 16, "age_under": 5}
    return str(standard["id"])


def deviation_without_acknowledgement(
    data: dict[str, Any], workflow: casejourney.api.Workflow
) -> str | None:
    """A local standard that refines a statutory deadline with twice its time, and says nothing."""
    if "extends" not in data:
        return None
    parent = next(
        (
            s
            for s in workflow.standards.values()
            if s.inherited and s.kind == "deadline" and s.authority == data["extends"]
        ),
        None,
    )
    if parent is None:
        return None
    raw = parent.spec.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    raw.update(
        {
            "id": "injected-deviation",
            "kind": "deadline",
            "refines": parent.id,
            "title": "Injected: twice the statutory time, unacknowledged",
            "within": f"{parent.spec.within.value * 2} {parent.spec.within.unit.value}",  # type: ignore[union-attr]
            "source": dict(parent.spec.source.model_dump(exclude_defaults=True)),
        }
    )
    data.setdefault("standards", []).append(raw)
    return "injected-deviation"


def unknown_unit(data: dict[str, Any], workflow: casejourney.api.Workflow) -> str | None:
    """A recurring standard counted in a unit the format does not know ("every semester")."""
    standard = _own_standard(data, "recurring")
    if standard is None:
        return None
    standard["every"] = "1 semester"
    return str(standard["id"])


MUTATIONS: list[tuple[Mutation, str]] = [
    (unreachable_state, "unreachable-state"),
    (trap_state, "trap"),
    (contradicting_lead_time, "contradictory-timescales"),
    (looser_than_statute, "looser-than-statute"),
    (dangling_reference, "unknown-reference"),
    (unreachable_step, "unreachable-step"),
    (step_on_unknown_event, "unknown-reference"),
    (step_with_two_switches, "invalid-value"),
    (unreachable_time_and_event_step, "unreachable-step"),
    (time_and_event_step_on_unknown_event, "unknown-reference"),
    (event_step_without_its_time, "invalid-value"),
    (empty_window, "invalid-value"),
    (unsatisfiable_applies_to, "invalid-value"),
    (deviation_without_acknowledgement, "looser-than-statute"),
    (unknown_unit, "bad-duration"),
    (zero_lead_in_working_days, "bad-duration"),
    (zero_deadline, "bad-duration"),
    (extension_by_unknown_event, "unknown-reference"),
    (extension_by_its_own_to, "invalid-value"),
    (ends_on_unknown_event, "unknown-reference"),
    (ends_on_its_own_to, "invalid-value"),
    (zeroth_occurrence, "invalid-value"),
    (total_in_unknown_scope, "unknown-reference"),
    (total_in_months, "invalid-value"),
    (total_since_unknown_event, "unknown-reference"),
    (late_entry_without_scope, "invalid-value"),
    (pause_on_unknown_event, "unknown-reference"),
    (pause_until_unknown_event, "unknown-reference"),
    (pause_until_its_own_event, "invalid-value"),
    (step_since_unknown_event, "unknown-reference"),
    (step_since_its_own_event, "invalid-value"),
]
#: Where a mutation's finding is reported: the injected standard's line (default), or one of its
#: keys: a schema error at the key that is wrong, an unreachable step at its ``then``.
REPORTED_AT = {
    "unreachable_step": "then",
    "step_on_unknown_event": "then",
    "step_with_two_switches": "then",
    "unreachable_time_and_event_step": "then",
    "time_and_event_step_on_unknown_event": "then",
    "event_step_without_its_time": "then",
    "empty_window": "effective",
    "unsatisfiable_applies_to": "applies_to",
    "unknown_unit": "every",
    "zero_lead_in_working_days": "at_least",
    "zero_deadline": "within",
    "extension_by_unknown_event": "extension",
    "ends_on_unknown_event": "ends_on",
    "zeroth_occurrence": "nth",
    "total_in_unknown_scope": "after_total",
    "total_in_months": "after_total",
    "total_since_unknown_event": "with_total",
    "pause_on_unknown_event": "pause",
    "pause_until_unknown_event": "pause",
    "pause_until_its_own_event": "pause",
    "step_since_unknown_event": "then",
    "step_since_its_own_event": "then",
}
#: Lines below that key: a step with two switches is reported at the step itself, the first item
#: under ``then:``.
BELOW = {
    "step_with_two_switches": 1,
    "event_step_without_its_time": 1,
    "step_since_its_own_event": 1,
}


def _line_of(text: str, marker: str, key: str | None = None) -> int:
    """The line of the list item (``- ...``) that introduces ``marker``, the injected item's id.

    With ``key``, the line of that key inside the item instead.
    """
    lines = text.splitlines()
    hits = [
        i for i, line in enumerate(lines) if re.search(rf"(id|trigger): {re.escape(marker)}$", line)
    ]
    index = hits[-1]
    while not lines[index].lstrip().startswith("- "):
        index -= 1
    if key is None:
        return index + 1
    indent = len(lines[index]) - len(lines[index].lstrip()) + 2
    for number in range(index, len(lines)):
        line = lines[number]
        if number > index and len(line) - len(line.lstrip()) < indent:
            break
        if line[indent:].startswith(f"{key}:") or line.lstrip("- ").startswith(f"{key}:"):
            return number + 1
    raise AssertionError(f"{key} not found in the item for {marker}")


def _errors(path: Path) -> set[tuple[str, int]]:
    return {(f.code, f.line) for f in casejourney.check_paths([path]) if f.level is Level.ERROR}


def _mutate_and_check(folder: Path, data: dict[str, Any], mutation: Mutation, code: str) -> None:
    name = data["id"]
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert _errors(path) == set(), "the unmutated file must check clean"
    workflow = casejourney.load_workflow(str(path))
    marker = mutation(data, workflow)
    if marker is None:
        pytest.skip(f"{mutation.__name__} does not apply to {name}")
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    line = _line_of(text, marker, REPORTED_AT.get(mutation.__name__))
    line += BELOW.get(mutation.__name__, 0)
    assert _errors(path) == {(code, line)}, f"{mutation.__name__}: expected {code} at line {line}"


@pytest.mark.parametrize(("mutation", "code"), MUTATIONS, ids=[m.__name__ for m, _ in MUTATIONS])
@pytest.mark.parametrize("authority", AUTHORITIES)
def test_checker_reports_each_injected_defect_in_shipped_workflows(
    tmp_path: Path, authority: str, mutation: Mutation, code: str
) -> None:
    for other in (ROOT / "workflows").glob("*.yaml"):
        shutil.copy(other, tmp_path / other.name)
    data = yaml.safe_load((ROOT / "workflows" / f"{authority}.yaml").read_text(encoding="utf-8"))
    _mutate_and_check(tmp_path, data, mutation, code)


@pytest.mark.parametrize(("mutation", "code"), MUTATIONS, ids=[m.__name__ for m, _ in MUTATIONS])
@settings(max_examples=25)
@given(data=strategies.workflow_data(), child=st.booleans())
def test_checker_reports_each_injected_defect_in_generated_workflows(
    tmp_path_factory: pytest.TempPathFactory,
    mutation: Mutation,
    code: str,
    data: dict[str, Any],
    child: bool,
) -> None:
    folder = tmp_path_factory.mktemp("mutated")
    if child:
        # An authority extending the generated root: the looser-than-statute mutation applies.
        (folder / "generated.yaml").write_text(
            yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
        )
        data = {
            "id": "local",
            "title": "A local authority",
            "extends": "generated",
            "documents": [{"id": "local-doc", "title": "Local standards"}],
            "standards": [
                {
                    "id": "local-visits",
                    "kind": "recurring",
                    "title": "Local visits",
                    "to": data["activities"][0]["id"],
                    "while": data["states"][0]["id"],
                    "every": "2 weeks",
                    "source": {"document": "local-doc", "section": "1", "quote": "Visits."},
                }
            ],
        }
    if mutation is looser_than_statute and not child:
        return
    if mutation is contradicting_lead_time and not any(
        s["kind"] == "deadline" and not str(s["from"]).startswith("age:")
        for s in (yaml.safe_load((folder / "generated.yaml").read_text()) if child else data)[
            "standards"
        ]
    ):
        return
    try:
        _mutate_and_check(folder, data, mutation, code)
    except pytest.skip.Exception:
        return
