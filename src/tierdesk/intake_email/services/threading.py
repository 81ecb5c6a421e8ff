"""Which ticket a message answers, if any, and whether its sender may add to it.

A message names a ticket in two ways: by quoting one of our own outbound Message-IDs in
In-Reply-To/References (unguessable, so proof the sender received our mail), or by the
``[TD-42]`` tag in its subject (anyone can type it). Either way it joins the ticket only
when its sender is a participant: the requester, a watcher, or someone who may work on
it. Anyone else opens a new ticket and learns nothing about the one they named.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.intake_email.parsing import ParsedMessage
from tierdesk.intake_email.services.lookups import newest_open_ticket_of, ticket_with_requester
from tierdesk.notifications.selectors import tickets_for_message_ids
from tierdesk.tickets.models import Ticket

MERGE_HOPS = 5
RECENT_FOR_AUTO = timedelta(hours=24)


def _load(ticket_id: int) -> Ticket | None:
    ticket = ticket_with_requester(ticket_id)
    hops = 0
    while ticket is not None and ticket.merged_into_id is not None and hops < MERGE_HOPS:
        ticket = ticket_with_requester(ticket.merged_into_id)
        hops += 1
    return ticket


def referenced_ticket_ids(parsed: ParsedMessage) -> list[int]:
    """Tickets of our own Message-IDs the message quotes: In-Reply-To first, then the
    References from the most recent backwards."""
    ordered = [*parsed.in_reply_to, *reversed(parsed.references)]
    found = tickets_for_message_ids(ordered)
    return list(dict.fromkeys(found[msg_id] for msg_id in ordered if msg_id in found))


def is_participant(user: User, ticket: Ticket) -> bool:
    if not user.is_active:
        return False
    if ticket.requester_id == user.pk:
        return True
    if ticket.watchers.filter(pk=user.pk).exists():
        return True
    return user.role != "requester" and policy.may_work_on(user, ticket)


def thread_for(parsed: ParsedMessage, sender: User) -> Ticket | None:
    """The ticket this message continues, only if ``sender`` takes part in it."""
    candidates = [*referenced_ticket_ids(parsed), *parsed.ticket_tags]
    for ticket_id in dict.fromkeys(candidates):
        ticket = _load(ticket_id)
        if ticket is not None and is_participant(sender, ticket):
            return ticket
    return None


def ticket_for_automatic(parsed: ParsedMessage, sender: User | None) -> Ticket | None:
    """Where an auto-reply or bounce belongs: the ticket of our mail it answers, else a
    tagged ticket of a participant, else the sender's own recent open ticket.

    The last fallback catches auto-responders that drop the thread headers: it keeps two
    auto-responders pointed at each other to one ticket.
    """
    for ticket_id in referenced_ticket_ids(parsed):
        ticket = _load(ticket_id)
        if ticket is not None:
            return ticket
    if sender is None:
        return None
    for ticket_id in parsed.ticket_tags:
        ticket = _load(ticket_id)
        if ticket is not None and is_participant(sender, ticket):
            return ticket
    return newest_open_ticket_of(sender, timezone.now() - RECENT_FOR_AUTO)
