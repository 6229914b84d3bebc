"""A workflow's standards as flat records: for ``rules``, ``compare`` and exports."""

from __future__ import annotations

from typing import Any

from casejourney.calendar import Duration
from casejourney.spec.models import DeadlineSpec, LeadTimeSpec, MaxDurationSpec, RecurringSpec
from casejourney.spec.resolve import Standard, Workflow


def _duration(value: Duration | None) -> dict[str, Any] | None:
    return None if value is None else {"value": value.value, "unit": value.unit.value}


def standard_record(workflow: Workflow, standard: Standard) -> dict[str, Any]:
    """One standard as a JSON-ready mapping (the ``rules --format json`` shape)."""
    spec = standard.spec
    record: dict[str, Any] = {
        "id": spec.id,
        "kind": spec.kind,
        "title": spec.title,
        "from": None,
        "to": None,
        "while": None,
        "within": None,
        "at_least": None,
        "every": None,
        "first": None,
        "second": None,
        "then": [],
        "pause": None,
        "conditional": False,
        "authority": standard.authority,
        "inherited": standard.inherited,
        "overrides": standard.replaces.authority if standard.replaces else None,
        "acknowledged_deviation": spec.acknowledged_deviation,
        "applies_to": spec.applies_to.model_dump(exclude_none=True) if spec.applies_to else None,
        "per": spec.per,
        "effective": str(spec.effective) if spec.effective else None,
        "supersedes": spec.supersedes,
        "outside_simulation": spec.outside_simulation,
        "simulated_if": spec.needs_drawn,
        "notes": spec.notes,
        "source": {
            "document": workflow.document_title(spec.source.document),
            "document_id": spec.source.document,
            "section": spec.source.section,
            "quote": spec.source.quote,
        },
    }
    if isinstance(spec, DeadlineSpec):
        record.update({"from": spec.from_, "to": spec.to, "within": _duration(spec.within)})
        record["while"] = list(spec.while_) if spec.while_ else None
        record["conditional"] = spec.conditional
        record["nth"] = spec.nth
        record["extension"] = (
            None
            if spec.extension is None
            else {"event": spec.extension.event, "by": _duration(spec.extension.by)}
        )
        record["ends_on"] = spec.ends_on
        record["late_entry"] = spec.late_entry
        for key, total in (("with_total", spec.with_total), ("after_total", spec.after_total)):
            record[key] = (
                None
                if total is None
                else {"in": list(total.in_), "of": _duration(total.of), "since": total.since}
            )
    elif isinstance(spec, LeadTimeSpec):
        record.update({"from": spec.from_, "to": spec.to, "at_least": _duration(spec.at_least)})
    elif isinstance(spec, RecurringSpec):
        record.update(
            {
                "to": spec.to,
                "while": list(spec.while_),
                "every": _duration(spec.every),
                "first": _duration(spec.first),
                "second": _duration(spec.second),
                "then": [
                    {
                        "after": _duration(step.after),
                        "after_first": step.after_first,
                        "and_after_first": step.and_after_first,
                        "since": step.since,
                        "every": _duration(step.every),
                    }
                    for step in spec.then
                ],
                "pause": None
                if spec.pause is None
                else {
                    "event": spec.pause.event,
                    "in": list(spec.pause.in_),
                    "after": _duration(spec.pause.after),
                    "until": spec.pause.until,
                },
            }
        )
    elif isinstance(spec, MaxDurationSpec):
        record.update({"while": list(spec.while_), "within": _duration(spec.within)})
    return record


def timescale_text(standard: Standard) -> str:
    """The timescale in words: "within 15 working days", "every 6 weeks (first within 1 week)"."""
    spec = standard.spec
    if isinstance(spec, RecurringSpec):
        text = f"every {spec.every}"
        extras = []
        if spec.first:
            extras.append(f"first within {spec.first}")
        if spec.second:
            extras.append(f"second within {spec.second}")
        extras += [f"every {step.every} {step.switch}" for step in spec.then]
        if spec.pause is not None:
            extras.append(spec.pause.words)
        return f"{text} ({'; '.join(extras)})" if extras else text
    if isinstance(spec, LeadTimeSpec):
        if not spec.at_least.value:  # a lead time of zero
            return "before, on the same day at the latest"
        return f"at least {spec.at_least} before"
    nth = f" (the {_ordinal(spec.nth)})" if isinstance(spec, DeadlineSpec) and spec.nth > 1 else ""
    ends = ""
    if isinstance(spec, DeadlineSpec) and spec.ends_on is not None:
        ends = f" (ends if {spec.ends_on} first)"
    if isinstance(spec, DeadlineSpec) and spec.late_entry:
        ends += f" (each time the case enters {', '.join(spec.while_ or ())} after {spec.from_})"
    if isinstance(spec, DeadlineSpec) and spec.with_total is not None:
        total = spec.with_total
        since = f" since {total.since}" if total.since else ""
        ends += f" (where {total.of} in {', '.join(total.in_)}{since} by {spec.from_})"
    if isinstance(spec, DeadlineSpec) and spec.after_total is not None:
        total = spec.after_total
        since = f" since {total.since}" if total.since else ""
        ends += f" (from the first day after {spec.from_} with {total.of} in {', '.join(total.in_)}{since})"
    if isinstance(spec, DeadlineSpec) and spec.extension is not None:
        extended = f" ({spec.extension.by} more once {spec.extension.event})"
        return f"within {spec.within}{nth}{extended}{ends}"
    return f"within {spec.within}{nth}{ends}"


def _ordinal(n: int) -> str:
    """2 → "2nd", 3 → "3rd", 11 → "11th"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def scope_text(standard: Standard) -> str:
    """For whom the standard is owed, in words ("" for every child).

    "for children under 1"; "per worker, outside the simulation: owed to each worker, ...".
    """
    spec = standard.spec
    if spec.outside_simulation and not spec.per_child:
        return f"per {spec.per}, outside the simulation: {spec.outside_simulation}"
    words = []
    band = spec.applies_to
    if band is not None:
        if band.age_from is not None and band.age_under is not None:
            words.append(f"for children aged {band.age_from} to under {band.age_under}")
        elif band.age_under is not None:
            words.append(f"for children under {band.age_under}")
        elif band.age_from is not None:
            words.append(f"for children aged {band.age_from} or over")
        for label, values in (
            ("placed", band.placement),
            ("looked after under", band.legal_status),
            ("with a plan of", band.plan),
        ):
            if values:
                words.append(f"{label} {' or '.join(v.replace('_', ' ') for v in values)}")
        if band.disabled is not None:
            words.append("disabled children" if band.disabled else "children who are not disabled")
    if spec.effective is not None:
        words.append(str(spec.effective))
    if spec.supersedes is not None:
        words.append(f"in place of {spec.supersedes} where owed")
    if spec.needs_drawn:
        words.append("simulated where the scenario draws these for its children (children:)")
    return "; ".join(words)


def rules_records(workflow: Workflow) -> list[dict[str, Any]]:
    """Every standard in force, in file order (inherited first)."""
    return [standard_record(workflow, s) for s in workflow.standards.values()]


_SHORT = {
    "hours": "h",
    "days": "d",
    "working_days": "wd",
    "school_days": "sd",
    "weeks": "wk",
    "terms": "term",
    "months": "mo",
    "years": "yr",
    "school_years": "sch yr",
}


def short(duration: Duration) -> str:
    """A compact duration for tables and diagrams: ``15 wd``, ``6 wk``, ``3 mo``."""
    return f"{duration.value} {_SHORT[duration.unit.value]}"


def short_timescale(standard: Standard) -> str:
    """A compact timescale: ``≤ 15 wd``, ``≥ 2 wd before``, ``every 6 wk (1st ≤ 1 wk)``."""
    spec = standard.spec
    if isinstance(spec, RecurringSpec):
        extras = []
        if spec.first:
            extras.append(f"1st ≤ {short(spec.first)}")
        if spec.second:
            extras.append(f"2nd ≤ {short(spec.second)}")
        extras += [
            f"{short(step.every)} after "
            + " & ".join(
                ([short(step.after)] if step.after is not None else [])
                + [f"1st {event}" for event in step.events]
            )
            for step in spec.then
        ]
        text = f"every {short(spec.every)}"
        return f"{text} ({'; '.join(extras)})" if extras else text
    if isinstance(spec, LeadTimeSpec):
        return f"≥ {short(spec.at_least)} before" if spec.at_least.value else "by the day"
    if isinstance(spec, DeadlineSpec) and spec.extension is not None:
        return f"≤ {short(spec.within)} (+{short(spec.extension.by)} if extended)"
    return f"≤ {short(spec.within)}"
