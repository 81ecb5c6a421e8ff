"""Outbound mail: what each event sends to whom, threading and loop headers, no header
injection, the outbox transport, and retries that end in a visible failed state."""

from __future__ import annotations

import re
import smtplib
from email import message_from_bytes

import pytest
from django.conf import settings
from django.core import mail
from django_tasks_db.models import DBTaskResult

from tierdesk.conf.env import ConfigurationError
from tierdesk.escalations.services import escalate
from tierdesk.notifications import jobs
from tierdesk.notifications import services as notifications
from tierdesk.notifications.backends import OutboxEmailBackend, parse_smtp_url
from tierdesk.notifications.models import Notification, NotificationStatus
from tierdesk.notifications.rendering import header_safe, render
from tierdesk.notifications.tests import flaky
from tierdesk.testing import TeamFactory, member
from tierdesk.tickets.models import Status
from tierdesk.tickets.services import NewTicket, add_comment, assign, create_ticket, transition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.DEFAULT_FROM_EMAIL = "helpdesk@example.com"


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a command and deliver what it owes (the immediate task backend)."""

    def run(command, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return command(*args, **kwargs)

    return run


def open_ticket(org, send, title="VPN drops every hour"):
    return send(create_ticket, NewTicket(title=title, channel="portal"), requester=org.requester)


def test_every_automatic_mail_is_marked_and_carries_the_ticket_tag(org, send):
    ticket = open_ticket(org, send)
    send(assign, ticket, org.l1_agent, actor=org.lead)
    send(transition, ticket, Status.IN_PROGRESS, actor=org.l1_agent)
    send(transition, ticket, Status.WAITING_ON_CUSTOMER, actor=org.l1_agent)
    kinds = [n.kind for n in Notification.objects.order_by("pk")]
    assert kinds == ["ticket_opened", "assigned", "waiting_on_customer"]
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        assert f"[{ticket.key}]" in message.subject
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"
        assert message.extra_headers["X-Loop"] == "helpdesk@example.com"
        assert message.extra_headers["Message-ID"].startswith(f"<td.{ticket.pk}.")
        assert message.alternatives[0][1] == "text/html"
    assert mail.outbox[1].to[0].endswith(f"<{org.l1_agent.email}>")
    assert "Waiting on you" in mail.outbox[2].subject


def test_the_resolved_notice_tells_how_to_reopen(org, send):
    ticket = open_ticket(org, send)
    send(transition, ticket, Status.IN_PROGRESS, actor=org.l1_agent)
    send(transition, ticket, Status.RESOLVED, actor=org.l1_agent)
    resolved = mail.outbox[-1]
    assert "Resolved" in resolved.subject
    assert "reply to this email within 7 days and the ticket reopens" in resolved.body


def test_escalation_mails_the_new_team_with_the_handoff_note(org, send):
    ticket = open_ticket(org, send)
    mail.outbox.clear()
    send(escalate, ticket, actor=org.l1_agent, to_tier=2, note="Checked cables; L2 please.")
    to = {m.to[0].rsplit("<", 1)[-1].rstrip(">") for m in mail.outbox}
    assert org.l2_agent.email in to
    assert org.l1_agent.email not in to
    assert "Checked cables; L2 please." in mail.outbox[0].body
    assert "Escalated to" in mail.outbox[0].subject


def test_everyone_told_of_one_escalation_gets_a_message_id_nobody_can_guess(org, send):
    """Replies prove they answer our mail by quoting its Message-ID: each person's must be
    their own, and random."""
    for _ in range(3):
        member(org.l2)
    ticket = open_ticket(org, send)
    mail.outbox.clear()
    send(escalate, ticket, actor=org.l1_agent, to_tier=2, note="Checked cables; L2 please.")
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) >= 4
    assert len(set(ids)) == len(ids)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2]
    pattern = rf"<td\.{ticket.pk}\.[0-9a-f]{{24}}@{re.escape(domain)}>"
    assert all(re.fullmatch(pattern, message_id) for message_id in ids), ids


def test_sla_alerts_go_to_the_named_people(org, send):
    ticket = open_ticket(org, send)
    mail.outbox.clear()
    send(
        notifications.sla_alert,
        ticket,
        "sla_warning",
        [org.lead],
        "resolution target at risk",
        dedup="x:warning",
    )
    [alert] = mail.outbox
    assert alert.to[0].endswith(f"<{org.lead.email}>")
    assert "SLA warning" in alert.body
    assert "resolution target at risk" in alert.subject


def test_an_sla_alert_says_what_was_true_when_it_was_owed(org, send):
    """Alerts are rendered at delivery from values frozen when the timer fired: a ticket
    renamed in between does not change what the alert says, and the row keeps the text."""
    org.lead.language = "de"
    org.lead.save(update_fields=["language"])
    ticket = open_ticket(org, send, title="Printer on fire")
    mail.outbox.clear()
    notifications.sla_alert(ticket, "sla_breach", [org.lead], "target missed", dedup="x:breach")
    owed = Notification.objects.get(kind="sla_breach")
    assert (owed.subject, owed.body, owed.render_later is not None) == ("", "", True)
    ticket.title = "Renamed before delivery"
    ticket.save(update_fields=["title"])

    assert jobs.deliver_notification.call(owed.pk) == "sent"

    [alert] = mail.outbox
    assert alert.subject == f"[{ticket.key}] target missed: Printer on fire"
    assert '<html lang="de">' in alert.alternatives[0][0]
    sent = Notification.objects.get(pk=owed.pk)
    assert sent.render_later is None
    assert (sent.subject, sent.body, sent.body_html) == (
        alert.subject,
        alert.body,
        alert.alternatives[0][0],
    )


def test_a_message_rendered_at_delivery_reads_as_one_rendered_when_owed(org, send):
    """Messages are rendered at delivery from the context frozen when they were owed: the
    same text as rendering those values there and then."""
    ticket = open_ticket(org, send)
    ticket.resolution_due_at = ticket.created_at
    mail.outbox.clear()
    context = {"what": "target missed", "kind": "sla_breach", "team": ticket.team.name}
    context |= {"priority": ticket.priority, "due_at": ticket.resolution_due_at}
    send(
        notifications.queue,
        "sla_breach",
        ticket,
        [org.lead],
        dedup="later",
        template="sla_alert",
        context=context,
    )
    [later] = mail.outbox
    when_owed = render(
        "sla_alert",
        {
            **context,
            "key": ticket.key,
            "title": ticket.title,
            "link": f"{settings.BASE_URL}/tickets/{ticket.key}",
            "site_url": settings.BASE_URL,
            "recipient": org.lead,
        },
        org.lead.language or settings.LANGUAGE_CODE,
    )
    assert later.subject == when_owed.subject
    assert (later.body, later.alternatives[0][0]) == (when_owed.text, when_owed.html)
    assert "Resolution due:" in later.body


def test_a_withheld_acknowledgement_keeps_what_it_would_have_said(org):
    ticket = create_ticket(
        NewTicket(title="Auto-reply storm"), requester=org.requester, no_acknowledgement="bot"
    )
    kept = Notification.objects.get(ticket=ticket, kind="ticket_opened")
    assert kept.status == NotificationStatus.SUPPRESSED
    assert kept.last_error == "bot"
    assert kept.render_later["template"] == "ticket_opened"
    assert kept.render_later["context"]["key"] == ticket.key
    assert kept.render_later["context"]["title"] == "Auto-reply storm"


def test_only_plain_values_can_be_frozen_for_later(org, send):
    ticket = open_ticket(org, send)
    with pytest.raises(TypeError, match="'ticket_again'"):
        notifications.queue(
            "sla_breach",
            ticket,
            [org.lead],
            dedup="x",
            template="sla_alert",
            context={"ticket_again": ticket},
        )


def test_internal_notes_never_go_to_requesters(org, send):
    ticket = open_ticket(org, send)
    send(assign, ticket, org.l1_agent, actor=org.lead)
    mail.outbox.clear()
    send(
        add_comment, ticket, "Customer is difficult, be careful", actor=org.l1_agent, internal=True
    )
    assert not Notification.objects.filter(kind="public_reply").exists()
    assert mail.outbox == []
    send(add_comment, ticket, "We replaced the router.", actor=org.l1_agent)
    [reply] = mail.outbox
    assert reply.to[0].endswith(f"<{org.requester.email}>")
    assert "We replaced the router." in reply.body
    assert "difficult" not in reply.body + reply.alternatives[0][0]


def test_notifications_are_rendered_in_the_recipients_language(org, send):
    org.requester.language = "de"
    org.requester.save(update_fields=["language"])
    open_ticket(org, send)
    ack = Notification.objects.get(kind="ticket_opened")
    assert ack.language == "de"
    assert '<html lang="de">' in ack.body_html


def test_header_injection_through_names_subjects_and_titles_is_impossible(org, send):
    team = TeamFactory(slug="ops", name="Ops\r\nBcc: victim@evil.example", level=2)
    person = member(team, first_name="Eve\r\nBcc: victim@evil.example", last_name="X\n")
    ticket = open_ticket(org, send, title="Broken\r\nBcc: victim@evil.example")
    mail.outbox.clear()
    send(escalate, ticket, actor=org.l1_agent, to_team="ops", note="see\r\nBcc: a@b.c")
    [message] = [m for m in mail.outbox if person.email in m.to[0]]
    raw = message.message().as_bytes()
    head = raw.split(b"\n\n", 1)[0].decode()
    names = [line.split(":", 1)[0] for line in head.splitlines() if line[:1] not in " \t"]
    assert "Bcc" not in names
    assert names.count("To") == 1
    assert names.count("Subject") == 1
    parsed = message_from_bytes(raw)
    assert parsed.get_all("Bcc") is None
    subject = " ".join(str(parsed["Subject"]).split())
    assert (
        subject == f"[{ticket.key}] Escalated to Ops Bcc: victim@evil.example: Broken Bcc: "
        "victim@evil.example"
    )
    assert header_safe("a\r\nb\x00c\u202ed\u2028e") == "a b c d e"


def test_without_a_relay_url_mail_is_written_to_the_outbox_folder(
    org, settings, tmp_path, monkeypatch, send
):
    monkeypatch.delenv("TIERDESK_SMTP_URL", raising=False)
    settings.EMAIL_BACKEND = "tierdesk.notifications.backends.OutboxEmailBackend"
    ticket = open_ticket(org, send)
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    written = message_from_bytes(eml.read_bytes())
    assert written["Subject"] == f"[{ticket.key}] VPN drops every hour"
    assert written["Auto-Submitted"] == "auto-generated"
    assert Notification.objects.get().status == NotificationStatus.SENT


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://relay.example:2525", ("relay.example", 2525, "", "", False, False)),
        ("smtps://u%40x:p%3Aw@relay.example", ("relay.example", 465, "u@x", "p:w", False, True)),
        (
            "smtp+starttls://user:pw@relay.example",
            ("relay.example", 587, "user", "pw", True, False),
        ),
    ],
)
def test_the_relay_url_names_host_port_credentials_and_tls(url, expected):
    config = parse_smtp_url(url)
    assert (
        config.host,
        config.port,
        config.username,
        config.password,
        config.use_tls,
        config.use_ssl,
    ) == expected


def test_a_malformed_relay_url_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("TIERDESK_SMTP_URL", "http://relay.example")
    with pytest.raises(ConfigurationError, match="TIERDESK_SMTP_URL"):
        OutboxEmailBackend()


def test_a_temporary_failure_is_retried_later_and_a_permanent_one_marks_it_failed(org, settings):
    settings.EMAIL_BACKEND = "tierdesk.notifications.tests.flaky.FlakyBackend"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    ticket = create_ticket(NewTicket(title="Mail relay down"), requester=org.requester)
    ack = Notification.objects.get(ticket=ticket)
    flaky.FAILURES[:] = [
        smtplib.SMTPServerDisconnected("relay went away"),
        smtplib.SMTPRecipientsRefused({"x": (550, b"no such user")}),
    ]

    assert jobs.deliver_notification.call(ack.pk) == "retrying"
    ack.refresh_from_db()
    assert (ack.status, ack.attempts) == (NotificationStatus.PENDING, 1)
    assert "relay went away" in ack.last_error
    assert ack.next_attempt_at is not None
    queued = DBTaskResult.objects.filter(task_path__startswith="tierdesk.notifications.jobs.")
    assert queued.count() == 2  # the first delivery (with the outbox row), and the retry
    assert queued.filter(task_path__endswith=".deliver_owed").count() == 1
    assert queued.filter(run_after=ack.next_attempt_at).count() == 1

    assert jobs.deliver_notification.call(ack.pk) == "failed"
    ack.refresh_from_db()
    assert ack.status == NotificationStatus.FAILED
    assert "no such user" in ack.last_error


def test_after_the_last_try_a_notification_is_failed_and_visible(org, settings):
    settings.EMAIL_BACKEND = "tierdesk.notifications.tests.flaky.FlakyBackend"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    ticket = create_ticket(NewTicket(title="Relay flapping"), requester=org.requester)
    ack = Notification.objects.get(ticket=ticket)
    flaky.FAILURES[:] = [smtplib.SMTPDataError(451, b"try later")] * jobs.MAX_ATTEMPTS
    results = [jobs.deliver_notification.call(ack.pk) for _ in range(jobs.MAX_ATTEMPTS)]
    assert results == ["retrying"] * (jobs.MAX_ATTEMPTS - 1) + ["failed"]
    from tierdesk.notifications.selectors import failed

    assert list(failed()) == [Notification.objects.get(pk=ack.pk)]
    assert jobs.deliver_notification.call(ack.pk) == "skipped"
