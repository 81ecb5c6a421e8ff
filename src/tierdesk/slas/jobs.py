"""What happens when an SLA timer comes due. Run by the scheduler on a locked ticket.

Each handler changes the ticket in memory and records its event and alert on the
:class:`~tierdesk.scheduler.firing.Firing`; the scheduler writes a whole batch at once.
"""

from __future__ import annotations

from tierdesk.accounts.models import User
from tierdesk.scheduler.firing import Firing
from tierdesk.scheduler.models import Timer, TimerKind
from tierdesk.tickets.models import Ticket


def _fired(ticket: Ticket, kind: str) -> None:
    ticket.sla_snapshot["fired"] = sorted({*ticket.sla_snapshot.get("fired", ()), kind})


def _watchers_of_clock(ticket: Ticket) -> list[User]:
    people = [ticket.assignee, ticket.team.lead]
    return [p for p in people if p is not None]


def first_response_due(firing: Firing, timer: Timer) -> None:
    ticket = firing.ticket
    if ticket.first_responded_at is not None:
        return
    ticket.first_response_breached = True
    _fired(ticket, TimerKind.FIRST_RESPONSE)
    firing.save("first_response_breached", "sla_snapshot")
    firing.event("sla_breached", field="first_response", data={"due_at": timer.due_at.isoformat()})
    firing.alert(
        "sla_breach",
        _watchers_of_clock(ticket),
        "first-response target missed",
        dedup=f"{ticket.key}:breach:first",
    )


def resolution_warning_due(firing: Firing, timer: Timer) -> None:
    ticket = firing.ticket
    _fired(ticket, TimerKind.RESOLUTION_WARNING)
    firing.save("sla_snapshot")
    firing.event(
        "sla_warning",
        field="resolution",
        data={
            "due_at": ticket.resolution_due_at.isoformat() if ticket.resolution_due_at else None,
            "percent": ticket.sla_snapshot.get("warning_percent"),
        },
    )
    firing.alert(
        "sla_warning",
        _watchers_of_clock(ticket),
        "resolution target at risk",
        dedup=f"{ticket.key}:warning:{timer.due_at.isoformat()}",
    )


def resolution_due(firing: Firing, timer: Timer) -> None:
    ticket = firing.ticket
    ticket.resolution_breached = True
    _fired(ticket, TimerKind.RESOLUTION)
    firing.save("resolution_breached", "sla_snapshot")
    firing.event("sla_breached", field="resolution", data={"due_at": timer.due_at.isoformat()})
    firing.alert(
        "sla_breach",
        _watchers_of_clock(ticket),
        "resolution target missed",
        dedup=f"{ticket.key}:breach:resolution",
    )
