"""Value types produced by the mail parser.

They are frozen and hold only plain data (str, bytes, tuples, an aware datetime), so they can
cross a process boundary, be cached, or be compared in tests without touching the parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class UnparseableMessage(Exception):
    """The input cannot be read as a mail message at all (for example empty bytes).

    Everything short of that degrades: a missing header becomes ``None``, an undecodable body
    becomes text with replacement characters, a broken part is skipped or kept as an attachment.
    """


@dataclass(frozen=True)
class Attachment:
    """A leaf MIME part that is not the message body.

    ``filename`` is safe to show (no directory parts, no control or bidi characters, at most
    200 characters, ``attachment-N.bin`` when the sender gave none) but is not a path: store
    files under your own names. ``content`` is the transfer-decoded payload. ``content_id`` is
    the Content-ID without angle brackets, the form ``cid:`` URLs in the HTML body use.
    """

    filename: str
    content_type: str
    content: bytes
    inline: bool
    content_id: str | None

    def __repr__(self) -> str:  # keep logs and test failures readable for 25 MB payloads
        return (
            f"Attachment(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={len(self.content)}, inline={self.inline}, content_id={self.content_id!r})"
        )


@dataclass(frozen=True)
class ParsedMessage:
    """Everything intake needs from one raw message.

    Every str is valid Unicode without NUL; header-derived ones are single lines (no CR/LF).

    - ``message_id``, ``in_reply_to``, ``references``: ids as ``<id>``; References keeps the
      thread root and the latest ids (at most 50).
    - ``subject``: RFC 2047-decoded, whitespace collapsed, prefixes ("Re:") kept, at most 500.
    - ``from_address``, ``reply_to``, ``to``, ``cc``: lower-cased ``local@domain``; entries
      without one are dropped, so a bounce from a bare "MAILER-DAEMON" has no from_address.
    - ``date``: aware UTC, None if missing or unreadable.
    - ``text``: the plain body (LF line ends), derived from the HTML when there is no plain
      part; ``reply_text``: ``text`` without quoted history and signature (for follow-ups).
    - ``html``: sanitised fragment, or None without an HTML part. Inline images keep
      ``src="cid:…"`` (map them to ``Attachment.content_id``); remote ones carry
      ``data-remote-src`` instead of ``src``.
    - ``auto_kind``: None for a person, else "auto_reply", "bounce" or "bulk"; never send an
      automatic answer to those. ``auto_response_suppressed``: the sender (Exchange's
      X-Auto-Response-Suppress) asked for no automatic answer even though a person wrote it.
    - ``loop_detected``: carries our own X-Loop token; drop it.
    - ``authentication_failed``: the trusted Authentication-Results header reports an SPF,
      DKIM or DMARC failure; treat the From address as unproven.
    - ``ticket_tags``: numbers from "[TD-<n>]" in the subject, in order.
    - ``headers_ignored``: X-Tierdesk-* header names present (forged or looped back).
    - ``content_hash``/``size``: SHA-256 hex and length of the raw bytes, for de-duplication.
    """

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_address: str | None
    from_name: str
    reply_to: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: datetime | None
    text: str
    html: str | None
    reply_text: str
    attachments: tuple[Attachment, ...]
    auto_kind: str | None
    loop_detected: bool
    authentication_failed: bool
    ticket_tags: tuple[int, ...]
    headers_ignored: tuple[str, ...]
    content_hash: str
    size: int
    auto_response_suppressed: bool = False
