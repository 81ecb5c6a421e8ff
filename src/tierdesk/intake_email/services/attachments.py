"""Adding a file to a ticket through the API (mail attachments arrive with their message)."""

from __future__ import annotations

import mimetypes
import re
import unicodedata

from django.db import transaction
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import Forbidden, InvalidInput
from tierdesk.intake_email import conf
from tierdesk.intake_email.models import Attachment
from tierdesk.intake_email.services import storage
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import FINAL_STATUSES
from tierdesk.tickets.services._common import lock, save, trail_for

FILENAME_MAX = 200
_UNSAFE_RE = re.compile(r'[\\/:*?"<>|]+')


def display_name(filename: str) -> str:
    """A name safe to show and to put in a download header: no directories, no control or
    bidi characters, no leading dots, at most ``FILENAME_MAX`` characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _UNSAFE_RE.sub("_", name).strip().lstrip(".").strip()
    if len(name) > FILENAME_MAX:
        _stem, dot, ext = name.rpartition(".")
        keep = ext[:20] if dot and len(ext) <= 20 else ""
        name = name[: FILENAME_MAX - len(keep) - 2].rstrip() + ("…." + keep if keep else "…")
    return name or "attachment.bin"


def add_attachment(
    ticket: Ticket,
    filename: str,
    content: bytes,
    content_type: str,
    *,
    actor: User,
    channel: str = "api",
) -> Attachment:
    """Attach a file, as its requester or as someone who may work on the ticket."""
    limit = conf.max_attachment_bytes()
    if len(content) > limit:
        raise InvalidInput(f"file: larger than the limit of {limit} bytes", field="file")
    if not content:
        raise InvalidInput("file: is empty", field="file")
    name = display_name(filename)
    kind = (content_type or "").split(";")[0].strip().lower()
    if not re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", kind):
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    storage_name, digest = storage.save_attachment(content)
    with transaction.atomic():
        ticket = lock(ticket)
        if actor.role == "requester":
            policy.require_view(actor, ticket)
        else:
            policy.require_work(actor, ticket)
        if ticket.status in FINAL_STATUSES:
            raise Forbidden(f"{ticket.key} is {ticket.status}; open a new ticket instead")
        now = timezone.now()
        attachment = Attachment.objects.create(
            ticket=ticket,
            uploaded_by=actor,
            filename=name,
            content_type=kind[:200],
            size=len(content),
            sha256=digest,
            storage_name=storage_name,
            created_at=now,
        )
        trail = trail_for(ticket, actor, channel, now)
        trail.add(
            "attachment_added",
            after=name,
            data={"attachment": attachment.pk, "size": len(content), "sha256": digest},
        )
        save(ticket, now)
        trail.flush()
    return attachment
