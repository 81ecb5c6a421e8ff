"""Where a hot path spends its time: queries (count, time, repeats) and wall time.

``tierdesk bench profile`` runs each path in-process through the full Django stack (test
client, real bearer token) against the configured database, several times, and reports the
median wall time, the query count and the statements that repeat (N+1 candidates).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tierdesk.bench.fixtures import Fixtures

_LITERALS = re.compile(r"'[^']*'|\b\d+\b")


@dataclass
class PathProfile:
    name: str
    status: int
    wall_ms: float
    queries: int
    query_ms: float
    repeated: list[tuple[int, str]] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def shape(sql: str) -> str:
    """A statement with its literals blanked, so repeats of one query count together."""
    return _LITERALS.sub("?", sql)[:160]


def measure(name: str, call: Callable[[], Any], rounds: int = 5) -> PathProfile:
    walls, status = [], 0
    captured: list[dict[str, str]] = []
    for number in range(rounds):
        with CaptureQueriesContext(connection) as context:
            started = time.perf_counter()
            response = call()
            walls.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        if number == rounds - 1:
            captured = list(context.captured_queries)
    shapes = Counter(shape(q["sql"]) for q in captured)
    timed = sorted(((float(q["time"]) * 1000, shape(q["sql"])) for q in captured), reverse=True)
    return PathProfile(
        name=name,
        status=status,
        wall_ms=round(statistics.median(walls), 2),
        queries=len(captured),
        query_ms=round(sum(float(q["time"]) for q in captured) * 1000, 2),
        repeated=[(count, sql) for sql, count in shapes.most_common(5) if count > 1],
        slowest=[(round(ms, 2), sql) for ms, sql in timed[:3]],
    )


def hot_paths(fixtures: Fixtures, rounds: int = 5) -> list[PathProfile]:
    client = Client()
    agent = {"Authorization": f"Bearer {fixtures.agent_token}"}
    requester = {"Authorization": f"Bearer {fixtures.requester_tokens[0]}"}
    counter = iter(range(1_000_000))
    body = {
        "title": "Profiler: VPN disconnects",
        "description": "Profiling the create path.",
        "impact": "medium",
        "urgency": "medium",
        "category": "vpn",
    }

    def create() -> Any:
        return client.post(
            "/api/v1/tickets",
            json.dumps(body),
            content_type="application/json",
            headers={**requester, "Idempotency-Key": f"prof-{next(counter)}-{time.time()}"},
        )

    queue = urlencode(
        [
            ("team", fixtures.queue_team),
            *[("status", s) for s in fixtures.queue_statuses],
            ("order", "due"),
            ("limit", "50"),
        ]
    )
    paths: list[tuple[str, Callable[[], Any]]] = [
        ("create ticket", create),
        ("queue list", lambda: client.get(f"/api/v1/tickets?{queue}", headers=agent)),
    ]
    if fixtures.long_tickets:
        key, token = fixtures.long_tickets[0]
        viewer = {"Authorization": f"Bearer {token}"}
        paths += [
            ("ticket detail", lambda: client.get(f"/api/v1/tickets/{key}", headers=viewer)),
            ("ticket events", lambda: client.get(f"/api/v1/tickets/{key}/events", headers=viewer)),
            (
                "ticket comments",
                lambda: client.get(f"/api/v1/tickets/{key}/comments", headers=viewer),
            ),
        ]
    if fixtures.queries:
        query = urlencode({"q": fixtures.queries[0], "limit": 50})
        paths.append(("search", lambda: client.get(f"/api/v1/tickets?{query}", headers=agent)))
    return [measure(name, call, rounds) for name, call in paths]
