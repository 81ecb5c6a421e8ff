"""An agent logs a call: find the caller, pick or open a ticket, record the call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.audit.verify import verify
from tierdesk.escalations.services import escalate
from tierdesk.phone.models import Call
from tierdesk.phone.tests.conftest import RITA, UNKNOWN, open_ticket, with_phone
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import transition

pytestmark = pytest.mark.django_db
LOG = "/channels/phone/log"


def log_body(**changes):
    now = timezone.now()
    body = {
        "caller": RITA,
        "direction": "inbound",
        "started_at": (now - timedelta(minutes=10)).isoformat(),
        "ended_at": (now - timedelta(minutes=4)).isoformat(),
        "notes": "Rita says the printer on floor 3 jams on duplex jobs",
    }
    body.update(changes)
    return body


def test_agent_logs_a_call_on_an_existing_ticket_seen_in_its_events_and_as_an_internal_note(
    org, api_as
):
    ticket = open_ticket(with_phone(org.requester))
    tom = api_as(org.l1_agent)

    response = tom.post(LOG, log_body(ticket=ticket.key))

    assert response.status_code == 201, response.content
    call = response.json()["call"]
    assert (call["ticket"], call["outcome"], call["logged_by"]) == (ticket.key, "logged", "tom")
    assert (call["caller_number"], call["duration_seconds"], call["answered"]) == (RITA, 360, True)
    assert response.json()["ticket"]["key"] == ticket.key
    [event] = [
        e for e in tom.get(f"/tickets/{ticket.key}/events").json() if e["kind"] == "call_logged"
    ]
    assert event["actor"] == "tom"
    assert event["channel"] == "phone"
    assert {k: event["data"][k] for k in ("direction", "number", "answered")} == {
        "direction": "inbound",
        "number": RITA,
        "answered": True,
    }
    notes = [c for c in tom.get(f"/tickets/{ticket.key}/comments").json() if c["internal"]]
    assert [(n["body"], n["channel"]) for n in notes] == [
        ("Rita says the printer on floor 3 jams on duplex jobs", "phone")
    ]
    assert api_as(org.requester).get(f"/tickets/{ticket.key}/comments").json() == []
    assert verify().ok


def test_agent_logs_a_call_that_opens_a_new_phone_ticket_at_l1(org, api_as):
    with_phone(org.requester)
    response = api_as(org.l1_agent).post(
        LOG,
        log_body(new_ticket={"title": "Printer jams", "impact": "low", "urgency": "high"}),
    )
    assert response.status_code == 201, response.content
    ticket = response.json()["ticket"]
    assert (ticket["channel"], ticket["team"], ticket["tier"]) == ("phone", "service-desk", 1)
    assert ticket["requester"]["username"] == "rita"
    kinds = [e["kind"] for e in api_as(org.l1_agent).get(f"/tickets/{ticket['key']}/events").json()]
    assert kinds[0] == "created"
    assert "call_logged" in kinds


def test_outbound_call_records_the_number_the_desk_dialled(org, api_as):
    ticket = open_ticket(with_phone(org.requester))
    call = api_as(org.l1_agent).post(LOG, log_body(direction="outbound", ticket=ticket.key))
    assert (call.json()["call"]["caller_number"], call.json()["call"]["callee_number"]) == (
        "",
        RITA,
    )


def test_unknown_caller_number_becomes_a_requester_with_no_invented_email(org, api_as):
    response = api_as(org.l1_agent).post(
        LOG, log_body(caller=UNKNOWN, new_ticket={"title": "Cannot log in"})
    )
    assert response.status_code == 201, response.content
    person = User.objects.get(username="phone-+442079460000")
    assert (person.role, person.email, person.phone, person.has_usable_password()) == (
        "requester",
        "",
        "+442079460000",
        False,
    )
    assert response.json()["ticket"]["requester"]["username"] == person.username


def test_unknown_caller_email_becomes_a_requester_named_by_the_address(org, api_as):
    response = api_as(org.l1_agent).post(
        LOG, log_body(caller="New.Person@Example.com", new_ticket={"title": "Access request"})
    )
    assert response.status_code == 201, response.content
    assert response.json()["ticket"]["requester"]["email"] == "new.person@example.com"
    assert response.json()["call"]["caller_number"] == ""


def test_caller_known_by_email_is_found_not_duplicated(org, api_as):
    users = User.objects.count()
    response = api_as(org.l1_agent).post(
        LOG, log_body(caller=org.requester.email.upper(), new_ticket={"title": "Help"})
    )
    assert response.json()["ticket"]["requester"]["username"] == "rita"
    assert User.objects.count() == users


def test_number_shared_by_several_people_needs_the_agent_to_pick_the_requester(org, api_as):
    with_phone(org.requester)
    with_phone(org.other_requester, "+49-30-1234567")
    tom = api_as(org.l1_agent)
    ambiguous = tom.post(LOG, log_body(new_ticket={"title": "Help"}))
    assert ambiguous.status_code == 422
    assert ambiguous.json()["field"] == "requester"
    picked = tom.post(LOG, log_body(requester="otto", new_ticket={"title": "Help"}))
    assert picked.status_code == 201, picked.content
    assert picked.json()["ticket"]["requester"]["username"] == "otto"


def test_requester_cannot_log_a_call(org, api_as):
    ticket = open_ticket(with_phone(org.requester))
    response = api_as(org.requester).post(LOG, log_body(ticket=ticket.key))
    assert response.status_code == 403
    other = open_ticket(org.other_requester)
    assert api_as(org.requester).post(LOG, log_body(ticket=other.key)).status_code == 403
    assert Call.objects.count() == 0


def test_auditor_cannot_log_a_call(org, api_as):
    ticket = open_ticket(with_phone(org.requester))
    assert api_as(org.auditor).post(LOG, log_body(ticket=ticket.key)).status_code == 403


def test_agent_cannot_log_a_call_on_a_ticket_outside_their_reach(org, api_as):
    ticket = open_ticket(with_phone(org.requester))
    assert api_as(org.l2_agent).post(LOG, log_body(ticket=ticket.key)).status_code == 404
    escalate(ticket, actor=org.l1_agent, to_tier=2, note="needs L2")
    # Tom worked on it, so he still sees it, but it is L2's now.
    assert api_as(org.l1_agent).post(LOG, log_body(ticket=ticket.key)).status_code == 403
    assert Call.objects.count() == 0


def test_call_on_a_closed_ticket_is_refused(org, api_as):
    ticket = open_ticket(with_phone(org.requester))
    transition(ticket, "cancelled", actor=org.lead, note="duplicate")
    response = api_as(org.l1_agent).post(LOG, log_body(ticket=ticket.key))
    assert response.status_code == 403
    assert Call.objects.count() == 0


def test_failed_log_leaves_no_trace_not_even_the_new_requester(org, api_as):
    users, tickets = User.objects.count(), Ticket.objects.count()
    response = api_as(org.l1_agent).post(
        LOG, log_body(caller=UNKNOWN, new_ticket={"title": "Help", "service": "no-such-service"})
    )
    assert response.status_code == 422
    assert response.json()["field"] == "service"
    assert (User.objects.count(), Ticket.objects.count(), Call.objects.count()) == (
        users,
        tickets,
        0,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ended_at": "2020-01-01T00:00:00+00:00"}, "ended_at"),
        ({"started_at": "2025-01-01T10:00:00"}, "started_at"),
        ({"direction": "sideways"}, "direction"),
        ({"caller": "call me maybe"}, "caller"),
        ({"caller": "@"}, "caller"),
        ({"ticket": None}, "ticket"),
        ({"new_ticket": {"title": ""}}, "new_ticket.title"),
        ({"requester": "nobody-here"}, "requester"),
    ],
)
def test_bad_log_request_is_422_naming_the_field(org, api_as, changes, field):
    ticket = open_ticket(with_phone(org.requester))
    body = log_body(ticket=ticket.key)
    body.update(changes)
    if "new_ticket" in changes:
        body.pop("ticket")
    response = api_as(org.l1_agent).post(LOG, body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


def test_ticket_and_new_ticket_together_are_refused(org, api_as):
    ticket = open_ticket(with_phone(org.requester))
    response = api_as(org.l1_agent).post(
        LOG, log_body(ticket=ticket.key, new_ticket={"title": "Also this"})
    )
    assert response.status_code == 422
    assert response.json()["field"] == "ticket"
    assert Ticket.objects.count() == 1


def test_find_caller_lists_people_with_the_open_tickets_the_agent_may_see(org, api_as):
    with_phone(org.requester)
    at_l1 = open_ticket(org.requester, "At the desk")
    at_l3 = open_ticket(org.requester, "Database slow")
    escalate(at_l3, actor=org.incident_manager, to_tier=3, note="DBA needed")
    resolved = open_ticket(org.requester, "Done")
    transition(resolved, "resolved", actor=org.lead, note="fixed")

    by_number = api_as(org.l1_agent).get("/channels/phone/callers", q="+49 30 1234567").json()
    by_email = api_as(org.l3_agent).get("/channels/phone/callers", q=org.requester.email).json()

    assert [(c["username"], [t["key"] for t in c["open_tickets"]]) for c in by_number] == [
        ("rita", [at_l1.key])
    ]
    assert [(c["username"], [t["key"] for t in c["open_tickets"]]) for c in by_email] == [
        ("rita", [at_l3.key])
    ]
    assert api_as(org.l1_agent).get("/channels/phone/callers", q=UNKNOWN).json() == []


def test_find_caller_refuses_a_query_that_is_neither_number_nor_email(org, api_as):
    response = api_as(org.l1_agent).get("/channels/phone/callers", q="rita")
    assert response.status_code == 422
    assert response.json()["field"] == "q"


def test_find_caller_costs_the_same_queries_for_one_or_many_candidates(org, api_as):
    tom = api_as(org.l1_agent)
    with_phone(org.requester)
    open_ticket(org.requester)
    tom.get("/channels/phone/callers", q=RITA)  # warm the token's first-use update
    with CaptureQueriesContext(connection) as one:
        assert len(tom.get("/channels/phone/callers", q=RITA).json()) == 1
    for n in range(4):
        person = User.objects.create(username=f"caller{n}", role="requester", phone=RITA)
        for _ in range(2):
            open_ticket(person)
    with CaptureQueriesContext(connection) as many:
        assert len(tom.get("/channels/phone/callers", q=RITA).json()) == 5
    assert len(many) == len(one)


def test_a_retried_log_with_the_same_idempotency_key_records_one_call(org, api_as):
    tom = api_as(org.l1_agent)
    body = log_body(caller=UNKNOWN, new_ticket={"title": "Cannot log in"})
    first = tom.post(LOG, body, headers={"Idempotency-Key": "log-42"})
    retry = tom.post(LOG, body, headers={"Idempotency-Key": "log-42"})
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["call"]["id"] == first.json()["call"]["id"]
    assert (Call.objects.count(), Ticket.objects.count()) == (1, 1)


def test_an_unanswered_callback_attempt_is_logged_as_not_answered(org, api_as):
    ticket = open_ticket(with_phone(org.requester))
    response = api_as(org.l1_agent).post(
        LOG, log_body(direction="outbound", answered=False, notes="", ticket=ticket.key)
    )
    assert response.status_code == 201, response.content
    assert response.json()["call"]["answered"] is False
    [event] = [
        e
        for e in api_as(org.l1_agent).get(f"/tickets/{ticket.key}/events").json()
        if e["kind"] == "call_logged"
    ]
    assert event["data"]["answered"] is False
    assert api_as(org.l1_agent).get(f"/tickets/{ticket.key}/comments").json() == []


def test_a_new_caller_with_an_address_longer_than_a_username_still_gets_an_account(org, api_as):
    address = "a" * 60 + "@" + "b" * 50 + "." + "c" * 50 + ".example.com"
    response = api_as(org.l1_agent).post(
        LOG, log_body(caller=address, new_ticket={"title": "Long address"})
    )
    assert response.status_code == 201, response.content
    assert response.json()["ticket"]["requester"]["email"] == address
