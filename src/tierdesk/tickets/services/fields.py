from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import Conflict, InvalidInput
from tierdesk.org.models import Service
from tierdesk.slas import services as clocks
from tierdesk.tickets.models import Level, Priority, Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.priority import derive_priority, is_major
from tierdesk.tickets.services._common import (
    check_version,
    choice,
    clean_text,
    lock,
    participate,
    save,
    trail_for,
)
from tierdesk.tickets.services.create import DESCRIPTION_MAX, TITLE_MAX


@dataclass(frozen=True)
class TicketChanges:
    """Fields a client may change; ``None`` means "leave as is"; ``service=""`` clears it."""

    title: str | None = None
    description: str | None = None
    impact: str | None = None
    urgency: str | None = None
    category: str | None = None
    service: str | None = None
    priority: str | None = None
    priority_reason: str | None = None


def update_ticket(
    ticket: Ticket,
    changes: TicketChanges,
    *,
    actor: User | None,
    expected_version: int | None,
    channel: str = "api",
    at: datetime | None = None,
) -> Ticket:
    """Edit fields under optimistic concurrency. Impact or urgency re-derive the priority
    unless it was overridden; an override needs a reason, recorded in the event."""
    with transaction.atomic():
        ticket = lock(ticket)
        now = at or timezone.now()
        if actor is not None:
            policy.require_work(actor, ticket)
        check_version(ticket, expected_version)
        if ticket.status not in OPEN_STATUSES:
            raise Conflict(f"{ticket.key} is {ticket.status}; reopen it to change it")
        trail = trail_for(ticket, actor, channel, now)
        changed: list[str] = []

        def put(name: str, value: object) -> None:
            before = getattr(ticket, name)
            if before != value:
                trail.change(name, before, value)
                setattr(ticket, name, value)
                changed.append(name)

        if changes.title is not None:
            put(
                "title",
                " ".join(
                    clean_text(changes.title, "title", max_length=TITLE_MAX, required=True).split()
                ),
            )
        if changes.description is not None:
            put(
                "description",
                clean_text(
                    changes.description, "description", max_length=DESCRIPTION_MAX, required=False
                ),
            )
        if changes.category is not None:
            put(
                "category", clean_text(changes.category, "category", max_length=100, required=False)
            )
        if changes.service is not None:
            service = (
                Service.objects.filter(slug=changes.service).first() if changes.service else None
            )
            if changes.service and service is None:
                raise InvalidInput(f"service: no service {changes.service!r}", field="service")
            before_slug = ticket.service.slug if ticket.service else None
            if before_slug != (service.slug if service else None):
                trail.change("service", before_slug, service.slug if service else None)
                ticket.service = service
                changed.append("service")
        if changes.impact is not None:
            put("impact", choice(changes.impact, "impact", Level.values, ticket.impact))
        if changes.urgency is not None:
            put("urgency", choice(changes.urgency, "urgency", Level.values, ticket.urgency))
        _priority(ticket, changes, trail, changed)
        if "priority" in changed:
            clocks.reprioritise(ticket, now)
            changed += clocks.SLA_FIELDS
            if is_major(ticket) and not ticket.major_incident:
                ticket.major_incident = True
                trail.add("major_incident", after=True)
                changed.append("major_incident")
        if not changed:
            return ticket
        save(ticket, now, *dict.fromkeys(changed))
        trail.flush()
        participate(ticket, actor)
    return ticket


def _priority(ticket: Ticket, changes: TicketChanges, trail: object, changed: list[str]) -> None:
    from tierdesk.audit.services import AuditTrail

    assert isinstance(trail, AuditTrail)
    before = ticket.priority
    if changes.priority is not None:
        priority = choice(changes.priority, "priority", Priority.values, ticket.priority)
        reason = clean_text(
            changes.priority_reason, "priority_reason", max_length=2000, required=True
        )
        ticket.priority_overridden = True
        changed.append("priority_overridden")
        if priority != before:
            ticket.priority = priority
            trail.add(
                "priority_overridden", field="priority", before=before, after=priority, note=reason
            )
            changed.append("priority")
        return
    if ticket.priority_overridden or not {"impact", "urgency"} & set(changed):
        return
    derived = derive_priority(ticket.impact, ticket.urgency)
    if derived != before:
        ticket.priority = derived
        trail.change("priority", before, derived)
        changed.append("priority")
