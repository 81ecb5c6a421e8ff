"""Fixtures of the phone channel's tests: a signed webhook client and call bodies."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket

SECRET = "a-shared-secret-for-the-pbx"
URL = "/api/v1/channels/phone/calls"
RITA_STORED = "+49 (30) 1234-567"
RITA = "+49301234567"
UNKNOWN = "+44 20 7946 0000"
_ids = itertools.count(1)


def signature(raw: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Computed here, independently of tierdesk.phone.signing."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Webhook:
    """Posts raw JSON the way a PBX would: no bearer token, no cookies, CSRF enforced."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)

    def post(
        self,
        body: Any,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        sign: str | None = None,
    ) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return self.client.post(
            URL,
            raw,
            content_type="application/json",
            headers={
                "X-Tierdesk-Timestamp": stamp,
                "X-Tierdesk-Signature": sign if sign is not None else signature(raw, stamp, secret),
            },
        )


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch, db: None) -> Webhook:
    monkeypatch.delenv("TIERDESK_PHONE_WEBHOOK_SECRET_FILE", raising=False)
    monkeypatch.setenv("TIERDESK_PHONE_WEBHOOK_SECRET", SECRET)
    return Webhook()


def call_body(**changes: Any) -> dict[str, Any]:
    now = timezone.now()
    body: dict[str, Any] = {
        "caller": RITA,
        "callee": "+49 30 555 00",
        "started_at": (now - timedelta(minutes=3)).isoformat(),
        "ended_at": (now - timedelta(minutes=2, seconds=30)).isoformat(),
        "answered": False,
        "provider_call_id": f"pbx-{next(_ids)}",
    }
    body.update(changes)
    return body


def with_phone(user: User, phone: str = RITA_STORED) -> User:
    user.phone = phone
    user.save(update_fields=["phone"])
    return user


def open_ticket(requester: User, title: str = "Printer jams") -> Ticket:
    return create_ticket(NewTicket(title=title), requester=requester)
