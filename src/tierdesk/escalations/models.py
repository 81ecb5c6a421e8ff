from __future__ import annotations

from django.conf import settings
from django.db import models

from tierdesk.tickets.models.enums import Priority


class HierarchyPolicy(models.Model):
    """Who is told, and when, as a ticket of one priority eats into its SLA.

    ``steps`` is an ordered list of ``{"at_percent": 75, "notify": ["team_lead"]}``;
    recipients are relations on the org chart (``assignee``, ``team_lead``, ``lead_manager``,
    ``incident_manager``, ``it_manager``, ``cio``). Snapshotted onto each ticket.
    """

    priority = models.CharField(max_length=2, choices=Priority.choices, unique=True)
    steps = models.JSONField(default=list)
    major_incident = models.BooleanField(default=False)


class Direction(models.TextChoices):
    UP = "up", "Escalation"
    DOWN = "down", "De-escalation"
    ACROSS = "across", "Handoff to a specialist team"


class Escalation(models.Model):
    """One functional hop between teams, with the handoff note and time spent before it."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="hops")
    from_team = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="+")
    from_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    to_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    automatic = models.BooleanField(default=False)
    note = models.TextField()
    seconds_at_previous = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at"], name="hop_by_ticket")]
