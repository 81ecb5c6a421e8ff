from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tierdesk.tickets.models.enums import (
    OPEN_STATUSES,
    Channel,
    Level,
    LinkKind,
    Priority,
    Status,
    TicketType,
)

OPEN = Q(status__in=OPEN_STATUSES)


class Ticket(models.Model):
    """A unit of support work. Changed only through :mod:`tierdesk.tickets.services`.

    The SLA columns are the clocks' current due times (indexed so queues sort by them);
    ``sla_snapshot`` holds the policy copied when the clock started, so a running clock can
    be explained from the ticket alone even after an admin edits the policy.
    """

    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=32, choices=TicketType.choices, default=TicketType.INCIDENT)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.NEW)
    impact = models.CharField(max_length=8, choices=Level.choices, default=Level.MEDIUM)
    urgency = models.CharField(max_length=8, choices=Level.choices, default=Level.MEDIUM)
    priority = models.CharField(max_length=2, choices=Priority.choices)
    priority_overridden = models.BooleanField(default=False)
    category = models.CharField(max_length=100, blank=True)
    service = models.ForeignKey(
        "org.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    # The foreign keys that lead an index of their own (by_requester, by_team) get no
    # second one: each new ticket paid for both.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        db_index=False,
    )
    requester_organisation = models.ForeignKey(
        "org.RequesterOrganisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    team = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_tickets"
    )
    routed_by = models.ForeignKey(
        "routing.RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    major_incident = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    team_entered_at = models.DateTimeField()
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    sla_snapshot = models.JSONField(default=dict)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    ola_due_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    ola_breached = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Open work in due order per team and per tier: queues read one range in order
            # (see ``tickets.selectors.is_open`` for why queries repeat the condition).
            models.Index(
                fields=["team", "resolution_due_at", "id"],
                name="open_by_team_due_id",
                condition=OPEN,
            ),
            models.Index(
                fields=["tier", "resolution_due_at", "id"],
                name="open_by_tier_due_id",
                condition=OPEN,
            ),
            # Counts of open work answered from the index alone: load per assignee by
            # priority, and visible tickets per team and tier (the columns of the access
            # policy; the queue sidebar reads stored totals instead, ``tickets.opencounts``).
            # Both databases read the table for any column the query names that the index
            # lacks: ``status`` on SQLite, ``id`` on PostgreSQL.
            models.Index(
                fields=["assignee", "priority", "status"],
                name="open_by_assignee_priority",
                condition=OPEN,
            ),
            models.Index(
                fields=["team", "tier", "type", "assignee", "requester", "status", "id"],
                name="open_counts_by_team_tier",
                condition=OPEN,
            ),
            models.Index(fields=["requester", "-id"], name="by_requester"),
            models.Index(fields=["team", "-id"], name="by_team"),
            models.Index(fields=["status", "resolved_at"], name="by_status_resolved"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        return f"{settings.TICKET_KEY_PREFIX}-{self.pk}"


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField()
    internal = models.BooleanField(default=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "id"], name="comment_by_ticket")]


class TicketLink(models.Model):
    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="one_link_per_kind"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="no_self_link"),
        ]


class TierStint(models.Model):
    """One stay of a ticket at a team: how long each tier held it, for OLA and cost reports."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="stints")
    team = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="+")
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ticket", "started_at"], name="stint_by_ticket")]


class Participation(models.Model):
    """People who acted on a ticket; agents keep read access to tickets they worked on."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The ticket's team, tier, type and open state, copied by database triggers (migration
    # 0009) and never written by the application: an agent's open tickets outside their
    # teams are a short range of the index below instead of every ticket they worked on.
    ticket_team_id = models.BigIntegerField(null=True, editable=False)
    ticket_tier = models.PositiveSmallIntegerField(null=True, editable=False)
    ticket_security = models.BooleanField(null=True, editable=False)
    ticket_open = models.BooleanField(null=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="one_participation")]
        indexes = [
            models.Index(
                fields=["user", "ticket_team_id", "ticket_tier", "ticket_security", "ticket"],
                name="open_participation",
                condition=Q(ticket_open=True),
            )
        ]


class IdempotencyRecord(models.Model):
    """The first result of a create request, keyed by the client's Idempotency-Key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="one_idempotency_key")
        ]
