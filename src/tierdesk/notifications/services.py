"""Notifications owed to people, written in the command's transaction (an outbox) and
delivered after commit by a task. The dedup key makes a retried step notify each person once.

What a notification says is fixed here: its template context is frozen (plain values only)
and it is rendered from those values, per recipient and in their language, at delivery
(:func:`render_owed`; see :mod:`tierdesk.notifications.rendering`). Rendering three templates
per person was a tenth of opening a ticket and the bulk of the scheduler's alerts, so it is
done off the command. A row that is never delivered (a suppressed acknowledgement) keeps
its frozen context: what it would have said.

Internal notes never reach this module: ``public_reply`` is the only way comment text
leaves the desk, and it refuses internal comments.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.core.rows import build, insert_many
from tierdesk.core.scoped import bound
from tierdesk.intake_email import conf
from tierdesk.notifications.models import Notification, NotificationStatus
from tierdesk.notifications.queueing import enqueue_with_transaction
from tierdesk.notifications.rendering import freeze, header_safe, language_for, render, thaw
from tierdesk.org import policies
from tierdesk.tickets.models import Comment, Ticket

ACKNOWLEDGEMENT = "ticket_opened"
SLA_KINDS = frozenset({"sla_warning", "sla_breach", "hierarchical_escalation", "ola_breach"})

_collecting: ContextVar[list[Notification] | None] = ContextVar(
    "notifications_collecting", default=None
)
_owed_keys: ContextVar[list[str] | None] = ContextVar("notifications_owed_keys", default=None)


@contextmanager
def one_write() -> Iterator[list[Notification]]:
    """Notifications queued inside this block are written when it ends, with one insert and
    one delivery task for all of them (rather than an insert, a select and a task per
    ``queue`` call); the block may add rows of its own to the list it is given. Use it
    inside the command's transaction. Inside another such block, or :func:`held_back`, the
    rows join the outer block's instead.
    """
    outer = _collecting.get()
    if outer is not None:
        yield outer
        return
    with bound(_collecting, []) as rows:
        yield rows
    _save(rows)


@contextmanager
def held_back(into: list[Notification]) -> Iterator[None]:
    """Notifications queued inside this block are added to ``into`` and not written: for a
    command run inside a scheduler batch, whose notifications are written with the batch's
    (see :func:`one_write`) once the command has succeeded, and dropped if it fails."""
    with bound(_collecting, into):
        yield


@contextmanager
def one_delivery_task() -> Iterator[None]:
    """Notifications saved inside this block are delivered by one task queued when it ends
    without an error, instead of one task per command. For a batch of commands in one
    transaction (a mail import, a scheduler batch): the task row commits with them or not
    at all.

    A key whose row a savepoint rolled back is harmless: delivery skips keys without a
    pending row.
    """
    with bound(_owed_keys, []) as keys:
        yield
    if keys:
        enqueue_with_transaction(lambda: _enqueue(keys))


def _link(ticket: Ticket) -> str:
    return f"{settings.BASE_URL}/tickets/{ticket.key}"


def new_message_id(ticket: Ticket | None) -> str:
    """A Message-ID nobody can guess: replies prove they answer our mail by quoting it."""
    return new_message_ids(ticket, 1)[0]


MESSAGE_ID_BYTES = 12


def new_message_ids(ticket: Ticket | None, count: int) -> list[str]:
    """``count`` Message-IDs as :func:`new_message_id` makes them, from one draw of the
    system's randomness (a draw each cost more than building the rest of the row)."""
    domain = conf.from_address().rpartition("@")[2] or "tierdesk.invalid"
    drawn = secrets.token_hex(MESSAGE_ID_BYTES * count)
    width = 2 * MESSAGE_ID_BYTES
    prefix = f"<td.{ticket.pk if ticket else 0}."
    return [f"{prefix}{drawn[at : at + width]}@{domain}>" for at in range(0, len(drawn), width)]


def _context(ticket: Ticket | None) -> dict[str, Any]:
    if ticket is None:
        return {"site_url": settings.BASE_URL}
    return {
        "ticket": ticket,
        "key": ticket.key,
        "title": ticket.title,
        "link": _link(ticket),
        "site_url": settings.BASE_URL,
    }


