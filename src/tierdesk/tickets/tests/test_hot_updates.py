"""On PostgreSQL the updates every command makes leave the tables' indexes alone.

An update that changes no indexed column and finds room on its row's page is a HOT update:
no new entry in any index. The ticket table has fourteen indexes and each command updates a
ticket and its audit chain head; the round-robin cursor moves on the team row at each create.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tierdesk.org.models import Team
from tierdesk.tickets.services import NewTicket, add_comment, create_ticket

pytestmark = [pytest.mark.postgres]


def updates(table: str) -> tuple[int, int]:
    """(updates, of which HOT) of ``table`` so far, this connection's committed ones included."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # report what this backend did
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = %s",
            [table],
        )
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_note_on_a_ticket_in_a_full_page_writes_no_index_entry(org):
    assert connection.vendor == "postgresql", "HOT updates are PostgreSQL's"
    # Enough tickets to fill pages: each insert stops where the page keeps its room free.
    tickets = [
        create_ticket(NewTicket(title=f"Printer {n} jammed"), requester=org.requester)
        for n in range(24)
    ]
    before = {table: updates(table) for table in ("tickets_ticket", "audit_chainhead")}
    for ticket in tickets:  # each note its own transaction, as in use
        add_comment(ticket, "Checked the tray", actor=org.l1_agent, internal=True)
    for table, (updated_before, hot_before) in before.items():
        updated, hot = updates(table)
        assert updated - updated_before == len(tickets), table
        assert hot - hot_before == len(tickets), f"{table}: an update wrote index entries"


@pytest.mark.django_db
def test_moving_the_round_robin_cursor_writes_no_index_entry(org):
    def in_this_transaction() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                " WHERE relname = 'org_team'"
            )
            updated, hot = cursor.fetchone()
        return int(updated), int(hot)

    assert connection.vendor == "postgresql", "HOT updates are PostgreSQL's"
    before = in_this_transaction()
    for agent in (org.l1_agent, org.l1_other, org.l1_agent):
        Team.objects.filter(pk=org.service_desk.pk).update(last_assigned=agent)
    updated, hot = in_this_transaction()
    assert (updated - before[0], hot - before[1]) == (3, 3)
