"""Read queries over the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from tierdesk.notifications.models import Notification, NotificationStatus


def tickets_for_message_ids(message_ids: Iterable[str]) -> dict[str, int]:
    """Ticket ids of our own outbound mail, by Message-ID: how a reply proves its thread."""
    ids = [m for m in dict.fromkeys(message_ids) if m][:100]
    if not ids:
        return {}
    rows = Notification.objects.filter(message_id__in=ids, ticket_id__isnull=False)
    return {
        str(msg_id): int(ticket_id)
        for msg_id, ticket_id in rows.values_list("message_id", "ticket_id")
    }


def failed(limit: int = 100) -> QuerySet[Notification]:
    """Notifications that could not be delivered, newest first, with the last error."""
    return Notification.objects.filter(status=NotificationStatus.FAILED).order_by("-pk")[:limit]


def for_ticket(ticket_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(ticket_id=ticket_id).order_by("pk")
