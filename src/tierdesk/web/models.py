from __future__ import annotations

from django.conf import settings
from django.db import models


class LoginFailure(models.Model):
    """One failed sign-in, kept briefly to refuse guessing (see :mod:`tierdesk.web.lockout`).

    Stored in the database rather than the cache because the default cache is per process:
    a lockout must hold across every web worker.
    """

    username = models.CharField(max_length=254)  # as typed, lower-cased
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["username", "ip", "at"], name="login_failure_lookup")]


class SavedFilter(models.Model):
    """An agent's named queue view: the query string of a queue page."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="one_saved_filter_name")
        ]

    def __str__(self) -> str:
        return self.name
