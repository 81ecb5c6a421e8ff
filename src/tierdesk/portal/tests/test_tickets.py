"""A requester's own tickets: list, read, reply, close, reopen, withdraw."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tierdesk.org.models import DeskPolicy, RequesterOrganisation
from tierdesk.portal.tests.helpers import html_of, post_from
from tierdesk.tickets.models import Comment, Ticket
from tierdesk.tickets.services import add_comment, transition

pytestmark = pytest.mark.django_db


def ticket_html(client: Client, ticket: Ticket) -> str:
    response = client.get(f"/portal/tickets/{ticket.key}/")
    assert response.status_code == 200
    return html_of(response)


def move(client: Client, ticket: Ticket, to: str) -> Any:
    """Press a status button, or send what such a button would, on an up-to-date page."""
    path = f"/portal/tickets/{ticket.key}/"
    version = Ticket.objects.get(pk=ticket.pk).version
    return post_from(client, path, f"{path}status/", {"to": to, "version": str(version)})


def test_the_list_shows_my_tickets_with_status_and_last_update_and_nobody_elses(
    org, client_for, ticket_for
):
    mine = ticket_for(org.requester, "My monitor flickers")
    theirs = ticket_for(org.other_requester, "Otto's secret project")
    transition(mine, "in_progress", actor=org.l1_agent)

    listing = html_of(client_for(org.requester).get("/portal/"))

    assert "no-store" in client_for(org.requester).get("/portal/")["Cache-Control"]
    assert "My monitor flickers" in listing
    assert mine.key in listing
    assert "In progress" in listing
    assert "just now</time>" in listing
    assert "Otto's secret project" not in listing
    assert theirs.key not in listing


def test_the_not_finished_filter_hides_closed_tickets(org, client_for, ticket_for):
    open_one = ticket_for(org.requester, "Still broken")
    done = ticket_for(org.requester, "Long gone")
    transition(done, "cancelled", actor=org.requester)
    client = client_for(org.requester)

    listing = html_of(client.get("/portal/?show=open"))

    assert open_one.title in listing
    assert done.title not in listing
    assert done.title in html_of(client.get("/portal/"))


def test_the_list_pages_through_older_tickets(org, client_for, ticket_for):
    for n in range(23):
        ticket_for(org.requester, f"Request number {n:02d}")
    client = client_for(org.requester)

    first = client.get("/portal/")
    cursor = first.context["next_cursor"]
    second = html_of(client.get("/portal/", {"cursor": cursor}))

    assert "Request number 22" in html_of(first)
    assert "Request number 00" not in html_of(first)
    assert "Request number 00" in second
    assert client.get("/portal/?cursor=garbage").status_code == 302


def test_another_requesters_ticket_does_not_exist_for_me(org, client_for, ticket_for):
    theirs = ticket_for(org.other_requester, "Otto's ticket")
    client = client_for(org.requester)
    mine = ticket_for(org.requester)
    tokens_page = f"/portal/tickets/{mine.key}/"

    assert client.get(f"/portal/tickets/{theirs.key}/").status_code == 404
    assert client.get("/portal/tickets/TD-999999/").status_code == 404
    assert client.get("/portal/tickets/not-a-key/").status_code == 404
    reply = post_from(client, tokens_page, f"/portal/tickets/{theirs.key}/reply/", {"body": "hi"})
    status = post_from(
        client, tokens_page, f"/portal/tickets/{theirs.key}/status/", {"to": "cancelled"}
    )

    assert (reply.status_code, status.status_code) == (404, 404)
    assert not Comment.objects.filter(ticket=theirs).exists()
    theirs.refresh_from_db()
    assert theirs.status == "new"


def test_a_reply_is_added_as_a_public_comment(org, client_for, ticket_for):
    ticket = ticket_for(org.requester)
    client = client_for(org.requester)
    path = f"/portal/tickets/{ticket.key}/"

    response = post_from(client, path, f"{path}reply/", {"body": "It now also smells of smoke."})

    assert response.status_code == 302
    comment = Comment.objects.get(ticket=ticket)
    assert (comment.author, comment.internal, comment.channel) == (org.requester, False, "portal")
    html = ticket_html(client, ticket)
    assert "It now also smells of smoke." in html
    assert "Your reply was sent." in html


def test_an_empty_reply_is_refused_on_the_page(org, client_for, ticket_for):
    ticket = ticket_for(org.requester)
    client = client_for(org.requester)
    path = f"/portal/tickets/{ticket.key}/"

    response = post_from(client, path, f"{path}reply/", {"body": "   "})

    assert response.status_code == 422
    assert 'aria-invalid="true"' in html_of(response)
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_new_ticket_can_be_withdrawn_but_not_once_work_has_started(org, client_for, ticket_for):
    client = client_for(org.requester)
    withdrawn = ticket_for(org.requester, "Never mind")
    started = ticket_for(org.requester, "Being worked on")
    transition(started, "in_progress", actor=org.l1_agent)

    assert 'value="cancelled"' in ticket_html(client, withdrawn)
    assert 'value="cancelled"' not in ticket_html(client, started)
    assert move(client, withdrawn, "cancelled").status_code == 302
    refused = move(client, started, "cancelled")

    withdrawn.refresh_from_db()
    started.refresh_from_db()
    assert (withdrawn.status, started.status) == ("cancelled", "in_progress")
    html = html_of(client.get(refused["Location"]))
    assert "That is no longer possible for this ticket" in html
    assert "Send reply" in ticket_html(client, started)
    assert "Send reply" not in ticket_html(client, withdrawn)


def test_a_resolved_ticket_offers_close_and_reopen_and_close_works(org, client_for, ticket_for):
    ticket = ticket_for(org.requester)
    add_comment(ticket, "Replaced the power supply.", actor=org.l1_agent)
    transition(ticket, "resolved", actor=org.l1_agent)
    client = client_for(org.requester)

    html = ticket_html(client, ticket)
    assert "Is your problem solved?" in html
    assert 'value="closed"' in html
    assert 'value="in_progress"' in html

    move(client, ticket, "closed")

    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert "is closed" in ticket_html(client, ticket)


def test_reopening_within_the_window_works(org, client_for, ticket_for):
    ticket = ticket_for(org.requester)
    transition(ticket, "resolved", actor=org.l1_agent)

    with time_machine.travel(timezone.now() + timedelta(days=6)):
        client = client_for(org.requester)
        response = move(client, ticket, "in_progress")
        html = html_of(client.get(response["Location"]))

    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert "is open again" in html


def test_reopening_after_the_window_is_refused_with_a_message(org, client_for, ticket_for):
    ticket = ticket_for(org.requester)
    transition(ticket, "resolved", actor=org.l1_agent)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        client = client_for(org.requester)
        html = ticket_html(client, ticket)
        assert 'value="in_progress"' not in html
        assert "can no longer be reopened" in html
        assert 'value="closed"' in html
        response = move(client, ticket, "in_progress")
        after = html_of(client.get(response["Location"]))

    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert "was resolved more than 7 days ago and can no longer be reopened" in after


def test_a_click_on_a_stale_page_does_not_act_on_a_changed_ticket(org, client_for, ticket_for):
    ticket = ticket_for(org.requester)
    client = client_for(org.requester)
    path = f"/portal/tickets/{ticket.key}/"
    stale = {"version": str(ticket.version)}
    add_comment(ticket, "On it.", actor=org.l1_agent)

    response = post_from(client, path, f"{path}status/", {**stale, "to": "cancelled"})

    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert "changed while you were looking at it" in html_of(client.get(response["Location"]))


def test_colleagues_tickets_are_listed_when_shared_but_only_their_requester_changes_status(
    org, client_for, ticket_for
):
    acme = RequesterOrganisation.objects.create(slug="acme", name="Acme")
    for person in (org.requester, org.other_requester):
        person.organisation = acme
        person.save()
    DeskPolicy.objects.create(key="requesters_see_organisation", value=True)
    theirs = ticket_for(org.other_requester, "Team printer jams")
    client = client_for(org.requester)

    assert "Team printer jams" in html_of(client.get("/portal/"))
    html = ticket_html(client, theirs)
    assert "Raised by" in html
    assert 'value="cancelled"' not in html
    move(client, theirs, "cancelled")
    theirs.refresh_from_db()
    assert theirs.status == "new"


def test_the_ticket_list_costs_the_same_queries_for_many_tickets(
    org, client_for, ticket_for, django_assert_max_num_queries
):
    client = client_for(org.requester)
    ticket_for(org.requester)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/portal/").status_code == 200
    for n in range(15):
        ticket_for(org.requester, f"Request {n}", service="")
    with django_assert_max_num_queries(len(few)):
        assert client.get("/portal/").status_code == 200


def test_staff_visiting_the_portal_are_sent_to_the_workspace(org, client_for, ticket_for):
    ticket = ticket_for(org.requester)
    client = client_for(org.l1_agent)
    for path in ("/portal/", "/portal/new/", f"/portal/tickets/{ticket.key}/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/")


def test_visitors_who_are_not_signed_in_are_sent_to_sign_in(org, ticket_for):
    ticket = ticket_for(org.requester)
    response = Client().get(f"/portal/tickets/{ticket.key}/")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/sign-in/?next=%2Fportal%2Ftickets%2F{ticket.key}%2F"
