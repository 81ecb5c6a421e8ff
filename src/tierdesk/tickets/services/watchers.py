from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services._common import lock, save, trail_for


def add_watcher(
    ticket: Ticket,
    watcher: User,
    *,
    actor: User | None,
    channel: str = "api",
    at: datetime | None = None,
) -> bool:
    """Let ``watcher`` follow the ticket's future public replies (never its history or notes).

    Returns False when they already watch it. ``actor=None`` is a channel acting on a
    participant's behalf (e.g. a Cc on a verified reply); the channel has checked that.
    """
    with transaction.atomic():
        ticket = lock(ticket)
        if actor is not None and actor.role != "requester":
            policy.require_work(actor, ticket)
        if ticket.watchers.filter(pk=watcher.pk).exists():
            return False
        now = at or timezone.now()
        ticket.watchers.add(watcher)
        save(ticket, now)
        trail = trail_for(ticket, actor, channel, now)
        trail.add("watcher_added", after=watcher.username)
        trail.flush()
    return True
