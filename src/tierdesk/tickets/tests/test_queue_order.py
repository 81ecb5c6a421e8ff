"""Queue lists: soonest SLA first with paused work last, stable cursors, index-shaped queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tierdesk.accounts import policy
from tierdesk.core.errors import InvalidInput
from tierdesk.escalations.services import escalate
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.selectors import TicketFilters, list_tickets
from tierdesk.tickets.services import NewTicket, assign, create_ticket, transition

pytestmark = pytest.mark.django_db

OPEN = TicketFilters(status=list(OPEN_STATUSES), team="service-desk")


def every_page(viewer, filters, *, limit, order="due"):
    keys, cursor = [], None
    while True:
        page, cursor = list_tickets(viewer, filters, limit=limit, cursor=cursor, order=order)
        keys += [ticket.key for ticket in page]
        if cursor is None:
            return keys


@pytest.fixture
def desk_queue(org):
    """Open desk tickets with different SLA due times, three of them paused (no due time)."""
    levels = ("low", "high", "medium", "high", "low", "medium", "low", "high")
    tickets = [
        create_ticket(
            NewTicket(title=f"t{i}", impact=level, urgency=level), requester=org.requester
        )
        for i, level in enumerate(levels)
    ]
    for ticket in tickets[1::3]:
        ticket = assign(ticket, org.l1_agent, actor=org.l1_agent)
        ticket = transition(ticket, "in_progress", actor=org.l1_agent)
        transition(ticket, "waiting_on_customer", actor=org.l1_agent)
    closed = assign(
        create_ticket(NewTicket(title="done"), requester=org.requester),
        org.l1_agent,
        actor=org.l1_agent,
    )
    transition(
        transition(closed, "in_progress", actor=org.l1_agent), "resolved", actor=org.l1_agent
    )
    return org


def expected_due_order() -> list[str]:
    open_tickets = list(Ticket.objects.filter(status__in=OPEN_STATUSES))
    timed = sorted(
        (t for t in open_tickets if t.resolution_due_at), key=lambda t: (t.resolution_due_at, t.pk)
    )
    paused = sorted((t for t in open_tickets if not t.resolution_due_at), key=lambda t: t.pk)
    return [t.key for t in timed + paused]


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 50])
def test_the_due_queue_pages_through_timed_then_paused_tickets_without_gaps(desk_queue, limit):
    expected = expected_due_order()
    assert len(expected) == 8
    assert sum(1 for t in Ticket.objects.all() if t.resolution_due_at is None) >= 3
    assert every_page(desk_queue.l1_agent, OPEN, limit=limit) == expected


def test_the_newest_queue_pages_by_id_without_gaps(desk_queue):
    expected = sorted(
        Ticket.objects.filter(status__in=OPEN_STATUSES), key=lambda t: t.pk, reverse=True
    )
    keys = every_page(desk_queue.l1_agent, OPEN, limit=3, order="newest")
    assert keys == [t.key for t in expected]


def test_a_queue_of_an_unknown_team_or_person_is_empty_not_an_error(desk_queue):
    agent = desk_queue.l1_agent
    assert list_tickets(agent, TicketFilters(team="no-such-team")) == ([], None)
    assert list_tickets(agent, TicketFilters(assignee="nobody"), order="due") == ([], None)
    assert list_tickets(agent, TicketFilters(requester="nobody")) == ([], None)
    mine, _ = list_tickets(agent, TicketFilters(assignee=agent.username))
    assert mine
    assert all(ticket.assignee == agent for ticket in mine)


def test_a_forged_cursor_is_refused_even_for_an_empty_queue(desk_queue):
    with pytest.raises(InvalidInput):
        list_tickets(desk_queue.l1_agent, TicketFilters(team="no-such-team"), cursor="garbage!")


def test_the_queue_stays_within_what_the_viewer_may_see(desk_queue, org):
    ticket = create_ticket(NewTicket(title="elsewhere"), requester=org.requester)
    escalate(ticket, actor=org.l1_agent, note="L2 please", to_team=org.l3_net.slug)
    filters = TicketFilters(status=list(OPEN_STATUSES), team=org.l3_net.slug)
    viewer = org.l3_agent  # an L3 database agent: not in the network team, never involved
    visible = set(policy.visible_tickets(viewer).values_list("pk", flat=True))
    for order in ("due", "newest"):
        page, _ = list_tickets(viewer, filters, order=order)
        assert {t.pk for t in page} == visible & {ticket.pk}
        page, _ = list_tickets(org.l1_agent, filters, order=order)
        assert [t.key for t in page] == [ticket.key], "the escalating agent took part"


@pytest.mark.parametrize("order", ["due", "newest"])
def test_an_open_team_queue_is_read_from_a_team_index(desk_queue, order):
    """The queue is one range of a team index, in order, never a sort of the team's tickets.

    SQLite uses a partial index only for a literal copy of its WHERE: this pins the copy (by
    due), and the team's id rather than a join on its slug (both orders). PostgreSQL, with
    sequential scans priced out (a test desk is too small to need an index), must read the
    same index without a Sort for the timed step of the due order.
    """
    filters = TicketFilters(status=["new", "assigned", "in_progress"], team="service-desk")
    with CaptureQueriesContext(connection) as captured:
        list_tickets(desk_queue.l1_agent, filters, order=order)
    ticket_queries = [q["sql"] for q in captured if 'FROM "tickets_ticket"' in q["sql"]]
    assert ticket_queries
    with connection.cursor() as cursor:
        for sql in ticket_queries:
            if connection.vendor == "sqlite":
                plan = " ".join(str(row) for row in cursor.execute(f"EXPLAIN QUERY PLAN {sql}"))
                wanted = "INDEX open_by_team_due_id (team_id=?" if order == "due" else "INDEX "
                assert wanted in plan, plan
                assert "(team_id=?" in plan, plan
                assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
            elif '"resolution_due_at" IS NOT NULL' in sql:
                # The timed step; on a test desk's few rows the planner may sort the untimed
                # step's handful of rows rather than walk an index, which is its call.
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(f"EXPLAIN {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert "open_by_team_due_id" in plan, plan
                assert "Sort Key" not in plan, plan
