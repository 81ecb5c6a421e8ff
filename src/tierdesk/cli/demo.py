"""Demo data: the example organisation with known logins, and tickets with history."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import typer
from rich.progress import track

from tierdesk.cli.main import fail, setup_django

demo_app = typer.Typer(help="Set up and fill a demonstration desk.", no_args_is_help=True)
DEMO_PASSWORD = "tierdesk-demo"
DEMO_LOGINS = (
    ("tom", "L1 agent, service desk"),
    ("sam", "L2 agent, systems"),
    ("ada", "L3 agent, databases"),
    ("lena", "service desk team lead"),
    ("marco", "incident manager"),
    ("ivan", "IT manager"),
    ("mira", "security analyst"),
    ("rita", "requester (portal)"),
    ("audrey", "auditor"),
    ("admin", "administrator"),
)


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")


@demo_app.command("setup")
def setup(
    file: Path = typer.Option(Path("examples/org.yaml"), help="Organisation to load."),
) -> None:
    """On first start: load the example organisation and give demo people a password."""
    setup_django()
    from tierdesk.accounts.models import User
    from tierdesk.org import orgfile
    from tierdesk.org.models import Team

    if not Team.objects.exists():
        if not file.is_file():
            raise fail(f"{file}: no such file")
        outcome = orgfile.apply(file.read_bytes(), note="demo setup")
        if not outcome.ok:
            for issue in outcome.issues:
                typer.echo(f"{file}:{issue}", err=True)
            raise fail(f"{file}: {len(outcome.issues)} problem(s); nothing loaded")
        typer.echo(f"loaded the organisation from {file} ({len(outcome.changes)} changes)")
    for user in User.objects.filter(managed_by_org_file=True, is_active=True):
        if not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
    known = set(
        User.objects.filter(username__in=[u for u, _ in DEMO_LOGINS], is_active=True).values_list(
            "username", flat=True
        )
    )
    typer.echo(f"\nDemo logins (password for everyone: {DEMO_PASSWORD}):")
    for username, what in DEMO_LOGINS:
        if username in known:
            typer.echo(f"  {username:<8} {what}")
    typer.echo("API token for anyone: .venv/bin/tierdesk token create <username>\n")


SAMPLES = (
    ("Outlook keeps asking for my password", "email", "low", "medium"),
    ("VPN disconnects every 10 minutes", "network", "medium", "medium"),
    ("Payroll export job failed overnight", "database", "high", "high"),
    ("New starter needs a laptop and accounts", "access", "low", "low"),
    ("ERP invoices screen is very slow", "application", "medium", "high"),
    ("Printer on floor 3 prints blank pages", "hardware", "low", "low"),
    ("Website checkout returns error 502", "application", "high", "high"),
    ("Cannot reach the file share from Munich office", "network", "medium", "medium"),
    ("Reset MFA for field engineer", "access", "low", "high"),
    ("Database backup warning on reporting server", "database", "medium", "low"),
    ("Teams calls drop audio", "network", "medium", "medium"),
    ("Request: install Visio", "software", "low", "low"),
)
ESCALATION_NOTES = (
    "Basic checks done (restart, cache, credentials). Logs attached; needs a specialist.",
    "Reproduced for three users in finance; not a client issue.",
    "Error points at the database layer; query plans look off.",
)


@demo_app.command("load")
def load(
    tickets: int = typer.Option(60, min=1, max=5000, help="How many tickets."),
    seed: int = typer.Option(7, help="Random seed, for repeatable demos."),
) -> None:
    """Create sample tickets with realistic history through the real commands."""
    setup_django()
    from django.utils import timezone

    from tierdesk.accounts.models import Role, User
    from tierdesk.escalations.services import escalate
    from tierdesk.org.models import Membership, TeamKind
    from tierdesk.tickets.services import NewTicket, add_comment, create_ticket, transition

    requesters = list(User.objects.filter(role=Role.REQUESTER, is_active=True))
    if not requesters:
        raise fail("no requesters: run `tierdesk demo setup` (or apply an org file) first")
    rng = random.Random(seed)
    now = timezone.now()

    def agent_of(team_id: int) -> User | None:
        people = [
            m.user
            for m in Membership.objects.filter(team_id=team_id).select_related("user")
            if m.user.role != Role.REQUESTER
        ]
        return rng.choice(people) if people else None

    for _ in track(range(tickets), description="creating tickets"):
        title, category, impact, urgency = rng.choice(SAMPLES)
        at = now - timedelta(minutes=rng.randint(10, 14 * 24 * 60))
        ticket = create_ticket(
            NewTicket(
                title=title,
                description=f"{title}. Reported via the demo loader.",
                impact=impact,
                urgency=urgency,
                category=category,
                channel=rng.choice(["email", "phone", "portal", "api"]),
            ),
            requester=rng.choice(requesters),
            at=at,
        )
        agent = agent_of(ticket.team_id)
        if agent is None:
            continue
        at += timedelta(minutes=rng.randint(5, 90))
        add_comment(ticket, "Thanks, we are looking into it.", actor=agent, at=at)
        fate = rng.random()
        if fate < 0.55 and ticket.team.kind == TeamKind.SERVICE_DESK:
            transition(
                ticket,
                "resolved",
                actor=agent,
                at=at + timedelta(minutes=20),
                note="Resolved at first contact.",
            )
            continue
        for tier in (2, 3)[: 1 if fate < 0.8 else 2]:
            at += timedelta(minutes=rng.randint(15, 240))
            if at >= now:
                break
            ticket = escalate(
                ticket, actor=agent, to_tier=tier, at=at, note=rng.choice(ESCALATION_NOTES)
            )
            agent = agent_of(ticket.team_id) or agent
        at += timedelta(hours=rng.randint(1, 30))
        if at < now and rng.random() < 0.6:
            transition(ticket, "resolved", actor=agent, at=at, note="Root cause fixed.")
    typer.echo(f"created {tickets} tickets")


@demo_app.command("generate")
def generate(
    tickets: int = typer.Option(..., "--tickets", min=1, help="How many tickets to add."),
    seed: int = typer.Option(42, help="Random seed."),
    workers: int = typer.Option(0, min=0, help="Writer processes (default: up to 2)."),
) -> None:
    """A realistic organisation and two years of ticket history at scale (bulk inserts)."""
    from tierdesk.cli.bench import generate as bench_generate

    bench_generate(tickets=tickets, seed=seed, workers=workers)
