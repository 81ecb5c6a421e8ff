"""The requester's journey in a real browser: sign in, ask for help, follow it to the end."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tierdesk.escalations.services import escalate
from tierdesk.org.models import Service
from tierdesk.testing import build_org
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import add_comment, transition
from tierdesk.web.tests.browser import sign_in
from tierdesk.web.tests.dataset import PASSWORD, with_password

pytestmark = pytest.mark.django_db(transaction=True)


def test_requester_submits_a_ticket_and_follows_it_to_resolution_without_seeing_notes(
    page: Any, watch: Any
) -> None:
    from playwright.sync_api import expect

    org = build_org()
    Service.objects.create(slug="vpn", name="VPN and remote access")
    with_password(org.requester)

    sign_in(page, org.requester.username, PASSWORD)
    assert page.url.endswith("/portal/")
    page.get_by_role("link", name="Ask for help").first.click()
    page.get_by_label("Summary").fill("VPN drops every twenty minutes")
    page.get_by_label("What happened?").fill("The VPN client disconnects and asks me to log in.")
    page.get_by_label("Affected service").select_option(label="VPN and remote access")
    page.get_by_role("group", name="How many people are affected?").get_by_label("My team").check()
    page.get_by_role("group", name="How soon does it hurt?").get_by_label("Today").check()
    page.get_by_role("button", name="Send request").click()

    ticket = Ticket.objects.get()
    expect(page).to_have_url(re.compile(rf"/portal/tickets/{ticket.key}/$"))
    expect(page.get_by_role("status")).to_contain_text(f"logged your request as {ticket.key}")
    assert (ticket.channel, ticket.tier, ticket.priority) == ("portal", 1, "P3")

    add_comment(ticket, "Thanks, we are looking at the VPN gateway.", actor=org.l1_agent)
    add_comment(ticket, "Internal: user on old client 4.2", actor=org.l1_agent, internal=True)
    escalate(ticket, actor=org.l1_agent, note="Handoff: gateway logs attached", to_tier=2)
    add_comment(ticket, "We fixed the gateway timeout; please try again.", actor=org.l2_agent)
    transition(ticket, "resolved", actor=org.l2_agent, note="Resolution: idle timeout raised")

    page.reload()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Thanks, we are looking at the VPN gateway.")
    expect(main).to_contain_text("We fixed the gateway timeout; please try again.")
    expect(main).to_contain_text("Status changed to Resolved")
    html = page.content()
    for secret in ("Internal: user on old client", "Handoff: gateway logs", "idle timeout raised"):
        assert secret not in html

    page.get_by_role("button", name="Yes, it is fixed: close it").click()
    expect(page.get_by_role("status")).to_contain_text(f"{ticket.key} is closed")
    ticket.refresh_from_db()
    assert ticket.status == "closed"

    page.get_by_role("link", name="Your tickets").first.click()
    row = page.get_by_role("row").filter(has_text=ticket.key)
    expect(row).to_contain_text("Closed")
    assert watch.csp_violations == []
    assert watch.dialogs == []


def test_the_portal_can_be_used_with_the_keyboard_alone(page: Any) -> None:
    from playwright.sync_api import expect

    org = build_org()
    with_password(org.requester)
    sign_in(page, org.requester.username, PASSWORD)
    page.goto("/portal/new/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    summary = page.get_by_label("Summary")
    for _ in range(8):
        if summary.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(summary).to_be_focused()
    page.keyboard.type("Keyboard only request")
    page.keyboard.press("Tab")
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Tab")  # service select: leave "I don't know"
    page.keyboard.press("Tab")  # impact radios
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # urgency radios
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send request")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard only request")
    ticket = Ticket.objects.get()
    assert (ticket.impact, ticket.urgency, ticket.service) == ("low", "low", None)
