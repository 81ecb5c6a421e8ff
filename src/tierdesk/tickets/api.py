"""Ticket endpoints: thin adapters over the ticket commands and selectors."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import InvalidInput, NotFound
from tierdesk.escalations.services import escalate
from tierdesk.tickets import selectors
from tierdesk.tickets.idempotency import run_once
from tierdesk.tickets.models import Comment, Status
from tierdesk.tickets.schemas import (
    OUT_COLUMNS,
    AssignIn,
    CommentCreate,
    EscalateIn,
    LinkIn,
    MergeIn,
    Page,
    TicketCreate,
    TicketUpdate,
    TransitionIn,
    comment_out,
    event_out,
    ticket_out,
)
from tierdesk.tickets.services import (
    NewTicket,
    add_comment,
    assign,
    create_ticket,
    link,
    merge,
    transition,
    update_ticket,
)
from tierdesk.tickets.services.fields import TicketChanges

router = Router(tags=["tickets"])
Json = dict[str, Any]


def _viewer(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _if_match(request: HttpRequest, *, required: bool) -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            raise HttpError(428, "If-Match with the ticket's version is required")
        return None
    value = header.strip().removeprefix("W/").strip('"').strip()
    if not re.fullmatch(r"[0-9]{1,9}", value):
        raise InvalidInput("If-Match must be the ticket's integer version", field="If-Match")
    return int(value)


class ListParams(Schema):
    status: list[str] | None = None
    type: str | None = None
    priority: str | None = None
    tier: int | None = None
    team: str | None = None
    assignee: str | None = None
    requester: str | None = None
    q: str | None = Field(default=None, max_length=200)
    unassigned: bool = False
    breaching: bool = False
    order: str = "newest"
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


@router.get("", response=Page, summary="List tickets visible to you")
def list_tickets(request: HttpRequest, params: Query[ListParams]) -> Json:
    viewer = _viewer(request)
    filters = selectors.TicketFilters(
        status=params.status,
        type=params.type,
        priority=params.priority,
        tier=params.tier,
        team=params.team,
        assignee=params.assignee,
        requester=params.requester,
        q=params.q,
        unassigned=params.unassigned,
        breaching=params.breaching,
    )
    page, next_cursor = selectors.list_tickets(
        viewer,
        filters,
        limit=params.limit,
        cursor=params.cursor,
        order=params.order,
        columns=OUT_COLUMNS,
    )
    return {"items": [ticket_out(t, viewer) for t in page], "next_cursor": next_cursor}


@router.post("", response={201: Json}, summary="Open a ticket")
def create(request: HttpRequest, body: TicketCreate) -> tuple[int, Json]:
    viewer = _viewer(request)
    ticket = create_ticket(
        NewTicket(
            title=body.title,
            description=body.description,
            type=body.type,
            impact=body.impact,
            urgency=body.urgency,
            category=body.category,
            service=body.service,
            channel="api",
        ),
        requester=viewer,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    # The command returns the row it wrote, with its team, assignee and requester: answering
    # from it instead of reading the ticket back saves a four-table join on every create.
    if not policy.can_view_loaded(viewer, ticket):
        raise NotFound(f"no ticket {ticket.key}")
    return 201, ticket_out(ticket, viewer)


@router.get("/{key}", response=Json, summary="One ticket")
def detail(request: HttpRequest, key: str) -> Json:
    viewer = _viewer(request)
    return ticket_out(selectors.get_ticket(viewer, key), viewer)


@router.patch("/{key}", response=Json, summary="Change fields (needs If-Match)")
def patch(request: HttpRequest, key: str, body: TicketUpdate) -> Json:
    viewer = _viewer(request)
    ticket = selectors.get_ticket(viewer, key)
    policy.require_work(viewer, ticket)  # a reader is refused (403) before If-Match matters
    expected = _if_match(request, required=True)
    update_ticket(
        ticket,
        TicketChanges(**body.model_dump(exclude_unset=True)),
        actor=viewer,
        expected_version=expected,
    )
    return ticket_out(selectors.get_ticket(viewer, key), viewer)


@router.get("/{key}/comments", response=list[Json], summary="Replies and notes you may see")
def comments(request: HttpRequest, key: str) -> list[Json]:
    viewer = _viewer(request)
    ticket = selectors.get_ticket(viewer, key)
    return [comment_out(c, viewer) for c in selectors.comments_for(viewer, ticket)]


@router.post("/{key}/comments", response={201: Json}, summary="Reply or write an internal note")
def comment(request: HttpRequest, key: str, body: CommentCreate) -> tuple[int, Json]:
    viewer = _viewer(request)
    ticket = selectors.get_ticket(viewer, key)
    fingerprint = f"{ticket.pk}:{body.internal}:{body.body}"
    created = run_once(
        viewer,
        f"comment:{ticket.pk}",
        request.headers.get("Idempotency-Key"),
        fingerprint,
        create=lambda: add_comment(ticket, body.body, actor=viewer, internal=body.internal),
        load=lambda pk: Comment.objects.select_related("author").get(pk=pk),
        object_id=lambda c: c.pk,
    )
    return 201, comment_out(created, viewer)


@router.post("/{key}/escalate", response=Json, summary="Escalate or de-escalate")
def escalate_ticket(request: HttpRequest, key: str, body: EscalateIn) -> Json:
    viewer = _viewer(request)
    ticket = selectors.get_ticket(viewer, key)
    escalate(
        ticket,
        actor=viewer,
        to_tier=body.to_tier,
        to_team=body.to_team,
        note=body.note,
        expected_version=_if_match(request, required=False),
    )
    return ticket_out(selectors.get_ticket(viewer, key), viewer)


@router.post("/{key}/assign", response=Json, summary="Assign to a team member, or unassign")
def assign_ticket(request: HttpRequest, key: str, body: AssignIn) -> Json:
    viewer = _viewer(request)
    ticket = selectors.get_ticket(viewer, key)
    assignee = None
    if body.assignee is not None:
        assignee = User.objects.filter(username=body.assignee, is_active=True).first()
        if assignee is None:
            raise InvalidInput(f"assignee: no user {body.assignee!r}", field="assignee")
    assign(ticket, assignee, actor=viewer, expected_version=_if_match(request, required=False))
    return ticket_out(selectors.get_ticket(viewer, key), viewer)


@router.post("/{key}/transition", response=Json, summary="Change status")
def transition_ticket(request: HttpRequest, key: str, body: TransitionIn) -> Json:
    viewer = _viewer(request)
    ticket = selectors.get_ticket(viewer, key)
    if body.to not in Status.values:
        raise InvalidInput(f"to: {body.to!r} is not a status", field="to")
    transition(
        ticket,
        body.to,
        actor=viewer,
        note=body.note,
        expected_version=_if_match(request, required=False),
    )
    return ticket_out(selectors.get_ticket(viewer, key), viewer)


@router.post("/{key}/links", response={201: Json}, summary="Link to another ticket")
def link_ticket(request: HttpRequest, key: str, body: LinkIn) -> tuple[int, Json]:
    viewer = _viewer(request)
    source = selectors.get_ticket(viewer, key)
    created = link(source, selectors.get_ticket(viewer, body.target), body.kind, actor=viewer)
    return 201, {"source": source.key, "target": body.target.upper(), "kind": created.kind}


@router.post("/{key}/merge", response=Json, summary="Close as a duplicate of another ticket")
def merge_ticket(request: HttpRequest, key: str, body: MergeIn) -> Json:
    viewer = _viewer(request)
    duplicate = selectors.get_ticket(viewer, key)
    merge(duplicate, selectors.get_ticket(viewer, body.into), actor=viewer, note=body.note)
    return ticket_out(selectors.get_ticket(viewer, key), viewer)


@router.get("/{key}/events", response=list[Json], summary="The ticket's timeline")
def events(request: HttpRequest, key: str) -> list[Json]:
    viewer = _viewer(request)
    ticket = selectors.get_ticket(viewer, key)
    return [event_out(e, viewer) for e in selectors.events_for(viewer, ticket)]
