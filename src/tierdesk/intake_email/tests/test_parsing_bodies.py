"""Choosing and decoding the body: alternatives, charsets, broken and hostile structures."""

from __future__ import annotations

import sys
from email.message import Message

import pytest

from tierdesk.intake_email.mime import body as mime_body
from tierdesk.intake_email.mime import charsets
from tierdesk.intake_email.parsing import parse_message


def _single(ctype: str, body: bytes, cte: str = "8bit") -> bytes:
    return (
        f"From: a@example.com\r\nSubject: s\r\nContent-Type: {ctype}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    ).encode() + body


def _nested(depth: int) -> bytes:
    """A text part inside ``depth`` multiparts, each nested in the one before."""
    opening = b"".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode()
        for i in range(depth)
    )
    closing = b"".join(f"--b{i}--\r\n".encode() for i in reversed(range(depth)))
    return (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
        + opening
        + f"--b{depth}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--b{depth}--\r\n".encode()
        + closing
    )


def _record_walk_depths(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Depth of every call the body walker makes, including the one it refuses at a limit."""
    depths: list[int] = []
    walk = mime_body._Walker.walk

    def recorded(self: mime_body._Walker, part: Message, depth: int) -> tuple[list[str], list[str]]:
        depths.append(depth)
        return walk(self, part, depth)

    monkeypatch.setattr(mime_body._Walker, "walk", recorded)
    return depths


def _record_parts_examined(monkeypatch: pytest.MonkeyPatch) -> list[Message]:
    """Every part the body walker looked into (each one it examines, it asks for its type)."""
    examined: list[Message] = []
    content_type = mime_body._content_type

    def recorded(part: Message) -> str:
        examined.append(part)
        return content_type(part)

    monkeypatch.setattr(mime_body, "_content_type", recorded)
    return examined


def test_alternative_uses_the_plain_part_for_text_and_the_html_part_for_html() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
        b"--a\r\nContent-Type: text/plain\r\n\r\nplain version\r\n"
        b"--a\r\nContent-Type: text/html\r\n\r\n<p>html <b>version</b></p>\r\n--a--\r\n"
    )

    parsed = parse_message(raw)

    assert parsed.text == "plain version"
    assert parsed.html is not None
    assert "<b>version</b>" in parsed.html


def test_body_parts_of_a_mixed_message_are_joined_and_attachments_left_out() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
        b"--m\r\nContent-Type: text/plain\r\n\r\nThe body.\r\n"
        b"--m\r\nContent-Type: text/plain; name=log.txt\r\n\r\nattached log\r\n"
        b"--m\r\nContent-Type: text/plain\r\n\r\nList footer.\r\n--m--\r\n"
    )

    parsed = parse_message(raw)

    assert parsed.text == "The body.\n\nList footer."
    assert [a.filename for a in parsed.attachments] == ["log.txt"]


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        ("iso-8859-1", "Grüße".encode("latin-1"), "Grüße"),
        ("windows-1251", "Привет".encode("cp1251"), "Привет"),
        ("us-ascii", "Grüße".encode(), "Grüße"),  # mislabelled UTF-8
        ("utf-8", "Grüße".encode("latin-1"), "Grüße"),  # mislabelled latin-1
        ("x-no-such-charset", "Grüße".encode(), "Grüße"),
        ("x-no-such-charset", b"Gr\xfc\xdfe", "Grüße"),
        ('"UTF-8"', "Grüße".encode(), "Grüße"),
        ("iso-2022-jp", "日本".encode("iso-2022-jp"), "日本"),
        ("utf-16", "hi ✓".encode("utf-16"), "hi ✓"),
    ],
)
def test_text_is_decoded_with_the_declared_charset_or_a_best_effort_guess(
    charset: str, body: bytes, expected: str
) -> None:
    assert parse_message(_single(f"text/plain; charset={charset}", body)).text == expected


@pytest.mark.parametrize("charset", ["base64", "rot13", "zlib", "punycode", "idna", "undefined"])
def test_codec_names_that_are_not_charsets_are_refused_before_any_decoding(
    charset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Decoding with them is wrong (escapes), raises ("undefined"), or is quadratic (punycode):
    # the label must resolve to no codec, so the body decodes as if it declared none.
    body = ("ab\xff-" * 1000).encode("latin-1")
    undeclared = parse_message(_single("text/plain", body)).text
    resolved: dict[str | None, str | None] = {}
    codec_for = charsets.codec_for

    def recorded(label: str | None) -> str | None:
        resolved[label] = codec_for(label)
        return resolved[label]

    monkeypatch.setattr(charsets, "codec_for", recorded)

    text = parse_message(_single(f"text/plain; charset={charset}", body)).text

    assert resolved == {charset: None}
    assert text == undeclared
    assert text.startswith("ab")


def test_undecodable_bytes_become_replacement_characters_not_errors() -> None:
    text = parse_message(_single("text/plain; charset=shift_jis", b"ok \x81\xff\x82 end")).text

    assert text.startswith("ok ")
    assert text.endswith(" end")
    assert "\ufffd" in text


def test_text_has_unix_newlines_and_no_nul_characters() -> None:
    text = parse_message(_single("text/plain", b"a\r\nb\rc\x00d\n")).text

    assert text == "a\nb\ncd"


def test_html_charset_from_a_meta_tag_is_used_when_the_part_declares_none() -> None:
    html = '<meta charset="windows-1252"><p>caf\xe9 \x80</p>'.encode("latin-1")

    assert parse_message(_single("text/html", html)).text == "café €"


def test_a_folded_boundary_parameter_is_repaired() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/mixed;\r\n"
        b'    boundary="----=_NextPart\r\n _000_0002"\r\n\r\n'
        b"------=_NextPart _000_0002\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        b"------=_NextPart _000_0002\r\nContent-Type: image/png; name=a.png\r\n\r\npng\r\n"
        b"------=_NextPart _000_0002--\r\n"
    )

    parsed = parse_message(raw)

    assert parsed.text == "body"
    assert [a.filename for a in parsed.attachments] == ["a.png"]


def test_a_multipart_without_boundary_shows_its_raw_body() -> None:
    raw = b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n"

    assert parse_message(raw).text == "hello"


def test_multiparts_nested_past_the_recursion_limit_keep_headers_and_show_the_raw_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The stdlib parser recurses once per level and gives up with RecursionError; the parser
    # falls back to a headers-only parse, which leaves the walker a single part to look at.
    depths = _record_walk_depths(monkeypatch)

    parsed = parse_message(_nested(2 * sys.getrecursionlimit()))

    assert parsed.from_address == "a@example.com"
    assert parsed.text.startswith("--b0\nContent-Type: multipart/mixed; boundary=b1")
    assert parsed.attachments == ()
    assert depths == [0]


def test_the_body_walker_never_descends_past_its_depth_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    depths = _record_walk_depths(monkeypatch)

    parsed = parse_message(_nested(5 * mime_body.MAX_DEPTH))  # shallow enough for the stdlib

    assert max(depths) == mime_body.MAX_DEPTH + 1  # called once past the limit, refused there
    assert len(depths) == mime_body.MAX_DEPTH + 2
    assert parsed.from_address == "a@example.com"
    assert "deep" not in parsed.text


def test_thousands_of_parts_are_examined_only_up_to_the_part_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parts = b"".join(
        f"--p\r\nContent-Type: application/octet-stream; name=f{i}.bin\r\n\r\n{i}\r\n".encode()
        for i in range(5 * mime_body.MAX_PARTS)
    )
    raw = b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n" + parts
    examined = _record_parts_examined(monkeypatch)

    parsed = parse_message(raw + b"--p--\r\n")

    assert len(examined) == mime_body.MAX_PARTS  # the root multipart and its first children
    assert len(parsed.attachments) == mime_body.MAX_PARTS - 1
    assert parsed.attachments[0].filename == "f0.bin"
    assert parsed.attachments[-1].filename == f"f{mime_body.MAX_PARTS - 2}.bin"
