"""A scheduler tick when nothing is due: its cost must not grow with the open work.

Run at the full size (≈10% of tickets open) and again on a database a hundredth the size, so
the report shows the same tick over 100× more open work.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from tierdesk.bench import floors
from tierdesk.bench.loadgen import summary_ms
from tierdesk.bench.rss import Sampler
from tierdesk.bench.scenarios.base import Context, Result
from tierdesk.scheduler.loop import tick
from tierdesk.scheduler.models import Timer
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES

NAME = "scheduler_tick"
TITLE = "Scheduler tick, nothing due"
TARGET = "< 5 ms (p95), independent of open tickets"


def run(ctx: Context) -> list[Result]:
    first = Timer.objects.order_by("due_at").values_list("due_at", flat=True).first()
    now = first - timedelta(seconds=1) if first else timezone.now()
    rounds = 200 if ctx.quick else 1000
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    timers = Timer.objects.count()
    durations, acted = [], 0
    tick(now=now)  # first use: imports and connection set-up are not the tick's cost
    with Sampler() as sampler:
        for _ in range(rounds):
            started = time.perf_counter()
            outcome = tick(now=now)
            durations.append(time.perf_counter() - started)
            acted += outcome.fired + outcome.failed
    result = Result(
        NAME,
        f"{TITLE} ({open_tickets:,} open tickets)",
        ctx.vendor,
        unit="ms",
        latency_ms=summary_ms(durations),
        rss_mb=sampler.as_dict(),
        target=TARGET,
    )
    result.compare_latency(floors.due_probe(now, rounds))
    result.extra = {
        "open_tickets": open_tickets,
        "timers": timers,
        "ticks": rounds,
        "tickets": ctx.tickets,
    }
    if acted:
        result.status, result.note = "failed", f"{acted} timers acted on: something was due"
    else:
        result.met = result.latency_ms["p95"] < 5
    return [result]
