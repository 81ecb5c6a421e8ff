"""``tierdesk org``: the organisation as code (apply, export) and its chart.

Problems with a file are printed one per line as ``FILE:LINE: path: message`` (the format
editors and CI annotate), then the command exits 1 without changing anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

org_app = typer.Typer(
    help="The organisation as code: apply, export and chart.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")


def _setup() -> None:
    # Imported here, not at module level: tierdesk.cli.main imports this module while it
    # mounts sub-commands.
    from tierdesk.cli.main import setup_django

    setup_django()


def _fail(message: str) -> typer.Exit:
    from tierdesk.cli.main import fail

    return fail(message)


@org_app.command("apply")
def apply_command(
    file: Annotated[Path, typer.Argument(help="The org file (YAML).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and write nothing.")
    ] = False,
) -> None:
    """Make the organisation match FILE: one transaction, every change audited."""
    _setup()
    from tierdesk.org import orgfile

    try:
        text = file.read_bytes()
    except OSError as exc:
        raise _fail(f"{file}: cannot read: {exc.strerror or exc}") from None
    outcome = orgfile.apply(text, dry_run=dry_run, note=f"org apply {file.name}")
    if not outcome.ok:
        for issue in outcome.issues:
            typer.echo(issue.format(str(file)), err=True)
        count = len(outcome.issues)
        raise _fail(f"{count} problem{'s' if count != 1 else ''} in {file}; nothing was changed")
    for change in outcome.changes:
        typer.echo(change.line())
    if not outcome.changes:
        typer.echo("no changes")
        return
    counts = {op: sum(1 for c in outcome.changes if c.op == op) for op in "+~-"}
    summary = f"{counts['+']} added, {counts['~']} changed, {counts['-']} removed"
    if dry_run:
        typer.echo(f"dry run: {len(outcome.changes)} changes ({summary}); nothing was written")
    else:
        typer.echo(f"applied {len(outcome.changes)} changes ({summary})")


@org_app.command("export")
def export_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the current organisation as an org file."""
    _setup()
    from tierdesk.org.orgfile import export_yaml

    _write(export_yaml(), output)


@org_app.command("chart")
def chart_command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="SVG file to write (default stdout).")
    ] = None,
    title: Annotated[str, typer.Option(help="Title shown on the chart.")] = "Support organisation",
) -> None:
    """Draw the organisation as SVG, with open and breaching tickets per team."""
    _setup()
    from tierdesk.org.chart import render_org_chart
    from tierdesk.org.selectors_chart import chart_teams

    _write(render_org_chart(chart_teams(), title=title) + "\n", output)


def _write(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{output}: cannot write: {exc.strerror or exc}") from None
    typer.echo(f"wrote {output}", err=True)
