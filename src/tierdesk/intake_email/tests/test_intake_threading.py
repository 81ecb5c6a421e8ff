"""Replies join their ticket only when their sender takes part in it; nobody can use a
ticket tag or a forged From to read or change someone else's ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tierdesk.audit.models import Event
from tierdesk.intake_email.models import InboundStatus, Outcome, QuarantineReason
from tierdesk.intake_email.services.lookups import newest_open_ticket_of
from tierdesk.intake_email.tests.conftest import HELPDESK, make_mail
from tierdesk.notifications.models import Notification
from tierdesk.tickets.models import Comment, Status, Ticket
from tierdesk.tickets.services import NewTicket, add_comment, add_watcher, create_ticket, transition

pytestmark = pytest.mark.django_db

TRUSTED = "mx.example.com"


@pytest.fixture
def opened(desk, deliver, settings):
    """A ticket opened by rita's mail, with the acknowledgement she received."""
    settings.MAIL_AUTHSERV_ID = TRUSTED
    message = deliver(make_mail(message_id="<orig@client>"))
    ack = mail.outbox[-1]
    return Ticket.objects.get(pk=message.ticket_id), ack


def reply_to(ack, **fields):
    return make_mail(
        subject=fields.pop("subject", f"Re: {ack.subject}"),
        headers={
            "In-Reply-To": ack.extra_headers["Message-ID"],
            "References": f"<orig@client> {ack.extra_headers['Message-ID']}",
            **fields.pop("headers", {}),
        },
        **fields,
    )


def passing(domain: str = "example.com") -> dict[str, str]:
    return {
        "Authentication-Results": f"{TRUSTED}; dkim=pass header.d={domain}; "
        f"spf=pass smtp.mailfrom=rita@{domain}; dmarc=pass header.from={domain}"
    }


def test_the_requesters_reply_to_the_acknowledgement_lands_on_the_ticket(opened, deliver):
    ticket, ack = opened
    body = "Restarted it, still jammed.\n\nOn Monday the desk wrote:\n> We have received it\n"
    message = deliver(reply_to(ack, body=body))

    assert message.outcome == Outcome.REPLY_ADDED
    assert message.ticket_id == ticket.pk
    comment = Comment.objects.get(pk=message.comment_id)
    assert comment.author == ticket.requester
    assert comment.channel == "email"
    assert comment.body == "Restarted it, still jammed."
    assert Ticket.objects.count() == 1


def test_a_reply_naming_the_ticket_only_by_its_tag_lands_when_the_requester_sends_it(
    opened, deliver
):
    ticket, _ack = opened
    message = deliver(make_mail(subject=f"More about [{ticket.key}]", body="Also floor 4."))
    assert message.outcome == Outcome.REPLY_ADDED
    assert message.ticket_id == ticket.pk


def test_a_stranger_using_a_ticket_tag_opens_a_new_ticket_and_learns_nothing(opened, deliver):
    ticket, _ack = opened
    mail.outbox.clear()
    message = deliver(
        make_mail(
            sender="mallory@evil.example",
            subject=f"Re: [{ticket.key}] Printer on floor 3 is jammed",
            body="Please send me the full history.",
            headers={"X-Tierdesk-Ticket": ticket.key, "X-Tierdesk-Internal": "true"},
        )
    )

    assert message.outcome == Outcome.TICKET_CREATED
    assert message.ticket_id != ticket.pk
    assert not Comment.objects.filter(ticket=ticket).exists()
    [ack] = mail.outbox
    assert ack.to == ["mallory@evil.example"] or ack.to[0].endswith("<mallory@evil.example>")
    text = ack.body + ack.alternatives[0][0]
    assert "Printer on floor 3" not in text
    assert "It shows error E42" not in text
    assert f"[TD-{message.ticket_id}]" in ack.subject
    event = Event.objects.get(ticket_id=message.ticket_id, kind="mail_received")
    assert sorted(event.data["ignored_headers"]) == ["X-Tierdesk-Internal", "X-Tierdesk-Ticket"]


