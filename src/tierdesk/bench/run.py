"""``tierdesk bench run``: every selected scenario on every selected database, one report.

Each database runs in its own process (:mod:`tierdesk.bench.runner`) because the database is
chosen at settings time. The scheduler-tick scenario also runs on a database a hundredth the
size, so the report shows that a tick's cost does not grow with open work.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tierdesk.bench import databases, report
from tierdesk.bench.databases import Target

QUICK_TICKETS = 20_000
FULL_TICKETS = 1_000_000
SMALL_SHARE = 100
Echo = Callable[[str], None]


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return info


def _child(target: Target, spec: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": target.url, "DJANGO_SETTINGS_MODULE": "tierdesk.settings"}
    process = subprocess.run(
        [sys.executable, "-m", "tierdesk.bench.runner"],
        input=json.dumps(spec).encode(),
        stdout=subprocess.PIPE,
        env=env,
        check=False,
    )
    if process.returncode != 0:
        raise RuntimeError(f"the {target.kind} run failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(process.stdout)
    return result


def run(
    *,
    quick: bool,
    scenario_names: list[str],
    kinds: list[str],
    postgres_url: str,
    tickets: int,
    seed: int,
    reuse: bool,
    data_dir: Path,
    out_dir: Path,
    command: str,
    echo: Echo,
) -> dict[str, Any]:
    tickets = tickets or (QUICK_TICKETS if quick else FULL_TICKETS)
    started = time.time()
    document: dict[str, Any] = {
        "command": command,
        "quick": quick,
        "tickets": tickets,
        "seed": seed,
        "machine": machine(),
        "load_average_start": list(os.getloadavg()),
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "databases": {},
        "results": [],
    }
    for kind in kinds:
        runs = [(tickets, scenario_names)]
        if "scheduler_tick" in scenario_names:
            runs.append((max(100, tickets // SMALL_SHARE), ["scheduler_tick"]))
        for size, names in runs:
            name = databases.name_for(size)
            target = (
                databases.sqlite(data_dir, name)
                if kind == "sqlite"
                else databases.postgres(postgres_url, name)
            )
            trouble = databases.problem(target)
            if trouble:
                echo(f"{kind}: skipped: {trouble}")
                document["databases"].setdefault(target.vendor, {})["skipped"] = trouble
                break
            fresh = not (reuse and databases.exists(target))
            if fresh:
                databases.reset(target)
            echo(
                f"{kind}: {size:,} tickets in {target.name} "
                f"({'new' if fresh else 'reused'}): {', '.join(names)}"
            )
            spec = {
                "name": name,
                "tickets": size,
                "seed": seed,
                "quick": quick,
                "scenarios": names,
                "reuse": not fresh,
                "data_dir": str(data_dir),
            }
            outcome = _child(target, spec)
            entry = document["databases"].setdefault(outcome["database"], {})
            entry[str(size)] = {k: v for k, v in outcome.items() if k != "results"}
            document["results"].extend(outcome["results"])
    document["load_average_end"] = list(os.getloadavg())
    document["seconds"] = round(time.time() - started, 1)
    report.write(document, out_dir)
    return document
