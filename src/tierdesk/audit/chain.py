"""The keyed hash that links audit events: pure functions shared by writer and verifier."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical(
    *,
    chain: str,
    seq: int,
    ticket_id: int | None,
    actor_id: int | None,
    channel: str,
    kind: str,
    field: str,
    before: Any,
    after: Any,
    note: str,
    data: Any,
    created_at: datetime,
) -> bytes:
    """Every stored column of an event, in a fixed order and encoding.

    Timestamps are encoded as integer microseconds since the epoch so the bytes do not depend
    on how a database driver renders datetimes.
    """
    micros = int(created_at.timestamp()) * 1_000_000 + created_at.microsecond
    return json.dumps(
        [chain, seq, ticket_id, actor_id, channel, kind, field, before, after, note, data, micros],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    ).encode()


def link(key: bytes, prev_hash: str, payload: bytes) -> str:
    return hmac.new(key, prev_hash.encode() + payload, hashlib.sha256).hexdigest()


def head_mac(key: bytes, chain: str, seq: int, digest: str) -> str:
    return hmac.new(key, f"head|{chain}|{seq}|{digest}".encode(), hashlib.sha256).hexdigest()
