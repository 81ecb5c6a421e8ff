"""Read queries over tickets, always through the access policy."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.audit.models import Event
from tierdesk.core.errors import InvalidInput, NotFound
from tierdesk.tickets.models import Comment, Ticket

KEY_PREFIX = "TD-"
_NUMBER = re.compile(r"[0-9]{1,18}")
ORDERS = ("newest", "due")
REQUESTER_EVENT_KINDS = frozenset(
    {
        "created",
        "status_changed",
        "comment_added",
        "escalated",
        "de-escalated",
        "merged",
        "merged_from",
    }
)


def ticket_id_from_key(key: str) -> int:
    number = key.upper().removeprefix(KEY_PREFIX)
    if not _NUMBER.fullmatch(number):
        raise NotFound(f"no ticket {key!r}")
    return int(number)


def get_ticket(viewer: User, key: str) -> Ticket:
    """The ticket if ``viewer`` may see it; otherwise it does not exist (404)."""
    ticket = (
        policy.visible_tickets(
            viewer, Ticket.objects.select_related("team", "assignee", "requester", "service")
        )
        .filter(pk=ticket_id_from_key(key))
        .first()
    )
    if ticket is None:
        raise NotFound(f"no ticket {key}")
    return ticket


@dataclass(frozen=True)
class TicketFilters:
    status: list[str] | None = None
    type: str | None = None
    priority: str | None = None
    tier: int | None = None
    team: str | None = None
    assignee: str | None = None
    requester: str | None = None
    q: str | None = None
    unassigned: bool = False
    breaching: bool = False


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        raise InvalidInput("cursor is not one this server issued", field="cursor") from None
    if (
        not isinstance(values, list)
        or len(values) != 2
        or not isinstance(values[1], int)
        or not 0 <= values[1] < 2**63
        or not (values[0] is None or _is_timestamp(values[0]))
    ):
        raise InvalidInput("cursor is not one this server issued", field="cursor")
    return values


def _is_timestamp(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def list_tickets(
    viewer: User,
    filters: TicketFilters,
    *,
    limit: int = 50,
    cursor: str | None = None,
    order: str = "newest",
) -> tuple[list[Ticket], str | None]:
    """One page of visible tickets in a stable order, and the cursor of the next page.

    ``newest``: by id, descending. ``due``: by resolution due time, soonest first, paused and
    untimed tickets last, id breaking ties.
    """
    if order not in ORDERS:
        raise InvalidInput(f"order must be one of {', '.join(ORDERS)}", field="order")
    tickets = policy.visible_tickets(viewer, _filtered(filters)).select_related(
        "team", "assignee", "requester", "service"
    )
    if order == "newest":
        if cursor:
            tickets = tickets.filter(pk__lt=_decode(cursor)[1])
        tickets = tickets.order_by("-pk")
    else:
        if cursor:
            due, last_id = _decode(cursor)
            if due is None:
                tickets = tickets.filter(resolution_due_at__isnull=True, pk__gt=last_id)
            else:
                moment = datetime.fromisoformat(due)
                tickets = tickets.filter(
                    Q(resolution_due_at__gt=moment)
                    | Q(resolution_due_at=moment, pk__gt=last_id)
                    | Q(resolution_due_at__isnull=True)
                )
        # NULLs sort first on SQLite and last on PostgreSQL: make them last everywhere.
        tickets = tickets.order_by(F("resolution_due_at").asc(nulls_last=True), "pk")
    page = list(tickets[: limit + 1])
    if len(page) <= limit:
        return page, None
    page = page[:limit]
    last = page[-1]
    if order == "newest":
        return page, _encode([None, last.pk])
    due = last.resolution_due_at.isoformat() if last.resolution_due_at else None
    return page, _encode([due, last.pk])


def _filtered(filters: TicketFilters) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if filters.status:
        tickets = tickets.filter(status__in=filters.status)
    if filters.type:
        tickets = tickets.filter(type=filters.type)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.tier is not None:
        tickets = tickets.filter(tier=filters.tier)
    if filters.team:
        tickets = tickets.filter(team__slug=filters.team)
    if filters.assignee:
        tickets = tickets.filter(assignee__username=filters.assignee)
    if filters.unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    if filters.requester:
        tickets = tickets.filter(requester__username=filters.requester)
    if filters.breaching:
        tickets = tickets.filter(
            Q(resolution_breached=True) | Q(first_response_breached=True) | Q(ola_breached=True)
        )
    if filters.q:
        from tierdesk.tickets import search

        tickets = search.matching(tickets, filters.q)
    return tickets


def comments_for(viewer: User, ticket: Ticket) -> QuerySet[Comment]:
    comments = Comment.objects.filter(ticket=ticket).select_related("author").order_by("pk")
    if not policy.sees_internal_notes(viewer):
        comments = comments.filter(internal=False)
    return comments


def events_for(viewer: User, ticket: Ticket) -> list[Event]:
    """The ticket's timeline. Requesters see the public story: no internal notes, no handoff
    notes, no internal SLA machinery."""
    events = list(
        Event.objects.filter(chain=f"ticket:{ticket.pk}").select_related("actor").order_by("seq")
    )
    if policy.sees_internal_notes(viewer):
        return events
    public = []
    for event in events:
        if event.kind not in REQUESTER_EVENT_KINDS or event.data.get("internal"):
            continue
        event.note = ""
        public.append(event)
    return public
