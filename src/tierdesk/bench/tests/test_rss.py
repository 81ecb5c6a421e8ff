"""What a scenario reads from /proc: memory of the processes it owns (not of a server left
running), a process's CPU time, and the CPU time the host took meanwhile."""

from __future__ import annotations

import subprocess
import sys

from tierdesk.bench import rss
from tierdesk.bench.rss import Sampler, StolenShare, cpu_seconds, stolen_seconds

HOLD_60_MB = "import time; x = bytearray(60_000_000); print('ready', flush=True); time.sleep(30)"


def test_a_tree_left_out_of_the_sample_is_not_counted():
    server = subprocess.Popen([sys.executable, "-c", HOLD_60_MB], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        with Sampler() as everything:
            pass
        with Sampler(exclude=lambda: [server.pid]) as own:
            pass
    finally:
        server.kill()
        server.wait()
    assert everything.peak_total - own.peak_total > 55
    assert own.peak_total > 0


BURN_THEN_WAIT = """
import time
started = time.process_time()
while time.process_time() - started < 0.3:
    pass
print("done", flush=True)
time.sleep(30)
"""


def test_a_process_cpu_time_counts_what_it_spent_and_a_gone_process_has_none():
    busy = subprocess.Popen(
        [sys.executable, "-c", BURN_THEN_WAIT], stdout=subprocess.PIPE, text=True
    )
    try:
        assert busy.stdout is not None
        assert busy.stdout.readline().strip() == "done"
        spent = cpu_seconds(busy.pid)
    finally:
        busy.kill()
        busy.wait()
    assert spent is not None
    assert spent >= 0.3
    assert cpu_seconds(busy.pid) is None


def test_the_host_steal_of_a_block_is_its_share_of_every_cpu_of_the_wall_time(monkeypatch):
    readings = iter([100.0, 103.0])  # the host took 3 CPU seconds while the block ran
    clock = iter([50.0, 53.0])  # over 3 s of wall time
    monkeypatch.setattr(rss, "stolen_seconds", lambda: next(readings))
    monkeypatch.setattr(rss.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(rss.os, "cpu_count", lambda: 2)
    with StolenShare() as stolen:
        pass
    assert stolen.share == 0.5


def test_no_steal_is_claimed_where_proc_stat_does_not_tell(monkeypatch):
    monkeypatch.setattr(rss, "stolen_seconds", lambda: None)
    with StolenShare() as stolen:
        pass
    assert stolen.share is None


def test_linux_reports_the_host_steal_as_a_count_that_only_grows():
    first = stolen_seconds()
    second = stolen_seconds()
    assert first is not None
    assert second is not None
    assert second >= first >= 0
