"""Real messages from public test suites parse to their recorded expected results."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tierdesk.intake_email.parsing import parse_message

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


def test_pathological_real_messages_parse_in_bounded_time() -> None:
    for name in (
        "flanker-mail-fixtures/messages/long-header.eml",
        "nodemailer-mailparser-fixtures/htmllargecallstack.eml",
    ):
        raw = (DATA / name).read_bytes()
        started = time.perf_counter()
        parse_message(raw)
        assert time.perf_counter() - started < 1.0, name
