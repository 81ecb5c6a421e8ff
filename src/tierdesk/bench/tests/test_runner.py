"""A benchmark run refuses a database written with another data directory's keys, stands in
for a missing autovacuum after the scenarios that write, and records how the host treated
each row."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection

from tierdesk.bench import runner, scenarios
from tierdesk.bench.scenarios.base import Result
from tierdesk.conf.env import ConfigurationError
from tierdesk.conf.keys import record_or_refuse
from tierdesk.tickets.models import Ticket


def _spec(tmp_path: Path, *scenario_names: str) -> dict[str, Any]:
    """A quick run of these scenarios on the database the test already has."""
    return {
        "data_dir": str(tmp_path),
        "name": "tierdesk_bench_test",
        "tickets": 10,
        "seed": 1,
        "reuse": True,
        "quick": True,
        "scenarios": list(scenario_names),
    }


@pytest.mark.django_db
def test_a_reused_database_written_with_another_audit_key_is_refused(settings, tmp_path):
    record_or_refuse()  # the database as generated, with its keys
    settings.AUDIT_KEY = "the key of another data directory"
    spec = _spec(tmp_path)
    with pytest.raises(ConfigurationError, match="TIERDESK_AUDIT_KEY"):
        runner.main(spec)
    assert not Ticket.objects.exists(), "nothing was generated or run"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_autovacuum_the_run_vacuums_after_each_writing_scenario_only(monkeypatch, tmp_path):
    assert connection.vendor == "postgresql", "VACUUM is PostgreSQL's"
    ran: list[str] = []

    def scenario(name: str, writes: bool) -> SimpleNamespace:
        return SimpleNamespace(
            NAME=name, TITLE=name, TARGET="", WRITES=writes, run=lambda ctx: ran.append(name) or []
        )

    fakes = {
        "scheduler_tick": scenario("scheduler_tick", False),
        "email_ingest": scenario("email_ingest", True),
    }
    monkeypatch.setattr(scenarios, "load", fakes.__getitem__)
    monkeypatch.setattr(runner, "_generate", lambda spec, meta_path: {})
    monkeypatch.setattr(runner, "_server", lambda: {"autovacuum": "off"})
    spec = _spec(tmp_path, "email_ingest", "scheduler_tick")

    vacuums_before = _vacuums_of_the_ticket_table()

    outcome = runner.main(spec)

    assert ran == ["scheduler_tick", "email_ingest"], "in the benchmark's order"
    assert list(outcome["vacuumed_after"]) == ["email_ingest"]
    assert isinstance(outcome["vacuumed_after"]["email_ingest"], float)
    assert _vacuums_of_the_ticket_table() == vacuums_before + 1, "one vacuum, after the write"


def _vacuums_of_the_ticket_table() -> int:
    with connection.cursor() as cursor:
        # Fresh statistics, not a snapshot this session cached before the vacuum.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s",
            [Ticket._meta.db_table],
        )
        return int(cursor.fetchone()[0])


@pytest.mark.postgres  # SQLite's test database lives in memory, and Django never closes that
@pytest.mark.django_db(transaction=True)
def test_each_scenario_starts_on_a_connection_of_its_own(monkeypatch, tmp_path):
    """Memory an earlier scenario's connection holds (SQLite's mapped pages) is not the
    next scenario's."""
    fresh: list[bool] = []

    def run(ctx: object) -> list[object]:
        fresh.append(connection.connection is None)
        Ticket.objects.exists()  # the scenario's own work opens it again
        return []

    fake = SimpleNamespace(NAME="x", TITLE="x", TARGET="", run=run)
    monkeypatch.setattr(scenarios, "load", lambda name: fake)
    monkeypatch.setattr(runner, "_generate", lambda spec, meta_path: {})
    spec = _spec(tmp_path, "scheduler_tick", "email_ingest")

    runner.main(spec)

    assert fresh == [True, True]


@pytest.mark.django_db(transaction=True)  # the runner closes connections between scenarios
def test_each_measured_row_records_how_the_host_treated_it_and_a_skipped_row_does_not(
    monkeypatch, tmp_path
):
    def run(ctx: object) -> list[Result]:
        time.sleep(0.3)  # long enough for the pace probe to time its loop
        return [
            Result("x", "measured", connection.vendor),
            Result("x", "skipped", connection.vendor, status="skipped"),
        ]

    fake = SimpleNamespace(NAME="x", TITLE="x", TARGET="", run=run)
    monkeypatch.setattr(scenarios, "load", lambda name: fake)
    monkeypatch.setattr(runner, "_generate", lambda spec, meta_path: {})
    monkeypatch.setattr(runner, "_server", dict)

    measured, skipped = runner.main(_spec(tmp_path, "scheduler_tick"))["results"]

    assert measured["pace_ms"] > 0
    assert 0 <= measured["stolen"] <= 1
    assert skipped["pace_ms"] is None
    assert skipped["stolen"] is None
