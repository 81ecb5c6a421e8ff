"""A tick fires many tickets' timers as one batch: each timer still fires exactly once, in due
order per ticket, and one bad timer neither loses nor repeats the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tierdesk.audit.models import Event
from tierdesk.audit.verify import verify
from tierdesk.notifications.models import Notification
from tierdesk.scheduler import loop
from tierdesk.scheduler.models import Timer
from tierdesk.slas.models import OlaPolicy
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("p3_policy")]
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
# Past every P3 timer of the fast policy below (10 min first response, 60 min resolution).
LATER = START + timedelta(hours=2)


def new_tickets(org, count):
    with time_machine.travel(START, tick=False):
        return [
            create_ticket(NewTicket(title=f"Disk full {n}"), requester=org.requester)
            for n in range(count)
        ]


def fired(ticket):
    return list(
        Event.objects.filter(ticket=ticket, channel="system")
        .order_by("seq")
        .values_list("kind", "field", "data__step")
    )


def tick_until_idle(now):
    results = []
    for _ in range(10):
        results.append(loop.tick(now=now))
        if not Timer.objects.filter(due_at__lte=now).exists():
            return results
    raise AssertionError("timers still due after 10 ticks")


EVERY_FIRING = [
    ("sla_breached", "first_response", None),
    ("sla_warning", "resolution", None),
    ("hierarchy_notified", "", 0),
    ("sla_breached", "resolution", None),
    ("hierarchy_notified", "", 1),
]


def test_several_timers_of_one_ticket_fire_in_one_batch_in_due_order(org):
    (ticket,) = new_tickets(org, 1)
    version = Ticket.objects.get(pk=ticket.pk).version
    first = loop.tick(now=LATER)
    # Four were due; the second hierarchy step is armed by the first and fires next tick.
    assert first.fired == 4
    assert loop.tick(now=LATER).fired == 1
    assert loop.tick(now=LATER).fired == 0
    assert fired(ticket) == EVERY_FIRING
    ticket.refresh_from_db()
    assert ticket.first_response_breached
    assert ticket.resolution_breached
    assert ticket.version == version + 5  # one version per firing, as a command would
    assert verify().ok


def test_a_batch_costs_the_same_statements_for_three_tickets_as_for_twelve(org):
    few = new_tickets(org, 3)
    with CaptureQueriesContext(connection) as small:
        loop.tick(now=LATER)
    tick_until_idle(LATER)
    many = new_tickets(org, 12)
    with CaptureQueriesContext(connection) as large:
        loop.tick(now=LATER)
    assert len(large.captured_queries) == len(small.captured_queries)
    for ticket in many:
        assert fired(ticket) == EVERY_FIRING[:4]
    for ticket in few:
        assert fired(ticket) == EVERY_FIRING


def test_a_failing_handler_is_retried_alone_and_the_rest_of_the_batch_fires_once(org, monkeypatch):
    bad, good = new_tickets(org, 2)
    original = loop.HANDLERS["resolution_warning"]

    def explode(firing, timer):
        # Undone when the handler fails, at the top of the snapshot and inside it.
        firing.ticket.sla_snapshot["half_done"] = True
        firing.ticket.sla_snapshot["clock"]["half_done"] = True
        if firing.ticket.pk == bad.pk:
            raise RuntimeError("boom")
        original(firing, timer)

    monkeypatch.setitem(loop.HANDLERS, "resolution_warning", explode)
    tick_until_idle(LATER)
    assert fired(good) == EVERY_FIRING
    assert ("sla_warning", "resolution", None) not in fired(bad)
    assert len(fired(bad)) == 4  # its other timers fired, each once
    stuck = Timer.objects.get(ticket=bad, kind="resolution_warning")
    assert stuck.attempts == 1
    assert "boom" in stuck.last_error
    snapshot = Ticket.objects.get(pk=bad.pk).sla_snapshot
    assert "half_done" not in snapshot
    assert "half_done" not in snapshot["clock"]

    monkeypatch.setitem(loop.HANDLERS, "resolution_warning", original)
    tick_until_idle(stuck.due_at)
    assert sorted(fired(bad)) == sorted(EVERY_FIRING)
    assert fired(good) == EVERY_FIRING
    assert verify().ok


def test_a_batch_that_cannot_be_written_is_fired_ticket_by_ticket(org, monkeypatch):
    bad, *good = new_tickets(org, 3)
    original = loop.write

    def refuse_the_bad_ticket(firings):
        if any(f.ticket.pk == bad.pk for f in firings):
            raise RuntimeError("cannot write")
        original(firings)

    monkeypatch.setattr(loop, "write", refuse_the_bad_ticket)
    result = loop.tick(now=LATER)
    assert result.failed == 4
    assert result.fired == 8
    for ticket in good:
        assert fired(ticket) == EVERY_FIRING[:4]
    assert fired(bad) == []
    assert Timer.objects.filter(ticket=bad, attempts=1).count() == 4
    assert verify().ok


def test_an_automatic_escalation_fires_after_the_batch_and_nothing_fires_twice(org):
    OlaPolicy.objects.create(tier=1, priority="P3", budget_minutes=30, auto_escalate=True)
    tickets = new_tickets(org, 3)
    tick_until_idle(LATER)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.tier == 2
        assert ticket.hops.filter(automatic=True).count() == 1
        kinds = [kind for kind, _, _ in fired(ticket)]
        assert kinds.count("ola_breached") == 1
        assert kinds.count("sla_warning") == 1
        assert kinds.count("sla_breached") == 2
        steps = [step for kind, _, step in fired(ticket) if kind == "hierarchy_notified"]
        assert sorted(steps) == [0, 1]
    alerts = Notification.objects.filter(kind="sla_breach", ticket__in=tickets)
    assert alerts.values("dedup_key").distinct().count() == alerts.count()
    assert verify().ok
