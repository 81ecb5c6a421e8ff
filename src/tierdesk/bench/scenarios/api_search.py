"""Text search through the API: 2–3-word queries from real titles, newest 50 an agent sees."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from tierdesk.bench.scenarios.base import Context, Result, http_result

NAME = "api_search"
TITLE = "Text search q= via API (newest 50 visible to an agent)"
TARGET = "p95 < 100 ms"


def run(ctx: Context) -> list[Result]:
    fixtures = ctx.fixtures
    if not fixtures.queries:
        return [
            Result(
                NAME,
                TITLE,
                ctx.vendor,
                status="skipped",
                target=TARGET,
                note="no titles to draw queries from",
            )
        ]
    headers = {"Authorization": f"Bearer {fixtures.agent_token}"}
    requests: list[dict[str, Any]] = [
        {
            "path": f"/api/v1/tickets?{urlencode({'q': q, 'limit': 50})}",
            "headers": headers,
            "label": "search",
        }
        for q in fixtures.queries
    ]
    hits = []
    for request in requests[:10]:
        status, raw = ctx.web().get(request["path"], headers)
        if status == 200:
            hits.append(len(json.loads(raw.split(b"\r\n\r\n", 1)[1])["items"]))
    load = ctx.load(requests, 1, ctx.budget((150, 2.0), (2000, 30.0)), warmup=5)
    result = http_result(NAME, TITLE, ctx, load, TARGET)
    result.compare_latency(ctx.http_floor(1))
    result.extra.update(
        {"queries": len(requests), "example": fixtures.queries[:3], "rows_first_10": hits}
    )
    if result.status == "ok":
        result.met = result.latency_ms.get("p95", float("inf")) < 100
    return [result]
