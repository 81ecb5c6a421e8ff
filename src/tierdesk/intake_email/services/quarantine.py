"""Quarantine: messages intake could not act on, kept whole with the reason, for an admin.

Nothing is ever dropped silently. A quarantined message keeps its raw bytes where they were
stored and also gets a plain ``.eml`` copy under ``$TIERDESK_DATA_DIR/mail/quarantine/``;
``tierdesk mail quarantine`` lists them and ``tierdesk mail reprocess`` retries them.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from tierdesk.intake_email import conf
from tierdesk.intake_email.models import InboundMessage, InboundStatus, QuarantineReason
from tierdesk.intake_email.selectors import own_addresses
from tierdesk.intake_email.services import storage
from tierdesk.intake_email.services.peek import peek
from tierdesk.notifications import services as notifications

log = logging.getLogger(__name__)


class Quarantine(Exception):
    """Raised inside processing to put the message aside with ``reason``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


def quarantine(pk: int, reason: str, detail: str, raw: bytes) -> None:
    """Put message ``pk`` in quarantine (its own transaction: it must stick even when the
    processing transaction rolled back)."""
    summary = peek(raw)
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().defer("raw").get(pk=pk)
        message.status = InboundStatus.QUARANTINED
        message.reason = reason
        message.detail = detail[:5000]
        message.outcome = ""
        message.processed_at = timezone.now()
        message.ticket = None
        message.comment = None
        message.from_address = message.from_address or (summary.from_address or "").lower()
        message.subject = message.subject or summary.subject
        message.message_id = message.message_id or (summary.message_id or "")
        message.save(
            update_fields=[
                "status",
                "reason",
                "detail",
                "outcome",
                "processed_at",
                "ticket",
                "comment",
                "from_address",
                "subject",
                "message_id",
            ]
        )
    try:
        storage.write_quarantine_copy(pk, raw)
    except OSError as exc:  # the bytes are still in the store; the copy is a convenience
        log.error("message %s: cannot write its quarantine copy: %s", pk, exc)
    log.warning("mail message %s quarantined (%s): %s", pk, reason, detail)


def quarantine_oversize(pk: int, raw: bytes) -> None:
    """Over the size limit: quarantined unparsed, and its sender told once.

    No notice goes to automatic senders (bounces, auto-replies, lists) or to our own
    addresses: a notice answering a bounce is how loops start. The notice's dedup key is
    the message's content hash, so re-polling or reprocessing never sends a second one.
    """
    limit = conf.max_message_bytes()
    summary = peek(raw)
    detail = f"{len(raw)} bytes, over the limit of {limit} bytes"
    quarantine(pk, QuarantineReason.OVERSIZE, detail, raw)
    sender = (summary.from_address or "").lower()
    if not sender or summary.auto_generated or sender in own_addresses():
        return
    message = InboundMessage.objects.defer("raw").get(pk=pk)
    with transaction.atomic():
        notifications.postmaster_oversize(
            sender,
            subject=summary.subject,
            message_id=summary.message_id,
            content_hash=message.content_hash,
            size=len(raw),
        )
