"""How fast the host let this machine's CPUs run while a scenario ran.

On a shared host the same pure-Python loop takes anywhere from 0.27 to 0.60 s of its own
CPU time from one second to the next on an idle machine: the hypervisor's other guests slow
each instruction without taking the CPU away (so the ``steal`` column misses it). A
scenario measured in a slow stretch does the same work in up to twice the time.

:class:`PaceProbe` runs a small process at the lowest priority that times one fixed loop
every :data:`EVERY_SECONDS` in its own CPU time, for as long as the block runs (about 1% of
one CPU). Its median loop time says how fast the machine ran during the block; the report
compares the rows of one run by it.
"""

from __future__ import annotations

import json
import os
import select
import statistics
import subprocess
import sys
import time
from types import TracebackType

from tierdesk.bench.rss import INSTRUMENTS

LOOP_ITERATIONS = 50_000  # about 5 ms of CPU on the machines seen here
EVERY_SECONDS = 0.25


def timed_loop() -> float:
    """CPU seconds this process takes for the fixed loop."""
    started = time.process_time()
    total = 0
    for number in range(LOOP_ITERATIONS):
        total += number * number % 7
    return time.process_time() - started


def main() -> None:
    """Time the loop until stdin closes, then print the timings (milliseconds) as JSON."""
    os.nice(19)  # it measures the machine; the scenario comes first
    timings: list[float] = []
    while True:
        timings.append(round(timed_loop() * 1000, 3))
        readable, _, _ = select.select([sys.stdin], [], [], EVERY_SECONDS)
        if readable and not sys.stdin.readline():
            break
    print(json.dumps(timings), flush=True)


class PaceProbe:
    """``with PaceProbe() as pace: …``, then ``pace.loop_ms``: the median CPU time of the
    probe's loop during the block (None if the probe failed), and ``pace.timings``."""

    def __init__(self) -> None:
        self.timings: list[float] = []
        self.loop_ms: float | None = None
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> PaceProbe:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tierdesk.bench.pace"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        INSTRUMENTS.add(self._process.pid)  # not the scenario's memory
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        INSTRUMENTS.discard(process.pid)
        try:
            out, _ = process.communicate(timeout=30)
            self.timings = [float(t) for t in json.loads(out)]
        except (subprocess.TimeoutExpired, ValueError, TypeError):
            process.kill()
            process.wait()
            return
        if self.timings:
            self.loop_ms = round(statistics.median(self.timings), 3)


if __name__ == "__main__":
    main()
