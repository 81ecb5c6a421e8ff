"""Full-text search over ticket titles and descriptions.

Every word of the query must occur in the title or the description; the last one, if it has
at least :data:`MIN_PREFIX` letters, may be the start of a word, as when it is still being
typed ("vpn disc" finds "VPN disconnects").
Whole words keep PostgreSQL's GIN "fast scan" (a rare word drives the search), which prefix
terms would switch off. The index is kept by the database itself, so search
can never disagree with the rows:

- SQLite: an FTS5 external-content table (``tickets_ticket_fts``) kept in step by triggers.
- PostgreSQL: a GIN expression index on ``to_tsvector('simple', title || ' ' || description)``;
  :class:`Document` renders exactly that expression so the planner uses the index.
- any other backend: substring matching (slow, but the same answers for plain words).

Both indexes are created by migration ``tickets.0002_ticket_search``. A later migration that
makes SQLite rebuild the ticket table drops the triggers with the old table;
:func:`ensure_index` puts them back (idempotent) and :func:`index_problems` names what is
missing.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Func, Q, QuerySet
from django.db.models.expressions import RawSQL

from tierdesk.tickets.models import Ticket

MAX_TERMS = 8
WINDOW = 20_000  # ids in the first window of a newest-first search
GROWTH = 8
CHUNK = 2000  # matching ids checked against visibility per query
MAX_TERM_LENGTH = 64
MIN_PREFIX = 4
FTS_TABLE = "tickets_ticket_fts"
_TERM = re.compile(r"[^\W_]+")

SQLITE_INDEX_SQL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "title, description, content='tickets_ticket', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON tickets_ticket BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON tickets_ticket BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF title, description "
    "ON tickets_ticket WHEN old.title IS NOT new.title "
    "OR old.description IS NOT new.description BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
)
SQLITE_TRIGGERS = (f"{FTS_TABLE}_ai", f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au")
POSTGRES_INDEX = "tickets_ticket_search"


class Document(Func):
    """The searchable text of a ticket, written exactly like the PostgreSQL index expression."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = SearchVectorField()

    def __init__(self) -> None:
        super().__init__(F("title"), F("description"))


def terms(text: str) -> list[str]:
    """The words of a query: lower-cased, without punctuation, duplicates or runaway lengths."""
    seen: dict[str, None] = {}
    for word in _TERM.findall(text.lower()):
        seen.setdefault(word[:MAX_TERM_LENGTH], None)
    return list(seen)[:MAX_TERMS]


def _star(words: list[str]) -> str:
    """``*`` when the last word is long enough to be read as the start of a word: short ones
    ("for", "vpn") are whole words, and as prefixes they would match half the desk."""
    return "*" if len(words[-1]) >= MIN_PREFIX else ""


def matching(
    tickets: QuerySet[Ticket], text: str, *, ids: tuple[int, int] | None = None
) -> QuerySet[Ticket]:
    """``tickets`` narrowed to those whose title or description contain every query word.

    ``ids`` (low, high) keeps only ids in ``[low, high)``, inside the index lookup where the
    database allows it. A query without any word (only punctuation) matches nothing.
    """
    words = terms(text)
    if not words:
        return tickets.none()
    vendor = connections[tickets.db].vendor
    if vendor == "sqlite":
        expression = " AND ".join(f'"{word}"' for word in words) + _star(words)
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
        params: list[object] = [expression]
        if ids is not None:
            sql += " AND rowid >= %s AND rowid < %s"
            params += list(ids)
        return tickets.filter(pk__in=RawSQL(sql, params))
    if ids is not None:
        tickets = tickets.filter(pk__gte=ids[0], pk__lt=ids[1])
    if vendor == "postgresql":
        query = " & ".join(words) + (":*" if _star(words) else "")
        return tickets.alias(_document=Document()).filter(
            _document=SearchQuery(query, search_type="raw", config="simple")
        )
    for word in words:
        tickets = tickets.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return tickets


def newest(
    tickets: QuerySet[Ticket], text: str, *, limit: int, below: int | None = None
) -> list[Ticket]:
    """The newest ``limit`` tickets of ``tickets`` that match ``text`` (ids below ``below``).

    Exactly ``matching(tickets, text).filter(pk__lt=below).order_by("-pk")[:limit]``, found
    without asking the planner to combine the text index with ordering and joins (at a
    million tickets PostgreSQL then picked plans that re-ran the text index per user row,
    taking seconds). Instead, windows of ids are searched newest first: the text index
    alone gives the matching ids of a window, and ``tickets`` (visibility, joins) is asked
    only about those ids. A common word costs the matches of the newest window; a rare one
    a few more index lookups as the window grows :data:`GROWTH`-fold.
    """
    if below is None:
        newest_id = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
        below = (newest_id or 0) + 1
    found: list[Ticket] = []
    span, high = WINDOW, below
    while len(found) < limit and high > 0:
        low = max(0, high - span)
        window = matching(Ticket.objects.using(tickets.db), text, ids=(low, high))
        ids = sorted(window.values_list("pk", flat=True), reverse=True)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found += tickets.filter(pk__in=chunk).order_by("-pk")[: limit - len(found)]
            if len(found) >= limit:
                break
        high, span = low, span * GROWTH
    return found


def index_problems(connection: BaseDatabaseWrapper) -> list[str]:
    """What is missing from this database's search index (empty when it is complete)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE name = %s OR (type = 'trigger' AND "
                "tbl_name = 'tickets_ticket')",
                [FTS_TABLE],
            )
            present = {row[0] for row in cursor.fetchall()}
            wanted = (FTS_TABLE, *SQLITE_TRIGGERS)
            return [f"missing {name}" for name in wanted if name not in present]
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [POSTGRES_INDEX])
            return [] if cursor.fetchone() else [f"missing index {POSTGRES_INDEX}"]
    return []


def ensure_index(connection: BaseDatabaseWrapper, **_: Any) -> None:
    """Recreate a missing SQLite search table or triggers, and re-index if anything was lost.

    Safe to run after every migration (a ``post_migrate`` receiver): it does nothing when the
    index is complete.
    """
    if connection.vendor != "sqlite" or not index_problems(connection):
        return
    with connection.cursor() as cursor:
        for statement in SQLITE_INDEX_SQL:
            cursor.execute(statement)
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
