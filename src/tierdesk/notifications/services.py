"""Notifications owed to people, written in the command's transaction (an outbox) and
delivered after commit by a task. The dedup key makes a retried step notify each person once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.notifications.models import Notification, NotificationStatus
from tierdesk.tickets.models import Ticket


def _link(ticket: Ticket) -> str:
    return f"{settings.BASE_URL}/tickets/{ticket.key}"


def queue(
    kind: str,
    ticket: Ticket | None,
    recipients: Iterable[User],
    subject: str,
    body: str,
    dedup: str,
) -> list[Notification]:
    """Owe ``recipients`` a message; the same ``dedup`` for the same person is a no-op."""
    now = timezone.now()
    rows = [
        Notification(
            dedup_key=f"{dedup}:{person.pk}"[:200],
            recipient=person,
            ticket=ticket,
            kind=kind,
            subject=subject.replace("\r", " ").replace("\n", " ")[:300],
            body=body,
            created_at=now,
        )
        for person in {p.pk: p for p in recipients if p is not None and p.is_active}.values()
    ]
    if not rows:
        return []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    keys = [row.dedup_key for row in rows]
    transaction.on_commit(lambda: _enqueue(keys))
    return rows


def _enqueue(keys: list[str]) -> None:
    from tierdesk.notifications.jobs import deliver_notification

    for pk in Notification.objects.filter(
        dedup_key__in=keys, status=NotificationStatus.PENDING, attempts=0
    ).values_list("pk", flat=True):
        deliver_notification.enqueue(pk)


def ticket_opened(ticket: Ticket) -> None:
    queue(
        "ticket_opened",
        ticket,
        [ticket.requester],
        f"[{ticket.key}] {ticket.title}",
        f"We have received your request and logged it as {ticket.key} "
        f"(priority {ticket.priority}).\n\nFollow it at {_link(ticket)}\n",
        dedup=f"{ticket.key}:opened",
    )


def assigned(ticket: Ticket, assignee: User) -> None:
    queue(
        "assigned",
        ticket,
        [assignee],
        f"[{ticket.key}] assigned to you: {ticket.title}",
        f"{ticket.key} ({ticket.priority}) is assigned to you.\n\n{_link(ticket)}\n",
        dedup=f"{ticket.key}:assigned:{ticket.version}",
    )


def escalated_to_team(ticket: Ticket, note: str, hop_id: int) -> None:
    from tierdesk.org.selectors import team_members

    queue(
        "escalated",
        ticket,
        team_members(ticket.team_id),
        f"[{ticket.key}] escalated to {ticket.team.name}: {ticket.title}",
        f"{ticket.key} ({ticket.priority}) was handed to {ticket.team.name}.\n\n"
        f"Handoff note:\n{note}\n\n{_link(ticket)}\n",
        dedup=f"{ticket.key}:hop:{hop_id}",
    )


def public_reply(
    ticket: Ticket, comment_id: int, author: User, body: str, recipients: Iterable[User]
) -> None:
    queue(
        "public_reply",
        ticket,
        [r for r in recipients if r.pk != author.pk],
        f"Re: [{ticket.key}] {ticket.title}",
        f"{body}\n\n{_link(ticket)}\n",
        dedup=f"{ticket.key}:comment:{comment_id}",
    )


def status_changed(ticket: Ticket, status: str) -> None:
    texts = {
        "waiting_on_customer": "We need something from you to go on: please reply.",
        "resolved": "We consider this resolved. If it is not, reply or reopen it within "
        "the reopen window from the link below.",
    }
    if status in texts:
        queue(
            status,
            ticket,
            [ticket.requester],
            f"[{ticket.key}] {ticket.title}",
            f"{texts[status]}\n\n{_link(ticket)}\n",
            dedup=f"{ticket.key}:{status}:{ticket.version}",
        )


def sla_alert(ticket: Ticket, kind: str, recipients: Iterable[User], what: str, dedup: str) -> None:
    queue(
        kind,
        ticket,
        recipients,
        f"[{ticket.key}] {what}: {ticket.title}",
        f"{ticket.key} ({ticket.priority}, {ticket.team.name}): {what}.\n\n{_link(ticket)}\n",
        dedup=dedup,
    )