def queue(
    kind: str,
    ticket: Ticket | None,
    recipients: Iterable[User | None],
    *,
    dedup: str,
    context: dict[str, Any] | None = None,
    template: str | None = None,
    status: str = NotificationStatus.PENDING,
    note: str = "",
) -> list[Notification]:
    """Owe ``recipients`` a message; the same ``dedup`` for the same person is a no-op.

    The context is frozen now (plain values: the ticket itself is left out) and the message
    is rendered from it, for the row's recipient and in their language, at delivery.
    """
    now = timezone.now()
    people = {p.pk: p for p in recipients if p is not None and p.is_active}.values()
    base = {**_context(ticket), **(context or {})}
    values = {name: value for name, value in base.items() if name != "ticket"}
    frozen = {"template": template or kind, "context": freeze(values)}
    rows = [
        build(
            Notification,
            dedup_key=f"{dedup}:{person.pk}"[:200],
            recipient=person,
            to_address=(person.email or "").lower(),
            ticket=ticket,
            kind=kind,
            language=language_for(person.language),
            render_later=frozen,
            message_id=message_id,
            status=status,
            last_error=note,
            created_at=now,
        )
        for person, message_id in zip(people, new_message_ids(ticket, len(people)), strict=True)
    ]
    collecting = _collecting.get()
    if collecting is not None:
        collecting.extend(rows)
        return rows
    return _save(rows)


def _tagged(subject: str, key: str | None) -> str:
    """Every mail about a ticket carries its [TD-n] tag, whatever the template says."""
    if key is not None and f"[{key}]" not in subject:
        subject = f"[{key}] {subject}"
    return header_safe(subject)


def render_owed(notification: Notification) -> None:
    """Render a notification owed with ``render_later`` from its frozen context, in its
    language, into its subject and bodies (the caller saves them)."""
    owed = notification.render_later
    if owed is None:
        return
    context = thaw(owed["context"])
    rendered = render(
        owed["template"], {**context, "recipient": notification.recipient}, notification.language
    )
    notification.subject = _tagged(rendered.subject, context.get("key"))
    notification.body, notification.body_html = rendered.text, rendered.html


def _save(rows: list[Notification]) -> list[Notification]:
    if not rows:
        return []
    insert_many(rows, ignore_conflicts=True)
    keys = [row.dedup_key for row in rows if row.status == NotificationStatus.PENDING]
    owed = _owed_keys.get()
    if owed is not None:
        owed.extend(keys)
    elif keys:
        enqueue_with_transaction(lambda: _enqueue(keys))
    return rows


def _enqueue(keys: list[str]) -> None:
    from tierdesk.notifications.jobs import deliver_owed

    deliver_owed.enqueue(keys)


def recent_acknowledgements(
    address: str, *, up_to: int, within: timedelta = timedelta(hours=1)
) -> int:
    """Acknowledgements sent or owed to ``address`` lately, counted up to ``up_to``.

    An address over its limit (a mail loop) keeps getting tickets: a capped count reads
    ``up_to`` index entries instead of all of that hour's. Every new ticket asks, so it is
    one raw statement that names the partial index's kind literally (SQLite uses a partial
    index only for a WHERE that spells out its condition).
    """
    since = connection.ops.adapt_datetimefield_value(timezone.now() - within)
    with connection.cursor() as cursor:
        cursor.execute(_recent_acknowledgements_sql(), [address.lower(), since, up_to])
        (count,) = cursor.fetchone()
    return int(count)


@functools.cache
def _recent_acknowledgements_sql() -> str:
    quote, table = connection.ops.quote_name, Notification._meta.db_table
    owed = ", ".join(
        f"'{status}'" for status in (NotificationStatus.PENDING, NotificationStatus.SENT)
    )
    return (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {quote(table)}"
        f" WHERE {quote('kind')} = '{ACKNOWLEDGEMENT}' AND {quote('to_address')} = %s"
        f" AND {quote('status')} IN ({owed}) AND {quote('created_at')} >= %s LIMIT %s) recent"
    )


