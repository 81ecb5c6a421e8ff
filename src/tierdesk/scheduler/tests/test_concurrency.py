"""Many workers on many hosts: each due timer fires exactly once (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from tierdesk.audit.models import Event
from tierdesk.scheduler import loop
from tierdesk.scheduler.models import Timer
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_racing_for_the_same_due_timers_fire_each_exactly_once(org):
    assert connection.vendor == "postgresql", "this test proves SKIP LOCKED on PostgreSQL"
    tickets = [create_ticket(NewTicket(title=f"T{i}"), requester=org.requester) for i in range(20)]
    later = timezone.now() + timedelta(days=30)
    _race_two_workers(later, ticks=20)
    for ticket in tickets:
        breaches = Event.objects.filter(ticket=ticket, kind="sla_breached")
        assert sorted(breaches.values_list("field", flat=True)) == ["first_response", "resolution"]
        assert Event.objects.filter(ticket=ticket, kind="sla_warning").count() == 1
    assert not Timer.objects.filter(due_at__lte=later).exists()


def test_a_worker_that_dies_mid_batch_leaves_its_timers_for_the_next_tick(org, monkeypatch):
    ticket = create_ticket(NewTicket(title="crash"), requester=org.requester)
    later = timezone.now() + timedelta(days=30)
    original = loop.write

    def die_after_writing(firings):
        original(firings)
        raise SystemExit("worker killed")

    monkeypatch.setattr(loop, "write", die_after_writing)
    with pytest.raises(SystemExit):
        loop.tick(now=later)
    assert not Event.objects.filter(
        ticket=ticket, kind__in=["sla_breached", "sla_warning"]
    ).exists()
    monkeypatch.setattr(loop, "write", original)
    loop.tick(now=later)
    assert Event.objects.filter(ticket=ticket, kind="sla_breached").count() == 2


def test_two_workers_survive_automatic_escalations_that_re_arm_timers(org):
    from tierdesk.slas.models import OlaPolicy

    OlaPolicy.objects.create(tier=1, priority="P3", budget_minutes=30, auto_escalate=True)
    tickets = [create_ticket(NewTicket(title=f"E{i}"), requester=org.requester) for i in range(30)]
    later = timezone.now() + timedelta(days=30)
    results = _race_two_workers(later, ticks=30)
    assert sum(r.failed for r in results) == 0  # a deadlock would show as a failed timer
    assert not Timer.objects.filter(due_at__lte=later).exists()
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.tier == 2  # L1's budget ran out once; L2's default budget only warns
        assert ticket.hops.filter(automatic=True).count() == 1
        breaches = Event.objects.filter(ticket=ticket, kind="sla_breached")
        assert sorted(breaches.values_list("field", flat=True)) == [
            "first_response",
            "resolution",
        ]


def test_two_workers_close_each_resolved_ticket_exactly_once(org):
    from tierdesk.tickets.services import transition

    tickets = [create_ticket(NewTicket(title=f"C{i}"), requester=org.requester) for i in range(30)]
    for ticket in tickets:
        transition(ticket, "resolved", actor=org.l1_agent)
    later = timezone.now() + timedelta(days=30)
    results = _race_two_workers(later, ticks=30)
    assert sum(r.failed for r in results) == 0
    assert sum(r.fired for r in results) == len(tickets)
    assert not Timer.objects.filter(ticket__in=tickets).exists()
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status == "closed"
        closes = Event.objects.filter(ticket=ticket, kind="status_changed", after="closed")
        assert closes.count() == 1


def _race_two_workers(now: datetime, *, ticks: int) -> list[loop.TickResult]:
    """Two scheduler workers started together, each ticking at ``now`` like a real worker:
    until a tick finds nothing (bounded by ``ticks``), since a timer whose ticket the other
    worker holds this instant is left for the next tick."""
    barrier = threading.Barrier(2)
    results: list[loop.TickResult] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(ticks):
                result = loop.tick(now=now)
                results.append(result)
                if result.fired == 0 and not Timer.objects.filter(due_at__lte=now).exists():
                    break
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results
