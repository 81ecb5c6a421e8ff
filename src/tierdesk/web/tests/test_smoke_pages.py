from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_every_workspace_page_renders_for_an_agent(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    client = client_as(org.l1_agent)
    for url in [
        "/queues/mine",
        "/queues/",
        "/queues/unassigned",
        "/queues/breaching",
        "/queues/team/service-desk",
        "/queues/tier/1",
        f"/tickets/{ticket.key}",
        f"/tickets/{ticket.key}/assign",
        "/org/chart",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:2000])
