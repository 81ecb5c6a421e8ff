"""A command's ticket is read fresh under its lock, with the people and team it names."""

from __future__ import annotations

import pytest

from tierdesk.core.errors import NotFound
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket
from tierdesk.tickets.services._common import lock

pytestmark = pytest.mark.django_db


def test_a_locked_ticket_carries_its_current_team_requester_and_assignee(org):
    ticket = create_ticket(NewTicket(title="Badge reader offline"), requester=org.requester)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=org.l1_other, title="Badge reader down")
    locked = lock(ticket)
    assert (locked.title, locked.team, locked.requester) == (
        "Badge reader down",
        ticket.team,
        org.requester,
    )
    assert locked.assignee == org.l1_other


def test_an_unassigned_ticket_locks_with_no_assignee(org):
    ticket = create_ticket(NewTicket(title="Badge reader offline"), requester=org.requester)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None)
    assert lock(ticket.pk).assignee is None


def test_locking_a_ticket_that_does_not_exist_says_so(org):
    with pytest.raises(NotFound):
        lock(987_654)
