"""Fast inserts of generated rows: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Columns are taken from the models, so a column added later by a migration is filled with its
model default instead of breaking the generator. Nothing that migrations own is dropped or
recreated: indexes, triggers and constraints stay in place while rows go in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import AutoField, BigAutoField, Model

from tierdesk.audit.models import ChainHead, Event
from tierdesk.bench.columns import (
    COMMENT_FIELDS,
    EVENT_FIELDS,
    HEAD_FIELDS,
    HOP_FIELDS,
    PAIR_FIELDS,
    PARTICIPATION_FIELDS,
    STINT_FIELDS,
    TICKET_FIELDS,
    TIMER_FIELDS,
)
from tierdesk.bench.synth import Rows
from tierdesk.escalations.models import Escalation
from tierdesk.scheduler.models import Timer
from tierdesk.tickets import opencounts
from tierdesk.tickets.models import Comment, OpenTicketCount, Participation, Ticket, TierStint

_EPOCH = datetime(1970, 1, 1)


@lru_cache(maxsize=1 << 16)
def sqlite_time(ts: int | None) -> str | None:
    """Django's SQLite storage form of an aware datetime: naive UTC text."""
    if ts is None:
        return None
    return (_EPOCH + timedelta(seconds=ts)).isoformat(" ")


@lru_cache(maxsize=1 << 16)
def postgres_time(ts: int | None) -> str | None:
    if ts is None:
        return None
    return (_EPOCH + timedelta(seconds=ts)).isoformat(" ") + "+00"


def time_format() -> Any:
    return postgres_time if connection.vendor == "postgresql" else sqlite_time


class Table:
    """Where one kind of generated row goes, and the defaults of the columns it leaves out."""

    def __init__(self, name: str, model: type[Model], fields: Sequence[str]) -> None:
        self.name, self.model = name, model
        concrete = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(fields) - set(concrete)
        if unknown:
            raise RuntimeError(f"{model.__name__} has no field(s) {sorted(unknown)}")
        rest = [
            f
            for name_, f in concrete.items()
            if name_ not in fields and not isinstance(f, AutoField | BigAutoField)
        ]
        self.columns = [concrete[f].column for f in fields] + [f.column for f in rest]
        self.defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        self.table = model._meta.db_table

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        if self.defaults:
            rows = [row + self.defaults for row in rows]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {quote(self.table)} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})", rows
                )


TABLES = (
    ("tickets", Ticket, TICKET_FIELDS),
    ("comments", Comment, COMMENT_FIELDS),
    ("stints", TierStint, STINT_FIELDS),
    ("hops", Escalation, HOP_FIELDS),
    ("timers", Timer, TIMER_FIELDS),
    ("participations", Participation, PARTICIPATION_FIELDS),
    ("watchers", Ticket.watchers.through, PAIR_FIELDS),
    ("events", Event, EVENT_FIELDS),
    ("heads", ChainHead, HEAD_FIELDS),
)


class Writer:
    """Writes batches; on SQLite it also keeps the write-ahead log from growing without end.

    Two writers alternating without pause starve SQLite's automatic (passive) checkpoints,
    and the WAL grew past the database itself at a million tickets; a truncating checkpoint
    every ``CHECKPOINT_EVERY`` batches keeps it small.
    """

    CHECKPOINT_EVERY = 10

    def __init__(self) -> None:
        self.tables = [Table(name, model, fields) for name, model, fields in TABLES]
        self.counts: dict[str, int] = {name: 0 for name, _, _ in TABLES}
        self.batches = 0
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB for this connection

    def write(self, rows: Rows) -> None:
        """All rows of one batch in one transaction: a batch is there completely or not."""
        with transaction.atomic():
            for table in self.tables:
                data = getattr(rows, table.name)
                if data:
                    table.insert(data)
                    self.counts[table.name] += len(data)
        self.batches += 1
        if connection.vendor == "sqlite" and self.batches % self.CHECKPOINT_EVERY == 0:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def finish() -> None:
    """Move id sequences past the explicit ids and refresh the planner's statistics.

    On PostgreSQL every table is vacuumed too (outside a transaction only), leaving it as
    on a desk that has lived with autovacuum: the text index's pending list merged (searches
    at a million tickets scanned 444 pending pages), pages marked all-visible for index-only
    scans and their rows' commit status recorded. Left to autovacuum, that work (a scan of
    the 3 GB event table among it) ran during the first scenarios after a generation.
    """
    opencounts.fold()  # the triggers wrote a change row for each open ticket
    models = [model for _, model, _ in TABLES] + [OpenTicketCount]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for model in models:
                cursor.execute(f"{verb} {quote(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")
