"""Reading raw messages out of mbox files and Maildir folders, one at a time.

Both generators hold one message in memory at a time, so a multi-gigabyte archive imports in
constant memory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

_ESCAPED_FROM_RE = re.compile(rb"^>+From ")


def iter_mbox(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """Raw messages of an mbox file (mboxrd: one ">" is removed from ">From " lines).

    Every line starting with "From " separates messages, as in mboxo/mboxrd; the blank line
    that precedes it belongs to the separator. Text before the first separator is yielded as a
    message of its own if it is not blank (a lone .eml passed by mistake still works).
    """
    with open(path, "rb") as fh:
        lines: list[bytes] = []
        has_content = False
        for line in fh:
            if line.startswith(b"From "):
                if has_content:
                    yield _join(lines)
                lines = []
                has_content = False
                continue
            if line.startswith(b">") and _ESCAPED_FROM_RE.match(line):
                line = line[1:]
            lines.append(line)
            has_content = has_content or bool(line.strip())
        if has_content:
            yield _join(lines)


def _join(lines: list[bytes]) -> bytes:
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines.pop()
    return b"".join(lines)


def iter_maildir(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """Raw messages in ``new/`` and ``cur/`` of a Maildir, oldest first by file name.

    ``tmp/`` holds deliveries in progress and is skipped, as are dot files. A message moved
    away by another reader while we iterate is skipped, not an error.
    """
    root = Path(path)
    entries: list[tuple[str, Path]] = []
    for sub in ("new", "cur"):
        folder = root / sub
        if not folder.is_dir():
            continue
        with os.scandir(folder) as it:
            for entry in it:
                if not entry.name.startswith(".") and entry.is_file():
                    entries.append((entry.name, Path(entry.path)))
    entries.sort()
    for _name, file_path in entries:
        try:
            yield file_path.read_bytes()
        except FileNotFoundError:
            continue
