"""Intake of raw messages: store first, then process.

``store`` commits the raw bytes (and nothing else) before a channel acknowledges the
message: the SMTP server answers ``250`` and the IMAP poller marks the message seen only
after it returns. ``process`` then parses the stored message in a worker process with a
time limit and turns it into a ticket, a reply or an event; anything it cannot handle is
quarantined with the reason. A message is therefore always in exactly one of: not yet
received (the sender still has it), stored, processed, quarantined.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from tierdesk.core.errors import DomainError
from tierdesk.intake_email import conf
from tierdesk.intake_email.models import InboundMessage, InboundStatus, QuarantineReason
from tierdesk.intake_email.parsing import ParsedMessage
from tierdesk.intake_email.selectors import desk_addresses
from tierdesk.intake_email.services import storage
from tierdesk.intake_email.services.apply import apply
from tierdesk.intake_email.services.parsepool import (
    CRASHED,
    TIMEOUT,
    UNPARSEABLE,
    ParseResult,
    get_pool,
)
from tierdesk.intake_email.services.peek import peek
from tierdesk.intake_email.services.quarantine import Quarantine, quarantine, quarantine_oversize
from tierdesk.notifications.queueing import enqueue_with_transaction

log = logging.getLogger(__name__)
PROCESSABLE = (InboundStatus.RECEIVED,)
RESULT_FIELDS = [
    "attempts",
    "status",
    "outcome",
    "reason",
    "detail",
    "processed_at",
    "ticket",
    "comment",
    "sender",
    "desk_address",
    "message_id",
    "from_address",
    "subject",
    "authentication",
    "text",
    "html",
]
FAILURE_REASONS = {
    TIMEOUT: QuarantineReason.PARSE_TIMEOUT,
    CRASHED: QuarantineReason.PARSER_CRASHED,
    UNPARSEABLE: QuarantineReason.UNPARSEABLE,
}


@dataclass(frozen=True)
class Source:
    """Where a message came from. ``mailbox`` is the namespace for duplicate detection."""

    mailbox: str
    channel: str
    envelope_from: str = ""
    envelope_to: tuple[str, ...] = ()
    default_address: str | None = None
    source_ref: str = ""
    acked: bool = True


@dataclass(frozen=True)
class Stored:
    pk: int
    duplicate: bool
    raw_path: str = ""  # the file written for bytes too big for the row


def source_columns(source: Source) -> dict[str, Any]:
    """Where a message came from, as the columns of its stored row (cut to their sizes)."""
    return {
        "mailbox": source.mailbox[:200],
        "channel": source.channel,
        "source_ref": source.source_ref,
        "source_acked": source.acked,
        "envelope_from": source.envelope_from[:320],
        "envelope_to": list(source.envelope_to)[:100],
        "desk_address": desk_address_for(source),
    }


def desk_address_for(source: Source) -> str:
    served = desk_addresses()
    for address in source.envelope_to:
        if address.lower() in served:
            return address.lower()
    return (source.default_address or "").lower()


def store(raw: bytes, source: Source, *, enqueue: bool = True) -> Stored:
    """Commit ``raw``; a copy already stored for this mailbox is reported as a duplicate.

    With ``enqueue`` the processing task is queued in the same transaction's commit hook.
    Raises on any storage failure: the caller then answers "try again later".
    """
    content_hash = hashlib.sha256(raw).hexdigest()
    existing = (
        InboundMessage.objects.filter(mailbox=source.mailbox, content_hash=content_hash)
        .values_list("pk", flat=True)
        .first()
    )
    if existing is not None:
        log.info("mail: duplicate of message %s in %s dropped", existing, source.mailbox)
        return Stored(existing, duplicate=True)
    summary = peek(raw)
    inline, path = storage.save_raw(raw)
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                **source_columns(source),
                message_id=(summary.message_id or "")[:1000],
                content_hash=content_hash,
                size=len(raw),
                raw=inline,
                raw_path=path,
                from_address=(summary.from_address or "").lower()[:320],
                subject=summary.subject[:500],
                received_at=timezone.now(),
            )
            if enqueue:
                pk = message.pk
                enqueue_with_transaction(lambda: enqueue_processing(pk))
    except IntegrityError:
        storage.discard_raw(path)
        existing = (
            InboundMessage.objects.filter(mailbox=source.mailbox, content_hash=content_hash)
            .values_list("pk", flat=True)
            .first()
        )
        if existing is None:
            raise
        log.info("mail: duplicate of message %s in %s dropped", existing, source.mailbox)
        return Stored(existing, duplicate=True)
    except BaseException:
        storage.discard_raw(path)
        raise
    return Stored(message.pk, duplicate=False, raw_path=path)


def enqueue_processing(pk: int) -> None:
    from tierdesk.intake_email.jobs import process_inbound_message

    process_inbound_message.enqueue(pk)


def parse_options() -> dict[str, object]:
    return {
        "own_loop_token": conf.loop_token(),
        "key_prefix": conf.key_prefix(),
        "trusted_authserv_id": conf.trusted_authserv_id(),
    }


def _load(pk: int, statuses: Iterable[str]) -> tuple[InboundMessage, bytes] | None:
    message = InboundMessage.objects.filter(pk=pk, status__in=list(statuses)).first()
    if message is None:
        return None
    return message, storage.load_raw(message.raw, message.raw_path)


def process(pk: int, *, statuses: Iterable[str] = PROCESSABLE) -> str:
    """Parse and act on stored message ``pk``; returns its new status."""
    loaded = _load(pk, statuses)
    if loaded is None:
        return "skipped"
    message, raw = loaded
    if message.size > conf.max_message_bytes():
        quarantine_oversize(pk, raw)
        return InboundStatus.QUARANTINED
    result = get_pool().parse(raw, conf.parse_timeout(), **parse_options())
    return finish(pk, raw, result, statuses=statuses)


def finish(
    pk: int, raw: bytes, result: ParseResult, *, statuses: Iterable[str] = PROCESSABLE
) -> str:
    """Act on a parse result: quarantine a failure, else apply it in one transaction."""
    if result.parsed is None:
        reason = FAILURE_REASONS.get(result.failure or "", QuarantineReason.PROCESSING_ERROR)
        quarantine(pk, reason, result.detail, raw)
        return InboundStatus.QUARANTINED
    return _apply(pk, raw, result.parsed, list(statuses))


def _apply(pk: int, raw: bytes, parsed: ParsedMessage, statuses: list[str]) -> str:
    try:
        with transaction.atomic():
            message = InboundMessage.objects.select_for_update().defer("raw").get(pk=pk)
            if message.status not in statuses:
                return "skipped"  # another worker got there first
            message.attempts += 1
            apply(message, raw, parsed)
            message.processed_at = timezone.now()
            message.reason, message.detail = "", ""
            message.save(update_fields=RESULT_FIELDS)
            return str(message.status)
    except Quarantine as exc:
        quarantine(pk, exc.reason, exc.detail, raw)
    except (OperationalError, InterfaceError):
        raise  # the database is away: the message stays stored and is retried
    except DomainError as exc:
        quarantine(pk, QuarantineReason.PROCESSING_ERROR, f"{type(exc).__name__}: {exc}", raw)
    except Exception as exc:
        log.exception("mail message %s: processing failed", pk)
        quarantine(pk, QuarantineReason.PROCESSING_ERROR, f"{type(exc).__name__}: {exc}", raw)
    return InboundStatus.QUARANTINED


def reprocess(pk: int) -> str:
    """Try a received or quarantined message again (after a fix, a new limit, a restart)."""
    return process(pk, statuses=(InboundStatus.RECEIVED, InboundStatus.QUARANTINED))


def ingest_many(
    raws: Iterable[bytes],
    source: Source,
    *,
    progress: Callable[[str], None] | None = None,
) -> Counter[str]:
    """Import messages one after another, in constant memory (see ``importing``)."""
    from tierdesk.intake_email.services.importing import import_messages

    return import_messages(raws, source, progress=progress)
