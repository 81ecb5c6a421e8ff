"""Checking the audit chains: any edit, deletion or truncation without the key is found.

Breaks are ranked as they always were: an altered head MAC anywhere first, then the first
broken event or chain end in chain order, then a head without events, then a ticket
without history or a history without ticket. With several workers the chains are split
into contiguous ranges in chain order, so the first break of the lowest broken range is
the first break of the whole walk, whichever worker finishes first.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from asgiref.local import Local
from django.db import connection, connections, transaction

from tierdesk.audit.chain import head_mac
from tierdesk.audit.models import ChainHead
from tierdesk.audit.services import audit_key
from tierdesk.audit.walk import Bounds, Break, ChainedTickets, Walked, lean_reads, walk

__all__ = ["Break", "Report", "usable_cpus", "verify"]

BATCH = 5000
# What pg_export_snapshot() returns, e.g. 00000003-0000001B-1.
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")


@dataclass
class Report:
    events: int = 0
    chains: int = 0
    first_break: Break | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


# A full check walks with one process per usable CPU, up to this many: each holds a database
# connection and up to 32 MB of SQLite page cache, and a container's CPU quota is not what
# the scheduler's affinity shows.
DEFAULT_WORKERS_MAX = 8


def usable_cpus() -> int:
    """How many processes a full check uses by default: the CPUs this process may run on,
    at most :data:`DEFAULT_WORKERS_MAX`."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(cpus, DEFAULT_WORKERS_MAX)


def verify(progress: Callable[[int], None] | None = None, *, workers: int = 1) -> Report:
    """Walk every chain; stop at the first broken event and name it.

    ``workers`` > 1 walks ranges of chains in that many processes: in one snapshot on
    PostgreSQL; on SQLite each range in its own, and the tickets are read after them. Inside
    a caller's transaction (whose rows other processes cannot see) or on an in-memory
    database the ranges are walked here, one after the other.
    """
    with lean_reads():
        return _verify(progress, workers)


def _verify(progress: Callable[[int], None] | None, workers: int) -> Report:
    key = audit_key()
    in_processes = workers > 1 and _can_fork()
    if in_processes and connection.vendor != "postgresql":
        walks = _walk_in_processes(key, _chain_ranges(workers), None, progress)
        with _snapshot(shared=False):
            return _conclude(key, walks)
    with _snapshot(shared=in_processes) as snapshot_id:
        ranges = _chain_ranges(workers)
        if in_processes and len(ranges) > 1:
            walks = _walk_in_processes(key, ranges, snapshot_id, progress)
        else:
            walks = _walk_here(key, ranges, progress)
        return _conclude(key, walks)


def _conclude(key: bytes, walks: list[Walked]) -> Report:
    """Rank what the walks of consecutive ranges found (up to the first broken one)."""
    report = Report()
    tickets = ChainedTickets()
    orphans = []
    for walked in walks:
        report.events += walked.events
        report.chains += walked.chains
        tickets.merge(walked.tickets)
        if walked.orphan_head is not None:
            orphans.append(walked.orphan_head)
    broken = walks[-1].first_break
    if broken is None and orphans:
        broken = Break(
            min(orphans), None, None, "the head names events that no longer exist: chain deleted"
        )
    broken = broken or _ticket_mismatch(tickets)
    if broken is not None and (altered := _first_altered_head(key)) is not None:
        return Report(first_break=altered)  # found before walking anything, as it always was
    report.first_break = broken
    return report


def _walk_here(
    key: bytes, ranges: list[Bounds], progress: Callable[[int], None] | None
) -> list[Walked]:
    walks = []
    for bounds in ranges:
        walks.append(walk(key, bounds, progress))
        if walks[-1].first_break is not None:
            break
    return walks


def _can_fork() -> bool:
    if connection.in_atomic_block or "fork" not in multiprocessing.get_all_start_methods():
        return False
    in_memory = getattr(connection, "is_in_memory_db", lambda: False)()
    return not (connection.vendor == "sqlite" and in_memory)


@contextmanager
def _snapshot(*, shared: bool = False, join: str | None = None) -> Iterator[str | None]:
    """Read events, heads and tickets as of one moment, so that a command committing while
    the walk runs cannot look like a truncated chain. On PostgreSQL, ``shared`` yields the
    id another process can ``join`` the same snapshot with.

    Inside a caller's transaction that transaction is the snapshot.
    """
    if connection.in_atomic_block:
        yield None
    elif connection.vendor == "sqlite":
        # A deferred transaction only reads; the IMMEDIATE mode Django's atomic() is set to
        # would hold the write lock, and stop every command, for the whole walk.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield None
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if join is not None:
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{_snapshot_literal(join)}'")
            snapshot_id = None
            if shared:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot_id = cursor.fetchone()[0]
            yield snapshot_id


