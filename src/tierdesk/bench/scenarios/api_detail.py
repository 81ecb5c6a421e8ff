"""Tickets with a 100-entry timeline through the API: the detail, its timeline, its comments."""

from __future__ import annotations

import json

from tierdesk.bench.scenarios.base import Context, Result, http_result

NAME = "api_detail"
TITLE = "Ticket detail via API, 100 timeline entries"
TARGET = "p95 < 30 ms (each of detail, events, comments)"


def run(ctx: Context) -> list[Result]:
    tickets = ctx.fixtures.long_tickets
    if not tickets:
        return [
            Result(
                NAME,
                TITLE,
                ctx.vendor,
                status="skipped",
                target=TARGET,
                note="no ticket with a 100-entry timeline (generate ≥ 5,000 tickets)",
            )
        ]
    requests = []
    for key, token in tickets:
        headers = {"Authorization": f"Bearer {token}"}
        for label, suffix in (("detail", ""), ("events", "/events"), ("comments", "/comments")):
            requests.append(
                {"path": f"/api/v1/tickets/{key}{suffix}", "headers": headers, "label": label}
            )
    key, token = tickets[0]
    status, raw = ctx.web().get(
        f"/api/v1/tickets/{key}/events", {"Authorization": f"Bearer {token}"}
    )
    entries = len(json.loads(raw.split(b"\r\n\r\n", 1)[1])) if status == 200 else 0
    load = ctx.load(requests, 1, ctx.budget((200, 2.0), (3000, 20.0)))
    result = http_result(NAME, TITLE, ctx, load, TARGET)
    result.compare_latency(ctx.http_floor(1))
    result.extra.update({"timeline_entries": entries, "tickets": len(tickets)})
    if result.status == "ok":
        worst = max(v.get("p95", float("inf")) for v in load.get("by_label", {}).values())
        result.met = worst < 30
    return [result]
