"""The mail benchmark's entry point measures the import alone."""

from __future__ import annotations

import sys

import pytest

from tierdesk.intake_email import bench

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(sys.platform != "linux", reason="the peak is reset through /proc")
def test_the_peak_memory_reported_is_the_imports_not_what_the_process_held_before(desk, tmp_path):
    held_before = b"\xff" * (300 * 1024 * 1024)  # written, so resident
    peak_before = bench._resident_kinds_mb()["peak_rss_mb"]
    del held_before
    path = tmp_path / "mail.mbox"
    bench.generate_mbox(path, 20)

    outcome = bench.ingest_mbox_benchmark(path)

    assert outcome["messages"] == 20
    assert outcome["peak_rss_mb"] < peak_before - 200
