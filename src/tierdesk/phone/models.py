from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class Source(models.TextChoices):
    AGENT = "agent", "Logged by an agent"
    WEBHOOK = "webhook", "Telephony webhook"


class Outcome(models.TextChoices):
    """What the channel did with the call; ``unlinked`` calls wait in L1's attach queue."""

    LOGGED = "logged", "Logged on a ticket by an agent"
    ADDED = "added", "Added to the caller's open ticket"
    CALLBACK = "callback", "Opened a callback ticket"
    UNLINKED = "unlinked", "Waiting to be attached"
    ATTACHED = "attached", "Attached to a ticket by an agent"


UNLINKED = Q(outcome=Outcome.UNLINKED)


class Call(models.Model):
    """One phone call, logged by an agent or reported by the telephony system.

    Numbers are stored normalised (see :mod:`tierdesk.phone.numbers`). ``caller`` is the person
    the number or address was matched to, if any. ``provider_call_id`` is unique per provider,
    so a provider's retry (or a replayed webhook) finds the first row instead of a second call;
    ``fingerprint`` tells a true retry from a different call reusing the id.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    caller_number = models.CharField(max_length=24, blank=True)
    callee_number = models.CharField(max_length=24, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField()
    answered = models.BooleanField()
    notes = models.TextField(blank=True)
    recording_url = models.URLField(max_length=2000, blank=True)
    transcript = models.TextField(blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logged_calls",
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    provider = models.CharField(max_length=40, blank=True)
    provider_call_id = models.CharField(max_length=200, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_call_id"],
                condition=~Q(provider_call_id=""),
                name="one_call_per_provider_id",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__gte=F("started_at")), name="call_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["-id"], condition=UNLINKED, name="unlinked_calls"),
            models.Index(fields=["caller_number", "-started_at"], name="call_by_caller_number"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} call {self.remote_number} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def remote_number(self) -> str:
        """The other party: who called the desk, or whom the desk called."""
        return self.caller_number if self.direction == Direction.INBOUND else self.callee_number
