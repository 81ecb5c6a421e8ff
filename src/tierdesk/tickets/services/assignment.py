from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import Conflict, InvalidInput
from tierdesk.notifications import services as notifications
from tierdesk.org.models import Membership
from tierdesk.tickets.models import Status, Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.services._common import check_version, lock, participate, save, trail_for


def assign(
    ticket: Ticket,
    assignee: User | None,
    *,
    actor: User | None,
    channel: str = "api",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Give the ticket to a member of its team (or take it back with ``None``).

    Assigning a new ticket marks it assigned; unassigning an assigned ticket returns it to
    new, so the queue shows it as unowned again.
    """
    with transaction.atomic():
        ticket = lock(ticket)
        now = at or timezone.now()
        if actor is not None:
            policy.require_work(actor, ticket)
        check_version(ticket, expected_version)
        if ticket.status not in OPEN_STATUSES:
            raise Conflict(f"{ticket.key} is {ticket.status}; only open tickets can be assigned")
        if (
            assignee is not None
            and not Membership.objects.filter(user=assignee, team_id=ticket.team_id).exists()
        ):
            raise InvalidInput(
                f"{assignee.username} is not a member of {ticket.team.name}", field="assignee"
            )
        before = ticket.assignee.username if ticket.assignee else None
        after = assignee.username if assignee else None
        if before == after:
            return ticket
        ticket.assignee = assignee
        fields = ["assignee"]
        trail = trail_for(ticket, actor, channel, now)
        trail.add("assigned", field="assignee", before=before, after=after)
        if assignee is not None and ticket.status == Status.NEW:
            trail.add("status_changed", field="status", before=ticket.status, after=Status.ASSIGNED)
            ticket.status = Status.ASSIGNED
            fields.append("status")
        elif assignee is None and ticket.status == Status.ASSIGNED:
            trail.add("status_changed", field="status", before=ticket.status, after=Status.NEW)
            ticket.status = Status.NEW
            fields.append("status")
        save(ticket, now, *fields)
        trail.flush()
        participate(ticket, actor)
        if assignee is not None and assignee != actor:
            notifications.assigned(ticket, assignee)
    return ticket
