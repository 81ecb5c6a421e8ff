"""Newest-first search gives exactly the plain query's answer, whichever way it is found.

On PostgreSQL the word statistics choose how (rows read one by one, windows through GIN
given the rarest word, one lookup of everything left): the tests fake the statistics to
walk each way, record the lookups made, and compare the answer with the plain query.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tierdesk.accounts import policy
from tierdesk.tickets import search
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(org):
    """Forty printer tickets with scanner and badge tickets among them, some from a requester
    the l1 agent's requester-side viewer cannot see."""
    for number in range(40):
        if number % 6 == 3:
            title = f"Badge reader broken at gate {number}"
        elif number % 7 == 5:
            title = f"Scanner jams on the {number}th page"
        elif number % 11 == 6:
            title = f"Scanning to email fails for printer {number}"
        else:
            title = f"Printer {number} offline in the office"
        requester = org.other_requester if number % 4 == 0 else org.requester
        create_ticket(NewTicket(title=title, description="Reported by phone."), requester=requester)
    return org


@pytest.fixture
def lookups(monkeypatch) -> list[tuple[str | None, int]]:
    """(GIN's part of the query or None for rows read one by one, low id) of every lookup."""
    made: list[tuple[str | None, int]] = []
    window = search._window

    def recording(tickets, words, indexed, ids, limit) -> list[Ticket]:
        made.append((indexed, ids[0]))
        return window(tickets, words, indexed, ids, limit)

    monkeypatch.setattr(search, "_window", recording)
    return made


def statistics(monkeypatch, shares: dict[str, float]) -> None:
    """Fake the word statistics (``{}``: none, as in a table never analysed)."""
    monkeypatch.setattr(
        search, "_shares", lambda db, words: {w: shares[w] for w in words} if shares else {}
    )


def newest_is_the_plain_query(viewer, text: str, lookups: list, *, limit: int) -> list:
    """Check ``newest`` against the plain query (also for pages below a ticket) and return
    the lookups made for the first page of ``limit``."""
    tickets = policy.visible_tickets(viewer, Ticket.objects.all())
    plain = list(search.matching(tickets, text).order_by("-pk"))
    assert len(plain) > limit, f"{text!r} should match more than a page"
    for size in (1, 50):
        assert search.newest(tickets, text, limit=size) == plain[:size]
    assert search.newest(tickets, text, limit=2, below=plain[1].pk) == plain[2:4]
    lookups.clear()
    assert search.newest(tickets, text, limit=limit) == plain[:limit]
    return list(lookups)


def postgres_only() -> None:
    assert connection.vendor == "postgresql", "SQLite runs the plain query; these are PG's plans"


def test_newest_matches_are_the_plain_query_for_words_and_word_starts(desk, lookups):
    for text in ("printer office", "badge", "on scan", "scan", "in printe"):
        newest_is_the_plain_query(desk.requester, text, lookups, limit=2)
        newest_is_the_plain_query(desk.l1_agent, text, lookups, limit=2)


@pytest.mark.postgres
def test_common_words_fill_a_page_from_the_newest_rows_alone(desk, lookups, monkeypatch):
    postgres_only()
    monkeypatch.setattr(search, "ROW_SPAN", 30)
    statistics(monkeypatch, {"printer": 0.6, "in": 0.9})
    newest_id = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
    made = newest_is_the_plain_query(desk.requester, "printer in", lookups, limit=5)
    assert made == [(None, newest_id + 1 - 30)]


@pytest.mark.postgres
def test_common_words_are_read_row_by_row_then_through_the_index(desk, lookups, monkeypatch):
    postgres_only()
    monkeypatch.setattr(search, "ROW_SPAN", 10)
    monkeypatch.setattr(search, "WINDOW", 4)
    statistics(monkeypatch, {"badge": 0.8, "at": 0.9})  # as if badges were everywhere
    made = newest_is_the_plain_query(desk.requester, "badge at", lookups, limit=3)
    assert made[0][0] is None, "the newest rows come first, read one by one"
    assert {indexed for indexed, _ in made[1:]} == {"badge"}, "then the rarest word"


@pytest.mark.postgres
def test_windows_of_ids_give_the_index_one_word(desk, lookups, monkeypatch):
    postgres_only()
    monkeypatch.setattr(search, "WINDOW", 3)
    monkeypatch.setattr(search, "ROW_SPAN", 0)
    monkeypatch.setattr(search, "SINGLE_LOOKUP", 0)
    monkeypatch.setattr(search, "CHEAP_SHARE", 1.0)
    statistics(monkeypatch, {"badge": 0.9, "reader": 0.95, "at": 0.99})
    made = newest_is_the_plain_query(desk.requester, "reader badge at", lookups, limit=4)
    assert len(made) > 1
    assert made[0][1] > 0, "the first window is not everything"
    assert {indexed for indexed, low in made if low > 0} == {"badge"}


