"""Every phone route, for everyone who may not use it."""

from __future__ import annotations

import pytest

from tierdesk.phone.models import Call
from tierdesk.phone.tests.conftest import UNKNOWN, call_body, open_ticket

pytestmark = pytest.mark.django_db
VALID_LOG = {
    "caller": "+4930123",
    "direction": "inbound",
    "started_at": "2025-01-01T10:00:00+00:00",
    "ended_at": "2025-01-01T10:05:00+00:00",
    "new_ticket": {"title": "Help"},
}
ROUTES = [
    ("post", "/channels/phone/log", VALID_LOG),
    ("get", "/channels/phone/callers", {"q": "+4930123"}),
    ("get", "/channels/phone/calls/unlinked", {}),
    ("post", "/channels/phone/calls/1/attach", {"ticket": "TD-1"}),
]


def _send(client, method, path, body):
    return client.post(path, body) if method == "post" else client.get(path, **body)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_agent_routes_need_a_bearer_token(org, api_as, method, path, body):
    assert _send(api_as(None), method, path, body).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_requesters_are_refused_every_agent_route(org, api_as, method, path, body):
    # The attach route hides calls from anyone outside the queue: 404, like any hidden object.
    expected = 404 if path.endswith("/attach") else 403
    assert _send(api_as(org.requester), method, path, body).status_code == expected


def test_the_unlinked_call_queue_belongs_to_the_service_desk(org, api_as, webhook):
    webhook.post(call_body(caller=UNKNOWN, answered=True))
    call = Call.objects.get()
    for user in (org.l1_agent, org.lead, org.incident_manager, org.auditor):
        assert api_as(user).get("/channels/phone/calls/unlinked").status_code == 200
    for user in (org.l2_agent, org.l3_agent, org.security_analyst):
        assert api_as(user).get("/channels/phone/calls/unlinked").status_code == 403
        attach = api_as(user).post(f"/channels/phone/calls/{call.pk}/attach", {"ticket": "TD-1"})
        assert attach.status_code == 404


def test_auditors_read_the_queue_but_cannot_attach(org, api_as, webhook):
    ticket = open_ticket(org.requester)
    webhook.post(call_body(caller=UNKNOWN, answered=True))
    call = Call.objects.get()
    response = api_as(org.auditor).post(
        f"/channels/phone/calls/{call.pk}/attach", {"ticket": ticket.key}
    )
    assert response.status_code == 403
    assert Call.objects.get().outcome == "unlinked"


def test_webhook_ignores_bearer_tokens_it_only_trusts_the_signature(org, api_as, webhook):
    response = api_as(org.admin).post("/channels/phone/calls", call_body())
    assert response.status_code == 401
    assert response.json()["detail"] != "missing or invalid bearer token"
