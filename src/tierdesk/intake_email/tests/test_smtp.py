"""Real SMTP sessions (smtplib) against the running aiosmtpd listener."""

from __future__ import annotations

import smtplib
import socket

import pytest
from django.core import mail
from django.db import OperationalError

from tierdesk.intake_email import smtp as smtp_module
from tierdesk.intake_email.models import InboundMessage
from tierdesk.intake_email.smtp import DeskController
from tierdesk.intake_email.tests.conftest import HELPDESK, SECURITY, make_mail
from tierdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)
LIMIT = 200_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def listener(desk):
    controller = DeskController("127.0.0.1", free_port(), max_bytes=LIMIT)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def client(listener):
    with smtplib.SMTP(listener.hostname, listener.port, timeout=30) as session:
        yield session


def test_mail_sent_with_smtplib_becomes_an_l1_ticket_with_an_acknowledgement(client, desk):
    refused = client.sendmail("rita@example.com", [HELPDESK], make_mail(subject="Disk full"))
    assert refused == {}
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.team.slug, ticket.requester) == (
        "Disk full",
        "service-desk",
        desk.requester,
    )
    [ack] = mail.outbox
    assert f"[{ticket.key}]" in ack.subject
    message = InboundMessage.objects.get()
    assert (message.channel, message.envelope_from, message.envelope_to) == (
        "smtp",
        "rita@example.com",
        [HELPDESK],
    )


def test_the_envelope_recipient_decides_the_team(client):
    client.sendmail("rita@example.com", [SECURITY], make_mail(to="someone@example.com"))
    assert Ticket.objects.get().team.slug == "security"


def test_a_recipient_the_desk_does_not_serve_is_refused_at_rcpt(client):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("rita@example.com", ["nobody@example.com"], make_mail())
    code, _text = refused.value.recipients["nobody@example.com"]
    assert code == 550
    assert not InboundMessage.objects.exists()


def test_the_size_limit_is_advertised_and_oversize_mail_refused_with_552(client):
    client.ehlo()
    assert client.esmtp_features["size"] == str(LIMIT)
    big = make_mail(body=("x" * 70 + "\n") * (LIMIT // 70 + 100))
    with pytest.raises(smtplib.SMTPSenderRefused) as declared:  # SIZE= on MAIL FROM
        client.sendmail("rita@example.com", [HELPDESK], big)
    assert declared.value.smtp_code == 552
    client.rset()
    assert client.mail("rita@example.com")[0] == 250  # no SIZE: refused after DATA
    assert client.rcpt(HELPDESK)[0] == 250
    assert client.data(big)[0] == 552
    client.rset()
    one_line = make_mail(body="y" * (LIMIT + 10_000))
    client.mail("rita@example.com")
    client.rcpt(HELPDESK)
    assert client.data(one_line)[0] == 552
    assert not InboundMessage.objects.exists()


def test_long_lines_and_bare_lf_line_ends_are_taken_as_real_servers_do(client):
    long_line = "log: " + "0123456789" * 500
    raw = (
        "From: rita@example.com\nTo: helpdesk@example.com\nSubject: Long log\n"
        "Message-ID: <long@client>\nContent-Type: text/plain; charset=utf-8\n\n"
        f"{long_line}\n.hidden line starting with a dot\nend\n"
    ).encode()
    assert b"\r" not in raw
    assert max(len(line) for line in raw.split(b"\n")) > 5000
    assert client.sendmail("rita@example.com", [HELPDESK], raw) == {}
    stored = InboundMessage.objects.get()
    assert bytes(stored.raw) == raw + b"\r\n"  # smtplib ends the data with CRLF
    description = Ticket.objects.get().description
    assert long_line in description
    assert "\n.hidden line starting with a dot\n" in description


def test_a_failure_before_commit_answers_4xx_and_the_retry_lands_once(client, monkeypatch):
    real_store = smtp_module.store
    calls = []

    def crashing_store(raw, source):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("disk I/O error")
        return real_store(raw, source)

    monkeypatch.setattr(smtp_module, "store", crashing_store)
    raw = make_mail(message_id="<retry-me@client>")
    with pytest.raises(smtplib.SMTPDataError) as temporary:
        client.sendmail("rita@example.com", [HELPDESK], raw)
    assert 400 <= temporary.value.smtp_code < 500
    assert not InboundMessage.objects.exists()

    client.rset()
    assert client.sendmail("rita@example.com", [HELPDESK], raw) == {}
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_resend_after_a_lost_250_is_accepted_and_dropped(client):
    raw = make_mail(message_id="<twice@client>")
    assert client.sendmail("rita@example.com", [HELPDESK], raw) == {}
    code, text = client.mail("rita@example.com")[0], b""
    assert code == 250
    client.rcpt(HELPDESK)
    code, text = client.data(raw)
    assert code == 250
    assert b"already have it" in text
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_the_address_list_unavailable_answers_4xx_at_rcpt(client, monkeypatch):
    def outage(address):
        raise OperationalError("database is locked")

    monkeypatch.setattr(smtp_module, "_served", outage)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("rita@example.com", [HELPDESK], make_mail())
    assert refused.value.recipients[HELPDESK][0] == 451


def test_lmtp_mode_speaks_lhlo_and_answers_per_recipient(desk):
    controller = DeskController("127.0.0.1", free_port(), lmtp=True, max_bytes=LIMIT)
    controller.start()
    try:
        with smtplib.LMTP(controller.hostname, controller.port, timeout=30) as session:
            assert session.sendmail("rita@example.com", [HELPDESK], make_mail()) == {}
    finally:
        controller.stop()
    assert Ticket.objects.count() == 1
