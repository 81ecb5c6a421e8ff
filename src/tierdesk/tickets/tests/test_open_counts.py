"""Open-ticket counts read from the rows the database's triggers keep agree with counting
every open ticket a viewer may see, whatever the commands did and however often the rows
were folded."""

from __future__ import annotations

import contextlib
import importlib
from collections import Counter

import pytest
from django.apps import apps
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierdesk.accounts import policy
from tierdesk.accounts.models import Role
from tierdesk.core.errors import DomainError
from tierdesk.escalations.services import escalate
from tierdesk.testing import UserFactory, member
from tierdesk.tickets import opencounts
from tierdesk.tickets.models import OpenTicketCount, Participation, Status, Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.services import NewTicket, assign, create_ticket, merge, transition

pytestmark = pytest.mark.django_db

VIEWERS = (
    "l1_agent",
    "l2_agent",
    "l3_agent",
    "l3_net_agent",
    "security_analyst",
    "lead",
    "incident_manager",
    "auditor",
    "admin",
    "requester",
)
TEAMS = ("service_desk", "l2", "l3_db", "l3_net", "security", "infrastructure")
WORKERS = ("l1_agent", "l2_agent", "l3_agent", "l3_net_agent")


@pytest.fixture
def viewers(org):
    """Everyone whose counts are checked: each role, an agent of no team, a departed one."""
    return [
        *(getattr(org, who) for who in VIEWERS),
        UserFactory(username="floater", role=Role.AGENT),
        member(org.service_desk, username="gone", is_active=False),
    ]


def counted_one_by_one(viewer):
    tickets = policy.visible_tickets(viewer).filter(status__in=OPEN_STATUSES)
    return Counter(tickets.values_list("team_id", "tier"))


def assert_agree(viewers):
    for viewer in viewers:
        expected = counted_one_by_one(viewer)
        assert opencounts.visible_open_counts(viewer) == expected, viewer.username


pick = st.integers(min_value=0, max_value=7)  # a few tickets, each acted on often
actors = st.sampled_from(("admin", *WORKERS))
steps = st.one_of(
    st.tuples(st.just("create"), st.booleans(), st.sampled_from(("requester", *WORKERS))),
    st.tuples(st.just("escalate"), actors, pick, st.sampled_from(TEAMS)),
    st.tuples(st.just("assign"), actors, pick, st.sampled_from(WORKERS)),
    st.tuples(st.just("move"), actors, pick, st.sampled_from(list(Status))),
    st.tuples(st.just("merge"), actors, pick, pick),
)


def run(org, step):
    """One command by one person; agents act only where the policy lets them, and every
    act of theirs makes them a participant of the ticket."""
    kind, *args = step
    if kind == "create":
        kind_of = "security_incident" if args[0] else "incident"
        create_ticket(NewTicket(title="t", type=kind_of), requester=getattr(org, args[1]))
        return
    tickets = list(Ticket.objects.order_by("pk"))
    if not tickets:
        return
    actor, ticket = getattr(org, args[0]), tickets[args[1] % len(tickets)]
    if kind == "escalate":
        escalate(ticket, actor=actor, note="over to you", to_team=getattr(org, args[2]).slug)
    elif kind == "assign":
        assign(ticket, getattr(org, args[2]), actor=actor)
    elif kind == "move":
        transition(ticket, args[2], actor=actor, note="moved")
    else:
        merge(ticket, tickets[args[2] % len(tickets)], actor=actor)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(steps, min_size=1, max_size=25))
def test_counts_agree_with_counting_every_ticket_after_any_commands(org, viewers, plan):
    with transaction.atomic():
        for step in plan:
            # A refused command leaves nothing behind, and so must it in the counts.
            with contextlib.suppress(DomainError):
                run(org, step)
        assert_agree(viewers)
        opencounts.fold(at_least=0)
        assert_agree(viewers)
        transaction.set_rollback(True)


def test_a_fold_keeps_every_total_in_one_row_per_key(org, viewers):
    for _ in range(3):
        create_ticket(NewTicket(title="desk"), requester=org.requester)
    gone = create_ticket(NewTicket(title="escalated"), requester=org.requester)
    escalate(gone, actor=org.admin, note="L3 please", to_team=org.l3_db.slug)
    assert OpenTicketCount.objects.count() == 6  # four +1 at the desk, a -1 and a +1

    assert opencounts.fold(at_least=0) == 6

    rows = OpenTicketCount.objects.values_list("team_id", "tier", "security", "delta")
    assert sorted(rows, key=str) == sorted(
        [(org.service_desk.pk, 1, False, 3), (org.l3_db.pk, 3, False, 1)], key=str
    )
    assert_agree(viewers)


def test_a_key_that_adds_up_to_nothing_is_dropped_by_a_fold(org):
    ticket = create_ticket(NewTicket(title="short-lived"), requester=org.requester)
    transition(ticket, Status.CANCELLED, actor=org.admin, note="duplicate")

    opencounts.fold(at_least=0)

    assert not OpenTicketCount.objects.exists()


