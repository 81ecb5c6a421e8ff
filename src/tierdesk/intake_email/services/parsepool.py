"""Parsing in separate, long-lived worker processes with a time limit per message.

One pathological message must not stall intake: each parse runs in a worker process and the
caller waits at most the time limit. A worker that overruns is killed and replaced (the
message is quarantined by the caller); a worker is otherwise reused for every message, so
isolation costs a pipe round trip, not a process start.

A worker can be fed the next message while the caller is still storing the previous one
(``begin``/``finish``), which keeps both cores busy during a bulk import.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO, Any

from tierdesk.intake_email.parsing import ParsedMessage
from tierdesk.intake_email.services.parseworker import LENGTH_HEADER, OPTIONS_HEADER

log = logging.getLogger(__name__)

PIPE_BYTES = 1 << 20
TIMEOUT = "timeout"
CRASHED = "crashed"
UNPARSEABLE = "unparseable"
ERROR = "error"


@dataclass(frozen=True)
class ParseResult:
    parsed: ParsedMessage | None
    failure: str | None = None  # timeout, crashed, unparseable, error
    detail: str = ""
    seconds: float = 0.0


class ParseWorker:
    """One worker process and the one request it may have in flight."""

    def __init__(self, target: str | None = None) -> None:
        self.target = target
        self.process: subprocess.Popen[bytes] | None = None
        # Waits on the worker's replies, made once per process: a selector made per wait
        # cost four system calls each time, three times a message.
        self._replies: select.poll | None = None
        self.started_at = 0.0
        self.pending = False  # a message was handed over and its reply not read yet

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            argv = [sys.executable, "-m", "tierdesk.intake_email.services.parseworker"]
            if self.target:
                argv += ["--target", self.target]
            self.process = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, close_fds=True
            )
            _widen_pipes(self.process)
            assert self.process.stdout is not None
            self._replies = select.poll()
            self._replies.register(self.process.stdout.fileno(), select.POLLIN)
        return self.process

    def begin(self, raw: bytes, options: dict[str, Any]) -> None:
        """Hand ``raw`` to the worker; the clock starts now."""
        process = self._ensure_started()
        encoded = json.dumps(options).encode()
        self.started_at = time.monotonic()
        self.pending = True
        assert process.stdin is not None
        # One request, one write: each write wakes the worker for a few bytes otherwise.
        request = b"".join(
            (OPTIONS_HEADER.pack(len(encoded)), encoded, LENGTH_HEADER.pack(len(raw)), raw)
        )
        try:
            _write_all(process.stdin, request)
        except (BrokenPipeError, OSError):
            self.kill()

    def finish(self, timeout: float) -> ParseResult:
        """The result of the message handed over by ``begin``, or why there is none."""
        process = self.process
        self.pending = False
        if process is None or process.stdout is None:
            return ParseResult(None, CRASHED, "the parser process could not be started")
        deadline = self.started_at + timeout
        try:
            header = self._read(process, LENGTH_HEADER.size, deadline)
            payload = self._read(process, LENGTH_HEADER.unpack(header)[0], deadline)
        except TimeoutError:
            self.kill()
            return ParseResult(None, TIMEOUT, f"parsing took longer than {timeout:g} s", timeout)
        except EOFError:
            code = process.poll()
            self.kill()
            return ParseResult(None, CRASHED, f"the parser process died (exit code {code})")
        seconds = time.monotonic() - self.started_at
        status, value = pickle.loads(payload)
        if status == "ok":
            return ParseResult(value, seconds=seconds)
        return ParseResult(
            None, UNPARSEABLE if status == "unparseable" else ERROR, str(value), seconds
        )

    def ready(self, wait: float = 0.0) -> bool:
        """Whether the reply to the message in flight can be read, waiting up to ``wait``
        seconds for it."""
        if self.process is None or self._replies is None:
            return True  # ``finish`` answers at once
        return bool(self._replies.poll(math.ceil(wait * 1000)))

    def _read(self, process: subprocess.Popen[bytes], size: int, deadline: float) -> bytes:
        assert process.stdout is not None
        assert self._replies is not None
        fd = process.stdout.fileno()
        chunks: list[bytes] = []
        remaining = size
        while remaining:
            # Data already waiting is taken even past the deadline: the caller may have
            # been busy while the worker finished in time.
            wait_ms = math.ceil(max(0.0, deadline - time.monotonic()) * 1000)
            if not self._replies.poll(wait_ms):
                raise TimeoutError
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        process, self.process = self.process, None
        self._replies = None
        self.pending = False
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()

    def close(self) -> None:
        process = self.process
        if process is not None and process.poll() is None and process.stdin is not None:
            process.stdin.close()  # the worker exits at end of input
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self.kill()


def _write_all(stream: IO[bytes], data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = stream.write(view)  # an unbuffered pipe may take part of it
        view = view[written or 0 :]


def _widen_pipes(process: subprocess.Popen[bytes]) -> None:
    """Pipes of ``PIPE_BYTES`` (Linux): a message with attachments is handed over in one
    write instead of 64 KiB at a time, each waiting for the worker to read the last."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with suppress(OSError):  # above the system's pipe-max-size: the default stays
                fcntl.fcntl(stream.fileno(), set_size, PIPE_BYTES)


class ParsePool:
    """Up to ``size`` workers shared by the threads of one process."""

    def __init__(self, size: int = 1, target: str | None = None) -> None:
        self.target = target
        self._idle: queue.LifoQueue[ParseWorker] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(ParseWorker(target))
        self._all = list(self._idle.queue)

    @contextmanager
    def worker(self) -> Iterator[ParseWorker]:
        worker = self._idle.get()
        try:
            yield worker
        finally:
            if worker.pending:
                # Left with a reply unread (the caller failed midway): that reply would be
                # taken as the next caller's, so the process goes and a fresh one starts.
                worker.kill()
            self._idle.put(worker)

    def parse(self, raw: bytes, timeout: float, **options: Any) -> ParseResult:
        with self.worker() as worker:
            worker.begin(raw, options)
            return worker.finish(timeout)

    def close(self) -> None:
        for worker in self._all:
            worker.close()


_pool: ParsePool | None = None
_pool_lock = threading.Lock()


def get_pool() -> ParsePool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ParsePool(size=int(os.environ.get("TIERDESK_MAIL_PARSERS", "1") or 1))
        return _pool


def set_pool(pool: ParsePool | None) -> ParsePool | None:
    """Swap the process-wide pool (tests use a pool with a slow parser); returns the old."""
    global _pool
    with _pool_lock:
        old, _pool = _pool, pool
    return old
