"""The text index is the database's own, and every ``migrate`` puts back what is missing."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.db.models.signals import post_migrate

from tierdesk.tickets import search
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = pytest.mark.django_db


def after_migrate() -> None:
    post_migrate.send(
        sender=apps.get_app_config("tickets"),
        app_config=apps.get_app_config("tickets"),
        verbosity=0,
        interactive=False,
        using=connection.alias,
        apps=apps,
        plan=[],
    )


def newest_matches(text: str) -> list[str]:
    return [t.title for t in search.newest(Ticket.objects.all(), text, limit=10)]


def _lose_the_search_index() -> str:
    """Drop what keeps the text index current; the problem ``index_problems`` should name."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER {search.FTS_TABLE}_ai")
            return f"missing {search.FTS_TABLE}_ai"
        # the test's transaction holds deferred foreign-key checks, which block CREATE INDEX
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP INDEX {search.POSTGRES_INDEX}")
        return f"missing index {search.POSTGRES_INDEX}"


def test_migrate_puts_back_a_lost_search_index_and_what_it_missed(org):
    """SQLite keeps its FTS5 table by triggers, PostgreSQL a GIN index over a stored
    document: whichever is lost, the next ``migrate`` restores it, and tickets written in
    between are found."""
    create_ticket(NewTicket(title="Scanner jams on tray 2"), requester=org.requester)
    problem = _lose_the_search_index()
    create_ticket(NewTicket(title="Scanner offline"), requester=org.requester)
    assert search.index_problems(connection) == [problem]
    after_migrate()
    assert search.index_problems(connection) == []
    assert newest_matches("scanner") == ["Scanner offline", "Scanner jams on tray 2"]
    assert newest_matches("scanner tray") == ["Scanner jams on tray 2"]


def test_newest_first_search_finds_old_matches_past_many_newer_tickets(org, monkeypatch):
    """The window of ids grows until enough matches are found, down to the first ticket."""
    monkeypatch.setattr(search, "WINDOW", 2)
    create_ticket(NewTicket(title="Plotter ink smeared"), requester=org.requester)
    for i in range(12):
        create_ticket(NewTicket(title=f"Password reset {i}"), requester=org.requester)
    create_ticket(NewTicket(title="Plotter offline"), requester=org.requester)
    assert newest_matches("plotter") == ["Plotter offline", "Plotter ink smeared"]
    assert newest_matches("plo") == [], "three letters are a whole word"
    assert newest_matches("plot") == ["Plotter offline", "Plotter ink smeared"]
    assert newest_matches("plotter smea") == ["Plotter ink smeared"]
