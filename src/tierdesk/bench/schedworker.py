"""One scheduler worker process for the timer-firing scenario.

Prints ``ready`` once Django is set up and the worker warmed up as a started worker does
(:func:`tierdesk.scheduler.loop.warm_up`), waits for ``go`` on stdin, then ticks at the given
moment until nothing is due, and prints a JSON summary (counts and wall-clock bounds).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime


def main(moment: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierdesk.settings")
    import django

    django.setup()
    from tierdesk.scheduler.loop import tick, warm_up
    from tierdesk.scheduler.models import Timer

    now = datetime.fromisoformat(moment)
    warm_up()  # connect and load before the clock starts, as a worker does when it starts
    print("ready", flush=True)
    sys.stdin.readline()
    totals = {"fired": 0, "failed": 0, "deferred": 0, "ticks": 0}
    started = time.time()
    while True:
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
    print(json.dumps({**totals, "started": started, "finished": time.time()}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
