"""Deciding what a parsed message becomes, and making it so through the ticket commands.

Runs inside the processing transaction with the message row locked, so a message becomes
exactly one ticket, reply or event even when two workers pick it up. Raises
:class:`Quarantine` for messages that must wait for an admin.

An import hands over a message whose row is not inserted yet, so that it is written once,
with its outcome (see ``importing``); whatever has to name the row inserts it first
(``messagerow.stored_pk``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from django.db import transaction

from tierdesk.accounts.models import User
from tierdesk.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
)
from tierdesk.intake_email import conf
from tierdesk.intake_email.models import InboundMessage, InboundStatus, Outcome
from tierdesk.intake_email.parsing import ParsedMessage
from tierdesk.intake_email.selectors import desk_addresses, own_addresses
from tierdesk.intake_email.services import authresults, records
from tierdesk.intake_email.services import threading as mail_threading
from tierdesk.intake_email.services.people import SenderProblem, person_for
from tierdesk.intake_email.services.quarantine import Quarantine
from tierdesk.tickets.models import Comment, Status, Ticket
from tierdesk.tickets.models.enums import FINAL_STATUSES
from tierdesk.tickets.services import NewTicket, add_comment, create_ticket, transition

log = logging.getLogger(__name__)
DESCRIPTION_MAX = 100_000
BODY_MAX = 100_000
AUTOMATIC = frozenset({"auto_reply", "bounce"})
NO_REPLY_RE = re.compile(r"^(no-?reply|do-?not-?reply|noreply-[^@]*)@", re.IGNORECASE)
TRUNCATED = "\n\n[… cut here; the full message is kept with the ticket's mail]"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(TRUNCATED)] + TRUNCATED


def apply(message: InboundMessage, raw: bytes, parsed: ParsedMessage) -> None:
    """Act on one message; sets ``message``'s outcome fields (the caller saves them)."""
    message.message_id = (parsed.message_id or "")[:1000]
    message.from_address = (parsed.from_address or "").lower()[:320]
    message.subject = parsed.subject[:500]
    message.text, message.html = parsed.text, parsed.html or ""
    if parsed.loop_detected:
        log.info(
            "mail %s in %s is our own mail coming back (X-Loop); dropped",
            message.message_id or "without Message-ID",
            message.mailbox,
        )
        message.status, message.outcome = InboundStatus.IGNORED, Outcome.LOOP_DROPPED
        return
    if not parsed.from_address:
        raise Quarantine("no_sender", "the message has no usable From address")
    own = own_addresses()
    if parsed.from_address.lower() in own:
        raise Quarantine("own_address", f"From {parsed.from_address}, one of our own addresses")
    try:
        sender = person_for(parsed.from_address, parsed.from_name)
    except SenderProblem as exc:
        raise Quarantine(exc.reason, str(exc)) from None
    message.sender = sender
    if not message.desk_address:
        message.desk_address = next(
            (a.lower() for a in (*parsed.to, *parsed.cc) if a.lower() in desk_addresses()), ""
        )
    verdict = authresults.verdict(
        raw,
        parsed.from_address,
        failed=parsed.authentication_failed,
        trusted_authserv_id=conf.trusted_authserv_id(),
    )
    message.status = InboundStatus.PROCESSED
    if parsed.auto_kind in AUTOMATIC:
        ticket = mail_threading.ticket_for_automatic(parsed, sender)
        if ticket is not None:
            records.record_automatic(ticket, message, parsed)
            message.ticket, message.outcome = ticket, Outcome.AUTO_RECORDED
            return
    else:
        ticket = mail_threading.thread_for(parsed, sender)
        if ticket is not None:
            comment = _reply(ticket, sender, parsed, verified=verdict == authresults.PASSED)
            if comment is not None:
                _after_mail(ticket, message, parsed, sender, verdict, own, comment)
                message.ticket, message.comment = ticket, comment
                message.outcome = Outcome.REPLY_ADDED
                return
    ticket = _new_ticket(message, parsed, sender)
    _after_mail(ticket, message, parsed, sender, verdict, own, None)
    if parsed.auto_kind in AUTOMATIC:
        records.record_automatic(ticket, message, parsed)
    message.ticket, message.outcome = ticket, Outcome.TICKET_CREATED


