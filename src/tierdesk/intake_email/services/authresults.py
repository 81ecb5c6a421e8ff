"""Whether the receiving server vouched for the From address (RFC 8601 Authentication-Results).

The parser reports failures (``ParsedMessage.authentication_failed``); a reply may only add
recipients when there is positive proof, so this module looks for a *pass* aligned with the
From domain: ``dmarc=pass``, or ``dkim=pass`` signed by the From domain (or a parent of it),
or ``spf=pass`` for an envelope sender in the From domain. The same trust rule as the
parser applies: only headers from ``trusted_authserv_id``, else only the topmost one.
"""

from __future__ import annotations

import re

from tierdesk.intake_email.services.peek import header_table

PASSED = "pass"
FAILED = "fail"
UNKNOWN = "none"

_COMMENT_RE = re.compile(r"\([^()]*\)")
_RESULT_RE = re.compile(r"^\s*(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
_PROP_RE = re.compile(r"\b(header\.d|header\.i|header\.from|smtp\.mailfrom)\s*=\s*([^\s;]+)", re.I)


def _domain(value: str) -> str:
    return value.strip().strip('"<>').rpartition("@")[2].strip(".").lower()


def _aligned(signer: str, author: str) -> bool:
    return bool(signer) and (author == signer or author.endswith("." + signer))


def _trusted_values(raw: bytes, trusted_authserv_id: str | None) -> list[str]:
    values = header_table(raw).get("authentication-results", [])
    if trusted_authserv_id is None:
        return values[:1]
    trusted = trusted_authserv_id.strip().lower()
    kept = []
    for value in values:
        text = _COMMENT_RE.sub("", " ".join(value.split()))
        if text.split(";", 1)[0].strip().split(" ", 1)[0].lower() == trusted:
            kept.append(text)
    return kept


def verdict(
    raw: bytes, from_address: str | None, *, failed: bool, trusted_authserv_id: str | None
) -> str:
    """``pass``, ``fail`` (the parser saw a failure) or ``none`` (no proof either way)."""
    if failed:
        return FAILED
    if not from_address:
        return UNKNOWN
    author = _domain(from_address)
    for value in _trusted_values(raw, trusted_authserv_id):
        for segment in _COMMENT_RE.sub("", " ".join(value.split())).split(";")[1:]:
            match = _RESULT_RE.match(segment)
            if not match or match.group(2).lower() != "pass":
                continue
            method = match.group(1).lower()
            props = {k.lower(): _domain(v) for k, v in _PROP_RE.findall(segment)}
            if method == "dmarc" and props.get("header.from", author) == author:
                return PASSED
            if method == "dkim" and _aligned(
                props.get("header.d") or props.get("header.i", ""), author
            ):
                return PASSED
            if method == "spf" and props.get("smtp.mailfrom") == author:
                return PASSED
    return UNKNOWN
