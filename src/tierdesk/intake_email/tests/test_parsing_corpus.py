"""Real messages from public test suites parse to their recorded expected results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tierdesk.intake_email.mime import headers, htmlsafe
from tierdesk.intake_email.parsing import MAX_SUBJECT, parse_message

DATA = Path(__file__).parent / "data" / "mail"
EXPECTED: dict[str, dict[str, Any]] = {
    key: value
    for key, value in json.loads((DATA / "expected.json").read_text("utf-8")).items()
    if not key.startswith("_")
}
MESSAGE_FILES = sorted(
    str(p.relative_to(DATA))
    for p in DATA.rglob("*")
    if p.is_file() and p.name not in ("SOURCE.md", "LICENSE", "expected.json")
)


def test_every_copied_message_has_an_expected_result_and_every_expectation_a_message() -> None:
    assert sorted(EXPECTED) == MESSAGE_FILES


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_message_parses_to_its_expected_result(name: str) -> None:
    expected = EXPECTED[name]
    raw = (DATA / name).read_bytes()

    parsed = parse_message(raw)

    assert parsed.subject == expected["subject"]
    assert parsed.from_address == expected["from_address"]
    if expected["text_contains"]:
        assert expected["text_contains"] in parsed.text
    else:
        assert parsed.text == ""
    assert [a.filename for a in parsed.attachments] == expected["attachments"]
    assert parsed.auto_kind == expected["auto_kind"]
    assert parsed.size == len(raw)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_message_yields_single_line_headers_and_clean_text(name: str) -> None:
    parsed = parse_message((DATA / name).read_bytes())

    for value in (parsed.subject, parsed.from_name, parsed.message_id or ""):
        assert "\r" not in value
        assert "\n" not in value
    assert "\x00" not in parsed.text
    assert "\r" not in parsed.text
    parsed.text.encode("utf-8")  # no lone surrogates: storable and renderable
    assert bool(parsed.reply_text.strip()) == bool(parsed.text.strip())
    assert parsed.date is None or parsed.date.utcoffset() is not None


def test_a_210_kb_encoded_subject_reaches_the_rfc_2047_decoders_cut_to_their_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both decoders are superlinear in their input; a huge Subject costs seconds unless it is
    # cut before decoding (the result is cut to MAX_SUBJECT characters anyway).
    raw = (DATA / "flanker-mail-fixtures/messages/long-header.eml").read_bytes()
    decoded: list[int] = []
    header_factory, compat_decode = headers._HEADER_FACTORY, headers._compat_decode

    def factory_measured(name: str, value: str) -> Any:
        decoded.append(len(value))
        return header_factory(name, value)

    def compat_measured(value: str) -> str:
        decoded.append(len(value))
        return compat_decode(value)

    monkeypatch.setattr(headers, "_HEADER_FACTORY", factory_measured)
    monkeypatch.setattr(headers, "_compat_decode", compat_measured)

    parsed = parse_message(raw)

    assert len(raw) > 50 * headers._MAX_TEXT_HEADER
    assert decoded, "the RFC 2047 decoders were not needed"
    assert max(decoded) <= headers._MAX_TEXT_HEADER
    assert len(parsed.subject) == MAX_SUBJECT


class _RecordingCleaner:
    """Passes ``clean`` through to an nh3 cleaner and keeps what it returned."""

    def __init__(self, cleaner: Any) -> None:
        self.cleaner = cleaner
        self.outputs: list[str] = []

    def clean(self, html: str) -> str:
        self.outputs.append(self.cleaner.clean(html))
        return self.outputs[-1]


def test_570_kb_of_markup_in_an_unterminated_title_never_reaches_the_python_text_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only nh3 (a streaming parser, no recursion) reads the hostile markup; html_to_text walks
    # token by token in Python over what nh3 keeps, which is nothing: <title> goes with its
    # content.
    raw = (DATA / "nodemailer-mailparser-fixtures/htmllargecallstack.eml").read_bytes()
    text_cleaner = _RecordingCleaner(htmlsafe._TEXT_CLEANER)
    monkeypatch.setattr(htmlsafe, "_TEXT_CLEANER", text_cleaner)

    parsed = parse_message(raw)

    assert len(raw) > 500_000
    assert len(text_cleaner.outputs) == 1, "html_to_text must walk nh3's output, not raw HTML"
    assert text_cleaner.outputs[0].strip() == ""
    assert parsed.html is not None
    assert parsed.html.strip() == ""
    assert parsed.text == ""
