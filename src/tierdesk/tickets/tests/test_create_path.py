"""Opening a ticket: what one create writes, answers and sends, however it is reached."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from tierdesk.accounts import policy
from tierdesk.notifications.models import Notification
from tierdesk.org.models import RequesterOrganisation
from tierdesk.routing.models import RoutingRule
from tierdesk.tickets import idempotency
from tierdesk.tickets.models import IdempotencyRecord, Ticket
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = pytest.mark.django_db


def test_the_create_answer_is_the_ticket_as_a_later_read_shows_it(org, api_as):
    org.service_desk.assignment_strategy = "round_robin"
    org.service_desk.save()
    client = api_as(org.requester)
    created = client.post(
        "/tickets",
        {"title": "VPN drops", "description": "Every hour", "impact": "high", "category": "vpn"},
    )
    assert created.status_code == 201
    assert created.json()["assignee"] is not None
    assert created.json() == client.get(f"/tickets/{created.json()['key']}").json()


def test_a_security_incident_filed_by_an_agent_not_cleared_for_them_is_not_shown_back(org, api_as):
    answer = api_as(org.l1_agent).post(
        "/tickets", {"title": "Odd login", "type": "security_incident"}
    )
    assert answer.status_code == 404
    ticket = Ticket.objects.get(title="Odd login")
    assert ticket.team == org.security
    assert (
        api_as(org.requester)
        .post("/tickets", {"title": "Phish", "type": "security_incident"})
        .status_code
        == 201
    )


@pytest.mark.parametrize(
    "who",
    ["requester", "l1_agent", "security_analyst", "incident_manager", "admin", "lead"],
)
@pytest.mark.parametrize("ticket_type", ["incident", "security_incident"])
def test_seeing_ones_own_new_ticket_follows_the_access_policy(org, who, ticket_type):
    user = getattr(org, who)
    ticket = create_ticket(NewTicket(title="Mine", type=ticket_type), requester=user)
    assert policy.can_view_loaded(user, ticket) == policy.can_view(user, ticket)
    assert policy.can_view_loaded(org.l2_agent, ticket) == policy.can_view(org.l2_agent, ticket)


def test_a_key_recorded_by_a_racing_original_replays_it_instead_of_opening_a_second(
    org, monkeypatch
):
    original = create_ticket(NewTicket(title="Printer"), requester=org.requester)
    fingerprint = NewTicket(title="Printer").fingerprint()
    planned = idempotency.run_once_planned

    def original_commits_first(user, scope, key, fp, plan, load, object_id, **options):
        def plan_then_lose_the_race():
            write = plan()
            IdempotencyRecord.objects.create(
                user=user,
                scope=scope,
                key=key,
                request_hash=fingerprint,
                object_id=original.pk,
                created_at=original.created_at,
            )
            return write

        return planned(user, scope, key, fp, plan_then_lose_the_race, load, object_id, **options)

    monkeypatch.setattr("tierdesk.tickets.services.create.run_once_planned", original_commits_first)
    before = Ticket.objects.count()
    again = create_ticket(NewTicket(title="Printer"), requester=org.requester, idempotency_key="k")
    assert again.pk == original.pk
    assert Ticket.objects.count() == before
    assert not Notification.objects.filter(ticket_id__gt=original.pk).exists()


def test_a_new_tickets_messages_are_delivered_by_one_task(org, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    org.service_desk.assignment_strategy = "round_robin"
    org.service_desk.save()
    ticket = create_ticket(NewTicket(title="Laptop broken"), requester=org.requester)
    owed = Notification.objects.filter(ticket=ticket)
    assert sorted(owed.values_list("kind", flat=True)) == ["assigned", "ticket_opened"]
    tasks = DBTaskResult.objects.all()
    assert tasks.count() == 1
    from tierdesk.notifications import jobs

    assert jobs.deliver_owed.call(tasks.get().args_kwargs["args"][0]) == ["sent", "sent"]
    assert set(owed.values_list("status", flat=True)) == {"sent"}


def test_an_organisation_rule_routes_also_for_an_organisation_added_in_bulk(org):
    acme = RequesterOrganisation.objects.create(slug="acme", name="Acme")
    RoutingRule.objects.create(
        name="customers", conditions={"organisation": ["acme", "bulk"]}, team=org.l2
    )
    org.requester.organisation = acme
    org.requester.save()
    assert create_ticket(NewTicket(title="A"), requester=org.requester).team == org.l2

    (bulk,) = RequesterOrganisation.objects.bulk_create([RequesterOrganisation(slug="bulk")])
    org.other_requester.organisation = bulk
    org.other_requester.save()
    assert create_ticket(NewTicket(title="B"), requester=org.other_requester).team == org.l2

    acme.slug = "acme-corp"
    acme.save()
    assert create_ticket(NewTicket(title="C"), requester=org.requester).team == org.service_desk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_open_one_ticket(org):
    assert connection.vendor == "postgresql", "this test proves the unique-index wait"
    both_planned = threading.Barrier(2)
    planned = idempotency.run_once_planned
    results: list[int] = []

    def plan_together(user, scope, key, fp, plan, load, object_id, **options):
        def plan_then_wait():
            write = plan()
            both_planned.wait(timeout=10)
            return write

        return planned(user, scope, key, fp, plan_then_wait, load, object_id, **options)

    def request() -> None:
        try:
            ticket = create_ticket(
                NewTicket(title="Racing"), requester=org.requester, idempotency_key="race-1"
            )
            results.append(ticket.pk)
        finally:
            connections.close_all()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tierdesk.tickets.services.create.run_once_planned", plan_together)
        clients = [threading.Thread(target=request) for _ in range(2)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
    assert len(results) == 2
    assert results[0] == results[1]
    assert Ticket.objects.filter(title="Racing").count() == 1
    assert Notification.objects.filter(ticket_id=results[0], kind="ticket_opened").count() == 1
