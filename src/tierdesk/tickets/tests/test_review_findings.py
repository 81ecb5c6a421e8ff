"""Regressions found in review: each test states the behaviour that was broken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tierdesk.audit.models import Event
from tierdesk.core.errors import Forbidden, InvalidInput
from tierdesk.escalations.models import HierarchyPolicy
from tierdesk.escalations.services import escalate
from tierdesk.org.models import BusinessCalendar, Service
from tierdesk.scheduler import loop
from tierdesk.slas.models import OlaPolicy, SlaPolicy
from tierdesk.tickets.services import NewTicket, create_ticket, update_ticket
from tierdesk.tickets.services.fields import TicketChanges

pytestmark = pytest.mark.django_db
OFFICE = {
    "time_zone": "Europe/Berlin",
    "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
}


def test_a_security_incident_cannot_be_handed_to_a_team_that_may_not_see_it(org):
    ticket = create_ticket(
        NewTicket(title="Phishing", type="security_incident"), requester=org.requester
    )
    assert ticket.team == org.security
    with pytest.raises(InvalidInput, match="security"):
        escalate(ticket, actor=org.security_analyst, to_tier=2, note="help")
    with pytest.raises(InvalidInput, match="security"):
        escalate(ticket, actor=org.security_analyst, to_team="l2-apps", note="help")


def test_a_routing_rule_cannot_send_a_security_incident_away_from_security(org):
    from tierdesk.routing.models import RoutingRule

    RoutingRule.objects.create(name="everything to L2", conditions={"channel": "api"}, team=org.l2)
    ticket = create_ticket(
        NewTicket(title="Malware", type="security_incident"), requester=org.requester
    )
    assert ticket.team == org.security


def test_staff_who_open_a_ticket_can_read_it(org, api_as):
    response = api_as(org.l2_agent).post("/tickets", {"title": "My monitor flickers"})
    assert response.status_code == 201
    key = response.json()["key"]
    assert api_as(org.l2_agent).get(f"/tickets/{key}").status_code == 200
    assert key in str(api_as(org.l2_agent).get("/tickets").json())


def test_auditors_cannot_open_tickets(org, api_as):
    assert api_as(org.auditor).post("/tickets", {"title": "x"}).status_code == 403
    with pytest.raises(Forbidden):
        create_ticket(NewTicket(title="x"), requester=org.requester, actor=org.auditor)


@pytest.mark.parametrize(
    "path", ["/tickets/TD-²", "/tickets/TD-١٢", "/tickets/TD-99999999999999999999"]
)
def test_odd_ticket_keys_are_simply_not_found(org, api_as, path):
    assert api_as(org.l1_agent).get(path).status_code == 404


@pytest.mark.parametrize("cursor", ["WyJub3QgYSBkYXRlIiwgMV0", "W3siYSI6IDF9LCAxXQ", "WzEsIDFd"])
def test_forged_cursors_are_refused_not_crashed_on(org, api_as, cursor):
    response = api_as(org.l1_agent).get("/tickets", order="due", cursor=cursor)
    assert response.status_code == 422


def test_a_unicode_digit_if_match_is_refused(org, api_as):
    key = api_as(org.requester).post("/tickets", {"title": "x"}).json()["key"]
    response = api_as(org.l1_agent).patch(
        f"/tickets/{key}", {"urgency": "high"}, headers={"If-Match": "²"}
    )
    assert response.status_code == 422


def test_upgrading_to_p1_switches_the_clock_to_24x7_from_that_moment(org):
    calendar = BusinessCalendar.objects.create(slug="office", name="Office", spec=OFFICE)
    service = Service.objects.create(slug="erp", name="ERP", calendar=calendar)
    SlaPolicy.objects.create(
        name="P3",
        priority="P3",
        first_response_minutes=60,
        resolution_minutes=8 * 60,
        calendar=calendar,
    )
    SlaPolicy.objects.create(
        name="P1", priority="P1", first_response_minutes=15, resolution_minutes=4 * 60
    )
    friday_afternoon = datetime(2025, 6, 6, 14, 0, tzinfo=UTC)  # 16:00 in Berlin
    with time_machine.travel(friday_afternoon - timedelta(hours=1), tick=False):
        ticket = create_ticket(
            NewTicket(title="ERP slow", service=service.slug), requester=org.requester
        )
    with time_machine.travel(friday_afternoon, tick=False):
        ticket = update_ticket(
            ticket,
            TicketChanges(impact="high", urgency="high"),
            actor=org.l1_agent,
            expected_version=ticket.version,
        )
    assert ticket.priority == "P1"
    assert ticket.major_incident
    # One business hour was used; three of the four P1 hours remain, around the clock.
    assert ticket.resolution_due_at == friday_afternoon + timedelta(hours=3)


def test_a_catch_up_after_an_outage_records_each_breach_once(org):
    OlaPolicy.objects.create(tier=1, priority="P3", budget_minutes=30, auto_escalate=True)
    start = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ticket = create_ticket(NewTicket(title="db"), requester=org.requester)
    with time_machine.travel(start + timedelta(hours=80), tick=False):
        for _ in range(4):
            loop.tick()
    kinds = list(Event.objects.filter(ticket=ticket).values_list("kind", "field"))
    assert kinds.count(("sla_breached", "first_response")) == 1
    assert kinds.count(("sla_breached", "resolution")) == 1
    assert kinds.count(("sla_warning", "resolution")) == 1


def test_a_hierarchy_step_is_not_repeated_when_the_priority_goes_down_and_up(org):
    HierarchyPolicy.objects.create(
        priority="P3", steps=[{"at_percent": 10, "notify": ["team_lead"]}]
    )
    HierarchyPolicy.objects.create(
        priority="P4", steps=[{"at_percent": 90, "notify": ["team_lead"]}]
    )
    start = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ticket = create_ticket(NewTicket(title="x"), requester=org.requester)
    with time_machine.travel(start + timedelta(hours=12), tick=False):
        loop.tick()
        ticket.refresh_from_db()
        ticket = update_ticket(
            ticket,
            TicketChanges(urgency="low"),
            actor=org.l1_agent,
            expected_version=ticket.version,
        )
        ticket = update_ticket(
            ticket,
            TicketChanges(urgency="medium"),
            actor=org.l1_agent,
            expected_version=ticket.version,
        )
        loop.tick()
    steps = Event.objects.filter(ticket=ticket, kind="hierarchy_notified")
    assert steps.count() == 1


def test_hidden_agent_names_stay_hidden_in_replies_and_the_timeline(org, api_as):
    from tierdesk.org.models import DeskPolicy

    DeskPolicy.objects.create(key="requesters_see_agent_names", value=False)
    key = api_as(org.requester).post("/tickets", {"title": "x"}).json()["key"]
    api_as(org.l1_agent).post(f"/tickets/{key}/comments", {"body": "on it"})
    api_as(org.l1_agent).post(f"/tickets/{key}/assign", {"assignee": "tom"})
    requester = api_as(org.requester)
    for path in (f"/tickets/{key}", f"/tickets/{key}/comments", f"/tickets/{key}/events"):
        assert '"tom"' not in requester.get(path).content.decode(), path
    assert requester.get(f"/tickets/{key}/comments").json()[0]["author"]["name"] == "IT support"


def test_a_requester_patching_their_ticket_is_refused_not_asked_for_a_version(org, api_as):
    key = api_as(org.requester).post("/tickets", {"title": "x"}).json()["key"]
    assert api_as(org.requester).patch(f"/tickets/{key}", {"title": "y"}).status_code == 403
