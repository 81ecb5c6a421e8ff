"""Stored mail and attachment bytes survive a crash the moment the row naming them commits."""

from __future__ import annotations

import os
import stat

import pytest

from tierdesk.intake_email.services import storage


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each fsync made durable, in order: "file" or "directory"."""
    seen: list[str] = []
    real = os.fsync

    def recording(fd: int) -> None:
        seen.append("directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return seen


def _stored_files() -> list[str]:
    return [path.name for path in storage.attachments_dir().rglob("*") if path.is_file()]


def test_an_attachment_is_durable_under_its_name_when_it_is_stored(fsyncs):
    name, digest = storage.save_attachment(b"%PDF-1.4 invoice")

    assert storage.attachment_path(name).read_bytes() == b"%PDF-1.4 invoice"
    assert _stored_files() == [digest], "no temporary file left beside it"
    assert fsyncs == ["file", "directory"], "the bytes, then the rename that names them"


def test_a_file_that_cannot_be_made_durable_is_not_stored_and_leaves_nothing(monkeypatch):
    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError, match="Input/output error"):
        storage.save_attachment(b"lost")

    assert _stored_files() == []
