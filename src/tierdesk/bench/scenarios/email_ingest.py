"""Email intake of a 10,000-message mbox, through the mail engineer's benchmark entry point."""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any

from django.db.models import Max

from tierdesk.bench.rss import Sampler
from tierdesk.bench.scenarios.base import Context, Result
from tierdesk.tickets.models import Ticket

NAME = "email_ingest"
TITLE = "Email ingest of an mbox"
TARGET = "≥ 400 messages/s, peak RSS < 300 MB"
WRITES = True
ENTRY = "tierdesk.intake_email.bench"


def run(ctx: Context) -> list[Result]:
    # Imported here, so that a broken import fails this scenario alone (and says why).
    module = import_module(ENTRY)
    entry = module.ingest_mbox_benchmark
    count = 300 if ctx.quick else 10_000
    path = ctx.data_dir / f"mail-{ctx.vendor}-{count}.mbox"
    path.unlink(missing_ok=True)
    top = Ticket.objects.aggregate(top=Max("pk"))["top"] or 0
    # A realistic mix: replies to earlier messages' tickets, auto-replies, bounces, duplicates.
    module.generate_mbox(path, count, first_ticket_id=top + 1)
    # This process and its parser; not the web server the HTTP scenarios left running.
    with Sampler(exclude=lambda: [ctx.server.pid] if ctx.server else []) as sampler:
        started = time.perf_counter()
        outcome: Any = entry(path)
        elapsed = time.perf_counter() - started
    messages = outcome.get("messages", count) if isinstance(outcome, dict) else count
    result = Result(
        NAME,
        f"{TITLE} ({messages:,} messages)",
        ctx.vendor,
        unit="messages/s",
        throughput=round(messages / elapsed, 1),
        rss_mb=sampler.as_dict(),
        target=TARGET,
    )
    result.compare_throughput(ctx.write_floor())
    result.extra = {"returned": outcome if isinstance(outcome, dict) else str(outcome)[:300]}
    result.met = (result.throughput or 0) >= 400 and sampler.peak_total < 300
    return [result]
