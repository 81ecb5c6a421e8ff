"""Timers whose handler runs a command (automatic close, automatic escalation) fire inside the
batch: the command writes what it writes when run by hand, at a few statements per timer, and
one that fails is undone whole while the rest of the batch fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from tierdesk.accounts.models import User
from tierdesk.audit.models import Event
from tierdesk.audit.verify import verify
from tierdesk.core.errors import Conflict
from tierdesk.escalations import jobs as escalation_jobs
from tierdesk.escalations import services as escalations
from tierdesk.escalations.services import escalate
from tierdesk.notifications.models import Notification
from tierdesk.scheduler import loop
from tierdesk.scheduler.models import Timer
from tierdesk.slas.models import OlaPolicy, SlaPolicy
from tierdesk.testing import member
from tierdesk.tickets.jobs import AUTO_CLOSE_NOTE
from tierdesk.tickets.models import Ticket, TierStint
from tierdesk.tickets.services import NewTicket, create_ticket, transition

pytestmark = pytest.mark.django_db
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
RESOLVED_AT = START + timedelta(hours=1)
CLOSE_AT = START + timedelta(days=6)  # past the five-day auto-close of the resolution


def resolved_tickets(org, count):
    tickets = []
    for n in range(count):
        with time_machine.travel(START, tick=False):
            ticket = create_ticket(NewTicket(title=f"Printer {n}"), requester=org.requester)
        with time_machine.travel(RESOLVED_AT, tick=False):
            tickets.append(transition(ticket, "resolved", actor=org.l1_agent))
    return tickets


def written(ticket, after_seq=0):
    """The ticket's events as stored, without what differs between two tickets."""
    return [
        (e.kind, e.field, e.before, e.after, e.note, e.data, e.actor_id, e.channel, e.created_at)
        for e in Event.objects.filter(ticket=ticket, seq__gt=after_seq).order_by("seq")
    ]


def state(ticket):
    ticket = Ticket.objects.get(pk=ticket.pk)
    stints = TierStint.objects.filter(ticket=ticket).order_by("pk")
    return {
        "status": ticket.status,
        "closed_at": ticket.closed_at,
        "team": ticket.team_id,
        "tier": ticket.tier,
        "assignee": ticket.assignee_id,
        "version": ticket.version,
        "updated_at": ticket.updated_at,
        "snapshot": ticket.sla_snapshot,
        "due": (ticket.first_response_due_at, ticket.resolution_due_at, ticket.ola_due_at),
        "timers": sorted(Timer.objects.filter(ticket=ticket).values_list("kind", "due_at")),
        "stints": [(s.team_id, s.started_at, s.ended_at, s.seconds) for s in stints],
    }


def test_an_automatic_close_writes_what_closing_the_ticket_by_hand_writes(org):
    by_timer, by_hand, other = resolved_tickets(org, 3)
    before = Event.objects.filter(ticket=by_hand).count()
    transition(by_hand, "closed", actor=None, channel="system", note=AUTO_CLOSE_NOTE, at=CLOSE_AT)
    # The handled ticket shares its batch with another command and a plain timer's work.
    assert loop.tick(now=CLOSE_AT).fired == 2
    closed = [{**state(t), "assignee": None} for t in (by_timer, by_hand, other)]
    assert closed[0] == closed[1] == closed[2]
    assert closed[0]["status"] == "closed"
    assert written(by_timer, before) == written(by_hand, before) == written(other, before)
    assert Timer.objects.filter(ticket__in=[by_timer, by_hand, other]).count() == 0
    assert verify().ok


def test_each_automatic_close_in_a_batch_costs_two_statements(org):
    few = resolved_tickets(org, 2)
    many = resolved_tickets(org, 5)
    Timer.objects.filter(ticket__in=many).update(due_at=CLOSE_AT + timedelta(days=1))
    with CaptureQueriesContext(connection) as small:
        assert loop.tick(now=CLOSE_AT).fired == 2
    with CaptureQueriesContext(connection) as large:
        assert loop.tick(now=CLOSE_AT + timedelta(days=1)).fired == 5
    # The stay's close (one statement), the ticket's update (no savepoint of its own); the
    # timers, events and ticket versions are written with the batch whatever its size.
    assert len(large.captured_queries) - len(small.captured_queries) == 3 * 2
    assert all(Ticket.objects.get(pk=t.pk).status == "closed" for t in few + many)


def auto_escalating(org, count):
    OlaPolicy.objects.create(tier=1, priority="P3", budget_minutes=30, auto_escalate=True)
    with time_machine.travel(START, tick=False):
        return [
            create_ticket(NewTicket(title=f"VPN down {n}"), requester=org.requester)
            for n in range(count)
        ]


