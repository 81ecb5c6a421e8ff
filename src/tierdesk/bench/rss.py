"""What /proc tells a scenario: the peak resident memory of a process tree (sampled while it
runs), a process's CPU time, and the CPU time the host took from this machine."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

PROC = Path("/proc")


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (0 if it is gone)."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return 0.0
    return 0.0


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time ``pid`` has used so far (None if it is gone or not local)."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def stolen_seconds() -> float | None:
    """CPU time the hypervisor gave other guests so far, summed over this machine's CPUs
    (the ``steal`` column of /proc/stat); None where it is not reported."""
    try:
        first = (PROC / "stat").read_text().split("\n", 1)[0].split()
        return int(first[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class StolenShare:
    """``with StolenShare() as stolen: …``, then ``stolen.share``: the fraction of this
    machine's CPU time that the host gave other guests during the block (None where
    /proc/stat does not tell). On a shared host it says which runs were starved."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.share: float | None = None
        self._clock = clock
        self._before: float | None = None
        self._started = 0.0

    def __enter__(self) -> StolenShare:
        self._before, self._started = stolen_seconds(), self._clock()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        after, wall = stolen_seconds(), self._clock() - self._started
        if self._before is not None and after is not None and wall > 0:
            # Some hypervisors have been seen to step the counter back: no negative share.
            stolen = max(0.0, after - self._before)
            self.share = round(stolen / (wall * (os.cpu_count() or 1)), 4)


def descendants(root: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """``root`` and every process below it (in ``children``, a :func:`process_tree`, when
    given: one read of /proc for several roots)."""
    below = process_tree() if children is None else children
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(below.get(pid, []))
    return found


def process_tree() -> dict[int, list[int]]:
    """Every process's children, by parent pid, as /proc shows them now."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


# Processes of the benchmark itself (the pace probe) that no sample counts.
INSTRUMENTS: set[int] = set()


class Sampler:
    """``with Sampler(roots): …`` records the peak total and per-process RSS of the trees,
    leaving out the trees of ``exclude`` (a server another scenario left running below
    this process is not this scenario's memory) and the benchmark's own ``INSTRUMENTS``."""

    def __init__(
        self,
        roots: Callable[[], Iterable[int]] | None = None,
        interval: float = 0.1,
        *,
        exclude: Callable[[], Iterable[int]] = lambda: (),
    ) -> None:
        self.roots = roots or (lambda: [os.getpid()])
        self.exclude = exclude
        self.interval = interval
        self.peak_total = 0.0
        self.peak_process = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def pids(self) -> set[int]:
        """The processes a sample counts now. /proc is read once per sample: the sampler
        runs every tenth of a second inside the process it measures (the mail import's),
        where each read of it was a millisecond and more of that process's time."""
        tree = process_tree()
        pids = {pid for root in self.roots() for pid in descendants(root, tree)}
        left_out = [*self.exclude(), *INSTRUMENTS]
        return pids - {pid for root in left_out for pid in descendants(root, tree)}

    def sample(self) -> None:
        sizes = [rss_mb(pid) for pid in self.pids()]
        if sizes:
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_process = max(self.peak_process, max(sizes))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def as_dict(self) -> dict[str, float]:
        return {"total_mb": round(self.peak_total, 1), "process_mb": round(self.peak_process, 1)}
