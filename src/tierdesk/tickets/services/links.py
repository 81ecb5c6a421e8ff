from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import Conflict, InvalidInput
from tierdesk.tickets.models import LinkKind, Status, Ticket, TicketLink
from tierdesk.tickets.models.enums import FINAL_STATUSES
from tierdesk.tickets.services._common import lock, participate, save, trail_for


def link(
    source: Ticket,
    target: Ticket,
    kind: str,
    *,
    actor: User | None,
    channel: str = "api",
    at: datetime | None = None,
) -> TicketLink:
    """Relate two tickets (parent of, duplicate of, related, caused by); both record it."""
    if kind not in LinkKind.values:
        raise InvalidInput(
            f"kind: {kind!r} is not one of {', '.join(LinkKind.values)}", field="kind"
        )
    if source.pk == target.pk:
        raise InvalidInput("a ticket cannot be linked to itself", field="target")
    with transaction.atomic():
        first, second = sorted([source.pk, target.pk])  # lock in id order: no deadlocks
        locked = {first: lock(first), second: lock(second)}
        source, target = locked[source.pk], locked[target.pk]
        now = at or timezone.now()
        if actor is not None:
            policy.require_work(actor, source)
            policy.require_view(actor, target)
        created, was_new = TicketLink.objects.get_or_create(
            source=source, target=target, kind=kind, defaults={"created_at": now}
        )
        if not was_new:
            return created
        for ticket, other, side in ((source, target, "out"), (target, source, "in")):
            trail = trail_for(ticket, actor, channel, now)
            trail.add("linked", after={"kind": kind, "ticket": other.key, "side": side})
            trail.flush()
            save(ticket, now)
        participate(source, actor)
    return created


def merge(
    duplicate: Ticket,
    primary: Ticket,
    *,
    actor: User | None,
    note: str = "",
    channel: str = "api",
    at: datetime | None = None,
) -> Ticket:
    """Close ``duplicate`` as a duplicate of ``primary``; both keep their own history."""
    with transaction.atomic():
        if duplicate.pk == primary.pk:
            raise InvalidInput("a ticket cannot be merged into itself", field="target")
        link(duplicate, primary, LinkKind.DUPLICATE_OF, actor=actor, channel=channel, at=at)
        duplicate = lock(duplicate)
        if duplicate.status in FINAL_STATUSES:
            raise Conflict(f"{duplicate.key} is already {duplicate.status}")
        if primary.status in FINAL_STATUSES:
            raise Conflict(f"{primary.key} is {primary.status}; merge into an open ticket")
        from tierdesk.tickets.services.lifecycle import transition

        now = at or timezone.now()
        duplicate.merged_into = primary
        save(duplicate, now, "merged_into")
        trail = trail_for(duplicate, actor, channel, now)
        trail.add("merged", after=primary.key, note=note)
        trail.flush()
        trail = trail_for(primary, actor, channel, now)
        trail.add("merged_from", after=duplicate.key, note=note)
        trail.flush()
        return transition(
            duplicate,
            Status.CANCELLED,
            actor=actor,
            channel=channel,
            note=f"merged into {primary.key}",
            at=now,
        )
