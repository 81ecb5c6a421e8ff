"""API bodies of the phone channel and the JSON shape of a call."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from ninja import Schema
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StrictBool
from pydantic import ValidationError as PydanticValidationError

from tierdesk.core.errors import InvalidInput
from tierdesk.phone.models import Call
from tierdesk.phone.provider import ProviderCall
from tierdesk.tickets.schemas import person


def _storable(value: str) -> str:
    # A NUL or a lone surrogate (both valid in JSON) cannot be stored by PostgreSQL/SQLite.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


class Strict(Schema):
    model_config = ConfigDict(extra="ignore", str_max_length=100_000)


class WebhookCallIn(Strict):
    caller: Text = Field(max_length=40)
    callee: Text = Field(max_length=40)
    started_at: AwareDatetime
    ended_at: AwareDatetime
    answered: StrictBool
    provider_call_id: Text = Field(min_length=1, max_length=200)
    provider: Text = Field(default="default", max_length=40)
    recording_url: Text | None = Field(default=None, max_length=2000)
    transcript: Text | None = Field(default=None, max_length=100_000)


class NewTicketIn(Strict):
    title: Text = Field(min_length=1, max_length=500)
    description: Text = ""
    type: Text | None = Field(default=None, max_length=32)
    impact: Text | None = Field(default=None, max_length=8)
    urgency: Text | None = Field(default=None, max_length=8)
    category: Text | None = Field(default=None, max_length=100)
    service: Text | None = Field(default=None, max_length=64)


class LogCallIn(Strict):
    caller: Text = Field(min_length=1, max_length=254)
    direction: Literal["inbound", "outbound"]
    started_at: AwareDatetime
    ended_at: AwareDatetime
    answered: StrictBool = True
    notes: Text = Field(default="", max_length=100_000)
    ticket: Text | None = Field(default=None, max_length=40)
    requester: Text | None = Field(default=None, max_length=150)
    new_ticket: NewTicketIn | None = None


class AttachIn(Strict):
    ticket: Text = Field(min_length=1, max_length=40)


def parse_webhook(raw: bytes) -> ProviderCall:
    """The webhook body as a :class:`ProviderCall`; 422 naming the field for anything else."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput("body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("body must be a JSON object", field="body")
    try:
        body = WebhookCallIn.model_validate(data)
    except PydanticValidationError as exc:
        raise NinjaValidationError(
            [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]
        ) from None
    return ProviderCall(**body.model_dump())


def call_out(call: Call) -> dict[str, Any]:
    return {
        "id": call.pk,
        "ticket": call.ticket.key if call.ticket else None,
        "outcome": call.outcome,
        "source": call.source,
        "direction": call.direction,
        "caller_number": call.caller_number,
        "callee_number": call.callee_number,
        "caller": person(call.caller),
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "duration_seconds": call.duration_seconds,
        "answered": call.answered,
        "notes": call.notes,
        "recording_url": call.recording_url or None,
        "transcript": call.transcript or None,
        "provider": call.provider or None,
        "provider_call_id": call.provider_call_id or None,
        "logged_by": call.logged_by.username if call.logged_by else None,
        "created_at": call.created_at,
    }
