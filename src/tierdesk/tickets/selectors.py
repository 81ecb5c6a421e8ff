"""Read queries over tickets, always through the access policy."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet

from tierdesk.accounts import policy
from tierdesk.accounts.models import PERSON_CARD, User
from tierdesk.audit.models import Event
from tierdesk.core.errors import InvalidInput, NotFound
from tierdesk.org.models import Team
from tierdesk.tickets.models import Comment, Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES, OPEN_STATUSES_SQL

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


def is_open() -> Func:
    """A filter for open tickets, written exactly as the ``WHERE`` of the partial "open" indexes.

    SQLite uses a partial index only when the query repeats the index's predicate literally;
    ``status__in`` sends the statuses as bound parameters, which it cannot match, and then
    scanned every ticket ever opened. PostgreSQL proves either form.
    """
    return Func(
        F("status"),
        template=f"%(expressions)s IN ({OPEN_STATUSES_SQL})",
        output_field=BooleanField(),
    )


def ticket_id_from_key(key: str) -> int:
    number = key.upper().removeprefix(KEY_PREFIX)
    if not _NUMBER.fullmatch(number):
        raise NotFound(f"no ticket {key!r}")
    return int(number)


def get_ticket(viewer: User, key: str) -> Ticket:
    """The ticket if ``viewer`` may see it; otherwise it does not exist (404)."""
    tickets = policy.visible_tickets(
        viewer, Ticket.objects.select_related("team", "assignee", "requester", "service")
    )
    try:
        # get(), not first(): first() orders by id, and matching ORDER BY against the
        # hundred selected columns took longer than the query itself.
        return tickets.get(pk=ticket_id_from_key(key))
    except Ticket.DoesNotExist:
        raise NotFound(f"no ticket {key}") from None


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
    columns: Sequence[str] | None = None,
) -> tuple[list[Ticket], str | None]:
    """One page of visible tickets in a stable order, and the cursor of the next page.

    ``newest``: by id, descending. ``due``: by resolution due time, soonest first, paused and
    untimed tickets last, id breaking ties.

    ``columns``: see :func:`loading`.
    """
    if order not in ORDERS:
        raise InvalidInput(f"order must be one of {', '.join(ORDERS)}", field="order")
    after = _decode(cursor) if cursor else None
    tickets = loading(policy.visible_tickets(viewer, _filtered(filters)), columns)
    if tickets.query.is_empty():
        return [], None
    if order == "newest":
        below = after[1] if after else None
        page = _newest(tickets, filters.q, limit=limit + 1, below=below)
    else:
        if _needs_literal_open(tickets, filters):
            tickets = tickets.filter(is_open())
        if filters.q:
            from tierdesk.tickets import search

            tickets = search.matching(tickets, filters.q)
        page = _soonest_due(tickets, limit=limit + 1, after=after)
    if len(page) <= limit:
        return page, None
    page = page[:limit]
    last = page[-1]
    if order == "newest":
        return page, _encode([None, last.pk])
    due = last.resolution_due_at.isoformat() if last.resolution_due_at else None
    return page, _encode([due, last.pk])


def loading(tickets: QuerySet[Ticket], columns: Sequence[str] | None) -> QuerySet[Ticket]:
    """``tickets`` read with their team, assignee, requester and service; given ``columns``
    (names as ``only()`` takes them: ``team__name``), with just those columns and the related
    rows they name, for a page that shows a few of a ticket's 35 columns and of its people's
    22."""
    if columns is None:
        return tickets.select_related("team", "assignee", "requester", "service")
    related = dict.fromkeys(name.split("__")[0] for name in columns if "__" in name)
    return tickets.select_related(*related).only(*columns)


def _needs_literal_open(tickets: QuerySet[Ticket], filters: TicketFilters) -> bool:
    """Whether an open-statuses filter must also be spelled as the open-work indexes' WHERE.

    Only SQLite needs it (to use those indexes, which hold the due order). PostgreSQL proves
    that a subset of open statuses implies the index condition, and given both it counted
    the condition twice, expected a few hundred rows and joined users by scanning them.
    """
    return (
        connections[tickets.db].vendor == "sqlite"
        and bool(filters.status)
        and set(filters.status or ()) <= set(OPEN_STATUSES)
    )


def _newest(
    tickets: QuerySet[Ticket], text: str | None, *, limit: int, below: int | None
) -> list[Ticket]:
    if text:
        from tierdesk.tickets import search

        return search.newest(tickets, text, limit=limit, below=below)
    if below is not None:
        tickets = tickets.filter(pk__lt=below)
    return list(tickets.order_by("-pk")[:limit])


def _soonest_due(tickets: QuerySet[Ticket], *, limit: int, after: list[Any] | None) -> list[Ticket]:
    """Tickets with a resolution due time, soonest first, then the untimed ones by id.

    Two queries, each one range of the "open by due" indexes read in order: a single
    ``ORDER BY due NULLS LAST`` is not an order an index holds on SQLite, so the database
    fetched and sorted every matching ticket for each page.
    """
    timed = tickets.filter(resolution_due_at__isnull=False)
    untimed = tickets.filter(resolution_due_at__isnull=True)
    if after:
        due, last_id = after
        if due is None:
            timed = timed.none()
            untimed = untimed.filter(pk__gt=last_id)
        else:
            moment = datetime.fromisoformat(due)
            timed = timed.filter(resolution_due_at__gte=moment).filter(
                Q(resolution_due_at__gt=moment) | Q(pk__gt=last_id)
            )
    page = list(timed.order_by("resolution_due_at", "pk")[:limit])
    if len(page) < limit:
        page += untimed.order_by("pk")[: limit - len(page)]
    return page


def _filtered(filters: TicketFilters) -> QuerySet[Ticket]:
    """Tickets matching every filter but the text query.

    Team and people are looked up first so the ticket query compares ids: through a join the
    planner guessed the team's share of the tickets wrongly and left the team indexes unused;
    as a scalar subquery PostgreSQL planned with a generic guess (0.5 ms became 270 ms).
    """
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
        team_id = Team.objects.filter(slug=filters.team).values_list("pk", flat=True).first()
        tickets = tickets.filter(team_id=team_id) if team_id else tickets.none()
    if filters.assignee:
        assignee_id = _user_id(filters.assignee)
        tickets = tickets.filter(assignee_id=assignee_id) if assignee_id else tickets.none()
    if filters.unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    if filters.requester:
        requester_id = _user_id(filters.requester)
        tickets = tickets.filter(requester_id=requester_id) if requester_id else tickets.none()
    if filters.breaching:
        tickets = tickets.filter(
            Q(resolution_breached=True) | Q(first_response_breached=True) | Q(ola_breached=True)
        )
    return tickets


def _user_id(username: str) -> int | None:
    return User.objects.filter(username=username).values_list("pk", flat=True).first()


@dataclass(slots=True)
class TimelineComment:
    """A comment as a timeline shows it, read as plain values (see :class:`TimelineEvent`)."""

    pk: int
    author_id: int
    body: str
    internal: bool
    channel: str
    created_at: datetime
    author: User


def comments_for(viewer: User, ticket: Ticket) -> list[TimelineComment]:
    comments = Comment.objects.filter(ticket=ticket).order_by("pk")
    if not policy.sees_internal_notes(viewer):
        comments = comments.filter(internal=False)
    rows = list(comments.values_list(*_columns(TimelineComment)))
    authors = _cards(row[1] for row in rows)
    return [TimelineComment(*(*row, authors[row[1]])) for row in rows]


@dataclass(slots=True)
class TimelineEvent:
    """An audit event as a timeline shows it. Read as plain values: a hundred model
    instances cost more to build than the query that reads their rows."""

    seq: int
    actor_id: int | None
    channel: str
    kind: str
    field: str
    before: Any
    after: Any
    note: str
    data: dict[str, Any]
    created_at: datetime
    actor: User | None


def _columns(row: type[Any]) -> tuple[str, ...]:
    """The columns a timeline row reads: its fields but the last, the person it names. The
    person's id comes second (``row[1]`` below)."""
    return tuple(f.name for f in fields(row))[:-1]


def _cards(ids: Iterable[int | None]) -> dict[int, User]:
    """The people these ids name, each read once with what a timeline shows of them: a
    join built a whole person for every row, a hundred of them for a handful of people."""
    wanted = {person_id for person_id in ids if person_id is not None}
    if not wanted:
        return {}
    return {p.pk: p for p in User.objects.filter(pk__in=wanted).only(*PERSON_CARD)}


def events_for(viewer: User, ticket: Ticket) -> list[TimelineEvent]:
    """The ticket's timeline. Requesters see the public story: no internal notes, no handoff
    notes, no internal SLA machinery."""
    chain = Event.objects.filter(chain=f"ticket:{ticket.pk}").order_by("seq")
    rows = list(chain.values_list(*_columns(TimelineEvent)))
    actors = _cards(row[1] for row in rows)
    events = [TimelineEvent(*(*row, actors.get(row[1]))) for row in rows]
    if policy.sees_internal_notes(viewer):
        return events
    public = []
    for event in events:
        if event.kind not in REQUESTER_EVENT_KINDS or event.data.get("internal"):
            continue
        event.note = ""
        public.append(event)
    return public
