"""A ticket under its row lock, and where a command's changes to it go.

A command that the scheduler also runs (closing a resolved ticket, escalating a ticket whose
tier budget ran out) is written once, as a body that takes a :class:`Held`: the ticket, the
time, the audit trail, and ``save``. Called by hand, the command locks the ticket itself and
writes through :class:`Locked` when the body is done; fired by a timer, the same body runs on
the scheduler's :class:`~tierdesk.scheduler.firing.Firing`, which writes many tickets' changes
with a few statements per batch. Either way the guards, the events and the state are the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from tierdesk.accounts.models import User
from tierdesk.audit.services import AuditTrail
from tierdesk.core.rows import update_one
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services._common import trail_for


class Held(Protocol):
    """What a command body needs: the locked ticket, its time, its trail, and ``save``."""

    ticket: Ticket
    now: datetime
    trail: AuditTrail

    def save(self, *fields: str) -> None:
        """One new version of the ticket with these columns changed (written by the holder)."""


@dataclass
class Locked:
    """A ticket the command locked in its own transaction; :meth:`write` saves its changes
    and appends its events before the transaction ends."""

    ticket: Ticket
    now: datetime
    trail: AuditTrail
    saved: list[str] = field(default_factory=list)

    @classmethod
    def by(cls, ticket: Ticket, actor: User | None, channel: str, now: datetime) -> Locked:
        return cls(ticket, now, trail_for(ticket, actor, channel, now))

    def save(self, *fields: str) -> None:
        self.ticket.version += 1
        self.ticket.updated_at = self.now
        self.saved.extend(name for name in fields if name not in self.saved)

    def write(self) -> None:
        if self.saved:
            update_one(self.ticket, {*self.saved, "version", "updated_at"})
            self.saved.clear()
        self.trail.flush()
