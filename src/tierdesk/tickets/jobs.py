"""Time-driven ticket work run by the scheduler."""

from __future__ import annotations

from datetime import datetime

from tierdesk.scheduler.models import Timer
from tierdesk.tickets.models import Status, Ticket
from tierdesk.tickets.services.lifecycle import transition


def auto_close_due(ticket: Ticket, timer: Timer, now: datetime) -> None:
    if ticket.status == Status.RESOLVED:
        transition(
            ticket,
            Status.CLOSED,
            actor=None,
            channel="system",
            at=now,
            note="closed automatically after the resolution was not disputed",
        )
