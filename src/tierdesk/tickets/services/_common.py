from __future__ import annotations

from datetime import datetime

from django.db import transaction

from tierdesk.accounts.models import User
from tierdesk.audit.services import AuditTrail, ticket_chain
from tierdesk.core.errors import InvalidInput, NotFound, StaleVersion
from tierdesk.core.rows import insert_many
from tierdesk.tickets.models import Participation, Ticket

SYSTEM_CHANNEL = "system"


def lock(ticket: Ticket | int) -> Ticket:
    """Re-read the ticket under its row lock; commands never act on a stale copy."""
    pk = ticket if isinstance(ticket, int) else ticket.pk
    try:
        return (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("team", "requester", "assignee")
            .get(pk=pk)
        )
    except Ticket.DoesNotExist:
        raise NotFound(f"no ticket with id {pk}") from None


def check_version(ticket: Ticket, expected: int | None) -> None:
    if expected is not None and expected != ticket.version:
        raise StaleVersion(ticket.version)


def trail_for(ticket: Ticket, actor: User | None, channel: str, at: datetime) -> AuditTrail:
    return AuditTrail(
        chain=ticket_chain(ticket.pk),
        actor_id=actor.pk if actor else None,
        channel=channel,
        at=at,
        ticket_id=ticket.pk,
    )


def save(ticket: Ticket, at: datetime, *fields: str) -> None:
    """Write ``fields`` of a ticket read with :func:`lock`, with its next version.

    An UPDATE by primary key rather than ``Model.save``, which reads the row count to check
    that the row is still there (the lock says it is) and cannot run pipelined
    (``core.pipeline``).
    """
    ticket.version += 1
    ticket.updated_at = at
    wanted = {*fields, "version", "updated_at"}
    values = {
        field.attname: getattr(ticket, field.attname)
        for field in Ticket._meta.concrete_fields
        if field.name in wanted or field.attname in wanted
    }
    Ticket.objects.filter(pk=ticket.pk).update(**values)


def participate(ticket: Ticket, user: User | None) -> None:
    if user is not None and user.role != "requester":
        insert_many([Participation(ticket=ticket, user=user)], ignore_conflicts=True)


def clean_text(value: str | None, field: str, *, max_length: int, required: bool) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return text


def choice(value: str | None, field: str, allowed: list[str], default: str) -> str:
    if value is None or value == "":
        return default
    if value not in allowed:
        raise InvalidInput(f"{field}: {value!r} is not one of {', '.join(allowed)}", field=field)
    return value


def after_commit(callback: object) -> None:
    transaction.on_commit(callback)  # type: ignore[arg-type]


def end_stint(ticket: Ticket, now: datetime) -> int:
    """Close the ticket's current stay at its team; returns the seconds spent there."""
    from tierdesk.tickets.models import TierStint

    stint = TierStint.objects.filter(ticket=ticket, ended_at__isnull=True).order_by("-pk").first()
    if stint is None:
        return 0
    stint.ended_at = now
    stint.seconds = max(0, int((now - stint.started_at).total_seconds()))
    stint.save(update_fields=["ended_at", "seconds"])
    return stint.seconds
