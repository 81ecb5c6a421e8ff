"""Benchmark scenarios, one module each, run in this order.

Each module has ``NAME``, ``TITLE``, ``TARGET`` and ``run(ctx) -> list[Result]``, and
``WRITES = True`` when it changes many rows: on a PostgreSQL server without autovacuum the
runner vacuums after such a scenario (see ``runner``). Creating tickets comes first; firing
timers and importing mail come after the scenarios that only read. The audit check comes
after everything that writes events (and last among the in-process scenarios, since
holding every chain head grows the process).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

ORDER = (
    "api_create",
    "api_queue",
    "api_detail",
    "api_search",
    "html_pages",
    "scheduler_tick",
    "scheduler_workers",
    "email_ingest",
    "audit_verify",
    "serve_rss",
)


def load(name: str) -> ModuleType:
    if name not in ORDER:
        raise KeyError(f"no scenario {name!r}; known: {', '.join(ORDER)}")
    return import_module(f"tierdesk.bench.scenarios.{name}")


def describe() -> list[tuple[str, str, str]]:
    """(name, title, target) of every scenario, in run order."""
    return [(name, load(name).TITLE, load(name).TARGET) for name in ORDER]
