"""Turning bytes of unknown or mislabelled encoding into clean text, never raising.

Mail lies about charsets all the time: "us-ascii" bodies full of UTF-8, "iso-8859-1" that is
really windows-1252, labels Python does not know, or labels that name non-text codecs. We
decode with the declared charset when it works, then try UTF-8, and only then fall back to
replacement characters. Results never contain lone surrogates or NUL, so they can be stored in
PostgreSQL and rendered as-is.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata

# Labels that mail clients use for a narrower charset than the one they actually emit; the
# WHATWG Encoding Standard maps them the same way browsers do.
_SUPERSETS = {
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "default": "",
}

# Text codecs that are not charsets: decoding with them is wrong (escapes) or slow (punycode is
# quadratic), and "undefined" always raises.
_REFUSED_CODECS = frozenset(
    {"punycode", "idna", "undefined", "unicode_escape", "raw_unicode_escape", "mbcs", "oem"}
)

_SINGLE_BYTE_PREFIXES = ("cp125", "cp874", "cp437", "cp850", "iso8859", "latin", "koi8", "mac")
_ASCII_COMPATIBLE_MULTIBYTE = frozenset(
    {"utf-8", "gb18030", "gbk", "gb2312", "cp932", "shift_jis", "cp949", "euc_kr", "euc_jp"}
    | {"big5", "big5hkscs", "cp950"}
)

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LINE_UNSAFE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f" + _BIDI_CONTROLS + r"\u2028\u2029]+")


@functools.lru_cache(maxsize=256)
def codec_for(charset: str | None) -> str | None:
    """Python codec name for a MIME charset label, or None when unknown or unusable."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    if not label or len(label) > 40:
        return None
    label = _SUPERSETS.get(label, label)
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        return None
    return info.name


def _single_byte(codec: str) -> bool:
    return codec.startswith(_SINGLE_BYTE_PREFIXES)


def _ascii_compatible(codec: str | None) -> bool:
    return codec is None or _single_byte(codec) or codec in _ASCII_COMPATIBLE_MULTIBYTE


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode ``data`` best-effort, never raising.

    Order: the declared charset, except that for undeclared and single-byte labels valid
    UTF-8 wins (UTF-8 sent as "us-ascii" or "iso-8859-1" is common; latin text that happens to
    be valid multi-byte UTF-8 is not); then replacement characters.
    """
    codec = codec_for(charset)
    if _ascii_compatible(codec) and data.isascii():
        return data.decode("ascii")
    if codec is None or codec == "utf-8" or _single_byte(codec):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec is None or codec == "utf-8":
        # Undeclared, or declared UTF-8 but not valid UTF-8 (old web forms send latin-1).
        return _guess_undeclared(data)
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError):
        pass
    try:
        return data.decode(codec, "replace")
    except (UnicodeError, LookupError, ValueError):
        return data.decode("utf-8", "replace")


def _guess_undeclared(data: bytes) -> str:
    """Undeclared 8-bit text that is not valid UTF-8: UTF-8 damaged in a few places (a name
    cut in the middle of a character) stays UTF-8; anything else is most often cp1252."""
    text = data.decode("utf-8", "replace")
    damaged = text.count("\ufffd")
    decoded = sum(1 for ch in text if ch > "\x7f") - damaged
    if damaged * 4 <= decoded:
        return text
    return data.decode("cp1252", "replace")


def scrub(value: str) -> str:
    """Remove what a str from the email package may carry but a database must not hold.

    Surrogate escapes (undecodable header bytes) are re-read as UTF-8 with replacement
    characters, and NUL characters are dropped.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
    return value.replace("\x00", "") if "\x00" in value else value


def raw_header_text(value: str) -> str:
    """Header value from ``BytesParser`` (8-bit bytes as surrogate escapes) as real text.

    Raw UTF-8 in headers is legal since RFC 6532; anything else 8-bit is guessed as cp1252.
    """
    if value.isascii():
        return value
    try:
        data = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return scrub(value)
    return decode_bytes(data, None)


def single_line(value: str) -> str:
    """One display line: control, bidi and line-separator characters become spaces, runs of
    whitespace collapse to one space, ends are stripped."""
    value = scrub(value)
    if not value.isascii() or _CONTROL_RE.search(value) or "\n" in value or "\r" in value:
        value = _LINE_UNSAFE_RE.sub(" ", value)
    return " ".join(value.split())


def strip_controls(value: str) -> str:
    """Drop control and bidi-override characters entirely (for file names)."""
    value = scrub(value)
    return "".join(
        ch
        for ch in value
        if ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in ("Cc", "Zl", "Zp")
    )


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR to LF, NUL removed; the form every body text is stored in."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\x00", "") if "\x00" in text else text