def _snapshot_literal(snapshot_id: str) -> str:
    """``SET TRANSACTION SNAPSHOT`` takes a literal, never a bound parameter (server-side
    binding, which the settings turn on, fails with a syntax error): so the id is checked
    to be one before it is written into the statement."""
    if not _SNAPSHOT_ID.fullmatch(snapshot_id):
        raise ValueError(f"not a snapshot id: {snapshot_id!r}")
    return snapshot_id


def _chain_ranges(count: int) -> list[Bounds]:
    """``count`` contiguous ranges of chains in chain order, split at heads."""
    total = ChainHead.objects.count() if count > 1 else 0
    splits: list[str] = []
    chains = ChainHead.objects.order_by("chain").values_list("chain", flat=True)
    for part in range(1, count):
        at = part * total // count
        for split in chains[at : at + 1]:
            if not splits or split != splits[-1]:
                splits.append(split)
    edges: list[str | None] = [None, *splits, None]
    return list(pairwise(edges))


def _walk_in_processes(
    key: bytes,
    ranges: list[Bounds],
    snapshot_id: str | None,
    progress: Callable[[int], None] | None,
) -> list[Walked]:
    """Walk each range in a forked process; the walks up to the first broken range."""
    context = multiprocessing.get_context("fork")
    messages: Any = context.Queue()
    workers = [
        context.Process(target=_worker, args=(index, key, bounds, snapshot_id, messages))
        for index, bounds in enumerate(ranges)
    ]
    done: dict[int, Walked] = {}
    try:
        for worker in workers:
            worker.start()

        def needed() -> bool:
            for index in range(len(ranges)):
                if index not in done:
                    return True
                if done[index].first_break is not None:
                    return False
            return False

        while needed():
            try:
                kind, index, payload = messages.get(timeout=1)
            except queue.Empty:
                if any(worker.exitcode not in (None, 0) for worker in workers):
                    raise RuntimeError("an audit verify worker died") from None
                continue
            if kind == "progress" and progress:
                progress(payload)
            elif kind == "error":
                raise RuntimeError(f"audit verify worker {index} failed: {payload}")
            elif kind == "done":
                done[index] = payload
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    walks = []
    for index in range(len(ranges)):
        walks.append(done[index])
        if done[index].first_break is not None:
            break
    return walks


# Connections inherited from the parent process: kept referenced and never closed here,
# because closing them would end the parent's sessions. Forked workers leave by os._exit.
_inherited: list[Any] = []


def _worker(index: int, key: bytes, bounds: Bounds, snapshot_id: str | None, messages: Any) -> None:
    handler: Any = connections
    _inherited.append(handler._connections)
    handler._connections = Local(handler.thread_critical)
    try:
        with lean_reads(), _snapshot(join=snapshot_id):
            walked = walk(key, bounds, lambda count: messages.put(("progress", index, count)))
        messages.put(("done", index, walked))
    except Exception as error:  # reported to the parent, which raises
        messages.put(("error", index, repr(error)))
    finally:
        connection.close()


def _first_altered_head(key: bytes) -> Break | None:
    """The first head, in table order, whose MAC does not match: reported before anything
    else because a forged head makes every other finding about that chain meaningless."""
    for head in ChainHead.objects.all().iterator(chunk_size=BATCH):
        if head.mac != head_mac(key, head.chain, head.seq, head.hash):
            return Break(
                head.chain, None, None, "the chain head was altered (its keyed MAC does not match)"
            )
    return None


def _ticket_mismatch(chained: ChainedTickets) -> Break | None:
    """Every ticket is born with an event and every ticket chain belongs to a ticket: a
    difference either way means history or a ticket was deleted."""
    from tierdesk.tickets.models import Ticket

    for ticket_id in Ticket.objects.order_by("pk").values_list("pk", flat=True).iterator(BATCH):
        # A head without walked events is reported before this; where one exists now, the
        # ticket was created after a worker read its range (SQLite has no shared snapshot).
        if not chained.take(ticket_id) and not _has_head(f"ticket:{ticket_id}"):
            return Break(
                f"ticket:{ticket_id}",
                None,
                None,
                "the ticket has no audit events at all: its history was deleted",
            )
    if (chain := chained.left()) is not None:
        return Break(
            chain, None, None, "the ticket of this history no longer exists: it was deleted"
        )
    return None


def _has_head(chain: str) -> bool:
    return ChainHead.objects.filter(chain=chain).exists()
