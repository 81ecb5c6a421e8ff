from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import Conflict, Forbidden, InvalidInput
from tierdesk.notifications import services as notifications
from tierdesk.org import policies
from tierdesk.scheduler.models import TimerKind
from tierdesk.scheduler.timers import TimerSpec, arm, disarm
from tierdesk.slas import services as clocks
from tierdesk.tickets.lifecycle import REQUESTER_MOVES, check_transition
from tierdesk.tickets.models import Status, Ticket
from tierdesk.tickets.models.enums import FINAL_STATUSES
from tierdesk.tickets.services._common import (
    check_version,
    clean_text,
    end_stint,
    lock,
    participate,
)
from tierdesk.tickets.services.held import Held, Locked

PAUSED = (Status.WAITING_ON_CUSTOMER, Status.RESOLVED)


def transition(
    ticket: Ticket,
    to: str,
    *,
    actor: User | None,
    note: str = "",
    channel: str = "api",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Move a ticket along the lifecycle table; ``actor=None`` is the system (scheduler)."""
    note = clean_text(note, "note", max_length=20_000, required=False)
    with transaction.atomic():
        ticket = lock(ticket)
        now = at or timezone.now()
        if actor is not None:
            _authorise(actor, ticket, to)
        check_version(ticket, expected_version)
        held = Locked.by(ticket, actor, channel, now)
        transition_held(held, to, actor=actor, note=note)
        held.write()
    return ticket


def transition_held(held: Held, to: str, *, actor: User | None, note: str = "") -> None:
    """The transition on a ticket the caller holds locked (and has authorised ``actor`` on):
    the lifecycle table, the effects on clocks and timers, the event and the notification.
    The ticket's new version and its event go to ``held``; the scheduler closes resolved
    tickets through here, inside its batch."""
    ticket, now = held.ticket, held.now
    check_transition(ticket.status, to)
    before = ticket.status
    if to == Status.ASSIGNED and ticket.assignee_id is None:
        raise InvalidInput("assign the ticket to someone before marking it assigned", field="to")
    changed = _apply_effects(ticket, before, to, now)
    ticket.status = to
    held.save("status", *changed)
    held.trail.add("status_changed", field="status", before=before, after=to, note=note)
    participate(ticket, actor)
    notifications.status_changed(ticket, to)


def _authorise(actor: User, ticket: Ticket, to: str) -> None:
    if policy.is_requester_of(actor, ticket) and actor.role == "requester":
        policy.require_view(actor, ticket)
        if to not in REQUESTER_MOVES.get(Status(ticket.status), frozenset()):
            raise Forbidden(f"you cannot move your ticket from {ticket.status} to {to}")
        return
    policy.require_work(actor, ticket)


def _apply_effects(ticket: Ticket, before: str, to: str, now: datetime) -> list[str]:
    changed: list[str] = list(clocks.SLA_FIELDS)
    if before == Status.RESOLVED and to == Status.IN_PROGRESS:
        window = timedelta(days=policies.reopen_days())
        if ticket.resolved_at and now - ticket.resolved_at > window:
            raise Conflict(
                f"{ticket.key} was resolved more than {window.days} days ago and "
                "can no longer be reopened; open a new ticket"
            )
        ticket.resolved_at = None
        changed.append("resolved_at")
        disarm(ticket.pk, [TimerKind.AUTO_CLOSE])
    if to == Status.RESOLVED:
        ticket.resolved_at = now
        changed.append("resolved_at")
        if ticket.first_responded_at is None:
            clocks.first_response(ticket, now)
            changed.append("first_responded_at")
        arm(
            ticket.pk,
            [TimerSpec(TimerKind.AUTO_CLOSE, now + timedelta(days=policies.auto_close_days()))],
        )
    if to in FINAL_STATUSES:
        ticket.closed_at = now
        changed.append("closed_at")
        clocks.stop(ticket)
        disarm(ticket.pk)
        end_stint(ticket, now)
    elif to in PAUSED and before not in PAUSED:
        clocks.pause(ticket, now)
    elif before in PAUSED and to not in PAUSED:
        clocks.resume(ticket, now)
    return changed
