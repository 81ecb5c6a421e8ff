"""Writes PNG screenshots of the workspace from a realistic dataset into docs/screenshots/.

Run: TIERDESK_DATA_DIR=/tmp/shots .venv/bin/pytest -p no:cacheprovider \\
         src/tierdesk/web/tests/screenshots.py -q
(Not collected by the normal suite: the file name does not start with ``test_``.)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tierdesk.web.tests.browser import REPO, sign_in
from tierdesk.web.tests.dataset import PASSWORD, build_demo

OUT = REPO / "docs" / "screenshots"


@pytest.mark.django_db(transaction=True)
def test_write_screenshots(page: Any) -> None:
    demo = build_demo(timezone.now())
    OUT.mkdir(parents=True, exist_ok=True)
    ticket = demo.tickets["VPN disconnects every 20 minutes"]

    sign_in(page, demo.org.lead.username, PASSWORD)
    page.goto("/queues/tier/1?order=due")
    page.screenshot(path=str(OUT / "queue.png"))
    page.context.clear_cookies()
    sign_in(page, demo.org.l2_agent.username, PASSWORD)
    page.goto(f"/tickets/{ticket.key}")
    page.screenshot(path=str(OUT / "ticket.png"))

    page.context.clear_cookies()
    sign_in(page, demo.org.it_manager.username, PASSWORD)
    page.goto("/manage/")
    page.screenshot(path=str(OUT / "management.png"))
    page.goto("/org/chart")
    page.screenshot(path=str(OUT / "org-chart.png"))
    for name in ("queue", "ticket", "management", "org-chart"):
        assert (OUT / f"{name}.png").stat().st_size > 10_000
