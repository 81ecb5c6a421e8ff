from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tierdesk.escalations.services import escalate
from tierdesk.scheduler.loop import tick
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import assign, transition
from tierdesk.web.models import SavedFilter

pytestmark = pytest.mark.django_db


def keys_in(html: str) -> list[str]:
    return re.findall(r'<td class="key"><a href="/tickets/(TD-\d+)"', html)


def test_the_l1_queue_lists_a_new_ticket_with_every_column(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    html = client_as(org.l1_agent).get("/queues/tier/1").content.decode()
    assert keys_in(html) == [ticket.key]
    for text in [
        "VPN drops every hour",
        "P3",
        "New",
        "L1 · Service Desk",
        "Unassigned",
        org.requester.display_name,
        "Tier OLA",
        "Customer SLA",
        "left",
    ]:
        assert text in html, text


def test_my_work_lists_only_tickets_assigned_to_me(org, client_as, open_ticket) -> None:
    mine = assign(open_ticket("Mine"), org.l1_agent, actor=org.l1_agent)
    assign(open_ticket("Theirs"), org.l1_other, actor=org.l1_other)
    open_ticket("Nobody's")
    html = client_as(org.l1_agent).get("/queues/mine").content.decode()
    assert keys_in(html) == [mine.key]


def test_unassigned_lists_only_unowned_open_tickets(org, client_as, open_ticket) -> None:
    assign(open_ticket("Owned"), org.l1_agent, actor=org.l1_agent)
    free = open_ticket("Free")
    html = client_as(org.l1_agent).get("/queues/unassigned").content.decode()
    assert keys_in(html) == [free.key]


def test_a_team_queue_shows_only_that_teams_tickets(org, client_as, open_ticket) -> None:
    stays = open_ticket("Stays at L1")
    moved = escalate(open_ticket("Goes to L2"), actor=org.l1_agent, note="over to you", to_tier=2)
    html = client_as(org.lead).get("/queues/team/service-desk").content.decode()
    assert keys_in(html) == [stays.key]
    html = client_as(org.l2_agent).get("/queues/team/l2-apps").content.decode()
    assert keys_in(html) == [moved.key]


def test_agents_never_see_tickets_of_teams_they_are_not_in(org, client_as, open_ticket) -> None:
    open_ticket()
    html = client_as(org.l3_agent).get("/queues/tier/1").content.decode()
    assert keys_in(html) == []


def test_an_unknown_team_or_tier_is_the_not_found_page(org, client_as) -> None:
    client = client_as(org.l1_agent)
    assert client.get("/queues/team/nope").status_code == 404
    response = client.get("/queues/tier/4")
    assert response.status_code == 404
    assert b"Not found" in response.content
    assert b'class="site-header"' in response.content


def test_sorting_by_sla_due_puts_the_most_urgent_first(org, client_as, open_ticket) -> None:
    low = open_ticket("Low", impact="low", urgency="low")
    high = open_ticket("High", impact="high", urgency="high")
    client = client_as(org.l1_agent)
    assert keys_in(client.get("/queues/tier/1").content.decode()) == [high.key, low.key]
    low_first = open_ticket("Newest but low", impact="low", urgency="low")
    due = keys_in(client.get("/queues/tier/1?order=due").content.decode())
    assert due[0] == high.key
    assert due.index(low.key) < due.index(low_first.key)


def test_queues_page_through_fifty_rows_at_a_time_with_a_cursor(
    org, client_as, open_ticket
) -> None:
    made = [open_ticket(f"Ticket {i}") for i in range(53)]
    client = client_as(org.l1_agent)
    first = client.get("/queues/tier/1").content.decode()
    assert len(keys_in(first)) == 50
    next_link = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', first)
    assert next_link is not None
    second = client.get("/queues/tier/1?" + next_link.group(1).replace("&amp;", "&"))
    assert keys_in(second.content.decode()) == [t.key for t in reversed(made[:3])]


def test_a_forged_cursor_is_a_message_not_a_server_error(org, client_as) -> None:
    response = client_as(org.l1_agent).get("/queues/tier/1?cursor=garbage!!")
    assert response.status_code == 422
    assert b"cursor is not one this server issued" in response.content


def test_an_unknown_filter_value_is_reported_not_a_server_error(org, client_as) -> None:
    response = client_as(org.l1_agent).get("/queues/?priority=P9")
    assert response.status_code == 422
    assert b"The filter is invalid" in response.content


def test_live_refresh_returns_only_the_table_body(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    response = client_as(org.l1_agent).get(
        "/queues/tier/1", headers={"HX-Request": "true", "HX-Target": "queue-rows"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<tbody id="queue-rows"')
    assert 'hx-trigger="every 15s"' in html
    assert keys_in(html) == [ticket.key]
    assert "<header" not in html


def test_breaching_soon_shows_breached_tickets_and_those_due_within_the_hour(
    org, client_as, open_ticket
) -> None:
    breached = open_ticket("Long overdue", impact="high", urgency="high")
    tick(timezone.now() + timedelta(days=1))
    soon = open_ticket("Due in minutes", impact="high", urgency="high")
    calm = open_ticket("Plenty of time", impact="low", urgency="low")
    html = client_as(org.l1_agent).get("/queues/breaching").content.decode()
    soon_part, _, breached_part = html.partition('id="queue-heading"')
    assert soon.key in keys_in(soon_part)
    assert breached.key in keys_in(breached_part)
    assert calm.key not in keys_in(html)
    assert "breached" in breached_part


def test_an_agent_saves_a_filter_and_opens_it_later(org, client_as, open_ticket) -> None:
    client = client_as(org.l1_agent)
    page = client.get("/queues/tier/1?priority=P1").content.decode()
    query = re.search(r'name="query" value="([^"]*)"', page).group(1).replace("&amp;", "&")
    assert "priority=P1" in query
    assert "tier=1" in query
    response = client.post("/queues/saved", {"name": "Urgent L1", "query": query})
    saved = SavedFilter.objects.get(owner=org.l1_agent)
    assert response["Location"] == f"/queues/?{query}"
    assert "Urgent L1" in client.get("/queues/mine").content.decode()
    urgent = open_ticket("Everything is down", impact="high", urgency="high")
    open_ticket("Minor", impact="low", urgency="low")
    assert keys_in(client.get(response["Location"]).content.decode()) == [urgent.key]
    client.post(f"/queues/saved/{saved.pk}/delete")
    assert not SavedFilter.objects.exists()


def test_nobody_deletes_another_agents_saved_filter(org, client_as) -> None:
    saved = SavedFilter.objects.create(owner=org.l1_agent, name="Mine", query="tier=1")
    assert client_as(org.l1_other).post(f"/queues/saved/{saved.pk}/delete").status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


def test_bulk_assign_runs_the_command_per_ticket_and_reports_each_failure(
    org, client_as, open_ticket
) -> None:
    a, b, c = open_ticket("A"), open_ticket("B"), open_ticket("C")
    assign(b, org.l1_other, actor=org.l1_other)  # b moves on after the page was rendered
    transition(c, "cancelled", actor=org.l1_other)
    client = client_as(org.l1_agent)
    response = client.post(
        "/queues/bulk",
        {
            "keys": [f"{a.key}:{a.version}", f"{b.key}:{b.version}", f"{c.key}:{c.version + 1}"],
            "action": "assign",
            "assignee": "",
            "next": "/queues/tier/1",
        },
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/queues/tier/1"
    assert Ticket.objects.get(pk=a.pk).assignee == org.l1_agent
    assert Ticket.objects.get(pk=b.pk).assignee == org.l1_other
    assert f"{b.key} changed since you opened it" in html
    assert f"{c.key}: {c.key} is cancelled" in html
    assert f"Done for 1 ticket(s): {a.key}." in html


def test_bulk_escalation_needs_a_handoff_note(org, client_as, open_ticket) -> None:
    t = open_ticket()
    client = client_as(org.l1_agent)
    body = {"keys": [f"{t.key}:{t.version}"], "action": "escalate", "to_tier": "2"}
    html = client.post("/queues/bulk", body, follow=True).content.decode()
    assert "write a handoff note" in html
    assert Ticket.objects.get(pk=t.pk).tier == 1
    client.post("/queues/bulk", {**body, "note": "needs app knowledge"})
    assert Ticket.objects.get(pk=t.pk).tier == 2


def test_bulk_transition_changes_status_through_the_lifecycle(org, client_as, open_ticket) -> None:
    t = open_ticket()
    client_as(org.l1_agent).post(
        "/queues/bulk",
        {"keys": [f"{t.key}:{t.version}"], "action": "transition", "to": "in_progress"},
    )
    assert Ticket.objects.get(pk=t.pk).status == "in_progress"
