"""Arming and disarming a ticket's timers. Callers hold the ticket's row lock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tierdesk.scheduler.models import Timer


@dataclass(frozen=True)
class TimerSpec:
    kind: str
    due_at: datetime
    step: int = 0


def arm(ticket_id: int, specs: Sequence[TimerSpec], *, replace: Iterable[str] = ()) -> None:
    """Set the given timers; ``replace`` names kinds to clear first (re-arming).

    Deleting and inserting (rather than updating) gives a re-armed timer a new row, so a
    worker that claimed the old row can never fire the new one.
    """
    kinds = set(replace) | {spec.kind for spec in specs}
    if kinds and replace:
        Timer.objects.filter(ticket_id=ticket_id, kind__in=kinds).delete()
    if specs:
        Timer.objects.bulk_create(
            Timer(ticket_id=ticket_id, kind=spec.kind, due_at=spec.due_at, step=spec.step)
            for spec in specs
        )


def disarm(ticket_id: int, kinds: Iterable[str] | None = None) -> None:
    timers = Timer.objects.filter(ticket_id=ticket_id)
    if kinds is not None:
        timers = timers.filter(kind__in=list(kinds))
    timers.delete()
