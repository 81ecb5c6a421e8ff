"""The parser process: reads messages on stdin, writes parse results on stdout.

Started by :mod:`tierdesk.intake_email.services.parsepool` as
``python -m tierdesk.intake_email.services.parseworker`` and kept running for many messages;
killed and replaced when one message takes too long. It imports only the pure parser (no
Django), so it starts fast and holds little memory.

Frames, all lengths big-endian: request = 4-byte options length, options (JSON), 8-byte raw
length, raw bytes; reply = 8-byte length, pickled ``(status, value)`` where status is "ok"
(value: ParsedMessage), "unparseable" or "error" (value: a message).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pickle
import struct
import sys
from collections.abc import Callable
from typing import IO, Any

OPTIONS_HEADER = struct.Struct(">I")
LENGTH_HEADER = struct.Struct(">Q")


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _load_target(spec: str) -> Callable[..., Any]:
    module_name, _, attribute = spec.partition(":")
    target: Callable[..., Any] = getattr(importlib.import_module(module_name), attribute)
    return target


def serve(target: Callable[..., Any], requests: IO[bytes], replies: IO[bytes]) -> None:
    from tierdesk.intake_email.parsing import UnparseableMessage

    while True:
        header = _read_exactly(requests, OPTIONS_HEADER.size)
        if header is None:
            return
        options = json.loads(_read_exactly(requests, OPTIONS_HEADER.unpack(header)[0]) or b"{}")
        size_header = _read_exactly(requests, LENGTH_HEADER.size)
        if size_header is None:
            return
        raw = _read_exactly(requests, LENGTH_HEADER.unpack(size_header)[0])
        if raw is None:
            return
        reply: tuple[str, Any]
        try:
            reply = ("ok", target(raw, **options))
        except UnparseableMessage as exc:
            reply = ("unparseable", str(exc)[:1000])
        except Exception as exc:  # the parent quarantines the message with this text
            reply = ("error", f"{type(exc).__name__}: {exc}"[:1000])
        del raw
        payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        del reply
        replies.write(LENGTH_HEADER.pack(len(payload)))
        replies.write(payload)
        replies.flush()


def main(argv: list[str]) -> None:
    spec = "tierdesk.intake_email.parsing:parse_message"
    if len(argv) >= 2 and argv[0] == "--target":
        spec = argv[1]
    target = _load_target(spec)
    # The protocol owns stdout; anything else printed goes to stderr.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = os.fdopen(os.dup(0), "rb")
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(target, requests, replies)


if __name__ == "__main__":
    main(sys.argv[1:])
