"""Choosing the body and collecting attachments from a parsed MIME tree.

Body rule: every ``text/plain`` and ``text/html`` leaf that has no file name and is not marked
``attachment`` is body; inside ``multipart/alternative`` only the first alternative with plain
text and the last with HTML count, so the same text is not taken twice. Every other leaf,
and every ``message/*`` part (forwarded mail, delivery reports), becomes an attachment; we do
not descend into attached messages. Pathological trees are bounded by depth and part count.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from email.feedparser import FeedParser
from email.message import Message
from email.policy import Compat32, compat32
from typing import Any

from tierdesk.intake_email.mime.charsets import (
    decode_bytes,
    normalise_newlines,
    raw_header_text,
    single_line,
)
from tierdesk.intake_email.mime.filenames import display_filename, raw_filename
from tierdesk.intake_email.mime.headers import part_header
from tierdesk.intake_email.mime.htmlsafe import html_to_text
from tierdesk.intake_email.mime.model import Attachment

MAX_DEPTH = 40
MAX_PARTS = 1000

_CTYPE_RE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9*][a-z0-9!#$&^_.+*-]{0,126}")
_MSGID_RE = re.compile(r"<?\s*([^<>\s]+?)\s*>?")
_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I
)
_B64_NOISE_RE = re.compile(rb"[^A-Za-z0-9+/]")
_UUENCODE = frozenset({"x-uuencode", "uuencode", "uue", "x-uue"})
_REPORT_PARTS = {
    "message/delivery-status": "delivery-status",
    "message/global-delivery-status": "delivery-status",
    "message/disposition-notification": "disposition-notification",
    "message/global-disposition-notification": "disposition-notification",
    "message/feedback-report": "feedback-report",
}


class _VerbatimHeaders(Compat32):
    """Writes headers back exactly as they were read; compat32 would refold every one of
    them through ``email.header.Header``, which costs more than parsing the message did."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        text = f"{name}: {value}{self.linesep}"
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return text.encode("utf-8", "replace")


_VERBATIM_HEADERS = _VerbatimHeaders()


@dataclass
class Body:
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    report_kinds: set[str] = field(default_factory=set)


def extract_body(msg: Message) -> Body:
    walker = _Walker()
    plain, html = walker.walk(msg, 0)
    body = Body(attachments=walker.attachments, report_kinds=walker.report_kinds)
    if html:
        body.html = "\n".join(html)
    texts = [
        chunk for chunk in (normalise_newlines(c).strip("\n").rstrip() for c in plain) if chunk
    ]
    if texts:
        body.text = "\n\n".join(texts)
    elif body.html:
        body.text = html_to_text(body.html)
    elif walker.inline_texts:
        # No body part at all, only named inline text parts: those are what the sender wrote.
        body.text = "\n\n".join(
            normalise_newlines(t).strip("\n").rstrip() for t in walker.inline_texts
        )
    return body


class _Walker:
    def __init__(self) -> None:
        self.attachments: list[Attachment] = []
        self.report_kinds: set[str] = set()
        self.inline_texts: list[str] = []
        self.parts_seen = 0

    def walk(self, part: Message, depth: int) -> tuple[list[str], list[str]]:
        """(plain bodies, HTML bodies) of ``part``; attachments are collected on the side."""
        if depth > MAX_DEPTH or self.parts_seen >= MAX_PARTS:
            return [], []
        self.parts_seen += 1
        ctype = _content_type(part)
        # Only a split part's payload is fetched here: get_payload() on a leaf with 8-bit
        # bytes decodes the whole body with its declared charset (and can raise doing so).
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list) and not ctype.startswith(("multipart/", "message/")):
            ctype = "multipart/mixed"  # the parser split it, so its type was multipart-ish
        if ctype.startswith("multipart/"):
            if not isinstance(payload, list):
                repaired = _reparse_folded_boundary(part, ctype)
                if repaired is not None:
                    return self.walk(repaired, depth + 1)
                # No (or a wrong) boundary: what follows the headers is all we have.
                return [decode_bytes(_payload_bytes(part), _charset(part))], []
            if ctype == "multipart/report":
                report_type = _param(part, "report-type")
                if report_type:
                    self.report_kinds.add(report_type.lower())
            children = [
                self.walk(child, depth + 1) for child in payload if isinstance(child, Message)
            ]
            if ctype == "multipart/alternative":
                # Alternatives run from simplest to richest: the plain text we want is the
                # first one that has plain text, the HTML the last one that has HTML.
                plain = next((c[0] for c in children if c[0]), [])
                html = next((c[1] for c in reversed(children) if c[1]), [])
                return plain, html
            return [t for c in children for t in c[0]], [h for c in children for h in c[1]]
        if ctype.startswith("message/"):
            if ctype in _REPORT_PARTS:
                self.report_kinds.add(_REPORT_PARTS[ctype])
            self._attach(part, ctype, _serialise(part))
            return [], []
        name = raw_filename(part)
        disposition = _disposition(part)
        if ctype in ("text/plain", "text/html") and name is None and disposition != "attachment":
            data = _payload_bytes(part)
            charset = _charset(part)
            if ctype == "text/html":
                if charset is None:
                    sniffed = _META_CHARSET_RE.search(data, 0, 4096)
                    charset = sniffed.group(1).decode("ascii") if sniffed else None
                return [], [decode_bytes(data, charset)]
            return [decode_bytes(data, charset)], []
        content = _payload_bytes(part)
        if ctype == "text/plain" and disposition == "inline" and len(self.inline_texts) < 10:
            self.inline_texts.append(decode_bytes(content, _charset(part)))
        self._attach(part, ctype, content, name, disposition)
        return [], []

    def _attach(
        self,
        part: Message,
        ctype: str,
        content: bytes,
        name: str | None = None,
        disposition: str | None = None,
    ) -> None:
        if name is None and ctype.startswith("message/"):
            name = raw_filename(part)
            disposition = _disposition(part)
        content_id = _content_id(part)
        self.attachments.append(
            Attachment(
                filename=display_filename(name, len(self.attachments) + 1),
                content_type=ctype,
                content=content,
                inline=disposition == "inline" or (disposition is None and content_id is not None),
                content_id=content_id,
            )
        )


