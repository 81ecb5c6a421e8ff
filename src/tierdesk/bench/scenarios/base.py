"""What a scenario gets (:class:`Context`) and returns (:class:`Result`), and the floors.

Floors are measured once per database run and shared by the scenarios that compare with
them, so a scenario and its floor always come from the same machine state.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tierdesk.bench import floors, loadgen
from tierdesk.bench.fixtures import Fixtures
from tierdesk.bench.pace import HostWatch
from tierdesk.bench.rss import Sampler
from tierdesk.bench.server import FLOOR_PATH, Server


@dataclass
class Result:
    name: str
    title: str
    database: str
    status: str = "ok"  # ok | skipped | failed
    note: str = ""
    unit: str = ""
    throughput: float | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    floor: dict[str, Any] = field(default_factory=dict)
    ratio: float | None = None
    ratio_kind: str = ""  # "throughput": value ÷ floor; "latency": p95 ÷ floor p95
    target: str = ""
    met: bool | None = None
    # How the host treated the machine while the scenario ran (``pace.HostWatch``): the
    # share of its CPU time given to other guests and the median time of the pace probe's
    # fixed loop. A row measured while either was high ran on less
    # machine than one measured while both were low.
    stolen: float | None = None
    pace_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def compare_throughput(self, floor: dict[str, Any]) -> None:
        self.floor = floor
        if self.throughput and floor.get("throughput"):
            self.ratio = round(self.throughput / floor["throughput"], 4)
            self.ratio_kind = "throughput"

    def compare_latency(self, floor: dict[str, Any]) -> None:
        self.floor = floor
        mine, theirs = self.latency_ms.get("p95"), floor.get("latency_ms", {}).get("p95")
        if mine and theirs:
            self.ratio = round(mine / theirs, 2)
            self.ratio_kind = "latency"


@dataclass
class Budget:
    """How much load a scenario may apply: a request count and a hard time limit."""

    count: int
    seconds: float


@dataclass
class Context:
    vendor: str
    quick: bool
    tickets: int
    data_dir: Path
    fixtures: Fixtures
    web_workers: int = field(default_factory=lambda: max(2, os.cpu_count() or 1))
    server: Server | None = None
    web_rss: Sampler | None = None
    worker_rss: dict[str, float] = field(default_factory=dict)
    _floors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def budget(self, quick: tuple[int, float], full: tuple[int, float]) -> Budget:
        count, seconds = quick if self.quick else full
        return Budget(count, seconds)

    def web(self) -> Server:
        """The production server for this database, started on first use."""
        if self.server is None:
            server = Server(self.web_workers, self.data_dir / f"web-{self.vendor}.log")
            server.start()
            self.server = server
            self.web_rss = Sampler(lambda: [self.server.pid] if self.server else [])
            self.web_rss.__enter__()
        return self.server

    def close(self) -> None:
        if self.web_rss is not None:
            self.web_rss.__exit__(None, None, None)
        if self.server is not None:
            self.server.stop()

    def load(
        self, requests: list[dict[str, Any]], concurrency: int, budget: Budget, warmup: int = 20
    ) -> dict[str, Any]:
        server = self.web()
        with Sampler(lambda: [server.pid]) as sampler:
            result = loadgen.run_process(
                {
                    "port": server.port,
                    "concurrency": concurrency,
                    "count": budget.count,
                    "duration": budget.seconds,
                    "warmup": warmup,
                    "requests": requests,
                }
            )
        result["rss_mb"] = sampler.as_dict()
        return result

    def http_floor(self, concurrency: int) -> dict[str, Any]:
        """The bare Django JSON view, same server, same workers, same client count."""
        key = f"http-{concurrency}"
        if key not in self._floors:
            budget = self.budget((1500, 2.0), (8000, 15.0))
            with HostWatch() as host:
                result = self.load([{"path": FLOOR_PATH}], concurrency, budget, warmup=100)
            self._floors[key] = {
                "name": f"bare Django JSON view, {self.web_workers} gunicorn workers, "
                f"{concurrency} client(s)",
                "throughput": result["throughput"],
                "latency_ms": result["latency_ms"],
                "requests": result["requests"],
                **host.reading(),
            }
        return self._floors[key]

    def write_floor(self) -> dict[str, Any]:
        """A bare single-row INSERT-and-commit loop on the same database."""
        if "write" not in self._floors:
            budget = self.budget((500, 1.5), (5000, 10.0))
            with HostWatch() as host:
                floor = floors.insert_commit_loop(budget.count, budget.seconds)
            self._floors["write"] = {**floor, **host.reading()}
        return self._floors["write"]


def http_result(
    name: str, title: str, ctx: Context, load: dict[str, Any], target: str, unit: str = "req/s"
) -> Result:
    """A Result filled from a load generator outcome (errors become a failed status)."""
    result = Result(
        name,
        title,
        ctx.vendor,
        unit=unit,
        throughput=load["throughput"],
        latency_ms=load["latency_ms"],
        rss_mb=load.get("rss_mb", {}),
        target=target,
    )
    result.extra = {"requests": load["requests"], "statuses": load.get("statuses", {})}
    if load.get("by_label"):
        result.extra["by_label"] = load["by_label"]
    if load.get("errors"):
        result.status = "failed"
        result.note = f"{load['errors']} error responses; first: {load['first_error'][:300]}"
    elif not load.get("requests"):
        result.status = "failed"
        result.note = "no request completed within the time budget"
    return result
