"""One-time sign-in links by email."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from tierdesk.portal.models import SignInLink
from tierdesk.portal.tests.helpers import html_of, post_from, without_tokens

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^/\s]+(/portal/sign-in/[\w-]+/)")


def ask_for_link(client: Client, address: str, capture: Any) -> Any:
    with capture(execute=True):
        return post_from(client, "/portal/sign-in/", "/portal/sign-in/", {"email": address})


def link_in_last_mail() -> str:
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_a_known_address_gets_a_link_that_signs_in_once(org, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)

    response = ask_for_link(client, org.requester.email, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == "/portal/sign-in/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [org.requester.email]
    path = link_in_last_mail()
    used = post_from(client, path, path, {})
    assert used.status_code == 302
    assert used["Location"] == "/portal/"
    assert signed_in_user_id(client) == str(org.requester.pk)

    again = Client(enforce_csrf_checks=True)
    assert again.get(path).status_code == 410
    second = post_from(again, "/portal/sign-in/", path, {})
    assert second.status_code == 410
    assert signed_in_user_id(again) is None


def test_opening_the_link_does_not_use_it_up_until_the_button_is_pressed(
    org, django_capture_on_commit_callbacks
):
    client = Client(enforce_csrf_checks=True)
    ask_for_link(client, org.requester.email, django_capture_on_commit_callbacks)
    path = link_in_last_mail()

    for _ in range(3):  # a mail scanner fetching the link several times
        page = client.get(path)
        assert page.status_code == 200
        assert signed_in_user_id(client) is None
    assert "Sign in" in html_of(page)

    assert post_from(client, path, path, {}).status_code == 302
    assert signed_in_user_id(client) == str(org.requester.pk)


def test_the_link_expires_after_fifteen_minutes(org, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    ask_for_link(client, org.requester.email, django_capture_on_commit_callbacks)
    path = link_in_last_mail()
    hidden_page = client.get(path)
    assert hidden_page.status_code == 200

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        late = Client(enforce_csrf_checks=True)
        assert late.get(path).status_code == 410
        page = html_of(late.get(path))
        assert "expired or was already used" in page
        refused = post_from(late, "/portal/sign-in/", path, {})
        assert refused.status_code == 410
        assert signed_in_user_id(late) is None


def test_only_a_hash_of_the_link_is_stored(org, django_capture_on_commit_callbacks):
    ask_for_link(Client(), org.requester.email, django_capture_on_commit_callbacks)
    secret = link_in_last_mail().rstrip("/").rsplit("/", 1)[1]

    stored = SignInLink.objects.get()
    assert secret not in stored.token_hash
    assert stored.user == org.requester
    assert stored.expires_at - stored.created_at == timedelta(minutes=15)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    org, django_capture_on_commit_callbacks
):
    known = ask_for_link(Client(), org.requester.email, django_capture_on_commit_callbacks)
    unknown = ask_for_link(Client(), "nobody@example.com", django_capture_on_commit_callbacks)

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    unknown_page = without_tokens(html_of(Client().get(unknown["Location"])))
    assert unknown_page == without_tokens(html_of(Client().get(known["Location"])))
    assert "If the address is known to the help desk, a sign-in link is on its way" in unknown_page
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [org.requester.email]


def test_staff_addresses_get_no_link_they_sign_in_with_a_password(
    org, django_capture_on_commit_callbacks
):
    response = ask_for_link(Client(), org.l1_agent.email, django_capture_on_commit_callbacks)

    assert response["Location"] == "/portal/sign-in/sent/"
    assert mail.outbox == []


def test_link_requests_are_rate_limited_per_address(org, django_capture_on_commit_callbacks):
    client = Client()
    for _ in range(3):
        assert (
            ask_for_link(client, org.requester.email, django_capture_on_commit_callbacks)[
                "Location"
            ]
            == "/portal/sign-in/sent/"
        )

    refused = ask_for_link(client, org.requester.email.upper(), django_capture_on_commit_callbacks)

    assert refused.status_code == 429
    assert "Too many sign-in links" in html_of(refused)
    assert len(mail.outbox) == 3
    other = ask_for_link(client, org.other_requester.email, django_capture_on_commit_callbacks)
    assert other.status_code == 302
    unknown = [
        ask_for_link(client, "ghost@example.com", django_capture_on_commit_callbacks).status_code
        for _ in range(4)
    ]
    assert unknown == [302, 302, 302, 429]  # limited the same way: no hint the address is unknown

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        later = ask_for_link(client, org.requester.email, django_capture_on_commit_callbacks)
        assert later.status_code == 302
    assert len(mail.outbox) == 5


def test_the_sign_in_page_links_to_password_sign_in(db):
    page = html_of(Client().get("/portal/sign-in/?next=/portal/new/"))
    assert 'href="/login/?next=%2Fportal%2Fnew%2F"' in page
    elsewhere = html_of(Client().get("/portal/sign-in/?next=https://evil.example/"))
    assert 'href="/login/?next=%2Fportal%2F"' in elsewhere


def test_a_signed_in_requester_is_sent_on_to_the_portal(org, client_for):
    response = client_for(org.requester).get("/portal/sign-in/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
