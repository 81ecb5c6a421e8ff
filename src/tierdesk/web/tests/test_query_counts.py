"""The queue and ticket pages run a fixed number of SQL queries whatever their rows hold."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tierdesk.accounts.models import Role
from tierdesk.escalations.services import escalate
from tierdesk.testing import Org, UserFactory, member
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, add_comment, assign, create_ticket

pytestmark = pytest.mark.django_db


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def varied_tickets(org: Org, count: int) -> list[Ticket]:
    """Tickets at different teams, with different assignees and requesters."""
    teams = [org.service_desk, org.l2, org.l3_db, org.l3_net]
    made = []
    for i in range(count):
        requester = UserFactory(role=Role.REQUESTER)
        urgent = NewTicket(title=f"Ticket {i}", impact="high", urgency="high")  # due within 1 h
        ticket = create_ticket(urgent, requester=requester)
        team = teams[i % len(teams)]
        if team != org.service_desk:
            ticket = escalate(ticket, actor=org.admin, note="moving", to_team=team.slug)
        if i % 3:
            ticket = assign(ticket, member(team), actor=org.admin)
        made.append(ticket)
    return made


@pytest.mark.parametrize("url", ["/queues/", "/queues/?order=due", "/queues/breaching"])
def test_the_queue_page_costs_the_same_queries_for_5_and_50_rows(org, client_as, url) -> None:
    client = client_as(org.incident_manager)
    varied_tickets(org, 5)
    few = queries(client, url)
    varied_tickets(org, 45)
    assert Ticket.objects.count() == 50
    many = queries(client, url)
    assert client.get(url).content.decode().count('<td class="key">') == 50
    assert many == few
    assert many <= 16


def test_the_queue_costs_the_same_for_an_agent_limited_to_their_teams(org, client_as) -> None:
    client = client_as(org.l1_agent)
    varied_tickets(org, 5)
    few = queries(client, "/queues/tier/1")
    varied_tickets(org, 45)
    assert queries(client, "/queues/tier/1") == few


def test_the_live_refresh_of_the_queue_costs_the_same_for_5_and_50_rows(org, client_as) -> None:
    client = client_as(org.incident_manager)
    headers = {"HX-Request": "true", "HX-Target": "queue-rows"}

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get("/queues/", headers=headers)
        return len(captured.captured_queries)

    varied_tickets(org, 5)
    few = count()
    varied_tickets(org, 45)
    assert count() == few


def grow_timeline(org: Org, ticket: Ticket, entries: int) -> Ticket:
    """Replies, notes and hops by different people, until the timeline has ``entries``."""
    agents = [member(org.service_desk) for _ in range(3)]
    i = 0
    while len(timeline_of(org, ticket)) < entries:
        author = agents[i % len(agents)]
        add_comment(ticket, f"Comment {i}", actor=author, internal=bool(i % 2))
        if i % 7 == 6:
            ticket = escalate(
                ticket, actor=org.admin, note=f"hop {i}", to_tier=2 if ticket.tier == 1 else 1
            )
            ticket = (
                escalate(ticket, actor=org.admin, note="back", to_team="service-desk")
                if ticket.tier == 2
                else ticket
            )
        i += 1
    return Ticket.objects.get(pk=ticket.pk)


def timeline_of(org: Org, ticket: Ticket) -> list[object]:
    from tierdesk.tickets import selectors
    from tierdesk.web.timeline import build_timeline

    return build_timeline(
        selectors.events_for(org.admin, ticket), selectors.comments_for(org.admin, ticket), {}, {}
    )


def test_the_ticket_page_costs_the_same_queries_for_10_and_100_timeline_entries(
    org, client_as
) -> None:
    client = client_as(org.l1_agent)
    small = grow_timeline(org, create_ticket(NewTicket(title="small"), requester=org.requester), 10)
    big = grow_timeline(org, create_ticket(NewTicket(title="big"), requester=org.requester), 100)
    assert len(timeline_of(org, big)) >= 100
    assert queries(client, f"/tickets/{small.key}") == queries(client, f"/tickets/{big.key}")


def test_the_assign_picker_costs_the_same_queries_for_a_small_and_a_big_team(
    org, client_as
) -> None:
    client = client_as(org.l1_agent)
    ticket = create_ticket(NewTicket(title="Who takes it?"), requester=org.requester)
    panel = f"/tickets/{ticket.key}/assign?version={ticket.version}"
    few = queries(client, panel)
    for _ in range(12):
        assign(
            create_ticket(NewTicket(title="Load"), requester=org.requester),
            member(org.service_desk),
            actor=org.admin,
        )
    assert queries(client, panel) == few