def test_a_fold_waits_until_enough_rows_could_go(org):
    for _ in range(3):
        create_ticket(NewTicket(title="desk"), requester=org.requester)

    assert opencounts.fold(at_least=3) == 0  # three rows of one key: two could go
    assert OpenTicketCount.objects.count() == 3
    assert opencounts.fold(at_least=2) == 3


def test_a_change_that_does_not_touch_open_work_writes_no_row(org):
    ticket = create_ticket(NewTicket(title="quiet"), requester=org.requester)
    before = OpenTicketCount.objects.count()

    assign(ticket, org.l1_agent, actor=org.admin)
    transition(ticket, Status.IN_PROGRESS, actor=org.l1_agent)

    assert OpenTicketCount.objects.count() == before


def test_an_agent_sees_the_stored_totals_of_their_teams_and_their_own_tickets_beyond(org):
    for _ in range(2):
        create_ticket(NewTicket(title="desk"), requester=org.requester)
    worked = assign(
        create_ticket(NewTicket(title="worked"), requester=org.requester),
        org.l1_agent,
        actor=org.l1_agent,
    )
    escalate(worked, actor=org.l1_agent, note="networks", to_team=org.l3_net.slug)
    escalate(
        create_ticket(NewTicket(title="not tom's"), requester=org.requester),
        actor=org.admin,
        note="databases",
        to_team=org.l3_db.slug,
    )

    counts = opencounts.visible_open_counts(org.l1_agent)

    assert counts == Counter({(org.service_desk.pk, 1): 2, (org.l3_net.pk, 3): 1})


def test_the_schedulers_housekeeping_folds_the_counts(org, monkeypatch):
    from tierdesk.scheduler.loop import housekeeping

    monkeypatch.setattr(opencounts, "FOLD_AT", 2)
    for _ in range(3):
        create_ticket(NewTicket(title="desk"), requester=org.requester)

    housekeeping()

    assert list(OpenTicketCount.objects.values_list("team_id", "delta")) == [
        (org.service_desk.pk, 3)
    ]


def test_a_participation_carries_its_tickets_team_tier_and_open_state(org):
    ticket = create_ticket(NewTicket(title="worked"), requester=org.requester)
    assign(ticket, org.l1_agent, actor=org.l1_agent)
    escalate(ticket, actor=org.l1_agent, note="databases", to_team=org.l3_db.slug)

    def copies():
        return list(
            Participation.objects.filter(ticket=ticket).values_list(
                "user__username", "ticket_team_id", "ticket_tier", "ticket_security", "ticket_open"
            )
        )

    assert copies() == [("tom", org.l3_db.pk, 3, False, True)]
    transition(ticket, Status.CANCELLED, actor=org.admin, note="gone")
    assert sorted(copies()) == [
        ("admin", org.l3_db.pk, 3, False, False),
        ("tom", org.l3_db.pk, 3, False, False),
    ]


def test_the_counts_are_folded_even_when_an_earlier_housekeeping_step_fails(
    org, monkeypatch, caplog
):
    from tierdesk.notifications import jobs
    from tierdesk.scheduler.loop import housekeeping

    def retry_due():
        raise RuntimeError("mail server away")

    monkeypatch.setattr(jobs, "retry_due", retry_due)
    monkeypatch.setattr(opencounts, "FOLD_AT", 2)
    for _ in range(3):
        create_ticket(NewTicket(title="desk"), requester=org.requester)

    housekeeping()

    assert OpenTicketCount.objects.count() == 1
    assert "retry_due failed" in caplog.text


def test_a_ticket_an_agent_asked_for_and_worked_on_elsewhere_counts_once(org):
    own = create_ticket(NewTicket(title="my laptop"), requester=org.l1_agent)
    assign(own, org.l1_other, actor=org.l1_agent)
    escalate(own, actor=org.l1_agent, note="networks", to_team=org.l3_net.slug)

    counts = opencounts.visible_open_counts(org.l1_agent)

    assert counts[(org.l3_net.pk, 3)] == 1


def test_counts_left_wrong_are_counted_again_after_a_migrate_or_flush(org, viewers):
    from django.db.models.signals import post_migrate

    from tierdesk.tickets.apps import TicketsConfig

    for _ in range(2):
        create_ticket(NewTicket(title="desk"), requester=org.requester)
    # What SQLite's flush leaves when it empties the counts before the tickets.
    OpenTicketCount.objects.create(team_id=org.service_desk.pk, tier=1, security=False, delta=-7)

    config = next(c for c in apps.get_app_configs() if isinstance(c, TicketsConfig))
    post_migrate.send(
        sender=config,
        app_config=config,
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )

    assert list(OpenTicketCount.objects.values_list("team_id", "delta")) == [
        (org.service_desk.pk, 2)
    ]
    assert_agree(viewers)


def test_every_trigger_the_counts_need_is_in_the_database():
    assert opencounts.trigger_problems(connection) == []


def test_the_triggers_know_the_same_open_statuses_as_the_code():
    migration = importlib.import_module("tierdesk.tickets.migrations.0009_open_work_counts")

    assert "(" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")" == migration.OPEN
