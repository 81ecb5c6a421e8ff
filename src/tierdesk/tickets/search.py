"""Full-text search over ticket titles and descriptions.

Every word of the query must occur in the title or the description; the last one, if it has
at least :data:`MIN_PREFIX` letters, may be the start of a word, as when it is still being
typed ("vpn disc" finds "VPN disconnects").
Whole words keep PostgreSQL's GIN "fast scan" (a rare word drives the search), which prefix
terms would switch off. The index is kept by the database itself, so search
can never disagree with the rows:

- SQLite: an FTS5 external-content table (``tickets_ticket_fts``) kept in step by triggers.
- PostgreSQL: a stored generated column ``search_document`` =
  ``to_tsvector('simple', title || ' ' || description)`` with a GIN index. Stored, because
  newest-first search checks a range of recent ids against the query, and computing the
  vector per row there cost 37 µs a ticket (0.7 s for a window of 20,000 ids).
- any other backend: substring matching (slow, but the same answers for plain words).

The SQLite table comes from migration ``tickets.0002_ticket_search``, the PostgreSQL column
from ``tickets.0004_open_work_indexes``. A later migration that makes SQLite rebuild the
ticket table drops the triggers with the old table; :func:`ensure_index` (run after every
``migrate``) puts back whatever is missing and :func:`index_problems` names it.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from tierdesk.tickets.models import Ticket

MAX_TERMS = 8
WINDOW = 5_000  # ids in the first window of a newest-first search
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
POSTGRES_COLUMN = "search_document"
POSTGRES_INDEX = "tickets_ticket_search_document"
_TSQUERY = "to_tsquery('simple'::regconfig, %s)"
POSTGRES_INDEX_SQL = (
    f"ALTER TABLE tickets_ticket ADD COLUMN IF NOT EXISTS {POSTGRES_COLUMN} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title || ' ' || description)) STORED",
    f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX} ON tickets_ticket USING gin ({POSTGRES_COLUMN})",
)


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
    found = _index_lookup(connections[tickets.db].vendor, words, ids)
    if found is not None:
        return tickets.filter(pk__in=RawSQL(*found))
    if ids is not None:
        tickets = tickets.filter(pk__gte=ids[0], pk__lt=ids[1])
    for word in words:
        tickets = tickets.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return tickets


def _index_lookup(
    vendor: str, words: list[str], ids: tuple[int, int] | None
) -> tuple[str, list[str | int]] | None:
    """SQL selecting the ids of matching tickets from the text index alone, with its params."""
    if vendor == "sqlite":
        expression = " AND ".join(f'"{word}"' for word in words) + _star(words)
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
        column = "rowid"
        params: list[str | int] = [expression]
    elif vendor == "postgresql":
        query = " & ".join(words) + (":*" if _star(words) else "")
        sql = f"SELECT id FROM tickets_ticket WHERE {POSTGRES_COLUMN} @@ {_TSQUERY}"
        column = "id"
        params = [query]
        if _star(words) and len(words) > 1:
            # A word start makes GIN merge the posting lists of every word it begins ("from"
            # -> from, frome, …: 70 ms per lookup). The whole words alone narrow the rows
            # through the index; the full query then checks only those (the concatenation
            # keeps the planner from sending the word start to the index as well).
            sql = (
                f"SELECT id FROM tickets_ticket WHERE {POSTGRES_COLUMN} @@ {_TSQUERY} "
                f"AND ({POSTGRES_COLUMN} || ''::tsvector) @@ {_TSQUERY}"
            )
            params = [" & ".join(words[:-1]), query]
    else:
        return None
    if ids is not None:
        sql += f" AND {column} >= %s AND {column} < %s"
        params += list(ids)
    return sql, params


def newest(
    tickets: QuerySet[Ticket], text: str, *, limit: int, below: int | None = None
) -> list[Ticket]:
    """The newest ``limit`` tickets of ``tickets`` that match ``text`` (ids below ``below``).

    Exactly ``matching(tickets, text).filter(pk__lt=below).order_by("-pk")[:limit]``, found
    without asking the planner to combine the text index with ordering and joins (at a
    million tickets PostgreSQL then picked plans that re-ran the text index per user row,
    taking seconds). Instead, windows of ids are searched newest first (except on SQLite,
    which plans the direct query well): the text index
    alone gives the matching ids of a window, and ``tickets`` (visibility, joins) is asked
    only about those ids. A common word costs the matches of the newest window; a rare one
    a few more index lookups as the window grows :data:`GROWTH`-fold.
    """
    words = terms(text)
    if not words:
        return []
    if connections[tickets.db].vendor == "sqlite":
        # SQLite runs the direct query well: the FTS5 lookup is materialised once and
        # probed while walking ids newest first (windows measured 1.6x slower at p95).
        direct = matching(tickets, text)
        if below is not None:
            direct = direct.filter(pk__lt=below)
        return list(direct.order_by("-pk")[:limit])
    if below is None:
        newest_id = Ticket.objects.using(tickets.db).order_by("-pk").values_list("pk", flat=True)
        below = (newest_id.first() or 0) + 1
    found: list[Ticket] = []
    span, high = WINDOW, below
    while len(found) < limit and high > 0:
        low = max(0, high - span)
        ids = sorted(_window(tickets.db, text, words, (low, high)), reverse=True)
        before = len(found)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found += tickets.filter(pk__in=chunk).order_by("-pk")[: limit - len(found)]
            if len(found) >= limit:
                break
        high, span = low, span * _growth(len(found) - before, limit - len(found))
    return found


def _growth(got: int, missing: int) -> int:
    """How many times wider the next window is: enough for the missing rows at the rate this
    window found them (with a margin), at least twice and at most :data:`GROWTH` times."""
    if got <= 0:
        return GROWTH
    return max(2, min(GROWTH, -(-3 * missing // (2 * got))))


def _window(db: str, text: str, words: list[str], ids: tuple[int, int]) -> list[int]:
    connection = connections[db]
    lookup = _index_lookup(connection.vendor, words, ids)
    if lookup is None:
        window = matching(Ticket.objects.using(db), text, ids=ids)
        return list(window.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        sql, params = lookup
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


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
            problems = []
            cursor.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'tickets_ticket' AND column_name = %s",
                [POSTGRES_COLUMN],
            )
            if not cursor.fetchone():
                problems.append(f"missing column tickets_ticket.{POSTGRES_COLUMN}")
            cursor.execute(
                "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %s",
                [POSTGRES_INDEX],
            )
            if not cursor.fetchone():
                problems.append(f"missing index {POSTGRES_INDEX}")
            return problems
    return []


def ensure_index(connection: BaseDatabaseWrapper) -> None:
    """Recreate whatever the search index is missing (and re-index SQLite if anything was lost).

    Safe to run after every migration: it does nothing when the index is complete. On
    PostgreSQL the column belongs to migration ``tickets.0004`` (so migrating back removes
    it for good); only a lost GIN index over an existing column is rebuilt.
    """
    problems = index_problems(connection)
    if not problems:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if problems == [f"missing index {POSTGRES_INDEX}"]:
                cursor.execute(POSTGRES_INDEX_SQL[1])
            return
        for statement in SQLITE_INDEX_SQL:
            cursor.execute(statement)
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def ensure_index_after_migrate(using: str, **_: Any) -> None:
    """``post_migrate`` receiver: see :func:`ensure_index`."""
    ensure_index(connections[using])
