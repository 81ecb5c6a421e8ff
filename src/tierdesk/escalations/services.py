"""Functional escalation: moving a ticket between tiers and specialist teams."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import Conflict, InvalidInput
from tierdesk.core.rows import build, insert_many, insert_one
from tierdesk.escalations.models import Direction, Escalation
from tierdesk.notifications import services as notifications
from tierdesk.org.models import Team, TeamKind
from tierdesk.routing.assignment import pick_assignee
from tierdesk.routing.services import team_for_tier
from tierdesk.slas import services as clocks
from tierdesk.tickets.models import Status, Ticket, TicketType, TierStint
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.services._common import (
    check_version,
    clean_text,
    end_stint,
    lock,
    participate,
)
from tierdesk.tickets.services.held import Held, Locked


def direction(from_tier: int | None, to_tier: int | None) -> str:
    if from_tier is None or to_tier is None:
        return Direction.ACROSS
    if to_tier > from_tier:
        return Direction.UP
    if to_tier < from_tier:
        return Direction.DOWN
    return Direction.ACROSS


def escalate(
    ticket: Ticket,
    *,
    actor: User | None,
    note: str,
    to_tier: int | None = None,
    to_team: str | None = None,
    channel: str = "api",
    expected_version: int | None = None,
    automatic: bool = False,
    at: datetime | None = None,
) -> Ticket:
    """Hand the ticket to another team, up, down or across, with a mandatory handoff note.

    The ticket stays open: ``new`` in the receiving queue, or ``assigned`` if that team
    assigns automatically. The receiving tier gets its own full OLA budget; the time spent
    at the team it leaves is recorded on the hop.
    """
    note = _checked(note, to_tier, to_team)
    with transaction.atomic():
        ticket = lock(ticket)
        now = at or timezone.now()
        if actor is not None:
            policy.require_work(actor, ticket)
        check_version(ticket, expected_version)
        held = Locked.by(ticket, actor, channel, now)
        escalate_held(
            held, actor=actor, note=note, to_tier=to_tier, to_team=to_team, automatic=automatic
        )
        held.write()
    return ticket


def escalate_held(
    held: Held,
    *,
    actor: User | None,
    note: str,
    to_tier: int | None = None,
    to_team: str | None = None,
    automatic: bool = False,
) -> None:
    """The escalation of a ticket the caller holds locked (and has authorised ``actor`` on):
    its guards, the hop, the new tier's stint, assignee and budget, the events and the
    notification. The ticket's new version and its events go to ``held``; the scheduler's
    automatic escalation runs through here, inside its batch."""
    note = _checked(note, to_tier, to_team)
    ticket, now = held.ticket, held.now
    if ticket.status not in OPEN_STATUSES:
        raise Conflict(f"{ticket.key} is {ticket.status}; only open tickets can be escalated")
    target = _target(ticket, to_tier, to_team)
    if ticket.type == TicketType.SECURITY_INCIDENT and target.kind != TeamKind.SECURITY:
        raise InvalidInput(
            "a security incident stays with a security team: only they and the roles "
            "configured for it may see it",
            field="to_team" if to_team else "to_tier",
        )
    if target.pk == ticket.team_id:
        raise Conflict(f"{ticket.key} is already at {target.name}")
    source = ticket.team
    seconds = end_stint(ticket, now)
    hop = build(
        Escalation,
        ticket=ticket,
        from_team=source,
        to_team=target,
        from_tier=source.level,
        to_tier=target.level,
        direction=direction(source.level, target.level),
        actor=actor,
        automatic=automatic,
        note=note,
        seconds_at_previous=seconds,
        created_at=now,
    )
    insert_one(hop)
    insert_many([build(TierStint, ticket=ticket, team=target, tier=target.level, started_at=now)])
    before_assignee = ticket.assignee.username if ticket.assignee else None
    ticket.team, ticket.tier, ticket.team_entered_at = target, target.level, now
    ticket.assignee = pick_assignee(target, ticket.category, priority=ticket.priority)
    status_before = ticket.status
    if ticket.status in (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS):
        ticket.status = Status.ASSIGNED if ticket.assignee else Status.NEW
    clocks.enter_team(ticket, target, now)
    held.save(
        "team",
        "tier",
        "team_entered_at",
        "assignee",
        "status",
        "ola_breached",
        *clocks.SLA_FIELDS,
    )
    trail = held.trail
    kind = "de-escalated" if hop.direction == Direction.DOWN else "escalated"
    trail.add(
        kind,
        field="team",
        before=source.slug,
        after=target.slug,
        note=note,
        data={
            "direction": hop.direction,
            "from_tier": source.level,
            "to_tier": target.level,
            "seconds_at_previous": seconds,
            "automatic": automatic,
            "hop_id": hop.pk,
        },
    )
    trail.change("assignee", before_assignee, ticket.assignee.username if ticket.assignee else None)
    trail.change("status", status_before, ticket.status)
    participate(ticket, actor)
    notifications.escalated_to_team(ticket, note, hop.pk)


def _checked(note: str, to_tier: int | None, to_team: str | None) -> str:
    """The handoff note, cleaned; exactly one valid destination."""
    note = clean_text(note, "note", max_length=20_000, required=True)
    if (to_tier is None) == (to_team is None):
        raise InvalidInput("give exactly one of to_tier or to_team", field="to_tier")
    if to_tier is not None and to_tier not in (1, 2, 3):
        raise InvalidInput("to_tier must be 1, 2 or 3", field="to_tier")
    return note


def _target(ticket: Ticket, to_tier: int | None, to_team: str | None) -> Team:
    if to_team is not None:
        team = Team.objects.filter(slug=to_team).first()
        if team is None:
            raise InvalidInput(f"to_team: no team {to_team!r}", field="to_team")
        if team.kind == "management":
            raise InvalidInput(
                "tickets are not escalated to management teams; hierarchical "
                "escalation notifies them instead",
                field="to_team",
            )
        return team
    assert to_tier is not None
    return team_for_tier(to_tier, ticket.category, ticket.service)


def next_tier(ticket: Ticket) -> int | None:
    if ticket.tier is None or ticket.tier >= 3:
        return None
    return ticket.tier + 1