def _reply(
    ticket: Ticket, sender: User, parsed: ParsedMessage, *, verified: bool
) -> Comment | None:
    """Add the reply; None when the ticket no longer takes replies (the mail then opens a
    new ticket). A requester's reply to a resolved ticket reopens it while the reopen
    window is open, as the resolved notice promised.

    Mail from staff that the receiving server did not vouch for is kept as an internal
    note: otherwise a forged From of an agent would be relayed to the requester as the
    agent's answer (a phishing channel). Agents answer publicly from the desk itself.
    """
    if ticket.status in FINAL_STATUSES:
        return None
    body = _cut(parsed.reply_text.strip() or parsed.text.strip() or "(empty message)", BODY_MAX)
    internal = sender.role != "requester" and not verified
    try:
        if not (ticket.status == Status.RESOLVED and ticket.requester_id == sender.pk):
            # A command is one transaction: a refused reply leaves nothing behind.
            return add_comment(ticket, body, actor=sender, internal=internal, channel="email")
        with transaction.atomic():  # the reopen stands only with its reply
            transition(
                ticket,
                Status.IN_PROGRESS,
                actor=sender,
                note="reopened by an email reply",
                channel="email",
            )
            return add_comment(ticket, body, actor=sender, internal=internal, channel="email")
    except (Conflict, Forbidden, NotFound, TransitionNotAllowed) as exc:
        log.info(
            "reply to %s by %s opens a new ticket instead: %s", ticket.key, sender.username, exc
        )
        return None


def _new_ticket(message: InboundMessage, parsed: ParsedMessage, sender: User) -> Ticket:
    desk = desk_addresses().get(message.desk_address)
    reason = ""
    if NO_REPLY_RE.match(sender.email or ""):
        reason = "the sender's address takes no replies"
    elif parsed.auto_kind is not None:
        reason = f"automatic mail ({parsed.auto_kind}) is never acknowledged"
    elif parsed.auto_response_suppressed:
        reason = "the sender asked for no automatic replies"
    new = NewTicket(
        title=parsed.subject.strip() or "(no subject)",
        description=_cut(parsed.text, DESCRIPTION_MAX),
        type=desk.type if desk else None,
        channel="email",
        team=desk.team if desk and desk.team else None,
    )
    try:
        return create_ticket(new, requester=sender, no_acknowledgement=reason)
    except InvalidInput as exc:
        if exc.field != "team":
            raise
        # The org file names a team that is gone: the mail still becomes a ticket, routed.
        log.warning("desk address %s: %s; routing instead", message.desk_address, exc)
        return create_ticket(replace(new, team=None), requester=sender, no_acknowledgement=reason)


def _after_mail(
    ticket: Ticket,
    message: InboundMessage,
    parsed: ParsedMessage,
    sender: User,
    verdict: str,
    own: frozenset[str],
    comment: Comment | None,
) -> None:
    """Attachments, Cc watchers (verified mail only), and an event when the mail carried
    something an agent should know: failed authentication, internal-looking headers that
    were ignored, a Cc that was or was not followed. The message row keeps the rest."""
    message.ticket = ticket  # threading of the acknowledgement reads it at delivery
    message.authentication = verdict
    records.store_attachments(ticket, message, parsed, sender, comment)
    noteworthy = verdict == authresults.FAILED or bool(parsed.headers_ignored)
    extra: dict[str, object] = {}
    if comment is not None and comment.internal:
        noteworthy, extra["kept_internal"] = True, "staff mail without verified authentication"
    if parsed.cc:
        noteworthy = True
        if verdict == authresults.PASSED and parsed.auto_kind is None:
            extra["watchers_added"] = records.add_cc_watchers(ticket, parsed, sender, own)
        else:
            extra["cc_ignored"] = "bulk mail" if verdict == authresults.PASSED else "unverified"
    if noteworthy:
        data = {**records.mail_data(message, parsed, verdict), **extra}
        records.record_event(ticket, "mail_received", data, actor=sender, touch=False)
