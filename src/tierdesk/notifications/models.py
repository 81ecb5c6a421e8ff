from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Decided not to send (rate limit, an auto-reply must not be acknowledged); kept so an
    # admin can see why someone was not written to.
    SUPPRESSED = "suppressed", "Suppressed"


class Notification(models.Model):
    """A message owed to one person (an outbox row).

    It is rendered at delivery from ``render_later``: the template and the context values
    frozen when it was owed, so it says what was true then. Delivery stores the rendered text
    and empties ``render_later``; until then ``subject`` and ``body`` are empty (a row never
    delivered, such as a suppressed acknowledgement, keeps its frozen context).

    ``dedup_key`` makes at-least-once delivery reach each recipient once: a retried step
    inserts the same key and is ignored. ``message_id`` is our Message-ID for it, fixed at
    creation so a retried delivery carries the same one and replies thread to the ticket.
    ``recipient`` is empty only for mail to someone without an account (a postmaster notice
    to the sender of an oversize message), who is then named by ``to_address``.
    """

    dedup_key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    to_address = models.CharField(max_length=254, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40)
    language = models.CharField(max_length=16, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    body_html = models.TextField(blank=True)
    render_later = models.JSONField(null=True, blank=True)
    message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # Message-IDs this one answers (the inbound message), set when known at creation;
    # References of a ticket's thread are added at delivery.
    in_reply_to = models.CharField(max_length=1000, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_by_recipient"),
            models.Index(fields=["ticket", "id"], name="notification_by_ticket"),
            # The acknowledgement rate limit counts one address's pending and sent acks of
            # the last hour; with status in the index, the suppressed ones of a mail loop
            # (thousands an hour) are never read.
            models.Index(
                fields=["to_address", "status", "created_at"],
                name="notification_ack_by_status",
                condition=Q(kind="ticket_opened"),
            ),
            models.Index(
                fields=["status", "id"],
                name="notification_not_sent",
                condition=Q(status__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.address}"

    @property
    def address(self) -> str:
        if self.recipient_id is not None and self.recipient is not None:
            return str(self.recipient.email or "")
        return self.to_address
