"""Create tickets through the API with 4 concurrent clients (routing, SLA, audit, assignment,
idempotency: the whole command), against the bare-Django floor with 4 clients."""

from __future__ import annotations

import json
import random
import time

from tierdesk.bench import vocab
from tierdesk.bench.scenarios.base import Context, Result, http_result

NAME = "api_create"
TITLE = "Create ticket via API, 4 concurrent clients"
TARGET = "≥ 8% (SQLite) / ≥ 9% (PostgreSQL) of the HTTP floor; p99 < 50 ms"
WRITES = True
CLIENTS = 4
SHARE = {"sqlite": 0.08, "postgresql": 0.09}


def bodies(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    categories = ("email", "vpn", "printing", "erp", "hardware", "accounts", "network")
    found = []
    for _ in range(count):
        category = rng.choice(categories)
        title = vocab.title(rng, category)
        found.append(
            json.dumps(
                {
                    "title": f"{title} (bench {{n}})",
                    "description": vocab.description(rng, title),
                    "impact": rng.choice(("low", "medium", "medium", "high")),
                    "urgency": rng.choice(("low", "medium", "medium", "high")),
                    "category": category,
                }
            )
        )
    return found


def run(ctx: Context) -> list[Result]:
    budget = ctx.budget((400, 2.5), (6000, 30.0))
    floor = ctx.http_floor(CLIENTS)
    run_id = int(time.time())
    tokens = ctx.fixtures.requester_tokens
    requests = [
        {
            "method": "POST",
            "path": "/api/v1/tickets",
            "label": "create",
            "headers": {
                "Authorization": f"Bearer {tokens[number % len(tokens)]}",
                "Idempotency-Key": f"bench-{run_id}-{{n}}",
            },
            "body": body,
        }
        for number, body in enumerate(bodies(32, run_id))
    ]
    load = ctx.load(requests, CLIENTS, budget)
    result = http_result(NAME, TITLE, ctx, load, TARGET, unit="tickets/s")
    result.compare_throughput(floor)
    write = ctx.write_floor()
    result.extra["write_floor"] = write
    if result.throughput and write.get("throughput"):
        result.extra["ratio_to_write_floor"] = round(result.throughput / write["throughput"], 3)
    if result.status == "ok" and result.ratio is not None:
        p99 = result.latency_ms.get("p99", float("inf"))
        result.met = result.ratio >= SHARE.get(ctx.vendor, 0.08) and p99 < 50
    return [result]
