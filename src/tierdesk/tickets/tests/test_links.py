"""Links between tickets, and merging duplicates without losing either history."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_merging_a_duplicate_closes_it_and_keeps_both_histories(org, api_as):
    client = api_as(org.l1_agent)
    first = api_as(org.requester).post("/tickets", {"title": "Mail down"}).json()["key"]
    second = api_as(org.other_requester).post("/tickets", {"title": "No email"}).json()["key"]
    api_as(org.other_requester).post(f"/tickets/{second}/comments", {"body": "since 9am"})
    merged = client.post(f"/tickets/{second}/merge", {"into": first, "note": "same outage"})
    assert merged.status_code == 200, merged.content
    assert merged.json()["status"] == "cancelled"
    assert merged.json()["merged_into"] == first
    kinds = [e["kind"] for e in client.get(f"/tickets/{second}/events").json()]
    assert {"created", "comment_added", "merged", "status_changed"} <= set(kinds)
    primary = [
        e for e in client.get(f"/tickets/{first}/events").json() if e["kind"] == "merged_from"
    ]
    assert primary[0]["after"] == second
    assert client.post(f"/tickets/{second}/merge", {"into": first}).status_code == 409


def test_a_problem_can_be_linked_as_the_cause_of_an_incident(org, api_as):
    client = api_as(org.l1_agent)
    incident = api_as(org.requester).post("/tickets", {"title": "Slow ERP"}).json()["key"]
    problem = (
        api_as(org.requester)
        .post("/tickets", {"title": "ERP DB bloat", "type": "problem"})
        .json()["key"]
    )
    linked = client.post(f"/tickets/{incident}/links", {"target": problem, "kind": "caused_by"})
    assert linked.status_code == 201, linked.content
    again = client.post(f"/tickets/{incident}/links", {"target": problem, "kind": "caused_by"})
    assert again.status_code == 201
    assert (
        client.post(
            f"/tickets/{incident}/links", {"target": incident, "kind": "related"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/tickets/{incident}/links", {"target": problem, "kind": "friends"}
        ).status_code
        == 422
    )
    events = client.get(f"/tickets/{problem}/events").json()
    assert [e["after"] for e in events if e["kind"] == "linked"] == [
        {"kind": "caused_by", "ticket": incident, "side": "in"}
    ]
