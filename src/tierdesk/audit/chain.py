"""The keyed hash that links audit events: pure functions shared by writer and verifier."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

GENESIS = "0" * 64

# One encoder for every payload: ``json.dumps`` with these options builds a new encoder per
# call, which costs more than encoding a typical event.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
encode_json: Callable[[Any], str] = _ENCODER.encode
encode_text = json.encoder.encode_basestring  # what _ENCODER does with a str

# Stored JSON texts that decode and re-encode to themselves: null, booleans, empty containers,
# plain integers (not -0, not long enough to hit int parsing limits) and strings with nothing
# to escape. Anything else takes the full decode and encode.
_SELF_CANONICAL_JSON = re.compile(
    r'null|true|false|\{\}|\[\]|0|-?[1-9][0-9]{0,17}|"[^"\\\x00-\x1f]*"'
)


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
    return encode_json(
        [
            chain,
            seq,
            ticket_id,
            actor_id,
            channel,
            kind,
            field,
            before,
            after,
            note,
            data,
            epoch_micros(created_at),
        ]
    ).encode()


def epoch_micros(created_at: datetime) -> int:
    return int(created_at.timestamp()) * 1_000_000 + created_at.microsecond


def canonical_json_column(text: str | None) -> str:
    """The payload encoding of a JSON column, from the text the database stores for it.

    Equal to encoding what Django's ``JSONField`` loads from that text (including its
    fallback of keeping undecodable text as a string), without decoding the common values.
    """
    if text is None:
        return "null"
    if _SELF_CANONICAL_JSON.fullmatch(text):
        return text
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return encode_json(text)
    return _encode_decoded(value)


def _reusable_encoder() -> Callable[[Any], str]:
    """``encode_json`` for values fresh from ``json.loads`` (acyclic), without building a new
    C encoder per call as ``JSONEncoder.encode`` does; ``encode_json`` where there is none."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encode_json
    chunks = make(
        None,  # no cycle check: decoded JSON has no cycles, and the output is the same
        _ENCODER.default,
        encode_text,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        True,
        False,
        True,
    )
    return lambda value: str("".join(chunks(value, 0)))


_encode_decoded = _reusable_encoder()


def link(key: bytes, prev_hash: str, payload: bytes) -> str:
    return hmac.new(key, prev_hash.encode() + payload, hashlib.sha256).hexdigest()


def link_pads(key: bytes) -> tuple[Any, Any]:
    """The inner and outer SHA-256 states of HMAC (RFC 2104) after absorbing the padded key.

    ``link`` is ``outer.copy()`` updated with the digest of ``inner.copy()`` updated with the
    message; copying prepared states saves re-deriving the pads and the Python-level
    ``hmac`` wrappers for every one of millions of events.
    """
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return hashlib.sha256(key.translate(_INNER_PAD)), hashlib.sha256(key.translate(_OUTER_PAD))


_BLOCK = hashlib.sha256().block_size
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


def head_mac(key: bytes, chain: str, seq: int, digest: str) -> str:
    return hmac.new(key, f"head|{chain}|{seq}|{digest}".encode(), hashlib.sha256).hexdigest()
