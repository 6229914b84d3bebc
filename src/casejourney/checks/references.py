"""Checks that every name a workflow uses is declared: states, phases, events, documents."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from casejourney.spec.findings import Finding, Level, Location
from casejourney.spec.models import (
    DeadlineSpec,
    LeadTimeSpec,
    MaxDurationSpec,
    RecurringSpec,
    is_age_event,
)
from casejourney.spec.resolve import Standard, Workflow, iter_events


def _near(name: str, known: list[str]) -> str:
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean '{near[0]}'?" if near else ""


def _unknown(location: Location, message: str) -> Finding:
    return location.finding(Level.ERROR, "unknown-reference", message)


def _unknown_document(workflow: Workflow, location: Location, document: str) -> Finding:
    hint = _near(document, list(workflow.documents))
    return _unknown(
        location, f"source cites unknown document '{document}'{hint}; declare it under documents"
    )


def unknown_references(workflow: Workflow) -> Iterator[Finding]:
    """``unknown-reference``: a state, phase, event, activity or document that is not declared."""
    yield from _state_references(workflow)
    yield from _transition_references(workflow)
    for standard in workflow.standards.values():
        if not standard.inherited:
            yield from _standard_references(workflow, standard)


def _state_references(workflow: Workflow) -> Iterator[Finding]:
    for state in workflow.states.values():
        if state.phase and state.phase not in workflow.phases:
            hint = _near(state.phase, list(workflow.phases))
            yield _unknown(
                state.location, f"state '{state.id}': unknown phase '{state.phase}'{hint}"
            )
        for note in state.notes:
            if note.source and note.source.document not in workflow.documents:
                yield _unknown_document(workflow, state.location, note.source.document)


def _transition_references(workflow: Workflow) -> Iterator[Finding]:
    states = list(workflow.states)
    for transition in workflow.transitions:
        t = transition.spec
        for role, name in (("source", t.source), ("dest", t.dest)):
            if name not in workflow.states:
                yield _unknown(
                    transition.location,
                    f"transition '{t.trigger}': unknown {role} state '{name}'{_near(name, states)}",
                )


def _standard_references(workflow: Workflow, standard: Standard) -> Iterator[Finding]:
    spec = standard.spec
    if spec.source.document not in workflow.documents:
        yield _unknown_document(workflow, standard.at("source"), spec.source.document)
    events = list(iter_events(workflow))
    refs: list[tuple[str, str, str, list[str]]] = []
    if isinstance(spec, DeadlineSpec | LeadTimeSpec):
        refs += [("from", spec.from_, "event", events), ("to", spec.to, "event", events)]
    if isinstance(spec, DeadlineSpec):
        refs += _deadline_references(workflow, spec, events)
    if isinstance(spec, RecurringSpec):
        refs.append(("to", spec.to, "activity", list(workflow.activities)))
        if spec.restart_on is not None:
            refs.append(("restart_on", spec.restart_on, "activity", list(workflow.activities)))
        refs += [
            ("then", event, "activity", list(workflow.activities))
            for step in spec.then
            for event in step.events
        ]
        refs += [
            ("then", step.since, "activity", list(workflow.activities))
            for step in spec.then
            if step.since is not None
        ]
        if spec.pause is not None:
            refs.append(("pause", spec.pause.event, "activity", list(workflow.activities)))
            if spec.pause.until is not None:
                refs.append(("pause", spec.pause.until, "activity", list(workflow.activities)))
            scopes = [*workflow.states, *workflow.phases]
            refs += [("pause", item, "state or phase", scopes) for item in spec.pause.in_]
    if isinstance(spec, DeadlineSpec | RecurringSpec | MaxDurationSpec) and spec.while_:
        scopes = [*workflow.states, *workflow.phases]
        refs += [("while", item, "state or phase", scopes) for item in spec.while_]
    for role, name, what, known in refs:
        if name in known or (what == "event" and is_age_event(name)):
            continue
        yield _unknown(
            standard.at(role),
            f"standard '{spec.id}': {role} names unknown {what} '{name}'{_near(name, known)}",
        )
    if spec.refines is not None and spec.refines not in workflow.standards:
        yield _unknown(
            standard.at("refines"),
            f"standard '{spec.id}' refines unknown standard '{spec.refines}'",
        )
    if spec.supersedes is not None:
        yield from _supersedes(workflow, standard)


def _deadline_references(
    workflow: Workflow, spec: DeadlineSpec, events: list[str]
) -> list[tuple[str, str, str, list[str]]]:
    """(key, name, what it must be, the names known) for a deadline's own keys."""
    activities = list(workflow.activities)
    refs = [
        (key, name, "activity", activities)
        for key, name in (
            ("before_first", spec.before_first),
            ("extension", spec.extension.event if spec.extension else None),
            ("ends_on", spec.ends_on),
        )
        if name is not None
    ]
    scopes = [*workflow.states, *workflow.phases]
    for key, total in (("with_total", spec.with_total), ("after_total", spec.after_total)):
        if total is not None:
            refs += [(key, item, "state or phase", scopes) for item in total.in_]
            if total.since is not None:
                refs.append((key, total.since, "event", events))
    return refs


def _supersedes(workflow: Workflow, standard: Standard) -> Iterator[Finding]:
    """A standard that supersedes another must be a deadline with the same ``from`` and ``to``."""
    spec = standard.spec
    other = workflow.standards.get(spec.supersedes or "")
    if other is None:
        yield _unknown(
            standard.at("supersedes"),
            f"standard '{spec.id}' supersedes unknown standard '{spec.supersedes}'"
            f"{_near(spec.supersedes or '', list(workflow.standards))}",
        )
        return
    theirs = other.spec
    if (
        not isinstance(spec, DeadlineSpec)
        or not isinstance(theirs, DeadlineSpec)
        or (spec.from_, spec.to) != (theirs.from_, theirs.to)
    ):
        yield standard.at("supersedes").finding(
            Level.ERROR,
            "bad-supersedes",
            f"standard '{spec.id}' supersedes '{other.id}', but only a deadline can supersede "
            "another deadline with the same from and to (an occurrence of one opens where the "
            "other's does); give both the same from and to, or remove supersedes",
        )


def secondary_quotes(workflow: Workflow) -> Iterator[Finding]:
    """``secondary-quote``: a standard quoted from a secondary source (its primary text not found)."""
    for standard in workflow.standards.values():
        source = standard.spec.source
        if standard.inherited or source.quote_kind != "secondary":
            continue
        yield standard.at("source").finding(
            Level.NOTE,
            "secondary-quote",
            f"standard '{standard.id}' is quoted from a secondary source, not the primary text "
            f"of {workflow.document_title(source.document)}: {source.secondary_source}",
            (standard.citation,),
        )


def unused_documents(workflow: Workflow) -> Iterator[Finding]:
    """``unused-document``: a document declared in this file that no source cites."""
    own = workflow.files[workflow.id].documents
    cited = {s.spec.source.document for s in workflow.standards.values()}
    cited |= {n.source.document for st in workflow.states.values() for n in st.notes if n.source}
    for document in own:
        if document.id not in cited:
            yield workflow.locations[("document", document.id)].finding(
                Level.WARNING,
                "unused-document",
                f"document '{document.id}' is not cited by any source; cite it or remove it",
            )
