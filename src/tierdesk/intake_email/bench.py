"""Email ingest benchmark: parse + thread + store + route of a realistic mixed mbox.

``generate_mbox`` writes a reproducible mbox of mixed mail (new requests in plain text, HTML
and with attachments, replies to earlier ones by ticket tag, auto-replies, bounces, list
mail, exact duplicates, strangers quoting someone else's ticket tag), optionally with one
message carrying a large attachment. ``ingest_mbox_benchmark`` imports an mbox through the
same path as ``tierdesk mail import`` and reports messages per second and peak memory.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from contextlib import suppress
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max

from tierdesk.intake_email.parsing import iter_mbox
from tierdesk.intake_email.services.ingest import Source, ingest_many
from tierdesk.intake_email.services.parsepool import get_pool

SENDERS = 400
WORDS = (  # noqa: SIM905 - a word list reads better as text
    "printer vpn laptop password reset outlook calendar share drive access badge monitor "
    "keyboard slow network wifi login error crash update license invoice server database "
    "backup restore timeout certificate expired phone headset teams meeting room"
).split()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _base(rng: random.Random, sender: str, subject: str, to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"User {sender.split('@')[0]} <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.client.example")
    message["Date"] = format_datetime(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    message["Received"] = "from mx.client.example by mx.example.com; Sun, 1 Mar 2026 09:00:00"
    return message


def _new_request(rng: random.Random, sender: str, to: str) -> EmailMessage:
    message = _base(rng, sender, _words(rng, 5).capitalize(), to)
    text = "\n\n".join(_words(rng, 40) for _ in range(rng.randint(2, 6)))
    shape = rng.random()
    message.set_content(text + "\n\n-- \nKind regards\nA user\n")
    if shape < 0.4:
        paragraphs = "".join(f"<p>{_words(rng, 40)}</p>" for _ in range(3))
        message.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    elif shape < 0.55:
        blob = rng.randbytes(rng.randint(20_000, 200_000))
        message.add_attachment(blob, maintype="application", subtype="pdf", filename="scan.pdf")
    return message


def generate_mbox(
    path: str | os.PathLike[str],
    count: int,
    *,
    seed: int = 42,
    first_ticket_id: int = 1,
    to: str = "helpdesk@example.com",
    big_attachment_mb: int = 0,
) -> dict[str, int]:
    """Write ``count`` messages to ``path``; returns how many of each kind it wrote.

    ``first_ticket_id`` is the id the next ticket will get, so replies can carry real tags.
    """
    rng = random.Random(seed)
    senders = [f"user{n}@client{n % 7}.example" for n in range(SENDERS)]
    owners: list[tuple[int, str]] = []  # (ticket id, requester) in creation order
    next_id = first_ticket_id
    kinds: Counter[str] = Counter()
    previous: bytes | None = None
    with open(path, "wb") as out:
        for index in range(count):
            roll = rng.random()
            kind = "new"
            if owners and roll < 0.25:
                kind = "reply"
            elif owners and roll < 0.30:
                kind = "auto_reply"
            elif roll < 0.33:
                kind = "bounce"
            elif roll < 0.37:
                kind = "bulk"
            elif previous is not None and roll < 0.42:
                kind = "duplicate"
            elif owners and roll < 0.44:
                kind = "stranger"
            if big_attachment_mb and index == count // 2:
                kind = "big"
            # Each bounce from a server of its own, unique across runs on the same database:
            # a server seen before has a recent open ticket that its bounce joins instead of
            # opening one, which would shift every later tag off its ticket.
            daemon = ""
            if kind == "bounce":
                server = f"mx{rng.randint(0, 10_000)}-{first_ticket_id}-{index}"
                daemon = f"MAILER-DAEMON@{server}.example"
            raw = _message(rng, kind, senders, owners, to, big_attachment_mb, previous, daemon)
            if kind in ("new", "bulk", "bounce", "stranger", "big"):
                sender = raw[1] or ""
                if kind in ("new", "big"):
                    owners.append((next_id, sender))
                next_id += 1
            kinds[kind] += 1
            previous = raw[0]
            out.write(b"From bench@example.com Sun Mar  1 09:00:00 2026\n")
            out.write(raw[0].replace(b"\nFrom ", b"\n>From "))
            out.write(b"\n")
    return dict(kinds)


def _message(
    rng: random.Random,
    kind: str,
    senders: list[str],
    owners: list[tuple[int, str]],
    to: str,
    big_mb: int,
    previous: bytes | None,
    daemon: str,
) -> tuple[bytes, str | None]:
    if kind == "duplicate" and previous is not None:
        return previous, None
    if kind in ("reply", "auto_reply", "stranger"):
        ticket_id, owner = rng.choice(owners)
        sender = owner if kind != "stranger" else f"stranger{rng.randint(0, 99)}@elsewhere.example"
        message = _base(rng, sender, f"Re: [TD-{ticket_id}] {_words(rng, 4)}", to)
        if kind == "auto_reply":
            message["Auto-Submitted"] = "auto-replied"
            message.replace_header("Subject", f"Out of office: [TD-{ticket_id}]")
        message.set_content(f"{_words(rng, 30)}\n\nOn Monday someone wrote:\n> {_words(rng, 20)}\n")
        return message.as_bytes(), sender
    if kind == "bounce":
        message = _base(rng, daemon, "Undelivered Mail Returned to Sender", to)
        message.set_content("This is the mail system. Your message could not be delivered.\n")
        return message.as_bytes(), message["From"]
    sender = rng.choice(senders)
    message = _new_request(rng, sender, to)
    if kind == "bulk":
        message["Precedence"] = "bulk"
        message["List-Id"] = "<news.vendor.example>"
    if kind == "big":
        message.add_attachment(
            os.urandom(big_mb * 1_000_000),
            maintype="application",
            subtype="zip",
            filename="logs.zip",
        )
    return message.as_bytes(), sender


def _worker_peak_mb() -> float:
    peaks = []
    for worker in getattr(get_pool(), "_all", []):
        process = worker.process
        if process is None:
            continue
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return round(max(peaks), 1) if peaks else 0.0


def _resident_kinds_mb() -> dict[str, float]:
    """This process's peak resident memory since :func:`_reset_peak_rss`, and its resident
    memory at the end split into anonymous memory (Python, the SQLite page cache) and file
    pages (the SQLite database mapped with ``mmap_size``)."""
    kinds = {"VmHWM:": "peak_rss_mb", "RssAnon:": "rss_anon_mb", "RssFile:": "rss_file_mb"}
    found: dict[str, float] = {}
    with suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            name = line.split(" ", 1)[0].split("\t", 1)[0]
            if name in kinds:
                found[kinds[name]] = round(int(line.split()[1]) / 1024, 1)
    return found


def _reset_peak_rss() -> None:
    """Start this process's peak resident memory afresh (Linux), so that the import's peak
    is its own and not what the process held before (a benchmark generating data first)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def ingest_mbox_benchmark(path: str | os.PathLike[str], *, mailbox: str = "") -> dict[str, Any]:
    """Import the mbox at ``path`` and measure it.

    Returns messages, seconds, messages_per_second, the outcome counts, the peak RSS of
    this process and of the parser worker (MB), and the database engine.
    """
    from tierdesk.tickets.models import Ticket

    before = Ticket.objects.aggregate(top=Max("pk"))["top"] or 0
    source = Source(mailbox=mailbox or f"bench:{time.time_ns()}", channel="import")
    _reset_peak_rss()
    started = time.perf_counter()
    counts = ingest_many(iter_mbox(path), source)
    seconds = time.perf_counter() - started
    total = sum(counts.values())
    after = Ticket.objects.aggregate(top=Max("pk"))["top"] or 0
    return {
        "messages": total,
        "seconds": round(seconds, 3),
        "messages_per_second": round(total / seconds, 1) if seconds else 0.0,
        "outcomes": dict(counts),
        "tickets_created": after - before,
        "parser_peak_rss_mb": _worker_peak_mb(),
        **_resident_kinds_mb(),
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }
