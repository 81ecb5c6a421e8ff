"""Who wrote a mail: the same person whatever the letter case of their address, never a
deactivated account, and replies follow a ticket that was merged into another."""

from __future__ import annotations

import pytest

from tierdesk.accounts.models import User
from tierdesk.intake_email.models import InboundStatus, Outcome, QuarantineReason
from tierdesk.intake_email.tests.conftest import make_mail
from tierdesk.tickets.models import Comment, Ticket
from tierdesk.tickets.services import merge

pytestmark = pytest.mark.django_db


def test_mail_from_an_address_in_other_letters_is_the_same_person(desk, deliver):
    first = deliver(make_mail(sender="new.person@example.com"))
    second = deliver(make_mail(sender="New.Person@EXAMPLE.com", subject="Another one"))

    assert second.sender_id == first.sender_id
    assert User.objects.filter(email__iexact="new.person@example.com").count() == 1


def test_mail_from_a_deactivated_persons_address_waits_in_quarantine(desk, deliver):
    User.objects.create(username="gone", email="gone@example.com", is_active=False)

    message = deliver(make_mail(sender="gone@example.com"))

    assert message.status == InboundStatus.QUARANTINED
    assert message.reason == QuarantineReason.SENDER_INACTIVE
    assert not Ticket.objects.exists()


def test_an_active_account_sharing_the_address_of_a_deactivated_one_is_the_sender(desk, deliver):
    User.objects.create(username="old", email="shared@example.com", is_active=False)
    current = User.objects.create(username="new", email="Shared@example.com")

    message = deliver(make_mail(sender="shared@example.com"))

    assert message.outcome == Outcome.TICKET_CREATED
    assert message.sender_id == current.pk


def test_a_reply_to_a_merged_ticket_lands_on_the_ticket_it_was_merged_into(desk, deliver):
    duplicate = Ticket.objects.get(pk=deliver(make_mail(subject="VPN down")).ticket_id)
    primary = Ticket.objects.get(pk=deliver(make_mail(subject="VPN is down")).ticket_id)
    merge(duplicate, primary, actor=None)

    reply = deliver(make_mail(subject=f"Re: [{duplicate.key}] VPN down", body="Still down."))

    assert (reply.outcome, reply.ticket_id) == (Outcome.REPLY_ADDED, primary.pk)
    assert Comment.objects.get(pk=reply.comment_id).ticket_id == primary.pk
