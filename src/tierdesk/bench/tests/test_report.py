"""The report: latest.json with everything, latest.md with one table row per result."""

from __future__ import annotations

import copy
import json
from typing import Any

from tierdesk.bench.report import COLUMNS, markdown, write

DOCUMENT: dict[str, Any] = {
    "command": "tierdesk bench run --quick",
    "quick": True,
    "tickets": 20000,
    "seed": 42,
    "machine": {"nproc": 2, "cpu": "Test CPU", "memory_gb": 8.0, "python": "3.11"},
    "load_average_start": [1.0, 1.0, 1.0],
    "load_average_end": [1.5, 1.0, 1.0],
    "databases": {
        "sqlite": {
            "20000": {
                "generation": {"seconds": 12.5, "tickets_per_second": 1600.0, "open_fraction": 0.1}
            }
        },
        "postgresql": {
            "20000": {
                "server": {"autovacuum": "off", "shared_buffers": "128MB"},
                "generation": {"seconds": 9.5, "tickets_per_second": 2100.0, "open_fraction": 0.1},
            }
        },
    },
    "results": [
        {
            "name": "api_create",
            "title": "Create ticket",
            "database": "sqlite",
            "status": "ok",
            "unit": "tickets/s",
            "throughput": 450.0,
            "latency_ms": {"p50": 8.0, "p95": 20.0, "p99": 30.0},
            "floor": {"throughput": 5000.0},
            "ratio": 0.09,
            "ratio_kind": "throughput",
            "rss_mb": {"process_mb": 80.0, "total_mb": 200.0},
            "target": "≥ 8%",
            "met": True,
        },
        {
            "name": "api_queue",
            "title": "Queue | list",
            "database": "postgresql",
            "status": "ok",
            "unit": "req/s",
            "throughput": 90.0,
            "latency_ms": {"p50": 10.0, "p95": 40.0, "p99": 50.0},
            "floor": {"latency_ms": {"p95": 2.0}},
            "ratio": 20.0,
            "ratio_kind": "latency",
            "target": "p95 < 30 ms",
            "met": False,
        },
        {
            "name": "html_pages",
            "title": "HTML queue page",
            "database": "sqlite",
            "status": "skipped",
            "note": "not there yet",
            "target": "p95 < 50 ms",
            "met": None,
        },
    ],
}


def test_markdown_has_the_command_machine_and_one_row_per_result():
    text = markdown(DOCUMENT)
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert table[0] == "| " + " | ".join(COLUMNS) + " |"
    assert len(table) == 2 + len(DOCUMENT["results"])
    assert all(line.count("|") == len(COLUMNS) + 1 for line in table)
    assert "`tierdesk bench run --quick`" in text
    assert "2 CPUs (Test CPU), 8.0 GB RAM" in text
    create, queue, skipped = table[2:]
    assert "450.0 tickets/s" in create
    assert "9.0%" in create
    assert "| yes |" in create
    assert "20.0×" in queue
    assert "**no**" in queue
    assert "Queue / list" in queue
    assert "| skipped |" in skipped
    assert "- HTML queue page (sqlite): not there yet" in text
    assert "1,600 tickets/s" in text


def _server_line(document: dict[str, Any]) -> str:
    lines = markdown(document).splitlines()
    assert not any(line.startswith("- Server, sqlite") for line in lines)
    return next(line for line in lines if line.startswith("- Server"))


def test_markdown_says_when_postgresql_ran_without_autovacuum():
    server = _server_line(DOCUMENT)
    assert "postgresql, 20,000 tickets: autovacuum off, shared_buffers 128MB" in server
    assert "without autovacuum" in server


def test_markdown_names_the_vacuums_the_benchmark_ran_in_place_of_autovacuum():
    document = copy.deepcopy(DOCUMENT)
    entry = document["databases"]["postgresql"]["20000"]
    entry["vacuumed_after"] = {"api_create": 3.21, "email_ingest": 1.5}
    server = _server_line(document)
    assert "autovacuum off" in server
    assert "in place of autovacuum the benchmark ran VACUUM (ANALYZE)" in server
    assert "(api_create 3.21 s, email_ingest 1.5 s)" in server
    assert "without autovacuum would" not in server


def test_markdown_says_when_a_stand_in_vacuum_failed_or_none_was_needed():
    document = copy.deepcopy(DOCUMENT)
    entry = document["databases"]["postgresql"]["20000"]
    entry["vacuumed_after"] = {"api_create": "failed: OperationalError: lock timeout"}
    assert "(api_create failed: OperationalError: lock timeout)" in _server_line(document)

    entry["vacuumed_after"] = {}
    assert "no scenario of this run wrote, so none needed a vacuum" in _server_line(document)


def test_write_puts_json_and_markdown_side_by_side(tmp_path):
    as_json, as_markdown = write(DOCUMENT, tmp_path / "results")
    assert as_json.name == "latest.json"
    assert as_markdown.name == "latest.md"
    assert json.loads(as_json.read_text())["results"][0]["ratio"] == 0.09
    assert as_markdown.read_text() == markdown(DOCUMENT)


def _host_cell(text: str, title: str) -> str:
    line = next(line for line in text.splitlines() if line.startswith(f"| {title}"))
    return [cell.strip() for cell in line.strip("|").split("|")][COLUMNS.index("host")]


def test_each_row_shows_its_pace_against_the_fastest_row_and_its_steal():
    document = copy.deepcopy(DOCUMENT)
    create, queue, skipped = document["results"]
    create.update(pace_ms=10.0, stolen=0.384)
    create["floor"] = {"name": "bare view", "throughput": 5000.0, "stolen": 0.02, "pace_ms": 5.0}
    queue.update(pace_ms=6.25, stolen=0.0)
    skipped.update(pace_ms=None, stolen=None)
    text = markdown(document)
    assert _host_cell(text, "Create") == "0.50 / 38%"
    assert _host_cell(text, "Queue") == "0.80 / 0%"
    assert _host_cell(text, "HTML queue page") == "–"
    assert "Fastest loop of this run: 5.00 ms." in text  # what another run compares with
    assert "Floors: SQLite bare view: 1.00 / 2%." in text


def test_a_report_from_before_the_host_column_shows_dashes_and_no_host_note():
    text = markdown(DOCUMENT)
    assert _host_cell(text, "Create") == "–"
    assert "pace / steal" not in text
