"""What a requester must never see through the portal, and what must never run in it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tierdesk.escalations.services import escalate
from tierdesk.org.models import DeskPolicy, RequesterOrganisation
from tierdesk.portal.tests.helpers import NEW_TICKET, html_of, post_from
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import add_comment, assign, transition

pytestmark = pytest.mark.django_db
INTERNAL = "INTERNAL-NOTE-user-is-grumpy-4711"
HANDOFF = "HANDOFF-NOTE-check-lock-waits-4712"
RESOLUTION_NOTE = "RESOLUTION-NOTE-internal-index-4713"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def portal_pages(client: Client, ticket: Ticket) -> dict[str, str]:
    """Every page a requester can open in the portal, for this ticket."""
    paths = [
        "/portal/",
        "/portal/?show=open",
        "/portal/new/",
        f"/portal/tickets/{ticket.key}/",
    ]
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = html_of(response)
    path = f"/portal/tickets/{ticket.key}/"
    replied = post_from(client, path, f"{path}reply/", {"body": "Any news?"})
    pages["after reply"] = html_of(client.get(replied["Location"]))
    refused = post_from(client, path, f"{path}reply/", {"body": ""})
    pages["refused reply"] = html_of(refused)
    return pages


def test_internal_notes_and_handoff_notes_never_appear_on_any_portal_page(
    org, client_for, ticket_for
):
    ticket = ticket_for(org.requester, "Payroll export fails")
    add_comment(ticket, "We are looking into it.", actor=org.l1_agent)
    add_comment(ticket, INTERNAL, actor=org.l1_agent, internal=True)
    escalate(ticket, actor=org.l1_agent, note=HANDOFF, to_tier=2)
    add_comment(ticket, "Sorry for the wait", actor=org.l2_agent)
    client = client_for(org.requester)

    pages = portal_pages(client, ticket)
    transition(ticket, "resolved", actor=org.l2_agent, note=RESOLUTION_NOTE)
    pages["resolved"] = html_of(client.get(f"/portal/tickets/{ticket.key}/"))

    for name, html in pages.items():
        for secret in (INTERNAL, HANDOFF, RESOLUTION_NOTE):
            assert secret not in html, f"{secret} leaked on {name}"
        assert org.l2.slug not in html, name  # no internal team codes either
    ticket_page = pages[f"/portal/tickets/{ticket.key}/"]
    assert "We are looking into it." in ticket_page
    assert "Sorry for the wait" in ticket_page
    assert "Handed to a specialist team" in ticket_page
    assert "Status changed to Resolved" in pages["resolved"]


def test_agent_names_are_shown_when_the_desk_allows_it(org, client_for, ticket_for):
    ticket = ticket_for(org.requester)
    assign(ticket, org.l1_agent, actor=org.l1_agent)
    add_comment(ticket, "Rebooting the switch.", actor=org.l1_agent)

    html = html_of(client_for(org.requester).get(f"/portal/tickets/{ticket.key}/"))

    assert org.l1_agent.display_name in html
    assert "Handled by" in html


def test_agent_names_are_hidden_everywhere_when_the_desk_says_so(org, client_for, ticket_for):
    DeskPolicy.objects.create(key="requesters_see_agent_names", value=False)
    # Distinctive names, so that finding one in a page cannot be a coincidence of wording.
    for agent, first, last in (
        (org.l1_agent, "Tomasz", "Quarkwright"),
        (org.lead, "Dagna", "Zell"),
    ):
        agent.first_name, agent.last_name = first, last
        agent.save(update_fields=["first_name", "last_name"])
    ticket = ticket_for(org.requester)
    assign(ticket, org.l1_agent, actor=org.l1_agent)
    add_comment(ticket, "Rebooting the switch.", actor=org.l1_agent)
    transition(ticket, "in_progress", actor=org.l1_agent)
    client = client_for(org.requester)

    pages = portal_pages(client, ticket)

    for name, html in pages.items():
        for part in ("Tomasz", "Quarkwright", "Dagna", "Zell"):
            assert part not in html, f"{part!r} shown on {name}"
    ticket_page = pages[f"/portal/tickets/{ticket.key}/"]
    assert "Rebooting the switch." in ticket_page
    assert "IT support" in ticket_page
    assert "Handled by" not in ticket_page


def test_stored_script_in_title_description_comment_and_name_renders_inert(
    org, client_for, services, ticket_for
):
    acme = RequesterOrganisation.objects.create(slug="acme", name="Acme")
    for person in (org.requester, org.other_requester):
        person.first_name = XSS
        person.organisation = acme
        person.save()
    DeskPolicy.objects.create(key="requesters_see_organisation", value=True)
    ticket_for(org.other_requester, "Colleague's ticket")
    client = client_for(org.requester)
    created = post_from(
        client,
        "/portal/new/",
        "/portal/new/",
        {**NEW_TICKET, "title": f"Title {XSS}", "description": f"Description {XSS}"},
    )
    ticket = Ticket.objects.get(requester=org.requester)
    add_comment(ticket, f"Agent says {XSS}", actor=org.l1_agent)
    path = created["Location"]
    post_from(client, path, f"{path}reply/", {"body": f"Requester says {XSS}"})

    pages = portal_pages(client, ticket)

    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "<img src=x" not in html, name
        assert "onerror=" not in html.replace("onerror=alert(1)&gt;", ""), name
    ticket_page = pages[f"/portal/tickets/{ticket.key}/"]
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert f"Title {escaped}" in ticket_page
    assert f"Description {escaped}" in ticket_page
    assert f"Agent says {escaped}" in ticket_page
    assert f"Requester says {escaped}" in ticket_page
    listing = pages["/portal/"]
    assert f"Title {escaped}" in listing
    assert f"Raised by {escaped}" in listing  # a colleague's name
    assert f'<span class="who">{escaped}' in listing  # the requester's own name


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/portal/new/", NEW_TICKET),
        ("/portal/tickets/{key}/reply/", {"body": "hello"}),
        ("/portal/tickets/{key}/status/", {"to": "cancelled", "version": "1"}),
    ],
)
def test_every_signed_in_portal_form_needs_its_csrf_token(org, client_for, ticket_for, path, data):
    ticket = ticket_for(org.requester)
    comments = ticket.comments.count()
    client = client_for(org.requester)

    response = client.post(path.format(key=ticket.key), data)

    assert response.status_code == 403
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.comments.count()) == ("new", comments)


def test_the_sign_in_forms_need_their_csrf_token(org, django_capture_on_commit_callbacks):
    from tierdesk.portal import signin

    secret, _ = signin.issue_link(org.requester)
    client = Client(enforce_csrf_checks=True)

    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/portal/sign-in/", {"email": org.requester.email})
    used = client.post(f"/portal/sign-in/{secret}/")

    assert (asked.status_code, used.status_code) == (403, 403)
    assert client.session.get("_auth_user_id") is None
    assert signin.is_live(secret)


def test_portal_pages_carry_the_strict_content_security_policy(org, client_for):
    response = client_for(org.requester).get("/portal/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in html_of(response)
    assert not re.search(r"\son[a-z]+\s*=", html_of(response))  # no onclick= and friends
