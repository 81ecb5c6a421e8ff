"""The load generator: percentiles, and counting answers from a real loopback server."""

from __future__ import annotations

import statistics
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierdesk.bench.loadgen import percentile, run, summary_ms

samples = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=2, max_size=200)


@given(samples, st.integers(min_value=1, max_value=99))
def test_percentiles_interpolate_between_closest_ranks_like_statistics_inclusive(values, q):
    expected = statistics.quantiles(values, n=100, method="inclusive")[q - 1]
    assert percentile(values, q) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(samples, st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
def test_percentiles_grow_with_q_and_stay_within_the_data(values, a, b):
    low, high = sorted((a, b))
    assert min(values) <= percentile(values, low) <= percentile(values, high) <= max(values)


def test_percentile_edges_are_the_minimum_and_the_maximum():
    assert percentile([5.0, 1.0, 3.0], 0) == 1.0
    assert percentile([5.0, 1.0, 3.0], 100) == 5.0
    assert percentile([2.0], 99) == 2.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="0–100"):
        percentile([1.0], 101)


def test_summary_reports_milliseconds():
    assert summary_ms([0.001, 0.002, 0.003])["p50"] == 2.0
    assert summary_ms([]) == {}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        status = 500 if self.path.startswith("/fail") else 200
        body = f'{{"path": "{self.path}"}}'.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


def test_load_counts_measured_requests_statuses_and_the_first_error(server):
    result = run(
        {
            "port": server,
            "concurrency": 3,
            "count": 40,
            "duration": 20,
            "warmup": 5,
            "requests": [{"path": "/ok/{n}", "label": "ok"}, {"path": "/fail/{n}", "label": "bad"}],
        }
    )
    assert result["requests"] == 40
    assert result["statuses"] == {"200": 20, "500": 20}
    assert result["errors"] == 20
    assert "500" in result["first_error"].splitlines()[0]
    assert set(result["by_label"]) == {"ok", "bad"}
    assert result["latency_ms"]["p50"] <= result["latency_ms"]["p99"]
    assert result["throughput"] > 0
