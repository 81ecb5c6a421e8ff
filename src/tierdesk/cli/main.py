"""The ``tierdesk`` command. Sub-commands live in sibling modules, one per noun.

User errors (bad input, a refused command, bad configuration) print one line on stderr and
exit 1; no traceback is shown for them.
"""

from __future__ import annotations

import os
import sys

import typer

app = typer.Typer(
    name="tierdesk",
    help="tierdesk: a production-support desk for tiered IT organisations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierdesk.settings")
    import django

    django.setup()


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"tierdesk: {message}", err=True)
    return typer.Exit(code)


def _mount() -> None:
    from importlib import import_module

    for name in ("server", "users", "tickets", "audit", "org", "demo", "mail", "bench"):
        try:
            module = import_module(f"tierdesk.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tierdesk.cli.{name}":
                raise
            continue  # a command group not installed in this build
        module.register(app)


_mount()


def main() -> None:
    from tierdesk.conf.env import ConfigurationError
    from tierdesk.core.errors import DomainError

    try:
        app()
    except (DomainError, ConfigurationError) as exc:
        typer.echo(f"tierdesk: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # the operator gets one line; the log gets the trace
        from django.core.exceptions import ImproperlyConfigured
        from django.db import DatabaseError

        if isinstance(exc, ImproperlyConfigured | DatabaseError):
            typer.echo(f"tierdesk: {type(exc).__name__}: {exc}".splitlines()[0], err=True)
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
