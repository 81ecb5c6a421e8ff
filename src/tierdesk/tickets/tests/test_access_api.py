"""Section 8 of the contract: who may see and change what, through HTTP with real tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tierdesk.accounts.models import ApiToken
from tierdesk.accounts.tokens import create_token

pytestmark = pytest.mark.django_db


def open_ticket(api_as, requester, **body):
    response = api_as(requester).post("/tickets", {"title": "Printer on fire", **body})
    assert response.status_code == 201, response.content
    return response.json()["key"]


def test_missing_or_invalid_or_revoked_or_expired_token_answers_401(org):
    client = Client()
    assert client.get("/api/v1/tickets").status_code == 401
    bad = {"Authorization": "Bearer td_nothing_here"}
    assert client.get("/api/v1/tickets", headers=bad).status_code == 401
    token = create_token(org.l1_agent)
    ApiToken.objects.update(revoked_at=timezone.now())
    assert (
        client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    expiring = create_token(org.l1_agent, expires_at=timezone.now() + timedelta(seconds=1))
    ApiToken.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert (
        client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {expiring}"}).status_code
        == 401
    )


def test_openapi_schema_and_docs_need_no_token(db):
    client = Client()
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/tickets/{key}/escalate" in schema.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_requester_cannot_see_another_requesters_ticket(org, api_as):
    key = open_ticket(api_as, org.requester)
    other = api_as(org.other_requester)
    assert other.get(f"/tickets/{key}").status_code == 404
    assert other.get(f"/tickets/{key}/comments").status_code == 404
    assert other.get("/tickets").json()["items"] == []


def test_agent_of_another_team_does_not_see_a_ticket_they_never_touched(org, api_as):
    key = open_ticket(api_as, org.requester)
    assert api_as(org.l3_agent).get(f"/tickets/{key}").status_code == 404
    assert api_as(org.l3_agent).post(f"/tickets/{key}/comments", {"body": "hi"}).status_code == 404


def test_l1_keeps_read_access_after_escalating_but_may_no_longer_change_it(org, api_as):
    key = open_ticket(api_as, org.requester)
    l1 = api_as(org.l1_agent)
    assert (
        l1.post(f"/tickets/{key}/escalate", {"to_tier": 2, "note": "over to you"}).status_code
        == 200
    )
    assert l1.get(f"/tickets/{key}").status_code == 200
    response = l1.post(f"/tickets/{key}/transition", {"to": "resolved"})
    assert response.status_code == 403
    assert response.json()["detail"]


def test_any_agent_of_the_holding_team_may_act_whoever_it_is_assigned_to(org, api_as):
    key = open_ticket(api_as, org.requester)
    assert (
        api_as(org.l1_agent).post(f"/tickets/{key}/assign", {"assignee": "tom"}).status_code == 200
    )
    response = api_as(org.l1_other).post(f"/tickets/{key}/transition", {"to": "in_progress"})
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"


def test_auditor_reads_everything_and_changes_nothing(org, api_as):
    key = open_ticket(api_as, org.requester)
    auditor = api_as(org.auditor)
    assert auditor.get(f"/tickets/{key}").status_code == 200
    assert auditor.get(f"/tickets/{key}/events").status_code == 200
    assert auditor.post(f"/tickets/{key}/comments", {"body": "x"}).status_code == 403
    assert (
        auditor.patch(f"/tickets/{key}", {"title": "x"}, headers={"If-Match": "1"}).status_code
        == 403
    )


def test_security_incidents_do_not_exist_for_anyone_outside_the_security_circle(org, api_as):
    key = open_ticket(api_as, org.requester, type="security_incident", title="Phishing mail")
    assert api_as(org.requester).get(f"/tickets/{key}").json()["team"] == "security"
    for outsider in (org.l1_agent, org.l2_agent, org.other_requester):
        client = api_as(outsider)
        assert client.get(f"/tickets/{key}").status_code == 404
        assert key not in str(client.get("/tickets").json())
        assert key not in str(client.get("/tickets", q="Phishing").json())
    for insider in (
        org.security_analyst,
        org.incident_manager,
        org.it_manager,
        org.cio,
        org.admin,
        org.auditor,
    ):
        assert api_as(insider).get(f"/tickets/{key}").status_code == 200, insider.username


def test_requesters_cannot_write_internal_notes(org, api_as):
    key = open_ticket(api_as, org.requester)
    response = api_as(org.requester).post(
        f"/tickets/{key}/comments", {"body": "psst", "internal": True}
    )
    assert response.status_code == 403


def test_requester_never_sees_internal_notes_through_any_door(org, api_as):
    key = open_ticket(api_as, org.requester)
    api_as(org.l1_agent).post(f"/tickets/{key}/comments", {"body": "SECRET-NOTE", "internal": True})
    api_as(org.l1_agent).post(f"/tickets/{key}/escalate", {"to_tier": 2, "note": "SECRET-HANDOFF"})
    requester = api_as(org.requester)
    for path in (
        f"/tickets/{key}",
        f"/tickets/{key}/comments",
        f"/tickets/{key}/events",
        "/tickets",
    ):
        body = requester.get(path).content.decode()
        assert "SECRET" not in body, path


def test_server_owned_fields_in_a_create_body_are_ignored(org, api_as):
    response = api_as(org.requester).post(
        "/tickets",
        {
            "title": "Mouse broken",
            "requester": "admin",
            "key": "TD-999",
            "version": 77,
            "created_at": "2001-01-01T00:00:00Z",
            "status": "closed",
            "team": "l3-databases",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["requester"]["username"] == "rita"
    assert body["key"] != "TD-999"
    assert body["version"] == 1
    assert body["status"] == "new"
    assert body["team"] == "service-desk"
    assert body["created_at"].startswith(str(timezone.now().year))


def test_patch_requires_if_match_and_refuses_a_stale_version(org, api_as):
    key = open_ticket(api_as, org.requester)
    l1 = api_as(org.l1_agent)
    assert l1.patch(f"/tickets/{key}", {"urgency": "high"}).status_code == 428
    assert (
        l1.patch(f"/tickets/{key}", {"urgency": "high"}, headers={"If-Match": '"7"'}).status_code
        == 412
    )
    changed = l1.patch(f"/tickets/{key}", {"urgency": "high"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200
    assert changed.json()["priority"] == "P2"
    assert changed.json()["version"] == 2
    assert (
        l1.patch(f"/tickets/{key}", {"urgency": "low"}, headers={"If-Match": "1"}).status_code
        == 412
    )


def test_priority_override_needs_a_reason_and_is_recorded(org, api_as):
    key = open_ticket(api_as, org.requester)
    l1 = api_as(org.l1_agent)
    refused = l1.patch(f"/tickets/{key}", {"priority": "P1"}, headers={"If-Match": "1"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "priority_reason"
    done = l1.patch(
        f"/tickets/{key}",
        {"priority": "P1", "priority_reason": "CEO affected"},
        headers={"If-Match": "1"},
    )
    assert done.json()["priority"] == "P1"
    events = l1.get(f"/tickets/{key}/events").json()
    override = [e for e in events if e["kind"] == "priority_overridden"]
    assert override[0]["note"] == "CEO affected"


def test_a_forbidden_transition_answers_409_naming_the_allowed_ones(org, api_as):
    key = open_ticket(api_as, org.requester)
    response = api_as(org.l1_agent).post(f"/tickets/{key}/transition", {"to": "closed"})
    assert response.status_code == 409
    assert "resolved" in response.json()["allowed"]
    assert "resolved" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/tickets", {"title": "x", "impact": "huge"}, "impact"),
        ("/tickets", {"description": "no title"}, "title"),
        ("/tickets", {"title": "x", "service": "nope"}, "service"),
    ],
)
def test_invalid_create_input_answers_4xx_naming_the_field_and_writes_nothing(
    org, api_as, path, body, field
):
    from tierdesk.tickets.models import Ticket

    response = api_as(org.requester).post(path, body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert Ticket.objects.count() == 0


def test_escalation_needs_a_handoff_note_and_a_real_tier(org, api_as):
    key = open_ticket(api_as, org.requester)
    l1 = api_as(org.l1_agent)
    assert l1.post(f"/tickets/{key}/escalate", {"to_tier": 2}).status_code == 422
    assert l1.post(f"/tickets/{key}/escalate", {"to_tier": 2, "note": "  "}).status_code == 422
    assert l1.post(f"/tickets/{key}/escalate", {"to_tier": 7, "note": "x"}).status_code == 422
    assert l1.post(f"/tickets/{key}/escalate", {"to_team": "nope", "note": "x"}).status_code == 422
    assert api_as(org.l1_agent).get(f"/tickets/{key}").json()["tier"] == 1


def test_a_retried_create_with_the_same_idempotency_key_returns_the_first_ticket(org, api_as):
    client = api_as(org.requester)
    first = client.post("/tickets", {"title": "Laptop"}, headers={"Idempotency-Key": "abc-1"})
    again = client.post("/tickets", {"title": "Laptop"}, headers={"Idempotency-Key": "abc-1"})
    assert first.json()["key"] == again.json()["key"]
    other = client.post("/tickets", {"title": "Phone"}, headers={"Idempotency-Key": "abc-1"})
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"


def test_ticket_list_pages_with_a_stable_cursor(org, api_as):
    keys = [open_ticket(api_as, org.requester, title=f"T{i}") for i in range(7)]
    client = api_as(org.l1_agent)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/tickets", **params).json()
        seen += [item["key"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(keys))
    assert client.get("/tickets", limit=500).status_code == 422
    assert client.get("/tickets", cursor="garbage!").status_code == 422


def test_queue_sorted_by_sla_due_pages_without_gaps(org, api_as):
    for impact in ("low", "high", "medium", "high", "low"):
        open_ticket(api_as, org.requester, impact=impact, urgency=impact)
    client = api_as(org.l1_agent)
    first = client.get("/tickets", order="due", limit=2, team="service-desk").json()
    rest = client.get("/tickets", order="due", limit=10, cursor=first["next_cursor"]).json()
    dues = [t["sla"]["resolution_due_at"] for t in first["items"] + rest["items"]]
    assert len(dues) == 5
    assert dues == sorted(dues)


def test_organisation_people_are_for_staff_but_teams_are_listed_for_everyone(org, api_as):
    assert api_as(org.requester).get("/org").status_code == 403
    assert api_as(org.requester).get("/users").status_code == 403
    teams = api_as(org.requester).get("/teams").json()
    by_slug = {t["slug"]: t for t in teams}
    assert by_slug["service-desk"]["level"] == 1
    assert by_slug["security"]["level"] is None
    tree = api_as(org.l1_agent).get("/org").json()["teams"]
    assert tree[0]["slug"] == "management"
    assert {c["slug"] for c in tree[0]["children"]} >= {"service-desk", "l2-apps", "security"}


def test_a_watcher_may_reply_and_gets_future_replies_but_never_sees_the_history(org, api_as):
    from tierdesk.core.errors import Forbidden
    from tierdesk.tickets.models import Ticket
    from tierdesk.tickets.services import add_comment, add_watcher

    key = open_ticket(api_as, org.requester, description="HISTORY-BEFORE")
    api_as(org.l1_agent).post(f"/tickets/{key}/comments", {"body": "HISTORY-REPLY"})
    ticket = Ticket.objects.get(pk=int(key.split("-")[1]))
    add_watcher(ticket, org.other_requester, actor=None, channel="email")
    watcher = api_as(org.other_requester)
    assert watcher.get(f"/tickets/{key}").status_code == 404
    assert watcher.get(f"/tickets/{key}/comments").status_code == 404
    assert "HISTORY" not in watcher.get("/tickets").content.decode()
    # Watchers answer by mail: the channel calls the same command.
    add_comment(ticket, "same here", actor=org.other_requester, channel="email")
    with pytest.raises(Forbidden):
        add_comment(ticket, "x", actor=org.other_requester, internal=True, channel="email")
    assert "same here" in api_as(org.l1_agent).get(f"/tickets/{key}/comments").content.decode()
