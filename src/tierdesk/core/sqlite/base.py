"""Django's SQLite backend, with writers queued on a file lock instead of SQLite's retries.

SQLite lets one transaction write at a time; every tierdesk transaction takes that lock at
BEGIN (``transaction_mode = IMMEDIATE``). A process that finds it taken is left by SQLite's
busy handler to sleep and retry, 1, 2, 5, 10, 15, 20, 25… ms apart: under two web workers
and a scheduler, a write of 3 ms often waited 10–25 ms after the lock was free, which is
most of a request's p99. Here a writer first takes an exclusive ``flock`` on a file next to
the database and then begins: a waiter sleeps in the kernel and wakes the moment the writer
ahead of it commits or rolls back. A process that dies releases its lock with it.

The file lock only queues tierdesk's own writers; SQLite's lock still decides who writes,
so anything else writing the file (a ``sqlite3`` shell) is as safe as before. Like a row
lock on PostgreSQL, a writer waits as long as the one ahead of it holds the database, where
SQLite gave up after the busy timeout with "database is locked".

The write-ahead log is checkpointed by a background thread, not by the commit that happens
to cross a threshold (see :mod:`tierdesk.core.sqlite.checkpoints`).
"""

from __future__ import annotations

import fcntl
import functools
import os
from typing import Any

from django.db.backends.sqlite3 import base

from tierdesk.core.sqlite.checkpoints import checkpointer


class DatabaseWrapper(base.DatabaseWrapper):
    # The hooks overridden here are Django's own transaction steps, not in django-stubs.

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_lock: int | None = None
        self._writing = False

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)

    def get_new_connection(self, conn_params: Any) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            connection.execute("PRAGMA wal_autocheckpoint=0")
        return connection

    def _start_transaction_under_autocommit(self) -> None:
        self._queue_for_writing()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._done_writing()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            wrote = self._writing
            self._done_writing()
        if wrote:
            checkpointer(str(self.settings_dict["NAME"])).committed()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._done_writing()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._done_writing()
            if self._writer_lock is not None:
                os.close(self._writer_lock)
                self._writer_lock = None

    def _queue_for_writing(self) -> None:
        if self.is_in_memory_db():
            return
        if self._writer_lock is None:
            path = f"{self.settings_dict['NAME']}-writer.lock"
            self._writer_lock = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._writer_lock, fcntl.LOCK_EX)
        self._writing = True

    def _done_writing(self) -> None:
        if self._writing and self._writer_lock is not None:
            fcntl.flock(self._writer_lock, fcntl.LOCK_UN)
        self._writing = False


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's SQLite cursor, which rewrites every statement's ``%s`` placeholders into
    SQLite's ``?`` with a regular expression on each execute: for the long INSERTs of a new
    ticket that rewriting cost about a thirtieth of a mail import. The desk runs the
    same few hundred statement texts all day, so each is rewritten once. The cache is
    bounded: texts that vary (an ``IN`` list of every length) take slots of it and drop
    out again, and a text longer than ``CACHED_TEXT_MAX`` is rewritten every time."""

    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None and len(query) <= CACHED_TEXT_MAX:
            return _qmark_style(query)
        return str(super().convert_query(query, param_names=param_names))  # type: ignore[misc]


CACHED_TEXT_MAX = 4096


@functools.lru_cache(maxsize=1024)
def _qmark_style(query: str) -> str:
    return str(base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%"))
