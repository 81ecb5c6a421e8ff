from __future__ import annotations

import pytest

from tierdesk.org.models import Team

pytestmark = pytest.mark.django_db


def test_the_org_chart_page_shows_every_team_linked_to_its_queue(
    org, client_as, open_ticket
) -> None:
    open_ticket()
    response = client_as(org.l1_agent).get("/org/chart")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 1
    for team in Team.objects.all():
        assert f"<title>{team.name}</title>" in html
        assert f'href="/queues/team/{team.slug}"' in html
    assert "1 open · 0 breaching" in html


def test_the_org_chart_downloads_as_an_svg_attachment(org, client_as) -> None:
    response = client_as(org.l1_agent).get("/org/chart.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Content-Disposition"] == 'attachment; filename="org-chart.svg"'
    assert response.content.startswith(b"<svg")


def test_the_org_chart_page_links_to_the_download(org, client_as) -> None:
    assert b'href="/org/chart.svg"' in client_as(org.l1_agent).get("/org/chart").content


def test_requesters_cannot_open_the_org_chart(org, client_as) -> None:
    assert client_as(org.requester).get("/org/chart").status_code == 403
