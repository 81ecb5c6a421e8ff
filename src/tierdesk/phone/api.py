"""Phone channel endpoints, under ``/api/v1/channels/phone``: thin adapters over the
commands and selectors.

- ``POST /calls``: the telephony webhook — HMAC-signed, no bearer token (see
  :mod:`tierdesk.phone.signing`); 201 for a new call, 200 with the first result for a replay
  of the same ``provider_call_id``, 409 for that id with different data.
- ``POST /log``: an agent logs a call (staff only; honours ``Idempotency-Key``).
- ``GET /callers?q=``: who is calling — people by number or email, with their open tickets.
- ``GET /calls/unlinked`` and ``POST /calls/{id}/attach``: L1's queue of unplaced calls.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from tierdesk.accounts.models import User
from tierdesk.core.errors import InvalidInput
from tierdesk.phone import access, selectors, services, signing
from tierdesk.phone.models import Call
from tierdesk.phone.provider import record_provider_call
from tierdesk.phone.schemas import AttachIn, LogCallIn, Text, call_out, parse_webhook
from tierdesk.tickets import selectors as tickets
from tierdesk.tickets.idempotency import run_once
from tierdesk.tickets.schemas import person, ticket_out
from tierdesk.tickets.services import NewTicket

router = Router(tags=["channels"])
Json = dict[str, Any]
log = logging.getLogger(__name__)
WEBHOOK_BODY_MAX = 1_000_000


def _viewer(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


@router.post(
    "/calls", auth=None, response={200: Json, 201: Json}, summary="Telephony webhook (signed)"
)
def telephony_webhook(request: HttpRequest) -> tuple[int, Json]:
    try:
        secret = signing.webhook_secret()
    except signing.NotConfigured as exc:
        log.error("phone webhook switched off: %s", exc)
        raise HttpError(503, "phone webhook not configured") from None
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        raise HttpError(400, "invalid Content-Length")
    if int(declared) > WEBHOOK_BODY_MAX:
        raise HttpError(413, f"body larger than {WEBHOOK_BODY_MAX} bytes")
    raw = request.body
    try:
        signing.verify(
            secret,
            timestamp=request.headers.get(signing.TIMESTAMP_HEADER),
            signature=request.headers.get(signing.SIGNATURE_HEADER),
            body=raw,
            now=time.time(),
        )
    except signing.BadSignature as exc:
        log.warning("phone webhook refused from %s: %s", request.META.get("REMOTE_ADDR"), exc)
        raise HttpError(401, str(exc)) from None
    call, created = record_provider_call(parse_webhook(raw))
    return (201 if created else 200), {"call": call_out(call), "replayed": not created}


@router.post("/log", response={201: Json}, summary="Log a call you had with someone")
def log_a_call(request: HttpRequest, body: LogCallIn) -> tuple[int, Json]:
    agent = _viewer(request)
    access.require_call_logger(agent)  # before any lookup: requesters get 403, never 404
    ticket = tickets.get_ticket(agent, body.ticket) if body.ticket else None
    requester = None
    if body.requester:
        requester = User.objects.filter(username=body.requester, is_active=True).first()
        if requester is None:
            raise InvalidInput(f"requester: no user {body.requester!r}", field="requester")
    new_ticket = NewTicket(**body.new_ticket.model_dump()) if body.new_ticket else None
    call = run_once(
        agent,
        "phone_call",
        request.headers.get("Idempotency-Key"),
        hashlib.sha256(body.model_dump_json().encode()).hexdigest(),
        create=lambda: services.log_call(
            agent,
            caller=body.caller,
            direction=body.direction,
            started_at=body.started_at,
            ended_at=body.ended_at,
            answered=body.answered,
            notes=body.notes,
            ticket=ticket,
            new_ticket=new_ticket,
            requester=requester,
        ),
        load=lambda pk: Call.objects.select_related("ticket", "caller", "logged_by").get(pk=pk),
        object_id=lambda c: c.pk,
    )
    assert call.ticket is not None
    return 201, {
        "call": call_out(call),
        "ticket": ticket_out(tickets.get_ticket(agent, call.ticket.key), agent),
    }


class CallerQuery(Schema):
    q: Text = Field(max_length=254)


@router.get("/callers", response=list[Json], summary="Who is calling: people and open tickets")
def callers(request: HttpRequest, params: Query[CallerQuery]) -> list[Json]:
    agent = _viewer(request)
    return [
        {
            **(person(c.person) or {}),
            "phone": c.person.phone,
            "organisation": c.person.organisation.slug if c.person.organisation else None,
            "open_tickets": [ticket_out(t, agent) for t in c.open_tickets],
        }
        for c in selectors.find_caller(agent, params.q)
    ]


class UnlinkedQuery(Schema):
    limit: int = Field(default=50, ge=1, le=selectors.PAGE_MAX)
    before: int | None = Field(default=None, ge=1)


@router.get("/calls/unlinked", response=list[Json], summary="Calls waiting to be attached")
def unlinked(request: HttpRequest, params: Query[UnlinkedQuery]) -> list[Json]:
    viewer = _viewer(request)
    calls = selectors.unlinked_calls(viewer, limit=params.limit, before=params.before)
    return [call_out(c) for c in calls]


@router.post("/calls/{call_id}/attach", response=Json, summary="Attach a waiting call")
def attach(request: HttpRequest, call_id: int, body: AttachIn) -> Json:
    agent = _viewer(request)
    call = selectors.get_call(agent, call_id)
    ticket = tickets.get_ticket(agent, body.ticket)
    attached = services.attach_call(agent, call, ticket)
    return {
        "call": call_out(attached),
        "ticket": ticket_out(tickets.get_ticket(agent, ticket.key), agent),
    }
