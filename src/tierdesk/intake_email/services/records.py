"""What mail leaves on a ticket besides the ticket commands' own records: an event saying
how it arrived (verified or not), auto-replies and bounces, attachments, Cc watchers."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.intake_email.models import Attachment, InboundMessage
from tierdesk.intake_email.parsing import ParsedMessage
from tierdesk.intake_email.services import storage
from tierdesk.intake_email.services.messagerow import stored_pk
from tierdesk.intake_email.services.people import SenderProblem, person_for
from tierdesk.tickets.models import Comment, Ticket
from tierdesk.tickets.services import add_watcher
from tierdesk.tickets.services._common import lock, save, trail_for

log = logging.getLogger(__name__)
CC_WATCHERS_MAX = 10
AUTO_EVENT = {"auto_reply": "auto_reply_received", "bounce": "bounce_received"}


def record_event(
    ticket: Ticket, kind: str, data: dict[str, Any], *, actor: User | None, touch: bool
) -> None:
    """Append one event to the ticket's audit chain (``touch``: also count as activity).

    Called while a message is processed, inside its transaction: a failure here fails the
    whole message, so the event needs no savepoint of its own.
    """
    with transaction.atomic(savepoint=False):
        locked = lock(ticket)
        now = timezone.now()
        trail = trail_for(locked, actor, "email", now)
        trail.add(kind, data=data)
        if touch:
            save(locked, now)
        trail.flush()


def mail_data(message: InboundMessage, parsed: ParsedMessage, verdict: str) -> dict[str, Any]:
    return {
        "message": stored_pk(message),
        "message_id": parsed.message_id,
        "from": parsed.from_address,
        "authentication": verdict,
        "unverified": verdict != "pass",
        "ignored_headers": list(parsed.headers_ignored),
    }


def record_automatic(ticket: Ticket, message: InboundMessage, parsed: ParsedMessage) -> None:
    """An auto-reply or a bounce about ``ticket``: kept as an event, never as a reply, so it
    neither reopens the ticket nor restarts a clock nor notifies anyone."""
    record_event(
        ticket,
        AUTO_EVENT.get(parsed.auto_kind or "", "auto_reply_received"),
        {
            "message": stored_pk(message),
            "from": parsed.from_address,
            "subject": parsed.subject[:300],
            "excerpt": parsed.reply_text[:500],
        },
        actor=None,
        touch=True,
    )


def store_attachments(
    ticket: Ticket,
    message: InboundMessage,
    parsed: ParsedMessage,
    sender: User,
    comment: Comment | None,
) -> list[Attachment]:
    rows = []
    now = timezone.now()
    for part in parsed.attachments:
        if not part.content:
            continue
        stored_pk(message)
        name, digest = storage.save_attachment(part.content)
        rows.append(
            Attachment(
                ticket=ticket,
                comment=comment,
                inbound=message,
                uploaded_by=sender,
                filename=part.filename[:255],
                content_type=part.content_type[:200],
                size=len(part.content),
                sha256=digest,
                storage_name=name,
                inline=part.inline,
                content_id=(part.content_id or "")[:300],
                internal=bool(comment and comment.internal),
                created_at=now,
            )
        )
    return Attachment.objects.bulk_create(rows) if rows else []


def add_cc_watchers(
    ticket: Ticket, parsed: ParsedMessage, sender: User, own: frozenset[str]
) -> list[str]:
    """Cc'd people of a verified message follow the ticket's future public replies.

    Only the Cc line counts (To holds the desk), never our own addresses, at most
    ``CC_WATCHERS_MAX``. The caller has checked the message was verified.
    """
    added: list[str] = []
    skip = {*own, (sender.email or "").lower(), (ticket.requester.email or "").lower()}
    for address in parsed.cc:
        lowered = address.lower()
        if lowered in skip or len(added) >= CC_WATCHERS_MAX:
            continue
        skip.add(lowered)
        try:
            person = person_for(address)
        except SenderProblem as exc:
            log.info("Cc %s not added to %s: %s", address, ticket.key, exc)
            continue
        if add_watcher(ticket, person, actor=None, channel="email"):
            added.append(lowered)
    return added
