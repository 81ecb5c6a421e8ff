"""A round-robin team's cursor is moved in a transaction of its own, before a new ticket's
transaction opens: concurrent creates wait at most two short pauses for it, and never while
they hold a ticket."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tierdesk.org.models import AssignmentStrategy, Team
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(org):
    assert connection.vendor == "postgresql", "row locks between connections need PostgreSQL"
    org.service_desk.assignment_strategy = AssignmentStrategy.ROUND_ROBIN
    org.service_desk.save()
    return org.service_desk


def test_turns_rotate_through_the_members_on_shift_in_order(org, desk):
    owners = [
        create_ticket(NewTicket(title=f"t{i}"), requester=org.requester).assignee_id
        for i in range(6)
    ]
    assert owners[:3] == owners[3:]
    assert sorted(owners[:3]) == owners[:3]
    assert Team.objects.get(pk=desk.pk).last_assigned_id == owners[-1]


def test_the_cursor_is_free_while_a_new_tickets_transaction_is_still_open(org, desk, monkeypatch):
    from tierdesk.tickets.services import create

    writing, checked = threading.Event(), threading.Event()
    original = create._Opening._write

    def write_and_hold(self):
        ticket = original(self)
        writing.set()
        assert checked.wait(timeout=10)
        return ticket

    monkeypatch.setattr(create._Opening, "_write", write_and_hold)
    opened = []

    def request() -> None:
        try:
            opened.append(create_ticket(NewTicket(title="Held"), requester=org.requester))
        finally:
            connections.close_all()

    client = threading.Thread(target=request)
    client.start()
    try:
        assert writing.wait(timeout=10)
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT last_assigned_id FROM org_team WHERE id = %s FOR UPDATE NOWAIT", [desk.pk]
            )
            (cursor_now,) = cursor.fetchone()
    finally:
        checked.set()
        client.join()
    assert len(opened) == 1
    assert opened[0].assignee_id == cursor_now


class CursorHolder:
    """Another connection holding the team's round-robin cursor (as a scheduler batch or a
    concurrent turn does) until :meth:`let_go`, or the end of the ``with`` block."""

    def __init__(self, team: Team) -> None:
        self.team = team
        self._holding, self._let_go, self._released = (threading.Event() for _ in range(3))
        self._thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        from django.db import transaction

        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT id FROM org_team WHERE id = %s FOR UPDATE", [self.team.pk])
                self._holding.set()
                assert self._let_go.wait(timeout=10)
        finally:
            connections.close_all()
            self._released.set()

    def let_go(self) -> None:
        """Commit the holder's transaction and wait until the cursor is free."""
        self._let_go.set()
        assert self._released.wait(timeout=10)

    def __enter__(self) -> CursorHolder:
        self._thread.start()
        assert self._holding.wait(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._let_go.set()
        self._thread.join()


def test_no_turn_is_taken_while_another_assignment_holds_the_cursor(desk, monkeypatch):
    from tierdesk.routing import assignment
    from tierdesk.routing.assignment import candidates, take_turn

    pauses: list[float] = []
    monkeypatch.setattr(assignment, "_pause", pauses.append)
    with CursorHolder(desk):
        assert take_turn(desk, candidates(desk)) is None
        assert pauses == [assignment.TURN_RETRY_SECONDS] * (assignment.TURN_ATTEMPTS - 1)
    turn = take_turn(desk, candidates(desk))
    assert turn is not None
    assert Team.objects.get(pk=desk.pk).last_assigned_id == turn.pk


def test_a_turn_waits_for_a_cursor_that_another_turn_holds_for_a_moment(desk, monkeypatch):
    from tierdesk.routing import assignment

    with CursorHolder(desk) as holder:
        # The holder commits while the turn pauses before its second try.
        monkeypatch.setattr(assignment, "_pause", lambda seconds: holder.let_go())
        turn = assignment.take_turn(desk, assignment.candidates(desk))
    assert turn is not None
    assert Team.objects.get(pk=desk.pk).last_assigned_id == turn.pk
