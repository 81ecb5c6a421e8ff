"""Mail intake from the command line: the SMTP server, imports, IMAP polling, quarantine."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from tierdesk.cli.main import fail, setup_django

mail_app = typer.Typer(
    help="Import, poll, reprocess and inspect inbound mail.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("smtp")(smtp)
    app.add_typer(mail_app, name="mail")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def smtp(
    listen: str = typer.Option(
        "", help="host:port to listen on (default: TIERDESK_SMTP_LISTEN, else 127.0.0.1:2525)."
    ),
    lmtp: bool = typer.Option(False, "--lmtp", help="Speak LMTP instead of SMTP."),
) -> None:
    """Receive mail for the desk's addresses over SMTP (or LMTP) until stopped."""
    setup_django()
    from tierdesk.intake_email import conf
    from tierdesk.intake_email.smtp import serve_forever

    host, port = conf.parse_listen(listen, "--listen") if listen else conf.smtp_listen()
    stop = _stop_on_signals()
    typer.echo(f"tierdesk smtp: listening on {host}:{port} ({'LMTP' if lmtp else 'SMTP'})")
    serve_forever(host, port, lmtp=lmtp, stop=stop)


def _messages(path: Path) -> tuple[str, Iterator[bytes], int | None]:
    from tierdesk.intake_email.parsing import iter_maildir, iter_mbox

    if path.is_dir():
        if not any((path / sub).is_dir() for sub in ("cur", "new")):
            raise fail(f"{path} is a directory but not a Maildir (no cur/ or new/)")
        total = sum(
            1 for sub in ("cur", "new") if (path / sub).is_dir() for _ in (path / sub).iterdir()
        )
        return "Maildir", iter_maildir(path), total
    if not path.is_file():
        raise fail(f"no such file or directory: {path}")
    with open(path, "rb") as handle:
        first = handle.read(5)
    if first == b"From ":
        with open(path, "rb") as handle:
            total = sum(1 for line in handle if line.startswith(b"From "))
        return "mbox", iter_mbox(path), total
    return "message", iter([path.read_bytes()]), 1


@mail_app.command("import")
def import_(
    path: Path = typer.Argument(..., help="An .eml file, an mbox file or a Maildir folder."),
    mailbox: str = typer.Option("default", help="Name for duplicate detection across runs."),
    address: str = typer.Option("", help="Desk address the mail counts as sent to."),
) -> None:
    """Import messages; each becomes a ticket, a reply, or waits in quarantine."""
    setup_django()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from tierdesk.intake_email.services.ingest import Source, ingest_many

    kind, messages, total = _messages(path)
    source = Source(
        mailbox=f"import:{mailbox}", channel="import", default_address=address.lower() or None
    )
    with Progress(
        TextColumn(f"importing {kind}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        transient=False,
    ) as progress:
        bar = progress.add_task("import", total=total, last="")
        counts: Counter[str] = ingest_many(
            messages,
            source,
            progress=lambda outcome: progress.update(bar, advance=1, last=outcome),
        )
    summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing"
    typer.echo(f"imported {sum(counts.values())} message(s): {summary}")


@mail_app.command("poll")
def poll(
    forever: bool = typer.Option(False, "--forever", help="Keep polling until stopped."),
    interval: int = typer.Option(60, min=5, help="Seconds between passes with --forever."),
    mailbox: str = typer.Option("", help="Only this mailbox (by name)."),
    inline: bool = typer.Option(
        False, "--inline", help="Process here instead of queueing for the task worker."
    ),
) -> None:
    """Fetch new mail from the IMAP mailboxes in TIERDESK_IMAP_MAILBOXES."""
    setup_django()
    from tierdesk.intake_email.imap import mailboxes_from_env, poll_all
    from tierdesk.intake_email.jobs import requeue_stuck

    configs = [c for c in mailboxes_from_env() if not mailbox or c.name == mailbox]
    if not configs:
        raise fail(
            "no IMAP mailbox configured (TIERDESK_IMAP_MAILBOXES)"
            + (f" named {mailbox!r}" if mailbox else "")
        )
    stop = _stop_on_signals() if forever else threading.Event()
    while True:
        for name, result in poll_all(configs, inline=inline).items():
            typer.echo(
                f"{name}: {result.stored} new, {result.duplicates} duplicate(s), "
                f"{result.acknowledged} marked on the server"
            )
        if not forever:
            return
        requeue_stuck()
        if stop.wait(interval):
            return


@mail_app.command("reprocess")
def reprocess(
    message_id: int = typer.Argument(0, help="Id of a quarantined or unprocessed message."),
    all_: bool = typer.Option(False, "--all", help="Every quarantined or unprocessed one."),
) -> None:
    """Try quarantined (or never processed) messages again."""
    setup_django()
    from tierdesk.intake_email.models import InboundMessage, InboundStatus
    from tierdesk.intake_email.services.ingest import reprocess as retry

    if bool(message_id) == all_:
        raise fail("name one message id, or --all")
    pending = InboundMessage.objects.filter(
        status__in=[InboundStatus.RECEIVED, InboundStatus.QUARANTINED]
    )
    ids = list(pending.order_by("pk").values_list("pk", flat=True)) if all_ else [message_id]
    if not all_ and not pending.filter(pk=message_id).exists():
        raise fail(f"message {message_id} is not quarantined or waiting")
    for pk in ids:
        status = retry(pk)
        reason = InboundMessage.objects.filter(pk=pk).values_list("reason", flat=True).first()
        typer.echo(f"{pk}: {status}" + (f" ({reason})" if status == "quarantined" else ""))


@mail_app.command("quarantine")
def quarantine(limit: int = typer.Option(100, min=1, help="Show at most this many.")) -> None:
    """List quarantined messages with their reason, newest first."""
    setup_django()
    from tierdesk.intake_email.selectors import quarantined
    from tierdesk.intake_email.services.storage import quarantine_dir

    rows = list(quarantined(limit))
    if not rows:
        typer.echo("quarantine is empty")
        return
    for message in rows:
        typer.echo(
            f"{message.pk}\t{message.received_at:%Y-%m-%d %H:%M}\t{message.reason}\t"
            f"{message.from_address or '-'}\t{message.subject[:60] or '-'}\t"
            f"{message.detail[:120]}"
        )
    typer.echo(f"raw copies: {quarantine_dir()}/<id>.eml; retry with `tierdesk mail reprocess`")
