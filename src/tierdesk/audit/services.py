"""Writing audit events. Every command records its changes through an :class:`AuditTrail`.

A trail collects the events of one command and writes them with one insert and one head
update at the end, inside the command's transaction: the chain head row is the per-ticket
lock that orders concurrent writers on the same ticket and nothing else.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from tierdesk.audit.chain import GENESIS, canonical, head_mac, link
from tierdesk.audit.models import ChainHead, Event
from tierdesk.core.rows import build, insert_many, update_one


def audit_key() -> bytes:
    return str(settings.AUDIT_KEY).encode()


def key_signs_this_database(key: bytes | None = None) -> bool:
    """Whether the audit key (by default this process's) is the one the database's chains
    were written with: the first chain head carries its MAC under that key. An empty desk
    has no head yet, and any key will do.

    A process given another installation's key (another data directory) writes chains that
    the desk's own key then reads as tampered with; a tool about to write into a database
    it did not create asks this first.
    """
    head = ChainHead.objects.order_by("pk").first()
    if head is None:
        return True
    return head.mac == head_mac(key or audit_key(), head.chain, head.seq, head.hash)


def ticket_chain(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


ORG_CHAIN = "org"


@dataclass
class PendingEvent:
    kind: str
    field: str = ""
    before: Any = None
    after: Any = None
    note: str = ""
    data: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass
class AuditTrail:
    chain: str
    actor_id: int | None
    channel: str
    at: datetime
    ticket_id: int | None = None
    pending: list[PendingEvent] = dataclasses.field(default_factory=list)

    def add(self, kind: str, **values: Any) -> None:
        self.pending.append(PendingEvent(kind=kind, **values))

    def change(self, field_name: str, before: Any, after: Any) -> None:
        if before != after:
            self.add("field_changed", field=field_name, before=before, after=after)

    def linked_events(self, key: bytes, seq: int, prev: str) -> tuple[list[Event], int, str]:
        """The pending events as rows chained after (``seq``, ``prev``), and the new tip.

        Every writer of a chain builds its rows here, so the hash covers exactly the columns
        that are stored, the same way everywhere.
        """
        events = []
        for pending in self.pending:
            seq += 1
            hashed = {
                "chain": self.chain,
                "seq": seq,
                "ticket_id": self.ticket_id,
                "actor_id": self.actor_id,
                "channel": self.channel,
                "kind": pending.kind,
                "field": pending.field,
                "before": pending.before,
                "after": pending.after,
                "note": pending.note,
                "data": pending.data,
                "created_at": self.at,
            }
            digest = link(key, prev, canonical(**hashed))
            events.append(build(Event, **hashed, prev_hash=prev, hash=digest))
            prev = digest
        return events, seq, prev

    def flush(self, *, new_chain: bool = False) -> list[Event]:
        """Append the pending events to the chain. Must run inside the command's transaction.

        ``new_chain`` skips reading the head for a chain that cannot exist yet (a ticket
        created in this transaction), saving a query on the hottest path.
        """
        if not self.pending:
            return []
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("audit events must be written inside the command's transaction")
        head = None if new_chain else _locked_head(self.chain)
        seq, prev = head or (0, GENESIS)
        key = audit_key()
        events, seq, prev = self.linked_events(key, seq, prev)
        insert_many(events)
        mac = head_mac(key, self.chain, seq, prev)
        if head is None:
            insert_many([ChainHead(chain=self.chain, seq=seq, hash=prev, mac=mac)])
        else:
            update_one(ChainHead(chain=self.chain, seq=seq, hash=prev, mac=mac), HEAD_MOVES)
        self.pending.clear()
        return events


HEAD_MOVES = ("seq", "hash", "mac")


def _locked_head(chain: str) -> tuple[int, str] | None:
    """The chain's (seq, hash), its row locked until the transaction ends; None for a new
    chain. Read for every command on a ticket, so in SQL built once."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_head_sql(), [chain])
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


@functools.cache
def _lock_head_sql() -> str:
    quote = connection.ops.quote_name
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT {quote('seq')}, {quote('hash')} FROM {quote(ChainHead._meta.db_table)}"
        f" WHERE {quote('chain')} = %s{lock}"
    )
