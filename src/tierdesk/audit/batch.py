"""Writing the audit events of many chains at once (the scheduler fires hundreds of timers in
one transaction).

The same chain as :meth:`tierdesk.audit.services.AuditTrail.flush` writes, event for event
and byte for byte: the hashed fields, :mod:`tierdesk.audit.chain`'s hashing and the head MAC
are identical; only the round trips are shared: one head read, one event insert and one head
upsert for the whole batch instead of three statements per chain.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from tierdesk.audit.chain import GENESIS, head_mac
from tierdesk.audit.models import ChainHead, Event
from tierdesk.audit.services import AuditTrail, audit_key
from tierdesk.core.rows import insert_many


def flush_many(trails: Sequence[AuditTrail]) -> list[Event]:
    """Append every trail's pending events to its chain, in the order given.

    Several trails may name the same chain; their events follow each other in that order.
    Must run inside the callers' transaction, which holds the subjects' locks (the ticket
    rows); the heads are still locked here, in chain order, as every writer locks them.
    """
    trails = [trail for trail in trails if trail.pending]
    if not trails:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events must be written inside the command's transaction")
    chains = sorted({trail.chain for trail in trails})
    heads = {
        head.chain: head
        for head in ChainHead.objects.select_for_update().filter(chain__in=chains).order_by("chain")
    }
    tips = {
        chain: (heads[chain].seq, heads[chain].hash) if chain in heads else (0, GENESIS)
        for chain in chains
    }
    key = audit_key()
    events = []
    for trail in trails:
        chained, seq, prev = trail.linked_events(key, *tips[trail.chain])
        events += chained
        tips[trail.chain] = (seq, prev)
        trail.pending.clear()
    insert_many(events)
    # One upsert moves the existing heads and creates the new ones (bulk_update's CASE per
    # row and column costs more than the hashing).
    ChainHead.objects.bulk_create(
        [
            ChainHead(chain=chain, seq=seq, hash=digest, mac=head_mac(key, chain, seq, digest))
            for chain, (seq, digest) in tips.items()
        ],
        update_conflicts=True,
        unique_fields=["chain"],
        update_fields=["seq", "hash", "mac"],
    )
    return events
