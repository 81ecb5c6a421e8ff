"""The benchmark report: ``latest.json`` (everything) and ``latest.md`` (the table)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HOST_NOTE = (
    "host: pace / steal while the row ran. Pace is how fast a fixed loop ran (its median"
    " CPU time, sampled every quarter second by `tierdesk.bench.pace`) against the fastest"
    " row of this run: on a shared host the same loop takes up to twice the CPU time from"
    " one second to the next. Steal is the share of the machine's CPU time the hypervisor"
    " gave other guests. A row with a low pace or a high steal ran on less machine. A"
    " floor measured inside a row's scenario (the tick's, the audit walk's, or the first"
    " use of a shared floor) counts in that row's window."
)
DATABASES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
COLUMNS = (
    "scenario",
    "db",
    "result",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "floor",
    "vs floor",
    "peak RSS MB",
    "host",
    "target",
    "met",
)


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _floor(result: dict[str, Any]) -> str:
    floor = result.get("floor") or {}
    if not floor:
        return "–"
    if result.get("ratio_kind") == "latency":
        return f"p95 {_number(floor.get('latency_ms', {}).get('p95'), 2)} ms"
    return f"{_number(floor.get('throughput'))}/s"


def _ratio(result: dict[str, Any]) -> str:
    ratio = result.get("ratio")
    if ratio is None:
        return "–"
    if result.get("ratio_kind") == "throughput":
        return f"{ratio * 100:.1f}%"
    return f"{ratio:.1f}×"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def _pace(loop_ms: float | None, fastest_ms: float | None) -> str:
    return "–" if not loop_ms or not fastest_ms else f"{fastest_ms / loop_ms:.2f}"


def _host(result: dict[str, Any], fastest_ms: float | None) -> str:
    """``pace / steal`` (see :data:`HOST_NOTE`)."""
    pace, stolen = result.get("pace_ms"), result.get("stolen")
    if pace is None and stolen is None:
        return "–"
    return f"{_pace(pace, fastest_ms)} / {_percent(stolen)}"


def fastest_pace_ms(results: list[dict[str, Any]]) -> float | None:
    """The pace probe's quickest median loop over the rows and their floors."""
    seen = [
        value
        for result in results
        for value in (result.get("pace_ms"), (result.get("floor") or {}).get("pace_ms"))
        if value
    ]
    return min(seen) if seen else None


def _headline(result: dict[str, Any]) -> str:
    if result.get("status") == "skipped":
        return "skipped"
    if result.get("throughput") is not None:
        return f"{_number(result['throughput'])} {result.get('unit', '')}".strip()
    if result.get("unit") == "MB":
        rss = result.get("rss_mb", {})
        return f"{_number(rss.get('total_mb'))} MB tree"
    return str(result.get("status", ""))


def row(result: dict[str, Any], fastest_ms: float | None = None) -> list[str]:
    latency = result.get("latency_ms") or {}
    met = result.get("met")
    rss = result.get("rss_mb") or {}
    return [
        result.get("title", result.get("name", "")),
        DATABASES.get(result.get("database", ""), ""),
        _headline(result),
        _number(latency.get("p50"), 2),
        _number(latency.get("p95"), 2),
        _number(latency.get("p99"), 2),
        _floor(result),
        _ratio(result),
        _number(rss.get("process_mb")) if rss else "–",
        _host(result, fastest_ms),
        result.get("target", ""),
        {True: "yes", False: "**no**", None: "–"}[met],
    ]


