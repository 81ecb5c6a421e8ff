from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tierdesk.scheduler.loop import tick
from tierdesk.tickets import selectors
from tierdesk.tickets.services import add_comment, transition
from tierdesk.web.clocks import age, duration, ola_clock, sla_clock
from tierdesk.web.timeline import build_timeline

pytestmark = pytest.mark.django_db


def test_a_fresh_ticket_has_green_clocks_with_the_time_left_in_words(open_ticket) -> None:
    ticket = open_ticket()  # P3: 4 h tier budget, 3 days to resolve
    now = ticket.created_at
    ola, sla = ola_clock(ticket, now), sla_clock(ticket, now)
    assert (ola.state, ola.text) == ("ok", "4 h 00 min left")
    assert (sla.state, sla.text) == ("ok", "3 d 0 h left")


def test_a_clock_turns_amber_after_the_warning_share_is_used(open_ticket) -> None:
    ticket = open_ticket()
    later = ticket.created_at + timedelta(hours=3, minutes=1)
    assert ola_clock(ticket, later).state == "warn"
    assert ola_clock(ticket, later).text == "59 min left"
    assert ola_clock(ticket, ticket.created_at + timedelta(hours=2, minutes=59)).state == "ok"


def test_an_overdue_clock_is_red_before_and_after_the_scheduler_marks_the_breach(
    open_ticket,
) -> None:
    ticket = open_ticket()
    late = ticket.created_at + timedelta(hours=5)
    assert (ola_clock(ticket, late).state, ola_clock(ticket, late).text) == (
        "bad",
        "overdue by 1 h 00 min",
    )
    tick(late)
    ticket.refresh_from_db()
    assert (ola_clock(ticket, late).state, ola_clock(ticket, late).text) == (
        "bad",
        "breached by 1 h 00 min",
    )


def test_a_ticket_waiting_on_the_customer_shows_its_sla_as_paused(org, open_ticket) -> None:
    ticket = transition(open_ticket(), "waiting_on_customer", actor=org.l1_agent)
    assert sla_clock(ticket, timezone.now()).text == "paused"
    assert sla_clock(ticket, timezone.now()).state == "none"


def test_a_resolved_ticket_shows_stopped_clocks(org, open_ticket) -> None:
    ticket = transition(open_ticket(), "resolved", actor=org.l1_agent)
    assert sla_clock(ticket, timezone.now()).text == "stopped"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "5 s"), (600, "10 min"), (3 * 3600 + 300, "3 h 05 min"), (2 * 86400 + 7200, "2 d 2 h")],
)
def test_durations_read_as_short_words(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_ages_are_coarse() -> None:
    now = timezone.now()
    assert [age(now - timedelta(minutes=m), now) for m in (3, 125, 2000, 9000)] == [
        "3 min",
        "2 h",
        "33 h",
        "6 d",
    ]


def test_the_timeline_merges_comments_and_events_in_order_and_names_sla_events(
    org, open_ticket
) -> None:
    ticket = open_ticket(impact="high", urgency="high")
    add_comment(ticket, "public words", actor=org.l1_agent)
    add_comment(ticket, "private words", actor=org.l1_agent, internal=True)
    tick(timezone.now() + timedelta(hours=5))
    entries = build_timeline(
        selectors.events_for(org.l1_agent, ticket),
        selectors.comments_for(org.l1_agent, ticket),
        {"service-desk": "Service Desk"},
        {},
    )
    tags = [e.tag for e in entries]
    assert tags[0] == "Created"
    assert tags.index("Public reply") < tags.index("Internal note") < tags.index("SLA breach")
    assert "OLA breach" in tags
    assert "Management told" in tags
    assert [e.body for e in entries if e.style in ("reply", "note")] == [
        "public words",
        "private words",
    ]
    ola = next(e for e in entries if e.tag == "OLA breach")
    assert ola.text == "The tier budget of Service Desk ran out (30 min)"
