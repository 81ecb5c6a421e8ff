"""Reading header fields of a compat32-parsed message into clean Python values.

The message structure is parsed with ``compat32`` because ``email.policy.default`` re-parses
every Content-Type header each time the feed parser looks at it and is about eight times slower
on typical mail. ``email.policy.default``'s header parsers are still used for the fields that
need them (RFC 2047 words, address lists that are not plain), through its header factory, one
header at a time; when that raises on malformed input we fall back to compat32's tolerant
helpers. Plain ASCII values take a fast path that never reaches either parser.

Every string returned here is a single line: folding is undone and CR, LF and other control
characters are gone.
"""

from __future__ import annotations

import email.errors
import email.header
import email.policy
import email.utils
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.message import Message

from tierdesk.intake_email.mime.charsets import decode_bytes, raw_header_text, single_line

_HEADER_FACTORY = email.policy.default.header_factory

_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_MSGID_RE = re.compile(r"<([^<>\s]{1,900})>")
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_ADDR = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
# One mailbox of the plain shapes most mail uses: addr, Name <addr>, "Name" <addr>, where the
# name may hold RFC 2047 words and the address is plain ASCII. Anything else (comments, groups,
# escapes, quoted local parts, "@" in an unquoted name) goes to the full RFC 5322 parser.
_SIMPLE_MAILBOX_RE = re.compile(
    rf"""\s*(?:
        (?P<name>"[^"\\\r\n]*"|[^"<>()\[\],;:\\@\r\n]*?)\s*<(?P<angle>{_ADDR})>
      | (?P<bare>{_ADDR})
    )\s*(?:,|$)""",
    re.VERBOSE,
)
_MAX_IDS = 50
_MAX_TEXT_HEADER = 4000
_SLOW_CHUNK = 4000
_MAX_ADDRESSES = 500

HeaderTable = dict[str, list[str]]


def header_table(msg: Message) -> HeaderTable:
    """Raw header values by lower-cased name, in message order (topmost first)."""
    table: HeaderTable = {}
    for name, value in msg.raw_items():
        table.setdefault(name.strip().lower(), []).append(value if isinstance(value, str) else "")
    return table


def part_header(part: Message, name: str) -> str | None:
    """Raw (unfolded, not decoded) value of header ``name`` (lower-case) of one MIME part."""
    for key, value in part.raw_items():
        if key.lower() == name and isinstance(value, str):
            return unfold(value)
    return None


def unfold(value: str) -> str:
    """Undo header folding; any CR or LF left over becomes a space."""
    if "\n" in value or "\r" in value:
        value = _FOLD_RE.sub("", value).replace("\r", " ").replace("\n", " ")
    return value


def first(table: HeaderTable, name: str) -> str | None:
    values = table.get(name)
    return unfold(raw_header_text(values[0])) if values else None


def all_values(table: HeaderTable, name: str) -> list[str]:
    return [unfold(raw_header_text(value)) for value in table.get(name, ())]


def decode_text_header(value: str | None) -> str:
    """An unstructured header (Subject, display names) as one clean line of text."""
    if not value:
        return ""
    if len(value) > _MAX_TEXT_HEADER:
        # The full parser is slow on huge values and the result is cut to 500 chars anyway.
        cut = value.rfind(" ", 0, _MAX_TEXT_HEADER)
        value = value[: cut if cut > 0 else _MAX_TEXT_HEADER]
    if "=?" in value:
        try:
            decoded = str(_HEADER_FACTORY("subject", value))
        except Exception:  # the stdlib header parser raises assorted errors
            decoded = _compat_decode(value)
        else:
            if "?=" in decoded and "=?" in decoded and _latin1(value):
                # policy.default leaves words with raw 8-bit inside ("=?iso-8859-1?Q?Fröh?=")
                # undecoded; compat32's looser decoder handles them.
                fallback = _compat_decode(value)
                if fallback.count("=?") < decoded.count("=?"):
                    decoded = fallback
        value = decoded
    return single_line(value)


def _latin1(value: str) -> bool:
    # compat32's decoder turns characters above U+00FF into "\\uXXXX" escapes.
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _compat_decode(value: str) -> str:
    try:
        chunks = email.header.decode_header(value)
    except (email.errors.HeaderParseError, ValueError, LookupError):
        return value
    parts: list[str] = []
    for chunk, charset in chunks:
        parts.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset))
    return "".join(parts)


def parse_addresses(values: Sequence[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) for every mailbox in the given header values.

    Mailboxes without a usable ``local@domain`` are dropped (they cannot be replied to), and
    duplicates are removed, keeping the first.
    """
    seen: set[str] = set()
    result: list[tuple[str, str]] = []
    for value in values:
        for name, raw_addr in _parse_one(value):
            addr = _clean_addr(raw_addr)
            if addr is None or addr in seen:
                continue
            seen.add(addr)
            result.append((decode_text_header(name), addr))
            if len(result) >= _MAX_ADDRESSES:
                return result
    return result


def _parse_one(value: str) -> list[tuple[str, str]]:
    fast = _parse_simple(value)
    if fast is not None:
        return fast
    if len(value) > _SLOW_CHUNK:
        # The RFC 5322 parser is superlinear; feed it bounded runs of whole mailboxes.
        return [pair for chunk in _chunks(value) for pair in _parse_slow(chunk)]
    return _parse_slow(value)


def _chunks(value: str) -> list[str]:
    """Split an address list at top-level commas into runs of about ``_SLOW_CHUNK`` chars."""
    pieces: list[str] = []
    depth = 0
    quoted = escaped = False
    start = 0
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append(value[start:i])
            start = i + 1
    pieces.append(value[start:])
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        if current and size + len(piece) > _SLOW_CHUNK:
            chunks.append(",".join(current))
            current, size = [], 0
        current.append(piece)
        size += len(piece) + 1
    chunks.append(",".join(current))
    return chunks


def _parse_slow(value: str) -> list[tuple[str, str]]:
    try:
        header = _HEADER_FACTORY("to", value)
        return [(addr.display_name, addr.addr_spec) for addr in header.addresses]
    except Exception:  # the stdlib header parser raises assorted errors
        return [(name, addr) for name, addr in email.utils.getaddresses([value])]


def _parse_simple(value: str) -> list[tuple[str, str]] | None:
    result: list[tuple[str, str]] = []
    pos, end = 0, len(value)
    while pos < end:
        match = _SIMPLE_MAILBOX_RE.match(value, pos)
        if match is None or match.end() == pos:
            return None
        if match["bare"]:
            result.append(("", match["bare"]))
        else:
            result.append((match["name"].strip().strip('"'), match["angle"]))
        pos = match.end()
    return result


def _clean_addr(addr: str) -> str | None:
    addr = single_line(addr).lower()
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or len(addr) > 320 or "\ufffd" in addr:
        return None
    if any(ch in addr for ch in " <>,;\\") and not local.startswith('"'):
        return None
    return addr


def sender_local_part(value: str | None) -> str:
    """Lower-cased local part of the first From mailbox, even without a domain
    ("MAILER-DAEMON"); used only for classification."""
    if not value:
        return ""
    pairs = _parse_one(value)
    addr = pairs[0][1] if pairs else value
    return single_line(addr).lower().rpartition("@")[0] or single_line(addr).lower()


def parse_message_id(value: str | None) -> str | None:
    """The first ``<id>`` in the value, or a bare ``id@host`` wrapped in brackets."""
    ids = parse_message_ids([value] if value else [], limit=1)
    return ids[0] if ids else None


def parse_message_ids(values: Iterable[str], limit: int = _MAX_IDS) -> tuple[str, ...]:
    """All message ids in order, de-duplicated.

    Long References chains are cut to the first id (thread root) plus the most recent ones, at
    most ``limit`` in all; that is what threading needs and it bounds hostile input.
    """
    found: list[str] = []
    seen: set[str] = set()
    for value in values:
        ids = _MSGID_RE.findall(value)
        if not ids:
            ids = [token.strip("<>") for token in value.split() if "@" in token]
        for msg_id in ids:
            msg_id = single_line(msg_id).replace(" ", "")
            if msg_id and msg_id not in seen:
                seen.add(msg_id)
                found.append(f"<{msg_id}>")
    if len(found) > limit:
        found = found[:1] + found[len(found) - limit + 1 :] if limit > 1 else found[:1]
    return tuple(found)


def parse_date(value: str | None) -> datetime | None:
    """Date header as an aware UTC datetime; no zone ("-0000") is read as UTC."""
    if not value or not value.strip():
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
