"""Arming and disarming a ticket's timers. Callers hold the ticket's row lock."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from tierdesk.core.rows import build, insert_many
from tierdesk.core.scoped import bound
from tierdesk.scheduler.models import Timer, TimerKind


@dataclass(frozen=True)
class TimerSpec:
    kind: str
    due_at: datetime
    step: int = 0


@dataclass
class Rearm:
    """One call of :func:`arm` (or :func:`disarm`, which replaces kinds with nothing)."""

    specs: list[TimerSpec]
    replace: list[str] = field(default_factory=list)


@dataclass
class _Deferred:
    ticket_id: int
    into: list[Rearm]


_deferred: ContextVar[_Deferred | None] = ContextVar("timers_deferred", default=None)


@contextmanager
def deferred(ticket_id: int, into: list[Rearm]) -> Iterator[None]:
    """Inside this block, arming and disarming ``ticket_id``'s timers is recorded in ``into``
    instead of written: the scheduler runs a command on a ticket in the middle of a batch
    whose fired timers are deleted when the batch is written, and writes the command's
    timers after them, for the whole batch at once (see ``scheduler.firing``)."""
    with bound(_deferred, _Deferred(ticket_id, into)):
        yield


def _defer(ticket_id: int, rearm: Rearm) -> bool:
    deferring = _deferred.get()
    if deferring is None:
        return False
    if deferring.ticket_id != ticket_id:
        raise RuntimeError(f"timers of ticket {ticket_id} changed while another is deferred")
    deferring.into.append(rearm)
    return True


def arm(ticket_id: int, specs: Sequence[TimerSpec], *, replace: Iterable[str] = ()) -> None:
    """Set the given timers; ``replace`` names kinds to clear first (re-arming).

    Deleting and inserting (rather than updating) gives a re-armed timer a new row, so a
    worker that claimed the old row can never fire the new one.
    """
    if _defer(ticket_id, Rearm(list(specs), list(replace))):
        return
    kinds = set(replace) | {spec.kind for spec in specs}
    if kinds and replace:
        Timer.objects.filter(ticket_id=ticket_id, kind__in=kinds).delete()
    if specs:
        insert_many(
            [
                build(
                    Timer, ticket_id=ticket_id, kind=spec.kind, due_at=spec.due_at, step=spec.step
                )
                for spec in specs
            ]
        )


def disarm(ticket_id: int, kinds: Iterable[str] | None = None) -> None:
    """Clear the given kinds of timers, or all of them."""
    chosen = None if kinds is None else list(kinds)
    if _defer(ticket_id, Rearm([], list(TimerKind.values) if chosen is None else chosen)):
        return
    timers = Timer.objects.filter(ticket_id=ticket_id)
    if chosen is not None:
        timers = timers.filter(kind__in=chosen)
    timers.delete()
