"""Inbound mail parsing: raw RFC 5322 bytes in, a plain ``ParsedMessage`` out.

Pure (no Django, no database, no network), so it runs in the SMTP process, in a worker, or in a
test without setup. Intake code builds tickets from ``ParsedMessage`` and never touches the
``email`` package itself.
"""

from __future__ import annotations

import hashlib
from email.feedparser import FeedParser
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from tierdesk.intake_email.mime import headers as h
from tierdesk.intake_email.mime import signals
from tierdesk.intake_email.mime.body import extract_body
from tierdesk.intake_email.mime.htmlsafe import sanitize_html
from tierdesk.intake_email.mime.model import Attachment, ParsedMessage, UnparseableMessage
from tierdesk.intake_email.mime.quotes import trim_reply
from tierdesk.intake_email.mime.sources import iter_maildir, iter_mbox

__all__ = [
    "Attachment",
    "ParsedMessage",
    "UnparseableMessage",
    "iter_maildir",
    "iter_mbox",
    "parse_message",
]

MAX_SUBJECT = 500
_FEED_CHUNK = 1 << 16


def parse_message(
    raw: bytes | bytearray | memoryview,
    *,
    own_loop_token: str = "tierdesk",
    key_prefix: str = "TD",
    trusted_authserv_id: str | None = None,
) -> ParsedMessage:
    """Parse one raw message. Raises ``UnparseableMessage`` only for input with nothing in it.

    Malformed input degrades field by field instead of failing: unknown charsets decode with
    replacement characters, broken headers become ``None``/empty, broken parts become
    attachments or are skipped. All header-derived strings are single lines (no CR/LF).

    ``own_loop_token``: value our outgoing mail carries in X-Loop; a match sets
    ``loop_detected``. ``key_prefix``: ticket tags look like "[TD-42]" in the subject.
    ``trusted_authserv_id``: authserv-id of our own MTA's Authentication-Results header; when
    omitted only the topmost such header is trusted.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError(f"parse_message expects bytes, not {type(raw).__name__}")
    raw = bytes(raw) if not isinstance(raw, bytes) else raw
    if not raw or raw.isspace():  # not raw.strip(): that copies a 25 MB message
        raise UnparseableMessage("empty message")
    try:
        msg = _parse_structure(raw)
    except RecursionError:
        # Hundreds of nested multiparts exhaust the stdlib parser's recursion; keep the
        # headers and show the body as it is.
        msg = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    table = h.header_table(msg)

    subject = h.decode_text_header(h.first(table, "subject"))
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1].rstrip() + "…"
    from_header = h.first(table, "from")
    senders = h.parse_addresses([from_header] if from_header else [])
    reply_to = h.parse_addresses(h.all_values(table, "reply-to")[:1])

    body = extract_body(msg)
    return ParsedMessage(
        message_id=h.parse_message_id(h.first(table, "message-id")),
        in_reply_to=h.parse_message_ids(h.all_values(table, "in-reply-to")),
        references=h.parse_message_ids(h.all_values(table, "references")),
        subject=subject,
        from_address=senders[0][1] if senders else None,
        from_name=senders[0][0] if senders else "",
        reply_to=reply_to[0][1] if reply_to else None,
        to=tuple(addr for _name, addr in h.parse_addresses(h.all_values(table, "to"))),
        cc=tuple(addr for _name, addr in h.parse_addresses(h.all_values(table, "cc"))),
        date=h.parse_date(h.first(table, "date")),
        text=body.text,
        html=sanitize_html(body.html) if body.html is not None else None,
        reply_text=trim_reply(body.text),
        attachments=tuple(body.attachments),
        auto_kind=signals.auto_kind(table, body.report_kinds, h.sender_local_part(from_header)),
        loop_detected=signals.loop_detected(table, own_loop_token),
        authentication_failed=signals.authentication_failed(table, trusted_authserv_id),
        ticket_tags=signals.ticket_tags(subject, key_prefix),
        headers_ignored=signals.internal_headers([name for name, _value in msg.raw_items()]),
        content_hash=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        auto_response_suppressed=signals.auto_response_suppressed(table),
    )


def _parse_structure(raw: bytes) -> Message:
    """``BytesParser(policy=compat32).parsebytes`` without its full-size copies.

    BytesParser decodes the whole input to one str and wraps it in a StringIO (four bytes per
    character), about five times the input at peak; feeding slices keeps only the parser's own
    line buffers. Decoding ASCII with surrogateescape is per byte, so slicing is safe.
    """
    parser = FeedParser(policy=compat32)
    view = memoryview(raw)
    for start in range(0, len(raw), _FEED_CHUNK):
        parser.feed(str(view[start : start + _FEED_CHUNK], "ascii", "surrogateescape"))
    return parser.close()