def _content_type(part: Message) -> str:
    try:
        ctype = part.get_content_type()
    except Exception:  # stdlib parameter parsing on hostile input
        return "application/octet-stream"
    return ctype if _CTYPE_RE.fullmatch(ctype) else "application/octet-stream"


def _param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name)
    except Exception:  # stdlib parameter parsing on hostile input
        return None
    return value if isinstance(value, str) else None


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # stdlib parameter parsing on hostile input
        return None


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # stdlib parameter parsing on hostile input
        return None


def _content_id(part: Message) -> str | None:
    value = part_header(part, "content-id")
    if not value:
        return None
    match = _MSGID_RE.fullmatch(single_line(raw_header_text(value)))
    return match.group(1)[:900] if match else None


def _cte(part: Message) -> str:
    value = part_header(part, "content-transfer-encoding") or ""
    return value.strip().split(";")[0].strip().lower()


def _payload_bytes(part: Message) -> bytes:
    """Transfer-decoded payload of a leaf, copying a large base64 body only once.

    ``get_payload()`` without ``decode`` replaces raw 8-bit bytes with U+FFFD, so everything
    but clean base64 goes through ``get_payload(decode=True)``, which keeps them. Where the
    stdlib did not recognise the encoding (stray whitespace or case in the header) we decode.
    """
    cte = _cte(part)
    if cte == "base64":
        try:
            payload = part.get_payload()
        except Exception:  # it decodes 8-bit bytes with the declared charset first
            payload = None
        if isinstance(payload, str) and payload.isascii():
            return _b64decode(payload)
    try:
        data = part.get_payload(decode=True)
    except Exception:  # stdlib decoders on garbage
        return b""
    if not isinstance(data, bytes):
        return b""
    stdlib_cte = str(part.get("content-transfer-encoding", "")).lower()
    if cte != stdlib_cte:
        if cte == "base64":
            return _b64decode(data.decode("ascii", "ignore"))
        if cte == "quoted-printable":
            return binascii.a2b_qp(data)
    return data


def _reparse_folded_boundary(part: Message, ctype: str) -> Message | None:
    """Re-split a multipart whose boundary parameter was folded across lines.

    Outlook 2000 folded long boundaries; the body's delimiter lines then carry the unfolded
    boundary (with the space), which the stdlib parser never finds.
    """
    boundary = _param(part, "boundary")
    if not boundary or ("\n" not in boundary and "\r" not in boundary):
        return None
    unfolded = boundary.replace("\r", "").replace("\n", "")
    if '"' in unfolded or "\\" in unfolded:
        return None
    parser = FeedParser(policy=compat32)
    parser.feed(f'Content-Type: {ctype}; boundary="{unfolded}"\n\n')
    parser.feed(str(_payload_bytes(part), "ascii", "surrogateescape"))
    repaired = parser.close()
    return repaired if isinstance(repaired.get_payload(), list) else None


def _b64decode(payload: str) -> bytes:
    if payload.isascii():
        try:
            return binascii.a2b_base64(payload)
        except (binascii.Error, ValueError):
            pass
    data = _B64_NOISE_RE.sub(b"", payload.encode("ascii", "ignore"))
    cut = len(data) % 4
    if cut == 1:
        data = data[:-1]
    elif cut:
        data += b"=" * (4 - cut)
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return b""


def _serialise(part: Message) -> bytes:
    """Bytes of a ``message/*`` part's content (the attached message or report blocks)."""
    if not part.is_multipart():
        return _payload_bytes(part)
    payload = part.get_payload()
    chunks: list[bytes] = []
    for sub in payload:
        if isinstance(sub, Message):
            try:
                chunks.append(sub.as_bytes(policy=_VERBATIM_HEADERS))
            except Exception:  # generator on a malformed attached message
                continue
    return b"\n".join(chunks)
