"""Tickets from the command line, acting as a named person through the same policy."""

from __future__ import annotations

import json

import typer

from tierdesk.cli.main import fail, setup_django

ticket_app = typer.Typer(help="Create, list, show and escalate tickets.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(ticket_app, name="ticket")


def _person(username: str):  # type: ignore[no-untyped-def]
    from tierdesk.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise fail(f"no active user {username!r}")
    return user


@ticket_app.command("create")
def create(
    title: str,
    requester: str = typer.Option(..., help="Username of the person with the problem."),
    description: str = typer.Option("", help="What is wrong."),
    type: str = typer.Option(
        "incident",
        "--type",
        help="incident, service_request, problem, change or security_incident.",
    ),
    impact: str = typer.Option("medium", help="high, medium or low."),
    urgency: str = typer.Option("medium", help="high, medium or low."),
    category: str = typer.Option("", help="Category."),
    service: str = typer.Option("", help="Service slug."),
    channel: str = typer.Option("phone", help="How it reached the desk."),
    as_user: str = typer.Option("", "--as", help="Agent logging it (default: the requester)."),
) -> None:
    """Open a ticket and print its key."""
    setup_django()
    from tierdesk.tickets.services import NewTicket, create_ticket

    ticket = create_ticket(
        NewTicket(
            title=title,
            description=description,
            type=type,
            impact=impact,
            urgency=urgency,
            category=category or None,
            service=service or None,
            channel=channel,
        ),
        requester=_person(requester),
        actor=_person(as_user) if as_user else None,
    )
    typer.echo(f"{ticket.key}\t{ticket.priority}\t{ticket.team.slug}\t{ticket.status}")


@ticket_app.command("list")
def list_(
    as_user: str = typer.Option(..., "--as", help="List what this person may see."),
    team: str = typer.Option("", help="Team slug."),
    status: list[str] = typer.Option([], help="Status; repeat for several."),
    limit: int = typer.Option(50, min=1, max=200),
) -> None:
    """List tickets, newest first."""
    setup_django()
    from tierdesk.tickets.selectors import TicketFilters, list_tickets

    page, _ = list_tickets(
        _person(as_user), TicketFilters(team=team or None, status=status or None), limit=limit
    )
    for ticket in page:
        typer.echo(
            f"{ticket.key}\t{ticket.priority}\t{ticket.status}\t{ticket.team.slug}\t"
            f"{ticket.assignee.username if ticket.assignee else '-'}\t{ticket.title}"
        )


@ticket_app.command("show")
def show(key: str, as_user: str = typer.Option(..., "--as", help="Show as this person.")) -> None:
    """Print a ticket as JSON, with its timeline."""
    setup_django()
    from tierdesk.tickets import selectors
    from tierdesk.tickets.schemas import event_out, ticket_out

    viewer = _person(as_user)
    ticket = selectors.get_ticket(viewer, key)
    body = ticket_out(ticket, viewer)
    body["events"] = [event_out(e, viewer) for e in selectors.events_for(viewer, ticket)]
    typer.echo(json.dumps(body, indent=2, default=str))


@ticket_app.command("escalate")
def escalate(
    key: str,
    note: str = typer.Option(..., help="Handoff note for the receiving team."),
    as_user: str = typer.Option(..., "--as", help="Agent escalating."),
    to_tier: int = typer.Option(0, help="Tier 1, 2 or 3."),
    to_team: str = typer.Option("", help="Team slug (instead of a tier)."),
) -> None:
    """Escalate (or de-escalate) a ticket to a tier or a team."""
    setup_django()
    from tierdesk.escalations.services import escalate as do_escalate
    from tierdesk.tickets import selectors

    actor = _person(as_user)
    ticket = do_escalate(
        selectors.get_ticket(actor, key),
        actor=actor,
        note=note,
        to_tier=to_tier or None,
        to_team=to_team or None,
        channel="cli",
    )
    typer.echo(f"{ticket.key}\t{ticket.team.slug}\ttier {ticket.tier}\t{ticket.status}")
