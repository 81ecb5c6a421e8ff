"""Email intake of a 10,000-message mbox, through the mail engineer's benchmark entry point."""

from __future__ import annotations

import mailbox
import random
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib import import_module
from pathlib import Path
from typing import Any

from django.db.models import Max

from tierdesk.bench import vocab
from tierdesk.bench.rss import Sampler
from tierdesk.bench.scenarios.base import Context, Result
from tierdesk.tickets.models import Ticket

NAME = "email_ingest"
TITLE = "Email ingest of an mbox"
TARGET = "≥ 400 messages/s, peak RSS < 300 MB"
ENTRY = "tierdesk.intake_email.bench"


def write_mbox(path: Path, count: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    box = mailbox.mbox(str(path))
    start = datetime(2026, 1, 5, 8, tzinfo=UTC)
    try:
        for number in range(count):
            category = rng.choice(tuple(vocab.SUBJECTS))
            subject = vocab.title(rng, category)
            message = EmailMessage()
            first, last = vocab.person_name(rng)
            message["From"] = f"{first} {last} <{first.lower()}.{last.lower()}@example.com>"
            message["To"] = "helpdesk@example.com"
            message["Subject"] = subject
            message["Date"] = format_datetime(start + timedelta(minutes=7 * number))
            message["Message-ID"] = make_msgid(domain="bench.example.com")
            message.set_content(vocab.description(rng, subject) + f"\n\n{first}\n")
            box.add(message)
    finally:
        box.close()


def run(ctx: Context) -> list[Result]:
    try:
        module = import_module(ENTRY)
        entry = module.ingest_mbox_benchmark
    except (ImportError, AttributeError):
        note = f"not available: {ENTRY}.ingest_mbox_benchmark does not exist yet"
        return [Result(NAME, TITLE, ctx.vendor, status="skipped", target=TARGET, note=note)]
    count = 300 if ctx.quick else 10_000
    path = ctx.data_dir / f"mail-{ctx.vendor}-{count}.mbox"
    path.unlink(missing_ok=True)
    if hasattr(module, "generate_mbox"):  # the mail engineer's realistic mix, replies included
        top = Ticket.objects.aggregate(top=Max("pk"))["top"] or 0
        module.generate_mbox(path, count, first_ticket_id=top + 1)
    else:
        write_mbox(path, count)
    with Sampler() as sampler:
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
