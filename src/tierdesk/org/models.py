from __future__ import annotations

from django.conf import settings
from django.db import models


class TeamKind(models.TextChoices):
    SERVICE_DESK = "service_desk", "Service desk"
    TIER = "tier", "Support tier"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    MONITORING = "monitoring", "Monitoring"
    SECURITY = "security", "Security"
    MANAGEMENT = "management", "Management"


class AssignmentStrategy(models.TextChoices):
    MANUAL = "manual", "Manual"
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOADED = "least_loaded", "Least loaded"
    SKILLS = "skills", "Skills match"


class Team(models.Model):
    """A node of the support organisation.

    ``level`` is the support tier: 1 for the service desk, 2 or 3 for tier teams, null for
    specialist and management teams. A tier may hold several teams (L3 databases, networks…).
    """

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=TeamKind.choices)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    assignment_strategy = models.CharField(
        max_length=32, choices=AssignmentStrategy.choices, default=AssignmentStrategy.MANUAL
    )
    is_default_for_tier = models.BooleanField(default=False)
    categories = models.JSONField(default=list, blank=True)
    # Round-robin cursor: the member who got the last ticket (``routing.assignment.take_turn``
    # moves it). Not indexed: nothing looks teams up by it, and with an index every move of
    # the cursor wrote new index entries for the team's row (no HOT update), bloating the
    # small team table that every create reads.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["level", "slug"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_membership")]


class RequesterOrganisation(models.Model):
    """A customer or department whose people raise tickets; matched by exact email domain."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    domains = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.name


class BusinessCalendar(models.Model):
    """Stored form of :class:`tierdesk.slas.calendar.BusinessCalendar` (see its ``from_spec``)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    spec = models.JSONField()

    def __str__(self) -> str:
        return self.name


class Criticality(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Service(models.Model):
    """An entry of the service catalogue: something users depend on and a team owns."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    criticality = models.CharField(
        max_length=16, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class DeskPolicy(models.Model):
    """Named desk-wide settings from the org file (priority matrix, transitions, …).

    Values are validated by :mod:`tierdesk.org.policies` before they are stored; code reads
    them only through that module, which supplies the defaults.
    """

    key = models.CharField(max_length=64, unique=True)
    value = models.JSONField()