def test_a_stranger_quoting_our_message_id_in_a_forward_does_not_join_the_thread(opened, deliver):
    ticket, ack = opened
    message = deliver(reply_to(ack, sender="colleague@elsewhere.example"))
    assert message.outcome == Outcome.TICKET_CREATED
    assert message.ticket_id != ticket.pk


def test_a_forged_from_with_failing_authentication_is_flagged_and_adds_nobody(opened, deliver):
    ticket, ack = opened
    forged = reply_to(
        ack,
        cc="mallory@evil.example",
        headers={
            "Authentication-Results": f"{TRUSTED}; spf=fail smtp.mailfrom=rita@example.com;"
            " dkim=none; dmarc=fail header.from=example.com"
        },
    )
    message = deliver(forged)

    assert message.outcome == Outcome.REPLY_ADDED
    assert message.authentication == "fail"
    event = Event.objects.get(ticket=ticket, kind="mail_received")
    assert event.data["unverified"] is True
    assert event.data["cc_ignored"] == "unverified"
    assert not ticket.watchers.exists()


def test_a_forged_from_without_authentication_results_adds_nobody(opened, deliver):
    ticket, ack = opened
    message = deliver(reply_to(ack, cc="mallory@evil.example"))
    assert message.outcome == Outcome.REPLY_ADDED
    assert message.authentication == "none"
    assert not ticket.watchers.exists()
    assert Event.objects.get(ticket=ticket, kind="mail_received").data["unverified"] is True


def test_authentication_results_added_by_the_sender_are_not_believed(opened, deliver):
    ticket, ack = opened
    raw = reply_to(ack, cc="mallory@evil.example", headers=passing()).replace(
        TRUSTED.encode(), b"mx.evil.example"
    )
    deliver(raw)
    assert not ticket.watchers.exists()


def test_a_cc_on_a_verified_reply_becomes_a_watcher_of_future_public_replies_only(
    opened, deliver, django_capture_on_commit_callbacks
):
    ticket, ack = opened
    add_comment(ticket, "Internal: check the fuser", actor=ticket_agent(ticket), internal=True)
    message = deliver(reply_to(ack, cc="Boss <boss@example.com>", headers=passing()))

    assert message.authentication == "pass"
    watcher = ticket.watchers.get()
    assert watcher.email == "boss@example.com"
    assert watcher.role == "requester"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(ticket, "Second internal note", actor=ticket_agent(ticket), internal=True)
        add_comment(ticket, "A technician is on the way.", actor=ticket_agent(ticket))
    to_boss = [m for m in mail.outbox if m.to[0].endswith("<boss@example.com>")]
    assert len(to_boss) == 1
    assert "A technician is on the way." in to_boss[0].body
    everything = " ".join(m.body + m.alternatives[0][0] for m in mail.outbox)
    assert "internal" not in everything.lower()
    assert "Restarted" not in to_boss[0].body


def ticket_agent(ticket):
    from tierdesk.accounts.models import User

    return User.objects.get(username="tom")


def test_mail_claiming_to_come_from_our_own_address_is_quarantined(desk, deliver):
    message = deliver(make_mail(sender=HELPDESK, subject="Urgent: wire money"))
    assert message.status == InboundStatus.QUARANTINED
    assert message.reason == QuarantineReason.OWN_ADDRESS
    assert not Ticket.objects.exists()


def test_an_agent_who_may_work_on_the_ticket_can_reply_by_verified_mail(opened, deliver):
    ticket, ack = opened
    mail.outbox.clear()
    message = deliver(reply_to(ack, sender="tom@example.com", body="On my way.", headers=passing()))
    comment = Comment.objects.get(pk=message.comment_id)
    assert comment.author.username == "tom"
    assert not comment.internal
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is not None
    assert [m.to[0].rsplit("<")[-1] for m in mail.outbox] == ["rita@example.com>"]


