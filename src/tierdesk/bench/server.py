"""The production web server (``tierdesk web``: gunicorn, sync workers) for HTTP scenarios.

It runs with :mod:`tierdesk.bench.settings` (production settings plus the floor URL), on a
free loopback port, against the database in ``DATABASE_URL``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from tierdesk.bench.loadgen import exchange

FLOOR_PATH = "/_bench/floor"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    def __init__(self, workers: int, log: Path) -> None:
        self.workers, self.log = workers, log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tierdesk.bench.settings"}
        argv = [
            sys.executable,
            "-c",
            "from tierdesk.cli.main import main; main()",  # exactly `tierdesk web …`
            "web",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"tierdesk web exited with {self.process.returncode}; see {self.log}"
                )
            try:
                status, _ = self.get(FLOOR_PATH)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"tierdesk web did not answer within {timeout}s; see {self.log}")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        return exchange("127.0.0.1", self.port, ("\r\n".join(lines) + "\r\n\r\n").encode())

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