def test_an_automatic_escalation_writes_what_escalating_by_hand_writes(org):
    by_timer, by_hand = auto_escalating(org, 2)
    Timer.objects.filter(ticket=by_hand, kind="ola").delete()
    due = START + timedelta(minutes=30)
    seen = Event.objects.filter(ticket=by_hand).count()  # both were created alike
    assert loop.tick(now=due).fired == 1
    hop = by_timer.hops.get()
    escalate(
        by_hand, actor=None, to_tier=2, automatic=True, channel="system", note=hop.note, at=due
    )
    by_timer_events = written(by_timer, seen)
    assert by_timer_events[0][0] == "ola_breached"  # the handler's own event, then the command's
    assert without_hop(by_timer_events[1:]) == without_hop(written(by_hand, seen))
    timer_state, hand_state = state(by_timer), state(by_hand)
    assert timer_state.pop("version") == hand_state.pop("version") + 1  # the breach's version
    assert timer_state == hand_state
    assert timer_state["tier"] == 2
    by_hand_hop = by_hand.hops.get()
    fields = ("from_team_id", "to_team_id", "direction", "actor_id", "automatic", "note")
    assert [getattr(hop, f) for f in fields] == [getattr(by_hand_hop, f) for f in fields]
    assert (hop.seconds_at_previous, hop.created_at) == (30 * 60, due)
    assert (by_hand_hop.seconds_at_previous, by_hand_hop.created_at) == (30 * 60, due)
    told = Notification.objects.filter(kind="escalated")
    assert told.filter(ticket=by_timer).count() == told.filter(ticket=by_hand).count() > 0
    assert verify().ok


def least_loaded_l2_with_sue(org) -> User:
    """L2 assigns to its least-loaded member, and has a second one, sue."""
    org.l2.assignment_strategy = "least_loaded"
    org.l2.save()
    return member(org.l2, username="sue")


def test_escalations_in_one_batch_share_a_least_loaded_team_reading_it_once(org):
    second = least_loaded_l2_with_sue(org)
    tickets = auto_escalating(org, 4)
    with CaptureQueriesContext(connection) as fired:
        assert loop.tick(now=START + timedelta(minutes=30)).fired == 4
    owners = [Ticket.objects.get(pk=t.pk).assignee for t in tickets]
    # Each escalation counts the ones before it: two each, as four escalations by hand give.
    assert sorted(o.username for o in owners) == sorted([org.l2_agent.username, "sue"] * 2)
    assert second in owners
    counts = [
        q for q in fired.captured_queries if "COUNT(*)" in q["sql"] and "GROUP BY" in q["sql"]
    ]
    assert len(counts) == 1
    # L2 is read once, for telling it and for choosing among it: no candidates query and
    # no load of the person chosen.
    statements = [q["sql"] for q in fired.captured_queries]
    assert sum('"org_membership"' in sql for sql in statements) == 1
    assert not [sql for sql in statements if 'u."on_shift" AND' in sql]  # who is on shift


