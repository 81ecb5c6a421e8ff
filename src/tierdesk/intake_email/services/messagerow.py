"""Writing a message's row once: an import inserts it with its outcome after the commands
ran, unless an attachment or an event needs its id earlier."""

from __future__ import annotations

from django.db import IntegrityError

from tierdesk.core.rows import insert_one
from tierdesk.intake_email.models import InboundMessage


class AlreadyStored(Exception):
    """The row broke the one-copy-per-mailbox constraint: someone else stored these bytes
    for the mailbox first. Raised from the ``IntegrityError``."""


def insert_row(message: InboundMessage) -> None:
    """Insert the row of a message that is not stored yet."""
    try:
        insert_one(message)
    except IntegrityError as exc:
        raise AlreadyStored(message.content_hash) from exc


def stored_pk(message: InboundMessage) -> int:
    """The message's id, inserting its row first when it has none yet."""
    if message.pk is None:
        insert_row(message)
    return int(message.pk)
