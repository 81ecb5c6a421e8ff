"""The journey every tiered desk exists for, through the HTTP API with real tokens."""

from __future__ import annotations

import pytest

from tierdesk.audit.models import Event
from tierdesk.audit.verify import verify

pytestmark = pytest.mark.django_db


def test_incident_travels_from_requester_through_l1_l2_l3_to_resolution(org, api_as):
    requester, l1, l2, l3 = (
        api_as(u) for u in (org.requester, org.l1_agent, org.l2_agent, org.l3_agent)
    )
    created = requester.post(
        "/tickets",
        {
            "title": "Payroll export fails",
            "description": "The nightly export stopped",
            "impact": "high",
            "urgency": "medium",
            "category": "database",
        },
    )
    assert created.status_code == 201, created.content
    ticket = created.json()
    key = ticket["key"]
    assert ticket["tier"] == 1
    assert ticket["team"] == "service-desk"
    assert ticket["priority"] == "P2"
    assert ticket["sla"]["first_response_due_at"] is not None
    assert ticket["sla"]["resolution_due_at"] is not None
    assert ticket["sla"]["ola_due_at"] is not None

    assert l1.post(f"/tickets/{key}/comments", {"body": "Looking into it now."}).status_code == 201
    assert (
        l1.post(
            f"/tickets/{key}/comments",
            {"body": "Suspect the DB job; user is grumpy", "internal": True},
        ).status_code
        == 201
    )
    up = l1.post(f"/tickets/{key}/escalate", {"to_tier": 2, "note": "Export job logs attached"})
    assert up.status_code == 200, up.content
    assert up.json()["tier"] == 2
    assert up.json()["status"] == "new"

    up = l2.post(f"/tickets/{key}/escalate", {"to_tier": 3, "note": "Needs a DBA: lock waits"})
    assert up.status_code == 200, up.content
    assert up.json()["team"] == "l3-databases"
    assert up.json()["tier"] == 3

    assert (
        l3.post(f"/tickets/{key}/comments", {"body": "Fixed the lock; rerun done."}).status_code
        == 201
    )
    resolved = l3.post(f"/tickets/{key}/transition", {"to": "resolved", "note": "index added"})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved"

    seen = requester.get(f"/tickets/{key}/comments").json()
    assert [c["body"] for c in seen] == ["Looking into it now.", "Fixed the lock; rerun done."]
    assert all(not c["internal"] for c in seen)
    public_timeline = requester.get(f"/tickets/{key}/events").json()
    assert "grumpy" not in str(public_timeline)
    assert "lock waits" not in str(public_timeline)

    timeline = l3.get(f"/tickets/{key}/events").json()
    hops = [(e["before"], e["after"], e["note"]) for e in timeline if e["kind"] == "escalated"]
    assert hops == [
        ("service-desk", "l2-apps", "Export job logs attached"),
        ("l2-apps", "l3-databases", "Needs a DBA: lock waits"),
    ]
    assert verify().ok


def test_audit_verify_fails_after_a_row_is_edited_in_the_database(org, api_as):
    key = api_as(org.requester).post("/tickets", {"title": "VPN down"}).json()["key"]
    api_as(org.l1_agent).post(f"/tickets/{key}/escalate", {"to_tier": 2, "note": "router"})
    assert verify().ok
    event = Event.objects.filter(kind="escalated").get()
    Event.objects.filter(pk=event.pk).update(note="nothing to see")
    report = verify()
    assert not report.ok
    assert report.first_break is not None
    assert report.first_break.event_id == event.pk