def test_what_a_batch_owes_people_goes_out_through_one_delivery_task(org, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    auto_escalating(org, 3)
    DBTaskResult.objects.all().delete()  # the new tickets' own acknowledgements
    assert loop.tick(now=START + timedelta(minutes=30)).fired == 3
    (task,) = DBTaskResult.objects.filter(task_path__endswith=".deliver_owed")
    owed = Notification.objects.filter(kind="escalated", status="pending")
    assert owed.count() >= 3
    assert sorted(task.args_kwargs["args"][0]) == sorted(owed.values_list("dedup_key", flat=True))


def without_hop(events):
    return [(*e[:5], {k: v for k, v in e[5].items() if k != "hop_id"}, *e[6:]) for e in events]


def test_a_failing_command_is_undone_whole_and_its_timer_pushed_forward(org, monkeypatch):
    bad, good = auto_escalating(org, 2)
    real = escalations.clocks.enter_team

    def explode_for_the_bad_ticket(ticket, team, now):
        if ticket.pk == bad.pk:  # after the hop and the new stint were written
            raise RuntimeError("clock service down")
        real(ticket, team, now)

    monkeypatch.setattr(escalations.clocks, "enter_team", explode_for_the_bad_ticket)
    # An earlier timer of the bad ticket fires in the same batch, so its ticket is written.
    SlaPolicy.objects.create(
        name="P3 fast", priority="P3", first_response_minutes=10, resolution_minutes=600
    )
    for ticket in (bad, good):
        Timer.objects.filter(ticket=ticket, kind="first_response").update(
            due_at=START + timedelta(minutes=10)
        )
    due = START + timedelta(minutes=30)
    before = state(bad)
    result = loop.tick(now=due)
    assert (result.fired, result.failed) == (3, 1)
    after = state(bad)
    placed = ("status", "team", "tier", "assignee", "stints")
    assert [after[k] for k in placed] == [before[k] for k in placed]
    assert after["version"] == before["version"] + 1  # the first-response breach only
    assert Event.objects.filter(ticket=bad, kind="sla_breached").count() == 1
    assert not bad.hops.exists()
    assert not Event.objects.filter(ticket=bad, kind__in=["ola_breached", "escalated"]).exists()
    assert not Notification.objects.filter(ticket=bad, kind="escalated").exists()
    stuck = Timer.objects.get(ticket=bad, kind="ola")
    assert stuck.attempts == 1
    assert "clock service down" in stuck.last_error
    assert state(good)["tier"] == 2
    assert good.hops.filter(automatic=True).count() == 1

    monkeypatch.setattr(escalations.clocks, "enter_team", real)
    assert loop.tick(now=stuck.due_at).failed == 0
    assert state(bad)["tier"] == 2
    assert Event.objects.filter(ticket=bad, kind="ola_breached").count() == 1
    assert bad.hops.filter(automatic=True).count() == 1
    assert verify().ok


def test_each_automatic_escalation_in_a_batch_costs_the_same_few_statements(org):
    # Both batches owe enough notifications to send them the same way (by COPY on
    # PostgreSQL, under a savepoint of their own).
    few = auto_escalating(org, 3)
    many = auto_escalating(org, 6)
    Timer.objects.filter(ticket__in=many, kind="ola").update(due_at=START + timedelta(hours=1))
    with CaptureQueriesContext(connection) as small:
        assert loop.tick(now=START + timedelta(minutes=30)).fired == 3
    with CaptureQueriesContext(connection) as large:
        assert loop.tick(now=START + timedelta(hours=1)).fired == 6
    # The old stay's close (one statement), the hop, the new stay, the ticket's update (no
    # savepoint of its own). The team's members, the people told and the timers are read or
    # written once per batch, whatever its size.
    assert len(large.captured_queries) - len(small.captured_queries) == 3 * 4
    told = Notification.objects.filter(kind="escalated", ticket__in=few + many)
    assert told.values("ticket").distinct().count() == 9
    assert all(Ticket.objects.get(pk=t.pk).tier == 2 for t in few + many)


def test_a_command_refused_halfway_and_passed_over_leaves_nothing_and_its_timer_fires(
    org, monkeypatch
):
    bad, good = auto_escalating(org, 2)
    real = escalation_jobs.escalate_held

    def refuse_after_writing(held, **kwargs):  # type: ignore[no-untyped-def]
        real(held, **kwargs)  # the hop, the stints and the ticket are written
        if held.ticket.pk == bad.pk:
            raise Conflict("the ticket changed meanwhile")

    monkeypatch.setattr(escalation_jobs, "escalate_held", refuse_after_writing)
    result = loop.tick(now=START + timedelta(minutes=30))

    # The handler passes over a refused escalation: its timer fired, the breach recorded.
    assert (result.fired, result.failed) == (2, 0)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.tier, bad.hops.count(), bad.stints.count()) == (1, 0, 1)
    assert (good.tier, good.hops.count(), good.stints.count()) == (2, 1, 2)
    assert Event.objects.filter(ticket=bad, kind="ola_breached").count() == 1
    assert not Timer.objects.filter(ticket=bad, kind="ola").exists()


def test_a_command_that_fails_after_telling_the_team_tells_nobody(org, monkeypatch):
    bad, good = auto_escalating(org, 2)
    real = escalations.notifications.escalated_to_team

    def tell_then_fail(ticket, note, hop_id):
        real(ticket, note, hop_id)
        if ticket.pk == bad.pk:
            raise RuntimeError("mail queue full")

    monkeypatch.setattr(escalations.notifications, "escalated_to_team", tell_then_fail)
    result = loop.tick(now=START + timedelta(minutes=30))
    assert (result.fired, result.failed) == (1, 1)
    assert not Notification.objects.filter(ticket=bad, kind="escalated").exists()
    assert Notification.objects.filter(ticket=good, kind="escalated").exists()
    assert state(bad)["tier"] == 1
    assert state(good)["tier"] == 2
    # Nothing the failed command wrote stays (its hop, the new stint); its timer waits.
    assert (bad.hops.count(), bad.stints.count()) == (0, 1)
    assert (good.hops.count(), good.stints.count()) == (1, 2)
    assert Timer.objects.get(ticket=bad, kind="ola").due_at > START + timedelta(minutes=30)


def test_someone_off_shift_gets_none_of_a_batchs_escalations(org):
    sue = least_loaded_l2_with_sue(org)
    tickets = auto_escalating(org, 4)
    User.objects.filter(pk=org.l2_agent.pk).update(on_shift=False)
    assert loop.tick(now=START + timedelta(minutes=30)).fired == 4
    owners = [Ticket.objects.get(pk=t.pk).assignee_id for t in tickets]
    assert owners == [sue.pk] * 4
    told = Notification.objects.filter(kind="escalated", ticket__in=tickets)
    assert org.l2_agent.pk in told.values_list("recipient_id", flat=True)  # still told
