"""What happens when an SLA timer comes due. Run by the scheduler on a locked ticket."""

from __future__ import annotations

from datetime import datetime

from tierdesk.accounts.models import User
from tierdesk.notifications import services as notifications
from tierdesk.scheduler.models import Timer, TimerKind
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services._common import save, trail_for


def _fired(ticket: Ticket, kind: str) -> None:
    ticket.sla_snapshot["fired"] = sorted({*ticket.sla_snapshot.get("fired", ()), kind})


def _watchers_of_clock(ticket: Ticket) -> list[User]:
    people = [ticket.assignee, ticket.team.lead]
    return [p for p in people if p is not None]


def first_response_due(ticket: Ticket, timer: Timer, now: datetime) -> None:
    if ticket.first_responded_at is not None:
        return
    ticket.first_response_breached = True
    _fired(ticket, TimerKind.FIRST_RESPONSE)
    save(ticket, now, "first_response_breached", "sla_snapshot")
    trail = trail_for(ticket, None, "system", now)
    trail.add("sla_breached", field="first_response", data={"due_at": timer.due_at.isoformat()})
    trail.flush()
    notifications.sla_alert(
        ticket,
        "sla_breach",
        _watchers_of_clock(ticket),
        "first-response target missed",
        dedup=f"{ticket.key}:breach:first",
    )


def resolution_warning_due(ticket: Ticket, timer: Timer, now: datetime) -> None:
    _fired(ticket, TimerKind.RESOLUTION_WARNING)
    save(ticket, now, "sla_snapshot")
    trail = trail_for(ticket, None, "system", now)
    trail.add(
        "sla_warning",
        field="resolution",
        data={
            "due_at": ticket.resolution_due_at.isoformat() if ticket.resolution_due_at else None,
            "percent": ticket.sla_snapshot.get("warning_percent"),
        },
    )
    trail.flush()
    notifications.sla_alert(
        ticket,
        "sla_warning",
        _watchers_of_clock(ticket),
        "resolution target at risk",
        dedup=f"{ticket.key}:warning:{timer.due_at.isoformat()}",
    )


def resolution_due(ticket: Ticket, timer: Timer, now: datetime) -> None:
    ticket.resolution_breached = True
    _fired(ticket, TimerKind.RESOLUTION)
    save(ticket, now, "resolution_breached", "sla_snapshot")
    trail = trail_for(ticket, None, "system", now)
    trail.add("sla_breached", field="resolution", data={"due_at": timer.due_at.isoformat()})
    trail.flush()
    notifications.sla_alert(
        ticket,
        "sla_breach",
        _watchers_of_clock(ticket),
        "resolution target missed",
        dedup=f"{ticket.key}:breach:resolution",
    )
