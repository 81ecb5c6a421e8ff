"""Never twice, never in a loop: duplicates, auto-replies, bounces, list mail, our own mail
coming back, and auto-responders talking to each other."""

from __future__ import annotations

import logging
from email import message_from_bytes

import pytest
from django.core import mail

from tierdesk.audit.models import Event
from tierdesk.intake_email.models import InboundMessage, InboundStatus, Outcome
from tierdesk.intake_email.tests.conftest import HELPDESK, make_mail
from tierdesk.notifications.models import Notification, NotificationStatus
from tierdesk.tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db


def test_the_same_message_twice_is_accepted_and_dropped_with_a_log_line(desk, deliver, caplog):
    raw = make_mail(message_id="<same@client>")
    first = deliver(raw)
    with caplog.at_level(logging.INFO, logger="tierdesk.intake_email"):
        second = deliver(raw)
    assert second.pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert len(mail.outbox) == 1
    assert any("duplicate" in r.getMessage() for r in caplog.records)


def test_different_messages_sharing_a_message_id_are_both_taken(desk, deliver):
    deliver(make_mail(message_id="<shared@client>", body="first"))
    deliver(make_mail(message_id="<shared@client>", body="second", subject="Other"))
    assert Ticket.objects.count() == 2


def test_an_out_of_office_reply_to_our_acknowledgement_is_recorded_never_acknowledged(
    desk, deliver
):
    ticket = Ticket.objects.get(pk=deliver(make_mail()).ticket_id)
    ack = mail.outbox[-1]
    mail.outbox.clear()
    message = deliver(
        make_mail(
            subject=f"Automatic reply: {ack.subject}",
            body="I am out of office until Monday.",
            headers={
                "Auto-Submitted": "auto-replied",
                "In-Reply-To": ack.extra_headers["Message-ID"],
            },
        )
    )
    assert message.outcome == Outcome.AUTO_RECORDED
    assert message.ticket_id == ticket.pk
    assert Event.objects.filter(ticket=ticket, kind="auto_reply_received").count() == 1
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert mail.outbox == []
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


def test_a_bounce_of_our_mail_is_recorded_on_its_ticket(desk, deliver):
    ticket = Ticket.objects.get(pk=deliver(make_mail()).ticket_id)
    ack = mail.outbox[-1]
    mail.outbox.clear()
    bounce = make_mail(
        sender="MAILER-DAEMON@mx.client.example",
        subject="Undelivered Mail Returned to Sender",
        body="550 5.1.1 user unknown",
        headers={"In-Reply-To": ack.extra_headers["Message-ID"], "Return-Path": "<>"},
    )
    message = deliver(bounce)
    assert message.outcome == Outcome.AUTO_RECORDED
    assert Event.objects.filter(ticket=ticket, kind="bounce_received").exists()
    assert mail.outbox == []
    assert Ticket.objects.count() == 1


def test_an_auto_reply_about_nothing_we_know_becomes_a_ticket_without_acknowledgement(
    desk, deliver
):
    message = deliver(make_mail(sender="robot@vendor.example", headers={"X-Autoreply": "yes"}))
    assert message.outcome == Outcome.TICKET_CREATED
    assert mail.outbox == []
    ack = Notification.objects.get(ticket_id=message.ticket_id, kind="ticket_opened")
    assert ack.status == NotificationStatus.SUPPRESSED
    assert "auto_reply" in ack.last_error


@pytest.mark.parametrize(
    ("sender", "headers", "reason"),
    [
        ("noreply@vendor.example", {}, "takes no replies"),
        ("anna@client.example", {"X-Auto-Response-Suppress": "All"}, "no automatic replies"),
    ],
)
def test_mail_that_must_not_be_answered_opens_a_ticket_with_its_acknowledgement_withheld(
    desk, deliver, sender, headers, reason
):
    message = deliver(make_mail(sender=sender, headers=headers))
    assert message.outcome == Outcome.TICKET_CREATED
    assert mail.outbox == []
    ack = Notification.objects.get(ticket_id=message.ticket_id, kind="ticket_opened")
    assert ack.status == NotificationStatus.SUPPRESSED
    assert reason in ack.last_error


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "bulk"},
        {"List-Id": "<news.vendor.example>"},
        {"Precedence": "junk"},
        {"X-Auto-Response-Suppress": "All"},
    ],
)
def test_list_and_bulk_mail_opens_a_ticket_but_is_never_acknowledged(desk, deliver, headers):
    message = deliver(make_mail(sender="news@vendor.example", headers=headers))
    assert message.outcome == Outcome.TICKET_CREATED
    assert mail.outbox == []


def test_our_own_mail_coming_back_is_dropped(desk, deliver):
    message = deliver(make_mail(sender="rita@example.com", headers={"X-Loop": HELPDESK}))
    assert message.status == InboundStatus.IGNORED
    assert message.outcome == Outcome.LOOP_DROPPED
    assert not Ticket.objects.exists()
    assert mail.outbox == []


def test_acknowledgements_are_limited_per_recipient_and_hour(desk, deliver, settings):
    settings.MAIL_ACKS_PER_HOUR = 3
    for n in range(5):
        deliver(make_mail(subject=f"Problem {n}"))
    assert Ticket.objects.count() == 5
    assert len(mail.outbox) == 3
    suppressed = Notification.objects.filter(status=NotificationStatus.SUPPRESSED)
    assert suppressed.count() == 2
    assert all("rate limit" in n.last_error for n in suppressed)


def _autoresponder(outgoing, *, keeps: str) -> bytes:
    """What a vacation responder sends back for one of our mails. ``keeps``: what of our
    mail it keeps: the thread headers, only the subject (with the tag), or nothing."""
    original = message_from_bytes(outgoing.message().as_bytes())
    headers = {"Auto-Submitted": "auto-replied"}
    subject = f"Out of office: {original['Subject']}"
    if keeps == "thread":
        headers["In-Reply-To"] = original["Message-ID"]
    else:
        headers = {"X-Autoreply": "yes"}
    if keeps == "nothing":
        subject = "I am away"
    return make_mail(
        sender="away@partner.example", subject=subject, body="I am away.", headers=headers
    )


@pytest.mark.parametrize("keeps", ["thread", "subject", "nothing"])
def test_two_auto_responders_pointed_at_each_other_make_one_ticket_and_one_ack(
    desk, deliver, keeps
):
    deliver(make_mail(sender="away@partner.example", subject="Forwarded: printer"))
    rounds = 0
    while mail.outbox and rounds < 6:
        deliver(_autoresponder(mail.outbox.pop(), keeps=keeps))
        rounds += 1
    assert rounds == 1
    assert Ticket.objects.count() == 1
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 1
    assert Event.objects.filter(kind="auto_reply_received").count() == 1
