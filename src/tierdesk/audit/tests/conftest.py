from __future__ import annotations

import pytest

from tierdesk.tickets.services import NewTicket, add_comment, create_ticket


@pytest.fixture
def tickets(org):
    """A dozen tickets, each with a comment: a dozen chains of a few events."""
    made = []
    for number in range(12):
        ticket = create_ticket(NewTicket(title=f"Printer {number}"), requester=org.requester)
        add_comment(ticket, "looking", actor=org.l1_agent)
        made.append(ticket)
    return made
