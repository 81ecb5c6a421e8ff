"""Where message and attachment bytes live.

Raw messages up to ``INLINE_MAX`` go into their database row (one write, committed with the
row); larger ones into ``$TIERDESK_DATA_DIR/mail/raw/`` as a file written and fsynced
before the row that names it commits, so a committed row always has its bytes.

Attachments are content-addressed under ``$TIERDESK_DATA_DIR/attachments/``: the stored
name is the SHA-256 of the bytes, never anything the sender chose, and the same file sent
twice is stored once.

A file is written under a temporary name, fsynced, renamed into place, and its directory
fsynced, so that neither a half-written file nor a lost rename can sit under a name a
committed row points to.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from django.utils import timezone

from tierdesk.intake_email import conf

INLINE_MAX = 512 * 1024


def raw_dir() -> Path:
    return conf.data_dir() / "mail" / "raw"


def quarantine_dir() -> Path:
    return conf.data_dir() / "mail" / "quarantine"


def attachments_dir() -> Path:
    return conf.data_dir() / "attachments"


def _write_durably(path: Path, data: bytes | memoryview) -> None:
    created = _missing(path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    # A new name is durable only once its directory is (POSIX): the file's name in its
    # directory, and each directory made for it in its parent. Without this, a crash soon
    # after the commit could leave a committed row naming a file that is not there.
    for directory in (path.parent, *(made.parent for made in created)):
        _fsync_directory(directory)


def _missing(directory: Path) -> list[Path]:
    """``directory`` and those of its ancestors that do not exist yet, deepest first."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    return missing


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def save_raw(raw: bytes) -> tuple[bytes | None, str]:
    """(bytes for the row, relative file path): exactly one of them is set."""
    if len(raw) <= INLINE_MAX:
        return raw, ""
    now = timezone.now()
    relative = f"{now:%Y/%m/%d}/{now:%H%M%S}-{secrets.token_hex(8)}.eml"
    _write_durably(raw_dir() / relative, raw)
    return None, relative


def load_raw(raw: bytes | memoryview | None, raw_path: str) -> bytes:
    if raw is not None:
        return bytes(raw)
    return (raw_dir() / raw_path).read_bytes()


def discard_raw(raw_path: str) -> None:
    """Remove a file whose row never committed (a duplicate, a failed store)."""
    if raw_path:
        (raw_dir() / raw_path).unlink(missing_ok=True)


def quarantine_copy_path(message_id: int) -> Path:
    return quarantine_dir() / f"{message_id}.eml"


def write_quarantine_copy(message_id: int, raw: bytes) -> Path:
    """The quarantined message as a plain ``.eml`` an admin can open or hand to a tool."""
    path = quarantine_copy_path(message_id)
    # Always (re)written: a bulk import writes it before its transaction commits, and a
    # transaction rolled back by a crash may leave a file under an id SQLite hands out again.
    _write_durably(path, raw)
    return path


def save_attachment(content: bytes) -> tuple[str, str]:
    """Store ``content``; returns (storage name, sha256)."""
    digest = hashlib.sha256(content).hexdigest()
    name = f"{digest[:2]}/{digest[2:4]}/{digest}"
    path = attachments_dir() / name
    if not path.exists():
        _write_durably(path, content)
    return name, digest


def attachment_path(storage_name: str) -> Path:
    root = attachments_dir().resolve()
    path = (root / storage_name).resolve()
    if root not in path.parents:
        raise ValueError("storage name outside the attachment store")
    return path