def acknowledgement_limit(requester: User) -> str:
    """Why ``requester`` gets no acknowledgement now (their address had its few this hour),
    or "" when they do.

    The rate limit is what keeps a misbehaving auto-responder from turning the desk into a
    mail cannon. Creating a ticket reads it before its transaction: it is a read, and two
    tickets racing for an address's last allowance could both get it either way (on
    PostgreSQL neither transaction sees the other's row).
    """
    limit = conf.acknowledgements_per_hour()
    if requester.email and recent_acknowledgements(requester.email, up_to=limit) >= limit:
        return f"rate limit: {limit} per hour"
    return ""


def ticket_opened(ticket: Ticket, limited: str | None = None) -> None:
    """The acknowledgement with the ticket's key, at most a few per address and hour; the
    rows over the limit are kept as suppressed. ``limited`` is
    :func:`acknowledgement_limit`, when the caller read it already."""
    requester = ticket.requester
    note = acknowledgement_limit(requester) if limited is None else limited
    queue(
        ACKNOWLEDGEMENT,
        ticket,
        [requester],
        dedup=f"{ticket.key}:opened",
        context={"priority": ticket.priority},
        status=NotificationStatus.SUPPRESSED if note else NotificationStatus.PENDING,
        note=note,
    )


def assigned(ticket: Ticket, assignee: User) -> None:
    queue(
        "assigned",
        ticket,
        [assignee],
        dedup=f"{ticket.key}:assigned:{ticket.version}",
        context={"priority": ticket.priority},
    )


def escalated_to_team(ticket: Ticket, note: str, hop_id: int) -> None:
    from tierdesk.org.selectors import team_members

    queue(
        "escalated",
        ticket,
        team_members(ticket.team_id),
        dedup=f"{ticket.key}:hop:{hop_id}",
        context={"team": ticket.team.name, "note": note, "priority": ticket.priority},
    )


def public_reply(ticket: Ticket, comment: Comment, recipients: Iterable[User]) -> None:
    """A public reply to everyone on the ticket but its author. Never an internal note."""
    if comment.internal:
        return
    author, body, comment_id = comment.author, comment.body, comment.pk
    show_names = bool(policies.get("requesters_see_agent_names"))
    people = [r for r in recipients if r is not None and r.pk != author.pk]
    staff = [p for p in people if p.role != "requester"]
    requesters = [p for p in people if p.role == "requester"]
    shown_author = author.display_name if show_names or author.role == "requester" else ""
    dedup = f"{ticket.key}:comment:{comment_id}"
    context = {"body": body, "author": author.display_name}
    with one_write():
        queue("public_reply", ticket, staff, dedup=dedup, context=context)
        queue(
            "public_reply",
            ticket,
            requesters,
            dedup=dedup,
            context={**context, "author": shown_author},
        )


def status_changed(ticket: Ticket, status: str) -> None:
    if status not in ("waiting_on_customer", "resolved"):
        return
    queue(
        status,
        ticket,
        [ticket.requester],
        dedup=f"{ticket.key}:{status}:{ticket.version}",
        context={"reopen_days": policies.reopen_days()},
    )


def sla_alert(ticket: Ticket, kind: str, recipients: Iterable[User], what: str, dedup: str) -> None:
    """SLA warnings and breaches to the people the escalation policy names."""
    queue(
        kind,
        ticket,
        recipients,
        dedup=dedup,
        template="sla_alert",
        context={
            "what": what,
            "kind": kind,
            "team": ticket.team.name,
            "priority": ticket.priority,
            "due_at": ticket.resolution_due_at,
        },
    )


def postmaster_oversize(
    address: str, *, subject: str, message_id: str | None, content_hash: str, size: int
) -> Notification | None:
    """Tell the sender of an oversize message, once per message, that it was not taken in."""
    language = language_for(None)
    rendered = render(
        "postmaster_oversize",
        {
            "subject": subject,
            "size_mb": round(size / 1e6, 1),
            "limit_mb": round(conf.max_message_bytes() / 1e6, 1),
            "site_url": settings.BASE_URL,
        },
        language,
    )
    row = Notification(
        dedup_key=f"postmaster:oversize:{content_hash}",
        recipient=None,
        to_address=address.lower(),
        ticket=None,
        kind="postmaster_oversize",
        language=language,
        subject=header_safe(rendered.subject),
        body=rendered.text,
        body_html=rendered.html,
        message_id=new_message_id(None),
        in_reply_to=message_id or "",
        created_at=timezone.now(),
    )
    saved = _save([row])
    return saved[0] if saved else None