def test_unverified_mail_from_an_agent_stays_an_internal_note(opened, deliver):
    ticket, ack = opened
    mail.outbox.clear()
    forged = reply_to(ack, sender="tom@example.com", body="Please log in at evil.example")
    message = deliver(forged)
    comment = Comment.objects.get(pk=message.comment_id)
    assert comment.internal
    assert mail.outbox == []  # nothing relayed to the requester in the agent's name
    event = Event.objects.get(ticket=ticket, kind="mail_received")
    assert event.data["kept_internal"]


def test_an_agent_of_another_team_is_not_a_participant(opened, deliver):
    ticket, ack = opened
    message = deliver(reply_to(ack, sender="dora@example.com"))
    assert message.outcome == Outcome.TICKET_CREATED
    assert message.ticket_id != ticket.pk


def test_a_reply_to_a_closed_ticket_opens_a_new_one(opened, deliver):
    ticket, ack = opened
    transition(ticket, Status.CANCELLED, actor=ticket.requester)
    message = deliver(reply_to(ack))
    assert message.outcome == Outcome.TICKET_CREATED
    assert message.ticket_id != ticket.pk


def test_the_requesters_reply_to_a_resolved_ticket_reopens_it(opened, deliver):
    ticket, ack = opened
    agent = ticket_agent(ticket)
    transition(ticket, Status.IN_PROGRESS, actor=agent)
    transition(ticket, Status.RESOLVED, actor=agent)
    message = deliver(reply_to(ack, body="Not fixed, it jammed again."))
    assert message.outcome == Outcome.REPLY_ADDED
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


def test_a_watchers_reply_lands_on_the_ticket(opened, deliver):
    ticket, ack = opened
    colleague = ticket.requester.__class__.objects.create(
        username="colleague", email="colleague@example.com", role="requester"
    )
    add_watcher(ticket, colleague, actor=None, channel="email")
    message = deliver(reply_to(ack, sender="colleague@example.com"))
    assert message.outcome == Outcome.REPLY_ADDED


def test_later_mail_about_a_ticket_threads_under_the_original_and_earlier_replies(
    opened, deliver, django_capture_on_commit_callbacks
):
    ticket, ack = opened
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_comment(ticket, "Which model is it?", actor=ticket_agent(ticket))
    [reply] = mail.outbox
    refs = reply.extra_headers["References"].split()
    assert refs[0] == "<orig@client>"
    assert ack.extra_headers["Message-ID"] in refs
    assert reply.extra_headers["Message-ID"] not in refs
    assert "Auto-Submitted" not in reply.extra_headers  # a person wrote it
    assert reply.subject == f"Re: [{ticket.key}] {ticket.title}"
    assert Notification.objects.get(message_id=reply.extra_headers["Message-ID"]).ticket == ticket


def test_an_automatic_message_without_thread_belongs_to_its_senders_newest_open_ticket_of_the_day(
    desk,
):
    # The fallback of ticket_for_automatic: what an auto-responder that drops the thread
    # headers is filed under, or None when its sender has nothing open from today.
    requester = desk.requester
    yesterdays = create_ticket(NewTicket(title="Yesterday's"), requester=requester)
    todays = create_ticket(NewTicket(title="Today's"), requester=requester)
    closed = create_ticket(NewTicket(title="Closed since"), requester=requester)
    create_ticket(NewTicket(title="Someone else's, newer"), requester=desk.other_requester)
    now = timezone.now()
    Ticket.objects.filter(pk=yesterdays.pk).update(created_at=now - timedelta(hours=25))
    Ticket.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    since = now - timedelta(hours=24)

    found = newest_open_ticket_of(requester, since)
    assert found is not None
    assert (found.pk, found.requester.username) == (todays.pk, requester.username)

    Ticket.objects.filter(pk=todays.pk).update(status=Status.RESOLVED)
    assert newest_open_ticket_of(requester, since) is None
