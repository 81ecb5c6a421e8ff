"""Attachment file names that are safe to display."""

from __future__ import annotations

import email.policy
import email.utils
from email.message import Message

from tierdesk.intake_email.mime.charsets import raw_header_text, strip_controls
from tierdesk.intake_email.mime.headers import decode_text_header, part_header

MAX_FILENAME = 200
_HEADER_FACTORY = email.policy.default.header_factory
_MAX_EXTENSION = 16


def raw_filename(part: Message) -> str | None:
    """The sender's file name, decoded (RFC 2231 parameters, RFC 2047 words, raw 8-bit).

    Looks at Content-Disposition ``filename`` then Content-Type ``name``, as mail clients do.
    """
    disposition = part_header(part, "content-disposition") or ""
    content_type = part_header(part, "content-type") or ""
    if "name" not in disposition.lower() and "name" not in content_type.lower():
        return None
    for header, param, raw in (
        ("content-disposition", "filename", disposition),
        ("content-type", "name", content_type),
    ):
        if not raw.isascii():
            # compat32 turns 8-bit parameter bytes into U+FFFD; decode them first instead.
            try:
                params = _HEADER_FACTORY(header, raw_header_text(raw)).params
            except Exception:  # the stdlib header parser raises assorted errors
                continue
            value = params.get(param)
            if isinstance(value, str) and value.strip():
                return decode_text_header(value) if "=?" in value else value
    try:
        name = part.get_filename()
        if name is None:
            name = part.get_param("name")  # type: ignore[assignment]
            if isinstance(name, tuple):  # RFC 2231 (charset, language, value)
                name = email.utils.collapse_rfc2231_value(name)
    except (ValueError, LookupError, TypeError, IndexError, AttributeError):
        return None
    if not isinstance(name, str):
        return None
    name = raw_header_text(name)
    if "=?" in name:
        name = decode_text_header(name)
    return name


def display_filename(name: str | None, index: int) -> str:
    """``name`` reduced to a bare, printable file name; ``attachment-<index>.bin`` if nothing
    usable is left. No directory parts, no control or bidi characters, at most 200 chars."""
    if name:
        name = strip_controls(name).replace("\\", "/")
        name = " ".join(name.rsplit("/", 1)[-1].split())
        if len(name) > 2 and name[1] == ":" and name[0].isalpha():  # "C:evil.exe"
            name = name[2:].strip()
        if name.strip(".") and len(name) > MAX_FILENAME:
            stem, dot, ext = name.rpartition(".")
            if dot and stem and len(ext) <= _MAX_EXTENSION:
                name = stem[: MAX_FILENAME - len(ext) - 1].rstrip() + "." + ext
            else:
                name = name[:MAX_FILENAME].rstrip()
        if name.strip("."):
            return name
    return f"attachment-{index}.bin"
