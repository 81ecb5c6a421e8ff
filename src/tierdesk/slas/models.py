from __future__ import annotations

from django.db import models

from tierdesk.tickets.models.enums import Priority, TicketType


class SlaPolicy(models.Model):
    """Customer-facing targets for a priority, optionally narrowed by type and organisation.

    The most specific matching policy wins (organisation, then type, then priority alone).
    ``calendar`` null means the clock runs 24×7.
    """

    name = models.CharField(max_length=200)
    priority = models.CharField(max_length=2, choices=Priority.choices)
    ticket_type = models.CharField(max_length=32, choices=TicketType.choices, blank=True)
    requester_organisation = models.ForeignKey(
        "org.RequesterOrganisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    warning_percent = models.PositiveSmallIntegerField(default=75)
    calendar = models.ForeignKey(
        "org.BusinessCalendar", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class OlaPolicy(models.Model):
    """A tier's internal time budget per priority; a team-specific row beats a tier-wide one."""

    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    priority = models.CharField(max_length=2, choices=Priority.choices)
    budget_minutes = models.PositiveIntegerField()
    auto_escalate = models.BooleanField(default=False)