@pytest.mark.postgres
def test_few_rows_left_are_looked_up_at_once_with_every_cheap_word(desk, lookups, monkeypatch):
    postgres_only()
    monkeypatch.setattr(search, "WINDOW", 3)
    monkeypatch.setattr(search, "ROW_SPAN", 0)
    monkeypatch.setattr(search, "SINGLE_LOOKUP", 1_000_000)
    monkeypatch.setattr(search, "CHEAP_SHARE", 1.0)
    statistics(monkeypatch, {"badge": 0.9, "reader": 0.95, "at": 0.99})
    made = newest_is_the_plain_query(desk.requester, "reader badge at", lookups, limit=4)
    assert len(made) == 2
    assert made[0][0] == "badge"
    assert made[0][1] > 0, "one window first"
    assert made[1] == ("badge & reader & at", 0), "then the rest at once, every cheap word"


@pytest.mark.postgres
def test_a_rare_word_start_is_looked_up_alone_and_at_once(desk, lookups, monkeypatch):
    postgres_only()
    statistics(monkeypatch, {"scan": 0.0001, "jams": 0.9, "to": 0.9, "on": 0.9})
    assert newest_is_the_plain_query(desk.requester, "on scan", lookups, limit=2) == [("scan:*", 0)]


@pytest.mark.postgres
def test_a_word_start_hardly_rarer_than_a_whole_word_stays_out_of_the_index(
    desk, lookups, monkeypatch
):
    postgres_only()
    monkeypatch.setattr(search, "ROW_SPAN", 0)
    statistics(monkeypatch, {"scan": 0.01, "on": 0.02})
    made = newest_is_the_plain_query(desk.requester, "on scan", lookups, limit=2)
    assert {indexed for indexed, _ in made} == {"on"}


@pytest.mark.postgres
def test_without_statistics_rows_come_first_then_every_whole_word(desk, lookups, monkeypatch):
    postgres_only()
    monkeypatch.setattr(search, "ROW_SPAN", 5)
    monkeypatch.setattr(search, "WINDOW", 3)
    statistics(monkeypatch, {})
    made = newest_is_the_plain_query(desk.requester, "printer office in", lookups, limit=10)
    assert made[0][0] is None
    assert {indexed for indexed, _ in made[1:]} == {"printer & office & in"}
    made = newest_is_the_plain_query(desk.requester, "in printe", lookups, limit=10)
    assert {indexed for indexed, _ in made[1:]} == {"in"}, "whole words when there are any"
    made = newest_is_the_plain_query(desk.requester, "printe", lookups, limit=10)
    assert {indexed for indexed, _ in made[1:]} == {"printe:*"}


@pytest.mark.postgres
def test_word_shares_come_from_the_statistics_of_the_stored_documents(desk):
    postgres_only()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
    shares: dict[str, Any] = search._shares(connection.alias, ["printer", "offline", "scan"])
    total = Ticket.objects.count()
    printers = Ticket.objects.filter(title__icontains="printer").count()
    scanners = Ticket.objects.filter(title__istartswith="scan").count()
    assert shares["printer"] == pytest.approx(printers / total)
    assert shares["offline"] < shares["printer"]
    assert shares["scan"] == pytest.approx(scanners / total), "a word start counts every word"
    unlisted = search._shares(connection.alias, ["zebra"])["zebra"]
    assert 0 < unlisted <= min(shares.values()), "an unlisted word is rarer than any listed"


@pytest.mark.postgres
def test_windows_are_planned_for_their_own_values_however_often_they_run(desk, monkeypatch):
    """The connection prepares what it runs repeatedly, but never lets PostgreSQL keep one
    generic plan for a window (blind to its word and its range of ids)."""
    postgres_only()
    monkeypatch.setattr(search, "ROW_SPAN", 0)
    statistics(monkeypatch, {"badge": 0.2, "reader": 0.3, "at": 0.9})
    tickets = policy.visible_tickets(desk.requester, Ticket.objects.all())
    for _ in range(8):
        assert len(search.newest(tickets, "reader badge at", limit=3)) == 3
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%search_document%"],
        )
        prepared, generic, custom = cursor.fetchone()
    assert prepared > 0
    assert (generic, custom > 0) == (0, True)
