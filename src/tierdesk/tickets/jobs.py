"""Time-driven ticket work run by the scheduler."""

from __future__ import annotations

from tierdesk.scheduler.firing import Firing
from tierdesk.scheduler.models import Timer
from tierdesk.tickets.models import Status
from tierdesk.tickets.services.lifecycle import transition_held

AUTO_CLOSE_NOTE = "closed automatically after the resolution was not disputed"


def auto_close_due(firing: Firing, timer: Timer) -> None:
    """A ticket still resolved when its auto-close timer comes due is closed by the system,
    through the transition command (inside the scheduler's batch)."""
    if firing.ticket.status == Status.RESOLVED:
        with firing.command():
            transition_held(firing, Status.CLOSED, actor=None, note=AUTO_CLOSE_NOTE)
