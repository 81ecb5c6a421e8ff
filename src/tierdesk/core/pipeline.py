"""Sending a command's statements without waiting for each answer (PostgreSQL).

A ticket's creation writes a dozen rows whose statements do not depend on each other's
results. One at a time, each costs a round trip to the server: on a busy two-core machine
that waiting was a third of a create. In psycopg's pipeline mode the statements go out
back to back and the client waits only where it reads a result (a ``RETURNING`` id, a
``SELECT``) and when the block ends.

Errors then surface where the client next waits, not at the statement that caused them:
still inside the block, so still inside the caller's transaction, and as Django's own
exceptions (an ``IntegrityError`` stays an ``IntegrityError``). Code in the block must not
read ``cursor.rowcount`` (unknown until the answers arrive) nor catch a database error to
carry on: it sees it late. On SQLite the block does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from psycopg import pq


@contextmanager
def pipelined() -> Iterator[None]:
    """Send the block's statements as a pipeline; all their answers are in at its end."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    if connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF:
        yield  # part of the enclosing block: its answers are in at that block's end
        return
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield
