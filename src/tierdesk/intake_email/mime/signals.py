"""Facts about a message that decide how intake treats it, read from headers and structure.

``auto_kind`` keeps machines from opening tickets and from ping-ponging with our own
auto-acknowledgements: a reply to an auto-reply is how mail loops start (RFC 3834).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Set

from tierdesk.intake_email.mime.headers import HeaderTable, all_values, first

AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
BULK = "bulk"

_DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})
_EMPTY_PATH_RE = re.compile(r"^\s*<\s*>\s*$")
_SUPPRESS_AUTOREPLY_RE = re.compile(r"\b(all|oof|autoreply)\b", re.IGNORECASE)
_FAILING_METHODS = frozenset({"spf", "dkim", "dmarc"})
_FAILING_RESULTS = frozenset({"fail", "softfail", "permerror"})
_RESINFO_RE = re.compile(r"\s*([A-Za-z0-9_.-]+)(?:\s*/\s*[0-9]+)?\s*=\s*([A-Za-z0-9_-]+)")
_LIST_HEADERS = ("list-id", "list-unsubscribe", "mailing-list")
INTERNAL_HEADER_PREFIX = "x-tierdesk-"


def auto_kind(table: HeaderTable, report_kinds: Set[str], sender_local: str) -> str | None:
    """Kind of automatic mail ("bounce", "auto_reply", "bulk"), or None when a human wrote it.

    Strongest signal first.

    Bounces: delivery-status or feedback (ARF complaint) reports, MAILER-DAEMON/postmaster
    senders, X-Failed-Recipients. Auto-replies: read receipts, Auto-Submitted other than "no",
    X-Autoreply/X-Autorespond, Precedence auto_reply, Exchange out-of-office
    (X-Auto-Response-Suppress together with X-MS-Exchange-Inbox-Rules-Loop), and otherwise
    any null Return-Path. Bulk: Precedence bulk/junk/list, List-Id, List-Unsubscribe,
    Mailing-List (ezmlm).
    """
    return_paths = all_values(table, "return-path")
    if (
        report_kinds & {"delivery-status", "feedback-report"}
        or sender_local in _DAEMON_LOCAL_PARTS
        or "x-failed-recipients" in table
        or any(p.strip().strip("<>").lower().startswith("mailer-daemon") for p in return_paths)
    ):
        return BOUNCE
    precedence = (first(table, "precedence") or "").strip().lower()
    auto_submitted = (first(table, "auto-submitted") or "").split(";")[0].split("(")[0]
    auto_submitted = auto_submitted.strip().lower()
    if (
        "disposition-notification" in report_kinds
        or (auto_submitted and auto_submitted != "no")
        or _flag(table, "x-autoreply")
        or _flag(table, "x-autorespond")
        or _flag(table, "x-autoresponder")
        or precedence == "auto_reply"
        or (auto_response_suppressed(table) and "x-ms-exchange-inbox-rules-loop" in table)
    ):
        return AUTO_REPLY
    if precedence in ("bulk", "junk", "list") or any(name in table for name in _LIST_HEADERS):
        return BULK
    if any(_EMPTY_PATH_RE.match(p) for p in return_paths):
        return AUTO_REPLY
    return None


def _flag(table: HeaderTable, name: str) -> bool:
    value = first(table, name)
    return value is not None and value.strip().lower() not in ("no", "false", "0")


def auto_response_suppressed(table: HeaderTable) -> bool:
    """The sender asked for no automatic answer (Microsoft X-Auto-Response-Suppress)."""
    value = first(table, "x-auto-response-suppress")
    return bool(value and _SUPPRESS_AUTOREPLY_RE.search(value))


def loop_detected(table: HeaderTable, own_token: str) -> bool:
    token = own_token.strip().lower()
    return bool(token) and any(v.strip().lower() == token for v in all_values(table, "x-loop"))


def authentication_failed(table: HeaderTable, trusted_authserv_id: str | None) -> bool:
    """Whether a trusted Authentication-Results header (RFC 8601) reports an SPF, DKIM or
    DMARC fail, softfail or permerror.

    Anyone can put an Authentication-Results header in a message, so only one is read: those
    whose authserv-id is ``trusted_authserv_id`` (our own MTA) when it is given, else the
    topmost one, which the receiving server added last.
    """
    values = all_values(table, "authentication-results")
    if trusted_authserv_id is None:
        values = values[:1]
    trusted = (trusted_authserv_id or "").strip().lower()
    for value in values:
        segments = _split_semicolons(_strip_comments(value))
        if not segments:
            continue
        authserv_id = segments[0].strip().split(" ", 1)[0].lower()
        if trusted and authserv_id != trusted:
            continue
        for segment in segments[1:]:
            match = _RESINFO_RE.match(segment)
            if (
                match
                and match.group(1).lower() in _FAILING_METHODS
                and match.group(2).lower() in _FAILING_RESULTS
            ):
                return True
    return False


def _strip_comments(value: str) -> str:
    """Remove RFC 5322 comments (nested parentheses), leaving quoted strings alone."""
    if "(" not in value:
        return value
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
        elif quoted:
            quoted = ch != '"'
            out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            quoted = ch == '"'
            out.append(ch)
    return "".join(out)


def _split_semicolons(value: str) -> list[str]:
    if '"' not in value:
        return value.split(";")
    segments: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            segments.append("".join(current))
            current = []
        else:
            current.append(ch)
    segments.append("".join(current))
    return segments


@functools.lru_cache(maxsize=16)
def _tag_re(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"\[\s*{re.escape(prefix)}-(\d{{1,18}})\s*\]", re.IGNORECASE)


def ticket_tags(subject: str, prefix: str) -> tuple[int, ...]:
    """Ticket numbers tagged "[<prefix>-<n>]" in the subject, in order, without duplicates."""
    if not prefix or "[" not in subject:
        return ()
    numbers = (int(n) for n in _tag_re(prefix).findall(subject))
    return tuple(dict.fromkeys(n for n in numbers if n > 0))


def internal_headers(names: list[str]) -> tuple[str, ...]:
    """Names of X-Tierdesk-* headers present, as spelled in the message, once each.

    They are ours to set on outgoing mail only; anything arriving with them was forged or
    bounced back, so their values are never read.
    """
    seen: dict[str, str] = {}
    for name in names:
        key = name.strip().lower()
        if key.startswith(INTERNAL_HEADER_PREFIX) and key not in seen:
            seen[key] = name.strip()[:100]
    return tuple(seen.values())
