from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils import timezone

from tierdesk.accounts.models import Role, User
from tierdesk.core.errors import Forbidden, InvalidInput
from tierdesk.notifications import services as notifications
from tierdesk.org.models import Service
from tierdesk.routing.assignment import pick_assignee
from tierdesk.routing.rules import Draft
from tierdesk.routing.services import route, route_to_team
from tierdesk.scheduler.timers import arm
from tierdesk.slas import clock
from tierdesk.tickets.idempotency import run_once
from tierdesk.tickets.models import (
    Channel,
    Level,
    Priority,
    Status,
    Ticket,
    TicketType,
    TierStint,
)
from tierdesk.tickets.priority import derive_priority, is_major
from tierdesk.tickets.services._common import choice, clean_text, participate, trail_for

TITLE_MAX = 500
DESCRIPTION_MAX = 100_000


@dataclass(frozen=True)
class NewTicket:
    title: str
    description: str = ""
    type: str | None = None
    impact: str | None = None
    urgency: str | None = None
    category: str | None = None
    service: str | None = None  # slug
    channel: str = Channel.API
    # A channel that already knows the team (a desk mail address mapped to a team) names it;
    # routing rules are then not consulted.
    team: str | None = None

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


def create_ticket(
    new: NewTicket,
    *,
    requester: User,
    actor: User | None = None,
    idempotency_key: str | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Open a ticket: route it (L1 unless a rule says otherwise), derive its priority, start
    its SLA and tier clocks, assign it if its team assigns automatically, and record it.

    With ``idempotency_key`` a retry of the same request returns the first ticket, also when
    the retry races the original on another process.
    """
    actor = actor or requester
    if Role.AUDITOR in (actor.role, requester.role):
        raise Forbidden("auditors have read-only access")
    return run_once(
        requester,
        "ticket",
        idempotency_key,
        new.fingerprint(),
        create=lambda: _create(new, requester, actor, at or timezone.now()),
        load=lambda pk: Ticket.objects.select_related("team", "requester", "assignee").get(pk=pk),
        object_id=lambda ticket: ticket.pk,
    )


def _create(new: NewTicket, requester: User, actor: User, now: datetime) -> Ticket:
    title = " ".join(clean_text(new.title, "title", max_length=TITLE_MAX, required=True).split())
    description = clean_text(
        new.description, "description", max_length=DESCRIPTION_MAX, required=False
    )
    ticket_type = choice(new.type, "type", TicketType.values, TicketType.INCIDENT)
    impact = choice(new.impact, "impact", Level.values, Level.MEDIUM)
    urgency = choice(new.urgency, "urgency", Level.values, Level.MEDIUM)
    channel = choice(new.channel, "channel", Channel.values, Channel.API)
    category = clean_text(new.category, "category", max_length=100, required=False)
    service = None
    if new.service:
        service = Service.objects.select_related("calendar").filter(slug=new.service).first()
        if service is None:
            raise InvalidInput(f"service: no service {new.service!r}", field="service")
    priority = derive_priority(impact, urgency)
    organisation = requester.organisation
    decision = (
        route_to_team(new.team, ticket_type)
        if new.team
        else route(
            Draft(
                type=ticket_type,
                category=category,
                service=service.slug if service else None,
                channel=channel,
                priority=priority,
                organisation=organisation.slug if organisation else None,
                text=f"{title}\n{description}",
            )
        )
    )
    category = decision.category or category
    overridden = decision.priority is not None and decision.priority != priority
    if decision.priority in Priority.values:
        priority = decision.priority
    team = decision.team

    snapshot = clock.sla_policy_snapshot(
        priority,
        ticket_type,
        organisation.pk if organisation else None,
        service.calendar.spec if service and service.calendar else None,
    )
    snapshot["clock"] = clock.new_clock(now)
    budget, auto_escalate = clock.ola_budget(team.pk, team.level, priority)
    snapshot["ola"] = {
        "team": team.slug,
        "budget_seconds": budget,
        "auto_escalate": auto_escalate,
        "clock": clock.new_clock(now),
    }
    ticket = Ticket(
        title=title,
        description=description,
        type=ticket_type,
        status=Status.NEW,
        impact=impact,
        urgency=urgency,
        priority=priority,
        priority_overridden=overridden,
        category=category,
        service=service,
        channel=channel,
        requester=requester,
        requester_organisation=organisation,
        team=team,
        tier=team.level,
        routed_by_id=decision.rule_id,
        created_at=now,
        updated_at=now,
        team_entered_at=now,
        sla_snapshot=snapshot,
    )
    ticket.major_incident = is_major(ticket)
    timers = clock.sla_timers(snapshot, responded=False) + clock.ola_timer(snapshot)
    for spec in timers:
        if spec.kind == "first_response":
            ticket.first_response_due_at = spec.due_at
        elif spec.kind == "resolution":
            ticket.resolution_due_at = spec.due_at
        elif spec.kind == "ola":
            ticket.ola_due_at = spec.due_at
    assignee = (
        User.objects.filter(pk=decision.assignee_id).first()
        if decision.assignee_id
        else pick_assignee(team, category)
    )
    if assignee is not None:
        ticket.assignee = assignee
        ticket.status = Status.ASSIGNED
    ticket.save(force_insert=True)
    if decision.watcher_ids:
        ticket.watchers.add(*decision.watcher_ids)
    TierStint.objects.create(ticket=ticket, team=team, tier=team.level, started_at=now)
    arm(ticket.pk, timers)

    trail = trail_for(ticket, actor, channel, now)
    trail.add(
        "created",
        after={
            "title": title,
            "type": ticket_type,
            "priority": priority,
            "impact": impact,
            "urgency": urgency,
            "team": team.slug,
            "tier": team.level,
            "channel": channel,
            "requester": requester.username,
        },
    )
    if decision.rule_id is not None:
        trail.add("routed", after=team.slug, data={"rule": decision.rule_name})
    if ticket.major_incident:
        trail.add("major_incident", after=True)
    if assignee is not None:
        trail.add(
            "assigned",
            field="assignee",
            before=None,
            after=assignee.username,
            data={"automatic": decision.assignee_id is None},
        )
    trail.flush(new_chain=True)
    participate(ticket, actor if actor != requester else None)
    notifications.ticket_opened(ticket)
    if assignee is not None:
        notifications.assigned(ticket, assignee)
    return ticket
