"""SQLite writers wait their turn on a file lock, which every way out of a transaction frees,
and the write-ahead log is checkpointed by a background thread, not by a commit.

These use their own database file and connections (the suite's SQLite database lives in
memory, where there is no other process to queue behind), so they run on either suite.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections, transaction

from tierdesk.core.sqlite import base as sqlite_base
from tierdesk.core.sqlite import checkpoints

ALIASES = ("queue-first", "queue-second")


@pytest.fixture
def database(tmp_path: Path, django_db_blocker) -> Iterator[Path]:
    """Two connections (two writers) to one database file of their own."""
    path = tmp_path / "queue.sqlite3"
    for alias in ALIASES:
        connections.settings[alias] = connections.configure_settings(
            {
                "default": {},
                alias: {
                    "ENGINE": "tierdesk.core.sqlite",
                    "NAME": str(path),
                    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
                },
            }
        )[alias]
    with django_db_blocker.unblock():
        with connections[ALIASES[0]].cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("CREATE TABLE entry (writer TEXT)")
        yield path
        for alias in ALIASES:
            connections[alias].close()
            del connections[alias]
            del connections.settings[alias]


def lock_is_free(path: Path) -> bool:
    descriptor = os.open(f"{path}-writer.lock", os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def test_a_writer_holds_the_queue_from_begin_to_commit(database):
    first = connections["queue-first"]
    with transaction.atomic(using="queue-first"):
        first.cursor().execute("INSERT INTO entry VALUES ('first')")
        assert not lock_is_free(database)
    assert lock_is_free(database)


def test_a_rolled_back_writer_frees_the_queue(database):
    first = connections["queue-first"]

    def failing_command() -> None:
        with transaction.atomic(using="queue-first"):
            first.cursor().execute("INSERT INTO entry VALUES ('first')")
            raise RuntimeError("the command failed")

    with pytest.raises(RuntimeError):
        failing_command()
    assert lock_is_free(database)
    assert first.cursor().execute("SELECT COUNT(*) FROM entry").fetchone() == (0,)


def test_a_connection_closed_mid_transaction_frees_the_queue(database):
    first = connections["queue-first"]
    atomic = transaction.atomic(using="queue-first")
    atomic.__enter__()
    first.cursor().execute("INSERT INTO entry VALUES ('first')")
    first.close()
    assert lock_is_free(database)
    atomic.__exit__(None, None, None)


def test_the_next_writer_begins_when_the_one_ahead_commits_and_both_writes_land(database):
    first, order = connections["queue-first"], []
    second_waiting, second_done = threading.Event(), threading.Event()

    def second_writer() -> None:
        connection = connections["queue-second"]
        second_waiting.set()
        with transaction.atomic(using="queue-second"):
            order.append("second began")
            connection.cursor().execute("INSERT INTO entry VALUES ('second')")
        connection.close()
        second_done.set()

    with transaction.atomic(using="queue-first"):
        first.cursor().execute("INSERT INTO entry VALUES ('first')")
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert second_waiting.wait(10)
        assert not second_done.wait(0.2)  # it cannot begin while the first holds the database
        order.append("first committing")
    thread.join(10)

    assert order == ["first committing", "second began"]
    rows = first.cursor().execute("SELECT writer FROM entry ORDER BY rowid").fetchall()
    assert rows == [("first",), ("second",)]


def test_a_commit_never_checkpoints_and_the_background_thread_does(database, monkeypatch):
    monkeypatch.setattr(checkpoints, "COMMITS_PER_CHECKPOINT", 3)
    first = connections["queue-first"]
    cursor = first.cursor()
    assert cursor.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    worker = checkpoints.checkpointer(str(database))
    before = worker.checkpoints
    for number in range(3):
        with transaction.atomic(using="queue-first"):
            cursor.execute("INSERT INTO entry VALUES (%s)", [f"write {number}"])

    for _ in range(500):  # the thread runs on its own time; give it up to 10 s
        if worker.checkpoints > before:
            break
        threading.Event().wait(0.02)
    assert worker.checkpoints > before
    busy, logged, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, logged) == (0, copied)


def test_a_statement_run_again_takes_its_new_values_and_keeps_literal_percent_signs(database):
    # Each statement text is rewritten to SQLite's placeholders once and then reused.
    reused = sqlite_base._qmark_style.cache_info().hits
    with connections[ALIASES[0]].cursor() as cursor:
        for writer in ("50%", "a%b", "plain"):
            cursor.execute("INSERT INTO entry (writer) VALUES (%s)", [writer])
        assert sqlite_base._qmark_style.cache_info().hits >= reused + 2
        cursor.execute("SELECT '%%s' || %s", ["!"])
        (literal,) = cursor.fetchone()
        found = []
        for ending in ("%", "b"):
            cursor.execute("SELECT writer FROM entry WHERE writer LIKE '%%' || %s", [ending])
            found.append(sorted(row[0] for row in cursor.fetchall()))
        cursor.execute("SELECT writer FROM entry WHERE writer = %(name)s", {"name": "plain"})
        named = cursor.fetchall()

    assert found == [["50%", "a%b", "plain"], ["a%b"]]  # '%%' is one literal %
    assert literal == "%s!"
    assert named == [("plain",)]
