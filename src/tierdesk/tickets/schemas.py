"""API bodies for tickets: separate create, update, action and read shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from tierdesk.accounts.models import PERSON_CARD, User
from tierdesk.org import policies
from tierdesk.tickets.lifecycle import allowed_transitions
from tierdesk.tickets.models import Comment, Ticket
from tierdesk.tickets.selectors import TimelineComment, TimelineEvent


class Strict(Schema):
    # Unknown fields (e.g. requester, key, version) are ignored, never honoured.
    model_config = ConfigDict(extra="ignore", str_max_length=100_000)


class TicketCreate(Strict):
    title: str = Field(min_length=1, max_length=500)
    description: str = ""
    type: str | None = None
    impact: str | None = None
    urgency: str | None = None
    category: str | None = Field(default=None, max_length=100)
    service: str | None = Field(default=None, max_length=64)


class TicketUpdate(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = None
    impact: str | None = None
    urgency: str | None = None
    category: str | None = Field(default=None, max_length=100)
    service: str | None = Field(default=None, max_length=64)
    priority: str | None = None
    priority_reason: str | None = Field(default=None, max_length=2000)


class CommentCreate(Strict):
    body: str = Field(min_length=1, max_length=100_000)
    internal: bool = False


class EscalateIn(Strict):
    to_tier: int | None = None
    to_team: str | None = Field(default=None, max_length=64)
    note: str = Field(max_length=20_000)


class AssignIn(Strict):
    assignee: str | None = Field(max_length=150)


class LinkIn(Strict):
    target: str = Field(max_length=40)
    kind: str = Field(max_length=16)


class MergeIn(Strict):
    into: str = Field(max_length=40)
    note: str = Field(default="", max_length=20_000)


class TransitionIn(Strict):
    to: str = Field(max_length=32)
    note: str = Field(default="", max_length=20_000)


def person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.display_name, "email": user.email}


def hides_agents(viewer: User) -> bool:
    """Requesters see "IT support" instead of agents' names when the desk says so."""
    return viewer.role == "requester" and not policies.get("requesters_see_agent_names")


SUPPORT = {"username": None, "name": "IT support", "email": None}


def _shown(user: User | None, viewer: User) -> dict[str, Any] | None:
    if user is not None and user.role != "requester" and hides_agents(viewer):
        return SUPPORT
    return person(user)


# What a page of ticket_out reads: the ticket's own columns and, of its related rows, only
# what it shows (a person is 5 of 22 columns).
OUT_COLUMNS = (
    *(field.name for field in Ticket._meta.concrete_fields if not field.is_relation),
    "merged_into",
    "team__slug",
    "service__slug",
    *(f"{person}__{name}" for person in ("assignee", "requester") for name in PERSON_CARD),
)


def ticket_out(ticket: Ticket, viewer: User) -> dict[str, Any]:
    """A ticket as the viewer may see it; list items and the detail view share this shape."""
    hide_agents = hides_agents(viewer)
    return {
        "key": ticket.key,
        "title": ticket.title,
        "description": ticket.description,
        "type": ticket.type,
        "status": ticket.status,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "priority": ticket.priority,
        "priority_overridden": ticket.priority_overridden,
        "category": ticket.category,
        "service": ticket.service.slug if ticket.service else None,
        "channel": ticket.channel,
        "tier": ticket.tier,
        "team": ticket.team.slug,
        "assignee": None if hide_agents else person(ticket.assignee),
        "requester": person(ticket.requester),
        "major_incident": ticket.major_incident,
        "merged_into": f"TD-{ticket.merged_into_id}" if ticket.merged_into_id else None,
        "version": ticket.version,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_responded_at": ticket.first_responded_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "allowed_transitions": allowed_transitions(ticket.status),
        "sla": {
            "policy": ticket.sla_snapshot.get("policy"),
            "first_response_due_at": ticket.first_response_due_at,
            "resolution_due_at": ticket.resolution_due_at,
            "paused": ticket.sla_paused_at is not None,
            "breached": ticket.first_response_breached or ticket.resolution_breached,
            "first_response_breached": ticket.first_response_breached,
            "resolution_breached": ticket.resolution_breached,
            "ola_due_at": ticket.ola_due_at,
            "ola_breached": ticket.ola_breached,
        },
    }


def comment_out(comment: Comment | TimelineComment, viewer: User) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": _shown(comment.author, viewer),
        "body": comment.body,
        "internal": comment.internal,
        "channel": comment.channel,
        "created_at": comment.created_at,
    }


def event_out(event: TimelineEvent, viewer: User) -> dict[str, Any]:
    actor = _shown(event.actor, viewer) if event.actor else None
    return {
        "seq": event.seq,
        "at": event.created_at,
        "kind": event.kind,
        "actor": actor["username"] if actor else None,
        "channel": event.channel,
        "field": event.field or None,
        "before": event.before,
        "after": event.after,
        "note": event.note or None,
        "data": event.data,
    }


class Page(Schema):
    items: list[dict[str, Any]]
    next_cursor: str | None


class TicketOutDoc(Schema):
    """Documented shape of a ticket (the API returns exactly these fields)."""

    key: str
    title: str
    status: str
    priority: str
    tier: int | None
    team: str
    version: int
    created_at: datetime
