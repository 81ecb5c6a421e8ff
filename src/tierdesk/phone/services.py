"""Commands of the phone channel: an agent logs a call, the telephony system reports one,
an L1 agent attaches a waiting call to a ticket.

Each command is one transaction: the call row, any requester or ticket it creates, the
``call_logged`` event on the ticket's audit chain and the agent's internal note commit
together or not at all. A call on a ticket is its own event kind, ``call_logged``, carrying
the call's codes (direction, number, times, duration, answered); the agent's words go in an
internal note through :func:`tierdesk.tickets.services.add_comment` with channel ``phone``.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import Conflict, Forbidden, InvalidInput
from tierdesk.phone import access, callers
from tierdesk.phone.models import Call, Direction, Outcome, Source
from tierdesk.tickets.models import Channel, Ticket
from tierdesk.tickets.models.enums import FINAL_STATUSES
from tierdesk.tickets.services import NewTicket, add_comment, create_ticket
from tierdesk.tickets.services._common import (
    choice,
    clean_text,
    lock,
    participate,
    save,
    trail_for,
)

NOTES_MAX = 100_000
LONGEST_CALL = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)


def call_times(
    started_at: datetime, ended_at: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """Both ends in UTC, checked: aware, in order, at most a day long, not in the future."""
    start, end = _utc(started_at, "started_at"), _utc(ended_at, "ended_at")
    if end < start:
        raise InvalidInput("ended_at is before started_at", field="ended_at")
    if end - start > LONGEST_CALL:
        raise InvalidInput("ended_at: a call cannot last more than 24 hours", field="ended_at")
    if end > now + CLOCK_SKEW:
        raise InvalidInput("ended_at is in the future", field="ended_at")
    return start, end


def _utc(value: datetime, field: str) -> datetime:
    if timezone.is_naive(value):
        raise InvalidInput(f"{field} must include a time zone offset", field=field)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidInput(f"{field} is out of range", field=field) from None


def log_call(
    agent: User,
    *,
    caller: str,
    direction: str,
    started_at: datetime,
    ended_at: datetime,
    notes: str,
    answered: bool = True,
    ticket: Ticket | None = None,
    new_ticket: NewTicket | None = None,
    requester: User | None = None,
    at: datetime | None = None,
) -> Call:
    """The "Log a call" command: the call an agent just had, on a ticket or a new one.

    ``caller`` is the other party's number or email; ``requester`` overrides the match
    (the agent picked one of several people). ``answered`` False records an attempt that
    reached nobody (a callback that went unanswered). An unknown caller becomes a requester (see
    :func:`callers.requester_for`). A new ticket has channel ``phone`` and the caller as
    requester, and is routed like any other (L1 unless a rule says otherwise).
    """
    access.require_call_logger(agent)
    now = at or timezone.now()
    direction = choice(direction, "direction", Direction.values, "")
    if not direction:
        raise InvalidInput("direction must be inbound or outbound", field="direction")
    start, end = call_times(started_at, ended_at, now)
    notes = clean_text(notes, "notes", max_length=NOTES_MAX, required=False)
    if (ticket is None) == (new_ticket is None):
        raise InvalidInput("give either ticket or new_ticket", field="ticket")
    if requester is not None and not requester.is_active:
        raise InvalidInput(f"requester: {requester.username} is deactivated", field="requester")
    with transaction.atomic():
        person, number = callers.requester_for(caller, requester)
        if ticket is None:
            assert new_ticket is not None
            new = dataclasses.replace(new_ticket, channel=Channel.PHONE)
            ticket = create_ticket(new, requester=person, actor=agent, at=now)
        inbound = direction == Direction.INBOUND
        call = Call.objects.create(
            ticket=ticket,
            caller=person,
            caller_number=number if inbound else "",
            callee_number="" if inbound else number,
            direction=direction,
            started_at=start,
            ended_at=end,
            duration_seconds=int((end - start).total_seconds()),
            answered=answered,
            notes=notes,
            logged_by=agent,
            source=Source.AGENT,
            outcome=Outcome.LOGGED,
            created_at=now,
        )
        record_on_ticket(call, ticket, actor=agent, note="", now=now)
        if notes:
            add_comment(ticket, notes, actor=agent, internal=True, channel=Channel.PHONE, at=now)
    return call


def attach_call(agent: User, call: Call, ticket: Ticket, *, at: datetime | None = None) -> Call:
    """Put a call the telephony system could not place onto a ticket (L1's attach queue)."""
    access.require_call_queue(agent, change=True)
    now = at or timezone.now()
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.outcome != Outcome.UNLINKED:
            where = f" is on {call.ticket.key}" if call.ticket else f" is {call.outcome}"
            raise Conflict(f"call {call.pk}{where}", field="call")
        call.ticket = ticket
        call.outcome = Outcome.ATTACHED
        call.save(update_fields=["ticket", "outcome"])
        record_on_ticket(call, ticket, actor=agent, note="", now=now)
    return call


def record_on_ticket(
    call: Call, ticket: Ticket, *, actor: User | None, note: str, now: datetime
) -> Ticket:
    """The ``call_logged`` event on the ticket's chain. ``actor`` None: the telephony system.

    Must run inside the caller's transaction; an actor needs the right to work on the ticket.
    """
    locked = lock(ticket)
    if actor is not None:
        policy.require_work(actor, locked)
    if locked.status in FINAL_STATUSES:
        raise Forbidden(f"{locked.key} is {locked.status}; open a new ticket instead")
    trail = trail_for(locked, actor, Channel.PHONE, now)
    trail.add("call_logged", note=note, data=call_data(call))
    save(locked, now)
    trail.flush()
    participate(locked, actor)
    return locked


def call_data(call: Call) -> dict[str, Any]:
    """What the audit event keeps of a call: codes and numbers, never the transcript."""
    return {
        "call_id": call.pk,
        "source": call.source,
        "direction": call.direction,
        "number": call.remote_number,
        "caller_number": call.caller_number,
        "callee_number": call.callee_number,
        "started_at": call.started_at.isoformat(),
        "ended_at": call.ended_at.isoformat(),
        "duration_seconds": call.duration_seconds,
        "answered": call.answered,
    }
