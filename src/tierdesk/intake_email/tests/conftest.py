"""Fixtures for mail intake tests: the desk's addresses, a private data directory, mail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from tierdesk.intake_email.models import InboundMessage
from tierdesk.intake_email.selectors import clear_cache
from tierdesk.intake_email.services.ingest import Source, process, store
from tierdesk.org.models import DeskPolicy

HELPDESK = "helpdesk@example.com"
SECURITY = "security@example.com"


@pytest.fixture(autouse=True)
def _mail_data_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.DATA_DIR = tmp_path
    settings.DEFAULT_FROM_EMAIL = HELPDESK
    clear_cache()
    yield tmp_path
    clear_cache()


@pytest.fixture
def desk(org: Any) -> Any:
    DeskPolicy.objects.update_or_create(
        key="mail_addresses",
        defaults={
            "value": [
                {"address": HELPDESK, "team": "service-desk", "type": "incident"},
                {"address": SECURITY, "team": "security", "type": "security_incident"},
            ]
        },
    )
    return org


def make_mail(
    *,
    sender: str = "rita@example.com",
    to: str = HELPDESK,
    subject: str = "Printer on floor 3 is jammed",
    body: str = "It shows error E42 since this morning.\n",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    cc: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="client.example.org")
    message["Date"] = "Tue, 03 Mar 2026 10:00:00 +0000"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, content in attachments or []:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks: Any) -> Callable[..., InboundMessage]:
    """Store and process one raw message the way a channel does; run commit hooks
    (acknowledgements are delivered to ``mail.outbox``)."""

    def run(raw: bytes, source: Source | None = None) -> InboundMessage:
        source = source or Source(mailbox="test", channel="import", envelope_to=(HELPDESK,))
        with django_capture_on_commit_callbacks(execute=True):
            stored = store(raw, source, enqueue=False)
            if not stored.duplicate:
                process(stored.pk)
        return InboundMessage.objects.get(pk=stored.pk)

    return run
