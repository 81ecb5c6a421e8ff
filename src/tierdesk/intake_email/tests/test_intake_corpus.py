"""Real messages from public mail-parsing test suites, each with the result it must have
at the desk (``data_intake/mail/expected.json``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core import mail

from tierdesk.intake_email.models import Attachment, InboundStatus, Outcome
from tierdesk.tickets.models import Comment, Ticket

ROOT = Path(__file__).parent / "data_intake" / "mail"
EXPECTED: dict[str, dict] = json.loads((ROOT / "expected.json").read_text())
pytestmark = pytest.mark.django_db


def test_every_message_in_the_corpus_has_an_expectation_and_a_licence():
    files = {str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.suffix in (".eml", ".txt")}
    assert files == set(EXPECTED)
    for folder in {path.split("/")[0] for path in files}:
        assert (ROOT / folder / "SOURCE.md").exists(), folder
        assert (ROOT / folder / "LICENSE").exists() or folder == "tierdesk", folder


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_corpus_message_becomes_what_it_should(desk, deliver, name):
    expected = EXPECTED[name]
    raw = (ROOT / name).read_bytes()
    if "after" in expected:
        first = deliver((ROOT / expected["after"]).read_bytes())
        raw = raw.replace(b"{ticket}", str(first.ticket_id).encode())
    mail.outbox.clear()
    message = deliver(raw)

    if expected["result"] == "quarantine":
        assert message.status == InboundStatus.QUARANTINED
        assert message.reason == expected["reason"]
        assert not Ticket.objects.exists()
        return
    if expected["result"] == "reply":
        assert message.outcome == Outcome.REPLY_ADDED
        assert message.ticket_id == first.ticket_id
        assert Comment.objects.get(pk=message.comment_id).body.startswith(expected["text"])
        assert mail.outbox == []
        return
    assert message.outcome == Outcome.TICKET_CREATED
    ticket = Ticket.objects.get(pk=message.ticket_id)
    assert ticket.title == expected["title"]
    assert ticket.requester.email == expected["requester"]
    assert ticket.channel == "email"
    acknowledged = [m for m in mail.outbox if f"[{ticket.key}]" in m.subject]
    assert bool(acknowledged) == expected["acknowledged"]
    names = list(
        Attachment.objects.filter(ticket=ticket).order_by("pk").values_list("filename", flat=True)
    )
    if "attachments" in expected:
        assert names == expected["attachments"]
    else:
        assert len(names) == expected["attachment_count"]
    if "text" in expected:
        assert expected["text"] in ticket.description
