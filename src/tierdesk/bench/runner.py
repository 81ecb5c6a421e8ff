"""One database's part of a benchmark run, in its own process (``DATABASE_URL`` set by the
caller): migrate, generate (or reuse), prepare fixtures, run the scenarios.

Reads a JSON spec on stdin, writes progress on stderr and one JSON result on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from tierdesk.bench.pace import HostWatch

HTTP_SCENARIOS = frozenset({"api_create", "api_queue", "api_detail", "api_search", "html_pages"})


def say(message: str) -> None:
    sys.stderr.write(f"  {message}\n")
    sys.stderr.flush()


def _generate(spec: dict[str, Any], meta_path: Path) -> dict[str, Any]:
    from tierdesk.bench.generator import generate
    from tierdesk.tickets.models import Ticket

    if spec.get("reuse") and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        if meta.get("tickets") == spec["tickets"] and Ticket.objects.exists():
            say(f"reusing the {spec['tickets']:,} tickets generated {meta['generated_at']}")
            return {**meta["generation"], "reused": True}
    if spec.get("reuse") and Ticket.objects.exists():
        # Generating on top of a filled database would double it: reuse it as it is.
        say("reusing a database whose generation was not recorded")
        return {"tickets": Ticket.objects.count(), "reused": True}
    total, done, shown = spec["tickets"], 0, -1

    def progress(count: int) -> None:
        nonlocal done, shown
        done += count
        percent = done * 100 // total
        if percent // 10 != shown:
            shown = percent // 10
            say(f"generated {done:,}/{total:,} tickets")

    generated = generate(total, seed=spec["seed"], progress=progress).as_dict()
    meta_path.write_text(
        json.dumps(
            {
                "tickets": total,
                "generated_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                "generation": generated,
            }
        )
    )
    return generated


def _versions() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        return {connection.vendor: str(cursor.fetchone()[0])}


# The server settings that decide how a PostgreSQL run reads: a server tuned for tests runs
# without autovacuum, and unless the run vacuums in its place, every read after the write
# scenarios sees tables that no vacuum visited since generation (index-only scans fetch
# from the heap, at a million tickets several times slower).
SERVER_SETTINGS = ("autovacuum", "shared_buffers", "fsync", "synchronous_commit")


def _stand_in_for_autovacuum(server: dict[str, str]) -> bool:
    """Whether the run vacuums after each writing scenario itself: PostgreSQL ships with
    autovacuum on and the desk relies on it (tickets 0008), so on a server that has it
    switched off the benchmark does its work between scenarios, and the report says so."""
    return server.get("autovacuum") == "off"


def _vacuum() -> float | str:
    """VACUUM (ANALYZE) of the whole database, as autovacuum would have got to by now;
    returns its seconds, or what went wrong (the run goes on: it only reads slower)."""
    from django.db import connection

    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    except Exception as exc:
        traceback.print_exc()
        return f"failed: {type(exc).__name__}: {exc}"
    return round(time.perf_counter() - started, 2)


def _server() -> dict[str, str]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
            [list(SERVER_SETTINGS)],
        )
        return dict(cursor.fetchall())


def main(spec: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from tierdesk.bench import fixtures, scenarios
    from tierdesk.bench.scenarios.base import Context, Result
    from tierdesk.conf.keys import record_or_refuse

    data_dir = Path(spec["data_dir"])
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter() - started
    # A database generated with another data directory's audit key would fail its chain
    # verification and sign new events with a second key: refuse it before anything runs.
    record_or_refuse()
    # One record per database kind: the SQLite file and the PostgreSQL database share a name.
    generation = _generate(spec, data_dir / f"{spec['name']}-{connection.vendor}.json")
    names = [n for n in scenarios.ORDER if n in spec["scenarios"]]
    prepared = fixtures.build() if HTTP_SCENARIOS & set(names) else fixtures.Fixtures()
    ctx = Context(
        vendor=connection.vendor,
        quick=spec["quick"],
        tickets=spec["tickets"],
        data_dir=data_dir,
        fixtures=prepared,
    )
    server = _server()
    vacuumed: dict[str, float | str] = {}
    results: list[dict[str, Any]] = []
    try:
        for name in names:
            say(f"{connection.vendor}: {name}")
            # Each scenario on a connection of its own: SQLite's memory-mapped pages that the
            # generation or an earlier scenario touched would otherwise count in this one's
            # resident memory (400 MB for a mail import that takes 166 MB on its own).
            connections.close_all()
            module = scenarios.load(name)
            host = HostWatch()
            try:
                with host:
                    found = module.run(ctx)
            except Exception as exc:
                traceback.print_exc()
                found = [
                    Result(
                        name,
                        module.TITLE,
                        connection.vendor,
                        status="failed",
                        target=module.TARGET,
                        note=f"{type(exc).__name__}: {exc}",
                    )
                ]
            for result in found:
                result.extra.setdefault("tickets", spec["tickets"])
                if result.status != "skipped":  # a skipped row measured nothing
                    reading = host.reading()
                    result.stolen, result.pace_ms = reading["stolen"], reading["pace_ms"]
                results.append(result.as_dict())
            if getattr(module, "WRITES", False) and _stand_in_for_autovacuum(server):
                say(f"{connection.vendor}: VACUUM (ANALYZE) after {name} (no autovacuum)")
                vacuumed[name] = _vacuum()
    finally:
        ctx.close()
    return {
        "database": connection.vendor,
        "name": spec["name"],
        "tickets": spec["tickets"],
        "migrate_seconds": round(migrated, 2),
        "generation": generation,
        "versions": _versions(),
        "server": server,
        "vacuumed_after": vacuumed,
        "results": results,
    }


if __name__ == "__main__":
    json.dump(main(json.load(sys.stdin)), sys.stdout)
