"""The effects of firing timers on one locked ticket, collected so a batch writes them together.

A handler changes the ticket in memory and records what else its firing owes: audit events,
alerts, re-armed timers. :func:`write` then saves a whole batch of firings with a fixed number
of statements (one ticket update, one event insert, one timer delete and insert, one
notification insert), whatever the batch size.

A handler that runs a command on the ticket (an automatic escalation, an automatic close) runs
it inside the batch, in :meth:`Firing.command`: the command's body is the one its API calls
(it takes a :class:`~tierdesk.tickets.services.held.Held`, which a firing is), its event,
timers and notifications join the batch's writes, and if it fails it is undone whole: by
its savepoint, or, in a batch of several tickets (which leaves savepoints out), by the
batch's rollback before the batch is fired ticket by ticket. The command is the handler's
last step, and the ticket's later due timers are read afresh after the batch is written
(the command may have re-armed or cleared them).
"""

from __future__ import annotations

import copy
import functools
import operator
import pickle
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from tierdesk.accounts.models import User
from tierdesk.audit.batch import flush_many
from tierdesk.audit.services import AuditTrail, ticket_chain
from tierdesk.core.rows import build, insert_many, update_many, update_one
from tierdesk.notifications import services as notifications
from tierdesk.notifications.models import Notification
from tierdesk.org.selectors import people_with_role
from tierdesk.scheduler.models import Timer
from tierdesk.scheduler.timers import Rearm, TimerSpec, deferred
from tierdesk.tickets.models import Ticket

SYSTEM_CHANNEL = "system"
# The ticket columns a handler may change without a command; restored if the handler fails.
FLAG_FIELDS = ("first_response_breached", "resolution_breached", "ola_breached")


@dataclass
class Alert:
    kind: str
    recipients: list[User]
    what: str
    dedup: str


@dataclass
class Roles:
    """People by org role, read once per batch (the roles of a hierarchy step's recipients)."""

    found: dict[str, list[User]] = field(default_factory=dict)

    def people(self, role: str) -> list[User]:
        if role not in self.found:
            self.found[role] = people_with_role(role)
        return self.found[role]


@dataclass
class Checkpoint:
    snapshot: bytes  # a deep copy of the ticket's SLA snapshot, pickled
    values: tuple[Any, ...]
    saved: frozenset[str]
    events: int
    alerts: int
    rearms: int
    notices: int


@dataclass
class Firing:
    """What firing timers did to one ticket (held under its row lock) at ``now``."""

    ticket: Ticket
    now: datetime
    roles: Roles = field(default_factory=Roles)
    commanded: bool = False  # a command ran on the ticket: it was written, timers may differ
    # Kinds whose timer fired here: the batch deletes their rows before it re-arms any.
    fired_kinds: set[str] = field(default_factory=set)
    saved: set[str] = field(default_factory=set)
    alerts: list[Alert] = field(default_factory=list)
    rearms: list[Rearm] = field(default_factory=list)
    # What commands owe people, written with the batch: an insert per escalation (a team's
    # members each) was a fifth of firing an automatic escalation.
    notices: list[Notification] = field(default_factory=list)
    trail: AuditTrail = field(init=False)

    def __post_init__(self) -> None:
        self.trail = AuditTrail(
            chain=ticket_chain(self.ticket.pk),
            actor_id=None,
            channel=SYSTEM_CHANNEL,
            at=self.now,
            ticket_id=self.ticket.pk,
        )

    def save(self, *fields: str) -> None:
        """Like a command's save: one version per firing that changed the ticket."""
        self.ticket.version += 1
        self.ticket.updated_at = self.now
        self.saved.update(fields)

    def event(self, kind: str, **values: Any) -> None:
        self.trail.add(kind, **values)

    def alert(self, kind: str, recipients: Iterable[User], what: str, *, dedup: str) -> None:
        self.alerts.append(Alert(kind, list(recipients), what, dedup))

    def arm(self, specs: Sequence[TimerSpec], *, replace: Iterable[str] = ()) -> None:
        self.rearms.append(Rearm(list(specs), list(replace)))

    @contextmanager
    def command(self) -> Iterator[None]:
        """Run a command body on the held ticket inside the batch; the handler's last step.

        The command's events, timers and notifications join this firing's, written with
        the batch (the timers after the batch deletes its fired ones). The ticket is written
        when the command ends, so that a later command in the batch reads it as it would
        after this one run by hand (picking an assignee counts open work). Rows only a
        command writes (a hop, a stint) are written as it goes. A command that raises is
        undone whole on the ticket, and in the database by its savepoint where the batch
        has them (a batch of one ticket, a timer fired alone); in a batch of several
        tickets the failure spoils the batch, which is rolled back and fired apart. The
        exception propagates to the handler.
        """
        point, whole = self.checkpoint(), _whole(self.ticket)
        owed: list[Notification] = []
        try:
            with (
                transaction.atomic(),
                deferred(self.ticket.pk, self.rearms),
                notifications.held_back(owed),
            ):
                yield
                update_one(self.ticket, self.saved | {"version", "updated_at"})
        except BaseException:
            self.restore(point)
            _restore_whole(self.ticket, whole)
            raise
        self.notices += owed
        self.saved.clear()
        self.commanded = True

    def checkpoint(self) -> Checkpoint:
        ticket = self.ticket
        return Checkpoint(
            # Pickled, not JSON-encoded: a deep copy at 4 µs a checkpoint where JSON's
            # encoder took 13 (one is taken before every handler), and the enum members
            # the snapshot holds in memory come back as they were, not as strings.
            snapshot=pickle.dumps(ticket.sla_snapshot, pickle.HIGHEST_PROTOCOL),
            values=(ticket.version, ticket.updated_at, *(getattr(ticket, f) for f in FLAG_FIELDS)),
            saved=frozenset(self.saved),
            events=len(self.trail.pending),
            alerts=len(self.alerts),
            rearms=len(self.rearms),
            notices=len(self.notices),
        )

    def restore(self, point: Checkpoint) -> None:
        """Undo a handler that failed half-way: the ticket and the owed effects as before it."""
        ticket = self.ticket
        ticket.sla_snapshot = pickle.loads(point.snapshot)
        ticket.version, ticket.updated_at, *flags = point.values
        for name, value in zip(FLAG_FIELDS, flags, strict=True):
            setattr(ticket, name, value)
        self.saved = set(point.saved)
        del self.trail.pending[point.events :]
        del self.alerts[point.alerts :]
        del self.rearms[point.rearms :]
        del self.notices[point.notices :]


def _whole(ticket: Ticket) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every column of the ticket, and the related rows it holds, as they are now."""
    values = {f.attname: _kept(getattr(ticket, f.attname)) for f in ticket._meta.concrete_fields}
    return values, dict(ticket._state.fields_cache)


def _kept(value: Any) -> Any:
    """A copy of a column's value that a command cannot change: only JSON columns hold
    mutable values (deep-copying every column was a twentieth of an escalation)."""
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


def _restore_whole(ticket: Ticket, whole: tuple[dict[str, Any], dict[str, Any]]) -> None:
    values, related = whole
    for name, value in values.items():
        setattr(ticket, name, value)
    ticket._state.fields_cache = related


def write(firings: Sequence[Firing]) -> None:
    """Save the tickets, append the events, re-arm the timers and owe the alerts of a batch.

    Runs in the batch's transaction, which holds every ticket's row lock.
    """
    changed = [f for f in firings if f.saved]
    if changed:
        fields = sorted(set().union(*(f.saved for f in changed)) | {"version", "updated_at"})
        update_many([f.ticket for f in changed], fields)
        for firing in changed:
            firing.saved.clear()
    flush_many([f.trail for f in firings])
    _rearm(firings)
    with notifications.one_write() as owed:
        for firing in firings:
            owed += firing.notices
            firing.notices.clear()
            for alert in firing.alerts:
                notifications.sla_alert(
                    firing.ticket, alert.kind, alert.recipients, alert.what, dedup=alert.dedup
                )
            firing.alerts.clear()


def _rearm(firings: Sequence[Firing]) -> None:
    """Re-armed timers replace their kinds with new rows (see :func:`scheduler.timers.arm`).

    Only kinds that may still have a row are cleared: a fired timer's row is gone already
    (one row per kind), so a hierarchy step re-arming its own kind deletes nothing. The rest
    are grouped by the kinds cleared, so the delete names a few lists of tickets rather than
    one condition per ticket, which cost more to build than the delete took to run.
    """
    cleared: dict[tuple[str, ...], list[int]] = {}
    fresh: dict[tuple[int, str], Timer] = {}
    for firing in firings:
        ticket_id = firing.ticket.pk
        for rearm in firing.rearms:
            kinds = set(rearm.replace) | {spec.kind for spec in rearm.specs}
            if rearm.replace and kinds:
                if stored := kinds - firing.fired_kinds:
                    cleared.setdefault(tuple(sorted(stored)), []).append(ticket_id)
                for kind in kinds:
                    fresh.pop((ticket_id, kind), None)
            for spec in rearm.specs:
                fresh[(ticket_id, spec.kind)] = build(
                    Timer, ticket_id=ticket_id, kind=spec.kind, due_at=spec.due_at, step=spec.step
                )
        firing.rearms.clear()
    if cleared:
        Timer.objects.filter(
            functools.reduce(
                operator.or_,
                (Q(kind__in=kinds, ticket_id__in=tickets) for kinds, tickets in cleared.items()),
            )
        ).delete()
    if fresh:
        insert_many(list(fresh.values()))
