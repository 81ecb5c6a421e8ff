from __future__ import annotations

from django.conf import settings
from django.db import models


class RoutingRule(models.Model):
    """An ordered if-then rule applied to new tickets; the first match routes the ticket.

    ``conditions`` keys (all must match; a list means any of): ``type``, ``category``,
    ``service``, ``channel``, ``priority``, ``organisation``, ``keywords`` (any word in the
    title or description). Validated by :mod:`tierdesk.routing.rules` before it is stored.
    """

    name = models.CharField(max_length=200, unique=True)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    conditions = models.JSONField(default=dict)
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    set_category = models.CharField(max_length=100, blank=True)
    set_priority = models.CharField(max_length=2, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        ordering = ["position", "id"]
