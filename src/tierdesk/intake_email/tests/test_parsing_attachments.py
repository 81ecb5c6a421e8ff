"""Attachments: decoded names that are safe to display, decoded content, bounded copying."""

from __future__ import annotations

import base64
import os
import tracemalloc

import pytest

from tierdesk.intake_email.mime.filenames import display_filename
from tierdesk.intake_email.parsing import Attachment, parse_message


def _with_attachment(part_headers: str, payload: bytes = b"aGVsbG8=\r\n") -> bytes:
    head = (
        "From: a@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        "--b\r\n" + part_headers.strip().replace("\n", "\r\n") + "\r\n\r\n"
    ).encode("utf-8")
    return head + payload + b"\r\n--b--\r\n"


def _only_attachment(raw: bytes) -> Attachment:
    parsed = parse_message(raw)
    assert len(parsed.attachments) == 1
    return parsed.attachments[0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20rates.txt",
            "€ rates.txt",
        ),
        (
            "Content-Disposition: attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt",
            "Grüße.txt",
        ),
        (
            "Content-Disposition: attachment;\n filename*0*=utf-8''nyan%20cat%20;\n"
            " filename*1*=%E2%9C%94.gif",
            "nyan cat ✔.gif",
        ),
        (
            "Content-Disposition: attachment; filename*=x-bogus''caf%E9.txt",
            "café.txt",  # unknown charset: the stdlib falls back to latin-1
        ),
    ],
)
def test_rfc2231_file_names_are_decoded(header: str, expected: str) -> None:
    raw = _with_attachment(
        f"Content-Type: application/octet-stream\n{header}\nContent-Transfer-Encoding: base64"
    )

    assert _only_attachment(raw).filename == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            'Content-Type: application/pdf; name="=?UTF-8?B?UmVjaG51bmcgw5Z6LnBkZg==?="',
            "Rechnung Öz.pdf",
        ),
        (
            'Content-Disposition: attachment; filename="=?iso-8859-1?Q?r=E9sum=E9.doc?="',
            "résumé.doc",
        ),
        ('Content-Disposition: attachment; filename="=?bogus-charset?Q?x=E9.doc?="', "x"),
    ],
)
def test_rfc2047_file_names_are_decoded(header: str, expected: str) -> None:
    raw = _with_attachment(f"{header}\nContent-Transfer-Encoding: base64")

    assert _only_attachment(raw).filename.startswith(expected)


def test_raw_utf8_file_names_are_decoded() -> None:
    raw = _with_attachment(
        'Content-Type: image/png\nContent-Disposition: attachment; filename="Картинка.png"\n'
        "Content-Transfer-Encoding: base64"
    )

    assert _only_attachment(raw).filename == "Картинка.png"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.dll", "evil.dll"),
        ("/var/www/html/shell.php", "shell.php"),
        ("C:evil.exe", "evil.exe"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\x00b\x1b[31mc\r\n.txt", "ab[31mc.txt"),
        ("..", "attachment-3.bin"),
        ("../", "attachment-3.bin"),
        ("   ", "attachment-3.bin"),
        ("", "attachment-3.bin"),
        (None, "attachment-3.bin"),
    ],
)
def test_file_names_lose_paths_and_control_characters(name: str | None, expected: str) -> None:
    assert display_filename(name, 3) == expected


def test_path_traversal_in_a_real_header_is_sanitised() -> None:
    raw = _with_attachment(
        'Content-Type: text/plain\nContent-Disposition: attachment; filename="../../.ssh/id_rsa"'
    )

    assert _only_attachment(raw).filename == "id_rsa"


def test_long_file_names_are_cut_to_200_characters_keeping_the_extension() -> None:
    name = display_filename("x" * 500 + ".pdf", 1)

    assert len(name) == 200
    assert name.endswith("x.pdf")


def test_unnamed_attachments_are_numbered_in_message_order() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: image/png\r\n\r\nx\r\n"
        b"--b\r\nContent-Type: application/zip; name=named.zip\r\n\r\ny\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n\r\nz\r\n--b--\r\n"
    )

    names = [a.filename for a in parse_message(raw).attachments]

    assert names == ["attachment-1.bin", "named.zip", "attachment-3.bin"]


def test_inline_images_keep_their_content_id_without_brackets() -> None:
    raw = _with_attachment(
        "Content-Type: image/png; name=logo.png\nContent-ID: <logo.123@example.com>\n"
        "Content-Transfer-Encoding: base64",
        base64.b64encode(b"\x89PNG fake"),
    )

    attachment = _only_attachment(raw)

    assert attachment.inline
    assert attachment.content_id == "logo.123@example.com"
    assert attachment.content_type == "image/png"
    assert attachment.content == b"\x89PNG fake"


def test_explicit_attachments_are_not_inline() -> None:
    raw = _with_attachment(
        "Content-Type: text/csv\nContent-Disposition: attachment; filename=a.csv"
    )

    attachment = _only_attachment(raw)

    assert not attachment.inline
    assert attachment.content_id is None


@pytest.mark.parametrize(
    "payload",
    [
        b"aGVsbG8gd29y\r\nbGQ=\r\n",
        b"aGVsbG8gd29ybGQ\r\n",  # padding missing
        b"aGVsbG8g d29y!bGQ=\r\n",  # junk characters
    ],
)
def test_damaged_base64_still_decodes(payload: bytes) -> None:
    raw = _with_attachment(
        "Content-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64",
        payload,
    )

    assert _only_attachment(raw).content == b"hello world"


def test_quoted_printable_with_raw_8bit_bytes_keeps_them() -> None:
    raw = _with_attachment(
        "Content-Type: text/plain; name=a.txt\nContent-Transfer-Encoding: quoted-printable",
        b"caf\xe9 =C3=A9t=\r\n\xe9",
    )

    assert _only_attachment(raw).content == b"caf\xe9 \xc3\xa9t\xe9"


def test_attached_messages_keep_their_original_headers() -> None:
    inner = b"From: x@example.com\r\nSubject: =?utf-8?q?inner_=E2=9C=93?=\r\n\r\nInner body\r\n"
    raw = _with_attachment("Content-Type: message/rfc822; name=fwd.eml", inner)

    attachment = _only_attachment(raw)

    assert attachment.filename == "fwd.eml"
    assert b"Subject: =?utf-8?q?inner_=E2=9C=93?=" in attachment.content
    assert b"Inner body" in attachment.content
    assert "Inner body" not in parse_message(raw).text


def test_a_large_attachment_is_decoded_without_excess_copies() -> None:
    payload = os.urandom(8 * 1024 * 1024)
    raw = _with_attachment(
        "Content-Type: application/octet-stream; name=big.bin\nContent-Transfer-Encoding: base64",
        base64.encodebytes(payload).replace(b"\n", b"\r\n"),
    )

    tracemalloc.start()
    try:
        attachment = _only_attachment(raw)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert attachment.content == payload
    # The parser's line buffer, the joined base64 text and the decoded bytes; BytesParser's
    # whole-message str and StringIO copies would add another ~5x the input.
    assert peak < 3.5 * len(raw)
