"""Full-text search over ticket titles and descriptions.

Every word of the query must occur in the title or the description; the last one, if it has
at least :data:`MIN_PREFIX` letters, may be the start of a word, as when it is still being
typed ("vpn disc" finds "VPN disconnects"). The index is kept by the database itself, so
search can never disagree with the rows:

- SQLite: an FTS5 external-content table (``tickets_ticket_fts``) kept in step by triggers.
- PostgreSQL: a stored generated column ``search_document`` =
  ``to_tsvector('simple', title || ' ' || description)`` with a GIN index. Stored, because
  newest-first search checks a range of recent ids against the query, and computing the
  vector per row there cost 37 µs a ticket (0.7 s for a window of 20,000 ids). Which words
  GIN is given, and when rows are checked one by one instead, follows the column's
  statistics (see :func:`_newest_postgres`).
- any other backend: substring matching (slow, but the same answers for plain words).

The SQLite table comes from migration ``tickets.0002_ticket_search``, the PostgreSQL column
from ``tickets.0004_open_work_indexes``. A later migration that makes SQLite rebuild the
ticket table drops the triggers with the old table; :func:`ensure_index` (run after every
``migrate``) puts back whatever is missing and :func:`index_problems` names it.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from tierdesk.tickets.models import Ticket

MAX_TERMS = 8
WINDOW = 5_000  # ids in the first window of a newest-first search through the text index
GROWTH = 8
ROW_SPAN = 3_000  # newest ids checked row by row when every query word is common
ROW_MARGIN = 2  # how many times ``limit`` a span is expected to match before it is tried
SINGLE_LOOKUP = 4_000  # rows of the indexed words left below which one lookup takes them all
PREFIX_COST = 4  # how many times rarer than any whole word a word start must be to be indexed
CHEAP_SHARE = 0.05  # share of tickets up to which a word's posting list is cheap to read
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
# ``_INDEXED`` can be served by GIN; ``_RECHECK`` is the same test in a form GIN cannot
# serve, so the planner checks it on the rows it reads instead of merging posting lists.
_INDEXED = f'"tickets_ticket"."{POSTGRES_COLUMN}" @@ {_TSQUERY}'
_RECHECK = f"({_INDEXED}) IS TRUE"
# Share of documents holding each listed lexeme (the rows without a lexeme carry the
# smallest and largest listed share).
_SHARES_SQL = f"""
SELECT stat.lexeme, stat.share
FROM pg_stats, unnest(most_common_elems::text::text[], most_common_elem_freqs)
    AS stat(lexeme, share)
WHERE schemaname = current_schema() AND tablename = 'tickets_ticket'
    AND attname = '{POSTGRES_COLUMN}'
    AND (stat.lexeme IS NULL OR stat.lexeme = ANY(%s)
         OR (%s::text IS NOT NULL AND starts_with(stat.lexeme, %s)))
