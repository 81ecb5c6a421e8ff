"""One generator worker process: reads a pickled plan on stdin, reports batches on stdout.

Started by :func:`tierdesk.bench.generator.generate`; each worker writes every ``workers``-th
batch, so the workers' shares never overlap.
"""

from __future__ import annotations

import json
import os
import pickle
import sys


def main(worker: int, workers: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierdesk.settings")
    import django

    django.setup()  # before unpickling: the plan refers to classes of model modules
    plan = pickle.loads(sys.stdin.buffer.read())
    from tierdesk.bench.generator import work_share

    def report(count: int, open_tickets: int) -> None:
        sys.stdout.write(f"batch {count} {open_tickets}\n")
        sys.stdout.flush()

    counts, _ = work_share(plan, worker, workers, report)
    sys.stdout.write(f"done {json.dumps(counts)}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
