"""Inheritance: a workflow file plus the files it extends → one resolved, frozen ``Workflow``.

Consumes ``WorkflowFileSpec`` per file; produces ``Workflow`` (every state, transition and standard
in force, each with the file and line it came from) and findings about the merge itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casejourney.calendar import WorkingCalendar, default_calendar, load_terms
from casejourney.errors import TermDatesError
from casejourney.spec import workflows_dir
from casejourney.spec.extends import parent_file
from casejourney.spec.findings import Citation, Finding, Level, Location, display_path
from casejourney.spec.models import (
    ActivitySpec,
    DocumentSpec,
    NoteSpec,
    PhaseSpec,
    SourceSpec,
    StandardSpec,
    TransitionSpec,
    WorkflowFileSpec,
)
from casejourney.spec.validate import read_workflow_file
from casejourney.spec.yamlsafe import YamlDocument


@dataclass(frozen=True)
class State:
    """A resolved state: every field known."""

    id: str
    phase: str
    label: str
    initial: bool
    terminal: bool
    notes: tuple[NoteSpec, ...]
    location: Location


@dataclass(frozen=True)
class Standard:
    """A standard in force for a workflow, with where it came from."""

    spec: StandardSpec
    authority: str
    inherited: bool
    location: Location
    citation: Citation
    replaces: Standard | None = None
    field_lines: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The standard's id."""
        return self.spec.id

    @property
    def kind(self) -> str:
        """deadline, lead_time, recurring or max_duration."""
        return self.spec.kind

    def at(self, key: str) -> Location:
        """Where the standard's ``key`` (e.g. ``"to"``) is written, or the standard itself."""
        line = self.field_lines.get(key)
        return Location(self.location.file, line) if line else self.location


@dataclass(frozen=True)
class Transition:
    """A resolved transition with where it was declared."""

    spec: TransitionSpec
    location: Location


@dataclass(frozen=True)
class Workflow:
    """Every state, transition and standard in force for one authority, after inheritance."""

    id: str
    title: str
    path: Path
    chain: tuple[str, ...]
    documents: Mapping[str, DocumentSpec]
    closure_days: tuple[dt.date, ...]
    phases: Mapping[str, PhaseSpec]
    states: Mapping[str, State]
    activities: Mapping[str, ActivitySpec]
    transitions: tuple[Transition, ...]
    standards: Mapping[str, Standard]
    locations: Mapping[tuple[str, str], Location] = field(repr=False)
    files: Mapping[str, WorkflowFileSpec] = field(repr=False)
    #: the authority's own term-dates file (``calendar: {term_dates: ...}``); None: England's
    term_dates: Path | None = None

    @property
    def calendar(self) -> WorkingCalendar:
        """The working-day calendar with this authority's closure days and school terms."""
        return default_calendar(self.closure_days, self.term_dates)

    @property
    def initial_state(self) -> str:
        """The id of the one initial state."""
        return next(s.id for s in self.states.values() if s.initial)

    def triggers_from(self, state: str) -> dict[str, str]:
        """Legal triggers out of ``state`` and where each leads."""
        return {t.spec.trigger: t.spec.dest for t in self.transitions if t.spec.source == state}

    def phase_states(self, phase: str) -> tuple[str, ...]:
        """The states in ``phase``."""
        return tuple(s.id for s in self.states.values() if s.phase == phase)

    def expand_scope(self, scope: tuple[str, ...]) -> frozenset[str]:
        """States named by a ``while`` scope (state ids and phase ids)."""
        out: set[str] = set()
        for item in scope:
            out.update(self.phase_states(item) if item in self.phases else (item,))
        return frozenset(out)

    def document_title(self, document_id: str) -> str:
        """The title of a cited document (the id if unknown)."""
        doc = self.documents.get(document_id)
        return doc.title if doc else document_id


@dataclass
class _Loaded:
    spec: WorkflowFileSpec
    doc: YamlDocument


