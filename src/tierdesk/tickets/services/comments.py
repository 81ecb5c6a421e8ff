from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import Forbidden
from tierdesk.core.pipeline import pipelined
from tierdesk.core.rows import build, insert_one
from tierdesk.notifications import services as notifications
from tierdesk.slas import services as clocks
from tierdesk.tickets.models import Comment, Status, Ticket
from tierdesk.tickets.models.enums import FINAL_STATUSES
from tierdesk.tickets.services._common import (
    clean_text,
    lock,
    participate,
    save,
    trail_for,
    watchers_of,
)

BODY_MAX = 100_000


def add_comment(
    ticket: Ticket,
    body: str,
    *,
    actor: User,
    internal: bool = False,
    channel: str = "api",
    at: datetime | None = None,
) -> Comment:
    """A public reply or an internal note.

    An agent's first public reply meets the first-response target. A requester's reply to a
    ticket waiting on them puts it back in progress (their clock resumes).
    """
    body = clean_text(body, "body", max_length=BODY_MAX, required=True)
    with transaction.atomic(), pipelined():
        ticket = lock(ticket)
        now = at or timezone.now()
        is_requester = actor.role == "requester"
        policy.require_reply(actor, ticket)
        if is_requester and internal:
            raise Forbidden("requesters cannot write internal notes")
        if ticket.status in FINAL_STATUSES:
            raise Forbidden(f"{ticket.key} is {ticket.status}; open a new ticket instead")
        comment = build(
            Comment,
            ticket=ticket,
            author=actor,
            body=body,
            internal=internal,
            channel=channel,
            created_at=now,
        )
        insert_one(comment)
        trail = trail_for(ticket, actor, channel, now)
        trail.add(
            "comment_added", after=comment.pk, data={"internal": internal, "comment_id": comment.pk}
        )
        changed: list[str] = []
        if not internal and not is_requester and ticket.first_responded_at is None:
            clocks.first_response(ticket, now)
            changed.append("first_responded_at")
            trail.add("first_response", data={"comment_id": comment.pk})
        if is_requester and ticket.status == Status.WAITING_ON_CUSTOMER:
            trail.add(
                "status_changed",
                field="status",
                before=ticket.status,
                after=Status.IN_PROGRESS,
                note="the requester replied",
            )
            ticket.status = Status.IN_PROGRESS
            clocks.resume(ticket, now)
            changed += ["status", *clocks.SLA_FIELDS]
        save(ticket, now, *changed)
        trail.flush()
        participate(ticket, actor)
        if not internal:
            recipients = [ticket.requester, *watchers_of(ticket)]
            if ticket.assignee_id:
                recipients.append(ticket.assignee)  # type: ignore[arg-type]
            notifications.public_reply(ticket, comment, recipients)
    return comment
