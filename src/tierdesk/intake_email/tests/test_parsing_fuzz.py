"""Generated hostile MIME never makes the parser raise, and its output keeps its promises."""

from __future__ import annotations

import base64
import binascii
import hashlib
import quopri
import re
import unicodedata
from urllib.parse import quote_from_bytes

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierdesk.intake_email.parsing import ParsedMessage, UnparseableMessage, parse_message

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CHARSETS = st.sampled_from(
    [
        "utf-8", "us-ascii", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "gb2312",
        "big5", "utf-16", "utf-7", "iso-2022-jp", "x-bogus", "punycode", "idna", "base64",
        "rot13", "undefined", "", "utf-8\x00", "\"utf-8\"", "ks_c_5601-1987", "x" * 80,
    ]
)  # fmt: skip
CONTENT_TYPES = st.sampled_from(
    [
        "text/plain", "text/html", "image/png", "application/octet-stream", "message/rfc822",
        "message/delivery-status", "text/x-weird", "garbage", "multipart/mixed", "text/",
        "application/pgp-signature", "text/calendar",
    ]
)  # fmt: skip
ENCODINGS = st.sampled_from(
    ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "BASE64 ", "bogus", ""]
)
SUBTYPES = st.sampled_from(["mixed", "alternative", "related", "report", "signed", "digest", "*"])
HEADER_NAMES = st.sampled_from(
    [
        "Subject", "From", "To", "Cc", "Reply-To", "Date", "Message-ID", "In-Reply-To",
        "References", "Auto-Submitted", "Precedence", "List-Id", "Return-Path", "X-Loop",
        "Authentication-Results", "X-Tierdesk-Ticket", "X-Auto-Response-Suppress",
        "Content-Type", "X-Custom",
    ]
)  # fmt: skip
TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.=", min_size=1, max_size=20)


@st.composite
def encoded_words(draw: st.DrawFn) -> str:
    charset = draw(CHARSETS)
    raw = draw(st.binary(max_size=30))
    if draw(st.booleans()):
        return f"=?{charset}?B?{base64.b64encode(raw).decode()}?="
    qp = binascii.b2a_qp(raw, header=True).decode("ascii").replace("\n", "")
    return f"=?{charset}?Q?{qp}?="


@st.composite
def header_values(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.text(max_size=60)).encode("utf-8", "surrogatepass")
    if kind == 1:
        return draw(st.binary(max_size=60))  # raw bytes, CR and LF included
    if kind == 2:
        words = draw(st.lists(encoded_words(), min_size=1, max_size=4))
        return " ".join(words).encode()
    if kind == 3:
        names = draw(st.lists(st.one_of(encoded_words(), st.text(max_size=10)), max_size=3))
        addrs = [f"{draw(TOKEN)}@{draw(TOKEN)}" for _ in range(len(names) + 1)]
        parts = [f'"{n}" <{a}>' for n, a in zip(names, addrs, strict=False)] + [addrs[-1]]
        return ", ".join(parts).encode("utf-8", "surrogatepass")
    return b"<" + draw(TOKEN).encode() + b"@" + draw(TOKEN).encode() + b">"


@st.composite
def filename_params(draw: st.DrawFn) -> str:
    name = draw(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(["../../etc/passwd", "C:\\x\\evil.exe", "..", "a\u202etxt.exe"]),
        )
    )
    data = name.encode("utf-8", "surrogatepass")
    charset = draw(CHARSETS)
    kind = draw(st.integers(0, 3))
    if kind == 0:
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'; filename="{escaped}"'
    if kind == 1:
        return f"; filename*={charset}''{quote_from_bytes(data)}"
    if kind == 2:
        half = len(data) // 2
        return (
            f"; filename*0*={charset}''{quote_from_bytes(data[:half])};\r\n"
            f" filename*1*={quote_from_bytes(data[half:])}"
        )
    return f'; name="=?{charset}?B?{base64.b64encode(data).decode()}?="'


def _encode_body(body: bytes, cte: str) -> bytes:
    cte = cte.strip().lower()
    if cte == "base64":
        return base64.encodebytes(body)
    if cte == "quoted-printable":
        return quopri.encodestring(body)
    return body


