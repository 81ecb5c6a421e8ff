from __future__ import annotations

from django.db import models


class TimerKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First-response target"
    RESOLUTION_WARNING = "resolution_warning", "Resolution warning"
    RESOLUTION = "resolution", "Resolution target"
    OLA = "ola", "Tier budget (OLA)"
    HIERARCHY = "hierarchy", "Hierarchical escalation step"
    AUTO_CLOSE = "auto_close", "Automatic close"


class Timer(models.Model):
    """A due time for one kind of time-based work on a ticket.

    At most one timer per (ticket, kind). Re-arming replaces the row, so a worker that
    claimed the old row can never fire the new one; fired timers are deleted in the same
    transaction as their effect, which makes each firing exactly-once.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=24, choices=TimerKind.choices)
    due_at = models.DateTimeField()
    step = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="one_timer_per_kind")
        ]
        indexes = [models.Index(fields=["due_at"], name="timer_due")]
