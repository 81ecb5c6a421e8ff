"""Peak resident memory of a process tree, sampled from /proc while a scenario runs."""

from __future__ import annotations

import os
import threading
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


def descendants(root: int) -> list[int]:
    """``root`` and every process below it."""
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
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


class Sampler:
    """``with Sampler(roots): …`` records the peak total and per-process RSS of the trees,
    leaving out the trees of ``exclude`` (a server another scenario left running below
    this process is not this scenario's memory)."""

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

    def sample(self) -> None:
        pids = {pid for root in self.roots() for pid in descendants(root)}
        pids -= {pid for root in self.exclude() for pid in descendants(root)}
        sizes = [rss_mb(pid) for pid in pids]
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
