"""Pathway diagrams, step one: a resolved ``Workflow`` → a small diagram model (frozen dataclasses).

Consumes ``Workflow`` specs; produces ``Diagram``: phases, state boxes, arrows, and every standard in
force placed where a trainer looks for it, each with its citation. Pure functions only; turning the
model into DOT is ``render_dot``, and DOT into SVG/PDF/PNG is ``render_image``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from casejourney.calendar import Duration, Unit
from casejourney.errors import CasejourneyError
from casejourney.spec.findings import Citation
from casejourney.spec.models import (
    DeadlineSpec,
    LeadTimeSpec,
    MaxDurationSpec,
    RecurringSpec,
    TransitionSpec,
    standard_duration_fields,
)
from casejourney.spec.resolve import Standard, Workflow

__all__ = [
    "Arrow",
    "Change",
    "Diagram",
    "DiagramError",
    "NoteItem",
    "PhaseBox",
    "StateBox",
    "TimescaleItem",
    "compare_model",
    "diagram_model",
    "select_phase",
    "timescale_labels",
    "timescale_line",
]


class DiagramError(CasejourneyError):
    """A diagram cannot be drawn as asked (unknown phase, no renderer for a format, ...)."""


class Change(StrEnum):
    """How an element of a comparison differs from the base workflow."""

    SAME = "same"
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class TimescaleItem:
    """One standard as drawn: a short line of text plus where it comes from.

    Attributes:
        standard: the standard's id.
        kind: deadline, lead_time, recurring or max_duration.
        text: the line shown on the diagram, e.g. "ICPC ≤ 15 working days of strategy discussion".
        title: the standard's own title.
        citations: the source (two in a comparison whose citation changed: base first).
        change: how it differs from the base workflow (comparisons only).
        scope: where a standard drawn in the panel applies, in words ("" elsewhere).
        applies_in: the states where a standard drawn in the panel applies (empty elsewhere).

    """

    standard: str
    kind: str
    text: str
    title: str
    citations: tuple[Citation, ...]
    change: Change = Change.SAME
    scope: str = ""
    applies_in: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NoteItem:
    """A practice expectation on a state (shown as a tooltip)."""

    text: str
    citation: Citation | None
    change: Change = Change.SAME


@dataclass(frozen=True)
class StateBox:
    """A state as drawn.

    Attributes:
        id: the state id (the DOT node name).
        label: what people call it; ``"Old → New"`` when a comparison relabels it.
        phase: the phase id it sits in.
        initial: the journey starts here.
        terminal: the journey ends here.
        notes: practice expectations, shown as a tooltip.
        timescales: standards drawn inside the box.
        change: how it differs from the base workflow (comparisons only).
        stub: a neighbouring state drawn greyed, outside the phase being drawn.

    """

    id: str
    label: str
    phase: str
    initial: bool
    terminal: bool
    notes: tuple[NoteItem, ...] = ()
    timescales: tuple[TimescaleItem, ...] = ()
    change: Change = Change.SAME
    stub: bool = False


@dataclass(frozen=True)
class Arrow:
    """A transition as drawn.

    Attributes:
        trigger: the transition's trigger (unique).
        source: the state it leaves.
        dest: the state it enters.
        label: its label (``"Old → New"`` when a comparison relabels it).
        timescales: standards shown on the arrow (a deadline met by taking it).
        governed_by: standards that apply to taking it but are drawn elsewhere (tooltip only).
        change: how it differs from the base workflow (comparisons only).
        stub: it crosses the boundary of the phase being drawn.

    """

    trigger: str
    source: str
    dest: str
    label: str
    timescales: tuple[TimescaleItem, ...] = ()
    governed_by: tuple[TimescaleItem, ...] = ()
    change: Change = Change.SAME
    stub: bool = False


@dataclass(frozen=True)
class PhaseBox:
    """A phase as drawn: a cluster of states, with the standards that apply to the whole phase."""

    id: str
    label: str
    index: int
    timescales: tuple[TimescaleItem, ...] = ()
    change: Change = Change.SAME


@dataclass(frozen=True)
class Diagram:
    """Everything one pathway diagram shows, in drawing order.

    Attributes:
        name: a file-name stem ("national", "national-vs-liverpool").
        title: the heading (the authority's title).
        documents: one line per cited document, with its date.
        phases: the phases, in the order the workflow lists them.
        states: the states, in the order the workflow lists them.
        arrows: the transitions.
        throughout: standards that apply across many phases (drawn in a panel).
        comparison: the base and the other authority's ids, when this is a comparison.
        focus: the phase drawn alone, if any.

    """

    name: str
    title: str
    documents: tuple[str, ...]
    phases: tuple[PhaseBox, ...]
    states: tuple[StateBox, ...]
    arrows: tuple[Arrow, ...]
    throughout: tuple[TimescaleItem, ...] = ()
    comparison: tuple[str, str] | None = None
    focus: str | None = None

    def state(self, ident: str) -> StateBox:
        """The state box with id ``ident``."""
        return next(s for s in self.states if s.id == ident)

    def timescales(self) -> tuple[TimescaleItem, ...]:
        """Every timescale item drawn anywhere (a standard may be drawn in more than one place)."""
        items: list[TimescaleItem] = list(self.throughout)
        for phase in self.phases:
            items.extend(phase.timescales)
        for state in self.states:
            items.extend(state.timescales)
        for arrow in self.arrows:
            items.extend(arrow.timescales)
        return tuple(items)


# --- placing a standard -------------------------------------------------------------------------

# A scope of more states than this is drawn once in the "throughout" panel, not on every state.
_MAX_STATES_FOR_SCOPE = 3


@dataclass(frozen=True)
class _Place:
    """Where a standard is drawn: on arrows, states, a phase, or in the panel."""

    arrows: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    phase: str | None = None
    # arrows whose tooltip names the standard although it is drawn elsewhere
    governs: tuple[str, ...] = ()

    @property
    def throughout(self) -> bool:
        return not (self.arrows or self.states or self.phase)


class _Placer:
    """Decides where a trainer expects to see each standard of one workflow."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.order = list(workflow.states)
        # An activity's "home": the states whose recurring standards say it happens there
        # (review conferences on a CP plan), so a standard anchored on it is drawn beside it.
        homes: dict[str, set[str]] = {}
        for standard in workflow.standards.values():
            if isinstance(standard.spec, RecurringSpec):
                homes.setdefault(standard.spec.to, set()).update(
                    workflow.expand_scope(standard.spec.while_)
                )
        self.homes = {activity: self._sorted(states) for activity, states in homes.items()}

    def _sorted(self, states: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(states, key=self.order.index))

    def place(self, standard: Standard) -> _Place:
        """Where ``standard`` is drawn."""
        spec = standard.spec
        if isinstance(spec, DeadlineSpec):
            return self._deadline(spec)
        if isinstance(spec, LeadTimeSpec):
            for event in (spec.to, spec.from_):
                found = self._at_event(event)
                if found is not None:
                    return found
            return _Place()
        assert isinstance(spec, RecurringSpec | MaxDurationSpec)
        return self._scope(spec.while_, each=True)

    def _deadline(self, spec: DeadlineSpec) -> _Place:
        workflow = self.workflow
        scope = workflow.expand_scope(spec.while_) if spec.while_ else None
        to = spec.to
        if to.startswith("exit:") and to[5:] in workflow.states:
            # "leave this state within ..." is drawn once, on the state, not on each way out
            left = to[5:]
            outs = tuple(t.spec.trigger for t in workflow.transitions if t.spec.source == left)
            return _Place(states=(left,), governs=outs)
        if to.startswith("exit:") and to[5:] in workflow.phases:
            return _Place(phase=to[5:])  # "leave this phase within ...": drawn on the phase
        if to in workflow.states or to in workflow.phases:
            targets = workflow.expand_scope((to,))
            into = [
                t.spec
                for t in workflow.transitions
                if t.spec.dest in targets and t.spec.source not in targets
            ]
            chosen = [
                t for t in into if scope is None or t.source in scope or t.source == spec.from_
            ] or into
            if chosen:
                return _Place(arrows=tuple(t.trigger for t in chosen))
            return _Place(phase=to) if to in workflow.phases else _Place(states=(to,))
        start = spec.from_.removeprefix("exit:")
        if start in workflow.states and (scope is None or start in scope):
            return _Place(states=(start,))
        if spec.while_:
            placed = self._scope(spec.while_, each=False)
            if not placed.throughout:
                return placed
        homes = self.homes.get(spec.from_, ())
        if 0 < len(homes) <= _MAX_STATES_FOR_SCOPE:
            return _Place(states=homes)
        return _Place()

    def _at_event(self, event: str) -> _Place | None:
        if event in self.workflow.states:
            return _Place(states=(event,))
        if event in self.workflow.phases:
            return _Place(phase=event)
        homes = self.homes.get(event, ())
        if 0 < len(homes) <= _MAX_STATES_FOR_SCOPE:
            return _Place(states=homes)
        return None

    def _scope(self, scope: tuple[str, ...], *, each: bool) -> _Place:
        """A ``while`` scope: its phase, its states (each, or the first), or the panel."""
        if len(scope) == 1 and scope[0] in self.workflow.phases:
            return _Place(phase=scope[0])
        states = self._sorted(self.workflow.expand_scope(scope))
        if 0 < len(states) <= _MAX_STATES_FOR_SCOPE:
            return _Place(states=states if each else states[:1])
        return _Place()


# --- wording ------------------------------------------------------------------------------------

_SPLIT = re.compile(
    r"\s(within|at least|at most|no later than|not beyond|no longer than|every|after|before)\s",
    re.IGNORECASE,
)

_SHORT_UNITS = {
    Unit.HOURS: "h",
    Unit.DAYS: "d",
    Unit.WORKING_DAYS: "wd",
    Unit.SCHOOL_DAYS: "sd",
    Unit.WEEKS: "wk",
    Unit.TERMS: "term",
    Unit.MONTHS: "mo",
    Unit.YEARS: "yr",
    Unit.SCHOOL_YEARS: "sch yr",
}


def short_duration(duration: Duration) -> str:
    """A compact duration for comparisons: ``15 wd``, ``6 wk``, ``3 mo``."""
    return f"{duration.value} {_SHORT_UNITS[duration.unit]}"


def _subject(title: str) -> str | None:
    """The part of a title before its timescale: "ICPC within 15 ..." → "ICPC"."""
    match = _SPLIT.search(title)
    if match is None or match.start() < 2:
        return None
    return title[: match.start()].rstrip(" ,;:")


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym ("ICPC")."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def event_label(workflow: Workflow, event: str) -> str:
    """An event in words: "strategy discussion", "end of referral", "16th birthday"."""
    if event.startswith("age:"):
        return f"{event[4:]}th birthday"
    if event.startswith("exit:"):
        return f"end of {event_label(workflow, event[5:])}"
    if event in workflow.states:
        return _lower_first(_bare(workflow.states[event].label))
    if event in workflow.phases:
        return _lower_first(workflow.phases[event].label)
    if event in workflow.activities:
        return _lower_first(workflow.activities[event].label)
    return event.replace("_", " ")


def _bare(label: str) -> str:
    """A label without a trailing aside: "Referral (front-door decision)" → "Referral"."""
    return re.sub(r"\s*\([^)]*\)$", "", label) or label


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def timescale_line(workflow: Workflow, standard: Standard, *, at: str | None = None) -> str:
    """One line for the diagram, e.g. "ICPC ≤ 15 working days of strategy discussion".

    Args:
        workflow: the workflow the standard belongs to (for event names).
        standard: the standard to word.
        at: the state the line is drawn on or leaves from; an anchor there is not repeated.

    """
    spec = standard.spec
    if isinstance(spec, RecurringSpec):
        text = f"{_capital(event_label(workflow, spec.to))} every {spec.every}"
        extras = [f"first ≤ {spec.first}"] if spec.first else []
        if spec.second:
            extras.append(f"second ≤ {spec.second}")
        extras += [
            f"every {step.every} after "
            + " and ".join(
                ([str(step.after)] if step.after is not None else [])
                + [f"the first {event_label(workflow, event)}" for event in step.events]
            )
            for step in spec.then
        ]
        return f"{text} ({'; '.join(extras)})" if extras else text
    subject = _subject(spec.title)
    if isinstance(spec, LeadTimeSpec):
        head = subject or _capital(event_label(workflow, spec.from_))
        if not spec.at_least.value:  # a lead time of zero: the same day at the latest
            return f"{head} before {event_label(workflow, spec.to)} (by its day)"
        return f"{head} ≥ {spec.at_least} before {event_label(workflow, spec.to)}"
    if isinstance(spec, MaxDurationSpec):
        head = subject or "Time in " + ", ".join(event_label(workflow, s) for s in spec.while_)
        return f"{head} ≤ {spec.within} in total"
    head = subject or _capital(event_label(workflow, spec.to))
    anchor = "" if spec.from_ == at else f" of {event_label(workflow, spec.from_)}"
    when = " (when needed)" if spec.conditional else ""  # applies only to cases that go on to it
    if spec.extension is not None:
        when += f" (+{spec.extension.by} if {event_label(workflow, spec.extension.event)})"
    if spec.nth > 1:
        when += f" (occurrence {spec.nth})"
    return f"{head} ≤ {spec.within}{anchor}{when}"


def timescale_labels(workflow: Workflow) -> dict[str, str]:
    """Every standard's :func:`timescale_line`, made unique within ``workflow``.

    Two standards can read alike ("Child and family assessment updated every 6 months" for a
    child in need and for a child protection plan); each such line says where it applies
    ("while child in need plan"), and the standard's id ends any line still shared.
    """
    lines = {ident: timescale_line(workflow, s) for ident, s in workflow.standards.items()}
    shared = {line for line in lines.values() if list(lines.values()).count(line) > 1}
    for ident in [i for i, line in lines.items() if line in shared]:
        lines[ident] += f", while {_scope_words(workflow, workflow.standards[ident])}"
    again = [line for line in lines.values() if list(lines.values()).count(line) > 1]
    return {i: f"{line} ({i})" if line in again else line for i, line in lines.items()}


def _scope_words(workflow: Workflow, standard: Standard) -> str:
    spec = standard.spec
    scope = getattr(spec, "while_", None)
    if not scope:
        return "whole journey"
    names = [event_label(workflow, item) for item in scope]
    covered = workflow.expand_scope(scope)
    missing = [p for p in workflow.phases if not covered & set(workflow.phase_states(p))]
    if len(scope) > 3 and missing and len(missing) < len(scope):
        return "all phases but " + ", ".join(event_label(workflow, p) for p in missing)
    return ", ".join(names)


def _note_items(notes: Iterable[object], workflow: Workflow) -> tuple[NoteItem, ...]:
    items = []
    for note in notes:
        source = getattr(note, "source", None)
        citation = None
        if source is not None:
            citation = Citation(
                workflow.document_title(source.document), source.section, source.quote
            )
        items.append(NoteItem(str(getattr(note, "text", "")), citation))
    return tuple(items)


# --- extraction ---------------------------------------------------------------------------------


def _document_lines(workflow: Workflow) -> tuple[str, ...]:
    return tuple(f"{doc.title} ({doc.date or 'undated'})" for doc in workflow.documents.values())


@dataclass
class _Slots:
    """Timescale items collected per place, in standard order."""

    states: dict[str, list[TimescaleItem]]
    arrows: dict[str, list[TimescaleItem]]
    governs: dict[str, list[TimescaleItem]]
    phases: dict[str, list[TimescaleItem]]
    throughout: list[TimescaleItem]

    @classmethod
    def empty(cls) -> _Slots:
        return cls({}, {}, {}, {}, [])

    def add(self, placer: _Placer, standard: Standard, make: _ItemMaker) -> None:
        workflow = placer.workflow
        place = placer.place(standard)
        for state in place.states:
            self.states.setdefault(state, []).append(make(workflow, standard, state))
        for trigger in place.arrows:
            source = next(t.spec.source for t in workflow.transitions if t.spec.trigger == trigger)
            self.arrows.setdefault(trigger, []).append(make(workflow, standard, source))
        for trigger in place.governs:
            self.governs.setdefault(trigger, []).append(make(workflow, standard, None))
        if place.phase is not None:
            self.phases.setdefault(place.phase, []).append(make(workflow, standard, None))
        if place.throughout:
            item = make(workflow, standard, None)
            scope = getattr(standard.spec, "while_", None)
            states = workflow.expand_scope(scope) if scope else frozenset(workflow.states)
            self.throughout.append(
                replace(item, scope=_scope_words(workflow, standard), applies_in=states)
            )


class _ItemMaker:
    """Builds the timescale item for a standard (plain, or marked against a base workflow)."""

    def __init__(self, change: Change = Change.SAME, base: Standard | None = None) -> None:
        self.change = change
        self.base = base

    def __call__(self, workflow: Workflow, standard: Standard, at: str | None) -> TimescaleItem:
        text = timescale_line(workflow, standard, at=at)
        citations: tuple[Citation, ...] = (standard.citation,)
        if self.base is not None and self.change is Change.CHANGED:
            text = f"{text}  [{_difference(self.base, standard)}]"
            if self.base.citation != standard.citation:
                citations = (self.base.citation, standard.citation)
        return TimescaleItem(
            standard=standard.id,
            kind=standard.kind,
            text=text,
            title=standard.spec.title,
            citations=citations,
            change=self.change,
        )


def diagram_model(workflow: Workflow) -> Diagram:
    """The whole pathway of one workflow, with every standard in force placed on it.

    Args:
        workflow: a resolved workflow (see :func:`casejourney.load_workflow`).

    Returns:
        The diagram model; render it with ``casejourney.report.render_dot.dot_source``.

    """
    slots = _Slots.empty()
    placer = _Placer(workflow)
    for standard in workflow.standards.values():
        slots.add(placer, standard, _ItemMaker())
    return Diagram(
        name=workflow.id,
        title=workflow.title,
        documents=_document_lines(workflow),
        phases=tuple(
            PhaseBox(p.id, p.label, i, tuple(slots.phases.get(p.id, ())))
            for i, p in enumerate(workflow.phases.values())
        ),
        states=tuple(
            StateBox(
                id=s.id,
                label=s.label,
                phase=s.phase,
                initial=s.initial,
                terminal=s.terminal,
                notes=_note_items(s.notes, workflow),
                timescales=tuple(slots.states.get(s.id, ())),
            )
            for s in workflow.states.values()
        ),
        arrows=tuple(
            Arrow(
                trigger=t.spec.trigger,
                source=t.spec.source,
                dest=t.spec.dest,
                label=_arrow_label(t.spec),
                timescales=tuple(slots.arrows.get(t.spec.trigger, ())),
                governed_by=tuple(slots.governs.get(t.spec.trigger, ())),
            )
            for t in workflow.transitions
        ),
        throughout=tuple(slots.throughout),
    )


# --- comparison ---------------------------------------------------------------------------------


def _timing(standard: Standard) -> dict[str, object]:
    """The fields that decide when a standard is due (not its wording or source)."""
    data = standard.spec.model_dump(by_alias=True)
    return {
        k: v
        for k, v in data.items()
        if k not in {"title", "source", "notes", "refines", "acknowledged_deviation", "id"}
    }


def _difference(old: Standard, new: Standard) -> str:
    """What changed in words: "15 wd → 10 wd", "from referral → allocation"."""
    parts: list[str] = []
    if old.kind != new.kind:
        parts.append(f"{old.kind} → {new.kind}")
    for name in standard_duration_fields(new.kind):
        before = getattr(old.spec, name, None)
        after = getattr(new.spec, name, None)
        if before != after:
            left = short_duration(before) if before else "none"
            right = short_duration(after) if after else "none"
            prefix = "" if name in {"within", "at_least", "every"} else f"{name} "
            parts.append(f"{prefix}{left} → {right}")
    for name, word in (("from_", "from"), ("to", "to"), ("while_", "while")):
        before, after = getattr(old.spec, name, None), getattr(new.spec, name, None)
        if before != after:
            parts.append(f"{word} {_words(before)} → {_words(after)}")
    old_then = getattr(old.spec, "then", ())
    new_then = getattr(new.spec, "then", ())
    if old_then != new_then:
        parts.append("later intervals changed")
    if not parts and old.spec.title != new.spec.title:
        parts.append("reworded")
    return "; ".join(parts) or "source changed"


def _arrow_label(spec: TransitionSpec) -> str:
    return spec.label or spec.trigger.replace("_", " ")


def _words(value: object) -> str:
    return ", ".join(value) if isinstance(value, tuple) else str(value)


def _changed_label(old: str, new: str) -> tuple[str, Change]:
    return (new, Change.SAME) if old == new else (f"{old} → {new}", Change.CHANGED)


def compare_model(base: Workflow, other: Workflow) -> Diagram:  # noqa: C901
    """One diagram of ``other`` marked against ``base``: what it adds, removes and changes.

    States and transitions are matched by id and trigger, standards by id (or by ``refines``).
    Removed elements are drawn where ``base`` had them; the rest where ``other`` has them.

    Args:
        base: the workflow compared against (usually ``national``).
        other: the workflow whose differences are marked.

    Returns:
        A diagram whose items carry a :class:`Change`.

    """
    slots = _Slots.empty()
    base_placer, other_placer = _Placer(base), _Placer(other)
    for standard in other.standards.values():
        old = base.standards.get(standard.id)
        if old is None and standard.spec.refines is not None:
            old = base.standards.get(standard.spec.refines)
        if old is None:
            slots.add(other_placer, standard, _ItemMaker(Change.ADDED))
        elif _timing(old) != _timing(standard):
            slots.add(other_placer, standard, _ItemMaker(Change.CHANGED, old))
        else:  # same timing (a new wording or source is not a change a trainer must teach)
            slots.add(other_placer, standard, _ItemMaker())
    refined = {s.spec.refines for s in other.standards.values() if s.spec.refines}
    for standard in base.standards.values():
        if standard.id not in other.standards and standard.id not in refined:
            slots.add(base_placer, standard, _ItemMaker(Change.REMOVED))

    phases: list[PhaseBox] = []
    phase_ids = list(dict.fromkeys([*base.phases, *other.phases]))
    for i, ident in enumerate(phase_ids):
        new_phase, old_phase = other.phases.get(ident), base.phases.get(ident)
        if new_phase and old_phase:
            label, change = _changed_label(old_phase.label, new_phase.label)
        elif new_phase:
            label, change = new_phase.label, Change.ADDED
        else:
            assert old_phase is not None
            label, change = old_phase.label, Change.REMOVED
        phases.append(PhaseBox(ident, label, i, tuple(slots.phases.get(ident, ())), change))

    states: list[StateBox] = []
    for ident in dict.fromkeys([*base.states, *other.states]):
        new_state, old_state = other.states.get(ident), base.states.get(ident)
        state = new_state or old_state
        assert state is not None
        notes = _note_items(state.notes, other if new_state else base)
        if new_state and old_state:
            label, change = _changed_label(old_state.label, new_state.label)
            base_notes = set(old_state.notes)
            notes = tuple(
                n if note in base_notes else replace(n, change=Change.ADDED)
                for n, note in zip(notes, new_state.notes, strict=True)
            )
            if change is Change.SAME and (
                old_state.initial != new_state.initial or old_state.terminal != new_state.terminal
            ):
                change = Change.CHANGED
        else:
            label, change = state.label, Change.ADDED if new_state else Change.REMOVED
        states.append(
            StateBox(
                id=ident,
                label=label,
                phase=state.phase,
                initial=state.initial,
                terminal=state.terminal,
                notes=notes,
                timescales=tuple(slots.states.get(ident, ())),
                change=change,
            )
        )

    arrows: list[Arrow] = []
    old_arrows = {t.spec.trigger: t.spec for t in base.transitions}
    new_arrows = {t.spec.trigger: t.spec for t in other.transitions}
    for trigger in dict.fromkeys([*old_arrows, *new_arrows]):
        new_t, old_t = new_arrows.get(trigger), old_arrows.get(trigger)
        versions: list[tuple[str, Change, TransitionSpec]] = []
        if new_t is not None and old_t is not None:
            if (new_t.source, new_t.dest) != (old_t.source, old_t.dest):
                # moved: draw where it was (removed) and where it is now (added)
                versions = [("~was", Change.REMOVED, old_t), ("", Change.ADDED, new_t)]
            else:
                label, change = _changed_label(_arrow_label(old_t), _arrow_label(new_t))
                versions = [("", change, new_t.model_copy(update={"label": label}))]
        elif new_t is not None:
            versions = [("", Change.ADDED, new_t)]
        elif old_t is not None:
            versions = [("", Change.REMOVED, old_t)]
        for suffix, change, spec in versions:
            arrows.append(
                Arrow(
                    trigger=trigger + suffix,
                    source=spec.source,
                    dest=spec.dest,
                    label=_arrow_label(spec),
                    timescales=() if suffix else tuple(slots.arrows.get(trigger, ())),
                    governed_by=() if suffix else tuple(slots.governs.get(trigger, ())),
                    change=change,
                )
            )

    return Diagram(
        name=f"{base.id}-vs-{other.id}",
        title=f"{other.title} compared with {base.title}",
        documents=tuple(dict.fromkeys([*_document_lines(base), *_document_lines(other)])),
        phases=tuple(phases),
        states=tuple(states),
        arrows=tuple(arrows),
        throughout=tuple(slots.throughout),
        comparison=(base.id, other.id),
    )


# --- one phase alone ----------------------------------------------------------------------------


def select_phase(diagram: Diagram, phase: str) -> Diagram:
    """The part of ``diagram`` inside ``phase``, with its boundary arrows as greyed stubs.

    Arrows that cross the boundary keep their timescales (a deadline met on entering the phase
    still matters to it); the neighbouring states are drawn as bare stubs.

    Raises:
        DiagramError: ``phase`` is not a phase of the diagram.

    """
    known = [p.id for p in diagram.phases]
    if phase not in known:
        raise DiagramError(f"no phase '{phase}' in {diagram.name}; phases: {', '.join(known)}")
    inside = {s.id for s in diagram.states if s.phase == phase}
    arrows: list[Arrow] = []
    neighbours: set[str] = set()
    for arrow in diagram.arrows:
        ends = {arrow.source in inside, arrow.dest in inside}
        if ends == {True}:
            arrows.append(arrow)
        elif True in ends:
            arrows.append(replace(arrow, stub=True))
            neighbours.add(arrow.dest if arrow.source in inside else arrow.source)
    states = tuple(
        s if s.id in inside else replace(s, stub=True, timescales=(), notes=(), initial=False)
        for s in diagram.states
        if s.id in inside or s.id in neighbours
    )
    throughout = tuple(t for t in diagram.throughout if t.applies_in & inside)
    return replace(
        diagram,
        name=f"{diagram.name}-{phase}",
        phases=tuple(p for p in diagram.phases if p.id == phase),
        states=states,
        arrows=tuple(arrows),
        throughout=throughout,
        focus=phase,
    )
