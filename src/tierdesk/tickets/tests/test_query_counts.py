"""List endpoints cost a fixed number of queries: an N+1 fails here, not in production."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tierdesk.escalations.services import escalate
from tierdesk.tickets.services import NewTicket, add_comment, assign, create_ticket

pytestmark = pytest.mark.django_db


def queries_for(client, path, **params):
    client.get(path, **params)  # the first request of a token also records its last use
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **params)
    assert response.status_code == 200
    return len(captured)


def varied_tickets(org, count):
    requesters = [org.requester, org.other_requester]
    for i in range(count):
        ticket = create_ticket(
            NewTicket(title=f"Issue {i}", impact=["low", "high"][i % 2]),
            requester=requesters[i % 2],
        )
        if i % 3 == 0:
            assign(ticket, [org.l1_agent, org.l1_other][i % 2], actor=org.l1_agent)
        if i % 4 == 0:
            add_comment(ticket, "noted", actor=org.l1_agent)
        if i % 5 == 0:
            escalate(ticket, actor=org.l1_agent, to_tier=2, note="L2 please")


def test_ticket_list_costs_the_same_for_few_and_many_rows(org, api_as):
    client = api_as(org.incident_manager)
    varied_tickets(org, 4)
    few = queries_for(client, "/tickets", limit=50)
    varied_tickets(org, 40)
    many = queries_for(client, "/tickets", limit=50)
    assert few == many
    assert many <= 8


def test_timeline_costs_the_same_for_short_and_long_histories(org, api_as):
    client = api_as(org.l1_agent)
    short = create_ticket(NewTicket(title="short"), requester=org.requester)
    add_comment(short, "one reply", actor=org.l1_agent)
    long = create_ticket(NewTicket(title="long"), requester=org.requester)
    for i in range(30):
        add_comment(long, f"update {i}", actor=org.l1_agent, internal=bool(i % 2))
    assert queries_for(client, f"/tickets/{short.key}/events") == queries_for(
        client, f"/tickets/{long.key}/events"
    )
    assert queries_for(client, f"/tickets/{short.key}/comments") == queries_for(
        client, f"/tickets/{long.key}/comments"
    )
