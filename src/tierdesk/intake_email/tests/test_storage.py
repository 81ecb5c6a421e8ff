"""Stored mail and attachment bytes survive a crash the moment the row naming them commits."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tierdesk.intake_email.services import storage


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Each fsync in order: "file" or "directory", and the inode it made durable."""
    seen: list[tuple[str, int]] = []
    real = os.fsync

    def recording(fd: int) -> None:
        status = os.fstat(fd)
        seen.append(("directory" if stat.S_ISDIR(status.st_mode) else "file", status.st_ino))
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return seen


def _stored_files() -> list[str]:
    return [path.name for path in storage.attachments_dir().rglob("*") if path.is_file()]


def _inode(path: Path) -> int:
    return path.stat().st_ino


def test_an_attachment_is_durable_under_its_name_when_it_is_stored(fsyncs):
    name, digest = storage.save_attachment(b"%PDF-1.4 invoice")

    path = storage.attachment_path(name)
    assert path.read_bytes() == b"%PDF-1.4 invoice"
    assert _stored_files() == [digest], "no temporary file left beside it"
    # The bytes first; then the file's name in its directory, and the name of each
    # directory made for it (two levels of fan-out and the store itself) in its parent.
    fan_out, store = path.parent.parent, storage.attachments_dir()
    assert fsyncs == [
        ("file", _inode(path)),
        ("directory", _inode(path.parent)),
        ("directory", _inode(fan_out)),
        ("directory", _inode(store)),
        ("directory", _inode(store.parent)),
    ]


def test_a_file_that_cannot_be_made_durable_is_not_stored_and_leaves_nothing(monkeypatch):
    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError, match="Input/output error"):
        storage.save_attachment(b"lost")

    assert _stored_files() == []