def markdown(document: dict[str, Any]) -> str:
    machine = document.get("machine", {})
    lines = [
        f"Command: `{document.get('command', '')}` ({'quick' if document.get('quick') else 'full'}"
        f", {document.get('tickets', 0):,} tickets, seed {document.get('seed')}), "
        f"{document.get('started_at', '')}, {document.get('seconds', 0)} s.",
        "",
        f"Machine: {machine.get('nproc')} CPUs ({machine.get('cpu', '?')}), "
        f"{machine.get('memory_gb', '?')} GB RAM, Python {machine.get('python', '?')}; "
        f"load average {_loads(document)}.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    notes = []
    results = document.get("results", [])
    fastest = fastest_pace_ms(results)
    for result in results:
        cells = row(result, fastest)
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
        if result.get("note"):
            notes.append(f"- {result.get('title')} ({result.get('database')}): {result['note']}")
    lines += [
        *_host_note(results, fastest),
        "",
        *_generation(document),
        *(["", "Notes:", *notes] if notes else []),
    ]
    return "\n".join(lines) + "\n"


def _host_note(results: list[dict[str, Any]], fastest_ms: float | None) -> list[str]:
    """What the host column means, and each floor's pace and steal once, in row order;
    nothing for a document from before the column."""
    if not any("stolen" in result or "pace_ms" in result for result in results):
        return []
    floors: dict[str, str] = {}
    for result in results:
        floor = result.get("floor") or {}
        if floor.get("name") and ("stolen" in floor or "pace_ms" in floor):
            label = f"{DATABASES.get(result.get('database', ''), '')} {floor['name']}"
            floors.setdefault(label, f"{label}: {_host(floor, fastest_ms)}")
    listed = "; ".join(floors.values()) or "none measured apart from their rows"
    # Pace is relative within a run; the loop's own time lets two runs be compared.
    fastest = f"{fastest_ms:.2f} ms" if fastest_ms else "not measured"
    return ["", f"{HOST_NOTE} Fastest loop of this run: {fastest}. Floors: {listed}."]


def _loads(document: dict[str, Any]) -> str:
    start = document.get("load_average_start") or []
    end = document.get("load_average_end") or []
    if not start:
        return "?"
    return f"{start[0]:.1f} at start, {end[0]:.1f} at end" if end else f"{start[0]:.1f}"


def _generation(document: dict[str, Any]) -> list[str]:
    lines = []
    for vendor, sizes in document.get("databases", {}).items():
        for size, info in sizes.items():
            if not isinstance(info, dict):
                lines.append(f"- {vendor}: {info}")
                continue
            lines += _server(vendor, size, info.get("server") or {}, info.get("vacuumed_after"))
            generated = info.get("generation", {})
            if not generated:
                continue
            if generated.get("seconds") is None:
                lines.append(f"- {vendor}, {int(size):,} tickets: reused, generation not recorded")
                continue
            lines.append(
                f"- Generation, {vendor}, {int(size):,} tickets: {generated.get('seconds')} s "
                f"({_number(generated.get('tickets_per_second'))} tickets/s, "
                f"{generated.get('open_fraction', 0) * 100:.1f}% open"
                f"{', reused' if generated.get('reused') else ''})"
            )
    return ["Data:", *lines] if lines else []


def _server(
    vendor: str, size: str, server: dict[str, str], vacuumed: dict[str, float | str] | None
) -> list[str]:
    """The server's settings, and what the run did in place of a missing autovacuum:
    ``vacuumed`` maps each writing scenario to its vacuum's seconds (or its failure), is
    empty when no scenario wrote, and None for runs from before the runner stood in."""
    if not server:
        return []
    settings = ", ".join(f"{name} {value}" for name, value in server.items())
    line = f"- Server, {vendor}, {int(size):,} tickets: {settings}"
    if server.get("autovacuum") != "off":
        return [line]
    if vacuumed:
        done = ", ".join(
            f"{name} {outcome} s" if isinstance(outcome, int | float) else f"{name} {outcome}"
            for name, outcome in vacuumed.items()
        )
        line += (
            "; in place of autovacuum the benchmark ran VACUUM (ANALYZE) after each writing"
            f" scenario, outside its timing ({done})"
        )
    elif vacuumed is None:
        line += (
            "; no vacuum ran between the scenarios, so the reads after the write scenarios"
            " saw tables as a desk without autovacuum would"
        )
    else:
        line += "; no scenario of this run wrote, so none needed a vacuum"
    return [line]


def write(document: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    as_json = directory / "latest.json"
    as_markdown = directory / "latest.md"
    as_json.write_text(json.dumps(document, indent=2, default=str) + "\n")
    as_markdown.write_text(markdown(document))
    return as_json, as_markdown