@st.composite
def leaves(draw: st.DrawFn) -> bytes:
    ctype = draw(CONTENT_TYPES)
    cte = draw(ENCODINGS)
    params = f"; charset={draw(CHARSETS)}" if draw(st.booleans()) else ""
    if draw(st.booleans()):
        params += draw(filename_params())
    disposition = draw(st.sampled_from(["", "inline", "attachment", "weird; x=1"]))
    body = (
        draw(st.binary(max_size=200))
        if draw(st.booleans())
        else draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    )
    if draw(st.booleans()):
        body = _encode_body(body, cte)
    lines = [f"Content-Type: {ctype}{params}".encode("utf-8", "surrogatepass")]
    if cte:
        lines.append(f"Content-Transfer-Encoding: {cte}".encode())
    if disposition:
        lines.append(f"Content-Disposition: {disposition}".encode())
    if draw(st.booleans()):
        lines.append(b"Content-ID: <" + draw(st.binary(max_size=12)) + b">")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def multiparts(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        boundary = draw(TOKEN)
        parts = draw(st.lists(children, max_size=4))
        head = f'Content-Type: multipart/{draw(SUBTYPES)}; boundary="{boundary}"'
        if draw(st.booleans()):
            head += "; report-type=delivery-status"
        delimiter = b"\r\n--" + boundary.encode() + b"\r\n"
        out = head.encode() + b"\r\n\r\npreamble" + b"".join(delimiter + p for p in parts)
        if draw(st.booleans()):  # the closing delimiter is often missing in the wild
            out += b"\r\n--" + boundary.encode() + b"--\r\nepilogue"
        return out

    return build()


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(HEADER_NAMES, header_values()), max_size=10))
    body = draw(st.recursive(leaves(), multiparts, max_leaves=8))
    head = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers)
    return head + b"MIME-Version: 1.0\r\n" + body


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _assert_promises(raw: bytes, parsed: ParsedMessage) -> None:
    single_lines = [parsed.subject, parsed.from_name, *parsed.to, *parsed.cc]
    single_lines += [parsed.from_address or "", parsed.reply_to or "", parsed.message_id or ""]
    single_lines += [*parsed.in_reply_to, *parsed.references, *parsed.headers_ignored]
    for value in single_lines:
        assert not _CONTROL.search(value), value
        value.encode("utf-8")
    assert len(parsed.subject) <= 500
    assert "\r" not in parsed.text
    assert "\x00" not in parsed.text
    parsed.text.encode("utf-8")
    parsed.reply_text.encode("utf-8")
    if parsed.text:
        assert parsed.reply_text
    for attachment in parsed.attachments:
        name = attachment.filename
        assert 0 < len(name) <= 200
        assert "/" not in name
        assert "\\" not in name
        assert not any(unicodedata.category(ch) == "Cc" for ch in name)
        assert not _CONTROL.search(attachment.content_type)
        assert attachment.content_id is None or not _CONTROL.search(attachment.content_id)
    if parsed.html is not None:
        lowered = parsed.html.lower()
        assert "<script" not in lowered
        assert "javascript:" not in lowered
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered)
    assert parsed.date is None or parsed.date.utcoffset() is not None
    assert parsed.auto_kind in (None, "auto_reply", "bounce", "bulk")
    assert parsed.size == len(raw)
    assert parsed.content_hash == hashlib.sha256(raw).hexdigest()


@FUZZ
@given(messages())
def test_generated_mime_messages_parse_and_keep_every_promise(raw: bytes) -> None:
    try:
        parsed = parse_message(raw)
    except UnparseableMessage:
        assert not raw.strip()
        return
    _assert_promises(raw, parsed)


@FUZZ
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise_anything_but_unparseable(raw: bytes) -> None:
    try:
        parsed = parse_message(raw)
    except UnparseableMessage:
        return
    _assert_promises(raw, parsed)


@FUZZ
@given(st.text(max_size=2000))
def test_arbitrary_html_bodies_are_sanitised(html: str) -> None:
    raw = b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html.encode("utf-8", "surrogatepass")

    _assert_promises(raw, parse_message(raw))
