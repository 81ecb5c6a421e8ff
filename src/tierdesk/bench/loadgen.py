"""HTTP load generator: a separate process on loopback, bounded by a count and a duration.

Run as ``python -m tierdesk.bench.loadgen`` with a JSON spec on stdin; prints one JSON
result on stdout. It imports nothing from Django, so its own cost is small and the same for
a scenario and its floor. Each client is a thread with blocking sockets speaking HTTP/1.1
with ``Connection: close`` (gunicorn's sync workers close every connection anyway).

Spec keys: ``host``, ``port``, ``concurrency``, ``count`` (measured requests),
``duration`` (seconds, a hard stop), ``warmup`` (requests not measured), ``requests``
(templates cycled in order: ``method``, ``path``, ``headers``, ``body``, optional ``label``;
``{n}`` in a path, header value or body becomes the request number).
"""

from __future__ import annotations

import itertools
import json
import math
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = 30.0
WARMUP_SECONDS = 5.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks.

    This is the "inclusive" method of :func:`statistics.quantiles` (R type 7, numpy's
    default): p0 is the minimum, p100 the maximum.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0–100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max/mean of durations given in seconds, in milliseconds."""
    if not seconds:
        return {}
    millis = [s * 1000 for s in seconds]
    return {
        "p50": round(percentile(millis, 50), 3),
        "p95": round(percentile(millis, 95), 3),
        "p99": round(percentile(millis, 99), 3),
        "max": round(max(millis), 3),
        "mean": round(sum(millis) / len(millis), 3),
    }


@dataclass
class Sample:
    label: str
    status: int
    started: float
    seconds: float


@dataclass
class Outcome:
    samples: list[Sample] = field(default_factory=list)
    first_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _render(template: dict[str, Any], number: int, host: str, port: int) -> bytes:
    text = str(number)
    path = str(template["path"]).replace("{n}", text)
    body = str(template.get("body") or "").replace("{n}", text).encode()
    headers = {"Host": f"{host}:{port}", "Connection": "close", "User-Agent": "tierdesk-bench"}
    for name, value in (template.get("headers") or {}).items():
        headers[name] = str(value).replace("{n}", text)
    if body:
        headers.setdefault("Content-Type", "application/json")
        headers["Content-Length"] = str(len(body))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{template.get('method', 'GET')} {path} HTTP/1.1\r\n{head}\r\n".encode() + body


def exchange(host: str, port: int, payload: bytes) -> tuple[int, bytes]:
    """Send one request, read the whole response; (status, raw response)."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
        conn.sendall(payload)
        chunks = []
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    try:
        return int(raw[9:12]), raw
    except ValueError:
        return 0, raw


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Drive the load described by ``spec`` in this process; the measured result.

    Warm-up requests come first, bounded by ``WARMUP_SECONDS`` of their own; the measured
    phase then gets the whole ``duration``, so slow pages still get measured requests.
    """
    host, port = spec.get("host", "127.0.0.1"), int(spec["port"])
    templates = list(spec["requests"])
    warmup, count = int(spec.get("warmup", 0)), int(spec["count"])
    outcome = Outcome()

    def client(counter: Iterator[int], limit: int, deadline: float, measured: bool) -> None:
        while True:
            number = next(counter)
            if number >= limit or time.monotonic() > deadline:
                return
            template = templates[number % len(templates)]
            payload = _render(template, number, host, port)
            started = time.perf_counter()
            try:
                status, raw = exchange(host, port, payload)
            except OSError as exc:
                status, raw = 0, str(exc).encode()
            elapsed = time.perf_counter() - started
            if not measured:
                continue
            with outcome.lock:
                outcome.samples.append(
                    Sample(str(template.get("label", "")), status, started, elapsed)
                )
                if not 200 <= status < 400 and not outcome.first_error:
                    outcome.first_error = raw[:600].decode(errors="replace")

    concurrency = int(spec.get("concurrency", 1))
    phases = ((warmup, WARMUP_SECONDS, False), (count, float(spec.get("duration", 60)), True))
    base = 0
    for size, seconds, measured in phases:
        counter, limit, deadline = itertools.count(base), base + size, time.monotonic() + seconds
        base += size  # request numbers stay unique across phases ({n} in idempotency keys)
        threads = [
            threading.Thread(target=client, args=(counter, limit, deadline, measured))
            for _ in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return _result(outcome)


def _result(outcome: Outcome) -> dict[str, Any]:
    samples = outcome.samples
    if not samples:
        return {"requests": 0, "errors": 0, "throughput": 0.0, "latency_ms": {}}
    window = max(s.started + s.seconds for s in samples) - min(s.started for s in samples)
    statuses: dict[str, int] = {}
    for sample in samples:
        statuses[str(sample.status)] = statuses.get(str(sample.status), 0) + 1
    labels = sorted({s.label for s in samples if s.label})
    return {
        "requests": len(samples),
        "errors": sum(1 for s in samples if not 200 <= s.status < 400),
        "statuses": statuses,
        "seconds": round(window, 3),
        "throughput": round(len(samples) / window, 1) if window > 0 else 0.0,
        "latency_ms": summary_ms([s.seconds for s in samples]),
        "by_label": {
            label: summary_ms([s.seconds for s in samples if s.label == label]) for label in labels
        },
        "first_error": outcome.first_error,
    }


def run_process(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load from a separate process (what scenarios use) and return its result."""
    completed = subprocess.run(
        [sys.executable, "-m", "tierdesk.bench.loadgen"],
        input=json.dumps(spec).encode(),
        capture_output=True,
        timeout=float(spec.get("duration", 60)) + 60,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"load generator failed: {completed.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
