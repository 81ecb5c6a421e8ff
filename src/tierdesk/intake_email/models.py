from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"  # stored, not yet processed
    PROCESSED = "processed", "Processed"  # became a ticket, a reply or an event
    IGNORED = "ignored", "Ignored"  # our own mail coming back (loop): kept, not acted on
    QUARANTINED = "quarantined", "Quarantined"  # waiting for an admin; see ``reason``


class Outcome(models.TextChoices):
    TICKET_CREATED = "ticket_created", "Ticket created"
    REPLY_ADDED = "reply_added", "Reply added"
    AUTO_RECORDED = "auto_recorded", "Auto-reply or bounce recorded"
    LOOP_DROPPED = "loop_dropped", "Own mail, dropped"


class QuarantineReason(models.TextChoices):
    OVERSIZE = "oversize", "Over the size limit"
    PARSE_TIMEOUT = "parse_timeout", "Parsing took too long"
    PARSER_CRASHED = "parser_crashed", "The parser process died"
    UNPARSEABLE = "unparseable", "Not a mail message"
    NO_SENDER = "no_sender", "No sender address"
    INVALID_SENDER = "invalid_sender", "Sender address not usable"
    OWN_ADDRESS = "own_address", "Claims to come from one of our addresses"
    SENDER_INACTIVE = "sender_inactive", "Sender's account is deactivated"
    PROCESSING_ERROR = "processing_error", "Processing failed"


class InboundMessage(models.Model):
    """One received message, stored before anything else happens to it.

    The raw bytes are the source of truth: small messages inline, large ones in a file under
    ``$TIERDESK_DATA_DIR/mail/raw/`` (written and fsynced before this row commits). A
    message is unique per mailbox by content hash (the same bytes delivered twice, e.g. a
    sender retrying after a lost ``250``); identical bytes carry the same Message-ID too.
    """

    mailbox = models.CharField(max_length=200)
    channel = models.CharField(max_length=16)  # smtp, imap, import
    source_ref = models.CharField(max_length=100, blank=True)  # imap: "<uidvalidity>:<uid>"
    source_acked = models.BooleanField(default=True)  # imap: marked seen / moved on server
    envelope_from = models.CharField(max_length=320, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    desk_address = models.CharField(max_length=320, blank=True)
    message_id = models.CharField(max_length=1000, blank=True)
    content_hash = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    raw = models.BinaryField(null=True, blank=True)
    raw_path = models.CharField(max_length=300, blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    # What the receiving server's Authentication-Results said about the From address:
    # "pass" (aligned pass), "fail", or "none" (no proof either way). Not "pass" = unverified.
    authentication = models.CharField(max_length=8, blank=True)
    # The whole text and the sanitised HTML as parsed (a reply's comment holds only the new
    # part, without quoted history and signature): for "show the full message".
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    received_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    reason = models.CharField(max_length=20, choices=QuarantineReason.choices, blank=True)
    detail = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "content_hash"], name="one_copy_per_mailbox")
        ]
        indexes = [
            models.Index(fields=["ticket", "received_at"], name="inbound_by_ticket"),
            models.Index(
                fields=["status", "id"],
                name="inbound_pending",
                condition=Q(status__in=["received", "quarantined"]),
            ),
            models.Index(
                fields=["mailbox", "source_ref"],
                name="inbound_unacked",
                condition=Q(source_acked=False),
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} from {self.from_address or self.envelope_from or '?'}"


class Attachment(models.Model):
    """A file on a ticket, from mail or the API. Stored under a generated name (its content
    hash), never under the name the sender gave; ``filename`` is only for display."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="attachments"
    )
    comment = models.ForeignKey(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inbound = models.ForeignKey(
        InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200)
    inline = models.BooleanField(default=False)
    content_id = models.CharField(max_length=300, blank=True)
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "id"], name="attachment_by_ticket")]


class MailboxState(models.Model):
    """Where the IMAP poller of one mailbox got to: resumes there after a crash."""

    name = models.CharField(max_length=100, unique=True)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
