from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.utils import timezone

from tierdesk.accounts.models import Role, User
from tierdesk.core.errors import Forbidden, InvalidInput
from tierdesk.core.pipeline import pipelined
from tierdesk.core.rows import build, insert_many, insert_one
from tierdesk.notifications import services as notifications
from tierdesk.org.models import AssignmentStrategy, Service
from tierdesk.routing.assignment import Candidate, candidates, pick_assignee, take_turn
from tierdesk.routing.rules import Draft
from tierdesk.routing.services import Decision, organisation_for_rules, route, route_to_team
from tierdesk.scheduler.timers import TimerSpec, arm
from tierdesk.slas import clock
from tierdesk.tickets.idempotency import run_once_planned
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
    no_acknowledgement: str = "",
) -> Ticket:
    """Open a ticket: route it (L1 unless a rule says otherwise), derive its priority, start
    its SLA and tier clocks, assign it if its team assigns automatically, and record it.

    With ``idempotency_key`` a retry of the same request returns the first ticket, also when
    the retry races the original on another process. ``no_acknowledgement`` says why the
    requester must not be acknowledged (a channel that knows the request came from a
    machine): the acknowledgement is then kept as withheld, with that reason.
    """
    actor = actor or requester
    if Role.AUDITOR in (actor.role, requester.role):
        raise Forbidden("auditors have read-only access")
    return run_once_planned(
        requester,
        "ticket",
        idempotency_key,
        new.fingerprint(),
        plan=lambda: _plan(new, requester, actor, at or timezone.now(), no_acknowledgement).write,
        load=lambda pk: Ticket.objects.select_related("team", "requester", "assignee").get(pk=pk),
        object_id=lambda ticket: ticket.pk,
        pipelined_write=True,
    )


@dataclass
class _Opening:
    """Everything about a new ticket that can be decided before the write transaction: the
    unsaved row with its route, priority and SLA/OLA due times, and the timers to arm."""

    ticket: Ticket
    decision: Decision
    timers: list[TimerSpec]
    actor: User
    rule_assignee: User | None = None
    # Who may be assigned, read before the transaction, and whose turn it is at a
    # round-robin team; pick_assignee re-checks the chosen one (against the batch's read of
    # the team inside a team_members_read_once block).
    candidates: list[Candidate] | None = None
    turn: Candidate | None = None
    created: dict[str, object] = field(default_factory=dict)
    acknowledgement_limited: str = ""

    def write(self) -> Ticket:
        """Assign, insert and record; runs inside the command's transaction.

        Pipelined: of its dozen statements only three wait for an answer (the round-robin
        cursor, the assignee, the new id), the rest go out back to back.
        """
        with pipelined():
            return self._write()

    def _write(self) -> Ticket:
        ticket, decision, now = self.ticket, self.decision, self.ticket.created_at
        team, requester, actor = ticket.team, ticket.requester, self.actor
        # Assignment reads live load and moves the team's round-robin cursor: it must see
        # and lock what this transaction commits, so it is the one decision made in here.
        assignee = (
            self.rule_assignee
            if decision.assignee_id
            else pick_assignee(
                team, ticket.category, self.candidates, self.turn, priority=ticket.priority
            )
        )
        if assignee is not None:
            ticket.assignee = assignee
            ticket.status = Status.ASSIGNED
        insert_one(ticket)
        if decision.watcher_ids:
            ticket.watchers.add(*decision.watcher_ids)
        insert_many([build(TierStint, ticket=ticket, team=team, tier=team.level, started_at=now)])
        arm(ticket.pk, self.timers)

        trail = trail_for(ticket, actor, ticket.channel, now)
        trail.add("created", after=self.created)
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
        with notifications.one_write():
            notifications.ticket_opened(ticket, limited=self.acknowledgement_limited)
            if assignee is not None:
                notifications.assigned(ticket, assignee)
        return ticket


def _plan(
    new: NewTicket, requester: User, actor: User, now: datetime, no_acknowledgement: str
) -> _Opening:
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
    organisation_id = requester.organisation_id
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
                organisation=organisation_for_rules(organisation_id),
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
        organisation_id,
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
    ticket = build(
        Ticket,
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
        requester_organisation_id=organisation_id,
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
    people = (
        candidates(team)
        if not decision.assignee_id and team.assignment_strategy != AssignmentStrategy.MANUAL
        else None
    )
    return _Opening(
        ticket=ticket,
        decision=decision,
        timers=timers,
        actor=actor,
        rule_assignee=(
            User.objects.filter(pk=decision.assignee_id).first() if decision.assignee_id else None
        ),
        candidates=people,
        turn=take_turn(team, people) if people else None,
        created={
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
        acknowledgement_limited=(
            no_acknowledgement or notifications.acknowledgement_limit(requester)
        ),
    )
