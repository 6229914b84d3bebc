"""What the run plans for a later day, and the work a team queues: small named records.

Each agenda action is one record type with one handler (``run.Run.dispatch`` finds it by the
type): the record says what is to happen, the handler (in the module of its mechanism) does it.
Records are tuples underneath, so a day's agenda of thousands of them stays small and fast.
"""

from __future__ import annotations

from typing import Final, NamedTuple

#: ``record(Work, (case, token, ...))`` is ``Work(case, token, ...)`` made without the Python-level
#: ``__new__`` of a NamedTuple, at less than half the cost: for the hottest paths, which make
#: millions of records a run.
record: Final = tuple.__new__


class Exit(NamedTuple):
    """The planned end of a stay (handled in ``cases``): still valid while ``entry`` is current."""

    case: int
    entry: int


class ArriveBooked(NamedTuple):
    """A booked entry into ``state`` takes place, or is adjourned (``booking``)."""

    case: int
    entry: int
    state: int
    asked: float


class Release(NamedTuple):
    """A task joins its team's queue, or is done if it needs no work (``tasks``)."""

    rule: int
    case: int
    token: int
    due: int
    limit: int
    asked: float


class Meet(NamedTuple):
    """A booked task takes place (``tasks``)."""

    rule: int
    case: int
    token: int
    due: int
    asked: float


class Prepare(NamedTuple):
    """Work before a booked task (reports) joins the queue (``tasks``)."""

    rule: int
    case: int
    token: int
    booked: int


class Mark(NamedTuple):
    """A milestone (``tasks``)."""

    case: int
    code: int


class Work(NamedTuple):
    """A piece of work in a team's queue.

    ``token`` is the case's entry (a state's own work, ``rule`` -1) or the rule's token when it
    was queued: the work still applies only while it matches. ``limit``: it no longer applies
    from that day (a task owed before a booked event).
    """

    case: int
    token: int
    code: int
    hours: float
    due: int
    released: float
    rule: int
    limit: int


class Done(NamedTuple):
    """A server finished a piece of work begun on an earlier day (``work``)."""

    item: Work
    team: int
    server: int
    started: float


Action = Exit | ArriveBooked | Release | Meet | Prepare | Mark | Done
