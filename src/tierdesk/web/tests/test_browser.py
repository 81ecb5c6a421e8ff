"""End-to-end in Chromium: the tiered flow, the org chart, XSS payloads, CSP, live refresh."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tierdesk.accounts.models import User
from tierdesk.org.models import Team
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, add_comment, create_ticket
from tierdesk.web.tests.browser import PageWatch, sign_in
from tierdesk.web.tests.dataset import PASSWORD, with_password

pytestmark = pytest.mark.django_db(transaction=True)

XSS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", '"><svg onload=alert(1)>']


def check_csp_on_documents(page: Any) -> list[str]:
    """Collects the URL of every HTML response whose CSP would allow inline script."""
    bad: list[str] = []

    def on_response(response: Any) -> None:
        if "text/html" not in response.headers.get("content-type", ""):
            return
        policy = response.headers.get("content-security-policy", "")
        match = re.search(r"script-src ([^;]+)", policy)
        if match is None or "'unsafe-inline'" in match.group(1):
            bad.append(response.url)

    page.on("response", on_response)
    return bad


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login/$"))


def test_a_ticket_travels_from_l1_to_l3_and_is_resolved(org, page: Any, watch: PageWatch) -> None:
    bad_csp = check_csp_on_documents(page)
    for person in (org.l1_agent, org.l2_agent, org.l3_agent):
        with_password(person)
    ticket = create_ticket(
        NewTicket(title="Payroll export times out", description="Since 9:00.", channel="portal"),
        requester=org.requester,
    )

    sign_in(page, "tom", PASSWORD)
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Queues").click()
    page.get_by_role("navigation", name="Queues").get_by_role("link", name="L1").click()
    page.get_by_role("link", name=ticket.key).click()
    page.wait_for_url(f"**/tickets/{ticket.key}")
    page.get_by_label("Internal note (staff only").fill("Export job log shows lock waits.")
    page.get_by_role("button", name="Add internal note").click()
    page.get_by_role("status").filter(has_text="Internal note added.").wait_for()
    note = page.locator(".timeline li.note").filter(has_text="Export job log shows lock waits.")
    assert note.locator(".tag").inner_text().lower() == "internal note"
    page.get_by_label("Send to").select_option("tier:2")
    page.get_by_label("Handoff note").fill("Lock waits on payroll DB; app team please check.")
    page.get_by_role("button", name="Hand over").click()
    page.get_by_role("status").filter(has_text="is now with L2 Apps").wait_for()
    sign_out(page)

    sign_in(page, "sam", PASSWORD)
    page.goto("/queues/tier/2")
    page.get_by_role("link", name=ticket.key).click()
    assert page.get_by_text("Lock waits on payroll DB; app team please check.").is_visible()
    page.get_by_label("Send to").select_option("tier:3")
    page.get_by_label("Handoff note").fill("Plan regression; DBA needed.")
    page.get_by_role("button", name="Hand over").click()
    page.get_by_role("status").filter(has_text="is now with L3 Databases").wait_for()
    sign_out(page)

    sign_in(page, "dora", PASSWORD)
    page.goto("/queues/tier/3")
    page.get_by_role("link", name=ticket.key).click()
    page.get_by_label("New status").select_option("resolved")
    page.get_by_label("Note (optional)").first.fill("Pinned the previous plan.")
    page.get_by_role("button", name="Change status").click()
    page.get_by_role("status").filter(has_text="Status is now Resolved.").wait_for()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier, ticket.team.slug) == ("resolved", 3, "l3-databases")
    assert watch.dialogs == []
    assert watch.csp_violations == []
    assert bad_csp == []


def test_the_org_chart_page_draws_every_team(org, page: Any, watch: PageWatch) -> None:
    with_password(org.l1_agent)
    sign_in(page, "tom", PASSWORD)
    page.goto("/org/chart")
    names = page.locator("svg g.team > title").all_text_contents()
    assert sorted(names) == sorted(Team.objects.values_list("name", flat=True))
    page.locator("svg a").filter(has_text="L2 Apps").first.click()
    page.wait_for_url("**/queues/team/l2-apps")
    assert watch.csp_violations == []


@pytest.mark.parametrize("payload", XSS)
def test_stored_xss_payloads_stay_inert_text_on_every_page(
    org, page: Any, watch: PageWatch, payload: str
) -> None:
    User.objects.filter(pk=org.requester.pk).update(first_name=payload, last_name="")
    User.objects.filter(pk=org.l1_other.pk).update(first_name=payload, last_name="")
    requester = User.objects.get(pk=org.requester.pk)
    ticket = create_ticket(
        NewTicket(title=f"T {payload}", description=f"D {payload}", impact="high", urgency="high"),
        requester=requester,
    )
    add_comment(ticket, f"C {payload}", actor=org.l1_agent)
    bad_csp = check_csp_on_documents(page)
    with_password(org.admin)
    sign_in(page, "admin", PASSWORD)
    pages = {
        "/queues/tier/1": [f"T {payload}", payload],
        f"/tickets/{ticket.key}": [f"T {payload}", f"D {payload}", f"C {payload}", payload],
        "/org/chart": [payload],
        "/manage/": [f"T {payload}"],
    }
    for url, texts in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        shown = page.locator("main").inner_text()
        for text in texts:
            assert text in shown, (url, text)
        assert (
            page.locator("main img[src='x'], main script:not([src]), main svg[onload]").count() == 0
        )
    assert watch.dialogs == []
    assert watch.csp_violations == []
    assert bad_csp == []


def test_the_main_pages_log_no_console_errors(org, page: Any, watch: PageWatch) -> None:
    ticket = create_ticket(NewTicket(title="Console check"), requester=org.requester)
    with_password(org.admin)
    sign_in(page, "admin", PASSWORD)
    for url in [
        "/queues/mine",
        "/queues/",
        "/queues/breaching",
        f"/tickets/{ticket.key}",
        "/manage/",
        "/org/chart",
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    assert watch.console_errors == []


def test_the_queue_refreshes_itself_when_a_ticket_arrives(org, page: Any, watch: PageWatch) -> None:
    with_password(org.l1_agent)
    sign_in(page, "tom", PASSWORD)
    page.goto("/queues/tier/1")
    assert page.locator("#queue-rows").inner_text().strip() == "No tickets here."
    ticket = create_ticket(NewTicket(title="Arrived while watching"), requester=org.requester)
    page.get_by_role("link", name=ticket.key).wait_for(timeout=25_000)
    assert page.url.endswith("/queues/tier/1")
    assert watch.console_errors == []


def test_the_queue_sidebar_shows_its_counts_once_the_page_is_shown(org, page: Any) -> None:
    with_password(org.l1_agent)
    for title in ("Printer jam", "VPN drops"):
        create_ticket(NewTicket(title=title), requester=org.requester)
    sign_in(page, "tom", PASSWORD)
    page.goto("/queues/tier/1")
    sidebar = page.get_by_role("navigation", name="Queues")
    tier_one = sidebar.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="L1", exact=True)
    )
    tier_one.locator(".count").wait_for()
    assert tier_one.inner_text().split() == ["L1", "2", "open"]
    current = sidebar.get_by_role("link", name="L1", exact=True)
    assert current.get_attribute("aria-current") == "page"


def test_the_assign_picker_arrives_after_the_page_and_assigns(org, page: Any) -> None:
    with_password(org.l1_agent)
    ticket = create_ticket(NewTicket(title="Needs an owner"), requester=org.requester)
    sign_in(page, "tom", PASSWORD)
    page.goto(f"/tickets/{ticket.key}")
    picker = page.get_by_label("Assign to")
    picker.wait_for()  # loaded by the page once shown
    options = picker.locator("option").all_text_contents()
    assert f"{org.l1_other.display_name} — 0 open, on shift" in options
    picker.select_option(org.l1_other.username)
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_role("status").filter(has_text="Assigned to").wait_for()
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == org.l1_other.pk


def test_keyboard_users_can_skip_to_the_content_and_see_focus(org, page: Any) -> None:
    with_password(org.l1_agent)
    sign_in(page, "tom", PASSWORD)
    page.goto("/queues/mine")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_bulk_assignment_from_the_queue_reports_each_ticket(org, page: Any) -> None:
    with_password(org.l1_agent)
    first = create_ticket(NewTicket(title="Bulk one"), requester=org.requester)
    second = create_ticket(NewTicket(title="Bulk two"), requester=org.requester)
    sign_in(page, "tom", PASSWORD)
    page.goto("/queues/unassigned")
    page.get_by_label(f"Select {first.key}").check()
    page.get_by_label(f"Select {second.key}").check()
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_role("status").filter(has_text="Done for 2 ticket(s)").wait_for()
    assert set(Ticket.objects.values_list("assignee__username", flat=True)) == {"tom"}


def test_the_live_refresh_waits_while_rows_are_ticked(org, page: Any) -> None:
    with_password(org.l1_agent)
    first = create_ticket(NewTicket(title="Already here"), requester=org.requester)
    sign_in(page, "tom", PASSWORD)
    page.goto("/queues/tier/1")
    page.get_by_label(f"Select {first.key}").check()
    second = create_ticket(NewTicket(title="Arrives later"), requester=org.requester)
    page.wait_for_timeout(17_000)  # one refresh period and a bit
    assert page.get_by_label(f"Select {first.key}").is_checked()
    assert page.get_by_role("link", name=second.key).count() == 0
    page.get_by_label(f"Select {first.key}").uncheck()
    page.get_by_label(f"Select {first.key}").blur()
    page.get_by_role("link", name=second.key).wait_for(timeout=25_000)
