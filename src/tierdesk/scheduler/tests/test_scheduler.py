"""Time-driven work: SLA warnings and breaches, hierarchical and tier escalation, auto-close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tierdesk.audit.models import Event
from tierdesk.notifications.models import Notification
from tierdesk.scheduler import loop
from tierdesk.scheduler.models import Timer
from tierdesk.slas.models import OlaPolicy
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket, transition

pytestmark = pytest.mark.django_db
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def kinds(ticket):
    return [e.kind for e in Event.objects.filter(ticket=ticket).order_by("seq")]


def new_ticket(org, **fields):
    with time_machine.travel(START, tick=False):
        return create_ticket(NewTicket(title="Disk full", **fields), requester=org.requester)


def test_an_idle_tick_fires_nothing(p3_policy, org):
    new_ticket(org)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        assert loop.tick().fired == 0


def test_breaches_and_warnings_are_recorded_once_at_their_due_time(p3_policy, org):
    ticket = new_ticket(org)
    with time_machine.travel(START + timedelta(minutes=11), tick=False):
        loop.tick()
        loop.tick()
    ticket.refresh_from_db()
    assert ticket.first_response_breached
    assert kinds(ticket).count("sla_breached") == 1
    with time_machine.travel(START + timedelta(minutes=46), tick=False):
        loop.tick()
    assert kinds(ticket).count("sla_warning") == 1
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        loop.tick()
        loop.tick()
    ticket.refresh_from_db()
    assert ticket.resolution_breached
    assert kinds(ticket).count("sla_breached") == 2


def test_hierarchical_escalation_follows_reporting_lines_and_notifies_each_person_once(
    p3_policy, org
):
    ticket = new_ticket(org)
    with time_machine.travel(START + timedelta(minutes=46), tick=False):
        loop.tick()
        loop.tick()
    step = Event.objects.get(ticket=ticket, kind="hierarchy_notified")
    assert step.data["recipients"] == ["desklead"]
    with time_machine.travel(START + timedelta(minutes=61), tick=False):
        loop.tick()
    last = Event.objects.filter(ticket=ticket, kind="hierarchy_notified").order_by("-seq")[0]
    assert last.data["recipients"] == ["incidents", "itmanager"]
    told = Notification.objects.filter(ticket=ticket, kind="hierarchical_escalation")
    assert sorted(n.recipient.username for n in told) == ["desklead", "incidents", "itmanager"]


def test_waiting_on_the_customer_stops_the_clock(p3_policy, org):
    ticket = new_ticket(org)
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        transition(ticket, "waiting_on_customer", actor=org.l1_agent)
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is not None
    assert ticket.resolution_due_at is None
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        assert loop.tick().fired == 0
        transition(ticket, "in_progress", actor=org.l1_agent)
    ticket.refresh_from_db()
    # 20 of 60 minutes were used before the pause: 40 remain from the resume.
    assert ticket.resolution_due_at == START + timedelta(hours=5, minutes=40)
    assert not ticket.resolution_breached


def test_each_tier_gets_its_own_budget_inside_the_customer_sla(org):
    from tierdesk.escalations.services import escalate

    OlaPolicy.objects.create(tier=1, priority="P3", budget_minutes=30)
    OlaPolicy.objects.create(tier=2, priority="P3", budget_minutes=120)
    ticket = new_ticket(org)
    ticket.refresh_from_db()
    assert ticket.ola_due_at == START + timedelta(minutes=30)
    resolution_due = ticket.resolution_due_at
    moved = START + timedelta(minutes=29)
    with time_machine.travel(moved, tick=False):
        escalate(ticket, actor=org.l1_agent, to_tier=2, note="needs L2")
    ticket.refresh_from_db()
    assert ticket.ola_due_at == moved + timedelta(minutes=120)
    assert ticket.resolution_due_at == resolution_due
    hop = ticket.hops.get()
    assert hop.seconds_at_previous == 29 * 60


def test_a_ticket_that_outlives_its_tier_budget_escalates_automatically(org):
    OlaPolicy.objects.create(tier=1, priority="P3", budget_minutes=30, auto_escalate=True)
    ticket = new_ticket(org)
    with time_machine.travel(START + timedelta(minutes=31), tick=False):
        loop.tick()
    ticket.refresh_from_db()
    assert ticket.tier == 2
    assert ticket.ola_breached is False  # the new tier starts with a fresh budget
    hop = ticket.hops.get()
    assert hop.automatic
    assert "budget" in hop.note
    assert "ola_breached" in kinds(ticket)


def test_resolved_tickets_close_automatically_after_five_days(org):
    ticket = new_ticket(org)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        transition(ticket, "resolved", actor=org.l1_agent)
    with time_machine.travel(START + timedelta(days=4), tick=False):
        loop.tick()
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    with time_machine.travel(START + timedelta(days=5, hours=2), tick=False):
        loop.tick()
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert not Timer.objects.filter(ticket=ticket).exists()


def test_a_failing_timer_is_pushed_forward_and_the_loop_goes_on(org, monkeypatch):
    first = new_ticket(org)
    second = new_ticket(org)

    original = loop.HANDLERS["first_response"]

    def explode(firing, timer):
        if firing.ticket.pk == first.pk:
            raise RuntimeError("boom")
        original(firing, timer)

    monkeypatch.setitem(loop.HANDLERS, "first_response", explode)
    later = START + timedelta(hours=5)  # past the default P3 first-response target (4 h)
    with time_machine.travel(later, tick=False):
        result = loop.tick()
    assert result.failed == 1
    assert result.fired >= 1
    stuck = Timer.objects.get(ticket=first, kind="first_response")
    assert stuck.attempts == 1
    assert "boom" in stuck.last_error
    assert stuck.due_at > later
    assert not Timer.objects.filter(ticket=second, kind="first_response").exists()


def test_reopening_a_resolved_ticket_is_refused_after_the_reopen_window(org):
    from tierdesk.core.errors import Conflict

    ticket = new_ticket(org)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        transition(ticket, "resolved", actor=org.l1_agent)
    with time_machine.travel(START + timedelta(days=3), tick=False):
        transition(ticket, "in_progress", actor=org.requester)
        transition(ticket, "resolved", actor=org.l1_agent)
    with (
        time_machine.travel(START + timedelta(days=11), tick=False),
        pytest.raises(Conflict, match="reopen"),
    ):
        transition(ticket, "in_progress", actor=org.requester)
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"
