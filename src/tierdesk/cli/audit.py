"""Audit chain verification."""

from __future__ import annotations

import typer
from rich.progress import Progress

from tierdesk.cli.main import fail, setup_django

audit_app = typer.Typer(help="Check the tamper-evident audit trail.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(
    workers: int | None = typer.Option(
        None,
        min=1,
        help="Processes walking ranges of chains (one snapshot on PostgreSQL; on SQLite "
        "each range is read as of its own start); one per usable CPU, at most 8, when not "
        "given. The verdict is the same for any number.",
    ),
) -> None:
    """Recompute every chain; exit 1 naming the first broken event."""
    setup_django()
    from tierdesk.audit.models import Event
    from tierdesk.audit.verify import usable_cpus
    from tierdesk.audit.verify import verify as run

    with Progress(transient=True) as progress:
        bar = progress.add_task("verifying", total=Event.objects.count())
        report = run(progress=lambda n: progress.advance(bar, n), workers=workers or usable_cpus())
    if not report.ok:
        raise fail(f"audit trail broken: {report.first_break}")
    typer.echo(f"audit trail intact: {report.events} events in {report.chains} chains")
