"""Checking the audit chains: any edit, deletion or truncation without the key is found."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Q

from tierdesk.audit.chain import GENESIS, canonical, head_mac, link
from tierdesk.audit.models import ChainHead, Event
from tierdesk.audit.services import audit_key

BATCH = 5000


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int | None
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event {self.event_id} (seq {self.seq})" if self.event_id else "chain head"
        return f"{self.chain}: {where}: {self.reason}"


@dataclass
class Report:
    events: int = 0
    chains: int = 0
    first_break: Break | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


class Row(NamedTuple):
    id: int
    chain: str
    seq: int
    ticket_id: int | None
    actor_id: int | None
    channel: str
    kind: str
    field: str
    before: Any
    after: Any
    note: str
    data: Any
    created_at: datetime
    prev_hash: str
    hash: str


def _rows() -> Iterator[Row]:
    """Events in chain order, streamed by keyset pages so memory stays flat."""
    last_chain, last_seq = "", 0
    while True:
        after_cursor = Q(chain__gt=last_chain) | Q(chain=last_chain, seq__gt=last_seq)
        page = [
            Row(*values)
            # chain__gte gives PostgreSQL an index range; the OR alone became a filter over
            # every remaining event on each page.
            for values in Event.objects.filter(after_cursor, chain__gte=last_chain)
            .order_by("chain", "seq")
            .values_list(*Row._fields)[:BATCH]
        ]
        if not page:
            return
        yield from page
        last_chain, last_seq = page[-1].chain, page[-1].seq


def _payload(row: Row) -> bytes:
    return canonical(
        chain=row.chain,
        seq=row.seq,
        ticket_id=row.ticket_id,
        actor_id=row.actor_id,
        channel=row.channel,
        kind=row.kind,
        field=row.field,
        before=row.before,
        after=row.after,
        note=row.note,
        data=row.data,
        created_at=row.created_at,
    )


def verify(progress: Callable[[int], None] | None = None) -> Report:
    """Walk every chain; stop at the first broken event and name it."""
    key = audit_key()
    heads = {}
    for head in ChainHead.objects.all():
        if head.mac != head_mac(key, head.chain, head.seq, head.hash):
            report = Report()
            report.first_break = Break(
                head.chain, None, None, "the chain head was altered (its keyed MAC does not match)"
            )
            return report
        heads[head.chain] = (head.seq, head.hash)
    report = Report()
    chain, expected_seq, prev = "", 0, GENESIS
    seen: set[str] = set()

    def end_of(chain: str) -> Break | None:
        seen.add(chain)
        if heads.get(chain) != (expected_seq, prev):
            recorded = heads.get(chain, (None, None))[0]
            return Break(
                chain,
                None,
                None,
                f"chain ends at seq {expected_seq} but its head says "
                f"{recorded if recorded is not None else 'nothing'}: "
                "events were removed or the head edited",
            )
        return None

    for row in _rows():
        if row.chain != chain:
            if chain and (broken := end_of(chain)):
                report.first_break = broken
                return report
            chain, expected_seq, prev = row.chain, 0, GENESIS
            report.chains += 1
        expected_seq += 1
        if row.seq != expected_seq or row.prev_hash != prev:
            report.first_break = Break(
                chain,
                row.seq,
                row.id,
                f"expected seq {expected_seq} after the previous event: "
                "an event before it was deleted or altered",
            )
            return report
        if link(key, prev, _payload(row)) != row.hash:
            report.first_break = Break(
                chain, row.seq, row.id, "content does not match its hash: the event was edited"
            )
            return report
        prev = row.hash
        report.events += 1
        if progress and report.events % BATCH == 0:
            progress(BATCH)
    if chain and (broken := end_of(chain)):
        report.first_break = broken
        return report
    missing = sorted(set(heads) - seen)
    if missing:
        report.first_break = Break(
            missing[0], None, None, "the head names events that no longer exist: chain deleted"
        )
        return report
    report.first_break = _ticket_without_chain(seen)
    return report


def _ticket_without_chain(seen: set[str]) -> Break | None:
    """Every ticket is born with an event and every ticket chain belongs to a ticket: a
    difference either way means history or a ticket was deleted."""
    from tierdesk.tickets.models import Ticket

    chained = {int(chain.split(":", 1)[1]) for chain in seen if chain.startswith("ticket:")}
    tickets = set(Ticket.objects.values_list("pk", flat=True).iterator())
    for ticket_id in sorted(tickets - chained):
        return Break(
            f"ticket:{ticket_id}",
            None,
            None,
            "the ticket has no audit events at all: its history was deleted",
        )
    for ticket_id in sorted(chained - tickets):
        return Break(
            f"ticket:{ticket_id}",
            None,
            None,
            "the ticket of this history no longer exists: it was deleted",
        )
    return None
