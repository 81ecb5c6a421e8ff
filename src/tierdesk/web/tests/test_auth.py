from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from tierdesk.web.models import LoginFailure
from tierdesk.web.tests.dataset import PASSWORD, with_password

pytestmark = pytest.mark.django_db


def post_login(client: Client, username: str, password: str, **extra: str):
    return client.post("/login/", {"username": username, "password": password, **extra})


def test_an_agent_signs_in_with_username_and_lands_in_my_work(org) -> None:
    with_password(org.l1_agent)
    response = post_login(Client(), "tom", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/queues/mine"


def test_a_person_can_sign_in_with_their_email_address(org) -> None:
    with_password(org.l1_agent)
    response = post_login(Client(), "TOM@example.com", PASSWORD)
    assert response["Location"] == "/queues/mine"


def test_a_requester_signing_in_lands_in_the_portal_even_when_sent_to_the_workspace(org) -> None:
    with_password(org.requester)
    response = post_login(Client(), "rita", PASSWORD, next="/queues/mine")
    assert response["Location"] == "/portal/"


def test_staff_are_sent_back_to_the_page_they_asked_for(org) -> None:
    with_password(org.l1_agent)
    response = post_login(Client(), "tom", PASSWORD, next="/queues/unassigned")
    assert response["Location"] == "/queues/unassigned"


def test_a_next_address_on_another_site_is_ignored(org) -> None:
    with_password(org.l1_agent)
    response = post_login(Client(), "tom", PASSWORD, next="https://evil.example/")
    assert response["Location"] == "/queues/mine"


def test_a_wrong_password_is_refused_with_a_message_and_recorded(org) -> None:
    with_password(org.l1_agent)
    response = post_login(Client(), "tom", "nope")
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content
    assert LoginFailure.objects.filter(username="tom").count() == 1


def test_five_failures_lock_the_account_for_that_address_even_with_the_right_password(org) -> None:
    with_password(org.l1_agent)
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(5):
        post_login(client, "tom", "wrong")
    response = post_login(client, "tom", PASSWORD)
    assert response.status_code == 200
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_reach_other_addresses(org) -> None:
    with_password(org.l1_agent)
    attacker = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(5):
        post_login(attacker, "tom", "wrong")
    response = post_login(Client(REMOTE_ADDR="10.0.0.2"), "tom", PASSWORD)
    assert response.status_code == 302


def test_the_lockout_ends_fifteen_minutes_after_the_last_failure(org) -> None:
    with_password(org.l1_agent)
    client = Client(REMOTE_ADDR="10.0.0.1")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            post_login(client, "tom", "wrong")
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert b"Too many failed" in post_login(client, "tom", PASSWORD).content
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert post_login(client, "tom", PASSWORD).status_code == 302


def test_failures_spread_over_more_than_the_window_do_not_lock(org) -> None:
    with_password(org.l1_agent)
    client = Client(REMOTE_ADDR="10.0.0.1")
    start = timezone.now()
    for i in range(5):
        with time_machine.travel(start + timedelta(minutes=4 * i), tick=False):
            post_login(client, "tom", "wrong")
    with time_machine.travel(start + timedelta(minutes=17), tick=False):
        assert post_login(client, "tom", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(org) -> None:
    with_password(org.l1_agent)
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(4):
        post_login(client, "tom", "wrong")
    assert post_login(client, "tom", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="tom").exists()


def test_sign_out_needs_a_post_and_ends_the_session(org, client_as) -> None:
    client = client_as(org.l1_agent)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert client.get("/queues/mine")["Location"].startswith("/login/")


def test_password_reset_mails_a_link_that_sets_a_new_password(org) -> None:
    with_password(org.l1_agent)
    client = Client()
    response = client.post("/password-reset/", {"email": "tom@example.com"})
    assert response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/reset/\S+)", mail.outbox[0].body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert b"Choose a new password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new secret", "new_password2": "a brand new secret"},
    )
    assert done["Location"] == "/reset/done/"
    assert post_login(Client(), "tom", "a brand new secret").status_code == 302


def test_password_reset_says_the_same_for_unknown_addresses(db) -> None:
    response = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []


def test_the_start_page_sends_each_person_to_their_place(org, client_as) -> None:
    assert Client().get("/")["Location"] == "/login/"
    assert client_as(org.l1_agent).get("/")["Location"] == "/queues/mine"
    assert client_as(org.requester).get("/")["Location"] == "/portal/"


def test_requesters_get_the_forbidden_page_in_the_workspace(org, client_as) -> None:
    response = client_as(org.requester).get("/queues/mine")
    assert response.status_code == 403
    assert b"Not allowed" in response.content
    assert b'href="/portal/"' in response.content


def test_the_reset_link_uses_the_configured_address_not_the_request_host(org, settings) -> None:
    settings.BASE_URL = "https://desk.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    Client().post("/password-reset/", {"email": "tom@example.com"}, HTTP_HOST="evil.example")
    assert "https://desk.example.org/reset/" in mail.outbox[0].body
    assert "evil.example" not in mail.outbox[0].body


def test_a_live_refresh_after_the_session_ended_sends_the_page_to_sign_in(db) -> None:
    response = Client().get(
        "/queues/mine",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/queues/tier/1"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=%2Fqueues%2Ftier%2F1"
