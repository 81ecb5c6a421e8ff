"""``generate(tickets)``: a realistic organisation and two years of ticket history, fast.

The example organisation is scaled to about 200 agents in 20 teams (:mod:`.orgscale`); then
``tickets`` tickets arrive over the two years before now (:mod:`.arrivals`) and live their
lives (:mod:`.synth`, :mod:`.rows`): routing, escalation through the tiers, comments, SLA
outcomes, timers for open work, and an audit chain per ticket hashed with the real key so
``tierdesk audit verify`` passes. Rows are bulk-inserted in batches (:mod:`.bulkwrite`), by
several worker processes at once (PostgreSQL writes in parallel; SQLite overlaps one
worker's generation with the other's write).

Everything is a function of ``seed`` (and of the current time), so two runs with the same
seed on the same day produce the same desk.
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, connections
from django.db.models import Max

from tierdesk.audit.services import audit_key
from tierdesk.bench import bulkwrite, orgscale
from tierdesk.bench.arrivals import Arrivals
from tierdesk.bench.chainrows import Chainer
from tierdesk.bench.orgscale import OrgModel
from tierdesk.bench.synth import IdBlocks, Synth
from tierdesk.escalations.models import Escalation
from tierdesk.tickets.models import Comment, Ticket

DAY = 86_400
HISTORY_DAYS = 730
BATCH = 2000
Progress = Callable[[int], None]


@dataclass
class Plan:
    """What every worker needs to produce its share of batches independently."""

    tickets: int
    seed: int
    now: int
    start: int
    batch_size: int
    first_id: int
    comment_base: int
    hop_base: int
    org: OrgModel

    @property
    def batches(self) -> int:
        return -(-self.tickets // self.batch_size)


@dataclass
class Generated:
    """What was generated, and how fast."""

    tickets: int
    open_tickets: int
    seconds: float
    tickets_per_second: float
    database: str
    workers: int
    org_seconds: float
    insert_seconds: float
    finish_seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def open_fraction(self) -> float:
        return self.open_tickets / self.tickets if self.tickets else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "open_fraction": round(self.open_fraction, 4)}


def requesters_for(tickets: int) -> int:
    return max(50, min(5000, tickets // 200))


def generate(
    tickets: int,
    *,
    seed: int = 42,
    workers: int | None = None,
    batch_size: int = BATCH,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Generated:
    """Add ``tickets`` generated tickets (and the scaled organisation if missing)."""
    if tickets < 1:
        raise ValueError("tickets must be at least 1")
    started = time.perf_counter()
    org = orgscale.build(requesters_for(tickets), seed)
    org_seconds = time.perf_counter() - started
    end = int((now.timestamp() if now else time.time()) // 60 * 60)
    plan = Plan(
        tickets=tickets,
        seed=seed,
        now=end,
        start=end - HISTORY_DAYS * DAY,
        batch_size=batch_size,
        first_id=(Ticket.objects.aggregate(m=Max("pk"))["m"] or 0) + 1,
        comment_base=Comment.objects.aggregate(m=Max("pk"))["m"] or 0,
        hop_base=Escalation.objects.aggregate(m=Max("pk"))["m"] or 0,
        org=org,
    )
    workers = workers or min(2, os.cpu_count() or 1)
    workers = max(1, min(workers, plan.batches))
    insert_started = time.perf_counter()
    if workers == 1:
        counts, open_tickets = work_share(plan, 0, 1, lambda n, _o: progress and progress(n))
    else:
        counts, open_tickets = _in_processes(plan, workers, progress)
    insert_seconds = time.perf_counter() - insert_started
    finish_started = time.perf_counter()
    bulkwrite.finish()
    finish_seconds = time.perf_counter() - finish_started
    seconds = time.perf_counter() - started
    return Generated(
        tickets=tickets,
        open_tickets=open_tickets,
        seconds=round(seconds, 2),
        tickets_per_second=round(tickets / seconds, 1),
        database=connection.vendor,
        workers=workers,
        org_seconds=round(org_seconds, 2),
        insert_seconds=round(insert_seconds, 2),
        finish_seconds=round(finish_seconds, 2),
        rows=counts,
    )


def work_share(
    plan: Plan, worker: int, workers: int, report: Callable[[int, int], object]
) -> tuple[dict[str, int], int]:
    arrivals = Arrivals(plan.tickets, plan.start, plan.now, plan.seed)
    chainer = Chainer(audit_key(), bulkwrite.time_format())
    synth = Synth(
        plan.org,
        arrivals,
        plan.now,
        IdBlocks(plan.comment_base, plan.hop_base, plan.batch_size),
        chainer,
    )
    writer = bulkwrite.Writer()
    open_tickets = 0
    for number in range(worker, plan.batches, workers):
        first = number * plan.batch_size
        count = min(plan.batch_size, plan.tickets - first)
        rows = synth.batch(number, plan.seed, first, count, plan.first_id + first)
        writer.write(rows)
        open_tickets += rows.open_tickets
        report(count, rows.open_tickets)
    return writer.counts, open_tickets


def _in_processes(
    plan: Plan, workers: int, progress: Progress | None
) -> tuple[dict[str, int], int]:
    """Run ``workers`` fresh interpreters (:mod:`tierdesk.bench.genworker`): no inherited
    connections or threads, and no re-import of the caller's main module."""
    connections.close_all()
    payload = pickle.dumps(plan)
    children = []
    for number in range(workers):
        child = subprocess.Popen(
            [sys.executable, "-m", "tierdesk.bench.genworker", str(number), str(workers)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=False,
        )
        assert child.stdin is not None
        child.stdin.write(payload)
        child.stdin.close()
        children.append(child)
    lines: queue.Queue[tuple[int, bytes]] = queue.Queue()

    def pump(number: int, stream: Any) -> None:
        for line in stream:
            lines.put((number, line))
        lines.put((number, b""))

    for number, child in enumerate(children):
        threading.Thread(target=pump, args=(number, child.stdout), daemon=True).start()
    counts: dict[str, int] = {}
    open_tickets, finished = 0, 0
    try:
        while finished < workers:
            number, line = lines.get()
            if not line:
                finished += 1
                if children[number].wait() != 0:
                    raise RuntimeError(f"generator worker {number} failed (see its output above)")
                continue
            kind, _, rest = line.decode().partition(" ")
            if kind == "batch":
                count, opened = rest.split()
                open_tickets += int(opened)
                if progress:
                    progress(int(count))
            elif kind == "done":
                for name, value in json.loads(rest).items():
                    counts[name] = counts.get(name, 0) + value
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
                child.wait()
    return counts, open_tickets
