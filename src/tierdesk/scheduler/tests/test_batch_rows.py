"""What a batch reads and writes around its handlers: every ticket sees its own team's people
though the batch reads each team once, re-arming leaves each ticket exactly the timers its
firings armed, and a worker that warmed up parses no calendar while it holds tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tierdesk.accounts.models import Role
from tierdesk.audit.models import Event
from tierdesk.escalations.services import escalate
from tierdesk.notifications.models import Notification
from tierdesk.org.models import BusinessCalendar
from tierdesk.scheduler import loop
from tierdesk.scheduler.firing import Firing, write
from tierdesk.scheduler.models import Timer, TimerKind
from tierdesk.scheduler.timers import TimerSpec
from tierdesk.slas import calendar, clock
from tierdesk.slas.models import SlaPolicy
from tierdesk.testing import member
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, assign, create_ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("p3_policy")]
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # a Monday, 11:00 in Berlin
LATER = START + timedelta(hours=2)
BERLIN_OFFICE = {
    "time_zone": "Europe/Berlin",
    "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
}


def new_ticket(org, title):
    with time_machine.travel(START, tick=False):
        return create_ticket(NewTicket(title=title), requester=org.requester)


def notified(ticket):
    return {
        event.data["step"]: event.data["recipients"]
        for event in Event.objects.filter(ticket=ticket, kind="hierarchy_notified")
    }


def breach_alerted(ticket):
    return set(
        Notification.objects.filter(ticket=ticket, kind="sla_breach").values_list(
            "recipient__username", flat=True
        )
    )


def tick_until_idle(now):
    for _ in range(10):
        loop.tick(now=now)
        if not Timer.objects.filter(due_at__lte=now).exists():
            return
    raise AssertionError("timers still due after 10 ticks")


def test_tickets_of_two_teams_in_one_batch_alert_each_their_own_lead_and_manager(org):
    l2_lead = member(org.l2, username="l2lead", role=Role.TEAM_LEAD, manager=org.cio)
    org.l2.lead = l2_lead
    org.l2.save()
    at_desk, at_l2 = new_ticket(org, "Desk ticket"), new_ticket(org, "L2 ticket")
    with time_machine.travel(START, tick=False):
        at_l2 = escalate(at_l2, actor=org.l1_agent, to_tier=2, note="needs L2")
        at_l2 = assign(at_l2, org.l2_agent, actor=l2_lead)

    tick_until_idle(LATER)

    assert notified(at_desk) == {0: ["desklead"], 1: ["incidents", "itmanager"]}
    assert notified(at_l2) == {0: ["l2lead"], 1: ["cio", "incidents"]}
    assert breach_alerted(at_desk) == {"desklead"}
    assert breach_alerted(at_l2) == {"l2lead", "sam"}  # the L2 assignee and its lead


def timers_of(ticket):
    return {(timer.kind, timer.step): timer.due_at for timer in Timer.objects.filter(ticket=ticket)}


def test_re_arming_in_one_batch_leaves_each_ticket_exactly_the_timers_it_armed(org):
    stepped, closed, re_targeted = (new_ticket(org, f"Ticket {n}") for n in range(3))
    before = {ticket.pk: timers_of(ticket) for ticket in (stepped, closed, re_targeted)}
    next_step_due, new_resolution_due = LATER + timedelta(hours=1), LATER + timedelta(hours=3)
    with transaction.atomic():
        held = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=before)}
        # The first hierarchy step fired: the batch deleted its row and arms the next step.
        Timer.objects.filter(ticket=stepped, kind=TimerKind.HIERARCHY).delete()
        step = Firing(held[stepped.pk], LATER, fired_kinds={TimerKind.HIERARCHY})
        step.arm([TimerSpec(TimerKind.HIERARCHY, next_step_due, 1)], replace=[TimerKind.HIERARCHY])
        close = Firing(held[closed.pk], LATER)
        close.arm([], replace=TimerKind.values)
        re_target = Firing(held[re_targeted.pk], LATER)
        re_target.arm(
            [TimerSpec(TimerKind.RESOLUTION, new_resolution_due)],
            replace=[TimerKind.RESOLUTION, TimerKind.RESOLUTION_WARNING],
        )
        with CaptureQueriesContext(connection) as written:
            write([step, close, re_target])

    untouched = before[stepped.pk]
    del untouched[(TimerKind.HIERARCHY, 0)]
    assert timers_of(stepped) == {**untouched, (TimerKind.HIERARCHY, 1): next_step_due}
    assert timers_of(closed) == {}
    kept = {
        key: due
        for key, due in before[re_targeted.pk].items()
        if key[0] not in (TimerKind.RESOLUTION, TimerKind.RESOLUTION_WARNING)
    }
    assert timers_of(re_targeted) == {**kept, (TimerKind.RESOLUTION, 0): new_resolution_due}
    deletes = [q for q in written.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 1  # the two tickets' different clears share one statement


def test_a_worker_that_warmed_up_parses_no_calendar_while_it_fires(org, monkeypatch):
    office = BusinessCalendar.objects.create(slug="office", name="Office", spec=BERLIN_OFFICE)
    SlaPolicy.objects.filter(priority="P3").update(calendar=office)
    ticket = new_ticket(org, "Office hours ticket")
    assert ticket.sla_snapshot["calendar"] == BERLIN_OFFICE
    clock.forget_calendars()  # as in a worker process that just started

    loop.warm_up()

    def parse_again(spec):
        raise AssertionError("a calendar was parsed inside a tick")

    monkeypatch.setattr(calendar.BusinessCalendar, "from_spec", staticmethod(parse_again))
    result = loop.tick(now=LATER)
    assert result.failed == 0
    assert result.fired == 4  # first response, warning, first step, resolution (re-arms step 2)
