"""A quick look at a raw message's header block without parsing it.

Used where the full parser must not run (the message is over the size limit, or the parser
timed out) but a list entry still needs a sender and a subject: bounded input, plain
regular expressions, no decoding beyond what the parser's header helpers do for one value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tierdesk.intake_email import conf
from tierdesk.intake_email.mime import headers as h
from tierdesk.intake_email.mime import signals

PEEK_BYTES = 64 * 1024
_HEADER_END_RE = re.compile(rb"\r?\n\r?\n")
_FIELD_RE = re.compile(rb"^([!-9;-~]+)[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.MULTILINE)


@dataclass(frozen=True)
class Peek:
    message_id: str | None
    from_address: str | None
    subject: str
    auto_generated: bool


def header_block(raw: bytes) -> bytes:
    head = raw[:PEEK_BYTES]
    match = _HEADER_END_RE.search(head)
    return head[: match.start()] if match else head


def header_table(raw: bytes) -> dict[str, list[str]]:
    """Header values by lower-case name, topmost first, as the parser's helpers expect."""
    table: dict[str, list[str]] = {}
    for name, value in _FIELD_RE.findall(header_block(raw)):
        key = name.decode("ascii", "replace").lower()
        table.setdefault(key, []).append(value.decode("ascii", "surrogateescape").strip())
    return table


def peek(raw: bytes) -> Peek:
    table = header_table(raw)
    try:
        subject = h.decode_text_header(h.first(table, "subject"))[:500]
    except Exception:  # a peek never fails; the full parse reports problems
        subject = (h.first(table, "subject") or "")[:500]
    from_header = h.first(table, "from")
    try:
        senders = h.parse_addresses([from_header] if from_header else [])
    except Exception:
        senders = []
    kind = signals.auto_kind(table, frozenset(), h.sender_local_part(from_header))
    return Peek(
        message_id=h.parse_message_id(h.first(table, "message-id")),
        from_address=senders[0][1] if senders else None,
        subject=subject,
        auto_generated=kind is not None or signals.loop_detected(table, conf.loop_token()),
    )
