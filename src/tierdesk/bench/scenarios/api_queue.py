"""A team queue through the API: 50 open tickets of one team, soonest SLA due first."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from tierdesk.bench.scenarios.base import Context, Result, http_result

NAME = "api_queue"
TITLE = "Queue list via API (50 rows, team + status, order=due)"
TARGET = "p95 < 30 ms"


def run(ctx: Context) -> list[Result]:
    fixtures = ctx.fixtures
    query = urlencode(
        [
            ("team", fixtures.queue_team),
            *[("status", s) for s in fixtures.queue_statuses],
            ("order", "due"),
            ("limit", "50"),
        ]
    )
    path = f"/api/v1/tickets?{query}"
    headers = {"Authorization": f"Bearer {fixtures.agent_token}"}
    status, raw = ctx.web().get(path, headers)
    rows = len(json.loads(raw.split(b"\r\n\r\n", 1)[1])["items"]) if status == 200 else 0
    load = ctx.load(
        [{"path": path, "headers": headers, "label": "queue"}],
        1,
        ctx.budget((200, 2.0), (3000, 20.0)),
    )
    result = http_result(NAME, TITLE, ctx, load, TARGET)
    result.compare_latency(ctx.http_floor(1))
    result.extra.update({"rows": rows, "team": fixtures.queue_team, "path": path})
    if result.status == "ok":
        result.met = result.latency_ms.get("p95", float("inf")) < 30
    return [result]
