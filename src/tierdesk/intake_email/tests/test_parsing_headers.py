"""Header fields come out decoded, single-line and normalised."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from tierdesk.intake_email.mime import headers
from tierdesk.intake_email.parsing import UnparseableMessage, parse_message


def _mail(headers: str, body: str = "Hello\r\n") -> bytes:
    return headers.strip("\n").replace("\n", "\r\n").encode("utf-8") + b"\r\n\r\n" + body.encode()


def test_empty_input_is_unparseable() -> None:
    with pytest.raises(UnparseableMessage):
        parse_message(b"")
    with pytest.raises(UnparseableMessage):
        parse_message(b" \r\n\r\n\t")


def test_input_without_headers_still_parses_as_a_body() -> None:
    parsed = parse_message(b"just some text, no headers at all")

    assert parsed.from_address is None
    assert parsed.subject == ""
    assert "just some text" in parsed.text


def test_subject_is_decoded_and_whitespace_normalised_without_prefix_stripping() -> None:
    parsed = parse_message(
        _mail("Subject: Re: Fwd:  =?utf-8?q?Drucker_f=C3=A4llt?=\n =?utf-8?b?IGF1cyDinJM=?=   now")
    )

    assert parsed.subject == "Re: Fwd: Drucker fällt aus ✓ now"


@pytest.mark.parametrize(
    "subject_header",
    [
        "Subject: line one\n line two\n\tline three",
        "Subject: =?utf-8?q?evil=0D=0ABcc:_victim@example.com?=",
        "Subject: =?utf-8?b?ZXZpbA0KQmNjOiB2aWN0aW1AZXhhbXBsZS5jb20=?=",
        "Subject: a\u2028b\u2029c\u0085d",
    ],
)
def test_subject_never_contains_line_breaks(subject_header: str) -> None:
    parsed = parse_message(_mail(f"From: a@example.com\n{subject_header}"))

    assert "\r" not in parsed.subject
    assert "\n" not in parsed.subject
    assert "\u2028" not in parsed.subject
    assert "\x85" not in parsed.subject
    assert parsed.subject


def test_bare_carriage_returns_in_raw_headers_do_not_survive() -> None:
    parsed = parse_message(b"From: a@example.com\rSubject: x\rBcc: y\r\n\r\nbody")

    for value in (parsed.subject, parsed.from_name, parsed.from_address or ""):
        assert "\r" not in value
        assert "\n" not in value


def test_subject_is_truncated_only_beyond_500_characters() -> None:
    exact = parse_message(_mail("Subject: " + "a" * 500))
    longer = parse_message(_mail("Subject: " + "b" * 501))

    assert exact.subject == "a" * 500
    assert len(longer.subject) == 500
    assert longer.subject.endswith("…")


def test_raw_utf8_and_latin1_headers_are_decoded() -> None:
    utf8 = parse_message("Subject: Grüße aus Köln\r\n\r\nx".encode())
    latin1 = parse_message("Subject: Grüße aus Köln\r\n\r\nx".encode("latin-1"))

    assert utf8.subject == "Grüße aus Köln"
    assert latin1.subject == "Grüße aus Köln"


def test_encoded_words_with_unknown_charsets_do_not_raise() -> None:
    parsed = parse_message(_mail("Subject: =?x-unknown?q?caf=E9?= =?utf-8?b?!!!?= ok"))

    assert parsed.subject.endswith("ok")
    parsed.subject.encode("utf-8")


def test_sender_address_is_lower_cased_and_name_decoded() -> None:
    parsed = parse_message(
        _mail('From: "=?utf-8?q?J=C3=BCrgen_M=C3=BCller?=" <Juergen@Example.COM>')
    )

    assert parsed.from_address == "juergen@example.com"
    assert parsed.from_name == "Jürgen Müller"


@pytest.mark.parametrize(
    ("header", "address", "name"),
    [
        ('From: "alice@example.org" <bob@evil.example>', "bob@evil.example", "alice@example.org"),
        ("From: alice@example.org (Alice) ", "alice@example.org", ""),
        ('From: "Doe, John" <john@example.com>', "john@example.com", "Doe, John"),
        ("From: John Q. Public <JQP@example.com>", "jqp@example.com", "John Q. Public"),
        ("From: <>", None, ""),
        ("From: MAILER-DAEMON", None, ""),
        ("From: undisclosed-recipients:;", None, ""),
        ("From: a@b@c", None, ""),
    ],
)
def test_sender_parsing_follows_rfc5322(header: str, address: str | None, name: str) -> None:
    parsed = parse_message(_mail(header))

    assert parsed.from_address == address
    assert parsed.from_name == name


def test_recipients_are_lower_cased_deduplicated_and_invalid_ones_dropped() -> None:
    parsed = parse_message(
        _mail(
            "To: Alice <ALICE@example.com>, bob@example.com, team: carol@example.com, "
            "dave@example.com;, alice@example.com\n"
            "Cc: =?utf-8?q?Ev=C3=A9?= <eve@example.com>, broken@, <>\n"
            "Reply-To: Helpdesk Replies <Replies@Example.com>, other@example.com"
        )
    )

    assert parsed.to == (
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
    )
    assert parsed.cc == ("eve@example.com",)
    assert parsed.reply_to == "replies@example.com"


def test_huge_address_lists_reach_the_slow_parser_only_in_bounded_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The RFC 5322 parser is superlinear in its input: a hostile 3,000-mailbox Cc stays
    # linear only because the parser never sees more than one bounded run at a time.
    recipients = ", ".join(f'"User, {i}" <user{i}@example.com> (c{i})' for i in range(3000))
    runs: list[int] = []
    slow_parse = headers._parse_slow

    def measured(value: str) -> list[tuple[str, str]]:
        runs.append(len(value))
        return slow_parse(value)

    monkeypatch.setattr(headers, "_parse_slow", measured)

    parsed = parse_message(_mail(f"From: a@example.com\nCc: {recipients}"))

    longest_mailbox = max(len(part) for part in recipients.split(", "))
    assert runs, "the slow parser was not needed"
    assert max(runs) <= headers._SLOW_CHUNK + longest_mailbox
    assert len(parsed.cc) == 500
    assert parsed.cc[0] == "user0@example.com"


def test_message_ids_are_normalised_to_angle_brackets() -> None:
    parsed = parse_message(
        _mail(
            "Message-ID:  <abc.123@example.com> (comment)\n"
            "In-Reply-To: <parent@example.com> (Alice's message of today)\n"
            "References: <root@example.com>\n <mid@example.com>\t<parent@example.com>"
        )
    )

    assert parsed.message_id == "<abc.123@example.com>"
    assert parsed.in_reply_to == ("<parent@example.com>",)
    assert parsed.references == ("<root@example.com>", "<mid@example.com>", "<parent@example.com>")


def test_bare_and_missing_message_ids() -> None:
    assert parse_message(_mail("Message-ID: bare.id@example.com")).message_id == (
        "<bare.id@example.com>"
    )
    assert parse_message(_mail("Subject: none")).message_id is None
    assert parse_message(_mail("Message-ID: garbage")).message_id is None


def test_long_reference_chains_keep_the_thread_root_and_the_latest_ids() -> None:
    refs = " ".join(f"<m{i}@example.com>" for i in range(200))

    references = parse_message(_mail(f"References: {refs}")).references

    assert len(references) == 50
    assert references[0] == "<m0@example.com>"
    assert references[-1] == "<m199@example.com>"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Date: Tue, 15 Feb 2022 10:11:12 +0100", datetime(2022, 2, 15, 9, 11, 12, tzinfo=UTC)),
        ("Date: 15 Feb 2022 10:11:12 -0000", datetime(2022, 2, 15, 10, 11, 12, tzinfo=UTC)),
        ("Date: Tue, 15 Feb 2022 10:11:12 PST", datetime(2022, 2, 15, 18, 11, 12, tzinfo=UTC)),
        ("Date: not a date", None),
        ("Date: Tue, 45 Feb 2022 10:11:12 +0100", None),
        ("Subject: no date", None),
    ],
)
def test_date_is_an_aware_utc_datetime_or_none(header: str, expected: datetime | None) -> None:
    parsed = parse_message(_mail(header))

    assert parsed.date == expected
    if parsed.date is not None:
        assert parsed.date.tzinfo == UTC


@pytest.mark.parametrize(
    ("subject", "prefix", "tags"),
    [
        ("Re: [TD-42] Printer on fire", "TD", (42,)),
        ("[td-7] and [TD-8] and again [TD-7]", "TD", (7, 8)),
        ("[ TD-9 ] spaced", "TD", (9,)),
        ("TD-42 without brackets, [TD-x], [TD-], [TD-0]", "TD", ()),
        ("[HELP-12] custom prefix [TD-1]", "HELP", (12,)),
        ("[A.B-3] prefix with regex characters [AxB-4]", "A.B", (3,)),
    ],
)
def test_ticket_tags_are_found_in_the_subject(
    subject: str, prefix: str, tags: tuple[int, ...]
) -> None:
    assert parse_message(_mail(f"Subject: {subject}"), key_prefix=prefix).ticket_tags == tags


def test_encoded_ticket_tags_are_found_after_decoding() -> None:
    parsed = parse_message(_mail("Subject: =?utf-8?q?Re:_=5BTD-42=5D_Drucker?="))

    assert parsed.ticket_tags == (42,)


def test_internal_headers_are_reported_and_ignored() -> None:
    parsed = parse_message(
        _mail(
            "From: a@example.com\nX-Tierdesk-Ticket: 99\nX-TIERDESK-Internal: yes\n"
            "x-tierdesk-ticket: 100\nX-Tierdeskish: no\nSubject: [TD-5] hi"
        )
    )

    assert parsed.headers_ignored == ("X-Tierdesk-Ticket", "X-TIERDESK-Internal")
    assert parsed.ticket_tags == (5,)


def test_content_hash_and_size_describe_the_raw_bytes() -> None:
    raw = _mail("Subject: x")

    parsed = parse_message(raw)

    assert parsed.content_hash == hashlib.sha256(raw).hexdigest()
    assert parsed.size == len(raw)


def test_bytearray_and_memoryview_inputs_are_accepted() -> None:
    raw = _mail("Subject: buffers")

    assert parse_message(bytearray(raw)).subject == "buffers"
    assert parse_message(memoryview(raw)).subject == "buffers"
