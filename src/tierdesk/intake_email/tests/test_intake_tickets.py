"""Mail becomes tickets: title, requester, team and type from the desk address, the
acknowledgement in the same thread."""

from __future__ import annotations

import pytest
from django.core import mail

from tierdesk.accounts.models import User
from tierdesk.intake_email.models import Attachment, InboundStatus, Outcome
from tierdesk.intake_email.services.ingest import Source
from tierdesk.intake_email.tests.conftest import HELPDESK, SECURITY, make_mail
from tierdesk.org.models import RequesterOrganisation
from tierdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_mail_to_the_helpdesk_opens_an_l1_ticket_acknowledged_in_the_same_thread(desk, deliver):
    raw = make_mail(sender="Rita Requester <rita@example.com>", message_id="<orig-1@client>")
    message = deliver(raw)

    assert message.status == InboundStatus.PROCESSED
    assert message.outcome == Outcome.TICKET_CREATED
    ticket = Ticket.objects.get(pk=message.ticket_id)
    assert ticket.title == "Printer on floor 3 is jammed"
    assert ticket.channel == "email"
    assert ticket.team.slug == "service-desk"
    assert ticket.requester == desk.requester
    assert "error E42" in ticket.description
    assert len(mail.outbox) == 1
    ack = mail.outbox[0]
    assert ack.to == [f"{desk.requester.display_name} <rita@example.com>"]
    assert f"[{ticket.key}]" in ack.subject
    assert ack.extra_headers["In-Reply-To"] == "<orig-1@client>"
    assert "<orig-1@client>" in ack.extra_headers["References"]
    assert ack.extra_headers["Auto-Submitted"] == "auto-generated"
    assert ack.extra_headers["X-Loop"] == HELPDESK
    assert ticket.key in ack.body
    assert ack.alternatives
    assert ack.alternatives[0][1] == "text/html"


def test_the_title_is_the_decoded_subject_as_sent_without_prefix_stripping(desk, deliver):
    raw = make_mail(subject="=?utf-8?q?AW=3A_Fw=3A_Dr=C3=BCcker_kaputt?=")
    ticket = Ticket.objects.get(pk=deliver(raw).ticket_id)
    assert ticket.title == "AW: Fw: Drücker kaputt"


def test_mail_to_the_security_address_opens_a_security_incident_at_the_security_team(desk, deliver):
    message = deliver(make_mail(to=SECURITY), Source("test", "import", envelope_to=(SECURITY,)))
    ticket = Ticket.objects.get(pk=message.ticket_id)
    assert ticket.team.slug == "security"
    assert ticket.type == "security_incident"


def test_an_unknown_sender_becomes_a_requester_linked_by_exact_domain_only(desk, deliver):
    RequesterOrganisation.objects.create(slug="acme", name="Acme", domains=["acme.example"])
    first = deliver(make_mail(sender='"New Person" <New.Person@ACME.example>'))
    second = deliver(make_mail(sender="someone@sub.acme.example", subject="Other"))

    person = User.objects.get(pk=first.sender_id)
    assert person.role == "requester"
    assert person.email == "new.person@acme.example"
    assert person.username == "new.person@acme.example"
    assert (person.first_name, person.last_name) == ("New", "Person")
    assert person.organisation.slug == "acme"
    assert User.objects.get(pk=second.sender_id).organisation is None


def test_usernames_derived_from_addresses_stay_unique_and_safe(desk, deliver):
    User.objects.create(username="x_y@example.com", email="other@example.com")
    message = deliver(make_mail(sender='"Evil" <x/y@example.com>'))
    person = User.objects.get(pk=message.sender_id)
    assert person.username == "x_y@example.com-2"


def test_attachments_are_stored_under_generated_names_with_sanitised_display_names(
    desk, deliver, tmp_path
):
    raw = make_mail(attachments=[("../../etc/passwd", "application/octet-stream", b"root:x")])
    message = deliver(raw)
    attachment = Attachment.objects.get(ticket_id=message.ticket_id)
    assert "/" not in attachment.filename
    assert ".." not in attachment.filename.split("passwd")[0]
    assert attachment.storage_name.endswith(attachment.sha256)
    stored = tmp_path / "attachments" / attachment.storage_name
    assert stored.read_bytes() == b"root:x"


def test_an_address_naming_a_team_that_is_gone_still_opens_a_routed_ticket(desk, deliver):
    from tierdesk.org.models import DeskPolicy

    DeskPolicy.objects.filter(key="mail_addresses").update(
        value=[{"address": HELPDESK, "team": "disbanded", "type": "incident"}]
    )
    message = deliver(make_mail())
    assert message.outcome == Outcome.TICKET_CREATED
    assert Ticket.objects.get(pk=message.ticket_id).team.slug == "service-desk"


def test_a_message_to_no_desk_address_is_routed_by_the_rules(desk, deliver):
    message = deliver(make_mail(to="someone@example.com"), Source("test", "import"))
    assert message.desk_address == ""
    assert Ticket.objects.get(pk=message.ticket_id).team.slug == "service-desk"


def test_the_full_text_and_sanitised_html_are_kept_with_the_message(desk, deliver):
    from email.message import EmailMessage

    mail_with_html = EmailMessage()
    mail_with_html["From"] = "rita@example.com"
    mail_with_html["To"] = HELPDESK
    mail_with_html["Subject"] = "HTML"
    mail_with_html.set_content("plain part")
    mail_with_html.add_alternative(
        '<p onclick="x()">Hi<script>alert(1)</script></p>', subtype="html"
    )
    message = deliver(mail_with_html.as_bytes())
    assert "plain part" in message.text
    assert "Hi" in message.html
    assert "script" not in message.html
    assert "onclick" not in message.html
