"""Text search over titles and descriptions, through the ticket list selector."""

from __future__ import annotations

import pytest
from django.db import connection

from tierdesk.accounts import policy
from tierdesk.tickets import search
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.selectors import TicketFilters, list_tickets
from tierdesk.tickets.services import NewTicket, create_ticket, update_ticket
from tierdesk.tickets.services.fields import TicketChanges

pytestmark = pytest.mark.django_db


def titles(viewer, text):
    page, _ = list_tickets(viewer, TicketFilters(q=text))
    return sorted(ticket.title for ticket in page)


@pytest.fixture
def tickets(org):
    for title, description in (
        ("VPN disconnects every few minutes", "Since the update, from home."),
        ("Outlook keeps asking for password", "Shared mailbox of the finance team."),
        ("Printer on floor 3 prints blank pages", "Toner was replaced last week."),
        ("Payroll export failed overnight", "The VPN tunnel to the bureau was down."),
    ):
        create_ticket(NewTicket(title=title, description=description), requester=org.requester)
    return org


def test_search_finds_tickets_by_words_of_their_title(tickets):
    assert titles(tickets.l1_agent, "blank printer") == ["Printer on floor 3 prints blank pages"]


def test_search_needs_every_word_and_reads_the_last_one_as_a_word_start(tickets):
    agent = tickets.l1_agent
    assert titles(agent, "outlook passw") == ["Outlook keeps asking for password"]
    assert titles(agent, "outl password") == []
    assert titles(agent, "outlook printer") == []
    assert titles(agent, "fin") == [], "three letters are a whole word, not a prefix"
    assert titles(agent, "fina") == ["Outlook keeps asking for password"]


def test_search_looks_into_descriptions_too(tickets):
    assert titles(tickets.l1_agent, "vpn") == [
        "Payroll export failed overnight",
        "VPN disconnects every few minutes",
    ]


def test_search_follows_a_changed_title(tickets):
    page, _ = list_tickets(tickets.l1_agent, TicketFilters(q="printer"))
    update_ticket(
        page[0],
        TicketChanges(title="Label printer jams"),
        actor=tickets.l1_agent,
        expected_version=page[0].version,
    )
    assert titles(tickets.l1_agent, "jams") == ["Label printer jams"]
    assert titles(tickets.l1_agent, "blank") == []


def test_search_only_shows_what_the_viewer_may_see(tickets):
    assert titles(tickets.other_requester, "vpn") == []
    assert len(titles(tickets.requester, "vpn")) == 2


def test_a_query_without_words_matches_nothing(tickets):
    assert titles(tickets.l1_agent, "!!! ???") == []
    assert search.terms("  VPN, vpn;  Disc-onnect ") == ["vpn", "disc", "onnect"]


def test_the_search_index_is_in_place_after_migrations():
    assert search.index_problems(connection) == []


def test_newest_matches_equal_the_plain_query_across_id_windows(tickets, monkeypatch):
    monkeypatch.setattr(search, "WINDOW", 2)  # a window far smaller than the data
    monkeypatch.setattr(search, "ROW_SPAN", 2)
    for number in range(7):
        create_ticket(NewTicket(title=f"VPN token {number}"), requester=tickets.requester)
    visible = policy.visible_tickets(tickets.l1_agent, Ticket.objects.all())
    plain = list(search.matching(visible, "vpn").order_by("-pk"))
    assert len(plain) == 9
    assert search.newest(visible, "vpn", limit=4) == plain[:4]
    assert search.newest(visible, "vpn", limit=50) == plain
    assert search.newest(visible, "vpn", limit=3, below=plain[2].pk) == plain[3:6]
    assert search.newest(policy.visible_tickets(tickets.other_requester), "vpn", limit=5) == []
