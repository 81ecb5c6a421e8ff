"""Calls reported by the telephony system (PBX or cloud provider), placed without a person.

Where a reported call goes:

- **missed**, from a known requester (by phone) with an open ticket → on their most recently
  updated open ticket: a ``call_logged`` event noting "Missed call from …, please call back"
  (the event's note: an internal comment needs an author, and the system has none);
- **missed**, from anyone else (unknown number, several people share it, or a known person
  with nothing open) → a callback ticket: a service request titled "Callback: missed call
  from <number>", channel phone, routed like any ticket (the service desk unless a rule
  says otherwise), requester the caller or the channel's record for the number. The next
  missed call from that number then lands on that same open ticket instead of a new one;
- **answered**, from a known requester with exactly one open ticket → logged on it;
- anything else → stored **unlinked**, waiting in L1's queue to be attached
  (:func:`tierdesk.phone.selectors.unlinked_calls`, :func:`services.attach_call`).

``provider_call_id`` is unique per provider: a retry or replay of the same report returns
the first call and changes nothing; the same id with different call data is a conflict.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.core.errors import Conflict, InvalidInput
from tierdesk.phone import callers, numbers
from tierdesk.phone.models import Call, Direction, Outcome, Source
from tierdesk.phone.services import call_times, record_on_ticket
from tierdesk.tickets.models import Channel, Ticket, TicketType
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.services import NewTicket, create_ticket
from tierdesk.tickets.services._common import clean_text

TRANSCRIPT_MAX = 100_000
URL_MAX = 2000
CALL_ID_MAX = 200
DEFAULT_PROVIDER = "default"
_PROVIDER = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_http_url = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class ProviderCall:
    """One completed call as the telephony system reports it."""

    provider_call_id: str
    caller: str
    callee: str
    started_at: datetime
    ended_at: datetime
    answered: bool
    provider: str = DEFAULT_PROVIDER
    recording_url: str | None = None
    transcript: str | None = None


def record_provider_call(report: ProviderCall, *, at: datetime | None = None) -> tuple[Call, bool]:
    """Store and place a reported call; ``(call, False)`` when it was already recorded."""
    now = at or timezone.now()
    fields = _validated(report, now)
    fingerprint = hashlib.sha256(
        json.dumps(fields, sort_keys=True, default=str).encode()
    ).hexdigest()
    provider, call_id = str(fields["provider"]), str(fields["provider_call_id"])
    try:
        with transaction.atomic():
            existing = _find(provider, call_id)
            if existing is not None:
                return _replayed(existing, fingerprint), False
            # Inserted first: a concurrent duplicate waits on the unique index right here.
            call = Call.objects.create(
                **fields, fingerprint=fingerprint, outcome=Outcome.UNLINKED, created_at=now
            )
            _place(call, now)
            return call, True
    except IntegrityError:
        existing = _find(provider, call_id)
        if existing is None:
            raise
        return _replayed(existing, fingerprint), False


def _validated(report: ProviderCall, now: datetime) -> dict[str, object]:
    provider = report.provider or DEFAULT_PROVIDER
    if not _PROVIDER.fullmatch(provider):
        raise InvalidInput(
            "provider: lowercase letters, digits, - and _, at most 40", field="provider"
        )
    call_id = report.provider_call_id.strip()
    if not call_id or len(call_id) > CALL_ID_MAX or not call_id.isprintable():
        raise InvalidInput(
            f"provider_call_id must be 1–{CALL_ID_MAX} printable characters",
            field="provider_call_id",
        )
    start, end = call_times(report.started_at, report.ended_at, now)
    url = (report.recording_url or "").strip()
    if url:
        try:
            if len(url) > URL_MAX:
                raise ValidationError("too long")
            _http_url(url)
        except ValidationError:
            raise InvalidInput(
                f"recording_url must be an http(s) URL of at most {URL_MAX} characters",
                field="recording_url",
            ) from None
    fields: dict[str, object] = {
        "provider": provider,
        "provider_call_id": call_id,
        "caller_number": numbers.normalise(report.caller, "caller"),
        "callee_number": numbers.normalise(report.callee, "callee"),
        "direction": Direction.INBOUND,
        "started_at": start,
        "ended_at": end,
        "duration_seconds": int((end - start).total_seconds()),
        "answered": report.answered,
        "recording_url": url,
        "transcript": clean_text(
            report.transcript, "transcript", max_length=TRANSCRIPT_MAX, required=False
        ),
        "source": Source.WEBHOOK,
    }
    return fields


def _find(provider: str, call_id: str) -> Call | None:
    return (
        Call.objects.select_related("ticket", "caller", "logged_by")
        .filter(provider=provider, provider_call_id=call_id)
        .first()
    )


def _replayed(call: Call, fingerprint: str) -> Call:
    if call.fingerprint != fingerprint:
        raise Conflict(
            f"provider_call_id {call.provider_call_id!r} was already recorded with other data",
            field="provider_call_id",
        )
    return call


def _open_tickets(person: User, limit: int) -> list[Ticket]:
    """The person's open tickets, most recently updated first, locked for this command."""
    tickets = (
        Ticket.objects.select_for_update()
        .filter(requester=person, status__in=OPEN_STATUSES)
        .order_by("-updated_at", "-pk")
    )
    return list(tickets[:limit])


def _place(call: Call, now: datetime) -> None:
    match = callers.match_number(call.caller_number)
    if call.answered:
        _place_answered(call, match.person, now)
    else:
        _place_missed(call, match.person, now)
    call.save(update_fields=["ticket", "caller", "outcome"])


def _place_missed(call: Call, person: User | None, now: datetime) -> None:
    number = call.caller_number
    requester = person or callers.channel_requester(number)
    call.caller = requester
    if requester is None:  # an administrator blocked the number: L1 sees it, no ticket
        return
    found = _open_tickets(requester, 1)
    if found:
        ticket, call.outcome = found[0], Outcome.ADDED
    else:
        ticket = create_ticket(
            NewTicket(
                title=f"Callback: missed call from {number}",
                description=(
                    f"{number} called {call.callee_number} at "
                    f"{call.started_at:%Y-%m-%d %H:%M:%S} UTC and nobody answered "
                    f"(rang {call.duration_seconds} s). Please call back."
                ),
                type=TicketType.SERVICE_REQUEST,
                channel=Channel.PHONE,
            ),
            requester=requester,
            at=now,
        )
        call.outcome = Outcome.CALLBACK
    call.ticket = ticket
    note = f"Missed call from {number}, please call back"
    record_on_ticket(call, ticket, actor=None, note=note, now=now)


def _place_answered(call: Call, person: User | None, now: datetime) -> None:
    call.caller = person
    if person is None:
        return
    found = _open_tickets(person, 2)
    if len(found) != 1:
        return
    call.ticket, call.outcome = found[0], Outcome.ADDED
    note = f"Answered call from {call.caller_number} ({call.duration_seconds} s)"
    record_on_ticket(call, found[0], actor=None, note=note, now=now)
