"""The pace probe: how fast the machine ran during a block, and never counted as its memory."""

from __future__ import annotations

import os
import time

from tierdesk.bench import pace as pace_module
from tierdesk.bench import rss
from tierdesk.bench.pace import HostWatch, PaceProbe
from tierdesk.bench.rss import Sampler


def test_the_probe_times_its_loop_while_the_block_runs_and_stops_with_it():
    with PaceProbe() as pace:
        probe = next(iter(rss.INSTRUMENTS))
        time.sleep(1.2)
    # One timing at the start and one about every quarter second after it, fewer when the
    # machine is busy (the probe runs at the lowest priority).
    assert len(pace.clean) + len(pace.interrupted) >= 2
    assert all(timing > 0 for timing in pace.clean + pace.interrupted)
    chosen = pace.clean or pace.interrupted  # the pace leaves out interrupted loops
    assert pace.loop_ms is not None
    assert min(chosen) <= pace.loop_ms <= max(chosen)
    assert probe not in rss.INSTRUMENTS
    assert rss.rss_mb(probe) == 0  # the process is gone


def test_a_scenario_memory_sample_leaves_the_probe_out():
    with PaceProbe():
        probe = next(iter(rss.INSTRUMENTS))
        assert probe in rss.descendants(os.getpid())  # a child of this process
        assert os.getpid() in Sampler().pids()
        assert probe not in Sampler().pids()


def test_a_probe_that_cannot_start_leaves_the_block_to_run_without_a_pace(monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no more processes")

    monkeypatch.setattr(pace_module.subprocess, "Popen", refuse)
    ran = False
    with PaceProbe() as pace:
        ran = True
    assert ran
    assert pace.loop_ms is None
    assert not rss.INSTRUMENTS


def test_a_host_watch_reads_pace_and_steal_over_its_block():
    with HostWatch() as host:
        time.sleep(0.3)
    reading = host.reading()
    assert set(reading) == {"stolen", "pace_ms"}
    assert reading["pace_ms"] is not None
    assert reading["pace_ms"] > 0
    assert reading["stolen"] is not None
    assert 0 <= reading["stolen"] <= 1
    assert not rss.INSTRUMENTS  # the probe is gone with the block
