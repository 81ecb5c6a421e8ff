"""Read queries for mail intake: the desk's addresses, quarantine, a ticket's mail thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save

from tierdesk.intake_email import conf
from tierdesk.intake_email.models import Attachment, InboundMessage, InboundStatus
from tierdesk.org.models import DeskPolicy

MAIL_ADDRESSES_KEY = "mail_addresses"
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class DeskAddress:
    """One address the desk receives mail at, and what a new ticket sent to it becomes."""

    address: str
    team: str | None
    type: str | None


_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def clear_cache(**_kwargs: Any) -> None:
    with _cache_lock:
        _cache.clear()


post_save.connect(clear_cache, sender=DeskPolicy, dispatch_uid="intake_email.desk_addresses")
post_delete.connect(clear_cache, sender=DeskPolicy, dispatch_uid="intake_email.desk_addresses_d")


def desk_addresses() -> dict[str, DeskAddress]:
    """The org file's ``mail_addresses`` by lower-cased address.

    Cached per process for ``CACHE_SECONDS`` (the SMTP server asks at every RCPT); a change
    made in this process clears the cache at once.
    """
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get("addresses")
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            result: dict[str, DeskAddress] = cached[1]
            return result
    stored = DeskPolicy.objects.filter(key=MAIL_ADDRESSES_KEY).values_list("value", flat=True)
    entries = stored.first()
    addresses: dict[str, DeskAddress] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
            continue
        address = entry["address"].strip().lower()
        team = entry.get("team") if isinstance(entry.get("team"), str) else None
        kind = entry.get("type") if isinstance(entry.get("type"), str) else None
        addresses.setdefault(address, DeskAddress(address=address, team=team, type=kind))
    with _cache_lock:
        _cache["addresses"] = (now, addresses)
    return addresses


def own_addresses() -> frozenset[str]:
    """Every address we send from; mail claiming to come from one of them is not trusted."""
    return frozenset({*desk_addresses(), conf.from_address().strip().lower()})


def address_for_team(team_slug: str) -> str | None:
    for entry in desk_addresses().values():
        if entry.team == team_slug:
            return entry.address
    return None


def reply_address_for(ticket: Any) -> str | None:
    """The address to answer a ticket from: where its first mail came in, else its team's."""
    desk = (
        InboundMessage.objects.filter(ticket_id=ticket.pk)
        .exclude(desk_address="")
        .order_by("received_at", "pk")
        .values_list("desk_address", flat=True)
        .first()
    )
    if desk and desk in desk_addresses():
        return desk
    return address_for_team(ticket.team.slug) if ticket.team_id else None


def thread_inbound(ticket_id: int) -> list[tuple[datetime, str, str]]:
    """(received at, Message-ID, sender) of the mail that reached a ticket, oldest first."""
    rows = (
        InboundMessage.objects.filter(ticket_id=ticket_id)
        .exclude(message_id="")
        .order_by("received_at", "pk")
        .values_list("received_at", "message_id", "from_address")[:200]
    )
    return [(at, msg_id, sender.lower()) for at, msg_id, sender in rows]


def quarantined(limit: int = 100) -> QuerySet[InboundMessage]:
    """Messages waiting for an admin, newest first, without their bytes."""
    return (
        InboundMessage.objects.filter(status=InboundStatus.QUARANTINED)
        .defer("raw")
        .order_by("-pk")[:limit]
    )


def stuck(older_than_seconds: int = 300, limit: int = 500) -> list[int]:
    """Messages stored but not processed for a while (their task was lost)."""
    from datetime import timedelta

    from django.utils import timezone

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        InboundMessage.objects.filter(status=InboundStatus.RECEIVED, received_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def attachments_for(ticket_id: int, *, internal: bool) -> QuerySet[Attachment]:
    """A ticket's attachments; those of internal notes only when ``internal``."""
    rows = Attachment.objects.filter(ticket_id=ticket_id).select_related("uploaded_by")
    if not internal:
        rows = rows.filter(internal=False)
    return rows.order_by("pk")
