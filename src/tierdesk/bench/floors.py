"""Floors: the cheapest version of each kind of work, measured on the same database and run.

HTTP floors live in :meth:`tierdesk.bench.scenarios.base.Context.http_floor` (they need the
server); the database floors are here. Each uses a scratch table the benchmark creates and
drops itself, never a table that migrations own.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from tierdesk.bench.loadgen import summary_ms

SCRATCH = "tierdesk_bench_floor"


def insert_commit_loop(count: int, seconds: float) -> dict[str, Any]:
    """Single-row INSERTs, each committed on its own, in one loop on this connection."""
    quote = connection.ops.quote_name
    key = (
        "id INTEGER PRIMARY KEY AUTOINCREMENT"
        if connection.vendor == "sqlite"
        else ("id bigserial PRIMARY KEY")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(SCRATCH)}")
        cursor.execute(
            f"CREATE TABLE {quote(SCRATCH)} ({key}, payload varchar(200) NOT NULL, "
            "created_at timestamp NOT NULL)"
        )
    durations: list[float] = []
    deadline = time.monotonic() + seconds
    try:
        with connection.cursor() as cursor:
            for number in range(count):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                with transaction.atomic():
                    cursor.execute(
                        f"INSERT INTO {quote(SCRATCH)} (payload, created_at) VALUES (%s, %s)",
                        [f"row {number}", "2026-01-01 00:00:00"],
                    )
                durations.append(time.perf_counter() - started)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(SCRATCH)}")
    total = sum(durations)
    return {
        "name": "bare single-row INSERT + COMMIT loop (1 connection)",
        "throughput": round(len(durations) / total, 1) if total else 0.0,
        "latency_ms": summary_ms(durations),
        "requests": len(durations),
    }


def due_probe(now: datetime, rounds: int) -> dict[str, Any]:
    """One transaction with one index probe for due timers: what a tick cannot go below."""
    quote = connection.ops.quote_name
    durations = []
    with connection.cursor() as cursor:
        for _ in range(rounds):
            started = time.perf_counter()
            with transaction.atomic():
                cursor.execute(
                    f"SELECT id FROM {quote('scheduler_timer')} WHERE due_at <= %s "
                    "ORDER BY due_at LIMIT 1",
                    [connection.ops.adapt_datetimefield_value(now)],
                )
                cursor.fetchall()
            durations.append(time.perf_counter() - started)
    return {
        "name": "bare transaction with one due-timer index probe",
        "latency_ms": summary_ms(durations),
        "requests": rounds,
    }


def stream_events(limit: int, seconds: float) -> dict[str, Any]:
    """Reading audit events in chain order with a bare cursor: verify's I/O floor."""
    quote = connection.ops.quote_name
    read, started = 0, time.perf_counter()
    deadline = time.monotonic() + seconds
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {quote('audit_event')} ORDER BY chain, seq LIMIT %s", [limit]
        )
        while time.monotonic() < deadline:
            rows = cursor.fetchmany(5000)
            if not rows:
                break
            read += len(rows)
    elapsed = time.perf_counter() - started
    return {
        "name": "bare cursor reading audit events in chain order",
        "throughput": round(read / elapsed, 1) if elapsed else 0.0,
        "requests": read,
    }
