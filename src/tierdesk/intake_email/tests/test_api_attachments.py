"""Attachments through the API: the same store as mail, size limits, Idempotency-Key, and
visible exactly to whoever may see the ticket."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tierdesk.accounts.tokens import create_token
from tierdesk.intake_email.models import Attachment
from tierdesk.intake_email.tests.conftest import make_mail
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tierdesk.intake_email.tests.urls")]


def client_for(user):
    return Client(headers={"Authorization": f"Bearer {create_token(user)}"})


def upload(user, key, name="report.txt", content=b"disk usage 99%", headers=None):
    return client_for(user).post(
        f"/api/v1/tickets/{key}/attachments",
        {"file": SimpleUploadedFile(name, content, content_type="text/plain")},
        headers=headers or {},
    )


@pytest.fixture
def ticket(org):
    return create_ticket(NewTicket(title="Disk full on db01"), requester=org.requester)


def test_the_requester_uploads_a_file_and_downloads_it_back(org, ticket, tmp_path):
    response = upload(org.requester, ticket.key, name="../../secret\u202egnp.exe")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["filename"] == "secretgnp.exe"  # no directories, no bidi override
    stored = Attachment.objects.get()
    assert (tmp_path / "attachments" / stored.storage_name).read_bytes() == b"disk usage 99%"

    download = client_for(org.requester).get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"disk usage 99%"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_an_html_upload_is_served_as_a_download_never_as_a_page(org, ticket):
    response = client_for(org.requester).post(
        f"/api/v1/tickets/{ticket.key}/attachments",
        {"file": SimpleUploadedFile("x.html", b"<script>alert(1)</script>", "text/html")},
    )
    download = client_for(org.requester).get(response.json()["download_url"])
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Security-Policy"] == "sandbox"


def test_a_retried_upload_with_the_same_idempotency_key_is_stored_once(org, ticket):
    first = upload(org.requester, ticket.key, headers={"Idempotency-Key": "up-1"})
    second = upload(org.requester, ticket.key, headers={"Idempotency-Key": "up-1"})
    assert first.json()["id"] == second.json()["id"]
    assert Attachment.objects.count() == 1
    other = upload(org.requester, ticket.key, content=b"other", headers={"Idempotency-Key": "up-1"})
    assert other.status_code == 422


def test_uploads_over_the_size_limit_are_refused(org, ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    response = upload(org.requester, ticket.key, content=b"x" * 1001)
    assert response.status_code == 413
    assert not Attachment.objects.exists()


def test_people_who_cannot_see_the_ticket_get_404_for_its_attachments(org, ticket):
    upload(org.requester, ticket.key)
    stranger = client_for(org.other_requester)
    assert stranger.get(f"/api/v1/tickets/{ticket.key}/attachments").status_code == 404
    attachment = Attachment.objects.get()
    url = f"/api/v1/tickets/{ticket.key}/attachments/{attachment.pk}"
    assert stranger.get(url).status_code == 404
    assert upload(org.other_requester, ticket.key).status_code == 404
    assert client_for(org.l3_agent).get(url).status_code == 404


def test_an_agent_of_the_team_lists_mail_and_api_attachments_alike(org, desk, deliver):
    message = deliver(make_mail(attachments=[("photo.png", "image/png", b"\x89PNG....")]))
    key = f"TD-{message.ticket_id}"
    upload(desk.requester, key)
    response = client_for(org.l1_agent).get(f"/api/v1/tickets/{key}/attachments")
    assert response.status_code == 200
    assert [a["filename"] for a in response.json()] == ["photo.png", "report.txt"]


def test_an_auditor_may_read_but_not_upload(org, ticket):
    upload(org.requester, ticket.key)
    assert (
        client_for(org.auditor).get(f"/api/v1/tickets/{ticket.key}/attachments").status_code == 200
    )
    assert upload(org.auditor, ticket.key).status_code == 403


def test_without_a_token_the_attachment_routes_answer_401(ticket):
    assert Client().get(f"/api/v1/tickets/{ticket.key}/attachments").status_code == 401
