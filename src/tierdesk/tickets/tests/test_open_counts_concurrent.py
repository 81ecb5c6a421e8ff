"""Folding the open-ticket counts beside writers and other folds loses nothing (PostgreSQL,
where they run at once; SQLite takes one writer at a time)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from tierdesk.tickets import opencounts
from tierdesk.tickets.models import OpenTicketCount
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class HeldOpen:
    """``work`` run in another connection's transaction, left uncommitted until the
    ``with`` block ends."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.work = work
        self._done, self._commit = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with transaction.atomic():
                self.work()
                self._done.set()
                assert self._commit.wait(timeout=10)
        finally:
            connections.close_all()

    def __enter__(self) -> HeldOpen:
        assert connection.vendor == "postgresql", "concurrent writers need PostgreSQL"
        self._thread.start()
        assert self._done.wait(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._commit.set()
        self._thread.join()


def desk_total(org) -> int:
    return opencounts.visible_open_counts(org.admin)[(org.service_desk.pk, 1)]


def test_a_ticket_created_while_a_fold_runs_is_still_counted_once_committed(org):
    for _ in range(3):
        create_ticket(NewTicket(title="before"), requester=org.requester)

    with HeldOpen(lambda: create_ticket(NewTicket(title="during"), requester=org.requester)):
        assert opencounts.fold(at_least=0) == 3

    assert desk_total(org) == 4
    assert OpenTicketCount.objects.count() == 2  # the folded total and the late change


def test_two_folds_at_once_count_every_change_once(org):
    for _ in range(5):
        create_ticket(NewTicket(title="before"), requester=org.requester)
    folded: list[int] = []

    with HeldOpen(lambda: folded.append(opencounts.fold(at_least=0))):
        second = threading.Thread(target=lambda: folded.append(_fold_and_close()))
        second.start()  # waits for the first fold's rows, then finds them gone
        second.join(timeout=0.5)
        assert second.is_alive()
    second.join()

    assert sorted(folded) == [0, 5]
    assert desk_total(org) == 5
    assert OpenTicketCount.objects.count() == 1


def _fold_and_close() -> int:
    try:
        return opencounts.fold(at_least=0)
    finally:
        connections.close_all()
