"""What a scenario reads from /proc: memory of the processes it owns (not of a server left
running), a process's CPU time, and the CPU time the host took meanwhile."""

from __future__ import annotations

import os
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


# /proc/<pid>/stat: the command may hold spaces and parentheses; utime and stime are the
# 14th and 15th fields, in clock ticks.
PROCESS_STAT = "4242 (odd) name) S 1 4242 4242 0 -1 4194304 900 0 0 0 {utime} {stime} 0 0 20 0 1 0"
# /proc/stat's first line: user nice system idle iowait irq softirq steal guest guest_nice.
MACHINE_STAT = "cpu  80941 0 13855 29198 1851 0 542 {steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"


def test_a_process_cpu_time_is_its_user_and_system_ticks(monkeypatch, tmp_path):
    (tmp_path / "4242").mkdir()
    (tmp_path / "4242" / "stat").write_text(PROCESS_STAT.format(utime=250, stime=50))
    monkeypatch.setattr(rss, "PROC", tmp_path)
    assert cpu_seconds(4242) == (250 + 50) / os.sysconf("SC_CLK_TCK")
    assert cpu_seconds(4243) is None  # gone


def test_the_host_steal_is_the_eighth_count_of_the_machine_line(monkeypatch, tmp_path):
    (tmp_path / "stat").write_text(MACHINE_STAT.format(steal=2068))
    monkeypatch.setattr(rss, "PROC", tmp_path)
    assert stolen_seconds() == 2068 / os.sysconf("SC_CLK_TCK")


def test_the_host_steal_of_a_block_is_its_share_of_every_cpu_of_the_wall_time(monkeypatch):
    readings = iter([100.0, 103.0])  # the host took 3 CPU seconds while the block ran
    clock = iter([50.0, 53.0])  # over 3 s of wall time
    monkeypatch.setattr(rss, "stolen_seconds", lambda: next(readings))
    monkeypatch.setattr(rss.os, "cpu_count", lambda: 2)
    with StolenShare(clock=lambda: next(clock)) as stolen:
        pass
    assert stolen.share == 0.5


def test_a_steal_counter_that_steps_back_gives_no_negative_share(monkeypatch):
    readings = iter([100.0, 99.0])
    clock = iter([50.0, 51.0])
    monkeypatch.setattr(rss, "stolen_seconds", lambda: next(readings))
    with StolenShare(clock=lambda: next(clock)) as stolen:
        pass
    assert stolen.share == 0


def test_no_steal_is_claimed_where_proc_stat_does_not_tell(monkeypatch):
    monkeypatch.setattr(rss, "stolen_seconds", lambda: None)
    with StolenShare() as stolen:
        pass
    assert stolen.share is None
