"""Ticket attachments over the API: upload, list, download.

Mounted by the API root under ``/tickets`` (next to the ticket routes). Whoever may see a
ticket may list and download its attachments (requesters never see those of internal
notes); its requester and the people who may work on it may upload.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Router, UploadedFile
from ninja.errors import HttpError

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import NotFound
from tierdesk.intake_email import conf
from tierdesk.intake_email.models import Attachment
from tierdesk.intake_email.selectors import attachments_for
from tierdesk.intake_email.services import storage
from tierdesk.intake_email.services.attachments import add_attachment
from tierdesk.tickets import selectors as tickets
from tierdesk.tickets.idempotency import run_once

router = Router(tags=["attachments"])
Json = dict[str, Any]
# Served with their own type; everything else downloads as octet-stream, so an uploaded
# HTML or SVG file can never run in the desk's origin.
INERT_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)


def _viewer(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def attachment_out(attachment: Attachment, key: str) -> Json:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "inline": attachment.inline,
        "uploaded_by": attachment.uploaded_by.username if attachment.uploaded_by else None,
        "created_at": attachment.created_at.isoformat(),
        "download_url": f"/api/v1/tickets/{key}/attachments/{attachment.pk}",
    }


@router.post("/{key}/attachments", response={201: Json}, summary="Attach a file")
def upload(request: HttpRequest, key: str, file: UploadedFile = File(...)) -> tuple[int, Json]:
    viewer = _viewer(request)
    ticket = tickets.get_ticket(viewer, key)
    limit = conf.max_attachment_bytes()
    if file.size is not None and file.size > limit:
        raise HttpError(413, f"file: larger than the limit of {limit} bytes")
    content = file.read()
    name = file.name or "attachment.bin"
    created = run_once(
        viewer,
        f"attachment:{ticket.pk}",
        request.headers.get("Idempotency-Key"),
        hashlib.sha256(content + b"\0" + name.encode("utf-8", "replace")).hexdigest(),
        create=lambda: add_attachment(ticket, name, content, file.content_type or "", actor=viewer),
        load=lambda pk: Attachment.objects.select_related("uploaded_by").get(pk=pk),
        object_id=lambda attachment: attachment.pk,
    )
    return 201, attachment_out(created, ticket.key)


@router.get("/{key}/attachments", response=list[Json], summary="A ticket's attachments")
def list_attachments(request: HttpRequest, key: str) -> list[Json]:
    viewer = _viewer(request)
    ticket = tickets.get_ticket(viewer, key)
    rows = attachments_for(ticket.pk, internal=policy.sees_internal_notes(viewer))
    return [attachment_out(a, ticket.key) for a in rows]


@router.get("/{key}/attachments/{attachment_id}", summary="Download one attachment")
def download(request: HttpRequest, key: str, attachment_id: int) -> FileResponse:
    viewer = _viewer(request)
    ticket = tickets.get_ticket(viewer, key)
    rows = attachments_for(ticket.pk, internal=policy.sees_internal_notes(viewer))
    attachment = rows.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id} on {ticket.key}")
    content_type = (
        attachment.content_type
        if attachment.content_type in INERT_TYPES
        else "application/octet-stream"
    )
    response = FileResponse(
        open(storage.attachment_path(attachment.storage_name), "rb"),  # noqa: SIM115 - closed by Django
        as_attachment=True,
        filename=attachment.filename,
        content_type=content_type,
    )
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
