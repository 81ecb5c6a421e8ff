"""People and API tokens."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import typer

from tierdesk.cli.main import fail, setup_django

user_app = typer.Typer(help="Create people.", no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")


@user_app.command("create")
def create_user(
    username: str,
    email: str = typer.Option(..., help="Email address."),
    role: str = typer.Option(
        ...,
        help="requester, agent, team_lead, incident_manager, it_manager, cio, admin or auditor.",
    ),
    team: list[str] = typer.Option([], help="Team slug; repeat for several teams."),
    password_stdin: bool = typer.Option(False, help="Read a password from standard input."),
    name: str = typer.Option("", help="Full name."),
) -> None:
    """Create a person, with a membership in each named team."""
    setup_django()
    from tierdesk.accounts.services import create_user as create

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password_stdin and not password:
        raise fail("--password-stdin: no password on standard input")
    first, _, last = name.partition(" ")
    user = create(
        username,
        email=email,
        role=role,
        teams=team,
        password=password,
        first_name=first,
        last_name=last,
    )
    typer.echo(f"created {user.username} ({user.role})")


@token_app.command("create")
def create_token(
    username: str,
    name: str = typer.Option("", help="What the token is for."),
    expires_days: int = typer.Option(0, help="Expire after this many days (0: never)."),
) -> None:
    """Print a new API token for USERNAME (only the token, on stdout)."""
    setup_django()
    from django.utils import timezone

    from tierdesk.accounts.models import User
    from tierdesk.accounts.tokens import create_token as create

    user = User.objects.filter(username=username).first()
    if user is None:
        raise fail(f"no user {username!r}")
    if expires_days < 0:
        raise fail("--expires-days must not be negative")
    expires = timezone.now() + timedelta(days=expires_days) if expires_days else None
    typer.echo(create(user, name=name, expires_at=expires))


@token_app.command("list")
def list_tokens(username: str = typer.Argument(None, help="Only this user's tokens.")) -> None:
    """List tokens (prefix, owner, state); secrets are never shown."""
    setup_django()
    from tierdesk.accounts.models import ApiToken

    tokens = ApiToken.objects.select_related("user").order_by("user__username", "created_at")
    if username:
        tokens = tokens.filter(user__username=username)

    def when(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    for token in tokens:
        state = "revoked" if token.revoked_at else "active"
        typer.echo(
            f"{token.prefix}\t{token.user.username}\t{state}\tcreated "
            f"{when(token.created_at)}\texpires {when(token.expires_at)}\t"
            f"last used {when(token.last_used_at)}\t{token.name}"
        )


@token_app.command("revoke")
def revoke_token(prefix: str) -> None:
    """Revoke the token with this prefix (the part after ``td_``)."""
    setup_django()
    from tierdesk.accounts.tokens import revoke

    revoke(prefix)
    typer.echo(f"revoked {prefix}")
