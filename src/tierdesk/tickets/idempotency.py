"""Idempotency-Key support for create commands, safe across processes.

A key already recorded replays its first result without doing any work. Otherwise the work
runs and the key's record is inserted at its end, in the same transaction: of two requests
racing with one key, the second blocks on the unique index until the first commits, then
fails, rolls its work back and replays the first result. Recording the key last (rather than
first and then updating it with the result) costs one statement less on every create.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple, TypeVar

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.core.errors import InvalidInput
from tierdesk.core.pipeline import pipelined
from tierdesk.core.rows import insert_many
from tierdesk.tickets.models import IdempotencyRecord

T = TypeVar("T")
KEY_MAX = 200


def run_once(
    user: User,
    scope: str,
    key: str | None,
    fingerprint: str,
    create: Callable[[], T],
    load: Callable[[int], T],
    object_id: Callable[[T], int],
) -> T:
    return run_once_planned(user, scope, key, fingerprint, lambda: create, load, object_id)


def run_once_planned(
    user: User,
    scope: str,
    key: str | None,
    fingerprint: str,
    plan: Callable[[], Callable[[], T]],
    load: Callable[[int], T],
    object_id: Callable[[T], int],
    *,
    pipelined_write: bool = False,
) -> T:
    """:func:`run_once` for a command split in two: ``plan()`` reads and validates before
    the write transaction opens and returns the write, which runs inside it.

    SQLite lets one writer at a time hold the database: whatever a command can decide before
    its transaction (routing, SLA targets, validation) is then not done under that lock. A
    replayed key runs neither step.

    ``pipelined_write`` says the write may run pipelined (see ``core.pipeline``): then, in a
    transaction of its own, the write's last statements, the key's record and the COMMIT
    go to PostgreSQL together.
    """
    if key is None:
        write = plan()
        with _transaction(pipelined_write):
            return write()
    key = key.strip()
    if not key or len(key) > KEY_MAX or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key must be 1–{KEY_MAX} printable characters", field="Idempotency-Key"
        )
    existing = _recorded(user, scope, key)
    if existing is not None:
        return _replay(existing, fingerprint, load)
    write = plan()
    try:
        with _transaction(pipelined_write):
            result = write()
            insert_many(
                [
                    IdempotencyRecord(
                        user=user,
                        scope=scope,
                        key=key,
                        request_hash=fingerprint,
                        object_id=object_id(result),
                        created_at=timezone.now(),
                    )
                ]
            )
            return result
    except IntegrityError:
        existing = _recorded(user, scope, key)
        if existing is None:
            raise
        return _replay(existing, fingerprint, load)


@contextmanager
def _transaction(pipelined_write: bool) -> Iterator[None]:
    if pipelined_write and not connection.in_atomic_block:
        # An error then surfaces at the COMMIT, which rolls the transaction back and raises
        # it as Django's (a lost race for the key is still an IntegrityError). Nested in
        # another transaction the write is not held back from its own savepoint's release.
        with pipelined(), transaction.atomic():
            yield
    else:
        with transaction.atomic():
            yield


class _Recorded(NamedTuple):
    request_hash: str
    object_id: int


def _recorded(user: User, scope: str, key: str) -> _Recorded | None:
    """The key's record, by its unique index. Raw SQL: every create asks, almost always to
    learn there is none, and the ORM took fifteen times the query's cost to build it."""
    with connection.cursor() as cursor:
        cursor.execute(_recorded_sql(), [user.pk, scope, key])
        row = cursor.fetchone()
    return None if row is None else _Recorded(*row)


@functools.cache
def _recorded_sql() -> str:
    quote, table = connection.ops.quote_name, IdempotencyRecord._meta.db_table
    return (
        f"SELECT {quote('request_hash')}, {quote('object_id')} FROM {quote(table)}"
        f" WHERE {quote('user_id')} = %s AND {quote('scope')} = %s AND {quote('key')} = %s"
    )


def _replay(record: _Recorded, fingerprint: str, load: Callable[[int], T]) -> T:
    if record.request_hash != fingerprint:
        raise InvalidInput(
            "Idempotency-Key was already used for a different request", field="Idempotency-Key"
        )
    return load(record.object_id)
