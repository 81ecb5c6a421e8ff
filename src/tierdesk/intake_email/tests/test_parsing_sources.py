"""mbox and Maildir readers stream raw messages one at a time."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from tierdesk.intake_email.parsing import iter_maildir, iter_mbox, parse_message

MBOX = (
    b"From alice@example.com Mon Jan  8 10:15:00 2024\n"
    b"From: alice@example.com\nSubject: one\n\n"
    b"First body.\n>From the start of a line.\n>>From twice escaped.\n> From not escaped.\n\n"
    b"From bob@example.com Mon Jan  8 10:16:00 2024\n"
    b"From: bob@example.com\nSubject: two\n\nSecond body.\n\n"
)


def test_mbox_messages_are_split_and_from_lines_unescaped(tmp_path: Path) -> None:
    path = tmp_path / "inbox.mbox"
    path.write_bytes(MBOX)

    messages = list(iter_mbox(path))

    assert messages == [
        b"From: alice@example.com\nSubject: one\n\nFirst body.\nFrom the start of a line.\n"
        b">From twice escaped.\n> From not escaped.\n",
        b"From: bob@example.com\nSubject: two\n\nSecond body.\n",
    ]
    assert [parse_message(m).subject for m in messages] == ["one", "two"]


def test_mbox_with_crlf_line_endings_is_split(tmp_path: Path) -> None:
    path = tmp_path / "crlf.mbox"
    path.write_bytes(MBOX.replace(b"\n", b"\r\n"))

    messages = list(iter_mbox(str(path)))

    assert len(messages) == 2
    assert messages[1] == b"From: bob@example.com\r\nSubject: two\r\n\r\nSecond body.\r\n"


def test_text_before_the_first_separator_is_a_message_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "odd.mbox"
    path.write_bytes(b"Subject: stray\n\nno separator\n\n" + MBOX)

    assert [parse_message(m).subject for m in iter_mbox(path)] == ["stray", "one", "two"]


def test_empty_mbox_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.mbox"
    path.write_bytes(b"\n\n")

    assert list(iter_mbox(path)) == []


def test_a_big_mbox_is_read_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    body = b"x" * 76 + b"\n"
    message = b"From a@example.com Mon Jan  8 10:15:00 2024\nSubject: s\n\n" + body * 700 + b"\n"
    with path.open("wb") as fh:
        for _ in range(400):  # about 21 MB
            fh.write(message)

    tracemalloc.start()
    try:
        count = 0
        for raw in iter_mbox(path):
            count += 1
            assert len(raw) > 50_000
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 400
    assert peak < 2_000_000  # a couple of messages, never the file


def test_maildir_yields_new_and_cur_but_not_tmp_or_dot_files(tmp_path: Path) -> None:
    for sub in ("new", "cur", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "new" / "1704708000.M1.host").write_bytes(b"Subject: newer\n\nx")
    (tmp_path / "cur" / "1704707000.M1.host:2,S").write_bytes(b"Subject: older\n\nx")
    (tmp_path / "tmp" / "1704709000.M1.host").write_bytes(b"Subject: in delivery\n\nx")
    (tmp_path / "new" / ".hidden").write_bytes(b"Subject: hidden\n\nx")

    subjects = [parse_message(raw).subject for raw in iter_maildir(tmp_path)]

    assert subjects == ["older", "newer"]


def test_maildir_without_subfolders_yields_nothing(tmp_path: Path) -> None:
    assert list(iter_maildir(tmp_path)) == []
