"""Running a batch of independent units in one transaction without a savepoint for each.

A batch (a mail import's messages) writes many units in one transaction, and the
``transaction.atomic()`` of each unit, and of each command inside it, opens a savepoint so
that a unit that fails takes back its own writes alone. Nearly every unit succeeds, and the
savepoints are then pure cost: on PostgreSQL a SAVEPOINT and its RELEASE are two round
trips and two statements for the server, and a message of the mail benchmark's mix opened
two or three (five of its eighteen statements, on average). :func:`left_out` runs a block
with none: a nested atomic block that fails then marks the whole transaction for rollback,
as Django does for ``atomic(savepoint=False)``, whether or not its exception is caught, and
every later statement in the transaction raises. The caller checks :func:`spoiled` after
each unit, and on a spoiled batch rolls it all back and runs its units again with
savepoints, where the failing unit is handled alone.

Django has no switch for this: ``atomic(savepoint=False)`` covers only the block that says
so, and the commands nested in a unit open their own. The connection's
``_savepoint_allowed`` (what Django asks before every savepoint, on every backend) is
shadowed for the block instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

_ALLOWED = "_savepoint_allowed"


def _never() -> bool:
    return False


@contextmanager
def left_out(using: str | None = None) -> Iterator[None]:
    """No savepoints for the atomic blocks nested in this one, inside a transaction."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise RuntimeError("savepoints can only be left out inside a transaction")
    shadowed = vars(connection).get(_ALLOWED)
    if shadowed is _never:
        yield  # already left out by an enclosing block
        return
    setattr(connection, _ALLOWED, _never)
    try:
        yield
    finally:
        if shadowed is None:
            delattr(connection, _ALLOWED)
        else:
            setattr(connection, _ALLOWED, shadowed)


class Spoiled(Exception):
    """A unit of a batch without savepoints failed: the batch can only be rolled back."""


def spoiled(using: str | None = None) -> bool:
    """Whether a block failed where no savepoint could undo it: the transaction can only be
    rolled back.

    Django's flag: a database error caught outside any atomic block leaves a PostgreSQL
    transaction aborted without setting it (the next statement still raises), which code
    in a batch must not do anyway (see ``core.pipeline``).
    """
    return bool(transaction.get_connection(using).needs_rollback)


def ensure_intact(using: str | None = None) -> None:
    """Raise :class:`Spoiled` if a failure was caught where no savepoint could undo it: at
    its end Django would roll the transaction back without a word."""
    if spoiled(using):
        raise Spoiled("a failure was caught where no savepoint could undo it")
