"""The workflow file format as frozen pydantic models: what a YAML file may say, and nothing else.

Consumes plain data read from YAML; produces ``WorkflowFileSpec``. Cross-file rules (inheritance,
references, graph shape) are in ``resolve`` and ``casejourney.checks``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from casejourney.calendar import _UNIT_WORDS as UNIT_WORDS  # the words' one home
from casejourney.calendar import Duration, Unit
from casejourney.errors import DurationError
from casejourney.spec.children import LegalStatus, Placement, Plan
from casejourney.spec.extends import EXTENDS_PATTERN

_ID = r"^[a-z][a-z0-9_\-]*$"
_EVENT = r"^((exit:)?[a-z][a-z0-9_\-]*|age:\d{1,2})$"

Identifier = Annotated[str, Field(pattern=_ID, description="lowercase letters, digits, _ or -")]
ExtendsRef = Annotated[
    str,
    Field(
        pattern=EXTENDS_PATTERN,
        description="an id (a file beside this one, else a shipped one), or a path from this "
        "file's folder ending in .yaml",
    ),
]
EventRef = Annotated[
    str,
    Field(
        pattern=_EVENT,
        description="a state (its entry), exit:STATE, a phase, an activity, or age:N",
    ),
]


def _duration_from_yaml(value: Any) -> Any:
    if isinstance(value, str):
        return Duration.parse(value)
    return value


#: Days in each unit, for bounding a timescale (a working week is five days in seven).
DAYS_PER_UNIT = {
    "hours": 1 / 24,
    "days": 1.0,
    "working_days": 7 / 5,
    "school_days": 365.25 / 190,  # 190 school days a year (380 sessions)
    "terms": 365.25 / 3,
    "school_years": 365.25,
    "weeks": 7.0,
    "months": 30.4375,
    "years": 365.25,
}
#: No timescale is longer than a century: none in children's social care comes near, and the
#: calendar's date arithmetic ends in the year 9999.
MAX_SPAN_YEARS = 100
#: The largest number of each unit that stays within ``MAX_SPAN_YEARS``.
MAX_IN_UNIT = {unit: int(MAX_SPAN_YEARS * 365.25 / days) for unit, days in DAYS_PER_UNIT.items()}


def _positive(value: Duration) -> Duration:
    if value.value <= 0:
        raise DurationError(f"duration '{value}' must be above zero")
    return value


def _within_a_century(value: Duration) -> Duration:
    if value.value > MAX_IN_UNIT[value.unit.value]:
        limit = MAX_IN_UNIT[value.unit.value]
        word = value.unit.value.replace("_", " ")
        raise ValueError(f"{value} is longer than {MAX_SPAN_YEARS} years; at most {limit:,} {word}")
    return value


def _any_case(words: str) -> str:
    """A JSON Schema (ECMA 262) pattern for ``words`` in any case, any spaces between them."""
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isalpha() else " +" if c == " " else re.escape(c)
        for c in words
    )


#: The unit words ``Duration.parse`` reads (in any case, as it does), longest first.
_UNIT_PATTERN = "|".join(_any_case(w) for w in sorted(UNIT_WORDS, key=len, reverse=True))


_DURATION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "string",
            "pattern": rf"^\s*0*[1-9]\d{{0,5}}\s+({_UNIT_PATTERN})\s*$",
            "examples": ["15 working days", "1 day", "6 weeks", "3 months"],
        },
        *(
            {
                "type": "object",
                "properties": {
                    "value": {
                        "type": "integer",
                        "exclusiveMinimum": 0,
                        "maximum": MAX_IN_UNIT[unit],
                        "description": "how many (a whole number)",
                    },
                    "unit": {"const": unit, "description": "the unit: " + unit},
                },
                "required": ["value", "unit"],
                "additionalProperties": False,
            }
            for unit in DAYS_PER_UNIT
        ),
    ],
    "description": f"a timescale of at most {MAX_SPAN_YEARS} years",
}

DurationField = Annotated[
    Duration,
    BeforeValidator(_duration_from_yaml),
    AfterValidator(_positive),
    AfterValidator(_within_a_century),
    WithJsonSchema(_DURATION_SCHEMA),
]

#: "0 days", in any case and spacing: the one zero the format allows (a lead time).
_ZERO_DAYS = re.compile(r"\s*0+\s+days?\s*", re.IGNORECASE)
_ZERO_ANY = re.compile(r"\s*0+\s+\S.*", re.IGNORECASE)


def _lead_from_yaml(value: Any) -> Any:
    if isinstance(value, str) and _ZERO_DAYS.fullmatch(value):
        return Duration(value=0, unit=Unit.DAYS)
    if isinstance(value, str) and _ZERO_ANY.fullmatch(value):
        raise DurationError(
            f"{value.strip()!r}: a lead time of zero (on or before the day itself) is "
            "written '0 days'"
        )
    return _duration_from_yaml(value)


def _zero_only_in_days(value: Duration) -> Duration:
    if value.value == 0 and value.unit is not Unit.DAYS:
        raise DurationError(
            f"'{value}': a lead time of zero (on or before the day itself) is written '0 days'"
        )
    return value


#: A lead time: a duration, or ``0 days`` ("before it", on the same day at the latest).
LeadField = Annotated[
    Duration,
    BeforeValidator(_lead_from_yaml),
    AfterValidator(_zero_only_in_days),
    AfterValidator(_within_a_century),
    WithJsonSchema(
        {
            "anyOf": [
                *_DURATION_SCHEMA["anyOf"],
                {
                    "type": "string",
                    "pattern": r"^\s*0+\s+[dD][aA][yY][sS]?\s*$",
                    "description": "zero: on or before the day itself",
                },
                {
                    "type": "object",
                    "properties": {
                        "value": {"const": 0, "description": "zero: the day itself"},
                        "unit": {"const": "days", "description": "the unit: days"},
                    },
                    "required": ["value", "unit"],
                    "additionalProperties": False,
                },
            ],
            "description": f"a timescale of at most {MAX_SPAN_YEARS} years, or 0 days",
        }
    ),
]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Scope = Annotated[
    tuple[Identifier, ...],
    BeforeValidator(_as_list),
    Field(min_length=1, description="a state or phase id, or a list of them"),
    # One id may be written without a list (`while: cp_plan`); the schema must accept it too.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _ID},
                {"type": "array", "items": {"type": "string", "pattern": _ID}, "minItems": 1},
            ]
        }
    ),
]


@functools.cache
def _is_number(annotation: Any) -> bool:
    """Whether a field's type is a number and nothing else (``int``, ``float | None``, ...)."""
    if get_origin(annotation) is Annotated:
        return _is_number(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return bool(members) and all(_is_number(a) for a in members)
    return annotation in (int, float)


@functools.cache
def _mapping_values(annotation: Any) -> Any:
    """The value type of a mapping field (``Mapping[str, float]`` → float); None if not one."""
    if get_origin(annotation) is Annotated:
        return _mapping_values(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        found = [_mapping_values(a) for a in get_args(annotation)]
        return next((f for f in found if f is not None), None)
    origin = get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return get_args(annotation)[-1]
    return None


@dataclass(frozen=True)
class NotANumber:
    """Text or a yes/no given where a number is meant; pydantic refuses it as the wrong type.

    Pydantic alone would read ``headcount: "95"`` as 95 and ``true`` as 1, while the JSON Schema
    an editor uses refuses both; so the loader refuses them too, at the key, and says what to write.
    """

    given: str | bool

    @property
    def message(self) -> str:
        """What is wrong, and the fix."""
        if isinstance(self.given, bool):
            return f"{str(self.given).lower()} is a yes/no, not a number; write a number"
        number = re.fullmatch(r"\s*([-+]?[\d.,_]+(?:[eE][-+]?\d+)?)\s*", self.given)
        fix = f" ({number.group(1)})" if number else ""
        return f"{self.given!r} is text, not a number; write the number without quotes{fix}"


def _checked(annotation: Any, value: Any) -> Any:
    """``value`` with any text or yes/no given for a number (at any depth of mappings) marked."""
    if _is_number(annotation):
        return NotANumber(value) if isinstance(value, str | bool) else value
    inner = _mapping_values(annotation) if isinstance(value, dict) else None
    if inner is None:
        return value
    checked = {k: _checked(inner, v) for k, v in value.items()}
    return value if all(checked[k] is v for k, v in value.items()) else checked


class _Frozen(BaseModel):
    # No NaN or infinity anywhere: ``.nan`` as a probability or ``.inf`` hours is a mistake.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        changed: dict[Any, Any] | None = None
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key not in data:
                continue
            value = data[key]
            checked = _checked(field.annotation, value)
            if checked is not value:
                changed = changed if changed is not None else dict(data)
                changed[key] = checked
        return data if changed is None else changed


class SourceSpec(_Frozen):
    """Where a rule comes from, in the document's own words."""

    document: Identifier = Field(description="id of an entry in `documents`")
    section: str = Field(min_length=1, description="section number and heading")
    quote: str = Field(min_length=1, description="the document's own words, verbatim")
    quote_kind: Literal["primary", "secondary"] = Field(
        default="primary",
        description="`primary`: the document's own words; `secondary`: the primary text could "
        "not be found, so the quote is another source's account of it (say which in "
        "`secondary_source`); `check` lists these",
    )
    secondary_source: str | None = Field(
        default=None,
        min_length=1,
        description="for a secondary quote: who says it, and where (title, address)",
    )

    @model_validator(mode="after")
    def _secondary_names_its_source(self) -> SourceSpec:
        if self.quote_kind == "secondary" and self.secondary_source is None:
            raise ValueError(
                "a secondary quote needs secondary_source: the title and address it is quoted from"
            )
        if self.quote_kind == "primary" and self.secondary_source is not None:
            raise ValueError("secondary_source is for quote_kind: secondary; remove one of them")
        return self


class DocumentSpec(_Frozen):
    """A published document that sources cite."""

    id: Identifier = Field(description="how sources cite it (`source: {document: ID}`)")
    title: str = Field(min_length=1, description="the document's title, as published")
    date: str | None = Field(default=None, description="as the document gives it, e.g. 2024-03")

    @model_validator(mode="before")
    @classmethod
    def _date_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("date"), dt.date | int):
            return {**data, "date": str(data["date"])}
        return data


class NoteSpec(_Frozen):
    """A practice expectation without a timescale, shown on diagrams."""

    text: str = Field(min_length=1, description="the expectation, in a sentence")
    source: SourceSpec | None = Field(default=None, description="where it is written down")


class PhaseSpec(_Frozen):
    """A group of states drawn together (front door, child protection, ...)."""

    id: Identifier = Field(description="what states give as their `phase`")
    label: str = Field(min_length=1, description="the name diagrams and reports show")


class StateSpec(_Frozen):
    """A stage of the journey. In an authority file, only `id` plus the fields it changes."""

    id: Identifier = Field(description="what transitions and standards name it by")
    phase: Identifier | None = Field(default=None, description="the id of a phase in `phases`")
    label: str | None = Field(
        default=None, description="the name diagrams and reports show (needed for a new state)"
    )
    initial: bool = Field(default=False, description="where every case starts (exactly one state)")
    terminal: bool = Field(default=False, description="a case here is closed; no move out")
    notes: tuple[NoteSpec, ...] = Field(
        default=(), description="practice expectations without a timescale, drawn beside it"
    )


class ActivitySpec(_Frozen):
    """Something recorded while in a state (a visit, a meeting), not a move between states."""

    id: Identifier = Field(description="what recurring standards name as their `to`")
    label: str = Field(min_length=1, description="the name timelines and reports show")


class TransitionSpec(_Frozen):
    """A legal move: ``trigger`` takes a case from ``source`` to ``dest``."""

    trigger: Identifier = Field(description="the move's name; `remove_transitions` uses it")
    source: Identifier = Field(description="the state it leaves")
    dest: Identifier = Field(description="the state it enters")
    label: str | None = Field(default=None, description="the words on the diagram's arrow")


@dataclass(frozen=True)
class ChildAttributes:
    """What is known of a child beyond their age, for ``applies_to`` (None: not known).

    Used in memory only; never written to an output.
    """

    placement: str | None = None
    legal_status: str | None = None
    plan: str | None = None
    disabled: bool | None = None


class AppliesToSpec(_Frozen):
    """Which children a standard is for: by age, and by what is known of the child.

    Age is judged on the day each occurrence opens; placement, legal status, plan and disability
    from what the child's record says. A child whose date of birth is unknown is treated as in the age band (the stricter reading).
    A standard for a placement, legal status, plan or disability is owed only where the child is
    known to have it: a record that does not say is not counted against it.
    """

    age_from: int | None = Field(
        default=None, ge=0, le=25, description="the child is at least this many years old"
    )
    age_under: int | None = Field(
        default=None, ge=1, le=26, description="the child is younger than this many years"
    )
    placement: tuple[Placement, ...] | None = Field(
        default=None, min_length=1, description="the child is placed in one of these"
    )
    legal_status: tuple[LegalStatus, ...] | None = Field(
        default=None, min_length=1, description="the child is looked after under one of these"
    )
    plan: tuple[Plan, ...] | None = Field(
        default=None,
        min_length=1,
        description="the child's plan for permanence is one of these (adoption, long-term fostering …)",
    )
    disabled: bool | None = Field(default=None, description="the child is disabled (true) or not")

    @model_validator(mode="after")
    def _some_child_fits(self) -> AppliesToSpec:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError(
                "applies_to needs at least one of age_from, age_under, placement, legal_status, "
                "plan, disabled"
            )
        if (
            self.age_from is not None
            and self.age_under is not None
            and self.age_from >= self.age_under
        ):
            raise ValueError(
                f"applies_to: no child is at least {self.age_from} and under {self.age_under}; "
                "make age_under larger than age_from"
            )
        return self

    @property
    def by_age_only(self) -> bool:
        """Whether only age chooses the children (the simulation knows nothing else of them)."""
        return (self.placement, self.legal_status, self.plan, self.disabled) == (None,) * 4

    def includes(
        self, date_of_birth: dt.date | None, day: dt.date, child: ChildAttributes | None = None
    ) -> bool:
        """Whether a child born on ``date_of_birth``, with ``child``'s attributes, is in scope."""
        known = child or ChildAttributes()
        for wanted, value in (
            (self.placement, known.placement),
            (self.legal_status, known.legal_status),
            (self.plan, known.plan),
        ):
            if wanted is not None and value not in wanted:
                return False
        if self.disabled is not None and known.disabled is not self.disabled:
            return False
        if date_of_birth is None:
            return True
        years = day.year - date_of_birth.year
        if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
            years -= 1
        if self.age_from is not None and years < self.age_from:
            return False
        return self.age_under is None or years < self.age_under


class EffectiveSpec(_Frozen):
    """When a standard is in force, judged by each occurrence's due date.

    "Allocating a PA prior to young people's 17th Birthday (from May 2024)" is owed for a 17th
    birthday on or after 1 May 2024. ``until`` is the first day it no longer applies.
    """

    from_: dt.date | None = Field(
        default=None, alias="from", description="the first due date it applies to"
    )
    until: dt.date | None = Field(
        default=None, description="the first due date it no longer applies to (exclusive)"
    )

    @model_validator(mode="after")
    def _some_day_fits(self) -> EffectiveSpec:
        if self.from_ is None and self.until is None:
            raise ValueError("effective needs from, until or both")
        if self.from_ is not None and self.until is not None and self.from_ >= self.until:
            raise ValueError(
                f"effective: no day is on or after {self.from_} and before {self.until}; "
                "make until later than from"
            )
        return self

    def includes(self, day: dt.date) -> bool:
        """Whether an occurrence due on ``day`` is owed."""
        if self.from_ is not None and day < self.from_:
            return False
        return self.until is None or day < self.until

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        """Whether some due date from ``start`` to ``end`` (inclusive) is owed."""
        if self.from_ is not None and end < self.from_:
            return False
        return self.until is None or start < self.until

    def __str__(self) -> str:
        if self.from_ is not None and self.until is not None:
            return f"due from {self.from_} to before {self.until}"
        if self.from_ is not None:
            return f"due from {self.from_}"
        return f"due before {self.until}"


#: Whom a standard is owed to, when not to each child, and why such a standard is not tracked on a
#: child's record or simulated (shown by ``rules`` and ``check``).
OUTSIDE_SIMULATION: dict[str, str] = {
    "worker": (
        "owed to each worker, not to each child: the simulation and a child's record follow "
        "children, not named workers, so it is listed but not tracked or simulated"
    ),
    "household": (
        "owed to each foster or adoptive household, however many children it cares for: the "
        "simulation and a child's record follow children, not households, so it is listed but "
        "not tracked or simulated"
    ),
}


class _StandardBase(_Frozen):
    id: Identifier = Field(description="unique; reuse an inherited id to override it")
    title: str = Field(min_length=1, description="one line a trainer can read")
    source: SourceSpec = Field(description="the document, section and its own words")
    refines: Identifier | None = Field(
        default=None, description="an inherited standard this one tightens under another id"
    )
    acknowledged_deviation: str | None = Field(
        default=None,
        min_length=1,
        description="why a looser-than-statute value is kept; makes the finding a note",
    )
    applies_to: AppliesToSpec | None = Field(
        default=None, description="only for these children (default: every child)"
    )
    per: Literal["child", "worker", "household"] = Field(
        default="child",
        description="whom it is owed to: each child (default), each worker (their supervision) "
        "or each foster or adoptive household; only per-child standards are tracked and simulated",
    )
    effective: EffectiveSpec | None = Field(
        default=None,
        description='when it is in force, by due date: "(from May 2024)" is '
        "`{from: 2024-05-01}` (default: always)",
    )
    supersedes: Identifier | None = Field(
        default=None,
        description="a deadline with the same `from` and `to` that this one supersedes wherever this "
        'one is owed ("17th birthday (from May 2024) (16th birthday from September 2024)")',
    )
    not_simulated: str | None = Field(
        default=None,
        min_length=1,
        description="why the simulation does not follow this per-child standard, though tracking, "
        "journey and check do (a court's hearing the scenarios do not model, a standard added "
        "after the scenarios were calibrated); `rules` shows it as outside_simulation",
    )
    notes: str | None = Field(
        default=None, description="anything a reader should know: how it is read, what it omits"
    )

    @model_validator(mode="after")
    def _children_only_for_children(self) -> _StandardBase:
        if self.per != "child" and self.applies_to is not None:
            raise ValueError(
                f"applies_to chooses children, but this standard is owed per {self.per}; "
                "remove applies_to or say per: child"
            )
        return self

    @property
    def per_child(self) -> bool:
        """Whether this standard is owed to each child (tracked on a child's record, simulated)."""
        return self.per == "child"

    @property
    def outside_simulation(self) -> str | None:
        """Why this standard is not simulated (nor, per worker or household, tracked), or None."""
        if self.per in OUTSIDE_SIMULATION:
            return OUTSIDE_SIMULATION[self.per]
        return self.not_simulated

    @property
    def needs_drawn(self) -> str | None:
        """Why a simulation may not follow this standard, or None: it is owed by attribute.

        A standard owed to children by placement, legal status, plan or disability is followed
        only where the scenario draws these for its children (``children:``).
        """
        if self.applies_to is None or self.applies_to.by_age_only:
            return None
        return (
            "owed only to children known to have a placement, legal status, plan or "
            "disability: tracked where a child's record says so (journey draws them from the "
            "scenario's children:, or takes --placement, --legal-status, --plan, --disabled), "
            "and simulated only where the scenario draws these for its children (children: in "
            "the scenario)"
        )

    def applies(
        self, date_of_birth: dt.date | None, day: dt.date, child: ChildAttributes | None = None
    ) -> bool:
        """Whether this standard is for a child born on ``date_of_birth`` (``child``) on ``day``."""
        return self.per_child and (
            self.applies_to is None or self.applies_to.includes(date_of_birth, day, child)
        )

    def in_force(self, due: dt.date) -> bool:
        """Whether an occurrence falling due on ``due`` is owed (``effective``)."""
        return self.effective is None or self.effective.includes(due)


class ExtensionSpec(_Frozen):
    """A deadline lengthened once by an event before it falls due (an extension).

    "The responsible authority may extend the temporary approval once for a further period of up
    to eight weeks" (reg 25(2)): ``{event: temporary_approval_extended, by: 8 weeks}``. The first
    ``event`` after ``from``, on or before the due date, moves the due date ``by`` later; one
    after the due date extends nothing, and a second extension nothing more.
    """

    event: Identifier = Field(description="the activity that extends it (an extension granted)")
    by: DurationField = Field(description="how much later it is then due, e.g. 8 weeks")


class TotalTimeSpec(_Frozen):
    """A total time a case has spent in a scope since an event: ``with_total``, ``after_total``.

    Reg 42(1): the needs assessment is due three months after C "reaches the age of 16 or
    becomes an eligible child after that age", eligible meaning looked after for 13 weeks in all
    since the age of 14 (reg 40(1), Children Act 1989 Sch. 2 para 19B(2)). With ``from: age:16``
    and ``{in: looked_after, of: 13 weeks, since: age:14}``, ``with_total`` opens the deadline on
    the birthday only for a child looked after that day who has the total by then (the first
    limb), and ``after_total`` on the first later day on which a child looked after has it (the
    second). Time counts in ``in`` from the last ``since`` at or before ``from`` (or from the start
    of the record); on a day, the time up to that day.
    """

    in_: Scope = Field(alias="in", description="the states or phases whose time is added up")
    of: DurationField = Field(description="the total, in days or weeks, e.g. 13 weeks")
    since: EventRef | None = Field(
        default=None,
        description="time counts from the last of this event before `from` (e.g. age:14); "
        "default: from the start of the record",
    )

    @model_validator(mode="after")
    def _a_fixed_length(self) -> TotalTimeSpec:
        if self.of.unit not in (Unit.DAYS, Unit.WEEKS):
            raise ValueError(
                f"'{self.of}': a total time is added up in days; give it in days or weeks "
                "(13 weeks)"
            )
        return self

    @property
    def days(self) -> int:
        """The total in days."""
        return self.of.value * (7 if self.of.unit is Unit.WEEKS else 1)


class DeadlineSpec(_StandardBase):
    """Event ``to`` happens within ``within`` of event ``from``."""

    kind: Literal["deadline"] = Field(description="`to` happens within `within` of `from`")
    from_: EventRef = Field(alias="from", description="the event the clock starts at (day 0)")
    to: EventRef = Field(description="the event that must happen in time")
    within: DurationField = Field(description="how long after `from`, e.g. 15 working days")
    while_: Scope | None = Field(
        default=None,
        alias="while",
        description="the states or phases it is owed in: a case that leaves them (or closes) "
        "before `to` is withdrawn before the due date, breached after it",
    )
    conditional: bool = Field(
        default=False,
        description='the standard applies only to cases that go on to `to` ("where there is '
        'reasonable cause to suspect significant harm"): a case that leaves `while`, or closes, '
        "another way is withdrawn, even after the due date",
    )
    or_before: bool = Field(
        default=False,
        description='a window: `to` may also happen before `from` ("before a child comes into '
        'our care … otherwise within 10 days"); a `to` that no earlier occurrence counted meets it',
    )
    before_first: Identifier | None = Field(
        default=None,
        description="an activity: `to` is also due by the first time it happens after `from`, "
        'where that comes sooner ("before the first review", reg 7: the first review itself, '
        "not its latest date)",
    )
    nth: int = Field(
        default=1,
        ge=1,
        le=10,
        description="met by the nth `to` after `from` (default the first): a Care Planning "
        'Meeting within 10 days "and again before the first review" is `nth: 2`; with '
        "`or_before`, one before `from` counts as the first",
    )
    extension: ExtensionSpec | None = Field(
        default=None,
        description="an event that lengthens it once, if it comes by the due date: "
        '`{event: ACTIVITY, by: 8 weeks}` ("may extend the temporary approval once for a '
        'further period of up to eight weeks")',
    )

    ends_on: Identifier | None = Field(
        default=None,
        description="an activity that ends the obligation: the first one on a day after "
        "`from`'s and before `to`, by the due date, withdraws it (reg 24: the placement ends "
        "within the temporary approval, `ends_on: placement_move`); one after the due date comes "
        "too late and it is missed; one on the day of `from` ends nothing (records carry dates, "
        "not times)",
    )

    late_entry: bool = Field(
        default=False,
        description="owed on each entry into `while` after `from`, by the due date, instead of "
        "at `from`: it opens on entering and keeps the due date counted from `from` "
        '("transition planning has started at Year 9" for a plan that starts after the 13th '
        "birthday, or closes and starts again); without it a deadline is owed where the case is "
        "in `while` at `from`",
    )
    with_total: TotalTimeSpec | None = Field(
        default=None,
        description="opens at `from` only where the case is then in a scope and has spent a "
        'total time there since an event ("reaches the age of 16" as an eligible child: '
        "`{in: looked_after, of: 13 weeks, since: age:14}`)",
    )
    after_total: TotalTimeSpec | None = Field(
        default=None,
        description="the clock starts later than `from`: on the first day after it on which the "
        "case is in a scope and has spent a total time there since an event, where it had not "
        'by `from` ("or becomes an eligible child after that age")',
    )

    @property
    def outside_simulation(self) -> str | None:
        """A clock started by a total time reached, or on a late entry, is tracked, not simulated."""
        if self.after_total is not None:
            return (
                "starts on a day derived from a total time in a scope (after_total): tracked "
                "on a child's record and in journey, but the simulation does not derive that "
                "day, so does not schedule it"
            )
        if self.late_entry:
            return (
                "owed on each entry into its scope after `from` (late_entry): tracked on a "
                "child's record and in journey, but the simulation schedules a deadline only "
                "where the case is in scope at `from`"
            )
        return super().outside_simulation

    @model_validator(mode="after")
    def _extension_can_extend(self) -> DeadlineSpec:
        if self.extension is not None and self.extension.event in (self.from_, self.to):
            role = "to" if self.extension.event == self.to else "from"
            raise ValueError(
                f"extension.event '{self.extension.event}' is this standard's `{role}`: an "
                "extension is its own event (an extension granted); name that activity"
            )
        if self.late_entry and not self.while_:
            raise ValueError(
                "late_entry opens where the case enters `while` after `from`: give `while` "
                "(the states or phases it is owed in)"
            )
        if self.with_total is not None and self.after_total is not None:
            raise ValueError(
                "with_total opens at `from` where the total is reached by then, after_total on "
                "a later day where it is not: give one (two standards say both limbs)"
            )
        if self.ends_on is not None and self.ends_on in (self.from_, self.to):
            role = "to" if self.ends_on == self.to else "from"
            raise ValueError(
                f"ends_on '{self.ends_on}' is this standard's `{role}`: what ends the obligation "
                "is another event (the placement ending); name that activity"
            )
        return self


class LeadTimeSpec(_StandardBase):
    """Event ``from`` happens at least ``at_least`` before event ``to``."""

    kind: Literal["lead_time"] = Field(description="`from` happens at least `at_least` before `to`")
    from_: EventRef = Field(alias="from", description="the earlier event (papers sent, say)")
    to: EventRef = Field(description="the later event (the meeting)")
    at_least: LeadField = Field(
        description="how long before `to`, e.g. 3 working days; `0 days`: on or before the day "
        'of `to` ("before the pathway plan is reviewed": a visit that morning counts)'
    )
    conditional: bool = Field(
        default=False,
        description='owed only where `from` happens ("I have requested ... to exclude one or more '
        'family members ... at least 3 days in advance of the Conference"): a `to` with no `from` '
        "since the previous `to` owes nothing, rather than a missed lead time",
    )

    @property
    def outside_simulation(self) -> str | None:
        """A conditional lead time is owed on an occasion the simulation does not generate."""
        if self.conditional:
            return (
                "owed only where its first event happens (conditional): tracked on a child's "
                "record where it does, but the simulation does not generate the occasion"
            )
        return super().outside_simulation


class StepChangeSpec(_Frozen):
    """A recurring interval becomes ``every`` after ``after`` in scope, or after an event, or both.

    ``after`` switches by elapsed time ("for the first year"); ``after_first`` by an event, the
    first time it happens in the stretch ("weekly until the first review"); ``after`` with
    ``and_after_first`` once both have happened ("thereafter", after the placement's first year,
    "where the placement is intended to last until C is aged 18": reg 28(2)(c)). (Not ``on``: YAML
    1.1 readers such as PyYAML take an unquoted ``on`` for ``true``.) Either way the new interval
    applies from the occurrence after the switch (the next one counted from an occurrence on or
    after it). With ``since``, the step's time and events count only from the last ``since`` in
    the stretch (on or before the occurrence): "every six weeks until the home is agreed as the
    child's long-term alternative home, then ... every three months" (Liverpool ELEVEN), where
    "the home" is the one the child lives in, so a move makes the agreement count again.
    """

    after: DurationField | None = Field(
        default=None, description="time in scope after which the step applies"
    )
    after_first: Identifier | None = Field(
        default=None,
        description="an activity: the step applies once it first happens in the stretch",
    )
    and_after_first: Identifier | None = Field(
        default=None,
        description="with `after`: an activity that must also have first happened in the "
        "stretch; the step applies once both have (the later of the two)",
    )
    since: Identifier | None = Field(
        default=None,
        description="an activity: the step's `after` and events count only from its last "
        "occurrence in the stretch (a placement move: a new home must be agreed again)",
    )
    every: DurationField = Field(description="the new interval from then on")

    @property
    def events(self) -> tuple[str, ...]:
        """The activities whose first occurrence this step waits for (none for a time step)."""
        return tuple(e for e in (self.after_first, self.and_after_first) if e is not None)

    @property
    def switch(self) -> str:
        """When the step applies, in words: ``after 1 year`` or ``after the first lac_review``."""
        if self.after is None:
            text = f"after the first {self.after_first}"
        elif self.and_after_first is not None:
            text = f"after {self.after} and the first {self.and_after_first}"
        else:
            text = f"after {self.after}"
        return text if self.since is None else f"{text}, since the last {self.since}"

    @model_validator(mode="after")
    def _one_switch(self) -> StepChangeSpec:
        if self.and_after_first is not None and self.after is None:
            raise ValueError(
                "and_after_first waits for an event as well as a time: give 'after' too "
                "('after: 1 year, and_after_first: long_term_home_agreed'), or say after_first "
                "for an event alone"
            )
        if (self.after is None) == (self.after_first is None):
            raise ValueError(
                "a step switches either after a time ('after: 1 year') or on an event "
                "('after_first: lac_review'); give exactly one (for both together, a time and "
                "an event: 'after: 1 year, and_after_first: ACTIVITY')"
            )
        if self.since is not None and self.since in self.events:
            raise ValueError(
                f"since '{self.since}' is the step's own event: since names another activity "
                "after whose last occurrence the step's event must happen again (a placement "
                "move)"
            )
        return self


class PauseSpec(_Frozen):
    """A recurring schedule paused while the case is in a scope after an event there.

    Liverpool ONE: "We will discuss each family at least every two months", but "for those
    children who have a visiting frequency of every three months or more, including ... children
    in care, supervision frequency will be aligned to the child's individual plan" (no value).
    A child in care is visited three-monthly (reg 28(2), in force beside Liverpool's own visits)
    only after the placement's first year and once it is agreed as the long-term home:
    ``pause: {event: long_term_home_agreed, after: 1 year, until: placement_move, in:
    looked_after}``, the switch of ``lac-visits``' three-monthly step. Time counts from entering
    ``in`` or from the last ``until`` there (a new placement); the pause starts on the later of
    ``after`` from then and the first ``event`` since then (without ``after``, at that event), as
    a step with ``after`` and ``and_after_first`` switches. Nothing is owed while paused; leaving
    ``in``, or an ``until``, ends the pause, and the schedule starts again from that day, as on
    entering ``while`` (an ``until`` also starts the count again: a new agreement is needed).
    """

    event: Identifier = Field(description="the activity that pauses it (a long-term home agreed)")
    in_: Scope = Field(alias="in", description="the states or phases the pause lasts while in")
    after: DurationField | None = Field(
        default=None,
        description="the pause starts no sooner than this long after entering `in` or the last "
        "`until` (the placement's first year: `1 year`); default: at `event`",
    )
    until: Identifier | None = Field(
        default=None,
        description="an activity that ends the pause (the schedule starting again from it) and "
        "starts the count for `after` and `event` again (a placement move)",
    )

    @model_validator(mode="after")
    def _until_is_another_event(self) -> PauseSpec:
        if self.until is not None and self.until == self.event:
            raise ValueError(
                f"until '{self.until}' is the pause's own event: what ends the pause is another "
                "activity (a placement move); name that activity"
            )
        return self

    @property
    def words(self) -> str:
        """The pause in words, for ``rules``."""
        scope = ", ".join(self.in_)
        starts = self.event if self.after is None else f"{self.event} and {self.after} in {scope}"
        ends = f"leaving {scope}"
        if self.until is not None:
            starts += f", since entering or the last {self.until},"
            ends += f" or {self.until}"
        return f"paused from {starts} until {ends}"


class RecurringSpec(_StandardBase):
    """While in ``while``, activity ``to`` happens at least every ``every``."""

    kind: Literal["recurring"] = Field(description="activity `to` at least every `every`")
    to: Identifier = Field(description="the activity")
    while_: Scope = Field(alias="while", description="the states or phases it is owed in")
    every: DurationField = Field(description="the longest gap between two, e.g. 6 weeks")
    first: DurationField | None = Field(
        default=None, description="the first is due this long after entering (default: `every`)"
    )
    second: DurationField | None = Field(
        default=None, description="the second is due this long after the first (default: `every`)"
    )
    then: tuple[StepChangeSpec, ...] = Field(
        default=(),
        description="later changes of interval: after a time (a year) or after the first of an "
        "activity (the first review)",
    )
    restart_on: Identifier | None = Field(
        default=None,
        description="an activity that starts the schedule again (`first` after it, `then` steps "
        'counted from it): "within one week of the start of any placement"',
    )
    pause: PauseSpec | None = Field(
        default=None,
        description="nothing is owed from the first `event` after the case enters `in` (with "
        "`after`, no sooner than that long after entering or the last `until`) until it leaves "
        "`in` or `until` happens, when the schedule starts again (`{event: "
        "long_term_home_agreed, after: 1 year, until: placement_move, in: looked_after}`: "
        '"aligned to the child\'s individual plan" once visits are three-monthly)',
    )


class MaxDurationSpec(_StandardBase):
    """A case spends no longer than ``within`` in ``while``."""

    kind: Literal["max_duration"] = Field(
        description="a case spends no longer than `within` in `while`"
    )
    while_: Scope = Field(alias="while", description="the states or phases whose time is counted")
    within: DurationField = Field(description="the longest time, e.g. 26 weeks")


StandardSpec = Annotated[
    DeadlineSpec | LeadTimeSpec | RecurringSpec | MaxDurationSpec, Field(discriminator="kind")
]
STANDARD_KINDS: dict[str, type[_StandardBase]] = {
    "deadline": DeadlineSpec,
    "lead_time": LeadTimeSpec,
    "recurring": RecurringSpec,
    "max_duration": MaxDurationSpec,
}


class CalendarSpec(_Frozen):
    """Local additions to the England & Wales working-day calendar."""

    closure_days: tuple[dt.date, ...] = Field(
        default=(), description="days the authority is closed, on top of bank holidays"
    )
    term_dates: str | None = Field(
        default=None,
        description="the authority's own school term dates: a CSV file in the form of the shipped "
        "England file (academic_year,term,starts,ends,half_term_starts,half_term_ends), relative "
        "to this file; without it, school_days, terms and school_years use England's shipped dates",
    )


class WorkflowFileSpec(_Frozen):
    """One workflow file, as written (before inheritance is applied)."""

    kind: Literal["workflow"] | None = Field(
        default=None,
        description="say `workflow` when the file is not in a workflows/ folder (a file there "
        "is a workflow, one in scenarios/ a scenario)",
    )
    id: Identifier = Field(description="the authority id; must match the file name")
    title: str = Field(min_length=1, description="the authority's name, as reports show it")
    extends: ExtendsRef | None = Field(
        default=None,
        description="the workflow this one builds on: an id, found beside this file or else "
        "among the shipped workflows (national), or a path from this file's folder",
    )
    documents: tuple[DocumentSpec, ...] = Field(
        default=(), description="every document a source may cite"
    )
    calendar: CalendarSpec = Field(
        default=CalendarSpec(), description="local closure days on top of bank holidays"
    )
    phases: tuple[PhaseSpec, ...] = Field(
        default=(), description="groups of states drawn together (front door, child protection)"
    )
    states: tuple[StateSpec, ...] = Field(
        default=(), description="the stages of the journey (or, extending, those added or changed)"
    )
    activities: tuple[ActivitySpec, ...] = Field(
        default=(), description="what is recorded while in a state: visits, meetings, reviews"
    )
    transitions: tuple[TransitionSpec, ...] = Field(
        default=(), description="the legal moves between states"
    )
    standards: tuple[StandardSpec, ...] = Field(
        default=(),
        description="the timescales, each with its source; `kind` is deadline, lead_time, "
        "recurring or max_duration",
    )
    remove_standards: tuple[Identifier, ...] = Field(
        default=(), description="ids of inherited standards that do not apply here"
    )
    remove_transitions: tuple[Identifier, ...] = Field(
        default=(), description="triggers of inherited moves that do not exist here"
    )


def standard_duration_fields(kind: str) -> tuple[str, ...]:
    """The duration-valued fields of a standard kind, for messages and comparisons."""
    return {
        "deadline": ("within",),
        "lead_time": ("at_least",),
        "recurring": ("first", "second", "every"),
        "max_duration": ("within",),
    }[kind]


def is_age_event(event: str) -> bool:
    """Whether ``event`` is an age anchor such as ``age:16``."""
    return re.fullmatch(r"age:\d{1,2}", event) is not None
