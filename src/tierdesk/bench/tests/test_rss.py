"""Memory is counted for the processes a scenario owns, not for a server left running."""

from __future__ import annotations

import subprocess
import sys

from tierdesk.bench.rss import Sampler

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
