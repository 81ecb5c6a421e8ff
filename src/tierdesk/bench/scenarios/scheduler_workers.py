"""Two scheduler worker processes fire 10,000 due timers on PostgreSQL, each exactly once.

Time is moved forward to the due time of the 10,000th timer; both workers tick until nothing
is due. Exactly once means: every claimed timer row is gone, no timer is left due (a re-armed
step fires too) and none failed, and every firing wrote one event, with no (ticket, kind,
step) event written twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from django.db import connections
from django.db.models import Count, Max

from tierdesk.audit.models import Event
from tierdesk.bench.rss import Sampler
from tierdesk.bench.scenarios.base import Context, Result
from tierdesk.scheduler.models import Timer

NAME = "scheduler_workers"
TITLE = "Scheduler firing due timers, 2 worker processes"
TARGET = "≥ 2,000 timers/s, each fired exactly once (PostgreSQL)"
WRITES = True
WORKERS = 2
HANDLER_KINDS = (
    "sla_breached",
    "sla_warning",
    "hierarchy_notified",
    "ola_breached",
    "status_changed",
)


def run(ctx: Context) -> list[Result]:
    if ctx.vendor != "postgresql":
        return [
            Result(
                NAME,
                TITLE,
                ctx.vendor,
                status="skipped",
                target=TARGET,
                note="PostgreSQL only (SQLite serialises writers: one worker at a time)",
            )
        ]
    wanted = 500 if ctx.quick else 10_000
    due = list(Timer.objects.order_by("due_at", "pk").values_list("pk", "due_at")[:wanted])
    if not due:
        return [
            Result(
                NAME,
                TITLE,
                ctx.vendor,
                status="skipped",
                target=TARGET,
                note="no timers: generate open tickets first",
            )
        ]
    moment = due[-1][1]
    claimed = [pk for pk, _ in due]
    last_event = Event.objects.aggregate(m=Max("pk"))["m"] or 0
    connections.close_all()
    outcomes, seconds, rss = _fire(moment.isoformat())
    fired = sum(o["fired"] for o in outcomes)
    leftover = Timer.objects.filter(pk__in=claimed).count()
    still_due = Timer.objects.filter(due_at__lte=moment).count()
    failed = sum(o["failed"] for o in outcomes)
    written = Event.objects.filter(pk__gt=last_event, created_at=moment, kind__in=HANDLER_KINDS)
    duplicates = (
        written.values("ticket_id", "kind", "field", "data__step")
        .annotate(copies=Count("pk"))
        .filter(copies__gt=1)
        .count()
    )
    events = written.count()
    # What fired: the mix differs with the database's history (tickets the create scenario
    # opened before this one come due too), and an escalation costs several firings' work.
    fired_kinds = dict(written.values_list("kind").annotate(n=Count("pk")).order_by("kind"))
    once = leftover == 0 and still_due == 0 and failed == 0 and duplicates == 0 and events == fired
    result = Result(
        NAME,
        f"{TITLE} ({len(claimed):,} due)",
        ctx.vendor,
        unit="timers/s",
        throughput=round(fired / seconds, 1) if seconds else None,
        rss_mb=rss,
        target=TARGET,
    )
    result.compare_throughput(ctx.write_floor())
    result.extra = {
        "claimed": len(claimed),
        "fired": fired,
        "events": events,
        "duplicates": duplicates,
        "leftover": leftover,
        "still_due": still_due,
        "exactly_once": once,
        "failed": failed,
        "deferred": sum(o["deferred"] for o in outcomes),
        "by_kind": fired_kinds,
        "escalations": Event.objects.filter(
            pk__gt=last_event, created_at=moment, kind="escalated"
        ).count(),
        "per_worker": [o["fired"] for o in outcomes],
        "seconds": round(seconds, 3),
        # Where the seconds went, per worker: its own CPU, its backend's CPU (None where the
        # database is not on this host) and its sleeps while the other worker held the rest.
        "worker_cpu": [round(o["cpu"], 2) for o in outcomes],
        "backend_cpu": [_rounded(o.get("backend_cpu")) for o in outcomes],
        "waited": [round(o["waited"], 2) for o in outcomes],
    }
    ctx.worker_rss = rss
    if not once:
        result.met = False
        result.status = "failed"
        result.note = (
            f"not exactly once: {leftover} claimed timers left, {still_due} still due, "
            f"{failed} failed, {duplicates} duplicated firings, {events} events for "
            f"{fired} firings"
        )
    else:
        result.met = (result.throughput or 0) >= 2000
    return [result]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _fire(moment: str) -> tuple[list[dict[str, Any]], float, dict[str, float]]:
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tierdesk.bench.schedworker", moment],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    for worker in workers:
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "ready":
            raise RuntimeError("a scheduler worker did not start")
    with Sampler(lambda: [w.pid for w in workers]) as sampler:
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outcomes = []
        for worker in workers:
            out, _ = worker.communicate(timeout=600)
            if worker.returncode != 0:
                raise RuntimeError(f"a scheduler worker failed with {worker.returncode}")
            outcomes.append(json.loads(out.strip().splitlines()[-1]))
    seconds = max(o["finished"] for o in outcomes) - min(o["started"] for o in outcomes)
    return outcomes, seconds, sampler.as_dict()
