"""Verifying the audit chains as ``tierdesk audit verify`` does by default, one process per
usable CPU: events per second, time-bounded (each process walks its range of chains from
its first)."""

from __future__ import annotations

import time

from tierdesk.audit.verify import usable_cpus, verify
from tierdesk.bench import floors
from tierdesk.bench.rss import Sampler
from tierdesk.bench.scenarios.base import Context, Result

NAME = "audit_verify"
TITLE = "Audit chain verify"
TARGET = "≥ 100,000 events/s"


class _Enough(Exception):
    """Raised from the progress callback to end a time-bounded check."""


def run(ctx: Context) -> list[Result]:
    limit = 2.0 if ctx.quick else 120.0
    workers = usable_cpus()
    checked = 0
    started = time.perf_counter()

    def progress(count: int) -> None:
        nonlocal checked
        checked += count
        if time.perf_counter() - started > limit:
            raise _Enough

    complete, ok, problem = True, True, ""
    with Sampler() as sampler:
        try:
            report = verify(progress=progress, workers=workers)
            checked, ok = report.events, report.ok
            problem = str(report.first_break or "")
        except _Enough:
            complete = False
    elapsed = time.perf_counter() - started
    rate = checked / elapsed if elapsed else 0.0
    result = Result(
        NAME,
        TITLE,
        ctx.vendor,
        unit="events/s",
        throughput=round(rate, 1),
        rss_mb=sampler.as_dict(),
        target=TARGET,
    )
    result.compare_throughput(floors.stream_events(max(checked, 5000), limit))
    result.extra = {
        "events": checked,
        "seconds": round(elapsed, 2),
        "complete": complete,
        "workers": workers,
    }
    walkers = f"{workers} processes" if workers > 1 else "one process"
    result.note = (
        f"all chains intact ({walkers})"
        if complete and ok
        else f"time-bounded: the first {checked:,} events walked, all intact ({walkers})"
    )
    if not ok:
        result.status, result.note = "failed", f"chain broken: {problem}"
    else:
        result.met = rate >= 100_000
    return [result]