def _resolved(path: Path) -> Path:
    """``path`` with symlinks followed, or as it is if they loop (reading it then says so)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a symlink loop
        return path.absolute()


class WorkflowLoader:
    """Loads and resolves workflow files, caching each file once per loader."""

    def __init__(self) -> None:
        self._files: dict[Path, tuple[_Loaded | None, list[Finding]]] = {}

    def read(self, path: Path) -> tuple[_Loaded | None, list[Finding]]:
        """One file, validated, not yet merged."""
        path = _resolved(path)
        if path not in self._files:
            spec, doc, findings = read_workflow_file(path)
            if spec is not None and doc is not None and spec.id != path.stem:
                line = doc.line_of(("id",))
                findings.append(
                    Finding(
                        display_path(path),
                        line,
                        Level.ERROR,
                        "id-mismatch",
                        f"id '{spec.id}' must match the file name '{path.stem}'; "
                        f"rename the file or set id: {path.stem}",
                    )
                )
            loaded = _Loaded(spec, doc) if spec is not None and doc is not None else None
            self._files[path] = (loaded, findings)
        return self._files[path]

    def resolve(self, path: Path) -> tuple[Workflow | None, list[Finding]]:
        """The workflow at ``path`` with everything it extends; ``None`` if any file is invalid."""
        chain: list[tuple[Path, _Loaded]] = []
        findings: list[Finding] = []
        seen: list[Path] = []
        current: Path | None = _resolved(path)
        while current is not None:
            if current in seen:
                names = " → ".join(p.stem for p in [*seen, current])
                first = chain[0][1]
                loc = Location(chain[0][0], first.doc.line_of(("extends",)))
                findings.append(
                    loc.finding(
                        Level.ERROR, "extends-cycle", f"files extend each other in a loop: {names}"
                    )
                )
                return None, findings
            seen.append(current)
            loaded, problems = self.read(current)
            findings.extend(problems)
            if loaded is None:
                return None, findings
            chain.append((current, loaded))
            parent = loaded.spec.extends
            if parent is None:
                current = None
                continue
            candidate, problem = parent_file(current, parent, workflows_dir(), "workflow")
            if candidate is None:
                loc = Location(current, loaded.doc.line_of(("extends",)))
                findings.append(loc.finding(Level.ERROR, "extends-unknown", problem))
                return None, findings
            current = _resolved(candidate)
        if any(f.level is Level.ERROR for f in findings):
            return None, findings
        workflow, merge_findings = _merge(list(reversed(chain)))
        return workflow, findings + merge_findings


def _merge(chain: list[tuple[Path, _Loaded]]) -> tuple[Workflow, list[Finding]]:  # noqa: C901
    """Apply each file over its parent, root first."""
    findings: list[Finding] = []
    documents: dict[str, DocumentSpec] = {}
    closure: set[dt.date] = set()
    phases: dict[str, PhaseSpec] = {}
    states: dict[str, dict[str, Any]] = {}
    activities: dict[str, ActivitySpec] = {}
    transitions: dict[str, Transition] = {}
    standards: dict[str, Standard] = {}
    locations: dict[tuple[str, str], Location] = {}
    target = chain[-1][1].spec.id
    term_dates: tuple[Path, Location] | None = None

    for path, loaded in chain:
        spec, doc = loaded.spec, loaded.doc
        inherited = spec.id != target

        def loc(*key: str | int, _path: Path = path, _doc: YamlDocument = doc) -> Location:
            return Location(_path, _doc.line_of(key))

        def dup(kind: str, ident: str, where: Location) -> None:
            findings.append(
                where.finding(
                    Level.ERROR,
                    "duplicate-id",
                    f"{kind} '{ident}' is declared twice in this file; rename or remove one",
                )
            )

        local_ids: dict[str, set[str]] = {}

        def first_time(
            kind: str, ident: str, where: Location, _ids: dict[str, set[str]] = local_ids
        ) -> bool:
            bucket = _ids.setdefault(kind, set())
            if ident in bucket:
                dup(kind, ident, where)
                return False
            bucket.add(ident)
            return True

        for i, document in enumerate(spec.documents):
            if first_time("document", document.id, loc("documents", i)):
                documents[document.id] = document
                locations[("document", document.id)] = loc("documents", i)
        closure.update(spec.calendar.closure_days)
        if spec.calendar.term_dates is not None:
            term_dates = (path.parent / spec.calendar.term_dates, loc("calendar", "term_dates"))
        for i, phase in enumerate(spec.phases):
            if first_time("phase", phase.id, loc("phases", i)):
                phases[phase.id] = phase
                locations[("phase", phase.id)] = loc("phases", i)
        for i, state in enumerate(spec.states):
            where = loc("states", i)
            if not first_time("state", state.id, where):
                continue
            if state.id in states:  # an override: label and flags replace, notes add
                merged = states[state.id]
                for key in ("phase", "label"):
                    if getattr(state, key) is not None:
                        merged[key] = getattr(state, key)
                merged["notes"] = merged["notes"] + state.notes
                if "initial" in state.model_fields_set:
                    merged["initial"] = state.initial
                if "terminal" in state.model_fields_set:
                    merged["terminal"] = state.terminal
            else:
                states[state.id] = {
                    "id": state.id,
                    "phase": state.phase,
                    "label": state.label or state.id.replace("_", " ").capitalize(),
                    "initial": state.initial,
                    "terminal": state.terminal,
                    "notes": state.notes,
                    "location": where,
                }
                if state.phase is None:
                    findings.append(
                        where.finding(
                            Level.ERROR,
                            "missing-key",
                            f"new state '{state.id}' needs a phase (one of: {', '.join(phases)})",
                        )
                    )
                locations[("state", state.id)] = where
        for i, activity in enumerate(spec.activities):
            if first_time("activity", activity.id, loc("activities", i)):
                activities[activity.id] = activity
                locations[("activity", activity.id)] = loc("activities", i)
        for i, trigger in enumerate(spec.remove_transitions):
            if transitions.pop(trigger, None) is None:
                findings.append(
                    loc("remove_transitions", i).finding(
                        Level.ERROR,
                        "unknown-reference",
                        f"remove_transitions: no inherited transition '{trigger}'",
                    )
                )
        for i, transition in enumerate(spec.transitions):
            where = loc("transitions", i)
            if first_time("transition", transition.trigger, where):
                transitions[transition.trigger] = Transition(transition, where)
                locations[("transition", transition.trigger)] = where
        for i, ident in enumerate(spec.remove_standards):
            if standards.pop(ident, None) is None:
                findings.append(
                    loc("remove_standards", i).finding(
                        Level.ERROR,
                        "unknown-reference",
                        f"remove_standards: no inherited standard '{ident}'",
                    )
                )
        for i, standard in enumerate(spec.standards):
            where = loc("standards", i)
            if not first_time("standard", standard.id, where):
                continue
            replaced = standards.get(standard.id)
            if standard.refines is not None:
                replaced = standards.get(standard.refines, replaced)
            standards[standard.id] = Standard(
                spec=standard,
                authority=spec.id,
                inherited=inherited,
                location=where,
                citation=_citation(standard.source, documents),
                replaces=replaced,
                field_lines={
                    key: doc.line_of(("standards", i, key))
                    for key in (
                        "from",
                        "to",
                        "while",
                        "refines",
                        "supersedes",
                        "effective",
                        "applies_to",
                        "then",
                        "restart_on",
                        "pause",
                        "before_first",
                        "extension",
                        "ends_on",
                        "nth",
                        "conditional",
                        "or_before",
                        "late_entry",
                        "with_total",
                        "after_total",
                        "source",
                    )
                    if isinstance(doc.data["standards"][i], dict)
                    and key in doc.data["standards"][i]
                },
            )
            locations[("standard", standard.id)] = where

    final_path, final = chain[-1]
    kinds_of: dict[str, list[str]] = {}
    for kind, names in (("state", states), ("phase", phases), ("activity", activities)):
        for name in names:
            kinds_of.setdefault(name, []).append(kind)
    for name, kinds in kinds_of.items():
        if len(kinds) > 1:
            places = [locations[(kind, name)] for kind in kinds]
            where = next((p for p in places if p.file == final_path), places[-1])
            findings.append(
                where.finding(
                    Level.ERROR,
                    "duplicate-id",
                    f"'{name}' is both a {' and a '.join(kinds)}; states, phases and activities "
                    "share one namespace, so rename one",
                )
            )
    resolved_states: dict[str, State] = {
        ident: State(
            id=ident,
            phase=data["phase"] or "",
            label=data["label"],
            initial=data["initial"],
            terminal=data["terminal"],
            notes=data["notes"],
            location=data["location"],
        )
        for ident, data in states.items()
    }
    # Inherited standards are marked by the file that declared them.
    terms_path = _term_dates(term_dates, findings)
    workflow = Workflow(
        id=final.spec.id,
        title=final.spec.title,
        path=final_path,
        chain=tuple(loaded.spec.id for _, loaded in chain),
        documents=documents,
        closure_days=tuple(sorted(closure)),
        phases=phases,
        states=resolved_states,
        activities=activities,
        transitions=tuple(transitions.values()),
        standards=standards,
        locations=locations,
        files={loaded.spec.id: loaded.spec for _, loaded in chain},
        term_dates=terms_path,
    )
    return workflow, findings


def _term_dates(given: tuple[Path, Location] | None, findings: list[Finding]) -> Path | None:
    """The term-dates file a workflow names, read now so a mistake is reported before any work."""
    return checked_term_dates(given, findings)


def checked_term_dates(given: tuple[Path, Location] | None, findings: list[Finding]) -> Path | None:
    """A term-dates file (a workflow's or a scenario's), read now; a mistake is a finding.

    Returns the file's resolved path, or None (none given, or ``bad-term-dates`` appended).
    """
    if given is None:
        return None
    path, where = given
    if not path.is_file():
        findings.append(
            where.finding(
                Level.ERROR,
                "bad-term-dates",
                f"term_dates file {display_path(path)} does not exist (the path is relative to "
                "this file); give the authority's term-dates CSV, or remove the key to use "
                "England's shipped dates",
            )
        )
        return None
    try:
        load_terms(path.resolve())
    except TermDatesError as error:
        findings.append(
            Finding(
                display_path(Path(error.path)),
                max(error.line, 1),
                Level.ERROR,
                "bad-term-dates",
                error.detail,
            )
        )
        return None
    return path.resolve()


def _citation(source: SourceSpec, documents: Mapping[str, DocumentSpec]) -> Citation:
    doc = documents.get(source.document)
    title = doc.title if doc else source.document
    return Citation(title, source.section, source.quote)


def iter_events(workflow: Workflow) -> Iterator[str]:
    """Every event name a standard may refer to, except ``age:N``."""
    yield from workflow.states
    yield from (f"exit:{s}" for s in workflow.states)
    yield from workflow.phases
    yield from (f"exit:{p}" for p in workflow.phases)
    yield from workflow.activities