"""
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


def matching(tickets: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    """``tickets`` narrowed to those whose title or description contain every query word.

    A query without any word (only punctuation) matches nothing.
    """
    words = terms(text)
    if not words:
        return tickets.none()
    found = _index_lookup(connections[tickets.db].vendor, words)
    if found is not None:
        return tickets.filter(pk__in=RawSQL(*found))
    for word in words:
        tickets = tickets.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return tickets


def _tsquery(words: list[str]) -> str:
    return " & ".join(words) + (":*" if _star(words) else "")


def _index_lookup(vendor: str, words: list[str]) -> tuple[str, list[str]] | None:
    """SQL selecting the ids of matching tickets from the text index alone, with its params."""
    if vendor == "sqlite":
        expression = " AND ".join(f'"{word}"' for word in words) + _star(words)
        return f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression]
    if vendor == "postgresql":
        sql = f"SELECT id FROM tickets_ticket WHERE {POSTGRES_COLUMN} @@ {_TSQUERY}"
        if _star(words) and len(words) > 1:
            # A word start makes GIN merge the posting lists of every word it begins ("from"
            # -> from, frome, …: 70 ms per lookup). The whole words alone narrow the rows
            # through the index; the full query then checks only those.
            return f"{sql} AND {_RECHECK}", [" & ".join(words[:-1]), _tsquery(words)]
        return sql, [_tsquery(words)]
    return None


def newest(
    tickets: QuerySet[Ticket], text: str, *, limit: int, below: int | None = None
) -> list[Ticket]:
    """The newest ``limit`` tickets of ``tickets`` that match ``text`` (ids below ``below``).

    Exactly ``matching(tickets, text).filter(pk__lt=below).order_by("-pk")[:limit]``. SQLite
    plans that query well and runs it. On PostgreSQL, the planner given the whole id range
    combined the text index with ordering and joins badly at a million tickets (plans that
    re-ran the text index per user row, or walked every row of a rare query newest first,
    taking seconds): ranges of ids are searched newest first instead, each one a query the
    planner cannot get badly wrong (see :func:`_newest_postgres`).
    """
    words = terms(text)
    if not words or limit <= 0:
        return []
    if connections[tickets.db].vendor != "postgresql":
        # SQLite runs the direct query well: the FTS5 lookup is materialised once and
        # probed while walking ids newest first (windows measured 1.6x slower at p95).
        direct = matching(tickets, text)
        if below is not None:
            direct = direct.filter(pk__lt=below)
        return list(direct.order_by("-pk")[:limit])
    if below is None:
        newest_id = Ticket.objects.using(tickets.db).order_by("-pk").values_list("pk", flat=True)
        below = (newest_id.first() or 0) + 1
    with transaction.atomic(using=tickets.db), connections[tickets.db].cursor() as cursor:
        # Each window is planned for its own words and ids. A prepared statement otherwise
        # gets one generic plan after five runs, and a window's generic plan read the whole
        # GIN posting list of its words instead of its range of ids. Only here: planning
        # every run of the desk's other statements cost more than they take to execute.
        cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        return _newest_postgres(tickets, words, limit=limit, below=below)


def _newest_postgres(
    tickets: QuerySet[Ticket], words: list[str], *, limit: int, below: int
) -> list[Ticket]:
    """:func:`newest` on PostgreSQL, planned from the share of tickets holding each word.

    GIN reads the whole posting list of every word it is given, whatever range of ids is
    asked for: two common words cost 20-90 ms a lookup, a rare word 1-2 ms. So:

    - when even the rarest word is common, the newest :data:`ROW_SPAN` ids are read row by
      row (index on id, newest first, stopping at ``limit``), each row checked for
      visibility and against its stored document: a common pair fills a page within a few
      hundred rows;
    - otherwise, or when those rows held too few matches, GIN is given the rare words only
      (see :func:`_indexed`; the others are checked on the rows it finds), in windows of ids
      sized from the rate of matches expected or found so far, and all remaining ids at
      once when they hold few rows of those words.

    Every query is bounded by its id range: whichever plan PostgreSQL picks for it reads at
    most the rows of that range or those GIN finds. The shares come from the planner's
    statistics; without them (a table never analysed) the newest rows are read first and
    GIN gets every whole word.
    """
    shares = _shares(tickets.db, words)
    density = min(shares.values()) if shares else None  # of matches: at most the rarest's
    found: list[int] = []
    high = below
    if density is None or density * ROW_SPAN >= ROW_MARGIN * limit:
        low = max(0, high - ROW_SPAN)
        found = _window(tickets, words, None, (low, high), limit)
        high = 0 if len(found) >= limit else low
    indexed, share = _indexed(words, shares)
    missing = limit - len(found)
    span = WINDOW
    if density:
        span = max(span, int(ROW_MARGIN * missing / density))
    if found:
        span = max(span, -(-3 * missing * ROW_SPAN // (2 * len(found))))
    if indexed[0].endswith(":*") and share is not None and share * high <= SINGLE_LOOKUP:
        # The planner prices a word start at most of the index and, within a window, reads
        # the rows one by one instead: look up all its few rows at once.
        span = high
    while len(found) < limit and high > 0:
        low = max(0, high - span)
        # A window gets one word: for several, the planner multiplies their shares, expects
        # next to no rows and skips narrowing them to the window through the id index (then
        # reading every row of the words, wherever it is). The last lookup wants them all.
        lookup = " & ".join(indexed[: 1 if low else None])
        got = _window(tickets, words, lookup, (low, high), limit - len(found))
        found += got
        high, span = low, span * _growth(len(got), limit - len(found))
        if share is not None and share * high <= SINGLE_LOOKUP:
            # Few rows of the indexed words are left: one lookup reads them all, where a
            # wide range of ids costs more to intersect with than the rows it spares.
            span = high
    if not found:
        return []
    # The rows with their joins, read only for the page: within a window the planner
    # expects next to no matches and joins every one before sorting.
    return list(tickets.filter(pk__in=found).order_by("-pk"))


def _indexed(words: list[str], shares: dict[str, float]) -> tuple[list[str], float | None]:
    """The words GIN may be given, rarest first, and the share of tickets the first one is
    in (``None`` without statistics).

    The rarest whole word, then every other whole word that is cheap to read
    (:data:`CHEAP_SHARE`: fewer rows for the checks that follow); a word start only when it
    is far rarer than any whole word, for GIN merges the posting lists of every word it
    begins, and the planner, pricing that at most of the index, reads a window's rows one
    by one instead. Without statistics: every whole word.
    """
    prefix = words[-1] if _star(words) else None
    whole = sorted((word for word in words if word != prefix), key=lambda w: shares.get(w, 0))
    if prefix is not None and (
        not whole or (shares and shares[prefix] * PREFIX_COST < shares[whole[0]])
    ):
        return [f"{prefix}:*"], shares.get(prefix)
    if not shares:
        return [" & ".join(whole)], None
    cheap = [word for word in whole[1:] if shares[word] <= CHEAP_SHARE]
    return [whole[0], *cheap], shares[whole[0]]


def _window(
    tickets: QuerySet[Ticket],
    words: list[str],
    indexed: str | None,
    ids: tuple[int, int],
    limit: int,
) -> list[int]:
    """Ids of the newest ``limit`` of ``tickets`` in ``[low, high)`` matching ``words``,
    offering GIN the tsquery ``indexed`` (``None``: the rows are read and checked one by one).
    """
    full = _tsquery(words)
    if indexed is None:
        sql, params = _RECHECK, [full]
    elif indexed == full:
        sql, params = _INDEXED, [full]
    else:
        sql, params = f"{_INDEXED} AND {_RECHECK}", [indexed, full]
    condition = RawSQL(sql, params, output_field=BooleanField())
    window = tickets.filter(condition, pk__gte=ids[0], pk__lt=ids[1])
    return list(window.order_by("-pk").values_list("pk", flat=True)[:limit])


def _growth(got: int, missing: int) -> int:
    """How many times wider the next window is: enough for the missing rows at the rate this
    window found them (with a margin), at least twice and at most :data:`GROWTH` times."""
    if got <= 0:
        return GROWTH
    return max(2, min(GROWTH, -(-3 * missing // (2 * got))))


def _shares(db: str, words: list[str]) -> dict[str, float]:
    """The estimated share of tickets whose document holds each of ``words`` (the last one
    as a word start when :func:`_star` says so), from the column's statistics.

    A word start counts every listed word it begins; a word the statistics do not list is
    rarer than any they do and gets the smallest listed share. Empty without statistics.
    """
    prefix = words[-1] if _star(words) else None
    with connections[db].cursor() as cursor:
        cursor.execute(_SHARES_SQL, [words, prefix, prefix])
        rows = cursor.fetchall()
    listed = {lexeme: share for lexeme, share in rows if lexeme is not None}
    floors = [share for lexeme, share in rows if lexeme is None]
    if not floors:
        return {}
    floor = min(floors)
    shares = {word: listed.get(word, floor) for word in words}
    if prefix is not None:
        begun = sum(share for lexeme, share in listed.items() if lexeme.startswith(prefix))
        shares[prefix] = min(1.0, max(floor, begun))
    return shares


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
