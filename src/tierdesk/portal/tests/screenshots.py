"""Writes a PNG of the requester portal (a ticket beside the list of the requester's tickets)
into docs/screenshots/portal.png, from a realistic desk built through the commands.

Run: TIERDESK_DATA_DIR=/tmp/shots .venv/bin/pytest -p no:cacheprovider \\
         src/tierdesk/portal/tests/screenshots.py -q
(Not collected by the normal suite: the file name does not start with ``test_``.)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from tierdesk.org.models import Service
from tierdesk.testing import Org
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, add_comment, assign, create_ticket, transition
from tierdesk.web.tests.browser import REPO, sign_in
from tierdesk.web.tests.dataset import PASSWORD, build_demo

OUT = REPO / "docs" / "screenshots"


def requester_story(org: Org, now: datetime) -> Ticket:
    """Rita's laptop ticket: a question, her answer, a fix, resolved an hour ago."""
    laptops = Service.objects.create(slug="laptops", name="Laptops and desktops")
    Service.objects.create(slug="email", name="Email and calendar")
    Service.objects.create(slug="vpn", name="VPN and remote access")
    rita, tom = org.requester, org.l1_agent
    start = now - timedelta(days=2, hours=3)
    older = create_ticket(
        NewTicket(
            title="Second monitor for my home office",
            description="My manager approved a second monitor for working from home.",
            impact="low",
            urgency="low",
            channel="portal",
        ),
        requester=rita,
        at=now - timedelta(days=9),
    )
    transition(older, "cancelled", actor=rita, at=now - timedelta(days=8))
    ticket = create_ticket(
        NewTicket(
            title="Laptop battery lasts less than two hours",
            description=(
                "Since last week my laptop battery is empty after about 1.5 hours, even with "
                "only Outlook and Teams open.\n\nIt used to last a whole morning."
            ),
            service=laptops.slug,
            impact="low",
            urgency="medium",
            channel="portal",
        ),
        requester=rita,
        at=start,
    )
    assign(ticket, tom, actor=tom, at=start + timedelta(minutes=12))
    add_comment(
        ticket,
        "Hello Rita, thanks for reporting this. Which laptop model is it? "
        "The label is under the laptop.",
        actor=tom,
        at=start + timedelta(minutes=15),
    )
    transition(ticket, "waiting_on_customer", actor=tom, at=start + timedelta(minutes=16))
    add_comment(
        ticket,
        "It is a ThinkPad T14, about three years old.",
        actor=rita,
        at=start + timedelta(hours=1),
    )
    add_comment(
        ticket,
        "Battery health is at 41 %, so it is worn out. Replacement ordered.",
        actor=tom,
        internal=True,
        at=start + timedelta(hours=1, minutes=20),
    )
    add_comment(
        ticket,
        "The battery is worn out. We fitted a new one at your desk this morning; "
        "it should last a full day again. Let us know if it does not.",
        actor=tom,
        at=now - timedelta(hours=1, minutes=5),
    )
    return transition(ticket, "resolved", actor=tom, at=now - timedelta(hours=1))


@pytest.mark.django_db(transaction=True)
def test_write_portal_screenshot(page: Any) -> None:
    now = timezone.now()
    demo = build_demo(now)
    ticket = requester_story(demo.org, now)
    OUT.mkdir(parents=True, exist_ok=True)

    sign_in(page, demo.org.requester.username, PASSWORD)
    page.goto(f"/portal/tickets/{ticket.key}/")
    page.screenshot(path=str(OUT / "portal.png"))

    assert (OUT / "portal.png").stat().st_size > 10_000
