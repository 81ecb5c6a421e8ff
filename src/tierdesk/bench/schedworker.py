"""One scheduler worker process for the timer-firing scenario.

Prints ``ready`` once Django is set up and the worker warmed up as a started worker does
(:func:`tierdesk.scheduler.loop.warm_up`), waits for ``go`` on stdin, then ticks at the given
moment until nothing is due, and prints a JSON summary: counts, wall-clock bounds, the time
spent waiting for the other worker, and the CPU seconds this worker and its database backend
used (the backend's only where the database runs on this host), which tell a run slowed by
more work from one slowed by waiting.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from typing import Any

from tierdesk.bench.rss import PROC, cpu_seconds


def main(moment: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierdesk.settings")
    import django

    django.setup()
    from django.db import connection

    from tierdesk.scheduler.loop import tick, warm_up
    from tierdesk.scheduler.models import Timer

    now = datetime.fromisoformat(moment)
    warm_up()  # connect and load before the clock starts, as a worker does when it starts
    backend = _backend_pid(connection)
    print("ready", flush=True)
    sys.stdin.readline()
    totals: dict[str, float] = {"fired": 0, "failed": 0, "deferred": 0, "ticks": 0, "waited": 0.0}
    started = time.time()
    own_cpu, backend_cpu = time.process_time(), cpu_seconds(backend) if backend else None
    while True:
        round_started = time.monotonic()
        outcome = tick(now=now, batch=200)
        totals["ticks"] += 1
        totals["fired"] += outcome.fired
        totals["failed"] += outcome.failed
        deferred = getattr(outcome, "deferred", 0)  # older loops reported skipped tickets
        totals["deferred"] += deferred
        if outcome.fired + outcome.failed + deferred == 0:
            if not Timer.objects.filter(due_at__lte=now).exists():
                break
            time.sleep(0.005)  # the other worker holds the rest: wait for its commit
            totals["waited"] += time.monotonic() - round_started
    finished = time.time()
    totals["cpu"] = time.process_time() - own_cpu
    backend_after = cpu_seconds(backend) if backend else None
    if backend_cpu is not None and backend_after is not None:
        totals["backend_cpu"] = backend_after - backend_cpu
    print(json.dumps({**totals, "started": started, "finished": finished}), flush=True)


LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})


def _backend_pid(connection: Any) -> int | None:
    """The process id of this worker's PostgreSQL backend when it runs on this machine (so
    that /proc tells its CPU time); None on other databases and other hosts."""
    host = str(connection.settings_dict.get("HOST") or "")
    if connection.vendor != "postgresql" or not (host in LOCAL_HOSTS or host.startswith("/")):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    try:  # a server in a container numbers its processes apart from this machine's
        named = (PROC / str(pid) / "comm").read_text().startswith("postgres")
    except OSError:
        named = False
    return pid if named else None


if __name__ == "__main__":
    main(sys.argv[1])
