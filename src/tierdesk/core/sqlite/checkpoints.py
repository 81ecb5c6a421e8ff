"""Checkpointing the SQLite write-ahead log in a background thread, off the request path.

SQLite's automatic checkpoint runs inside the COMMIT that crosses its page threshold: that
request copies the log into the database and fsyncs it (40–57 ms measured at 10,000 pages,
every ~140th new ticket), and, since a commit ends only after it, the next writer queued
behind it waits as well. tierdesk connections turn the automatic checkpoint off; each
process instead keeps one thread per database file that runs a PASSIVE checkpoint (which
never blocks readers or writers) after every :data:`COMMITS_PER_CHECKPOINT` commits of the
process, or :data:`IDLE_SECONDS` after the last one. Closing the last connection to a
database checkpoints it too (SQLite does that itself).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

# A new ticket writes ~70 pages: 50 commits are ~14 MB of log per checkpoint.
COMMITS_PER_CHECKPOINT = 50
IDLE_SECONDS = 1.0


class Checkpointer:
    """The checkpoint thread of one database file in this process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pending = 0  # commits since the last checkpoint began
        self.checkpoints = 0
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"wal-checkpoint {path}", daemon=True
        )
        self._thread.start()

    def committed(self) -> None:
        self.pending += 1
        if self.pending >= COMMITS_PER_CHECKPOINT:
            self._wake.set()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=20, isolation_level=None)
        while True:
            self._wake.wait(IDLE_SECONDS)
            self._wake.clear()
            if not self.pending:
                continue
            self.pending = 0
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                log.warning(
                    "checkpoint of %s failed; the next one retries", self.path, exc_info=True
                )
            self.checkpoints += 1


_lock = threading.Lock()
_checkpointers: dict[tuple[int, str], Checkpointer] = {}


def checkpointer(path: str) -> Checkpointer:
    """This process's checkpointer of ``path`` (a forked process starts its own thread)."""
    key = (os.getpid(), path)
    found = _checkpointers.get(key)
    if found is None:
        with _lock:
            found = _checkpointers.get(key) or Checkpointer(path)
            _checkpointers[key] = found
    return found
