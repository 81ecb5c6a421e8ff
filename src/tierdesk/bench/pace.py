"""How fast the host let this machine's CPUs run while a scenario ran.

On a shared host the same pure-Python loop takes anywhere from 0.27 to 0.60 s of its own
CPU time from one second to the next on an idle machine: the hypervisor's other guests slow
each instruction without taking the CPU away (so the ``steal`` column misses it). A
scenario measured in a slow stretch does the same work in up to twice the time.

:class:`PaceProbe` runs a small process at the lowest priority that times one fixed loop
every :data:`EVERY_SECONDS` in its own CPU time, for as long as the block runs (about 1% of
one CPU). Its median loop time says how fast the machine ran during the block; the report
compares the rows of one run by it. A loop the scheduler interrupted is left out when
uninterrupted ones exist: it restarts on cold caches and would charge the scenario's own
load to the host.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import statistics
import subprocess
import sys
import time
from types import TracebackType

from tierdesk.bench.rss import INSTRUMENTS, StolenShare

LOOP_ITERATIONS = 50_000  # about 5 ms of CPU on the machines seen here
EVERY_SECONDS = 0.25
READY = "ready"


def timed_loop() -> tuple[float, bool]:
    """CPU seconds this process takes for the fixed loop, and whether it ran uninterrupted
    (no involuntary context switch)."""
    switches = resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw
    started = time.process_time()
    total = 0
    for number in range(LOOP_ITERATIONS):
        total += number * number % 7
    spent = time.process_time() - started
    return spent, resource.getrusage(resource.RUSAGE_SELF).ru_nivcsw == switches


def main() -> None:
    """Time the loop until stdin closes, then print the timings (milliseconds) as JSON, the
    uninterrupted ones apart from the others."""
    print(READY, flush=True)
    clean: list[float] = []
    interrupted: list[float] = []
    while True:
        spent, whole = timed_loop()
        (clean if whole else interrupted).append(round(spent * 1000, 3))
        readable, _, _ = select.select([sys.stdin], [], [], EVERY_SECONDS)
        if readable and not sys.stdin.readline():
            break
    print(json.dumps({"clean": clean, "interrupted": interrupted}), flush=True)


class PaceProbe:
    """``with PaceProbe() as pace: …``, then ``pace.loop_ms``: the median CPU time of the
    probe's uninterrupted loops during the block (of all its loops if none ran whole), and
    ``pace.clean`` and ``pace.interrupted``, the timings. A probe that cannot start or
    answer leaves them empty; the block runs all the same."""

    def __init__(self) -> None:
        self.clean: list[float] = []
        self.interrupted: list[float] = []
        self.loop_ms: float | None = None
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> PaceProbe:
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "tierdesk.bench.pace"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        except OSError:
            return self
        # It measures the machine; the scenario comes first, from the probe's first step.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, process.pid, 19)
        INSTRUMENTS.add(process.pid)  # not the scenario's memory
        self._process = process
        assert process.stdout is not None
        if process.stdout.readline().strip() != READY:  # started: its start-up is not the block's
            self._stop(process)
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
        try:
            out, _ = process.communicate(timeout=30)
            timings = json.loads(out)
            self.clean = [float(timing) for timing in timings["clean"]]
            self.interrupted = [float(timing) for timing in timings["interrupted"]]
        except (subprocess.TimeoutExpired, ValueError, TypeError, KeyError):
            self._stop(process)
            return
        finally:
            INSTRUMENTS.discard(process.pid)
        if chosen := self.clean or self.interrupted:
            self.loop_ms = round(statistics.median(chosen), 3)

    def _stop(self, process: subprocess.Popen[str]) -> None:
        process.kill()
        process.wait()
        INSTRUMENTS.discard(process.pid)
        self._process = None


class HostWatch:
    """``with HostWatch() as host: …``, then ``host.reading()``: how the host treated the
    machine during the block, as the report's ``stolen`` and ``pace_ms`` values."""

    def __init__(self) -> None:
        self.stolen = StolenShare()
        self.pace = PaceProbe()

    def __enter__(self) -> HostWatch:
        self.stolen.__enter__()
        try:
            self.pace.__enter__()
        except BaseException:
            self.stolen.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.pace.__exit__(kind, value, traceback)
        finally:
            self.stolen.__exit__(kind, value, traceback)

    def reading(self) -> dict[str, float | None]:
        return {"stolen": self.stolen.share, "pace_ms": self.pace.loop_ms}


if __name__ == "__main__":
    main()
