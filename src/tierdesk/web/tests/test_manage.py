from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tierdesk.escalations.services import escalate
from tierdesk.scheduler.loop import tick
from tierdesk.tickets.services import transition

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "who", ["lead", "incident_manager", "it_manager", "cio", "admin", "auditor"]
)
def test_leads_managers_and_auditors_open_the_management_view(org, client_as, who) -> None:
    assert client_as(getattr(org, who)).get("/manage/").status_code == 200


@pytest.mark.parametrize("who", ["l1_agent", "l3_agent", "requester"])
def test_agents_and_requesters_may_not_open_the_management_view(org, client_as, who) -> None:
    response = client_as(getattr(org, who)).get("/manage/")
    assert response.status_code == 403


def test_the_management_link_shows_only_for_people_who_may_open_it(org, client_as) -> None:
    assert b'href="/manage/"' in client_as(org.lead).get("/queues/mine").content
    assert b'href="/manage/"' not in client_as(org.l1_agent).get("/queues/mine").content


def cell_after(html: str, label: str) -> list[str]:
    row = html[html.index(label) :].split("</tr>")[0]
    return re.findall(r'<td class="num">(?:<span class="stat">)?([^<]+)', row)


def test_sla_compliance_counts_resolved_tickets_that_met_their_target(
    org, client_as, open_ticket
) -> None:
    on_time = open_ticket("On time", impact="high", urgency="high")
    transition(on_time, "resolved", actor=org.l1_agent)
    late = open_ticket("Late", impact="high", urgency="high")
    tick(timezone.now() + timedelta(hours=5))
    transition(late, "resolved", actor=org.l1_agent)
    open_ticket("Still open")
    html = client_as(org.it_manager).get("/manage/").content.decode()
    assert cell_after(html, "Last 7 days") == ["2", "1", "50.0 %"]
    assert cell_after(html, "Last 30 days") == ["2", "1", "50.0 %"]


def test_open_work_escalations_and_breaching_tickets_are_listed(
    org, client_as, open_ticket
) -> None:
    escalate(open_ticket("Up"), actor=org.l1_agent, note="needs L2", to_tier=2)
    breaching = open_ticket("Burning", impact="high", urgency="high")
    tick(timezone.now() + timedelta(hours=1))
    html = client_as(org.incident_manager).get("/manage/").content.decode()
    tier_table = html.split('id="tier-heading"')[1].split("</table>")[0]
    assert re.search(r'>L1</a></th><td class="num">1</td><td class="num">1</td>', tier_table)
    assert re.search(r'>L2</a></th><td class="num">1</td><td class="num">0</td>', tier_table)
    esc_table = html.split('id="esc-heading"')[1].split("</table>")[0]
    assert re.search(
        r"<td>L1</td><td>L2</td><td>Escalation</td><td class=\"num\">1</td>", esc_table
    )
    breaching_table = html.split('id="breaching-heading"')[1].split("</table>")[0]
    assert breaching.key in breaching_table
    assert "Up" not in breaching_table
    oldest_table = html.split('id="oldest-heading"')[1].split("</table>")[0]
    assert oldest_table.index("Up") < oldest_table.index("Burning")


def test_a_team_lead_sees_figures_for_their_own_teams_only(org, client_as, open_ticket) -> None:
    escalate(open_ticket("Elsewhere"), actor=org.l1_agent, note="to db", to_team="l3-databases")
    open_ticket("At the desk")
    html = client_as(org.lead).get("/manage/").content.decode()
    assert "At the desk" in html
    assert "Elsewhere" not in html
