"""The queue sidebar counts exactly the open tickets its viewer may see, per team and tier."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

import pytest

from tierdesk.accounts import policy
from tierdesk.escalations.services import escalate
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.services import NewTicket, assign, create_ticket, transition
from tierdesk.web.selectors import queue_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def spread(org):
    """Open and resolved tickets at several teams, one security incident, one involvement."""
    for i in range(4):
        create_ticket(NewTicket(title=f"desk {i}"), requester=org.requester)
    for team in (org.l2, org.l3_db, org.l3_net):
        escalate(
            create_ticket(NewTicket(title=f"for {team.slug}"), requester=org.requester),
            actor=org.admin,
            note="yours",
            to_team=team.slug,
        )
    worked = create_ticket(NewTicket(title="worked on by tom"), requester=org.requester)
    worked = assign(worked, org.l1_agent, actor=org.l1_agent)
    escalate(worked, actor=org.l1_agent, note="L3 please", to_team=org.l3_net.slug)
    done = assign(
        create_ticket(NewTicket(title="done"), requester=org.requester),
        org.l1_agent,
        actor=org.l1_agent,
    )
    transition(transition(done, "in_progress", actor=org.l1_agent), "resolved", actor=org.l1_agent)
    create_ticket(NewTicket(title="phishing", type="security_incident"), requester=org.requester)
    return org


def expected(viewer):
    open_visible = policy.visible_tickets(viewer).filter(status__in=OPEN_STATUSES)
    by_team = Counter(open_visible.values_list("team_id", flat=True))
    by_tier = Counter(t for t in open_visible.values_list("tier", flat=True) if t is not None)
    return {"team": dict(by_team), "tier": dict(by_tier)}


@pytest.mark.parametrize(
    "who", ["l1_agent", "l2_agent", "l3_agent", "security_analyst", "incident_manager", "auditor"]
)
def test_the_sidebar_counts_what_the_viewer_may_see_and_nothing_else(spread, who):
    viewer = getattr(spread, who)
    assert queue_counts(viewer) == expected(viewer)


def test_an_agent_counts_a_ticket_of_another_team_they_worked_on(spread):
    counts = queue_counts(spread.l1_agent)
    assert counts["team"][spread.l3_net.pk] == 1
    assert spread.l3_db.pk not in counts["team"]
    assert Ticket.objects.filter(team=spread.l3_net).count() == 2


def test_the_queue_page_leaves_its_counts_to_a_fragment_it_loads(spread, client_as):
    """The page itself shows the links without badges (still usable without JavaScript) and
    points HTMX at the fragment; the fragment has the badges and marks the current view."""
    client = client_as(spread.l1_agent)
    page = client.get(f"/queues/team/{spread.l3_net.slug}").content.decode()
    assert 'class="count"' not in page
    assert f'hx-get="/queues/counts?{urlencode({"current": f"team:{spread.l3_net.slug}"})}"' in page
    assert 'hx-trigger="load"' in page

    fragment = client.get("/queues/counts", {"current": f"team:{spread.l3_net.slug}"})
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "hx-get" not in html
    net_link = f'<a href="/queues/team/{spread.l3_net.slug}" aria-current="page">'
    assert f'{net_link}{spread.l3_net.name}</a> <span class="count">1<' in html


@pytest.mark.parametrize("who", ["l1_agent", "security_analyst", "auditor"])
def test_the_counts_fragment_shows_exactly_what_the_viewer_may_see(spread, client_as, who):
    viewer = getattr(spread, who)
    html = client_as(viewer).get("/queues/counts").content.decode()
    counts = expected(viewer)
    for tier in (1, 2, 3):
        badge = f'>L{tier}</a> <span class="count">{counts["tier"].get(tier, 0)}<'
        assert badge in html


def test_the_counts_fragment_is_for_staff_only(spread, client_as):
    assert client_as(spread.requester).get("/queues/counts").status_code == 403
