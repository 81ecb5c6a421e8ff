"""Submitting a ticket from the portal."""

from __future__ import annotations

import pytest

from tierdesk.portal.tests.helpers import NEW_TICKET, html_of, page_tokens, post_from
from tierdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_submitting_the_form_creates_a_ticket_at_l1_through_the_portal_channel(
    org, services, client_for
):
    client = client_for(org.requester)

    response = post_from(client, "/portal/new/", "/portal/new/", NEW_TICKET)

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.key}/"
    assert ticket.requester == org.requester
    assert ticket.channel == "portal"
    assert ticket.tier == 1
    assert ticket.team == org.service_desk
    assert ticket.title == NEW_TICKET["title"]
    assert ticket.service.slug == "vpn"
    assert (ticket.impact, ticket.urgency) == ("medium", "high")
    assert ticket.priority == "P2"
    page = html_of(client.get(response["Location"]))
    assert f"logged your request as {ticket.key}" in page


def test_impact_and_urgency_are_asked_in_plain_words_and_map_to_levels(org, services, client_for):
    client = client_for(org.requester)
    page = html_of(client.get("/portal/new/"))
    for question in ("How many people are affected?", "How soon does it hurt?"):
        assert question in page
    for answer in ("Just me", "My team", "Many people", "It can wait", "Today", "Right now"):
        assert answer in page
    assert "Email and calendar" in page

    post_from(
        client, "/portal/new/", "/portal/new/", {**NEW_TICKET, "impact": "low", "urgency": "low"}
    )
    post_from(
        client, "/portal/new/", "/portal/new/", {**NEW_TICKET, "impact": "high", "urgency": "high"}
    )

    levels = list(Ticket.objects.order_by("pk").values_list("impact", "urgency", "priority"))
    assert levels == [("low", "low", "P5"), ("high", "high", "P1")]


def test_sending_the_same_form_twice_makes_one_ticket(org, services, client_for):
    client = client_for(org.requester)
    hidden = page_tokens(client, "/portal/new/")
    assert hidden.get("form_token")

    first = client.post("/portal/new/", {**hidden, **NEW_TICKET})
    second = client.post("/portal/new/", {**hidden, **NEW_TICKET})

    assert Ticket.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_each_visit_to_the_form_is_a_new_request(org, services, client_for):
    client = client_for(org.requester)
    post_from(client, "/portal/new/", "/portal/new/", NEW_TICKET)
    post_from(client, "/portal/new/", "/portal/new/", NEW_TICKET)
    assert Ticket.objects.count() == 2


def test_resending_a_used_form_with_other_details_explains_and_offers_a_fresh_form(
    org, services, client_for
):
    client = client_for(org.requester)
    hidden = page_tokens(client, "/portal/new/")
    client.post("/portal/new/", {**hidden, **NEW_TICKET})

    response = client.post("/portal/new/", {**hidden, **NEW_TICKET, "title": "Also the printer"})

    assert response.status_code == 422
    assert "You already sent this form once" in html_of(response)
    fresh = response.context["form"]["form_token"].value()
    assert fresh != hidden["form_token"]
    client.post(
        "/portal/new/", {**hidden, **NEW_TICKET, "title": "Also the printer", "form_token": fresh}
    )
    assert Ticket.objects.count() == 2


def test_a_form_with_missing_answers_is_shown_again_and_creates_nothing(org, services, client_for):
    client = client_for(org.requester)

    response = post_from(
        client, "/portal/new/", "/portal/new/", {**NEW_TICKET, "title": "  ", "urgency": ""}
    )

    assert response.status_code == 422
    page = html_of(response)
    assert "Please check the form" in page
    assert 'aria-invalid="true"' in page
    assert Ticket.objects.count() == 0
